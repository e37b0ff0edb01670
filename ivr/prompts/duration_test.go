package prompts_test

import (
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/prompts"
)

// TestDuration: every shipped prompt has a length, which is that of its
// audio (8 kHz, 16-bit mono: 16,000 bytes a second); an unknown prompt
// has none.
func TestDuration(t *testing.T) {
	for _, p := range prompts.Phrases() {
		for _, lang := range prompts.Languages {
			d, ok := prompts.Duration(p.Name, lang)
			if !ok || d <= 0 || d > 2*time.Minute {
				t.Errorf("Duration(%q, %q) = %v, %v; want a positive length", p.Name, lang, d, ok)
			}
		}
	}
	if d, ok := prompts.Duration("no/such-prompt", "zh"); ok {
		t.Errorf("Duration of an unknown prompt = %v, true; want false", d)
	}
}
