package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// WAVE format tags found in the fmt chunk.
const (
	wavFormatPCM        = 0x0001
	wavFormatULaw       = 0x0007
	wavFormatExtensible = 0xFFFE
)

// wavFormatNames names the format tags most likely to be met, for error
// messages.
var wavFormatNames = map[uint16]string{
	0x0002: "Microsoft ADPCM",
	0x0003: "IEEE float",
	0x0006: "A-law",
	0x0011: "IMA ADPCM",
	0x0031: "GSM 6.10",
	0x0055: "MP3",
}

// wavHeaderSize is the size of the canonical header WriteWAV writes.
const wavHeaderSize = 44

// wavEncoding is a sample encoding this package can read.
type wavEncoding int

const (
	encPCM16 wavEncoding = iota + 1 // signed 16-bit little-endian linear PCM
	encULaw                         // G.711 μ-law, one byte per sample
)

// bytesPerSample returns the size of one sample in the data chunk.
func (e wavEncoding) bytesPerSample() int64 {
	if e == encPCM16 {
		return 2
	}
	return 1
}

// wavHeader is what readHeader learns before the first data byte.
type wavHeader struct {
	enc      wavEncoding
	dataSize uint32 // as declared by the data chunk header
}

// streamed reports whether the data chunk size is a placeholder left by a
// writer that did not know the length (0 or 0xFFFFFFFF), meaning the data
// runs to the end of the file.
func (h wavHeader) streamed() bool {
	return h.dataSize == 0 || h.dataSize == 0xFFFFFFFF
}

// usableBytes checks that got bytes of data are consistent with the header
// and returns how many of them make whole samples. For a declared size, got
// must be the declared size (less means truncation) and a whole number of
// samples; for a streamed size, a trailing partial sample is dropped.
func (h wavHeader) usableBytes(got int64) (int64, error) {
	if !h.streamed() && got < int64(h.dataSize) {
		return 0, fmt.Errorf("%w: data chunk truncated: header says %d bytes, found %d", ErrMalformedWAV, h.dataSize, got)
	}
	bps := h.enc.bytesPerSample()
	if rem := got % bps; rem != 0 {
		if !h.streamed() {
			return 0, fmt.Errorf("%w: data chunk size %d is not a whole number of 16-bit samples", ErrMalformedWAV, h.dataSize)
		}
		got -= rem
	}
	return got, nil
}

