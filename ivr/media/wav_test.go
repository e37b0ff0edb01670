package media_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
)

// chunk builds a RIFF chunk with the given id, declared size and body, padded
// to an even length as RIFF requires.
func chunk(id string, size uint32, body []byte) []byte {
	b := append([]byte(id), binary.LittleEndian.AppendUint32(nil, size)...)
	b = append(b, body...)
	if len(body)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// streamedData builds a data chunk header with a placeholder size followed by
// body, unpadded, as a streaming writer leaves it.
func streamedData(size uint32, body []byte) []byte {
	return append(append([]byte("data"), binary.LittleEndian.AppendUint32(nil, size)...), body...)
}

// fmtBody builds a 16-byte fmt chunk body.
func fmtBody(format, channels uint16, rate uint32, bits uint16) []byte {
	le := binary.LittleEndian
	align := channels * max(bits/8, 1)
	b := le.AppendUint16(nil, format)
	b = le.AppendUint16(b, channels)
	b = le.AppendUint32(b, rate)
	b = le.AppendUint32(b, rate*uint32(align))
	b = le.AppendUint16(b, align)
	return le.AppendUint16(b, bits)
}

// fmtChunk builds a 16-byte fmt chunk.
func fmtChunk(format, channels uint16, rate uint32, bits uint16) []byte {
	return chunk("fmt ", 16, fmtBody(format, channels, rate, bits))
}

// dataChunk builds a data chunk declaring its real size.
func dataChunk(body []byte) []byte {
	return chunk("data", uint32(len(body)), body)
}

// riff wraps chunks in a RIFF/WAVE header with the given declared size.
func riffSized(size uint32, chunks ...[]byte) []byte {
	b := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, size)...)
	b = append(b, "WAVE"...)
	for _, c := range chunks {
		b = append(b, c...)
	}
	return b
}

// riff wraps chunks in a RIFF/WAVE header with the right size.
func riff(chunks ...[]byte) []byte {
	n := 4
	for _, c := range chunks {
		n += len(c)
	}
	return riffSized(uint32(n), chunks...)
}

// pcm encodes samples as 16-bit little-endian bytes.
func pcm(samples ...int16) []byte {
	var b []byte
	for _, s := range samples {
		b = binary.LittleEndian.AppendUint16(b, uint16(s))
	}
	return b
}

// wavBytes is a WriteWAV that fails the test on error.
func wavBytes(t testing.TB, samples []int16) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := media.WriteWAV(&buf, samples); err != nil {
		t.Fatalf("WriteWAV: %v", err)
	}
	return buf.Bytes()
}

func TestWAVRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		samples []int16
	}{
		{"empty", []int16{}},
		{"one sample", []int16{-5}},
		{"extremes", []int16{-32768, 32767, 0, -1, 1, 256, -256}},
		{"odd length tone", media.Tone(1234*time.Microsecond*125, 0.7, 440)},
		{"two seconds, several writes", media.Tone(2*time.Second, 0.9, 350, 440)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := wavBytes(t, tt.samples)
			if got, want := len(b), 44+2*len(tt.samples); got != want {
				t.Errorf("file is %d bytes, want %d", got, want)
			}
			got, err := media.ReadWAV(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("ReadWAV: %v", err)
			}
			if !slices.Equal(got, tt.samples) {
				t.Errorf("read back %d samples %v..., want %d samples %v...", len(got), head(got), len(tt.samples), head(tt.samples))
			}
		})
	}
}

func head(s []int16) []int16 { return s[:min(len(s), 8)] }

func TestWriteWAVHeader(t *testing.T) {
	got := wavBytes(t, []int16{1, -2, 0x1234})
	want := []byte{
		'R', 'I', 'F', 'F', 42, 0, 0, 0, 'W', 'A', 'V', 'E',
		'f', 'm', 't', ' ', 16, 0, 0, 0,
		1, 0, // PCM
		1, 0, // mono
		0x40, 0x1F, 0, 0, // 8000 Hz
		0x80, 0x3E, 0, 0, // 16000 bytes/s
		2, 0, // block align
		16, 0, // bits
		'd', 'a', 't', 'a', 6, 0, 0, 0,
		1, 0, 0xFE, 0xFF, 0x34, 0x12,
	}
	if !bytes.Equal(got, want) {
		t.Errorf("WriteWAV wrote\n% x\nwant\n% x", got, want)
	}
}

