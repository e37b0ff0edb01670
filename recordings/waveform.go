package recordings

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
)

// PeakInterval is the span of one waveform peak: a browser draws a
// recording's two channels from one peak per 100 ms per channel.
const PeakInterval = 100 * time.Millisecond

// Waveform is the summary of a stored stereo recording a browser draws
// without downloading the audio: for each PeakInterval, the largest
// absolute sample of each channel, 0 to 32767 (-32768 counts as 32767).
// The last interval may be shorter.
type Waveform struct {
	Interval time.Duration
	Left     []uint16 // the customer
	Right    []uint16 // the agent
}

// waveformVersion is the version of the cached summary's format: a
// summary of another version is computed again.
const waveformVersion = 1

// waveformJSON is the cached summary, a small JSON blob next to the
// recording's (PeaksKey).
type waveformJSON struct {
	Version    int      `json:"version"`
	IntervalMS int64    `json:"interval_ms"`
	Left       []uint16 `json:"left"`
	Right      []uint16 `json:"right"`
}

// PeaksKey is where the waveform summary of the recording with the ID is
// cached in blob storage, next to its audio (BlobKey): written on the
// first request for it, deleted with the audio.
func PeaksKey(id string) string { return BlobKey(id) + ".peaks" }

// MarshalWaveform and UnmarshalWaveform are the cached summary's format.
func marshalWaveform(w Waveform) ([]byte, error) {
	return json.Marshal(waveformJSON{Version: waveformVersion, IntervalMS: w.Interval.Milliseconds(), Left: w.Left, Right: w.Right})
}

func unmarshalWaveform(b []byte) (Waveform, bool) {
	var j waveformJSON
	if err := json.Unmarshal(b, &j); err != nil || j.Version != waveformVersion || j.IntervalMS <= 0 || len(j.Left) != len(j.Right) {
		return Waveform{}, false
	}
	return Waveform{Interval: time.Duration(j.IntervalMS) * time.Millisecond, Left: j.Left, Right: j.Right}, true
}

// Peaks reads a stereo WAV of 16-bit PCM at 8000 Hz (what the pipeline
// stores: customer left, agent right) from r, as a stream, and returns
// its peaks per interval. The pipeline could call it at store time; the
// access API calls it on the first request for a recording's timeline
// and caches the result (Archive.Waveform).
func Peaks(r io.Reader, interval time.Duration) (Waveform, error) {
	frames := int(int64(media.SampleRate) * int64(interval) / int64(time.Second))
	if frames < 1 {
		return Waveform{}, fmt.Errorf("waveform interval %s is shorter than one sample", interval)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	size, err := stereoData(br)
	if err != nil {
		return Waveform{}, err
	}
	w := Waveform{Interval: interval}
	var l, rt uint16
	n := 0
	buf := make([]byte, 32<<10)
	var rest int64 = -1 // bytes of data left; -1: to the end of the stream
	if size > 0 {
		rest = size
	}
	flush := func() {
		w.Left, w.Right = append(w.Left, l), append(w.Right, rt)
		l, rt, n = 0, 0, 0
	}
	var carry []byte // an incomplete frame from the previous read
	for rest != 0 {
		want := len(buf)
		if rest > 0 && int64(want) > rest {
			want = int(rest)
		}
		k, err := br.Read(buf[:want])
		if rest > 0 {
			rest -= int64(k)
		}
		chunk := buf[:k]
		if len(carry) > 0 {
			chunk = append(carry, chunk...)
			carry = nil
		}
		whole := len(chunk) / stereoFrameBytes * stereoFrameBytes
		for i := 0; i < whole; i += stereoFrameBytes {
			l = max(l, absSample(chunk[i:]))
			rt = max(rt, absSample(chunk[i+2:]))
			if n++; n == frames {
				flush()
			}
		}
		if whole < len(chunk) {
			carry = append([]byte(nil), chunk[whole:]...)
		}
		if errors.Is(err, io.EOF) {
			if rest > 0 {
				return Waveform{}, fmt.Errorf("%w: the data chunk is truncated (%d bytes missing)", ErrBadRecording, rest)
			}
			break
		}
		if err != nil {
			return Waveform{}, fmt.Errorf("reading the recording: %w", err)
		}
	}
	if n > 0 {
		flush()
	}
	return w, nil
}

// absSample is the absolute value of the 16-bit little-endian sample at
// b, with -32768 as 32767.
func absSample(b []byte) uint16 {
	v := int32(int16(binary.LittleEndian.Uint16(b)))
	if v < 0 {
		v = -v
	}
	return uint16(min(v, 32767))
}

// stereoData reads a WAV's header from r up to its data chunk, checking
// it is 16-bit stereo PCM at 8000 Hz, and returns the data chunk's size
// (0: to the end of the stream, as a streaming writer leaves it).
func stereoData(r io.Reader) (int64, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadRecording, fmt.Sprintf(format, args...))
	}
	le := binary.LittleEndian
	var h [12]byte
	if _, err := io.ReadFull(r, h[:]); err != nil || string(h[:4]) != "RIFF" || string(h[8:12]) != "WAVE" {
		return 0, bad("not a RIFF/WAVE file")
	}
	haveFmt := false
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return 0, bad("no data chunk")
		}
		id, size := string(ch[:4]), int64(le.Uint32(ch[4:]))
		switch id {
		case "fmt ":
			if size < 16 || size > 1024 {
				return 0, bad("fmt chunk is %d bytes", size)
			}
			body := make([]byte, size+size&1)
			if _, err := io.ReadFull(r, body); err != nil {
				return 0, bad("fmt chunk truncated")
			}
			w := wavInfo{format: le.Uint16(body), channels: le.Uint16(body[2:]), rate: le.Uint32(body[4:]), bits: le.Uint16(body[14:])}
			if w.format == 0xFFFE && size >= 40 {
				w.format = le.Uint16(body[24:])
			}
			if !w.pcm16(stereoChannels) {
				return 0, bad("WAV is format %d, %d channels, %d Hz, %d bits; want 16-bit PCM, 2 channels, 8000 Hz", w.format, w.channels, w.rate, w.bits)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return 0, bad("data chunk before fmt chunk")
			}
			if size == 0xFFFFFFFF {
				size = 0
			}
			return size, nil
		default:
			if _, err := io.CopyN(io.Discard, r, size+size&1); err != nil {
				return 0, bad("chunk %q truncated", id)
			}
		}
	}
}
