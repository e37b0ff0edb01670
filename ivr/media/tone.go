package media

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// dtmfAmplitude is the amplitude of a DTMF signal from DTMF: each of its two
// tones peaks at a quarter of full scale (about -12 dBFS).
const dtmfAmplitude = 0.5

// dtmfKeys is the DTMF keypad: the row of a key picks its low tone and the
// column its high tone.
const dtmfKeys = "123A456B789C*0#D"

var (
	dtmfLow  = [4]float64{697, 770, 852, 941}     // Hz, by row
	dtmfHigh = [4]float64{1209, 1336, 1477, 1633} // Hz, by column
)

// Tone returns d of a sum of sine waves at the given frequencies in Hz, each
// starting at phase 0. amplitude is the peak level as a fraction of full
// scale (0..1, clamped) split evenly over the frequencies, so the sum never
// exceeds it: Tone(d, 0.5, 440, 620) is two sines each peaking at 0.25 of
// full scale. With no frequencies the result is silence.
func Tone(d time.Duration, amplitude float64, freqs ...float64) []int16 {
	out := make([]int16, SamplesFor(d))
	if len(freqs) == 0 || !(amplitude > 0) {
		return out
	}
	a := min(amplitude, 1) * math.MaxInt16 / float64(len(freqs))
	w := make([]float64, len(freqs))
	for j, f := range freqs {
		w[j] = 2 * math.Pi * f / SampleRate
	}
	for i := range out {
		var v float64
		for _, wj := range w {
			v += math.Sin(wj * float64(i))
		}
		out[i] = int16(math.Round(a * v))
	}
	return out
}

// DTMF returns d of the standard DTMF tone pair for digit, one of 0-9 * # and
// A-D (upper case): the row tone (697, 770, 852 or 941 Hz) plus the column
// tone (1209, 1336, 1477 or 1633 Hz), each peaking at a quarter of full
// scale. Any other byte gives an error wrapping ErrBadDigit.
func DTMF(digit byte, d time.Duration) ([]int16, error) {
	i := strings.IndexByte(dtmfKeys, digit)
	if i < 0 {
		return nil, fmt.Errorf("%w: %q", ErrBadDigit, digit)
	}
	return Tone(d, dtmfAmplitude, dtmfLow[i/4], dtmfHigh[i%4]), nil
}

// Silence returns d of digital silence (zero samples).
func Silence(d time.Duration) []int16 {
	return make([]int16, SamplesFor(d))
}
