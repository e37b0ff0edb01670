package recordings

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/hotline-ivr/hotline/ivr/media"
)

// The stereo WAV the pipeline stores: 16-bit PCM at 8000 Hz, two channels,
// customer left and agent right, with the canonical 44-byte header.
const (
	stereoChannels   = 2
	stereoHeaderSize = 44
	stereoFrameBytes = 4 // one sample per channel
)

// decodeMono reads a mono WAV as Asterisk writes it (8 kHz 16-bit PCM or
// μ-law; ivr/media reads it).
func decodeMono(name string, b []byte) ([]int16, error) {
	s, err := media.ReadWAV(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: stored recording %q: %v", ErrBadRecording, name, err)
	}
	return s, nil
}

// decodeStereo reads a 16-bit PCM 8000 Hz stereo WAV into its left and
// right channels. Chunks other than fmt and data are skipped.
func decodeStereo(name string, b []byte) (left, right []int16, err error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: stored recording %q: %s", ErrBadRecording, name, fmt.Sprintf(format, args...))
	}
	le := binary.LittleEndian
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, nil, bad("not a RIFF/WAVE file")
	}
	var fmtSeen bool
	for off := 12; ; {
		if off+8 > len(b) {
			return nil, nil, bad("no data chunk")
		}
		id, size := string(b[off:off+4]), int(le.Uint32(b[off+4:]))
		body := b[off+8:]
		switch id {
		case "fmt ":
			if size < 16 || len(body) < 16 {
				return nil, nil, bad("fmt chunk is %d bytes, want at least 16", size)
			}
			format, ch, rate, bits := le.Uint16(body), le.Uint16(body[2:]), le.Uint32(body[4:]), le.Uint16(body[14:])
			if format == 0xFFFE && size >= 40 && len(body) >= 40 {
				format = le.Uint16(body[24:])
			}
			if format != 1 || ch != stereoChannels || rate != media.SampleRate || bits != 16 {
				return nil, nil, bad("WAV is format %d, %d channels, %d Hz, %d bits; want 16-bit PCM, 2 channels, 8000 Hz", format, ch, rate, bits)
			}
			fmtSeen = true
		case "data":
			if !fmtSeen {
				return nil, nil, bad("data chunk before fmt chunk")
			}
			switch {
			case size == 0 || size == 0xFFFFFFFF: // streamed: the data runs to the end
				size = len(body)
			case size > len(body):
				return nil, nil, bad("data chunk truncated: header says %d bytes, found %d", size, len(body))
			}
			n := size / stereoFrameBytes
			left, right = make([]int16, n), make([]int16, n)
			for i := range n {
				left[i] = int16(le.Uint16(body[4*i:]))
				right[i] = int16(le.Uint16(body[4*i+2:]))
			}
			return left, right, nil
		}
		off += 8 + size + size&1
	}
}

// encodeStereo makes a stereo WAV of left and right; the shorter channel
// is padded with silence at its end.
func encodeStereo(left, right []int16) ([]byte, error) {
	n := max(len(left), len(right))
	data := uint64(n) * stereoFrameBytes
	if data > 0xFFFFFFFF-(stereoHeaderSize-8) {
		return nil, errors.New("recording too long for a WAV file")
	}
	le := binary.LittleEndian
	b := make([]byte, stereoHeaderSize+data)
	h := b[:0]
	h = append(h, "RIFF"...)
	h = le.AppendUint32(h, uint32(stereoHeaderSize-8+data))
	h = append(h, "WAVEfmt "...)
	h = le.AppendUint32(h, 16)
	h = le.AppendUint16(h, 1) // PCM
	h = le.AppendUint16(h, stereoChannels)
	h = le.AppendUint32(h, media.SampleRate)
	h = le.AppendUint32(h, media.SampleRate*stereoFrameBytes)
	h = le.AppendUint16(h, stereoFrameBytes)
	h = le.AppendUint16(h, 16)
	h = append(h, "data"...)
	le.AppendUint32(h, uint32(data))
	frames := b[stereoHeaderSize:]
	for i, v := range left {
		le.PutUint16(frames[4*i:], uint16(v))
	}
	for i, v := range right {
		le.PutUint16(frames[4*i+2:], uint16(v))
	}
	return b, nil // the padding is make's zeros
}