// ReadWAV reads a whole WAV file from r and returns its samples.
//
// It accepts RIFF/WAVE files holding 16-bit linear PCM (format 1) or 8-bit
// G.711 μ-law (format 7), mono, 8000 Hz; WAVE_FORMAT_EXTENSIBLE headers with
// those sub-formats are accepted too. μ-law is decoded to linear PCM. Chunks
// other than fmt and data (LIST, fact, ...) are skipped, and nothing after the
// data chunk is read. A data chunk size of 0 or 0xFFFFFFFF, left by writers
// that stream, means the data runs to the end of r; a trailing partial sample
// is then dropped.
//
// Errors wrap ErrNotWAV, ErrMalformedWAV or ErrUnsupportedWAV, and say what
// was found, for example "WAV is 44100 Hz stereo, want 8000 Hz mono"; errors
// from r itself are wrapped as they are.
func ReadWAV(r io.Reader) ([]int16, error) {
	h, err := readHeader(r)
	if err != nil {
		return nil, err
	}
	if !h.streamed() {
		r = io.LimitReader(r, int64(h.dataSize))
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("media: reading WAV data: %w", err)
	}
	n, err := h.usableBytes(int64(len(data)))
	if err != nil {
		return nil, err
	}
	data = data[:n]
	if h.enc == encULaw {
		return DecodeULaw(make([]int16, 0, len(data)), data), nil
	}
	samples := make([]int16, len(data)/2)
	for i := range samples {
		samples[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
	}
	return samples, nil
}

// ReadWAVFile reads the WAV file at path as ReadWAV does. Errors include the
// path.
func ReadWAVFile(path string) ([]int16, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *fs.PathError, which names the path
	}
	defer f.Close()
	samples, err := ReadWAV(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return samples, nil
}

// WAVDuration returns how long the WAV file at path plays, from its header
// and its size only, without reading or decoding the samples. It accepts
// exactly the files ReadWAV accepts and agrees with it:
// WAVDuration(path) == DurationOf(len(samples)). Errors include the path.
func WAVDuration(path string) (time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err // *fs.PathError, which names the path
	}
	defer f.Close()
	h, err := readHeader(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	pos, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	got := max(fi.Size()-pos, 0)
	if !h.streamed() {
		got = min(got, int64(h.dataSize))
	}
	n, err := h.usableBytes(got)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return DurationOf(int(n / h.enc.bytesPerSample())), nil
}

// readHeader reads the RIFF header and the chunks up to and including the
// data chunk header, leaving r at the first data byte.
func readHeader(r io.Reader) (wavHeader, error) {
	var riff [12]byte
	n, err := io.ReadFull(r, riff[:])
	if n >= 4 && string(riff[:4]) != "RIFF" {
		return wavHeader{}, fmt.Errorf("%w: starts with %q, want \"RIFF\"", ErrNotWAV, riff[:4])
	}
	if err != nil {
		return wavHeader{}, readErr(err, fmt.Sprintf("truncated RIFF header (%d of 12 bytes)", n))
	}
	if string(riff[8:12]) != "WAVE" {
		return wavHeader{}, fmt.Errorf("%w: RIFF form type is %q, want \"WAVE\"", ErrNotWAV, riff[8:12])
	}

	var h wavHeader
	for {
		var ch [8]byte
		n, err := io.ReadFull(r, ch[:])
		if err == io.EOF {
			if h.enc == 0 {
				return wavHeader{}, fmt.Errorf("%w: no fmt chunk", ErrMalformedWAV)
			}
			return wavHeader{}, fmt.Errorf("%w: no data chunk", ErrMalformedWAV)
		}
		if err != nil {
			return wavHeader{}, readErr(err, fmt.Sprintf("truncated chunk header (%d of 8 bytes)", n))
		}
		id, size := string(ch[:4]), binary.LittleEndian.Uint32(ch[4:])
		switch id {
		case "fmt ":
			if h.enc, err = readFmt(r, size); err != nil {
				return wavHeader{}, err
			}
		case "data":
			if h.enc == 0 {
				return wavHeader{}, fmt.Errorf("%w: data chunk before fmt chunk", ErrMalformedWAV)
			}
			h.dataSize = size
			return h, nil
		default:
			// Chunks are padded to an even size.
			if err := skip(r, int64(size)+int64(size&1)); err != nil {
				return wavHeader{}, readErr(err, fmt.Sprintf("truncated %q chunk", id))
			}
		}
	}
}

// readFmt reads the body of a fmt chunk of the given size and returns the
// encoding it describes, or an error saying why it is not supported.
func readFmt(r io.Reader, size uint32) (wavEncoding, error) {
	if size < 16 {
		return 0, fmt.Errorf("%w: fmt chunk is %d bytes, want at least 16", ErrMalformedWAV, size)
	}
	var b [40]byte // large enough for WAVE_FORMAT_EXTENSIBLE
	body := b[:min(size, uint32(len(b)))]
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, readErr(err, "truncated fmt chunk")
	}
	if err := skip(r, int64(size)-int64(len(body))+int64(size&1)); err != nil {
		return 0, readErr(err, "truncated fmt chunk")
	}
	format := binary.LittleEndian.Uint16(body[0:])
	channels := binary.LittleEndian.Uint16(body[2:])
	rate := binary.LittleEndian.Uint32(body[4:])
	bits := binary.LittleEndian.Uint16(body[14:])
	if format == wavFormatExtensible {
		if len(body) < 40 {
			return 0, fmt.Errorf("%w: WAVE_FORMAT_EXTENSIBLE fmt chunk is %d bytes, want 40", ErrMalformedWAV, size)
		}
		// The sub-format GUID starts with the format tag it stands for.
		format = binary.LittleEndian.Uint16(body[24:])
	}

	var enc wavEncoding
	switch {
	case format == wavFormatPCM && bits == 16:
		enc = encPCM16
	case format == wavFormatULaw && bits == 8:
		enc = encULaw
	case format == wavFormatPCM:
		return 0, fmt.Errorf("%w: WAV is %d-bit PCM, want 16-bit PCM or 8-bit μ-law", ErrUnsupportedWAV, bits)
	case format == wavFormatULaw:
		return 0, fmt.Errorf("%w: WAV is %d-bit μ-law, want 16-bit PCM or 8-bit μ-law", ErrUnsupportedWAV, bits)
	default:
		name := "format"
		if n, ok := wavFormatNames[format]; ok {
			name = n + " format"
		}
		return 0, fmt.Errorf("%w: WAV is %s 0x%04X, want 16-bit PCM or 8-bit μ-law", ErrUnsupportedWAV, name, format)
	}
	if rate != SampleRate || channels != 1 {
		return 0, fmt.Errorf("%w: WAV is %d Hz %s, want %d Hz mono", ErrUnsupportedWAV, rate, channelsName(channels), SampleRate)
	}
	return enc, nil
}

// channelsName describes a channel count: "mono", "stereo" or "N-channel".
func channelsName(n uint16) string {
	switch n {
	case 1:
		return "mono"
	case 2:
		return "stereo"
	}
	return fmt.Sprintf("%d-channel", n)
}

// readErr turns an end of input into ErrMalformedWAV with the given detail
// and wraps any other read error as it is.
func readErr(err error, detail string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %s", ErrMalformedWAV, detail)
	}
	return fmt.Errorf("media: reading WAV: %w", err)
}

// skip discards the next n bytes of r, seeking when r can. Seeking past the
// end is not an error here; the next read then finds the end.
func skip(r io.Reader, n int64) error {
	if n <= 0 {
		return nil
	}
	if s, ok := r.(io.Seeker); ok {
		if _, err := s.Seek(n, io.SeekCurrent); err == nil {
			return nil
		}
		// Not really seekable (a pipe, say): read instead.
	}
	if _, err := io.CopyN(io.Discard, r, n); err != nil {
		return err
	}
	return nil
}
