package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseTransfers(t *testing.T) {
	got, err := Parse("hotline.yaml", []byte(minimal+"transfers:\n  endpoint: PJSIP/%s@carrier\n  ring_timeout: 25s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Transfers != (Transfers{Endpoint: "PJSIP/%s@carrier", RingTimeout: 25 * time.Second}) {
		t.Errorf("transfers %+v", got.Transfers)
	}
	if d := Default().Transfers; d.Endpoint != "PJSIP/%s@trunk" || d.RingTimeout != 30*time.Second {
		t.Errorf("default transfers %+v", d)
	}
	_, err = Parse("hotline.yaml", []byte(minimal+"transfers:\n  endpoint: PJSIP/trunk\n  ring_timeout: 0s\n"))
	for _, want := range []string{
		`hotline.yaml:6: transfers.endpoint: "PJSIP/trunk" does not hold exactly one %s (one %s for the number, like "PJSIP/%s@trunk")`,
		`hotline.yaml:7: transfers.ring_timeout: must be more than 0, got 0s`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("problems %v, want %s", err, want)
		}
	}
}
