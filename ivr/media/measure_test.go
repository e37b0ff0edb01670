package media_test

import (
	"math"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
)

func TestRMS(t *testing.T) {
	square := make([]int16, 800)
	for i := range square {
		square[i] = 32767
		if i%2 == 1 {
			square[i] = -32768
		}
	}
	tests := []struct {
		name string
		in   []int16
		want float64
	}{
		{"empty", nil, 0},
		{"silence", media.Silence(time.Second), 0},
		{"constant", []int16{-100, -100, -100}, 100},
		{"full-scale square", square, 32767.5},
		{"full-scale sine", media.Tone(time.Second, 1, 1000), 32767 / math.Sqrt2},
		{"half-scale sine", media.Tone(time.Second, 0.5, 440), 16383.5 / math.Sqrt2},
	}
	for _, tt := range tests {
		if got := media.RMS(tt.in); math.Abs(got-tt.want) > 1 {
			t.Errorf("RMS(%s) = %.2f, want %.2f", tt.name, got, tt.want)
		}
	}
}

func TestIsSilent(t *testing.T) {
	dBFS := func(db float64) float64 { return math.Pow(10, db/20) }
	tests := []struct {
		name string
		in   []int16
		want bool
	}{
		{"empty", nil, true},
		{"silence", media.Silence(time.Second), true},
		{"-60 dBFS tone", media.Tone(time.Second, dBFS(-60), 440), true},
		{"-52 dBFS tone", media.Tone(time.Second, dBFS(-52)*math.Sqrt2, 440), true}, // amplitude for an RMS of -52 dBFS
		{"-48 dBFS tone", media.Tone(time.Second, dBFS(-48)*math.Sqrt2, 440), false},
		{"-20 dBFS tone", media.Tone(time.Second, dBFS(-20), 440), false},
		{"DTMF", must(media.DTMF('5', time.Second)), false},
	}
	for _, tt := range tests {
		if got := media.IsSilent(tt.in); got != tt.want {
			t.Errorf("IsSilent(%s) = %v, want %v (RMS %.1f)", tt.name, got, tt.want, media.RMS(tt.in))
		}
	}
}

func must(s []int16, err error) []int16 {
	if err != nil {
		panic(err)
	}
	return s
}

func TestPower(t *testing.T) {
	burst := media.Silence(10 * time.Second)
	copy(burst[40000:], media.Tone(time.Second, 0.5, 440)) // 1 s of tone in 10 s
	restarts := media.Tone(time.Second, 0.5, 1000)
	copy(restarts[3001:], media.Tone(time.Second, 0.5, 1000)) // phase jumps
	tests := []struct {
		name     string
		in       []int16
		freq     float64
		min, max float64
	}{
		{"pure tone", media.Tone(time.Second, 0.9, 440), 440, 0.98, 1.02},
		{"quiet pure tone", media.Tone(time.Second, 0.001, 440), 440, 0.9, 1.1},
		{"one frame", media.Tone(20*time.Millisecond, 0.9, 1000), 1000, 0.98, 1.02},
		{"off-bin frequency", media.Tone(1003*time.Millisecond, 0.9, 697.3), 697.3, 0.98, 1.02},
		{"tone absent", media.Tone(time.Second, 0.9, 440), 620, 0, 0.001},
		{"tone 20 Hz away", media.Tone(1234*time.Millisecond, 0.9, 460), 440, 0, 0.03},
		{"tone 35 Hz away", media.Tone(1234*time.Millisecond, 0.9, 475), 440, 0, 0.01},
		{"one of two equal tones", media.Tone(time.Second, 0.9, 440, 620), 620, 0.48, 0.52},
		{"burst in silence", burst, 440, 0.98, 1.02},
		{"tone restarting at a new phase", restarts, 1000, 0.98, 1.02},
		{"silence", media.Silence(time.Second), 440, 0, 0},
		{"empty", nil, 440, 0, 0},
		{"frequency 0", media.Tone(time.Second, 0.9, 440), 0, 0, 0},
		{"frequency at Nyquist", media.Tone(time.Second, 0.9, 440), 4000, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := media.Power(tt.in, tt.freq); got < tt.min || got > tt.max {
				t.Errorf("Power(%v Hz) = %.4f, want %v..%v", tt.freq, got, tt.min, tt.max)
			}
		})
	}
}

func TestHasTone(t *testing.T) {
	loud := media.Tone(2*time.Second, 0.5, 440)
	weak := media.Tone(2*time.Second, 0.02, 620) // about -28 dB below the 440 Hz tone
	mixed := append([]int16(nil), loud...)
	media.Mix(mixed, weak)
	tests := []struct {
		name string
		in   []int16
		freq float64
		want bool
	}{
		{"tone", loud, 440, true},
		{"other frequency", loud, 880, false},
		{"silence", media.Silence(time.Second), 440, false},
		{"inaudible tone", media.Tone(time.Second, 0.001, 440), 440, false},
		{"loud tone in a mix", mixed, 440, true},
		{"tone far below the rest", mixed, 620, false},
	}
	for _, tt := range tests {
		if got := media.HasTone(tt.in, tt.freq); got != tt.want {
			t.Errorf("HasTone(%s, %v Hz) = %v, want %v (power %.4f, RMS %.1f)", tt.name, tt.freq, got, tt.want, media.Power(tt.in, tt.freq), media.RMS(tt.in))
		}
	}
}
