package media

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// wavWriteBuffer is how many bytes of samples WriteWAV encodes per Write.
const wavWriteBuffer = 8192

// WriteWAV writes samples to w as a WAV file: 16-bit linear PCM, mono,
// 8000 Hz, with the canonical 44-byte header (RIFF, a 16-byte fmt chunk, and
// the data chunk) and nothing else. It fails without writing if the samples
// do not fit in a RIFF file (more than about 2³¹).
func WriteWAV(w io.Writer, samples []int16) error {
	dataSize := uint64(len(samples)) * 2
	if dataSize > math.MaxUint32-(wavHeaderSize-8) {
		return fmt.Errorf("media: %d samples are too many for a WAV file", len(samples))
	}
	le := binary.LittleEndian
	buf := make([]byte, 0, wavHeaderSize+min(int(dataSize), wavWriteBuffer))
	buf = append(buf, "RIFF"...)
	buf = le.AppendUint32(buf, uint32(wavHeaderSize-8+dataSize))
	buf = append(buf, "WAVEfmt "...)
	buf = le.AppendUint32(buf, 16)           // fmt chunk size
	buf = le.AppendUint16(buf, wavFormatPCM) // format tag
	buf = le.AppendUint16(buf, 1)            // channels
	buf = le.AppendUint32(buf, SampleRate)   // sample rate
	buf = le.AppendUint32(buf, SampleRate*2) // byte rate
	buf = le.AppendUint16(buf, 2)            // block align
	buf = le.AppendUint16(buf, 16)           // bits per sample
	buf = append(buf, "data"...)
	buf = le.AppendUint32(buf, uint32(dataSize))
	for _, s := range samples {
		if len(buf)+2 > cap(buf) {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
		buf = le.AppendUint16(buf, uint16(s))
	}
	_, err := w.Write(buf)
	return err
}

// WriteWAVFile writes samples to path as WriteWAV does. It writes a temporary
// file in the same directory, syncs it, gives it mode 0644 and renames it over
// path, so that readers never see a partial file. Errors include the path.
func WriteWAVFile(path string, samples []int16) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("media: writing %s: %w", path, err)
	}
	tmp := f.Name()
	err = WriteWAV(f, samples)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("media: writing %s: %w", path, err)
	}
	return nil
}
