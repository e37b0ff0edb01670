package config

import (
	"testing"
	"time"
)

// TestLocation: the centre's day is China's, as the reports', unless
// timezone names another zone (Local: the machine's).
func TestLocation(t *testing.T) {
	c, err := Parse("hotline.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Location().String(); c.Timezone != "Asia/Shanghai" || got != "Asia/Shanghai" {
		t.Errorf("default: timezone %q, location %s; want Asia/Shanghai, as hotline report's", c.Timezone, got)
	}
	c, err = Parse("hotline.yaml", []byte(minimal+"timezone: Local\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Location() != time.Local {
		t.Errorf("timezone Local: location %s, want the machine's", c.Location())
	}
}
