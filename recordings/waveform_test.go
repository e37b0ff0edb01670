package recordings_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"testing"
	"testing/iotest"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/recordings"
)

// TestPeaks: the peaks of a stereo WAV of known content, per 100 ms per
// channel, whatever the reads' sizes, with a chunk before the data and a
// shorter last interval; -32768 counts as 32767.
func TestPeaks(t *testing.T) {
	const per = 800 // samples per 100 ms at 8 kHz
	n := 2*per + per/4
	left, right := make([]int16, n), make([]int16, n)
	for i := range n {
		left[i] = int16(100 + i%7) // 100..106 everywhere: the peak is 106
		if i%2 == 1 {
			left[i] = -left[i]
		}
	}
	left[per+5] = -32768 // the second interval's peak
	left[2*per+1] = 3000 // the last, short interval's
	for i := per; i < 2*per; i++ {
		right[i] = int16(float64(20000) * float64(i-per) / per) // a ramp up to under 20000
	}
	right[2*per+10] = -1234
	want := recordings.Waveform{
		Interval: recordings.PeakInterval,
		Left:     []uint16{106, 32767, 3000},
		Right:    []uint16{0, 19975, 1234}, // 20000 * 799/800
	}

	plain := stereoWAV(left, right)
	// The same audio with a LIST chunk before the data, as some writers
	// leave.
	le := binary.LittleEndian
	list := append([]byte("LIST"), le.AppendUint32(nil, 5)...)
	list = append(list, "hello"...)
	list = append(list, 0) // the pad byte of an odd chunk
	withList := slices.Concat(plain[:36], list, plain[36:])

	for name, r := range map[string]io.Reader{
		"whole":      bytes.NewReader(plain),
		"byte reads": iotest.OneByteReader(bytes.NewReader(plain)),
		"half reads": iotest.HalfReader(bytes.NewReader(withList)),
	} {
		t.Run(name, func(t *testing.T) {
			got, err := recordings.Peaks(r, recordings.PeakInterval)
			if err != nil {
				t.Fatal(err)
			}
			if got.Interval != want.Interval || !slices.Equal(got.Left, want.Left) || !slices.Equal(got.Right, want.Right) {
				t.Errorf("peaks = %+v, want %+v", got, want)
			}
		})
	}

	t.Run("tone", func(t *testing.T) {
		// A 0.3 full-scale tone on the left for 1 s, silence on the right:
		// every left peak is near 0.3 * 32767, every right one 0.
		tn := tone(time.Second, customerHz)
		got, err := recordings.Peaks(bytes.NewReader(stereoWAV(tn, make([]int16, len(tn)))), recordings.PeakInterval)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Left) != 10 || len(got.Right) != 10 {
			t.Fatalf("%d and %d peaks for 1 s, want 10", len(got.Left), len(got.Right))
		}
		for i := range got.Left {
			if p := got.Left[i]; p < 9500 || p > 9900 || got.Right[i] != 0 {
				t.Errorf("interval %d: peaks %d, %d; want about 9830 and 0", i, p, got.Right[i])
			}
		}
	})

	t.Run("refused", func(t *testing.T) {
		for name, b := range map[string][]byte{
			"mono":      wav(t, media.Tone(time.Second, 0.3, 440)),
			"not a wav": []byte("ID3 not a wave file at all"),
			"truncated": plain[:len(plain)-1000],
		} {
			if _, err := recordings.Peaks(bytes.NewReader(b), recordings.PeakInterval); !errors.Is(err, recordings.ErrBadRecording) {
				t.Errorf("%s: %v, want ErrBadRecording", name, err)
			}
		}
	})
}
