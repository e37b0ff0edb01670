package config

import (
	"testing"
	"time"
)

// TestLocation: the centre's day is in the machine's zone unless
// timezone names one.
func TestLocation(t *testing.T) {
	c, err := Parse("hotline.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if c.Timezone != "Local" || c.Location() != time.Local {
		t.Errorf("default: timezone %q, location %v; want Local, the machine's", c.Timezone, c.Location())
	}
	c, err = Parse("hotline.yaml", []byte(minimal+"timezone: Asia/Shanghai\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Location().String(); got != "Asia/Shanghai" {
		t.Errorf("timezone Asia/Shanghai: location %s", got)
	}
}
