package media

import "time"

// SampleRate is the sample rate of all audio in this package, in samples per
// second.
const SampleRate = 8000

// FrameSamples is the number of samples in one 20 ms frame, the packetisation
// interval of PCMU RTP.
const FrameSamples = 160

// sampleDuration is the exact duration of one sample: 125 µs.
const sampleDuration = time.Second / SampleRate

// SamplesFor returns the number of samples that last d at SampleRate, rounded
// to the nearest sample (an exact half sample rounds up). Durations of zero or
// less give 0.
func SamplesFor(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	// Split d so that adding half a sample cannot overflow.
	return int(d/sampleDuration + (d%sampleDuration+sampleDuration/2)/sampleDuration)
}

// DurationOf returns how long n samples last at SampleRate. It is exact: one
// sample is 125 µs.
func DurationOf(n int) time.Duration {
	return time.Duration(n) * sampleDuration
}
