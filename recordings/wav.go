package recordings

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
)

// The stereo WAV the pipeline stores: 16-bit PCM at 8000 Hz, two channels,
// customer left and agent right, with the canonical 44-byte header.
// Audio moves through the pipeline as 16-bit little-endian PCM bytes, the
// WAV data itself, so a file Asterisk wrote in that format (its "wav") is
// never decoded to samples and back.
const (
	stereoChannels   = 2
	stereoHeaderSize = 44
	stereoFrameBytes = 4 // one sample per channel
	wavFormatPCM     = 1
)

// wavInfo is what parseWAV finds in a WAV file.
type wavInfo struct {
	format, channels, bits uint16
	rate                   uint32
	data                   []byte // the data chunk, within the file
}

// parseWAV reads a RIFF/WAVE file's fmt chunk and finds its data. Chunks
// other than fmt and data are skipped; a data size of 0 or 0xFFFFFFFF
// (left by a writer that streamed) runs to the end of the file.
func parseWAV(name string, b []byte) (wavInfo, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: stored recording %q: %s", ErrBadRecording, name, fmt.Sprintf(format, args...))
	}
	le := binary.LittleEndian
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return wavInfo{}, bad("not a RIFF/WAVE file")
	}
	var w wavInfo
	for off := 12; ; {
		if off+8 > len(b) {
			if w.format == 0 {
				return wavInfo{}, bad("no fmt chunk")
			}
			return wavInfo{}, bad("no data chunk")
		}
		id, size := string(b[off:off+4]), int(le.Uint32(b[off+4:]))
		body := b[off+8:]
		switch id {
		case "fmt ":
			if size < 16 || len(body) < 16 {
				return wavInfo{}, bad("fmt chunk is %d bytes, want at least 16", size)
			}
			w.format, w.channels, w.rate, w.bits = le.Uint16(body), le.Uint16(body[2:]), le.Uint32(body[4:]), le.Uint16(body[14:])
			if w.format == 0xFFFE && size >= 40 && len(body) >= 40 { // WAVE_FORMAT_EXTENSIBLE
				w.format = le.Uint16(body[24:])
			}
		case "data":
			if w.format == 0 {
				return wavInfo{}, bad("data chunk before fmt chunk")
			}
			switch {
			case size == 0 || size == 0xFFFFFFFF:
				size = len(body)
			case size > len(body):
				return wavInfo{}, bad("data chunk truncated: header says %d bytes, found %d", size, len(body))
			}
			w.data = body[:size]
			return w, nil
		}
		off += 8 + size + size&1
	}
}

// pcm16 reports whether the file is 16-bit PCM at 8000 Hz with n channels.
func (w wavInfo) pcm16(n uint16) bool {
	return w.format == wavFormatPCM && w.bits == 16 && w.rate == media.SampleRate && w.channels == n
}

// monoPCM returns a mono recording's audio as 16-bit little-endian PCM.
// Asterisk's "wav" is that already; another encoding ivr/media reads
// (G.711 μ-law) is converted.
func monoPCM(name string, b []byte) ([]byte, error) {
	w, err := parseWAV(name, b)
	if err != nil {
		return nil, err
	}
	if w.pcm16(1) {
		return w.data[:len(w.data)&^1], nil
	}
	s, err := media.ReadWAV(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: stored recording %q: %v", ErrBadRecording, name, err)
	}
	out := make([]byte, 2*len(s))
	for i, v := range s {
		binary.LittleEndian.PutUint16(out[2*i:], uint16(v))
	}
	return out, nil
}

// stereoFrames returns a stereo recording's frames (16-bit PCM, left then
// right).
func stereoFrames(name string, b []byte) ([]byte, error) {
	w, err := parseWAV(name, b)
	if err != nil {
		return nil, err
	}
	if !w.pcm16(stereoChannels) {
		return nil, fmt.Errorf("%w: stored recording %q: WAV is format %d, %d channels, %d Hz, %d bits; want 16-bit PCM, 2 channels, 8000 Hz",
			ErrBadRecording, name, w.format, w.channels, w.rate, w.bits)
	}
	return w.data[:len(w.data)/stereoFrameBytes*stereoFrameBytes], nil
}

// stereoWAV makes the stored WAV: the canonical header, then frames
// frames filled by fill.
func stereoWAV(frames int, fill func(data []byte)) ([]byte, error) {
	data := uint64(frames) * stereoFrameBytes
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
	h = le.AppendUint16(h, wavFormatPCM)
	h = le.AppendUint16(h, stereoChannels)
	h = le.AppendUint32(h, media.SampleRate)
	h = le.AppendUint32(h, media.SampleRate*stereoFrameBytes)
	h = le.AppendUint16(h, stereoFrameBytes)
	h = le.AppendUint16(h, 16)
	h = append(h, "data"...)
	le.AppendUint32(h, uint32(data))
	fill(b[stereoHeaderSize:])
	return b, nil
}

// interleave makes the stereo WAV of two mono PCM channels, left and
// right; the shorter is padded with silence at its end (make's zeros).
func interleave(left, right []byte) ([]byte, error) { return interleaveAt(left, right, 0) }

// interleaveAt is interleave with the right channel starting lead frames
// after the left (the left lead frames after the right when negative):
// the later side's start is padded with silence, and the shorter side's
// end, so the two share one clock.
func interleaveAt(left, right []byte, lead int) ([]byte, error) {
	lOff, rOff := 0, 0
	if lead > 0 {
		rOff = lead
	} else {
		lOff = -lead
	}
	frames := max(lOff+len(left)/2, rOff+len(right)/2)
	return stereoWAV(frames, func(d []byte) {
		l, r := d[lOff*stereoFrameBytes:], d[rOff*stereoFrameBytes:]
		for i := 0; i+1 < len(left); i += 2 {
			l[2*i], l[2*i+1] = left[i], left[i+1]
		}
		for i := 0; i+1 < len(right); i += 2 {
			r[2*i+2], r[2*i+3] = right[i], right[i+1]
		}
	})
}

// leadFrames is a side lead in frames at 8000 Hz, to the nearest frame.
func leadFrames(d time.Duration) int {
	return int(math.Round(d.Seconds() * media.SampleRate))
}
