package media_test

import (
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
)

func TestSamplesFor(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int
	}{
		{0, 0},
		{-time.Second, 0},
		{20 * time.Millisecond, media.FrameSamples},
		{time.Second, 8000},
		{time.Hour, 28_800_000},
		{125 * time.Microsecond, 1},
		{62499 * time.Nanosecond, 0},
		{62500 * time.Nanosecond, 1}, // half a sample rounds up
		{187499 * time.Nanosecond, 1},
		{187500 * time.Nanosecond, 2},
		{1543125 * time.Microsecond, 12345},
		{1<<63 - 1, 73786976294838}, // no overflow
	}
	for _, tt := range tests {
		if got := media.SamplesFor(tt.d); got != tt.want {
			t.Errorf("SamplesFor(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
}

func TestDurationOf(t *testing.T) {
	tests := []struct {
		n    int
		want time.Duration
	}{
		{0, 0},
		{1, 125 * time.Microsecond},
		{media.FrameSamples, 20 * time.Millisecond},
		{8000, time.Second},
		{12345, 1543125 * time.Microsecond},
		{28_800_000, time.Hour},
	}
	for _, tt := range tests {
		if got := media.DurationOf(tt.n); got != tt.want {
			t.Errorf("DurationOf(%d) = %v, want %v", tt.n, got, tt.want)
		}
		if got := media.SamplesFor(tt.want); got != tt.n {
			t.Errorf("SamplesFor(DurationOf(%d)) = %d", tt.n, got)
		}
	}
}