func TestReadWAV(t *testing.T) {
	extensible := func(sub uint16, bits uint16) []byte {
		le := binary.LittleEndian
		b := fmtBody(0xFFFE, 1, 8000, bits)
		b = le.AppendUint16(b, 22)   // cbSize
		b = le.AppendUint16(b, bits) // valid bits
		b = le.AppendUint32(b, 4)    // channel mask: front centre
		b = le.AppendUint16(b, sub)  // sub-format GUID ...
		b = append(b, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71)
		return chunk("fmt ", uint32(len(b)), b)
	}
	list := chunk("LIST", 13, []byte("INFOISFT\x01\x00\x00\x00x")) // odd size, padded
	tests := []struct {
		name string
		in   []byte
		want []int16
	}{
		{"pcm", riff(fmtChunk(1, 1, 8000, 16), dataChunk(pcm(1, -1, 32767, -32768))), []int16{1, -1, 32767, -32768}},
		{"mu-law", riff(fmtChunk(7, 1, 8000, 8), dataChunk([]byte{0xFF, 0x00, 0x80, 0x7F, 0xF0, 0x70, 0xEF})), []int16{0, -32124, 32124, 0, 120, -120, 132}},
		{"mu-law with fact chunk", riff(fmtChunk(7, 1, 8000, 8), chunk("fact", 4, []byte{2, 0, 0, 0}), dataChunk([]byte{0x80, 0x81})), []int16{32124, 31100}},
		{"LIST chunk before fmt", riff(list, fmtChunk(1, 1, 8000, 16), dataChunk(pcm(7, 8))), []int16{7, 8}},
		{"odd LIST chunk between fmt and data", riff(fmtChunk(1, 1, 8000, 16), list, dataChunk(pcm(7, 8))), []int16{7, 8}},
		{"chunks after data are not read", riff(fmtChunk(1, 1, 8000, 16), dataChunk(pcm(7, 8)), list), []int16{7, 8}},
		{"fmt chunk of 18 bytes", riff(chunk("fmt ", 18, append(fmtBody(1, 1, 8000, 16), 0, 0)), dataChunk(pcm(3))), []int16{3}},
		{"extensible pcm", riff(extensible(1, 16), dataChunk(pcm(9, -9))), []int16{9, -9}},
		{"extensible mu-law", riff(extensible(7, 8), dataChunk([]byte{0x80})), []int16{32124}},
		{"streamed size 0", riffSized(0, fmtChunk(1, 1, 8000, 16), streamedData(0, pcm(5, 6, 7))), []int16{5, 6, 7}},
		{"streamed size 0xFFFFFFFF", riffSized(0xFFFFFFFF, fmtChunk(1, 1, 8000, 16), streamedData(0xFFFFFFFF, pcm(5, 6, 7))), []int16{5, 6, 7}},
		{"streamed mu-law", riffSized(0, fmtChunk(7, 1, 8000, 8), streamedData(0, []byte{0xFF, 0x80, 0x00})), []int16{0, 32124, -32124}},
		{"streamed drops a partial sample", riffSized(0, fmtChunk(1, 1, 8000, 16), append(streamedData(0, pcm(5, 6)), 0x01)), []int16{5, 6}},
		{"streamed and empty", riffSized(0, fmtChunk(1, 1, 8000, 16), streamedData(0, nil)), []int16{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := media.ReadWAV(bytes.NewReader(tt.in))
			if err != nil {
				t.Fatalf("ReadWAV: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ReadWAV = %v, want %v", got, tt.want)
			}
			// Without io.Seeker, unknown chunks are read and discarded.
			got, err = media.ReadWAV(struct{ *bytes.Reader }{bytes.NewReader(tt.in)})
			if err != nil {
				t.Fatalf("ReadWAV without Seek: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ReadWAV without Seek = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReadWAVErrors(t *testing.T) {
	valid := wavBytes(t, []int16{1, 2, 3})
	pcmData := dataChunk(pcm(1, 2))
	tests := []struct {
		name    string
		in      []byte
		wantErr error
		wantMsg string
	}{
		{"44.1 kHz stereo", riff(fmtChunk(1, 2, 44100, 16), pcmData), media.ErrUnsupportedWAV, "WAV is 44100 Hz stereo, want 8000 Hz mono"},
		{"16 kHz mono", riff(fmtChunk(1, 1, 16000, 16), pcmData), media.ErrUnsupportedWAV, "WAV is 16000 Hz mono, want 8000 Hz mono"},
		{"8 kHz 6 channels", riff(fmtChunk(1, 6, 8000, 16), pcmData), media.ErrUnsupportedWAV, "WAV is 8000 Hz 6-channel, want 8000 Hz mono"},
		{"mu-law stereo", riff(fmtChunk(7, 2, 8000, 8), pcmData), media.ErrUnsupportedWAV, "WAV is 8000 Hz stereo, want 8000 Hz mono"},
		{"8-bit PCM", riff(fmtChunk(1, 1, 8000, 8), pcmData), media.ErrUnsupportedWAV, "WAV is 8-bit PCM, want 16-bit PCM or 8-bit μ-law"},
		{"24-bit PCM", riff(fmtChunk(1, 1, 8000, 24), pcmData), media.ErrUnsupportedWAV, "WAV is 24-bit PCM"},
		{"A-law", riff(fmtChunk(6, 1, 8000, 8), pcmData), media.ErrUnsupportedWAV, "WAV is A-law format 0x0006"},
		{"IEEE float", riff(fmtChunk(3, 1, 8000, 32), pcmData), media.ErrUnsupportedWAV, "WAV is IEEE float format 0x0003"},
		{"unknown format", riff(fmtChunk(0x1234, 1, 8000, 4), pcmData), media.ErrUnsupportedWAV, "WAV is format 0x1234"},
		{"not RIFF", []byte("ID3\x03\x00\x00\x00\x00\x00\x00\x00\x00"), media.ErrNotWAV, `starts with "ID3\x03", want "RIFF"`},
		{"short and not RIFF", []byte("OggS"), media.ErrNotWAV, `starts with "OggS"`},
		{"RIFF but not WAVE", append([]byte("RIFF\x04\x00\x00\x00AVI "), pcmData...), media.ErrNotWAV, `form type is "AVI ", want "WAVE"`},
		{"empty", nil, media.ErrMalformedWAV, "truncated RIFF header (0 of 12 bytes)"},
		{"truncated RIFF header", valid[:10], media.ErrMalformedWAV, "truncated RIFF header (10 of 12 bytes)"},
		{"truncated chunk header", valid[:15], media.ErrMalformedWAV, "truncated chunk header (3 of 8 bytes)"},
		{"truncated fmt chunk", valid[:30], media.ErrMalformedWAV, "truncated fmt chunk"},
		{"fmt chunk too short", riff(chunk("fmt ", 14, fmtBody(1, 1, 8000, 16)[:14]), pcmData), media.ErrMalformedWAV, "fmt chunk is 14 bytes, want at least 16"},
		{"no fmt chunk", riff(chunk("LIST", 2, []byte("xx"))), media.ErrMalformedWAV, "no fmt chunk"},
		{"no data chunk", riff(fmtChunk(1, 1, 8000, 16)), media.ErrMalformedWAV, "no data chunk"},
		{"data before fmt", riff(pcmData, fmtChunk(1, 1, 8000, 16)), media.ErrMalformedWAV, "data chunk before fmt chunk"},
		{"truncated data", valid[:len(valid)-1], media.ErrMalformedWAV, "data chunk truncated: header says 6 bytes, found 5"},
		{"odd PCM data size", riff(fmtChunk(1, 1, 8000, 16), chunk("data", 3, []byte{1, 2, 3})), media.ErrMalformedWAV, "data chunk size 3 is not a whole number of 16-bit samples"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := media.ReadWAV(bytes.NewReader(tt.in))
			if err == nil {
				t.Fatalf("ReadWAV = %v, nil; want error %q", got, tt.wantMsg)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("ReadWAV error %q does not wrap %q", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("ReadWAV error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

// failingReader returns its data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReadWAVReaderError(t *testing.T) {
	errDisk := errors.New("disk on fire")
	valid := wavBytes(t, []int16{1, 2, 3})
	for _, n := range []int{0, 8, 20, 44, 46} {
		_, err := media.ReadWAV(&failingReader{data: valid[:n], err: errDisk})
		if !errors.Is(err, errDisk) {
			t.Errorf("ReadWAV after %d bytes: error %v, want it to wrap %v", n, err, errDisk)
		}
	}
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadWAVFile(t *testing.T) {
	want := media.Tone(300*time.Millisecond, 0.5, 1000)
	good := writeFile(t, "good.wav", wavBytes(t, want))
	got, err := media.ReadWAVFile(good)
	if err != nil {
		t.Fatalf("ReadWAVFile: %v", err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("ReadWAVFile read %d samples, want %d equal to those written", len(got), len(want))
	}

	for name, path := range map[string]string{
		"missing":  filepath.Join(t.TempDir(), "missing.wav"),
		"not WAV":  writeFile(t, "notes.txt", []byte("hello, this is not audio")),
		"44.1 kHz": writeFile(t, "cd.wav", riff(fmtChunk(1, 2, 44100, 16), dataChunk(pcm(1, 2)))),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := media.ReadWAVFile(path)
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("ReadWAVFile(%q) error = %v, want one naming the path", path, err)
			}
		})
	}
}

func TestWAVDuration(t *testing.T) {
	ulaw := func(n int) []byte { return bytes.Repeat([]byte{0xFF}, n) }
	list := chunk("LIST", 5, []byte("INFOx"))
	tests := []struct {
		name string
		file []byte
		want time.Duration
	}{
		{"empty pcm", wavBytes(t, nil), 0},
		{"one pcm sample", wavBytes(t, []int16{1}), 125 * time.Microsecond},
		{"one second pcm", wavBytes(t, make([]int16, 8000)), time.Second},
		{"12345 pcm samples", wavBytes(t, make([]int16, 12345)), 1543125 * time.Microsecond},
		{"one second mu-law", riff(fmtChunk(7, 1, 8000, 8), dataChunk(ulaw(8000))), time.Second},
		{"half a second mu-law with LIST", riff(list, fmtChunk(7, 1, 8000, 8), list, dataChunk(ulaw(4000))), 500 * time.Millisecond},
		{"trailing chunk not counted", riff(fmtChunk(7, 1, 8000, 8), dataChunk(ulaw(4000)), list), 500 * time.Millisecond},
		{"streamed pcm", riffSized(0, fmtChunk(1, 1, 8000, 16), streamedData(0, make([]byte, 1601))), 100 * time.Millisecond},
		{"streamed mu-law", riffSized(0xFFFFFFFF, fmtChunk(7, 1, 8000, 8), streamedData(0xFFFFFFFF, ulaw(1601))), 200125 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "x.wav", tt.file)
			got, err := media.WAVDuration(path)
			if err != nil {
				t.Fatalf("WAVDuration: %v", err)
			}
			if got != tt.want {
				t.Errorf("WAVDuration = %v, want %v", got, tt.want)
			}
			samples, err := media.ReadWAVFile(path)
			if err != nil {
				t.Fatalf("ReadWAVFile: %v", err)
			}
			if got, want := media.DurationOf(len(samples)), tt.want; got != want {
				t.Errorf("ReadWAVFile read %v of samples, want %v", got, want)
			}
		})
	}

	valid := wavBytes(t, make([]int16, 100))
	for name, tc := range map[string]struct {
		file    []byte
		wantMsg string
	}{
		"truncated data": {valid[:len(valid)-2], "header says 200 bytes, found 198"},
		"stereo":         {riff(fmtChunk(1, 2, 8000, 16), dataChunk(pcm(1, 2))), "WAV is 8000 Hz stereo"},
		"not WAV":        {[]byte("#!/bin/sh\necho hi\n"), "not a RIFF/WAVE file"},
	} {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, "bad.wav", tc.file)
			_, err := media.WAVDuration(path)
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) || !strings.Contains(err.Error(), path) {
				t.Errorf("WAVDuration error = %v, want one naming %q and saying %q", err, path, tc.wantMsg)
			}
		})
	}
	missing := filepath.Join(t.TempDir(), "missing.wav")
	if _, err := media.WAVDuration(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("WAVDuration(missing) error = %v, want one naming the path", err)
	}
}

func TestWriteWAVFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rec.wav")
	for i, samples := range [][]int16{media.Tone(time.Second, 0.5, 440), {1, 2, 3}} {
		if err := media.WriteWAVFile(path, samples); err != nil {
			t.Fatalf("write %d: WriteWAVFile: %v", i, err)
		}
		got, err := media.ReadWAVFile(path)
		if err != nil {
			t.Fatalf("write %d: ReadWAVFile: %v", i, err)
		}
		if !slices.Equal(got, samples) {
			t.Errorf("write %d: read back %d samples, want the %d written", i, len(got), len(samples))
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"rec.wav"}; !slices.Equal(names, want) {
		t.Errorf("directory holds %q, want %q (no temporary files left)", names, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), os.FileMode(0o644); got != want {
		t.Errorf("file mode %v, want %v", got, want)
	}

	// A failed rename (path is a directory) leaves no temporary file behind.
	dir2 := t.TempDir()
	taken := filepath.Join(dir2, "taken.wav")
	if err := os.MkdirAll(filepath.Join(taken, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := media.WriteWAVFile(taken, []int16{1}); err == nil || !strings.Contains(err.Error(), taken) {
		t.Errorf("WriteWAVFile over a directory: error %v, want one naming %q", err, taken)
	}
	if entries, err := os.ReadDir(dir2); err != nil || len(entries) != 1 {
		t.Errorf("after a failed write the directory holds %d entries (%v), want only the one there before", len(entries), err)
	}

	bad := filepath.Join(dir, "no", "such", "dir", "rec.wav")
	if err := media.WriteWAVFile(bad, []int16{1}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("WriteWAVFile into a missing directory: error %v, want one naming %q", err, bad)
	}
}

func FuzzReadWAV(f *testing.F) {
	f.Add(wavBytes(f, media.Tone(10*time.Millisecond, 0.5, 440)))
	f.Add(riff(fmtChunk(7, 1, 8000, 8), chunk("LIST", 3, []byte("abc")), dataChunk([]byte{0xFF, 0x00, 0x80})))
	f.Add(riffSized(0, fmtChunk(1, 1, 8000, 16), streamedData(0, pcm(1, 2, 3))))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEfmt \x10\x00\x00\x00"))
	path := filepath.Join(f.TempDir(), "fuzz.wav")
	f.Fuzz(func(t *testing.T, in []byte) {
		samples, err := media.ReadWAV(bytes.NewReader(in))
		// WAVDuration accepts what ReadWAV accepts and agrees with it.
		if werr := os.WriteFile(path, in, 0o644); werr != nil {
			t.Fatal(werr)
		}
		d, derr := media.WAVDuration(path)
		if (err == nil) != (derr == nil) {
			t.Errorf("ReadWAV error %v but WAVDuration error %v", err, derr)
		}
		if err != nil {
			if samples != nil {
				t.Errorf("ReadWAV returned %d samples with error %v", len(samples), err)
			}
			return
		}
		if want := media.DurationOf(len(samples)); d != want {
			t.Errorf("WAVDuration = %v, want %v for %d samples", d, want, len(samples))
		}
		// Whatever was read writes and reads back the same.
		again, err := media.ReadWAV(bytes.NewReader(wavBytes(t, samples)))
		if err != nil || !slices.Equal(again, samples) {
			t.Errorf("round trip of %d samples: got %d, %v", len(samples), len(again), err)
		}
	})
}
