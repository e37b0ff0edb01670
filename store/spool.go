package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The spool file is where a Writer keeps records while PostgreSQL is
// unreachable (or slower than the calls): a header, then frames appended
// one after another, each
//
//	length  uint32, little-endian: of the payload
//	crc     uint32, little-endian: CRC-32C of the payload
//	payload the record (see appendRecord)
//
// A crash can leave a torn last frame; opening the spool drops it with a
// warning. Once every frame has been replayed into PostgreSQL the file is
// truncated back to its header.
const (
	spoolHeader   = "hotline call-records spool v1\n"
	frameHeader   = 8
	maxFrame      = 16 << 20 // a bigger length is a torn or corrupt frame
	flushAt       = 256 << 10
	maxSpoolAhead = 256 << 20 // buffered bytes kept when the disk refuses writes
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var errTornFrame = errors.New("torn or corrupt spool frame")

// spool is the file. The Writer's mutex guards everything but sync and
// read, which the Writer's loop calls on its own.
type spool struct {
	path  string
	f     *os.File
	buf   []byte // frames not yet written to f
	size  int64  // bytes in f
	read0 int64  // where replay goes on from: the loop's alone
	count int64  // records not yet replayed (in f or buf)
}

// openSpool opens (creating) the spool file at path, takes its lock and
// checks it: count is the records it holds, and a torn tail is cut off. A
// file that does not start like a spool (a damaged header) is no reason to
// refuse calls: it is reported, moved aside untouched for someone to look
// at (see DamagedSpoolSuffix), and a new spool is started.
func openSpool(path string, log *slog.Logger) (*spool, error) {
	s, err := openSpoolFile(path, log)
	if !errors.Is(err, ErrBadSpool) {
		return s, err
	}
	aside := path + DamagedSpoolSuffix + time.Now().UTC().Format("20060102T150405.000000000Z")
	if rerr := os.Rename(path, aside); rerr != nil {
		return nil, fmt.Errorf("%w; moving it aside failed: %w", err, rerr)
	}
	log.Error("the spool file's header is damaged: it was moved aside, untouched, and a new spool started; "+
		"records it held are not replayed", "spool", path, "moved_to", aside, "error", err)
	if err := syncDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	return openSpoolFile(path, log)
}

// DamagedSpoolSuffix, then a UTC timestamp, ends the name a damaged spool
// file is moved aside to.
const DamagedSpoolSuffix = ".damaged-"

func openSpoolFile(path string, log *slog.Logger) (*spool, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s", ErrSpoolInUse, path)
	}
	s := &spool{path: path, f: f}
	if err := s.recover(log); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func (s *spool) recover(log *slog.Logger) error {
	fi, err := s.f.Stat()
	if err != nil {
		return err
	}
	head := make([]byte, min(fi.Size(), int64(len(spoolHeader))))
	if _, err := s.f.ReadAt(head, 0); err != nil || !strings.HasPrefix(spoolHeader, string(head)) {
		return fmt.Errorf("%w: %s", ErrBadSpool, s.path)
	}
	if len(head) < len(spoolHeader) { // new, or a crash while it was new
		if err := s.f.Truncate(0); err != nil {
			return err
		}
		if _, err := s.f.Write([]byte(spoolHeader)); err != nil {
			return err
		}
		s.size, s.read0 = int64(len(spoolHeader)), int64(len(spoolHeader))
		return errors.Join(s.f.Sync(), syncDir(filepath.Dir(s.path)))
	}
	end, n, err := scanFrames(io.NewSectionReader(s.f, int64(len(spoolHeader)), fi.Size()-int64(len(spoolHeader))), func([]byte) bool { return true })
	end += int64(len(spoolHeader))
	if err != nil {
		log.Warn("the spool file ends in a torn record, from a crash while writing it; dropping it",
			"spool", s.path, "kept_records", n, "dropped_bytes", fi.Size()-end)
		if err := s.f.Truncate(end); err != nil {
			return err
		}
		if err := s.f.Sync(); err != nil {
			return err
		}
	}
	s.size, s.read0, s.count = end, int64(len(spoolHeader)), n
	return nil
}

// scanFrames reads frames from r, handing each payload to fn until it
// returns false, and returns the length of the whole frames read and their
// number; errTornFrame if a frame is cut short or fails its checksum.
func scanFrames(r io.Reader, fn func(payload []byte) bool) (int64, int64, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var off, n int64
	var head [frameHeader]byte
	var payload []byte
	for {
		if _, err := io.ReadFull(br, head[:]); err != nil {
			if err == io.EOF {
				return off, n, nil
			}
			return off, n, errTornFrame
		}
		size := binary.LittleEndian.Uint32(head[0:4])
		if size == 0 || size > maxFrame { // no record encodes to nothing
			return off, n, errTornFrame
		}
		if cap(payload) < int(size) {
			payload = make([]byte, size)
		}
		payload = payload[:size]
		if _, err := io.ReadFull(br, payload); err != nil {
			return off, n, errTornFrame
		}
		if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(head[4:8]) {
			return off, n, errTornFrame
		}
		off += frameHeader + int64(size)
		n++
		if !fn(payload) {
			return off, n, nil
		}
	}
}

// empty reports whether every record has been replayed.
func (s *spool) empty() bool { return s.read0 == s.size && len(s.buf) == 0 }

// append adds r at the end; it reaches the file on the next flush.
func (s *spool) append(r Record) error {
	if len(s.buf) > maxSpoolAhead {
		return fmt.Errorf("the spool file %s refuses writes and %d bytes are waiting", s.path, len(s.buf))
	}
	at := len(s.buf)
	buf, err := appendRecord(append(s.buf, make([]byte, frameHeader)...), r)
	if err != nil {
		s.buf = s.buf[:at]
		return err
	}
	payload := buf[at+frameHeader:]
	binary.LittleEndian.PutUint32(buf[at:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(buf[at+4:], crc32.Checksum(payload, castagnoli))
	s.buf = buf
	s.count++
	if len(s.buf) >= flushAt {
		return s.flush()
	}
	return nil
}

// flush writes the buffered frames to the file (not to the disk: sync).
func (s *spool) flush() error {
	if len(s.buf) == 0 {
		return nil
	}
	n, err := s.f.Write(s.buf)
	s.size += int64(n)
	s.buf = s.buf[:copy(s.buf, s.buf[n:])]
	return err
}

// sync makes what flush wrote durable. It may run beside appends.
func (s *spool) sync() error { return s.f.Sync() }

// read decodes up to max frames of the file from s.read0, not past end, and
// returns their records, the offset after them and how many frames that
// was. A frame that does not decode, or a corrupt one, is reported through
// drop and skipped (with the rest of the range, for a corrupt frame). It
// runs beside appends.
func (s *spool) read(end int64, max int, drop func(error)) (recs []Record, next int64, frames int) {
	n, _, err := scanFrames(io.NewSectionReader(s.f, s.read0, end-s.read0), func(payload []byte) bool {
		frames++
		r, err := decodeRecord(payload)
		if err != nil {
			drop(fmt.Errorf("undecodable record in the spool file %s: %w", s.path, err))
		} else {
			recs = append(recs, r)
		}
		return frames < max
	})
	if err != nil {
		drop(fmt.Errorf("%w in %s at offset %d; skipping to offset %d", err, s.path, s.read0+n, end))
		return recs, end, frames
	}
	return recs, s.read0 + n, frames
}

// consumed records that the frames before next, n of them, are in
// PostgreSQL, and truncates the file when nothing is left to replay.
func (s *spool) consumed(next int64, n int) error {
	s.read0 = next
	s.count = max(0, s.count-int64(n))
	if s.read0 < s.size || len(s.buf) > 0 {
		return nil
	}
	s.count = 0
	if err := s.f.Truncate(int64(len(spoolHeader))); err != nil {
		return err
	}
	s.size, s.read0 = int64(len(spoolHeader)), int64(len(spoolHeader))
	return nil
}

// syncDir makes a new file's name in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (s *spool) close() error {
	err := s.flush()
	return errors.Join(err, s.f.Sync(), s.f.Close())
}
