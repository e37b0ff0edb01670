package media_test

import (
	"slices"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
)

func TestMix(t *testing.T) {
	tests := []struct {
		name     string
		dst, src []int16
		want     []int16
	}{
		{"adds", []int16{1, 2, 3}, []int16{10, -20, 30}, []int16{11, -18, 33}},
		{"saturates high", []int16{30000, 32767, 1}, []int16{10000, 1, 32767}, []int16{32767, 32767, 32767}},
		{"saturates low", []int16{-30000, -32768, -1}, []int16{-10000, -1, -32768}, []int16{-32768, -32768, -32768}},
		{"opposite extremes", []int16{-32768, 32767}, []int16{32767, -32768}, []int16{-1, -1}},
		{"short src leaves the rest", []int16{1, 2, 3}, []int16{5}, []int16{6, 2, 3}},
		{"long src is cut", []int16{1}, []int16{5, 6, 7}, []int16{6}},
		{"empty", nil, []int16{1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := slices.Clone(tt.dst)
			media.Mix(dst, tt.src)
			if !slices.Equal(dst, tt.want) {
				t.Errorf("Mix(%v, %v) = %v, want %v", tt.dst, tt.src, dst, tt.want)
			}
		})
	}
}

func TestMixTones(t *testing.T) {
	caller := media.Tone(2*time.Second, 0.4, 440)
	agent := media.Tone(time.Second, 0.4, 620)
	media.Mix(caller[4000:], agent) // the agent speaks from 0.5 s to 1.5 s
	for _, tt := range []struct {
		freq float64
		want bool
	}{{440, true}, {620, true}, {1000, false}, {530, false}} {
		if got := media.HasTone(caller, tt.freq); got != tt.want {
			t.Errorf("HasTone(mix, %v Hz) = %v, want %v (power %.3f)", tt.freq, got, tt.want, media.Power(caller, tt.freq))
		}
	}
	// Through μ-law, as a recording of an RTP stream would be.
	coded := media.DecodeULaw(nil, media.EncodeULaw(nil, caller))
	for _, f := range []float64{440, 620} {
		if !media.HasTone(coded, f) {
			t.Errorf("HasTone(μ-law mix, %v Hz) = false, want true", f)
		}
	}
}

func BenchmarkMix(b *testing.B) {
	dst := media.Tone(20*time.Millisecond, 0.5, 440)
	src := media.Tone(20*time.Millisecond, 0.5, 620)
	b.SetBytes(int64(len(dst)) * 2)
	for b.Loop() {
		media.Mix(dst, src)
	}
}
