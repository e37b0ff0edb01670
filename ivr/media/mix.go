package media

import "math"

// Mix adds src into dst sample by sample, dst[i] += src[i] for i below the
// shorter length, saturating at -32768 and 32767 instead of wrapping. Samples
// of dst beyond len(src) are left as they are.
func Mix(dst []int16, src []int16) {
	n := min(len(dst), len(src))
	dst, src = dst[:n], src[:n]
	for i, s := range src {
		dst[i] = int16(max(math.MinInt16, min(math.MaxInt16, int32(dst[i])+int32(s))))
	}
}
