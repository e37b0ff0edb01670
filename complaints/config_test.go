package complaints_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/store"
)

// TestConfig: what New refuses, and how it says it (the store is never
// called: New only checks it is there).
func TestConfig(t *testing.T) {
	base := func() complaints.Config {
		return complaints.Config{Store: nil, Notifier: &inbox{}, Categories: categories}
	}
	for _, tt := range []struct {
		name string
		edit func(*complaints.Config)
		want string
	}{
		{"no store", func(*complaints.Config) {}, "needs a store and a notifier"},
		{"no categories", func(c *complaints.Config) { c.Store = store.NewComplaints(nil); c.Categories = nil }, "no complaint categories are configured"},
		{"warning before the start", func(c *complaints.Config) {
			c.Store = store.NewComplaints(nil)
			c.Categories = map[string]complaints.Category{"quality": {ResolveIn: 4 * time.Hour}}
		}, `category "quality": the warning (4h0m0s before) must come after its clocks start`},
		{"bad hours", func(c *complaints.Config) {
			c.Store = store.NewComplaints(nil)
			h := complaints.Hours{}
			h.Week[time.Monday] = []complaints.Span{{From: 9 * time.Hour, To: 12 * time.Hour}, {From: 11 * time.Hour, To: 18 * time.Hour}}
			c.Hours = map[string]complaints.Hours{"400": h}
		}, `hotline "400": invalid complaint: the opening hours of Monday: 11h0m0s–18h0m0s is not a span within the day after the previous one`},
	} {
		cfg := base()
		tt.edit(&cfg)
		_, err := complaints.New(cfg)
		if !errors.Is(err, complaints.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want ErrInvalid saying %q", tt.name, err, tt.want)
		}
	}
}
