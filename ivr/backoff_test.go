package ivr

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	const lo, hi = 500 * time.Millisecond, 30 * time.Second
	tests := []struct {
		name     string
		lo, hi   time.Duration
		failures int
		r        float64
		want     time.Duration
	}{
		{"first failure waits min even with low jitter", lo, hi, 1, 0, lo},
		{"first failure with high jitter stays at min", lo, hi, 1, 0.99, lo},
		{"second failure low jitter", lo, hi, 2, 0, 500 * time.Millisecond},
		{"second failure high jitter", lo, hi, 2, 0.5, 750 * time.Millisecond},
		{"fifth failure", lo, hi, 5, 0.5, 6 * time.Second},
		{"capped at max", lo, hi, 10, 0.999999, hi - 15*time.Microsecond},
		{"capped step low jitter is half of max", lo, hi, 10, 0, hi / 2},
		{"huge failure count does not overflow", lo, hi, 1 << 30, 0.5, 22500 * time.Millisecond},
		{"huge max does not overflow", time.Second, time.Duration(1<<63 - 1), 100, 0, time.Duration(1<<63-1) / 2},
		{"min equals max", time.Second, time.Second, 7, 0.3, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := backoff(tt.lo, tt.hi, tt.failures, tt.r)
			if got != tt.want {
				t.Fatalf("backoff(%v, %v, %d, %v) = %v, want %v", tt.lo, tt.hi, tt.failures, tt.r, got, tt.want)
			}
		})
	}
}
