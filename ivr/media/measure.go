package media

import "math"

// silenceRMS is the level under which IsSilent calls a signal silent: an RMS
// of -50 dBFS, 32768·10^(-50/20) ≈ 103.6.
const silenceRMS = 32768 * 0.0031622776601683794

// toneShare is the least share of a signal's energy that HasTone wants at a
// frequency: 5%, or -13 dB relative to the whole signal.
const toneShare = 0.05

// powerBlock is the nominal block length of Power, 100 ms: long enough to
// resolve tones about 20 Hz apart, short enough that a tone restarting at a
// new phase, or stopping and starting again, is still measured in full.
const powerBlock = SampleRate / 10

// RMS returns the root mean square level of s in sample units, from 0 for
// silence to 32768 for a full-scale square wave; a full-scale sine gives
// about 23170. Empty input gives 0.
func RMS(s []int16) float64 {
	if len(s) == 0 {
		return 0
	}
	return math.Sqrt(energy(s) / float64(len(s)))
}

// IsSilent reports whether the RMS level of s is below -50 dBFS, an RMS of
// about 103.6 (see RMS). Empty input is silent.
func IsSilent(s []int16) bool {
	return RMS(s) < silenceRMS
}

// Power returns the share of the energy of s that lies at freq Hz, measured
// with the Goertzel algorithm: about 1 for a pure sine at freq of any level,
// about 0.5 each for two equal tones, and near 0 when freq is absent. It is
// relative to the signal itself and says nothing of its level (see RMS).
//
// s is cut into blocks of about 100 ms (800 to 1599 samples; all of s when it
// is shorter), so a tone need not keep its phase from one block to the next,
// and the block powers are summed, so blocks of silence do not dilute it.
// With 100 ms blocks, tones 20 Hz or more from freq give less than 0.03
// (shorter inputs resolve less finely). Results may slightly exceed 1. Power
// is 0 for silence (all zeros) and for freq outside 0 < freq < 4000 Hz.
func Power(s []int16, freq float64) float64 {
	total := energy(s)
	if total == 0 || !(freq > 0 && freq < SampleRate/2) {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*freq/SampleRate)
	blocks := max(len(s)/powerBlock, 1)
	var sum float64
	for b := range blocks {
		block := s[b*len(s)/blocks : (b+1)*len(s)/blocks]
		// A sine of amplitude A over M samples has |X|² ≈ (AM/2)² at its
		// frequency and energy A²M/2, so 2|X|²/M is its energy.
		sum += 2 * goertzel(block, coeff) / float64(len(block))
	}
	return sum / total
}

// HasTone reports whether s holds a tone at freq Hz: s is not silent (see
// IsSilent) and at least 5% of its energy lies at freq (Power(s, freq) ≥
// 0.05). So a tone is found when it is mixed with others, and when it takes
// only part of a recording that is otherwise silent, but not when it is
// quieter than about -13 dB below everything else in s put together.
func HasTone(s []int16, freq float64) bool {
	return !IsSilent(s) && Power(s, freq) >= toneShare
}

// energy returns the sum of the squares of s.
func energy(s []int16) float64 {
	var e float64
	for _, x := range s {
		e += float64(x) * float64(x)
	}
	return e
}

// goertzel returns |X(ω)|², the squared magnitude of the discrete-time
// Fourier transform of s at the frequency whose Goertzel coefficient is
// coeff = 2·cos ω.
func goertzel(s []int16, coeff float64) float64 {
	var s1, s2 float64
	for _, x := range s {
		s1, s2 = float64(x)+coeff*s1-s2, s1
	}
	return s1*s1 + s2*s2 - coeff*s1*s2
}
