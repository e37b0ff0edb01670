package media

import (
	"math/bits"
	"slices"
)

// G.711 μ-law encoder constants: the bias added to the magnitude before the
// segment is found, and the largest magnitude encoded (larger ones clip).
const (
	ulawBias = 0x84
	ulawClip = 32635
)

// ulawTable maps every μ-law byte to its linear value.
var ulawTable = func() (t [256]int16) {
	for i := range t {
		t[i] = ulawDecode(byte(i))
	}
	return t
}()

// ulawDecode computes the linear value of a μ-law byte per ITU-T G.711.
func ulawDecode(b byte) int16 {
	u := ^b
	exponent := (u >> 4) & 0x07
	mantissa := int(u & 0x0F)
	magnitude := ((mantissa<<3)+ulawBias)<<exponent - ulawBias
	if u&0x80 != 0 {
		return int16(-magnitude)
	}
	return int16(magnitude)
}

// ULawEncode encodes one linear sample as G.711 μ-law: the magnitude is
// clipped to 32635, biased by 0x84, split into a 3-bit segment and 4-bit
// mantissa, and the result inverted. ULawEncode(0) is 0xFF.
func ULawEncode(s int16) byte {
	x := int(s)
	var sign byte
	if x < 0 {
		x, sign = -x, 0x80
	}
	x = min(x, ulawClip) + ulawBias // 132..32767
	exponent := bits.Len(uint(x>>7)) - 1
	mantissa := (x >> (exponent + 3)) & 0x0F
	return ^(sign | byte(exponent<<4) | byte(mantissa))
}

// ULawDecode decodes one G.711 μ-law byte to a linear sample, from a table.
// Values range from -32124 (0x00) to 32124 (0x80); 0xFF and 0x7F are 0.
func ULawDecode(b byte) int16 {
	return ulawTable[b]
}

// EncodeULaw appends the μ-law encoding of src to dst and returns the
// extended slice, one byte per sample.
func EncodeULaw(dst []byte, src []int16) []byte {
	dst = slices.Grow(dst, len(src))
	for _, s := range src {
		dst = append(dst, ULawEncode(s))
	}
	return dst
}

// DecodeULaw appends the linear samples of the μ-law bytes src to dst and
// returns the extended slice.
func DecodeULaw(dst []int16, src []byte) []int16 {
	dst = slices.Grow(dst, len(src))
	for _, b := range src {
		dst = append(dst, ulawTable[b])
	}
	return dst
}
