package ivr

import "time"

// backoff returns how long to wait after the given number of consecutive
// failures (1 or more). The step starts at lo and doubles per failure up to
// hi; the wait is a random point in the upper half of the step (r in [0, 1)
// picks it), so that many servers restarting together do not reconnect in
// step, and it never leaves [lo, hi].
func backoff(lo, hi time.Duration, failures int, r float64) time.Duration {
	step := lo
	for i := 1; i < failures && step < hi; i++ {
		if step > hi/2 {
			step = hi
			break
		}
		step *= 2
	}
	step = min(step, hi)
	wait := step/2 + time.Duration(r*float64(step/2))
	return max(lo, min(wait, hi))
}
