package media_test

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
)

func TestTone(t *testing.T) {
	tests := []struct {
		name      string
		d         time.Duration
		amplitude float64
		freqs     []float64
		absent    float64 // a frequency that must not be found
		minPeak   int     // least and most largest |sample|
		maxPeak   int
	}{
		{"440 Hz full scale", time.Second, 1, []float64{440}, 620, 32765, 32767},
		{"1 kHz half scale", 500 * time.Millisecond, 0.5, []float64{1000}, 1100, 16382, 16384},
		{"dial tone", time.Second, 0.5, []float64{350, 440}, 620, 16000, 16384},
		{"quiet 620 Hz", time.Second, 0.01, []float64{620}, 440, 326, 328},
		{"amplitude clamped to 1", 100 * time.Millisecond, 3, []float64{2000}, 1000, 32765, 32767},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := media.Tone(tt.d, tt.amplitude, tt.freqs...)
			if got, want := len(s), media.SamplesFor(tt.d); got != want {
				t.Errorf("len = %d, want %d", got, want)
			}
			if got := peak(s); got < tt.minPeak || got > tt.maxPeak {
				t.Errorf("peak = %d, want %d..%d", got, tt.minPeak, tt.maxPeak)
			}
			for _, f := range tt.freqs {
				if !media.HasTone(s, f) {
					t.Errorf("HasTone(%v Hz) = false, want true (power %.3f)", f, media.Power(s, f))
				}
			}
			if media.HasTone(s, tt.absent) {
				t.Errorf("HasTone(%v Hz) = true, want false (power %.3f)", tt.absent, media.Power(s, tt.absent))
			}
		})
	}
	if s := media.Tone(time.Second, 0.5); len(s) != 8000 || !media.IsSilent(s) || peak(s) != 0 {
		t.Errorf("Tone with no frequencies: %d samples, peak %d; want 8000 of silence", len(s), peak(s))
	}
	if s := media.Tone(time.Second, 0, 440); peak(s) != 0 {
		t.Errorf("Tone of amplitude 0: peak %d, want 0", peak(s))
	}
}

func peak(s []int16) int {
	p := 0
	for _, x := range s {
		p = max(p, int(math.Abs(float64(x))))
	}
	return p
}

func TestDTMF(t *testing.T) {
	low := []float64{697, 770, 852, 941}
	high := []float64{1209, 1336, 1477, 1633}
	tests := []struct {
		digit     byte
		low, high float64
	}{
		{'1', 697, 1209}, {'2', 697, 1336}, {'3', 697, 1477}, {'A', 697, 1633},
		{'4', 770, 1209}, {'5', 770, 1336}, {'6', 770, 1477}, {'B', 770, 1633},
		{'7', 852, 1209}, {'8', 852, 1336}, {'9', 852, 1477}, {'C', 852, 1633},
		{'*', 941, 1209}, {'0', 941, 1336}, {'#', 941, 1477}, {'D', 941, 1633},
	}
	for _, tt := range tests {
		t.Run(string(tt.digit), func(t *testing.T) {
			s, err := media.DTMF(tt.digit, 100*time.Millisecond)
			if err != nil {
				t.Fatalf("DTMF: %v", err)
			}
			if got, want := len(s), 800; got != want {
				t.Errorf("len = %d, want %d", got, want)
			}
			for _, f := range slices.Concat(low, high) {
				want := f == tt.low || f == tt.high
				if got := media.HasTone(s, f); got != want {
					t.Errorf("HasTone(%v Hz) = %v, want %v (power %.3f)", f, got, want, media.Power(s, f))
				}
			}
		})
	}
	for _, digit := range []byte{'a', 'E', 'x', ' ', 0, '+'} {
		s, err := media.DTMF(digit, time.Second)
		if !errors.Is(err, media.ErrBadDigit) || s != nil {
			t.Errorf("DTMF(%q) = %d samples, %v; want nil, ErrBadDigit", digit, len(s), err)
		}
	}
}

func TestSilence(t *testing.T) {
	s := media.Silence(1500 * time.Millisecond)
	if got, want := len(s), 12000; got != want {
		t.Errorf("len = %d, want %d", got, want)
	}
	if p := peak(s); p != 0 {
		t.Errorf("peak = %d, want 0", p)
	}
}
