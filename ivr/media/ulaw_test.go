package media_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
)

func TestULawEncode(t *testing.T) {
	tests := []struct {
		in   int16
		want byte
	}{
		{0, 0xFF},
		{-1, 0x7F},
		{1, 0xFF},
		{8, 0xFE},
		{-8, 0x7E},
		{120, 0xF0},
		{132, 0xEF},
		{31100, 0x81},
		{32124, 0x80},
		{32635, 0x80},
		{32767, 0x80},
		{-32124, 0x00},
		{-32768, 0x00},
	}
	for _, tt := range tests {
		if got := media.ULawEncode(tt.in); got != tt.want {
			t.Errorf("ULawEncode(%d) = %#02x, want %#02x", tt.in, got, tt.want)
		}
	}
}

func TestULawDecode(t *testing.T) {
	// Values from the G.711 μ-law decoding table.
	tests := []struct {
		in   byte
		want int16
	}{
		{0xFF, 0},
		{0x7F, 0},
		{0x00, -32124},
		{0x80, 32124},
		{0x81, 31100},
		{0x8F, 16764},
		{0x90, 15996},
		{0xFE, 8},
		{0x7E, -8},
		{0xF0, 120},
		{0xEF, 132},
		{0x70, -120},
	}
	for _, tt := range tests {
		if got := media.ULawDecode(tt.in); got != tt.want {
			t.Errorf("ULawDecode(%#02x) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestULawQuantisation checks every int16 against G.711: the decoded value is
// within half a quantisation step of the input (a step is 2^(segment+3), at
// most (|x|+132)/16 wide), magnitudes past the clip decode to ±32124, and
// decoding is monotonic in the input.
func TestULawQuantisation(t *testing.T) {
	prev := math.MinInt
	for x := math.MinInt16; x <= math.MaxInt16; x++ {
		got := int(media.ULawDecode(media.ULawEncode(int16(x))))
		mag := max(x, -x)
		if mag > 32635 {
			if want := 32124 * sign(x); got != want {
				t.Fatalf("decode(encode(%d)) = %d, want clipped %d", x, got, want)
			}
		} else if err, maxErr := max(got-x, x-got), (mag+132)/32; err > maxErr {
			t.Fatalf("decode(encode(%d)) = %d, off by %d, more than %d", x, got, err, maxErr)
		}
		if got < prev {
			t.Fatalf("decode(encode(%d)) = %d, less than %d for %d", x, got, prev, x-1)
		}
		prev = got
	}
}

func sign(x int) int {
	if x < 0 {
		return -1
	}
	return 1
}

// TestULawCodeRoundTrip checks that every code but 0x7F (negative zero,
// which encodes back as 0xFF) survives decoding and encoding.
func TestULawCodeRoundTrip(t *testing.T) {
	for i := range 256 {
		b := byte(i)
		want := b
		if b == 0x7F {
			want = 0xFF
		}
		if got := media.ULawEncode(media.ULawDecode(b)); got != want {
			t.Errorf("encode(decode(%#02x)) = %#02x, want %#02x", b, got, want)
		}
	}
}

func TestEncodeDecodeULaw(t *testing.T) {
	src := []int16{0, 1, -1, 1000, -1000, 32767, -32768}
	enc := media.EncodeULaw([]byte{0xAA}, src)
	if got, want := len(enc), 1+len(src); got != want {
		t.Fatalf("EncodeULaw appended to 1 byte gave %d bytes, want %d", got, want)
	}
	if enc[0] != 0xAA {
		t.Errorf("EncodeULaw changed the existing byte to %#02x", enc[0])
	}
	for i, s := range src {
		if got, want := enc[1+i], media.ULawEncode(s); got != want {
			t.Errorf("EncodeULaw byte %d = %#02x, want %#02x", i, got, want)
		}
	}
	dec := media.DecodeULaw([]int16{42}, enc[1:])
	want := []int16{42}
	for _, b := range enc[1:] {
		want = append(want, media.ULawDecode(b))
	}
	if !slices.Equal(dec, want) {
		t.Errorf("DecodeULaw = %v, want %v", dec, want)
	}
	if got := media.EncodeULaw(nil, nil); len(got) != 0 {
		t.Errorf("EncodeULaw(nil, nil) = %v, want empty", got)
	}
}

func BenchmarkEncodeULaw(b *testing.B) {
	frame := media.Tone(20*time.Millisecond, 0.5, 440, 620)
	dst := make([]byte, 0, media.FrameSamples)
	b.SetBytes(int64(len(frame)) * 2)
	for b.Loop() {
		dst = media.EncodeULaw(dst[:0], frame)
	}
}

func BenchmarkDecodeULaw(b *testing.B) {
	enc := media.EncodeULaw(nil, media.Tone(20*time.Millisecond, 0.5, 440, 620))
	dst := make([]int16, 0, media.FrameSamples)
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		dst = media.DecodeULaw(dst[:0], enc)
	}
}
