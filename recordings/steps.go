package recordings

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"gocloud.dev/blob"

	"github.com/hotline-ivr/hotline/ivr/media"
)

// process takes a claimed job from wherever it is to Cleaned, recording
// each step before the next.
func (p *Pipeline) process(ctx context.Context, j Job) error {
	if err := p.hook(ctx, j.ID, StepClaimed); err != nil {
		return err
	}
	for {
		switch j.State {
		case Pending:
			next, err := p.fetch(ctx, j)
			if err != nil {
				return err
			}
			if err := p.cfg.Jobs.AdvanceJob(ctx, p.cfg.Instance, Pending, next, p.cfg.Lease); err != nil {
				return err
			}
			j = next
			if err := p.hook(ctx, j.ID, StepFetched); err != nil {
				return err
			}
		case Fetched:
			next, err := p.store(ctx, j)
			if err != nil {
				return err
			}
			if err := p.hook(ctx, j.ID, StepUploaded); err != nil {
				return err
			}
			if err := p.cfg.Jobs.AdvanceJob(ctx, p.cfg.Instance, Fetched, next, p.cfg.Lease); err != nil {
				return err
			}
			j = next
			if err := p.hook(ctx, j.ID, StepStored); err != nil {
				return err
			}
		case Stored:
			if err := removeFile(p.workFile(j.ID)); err != nil {
				return err
			}
			for _, name := range j.Sources() {
				if err := p.cfg.Originals.Delete(ctx, name); err != nil {
					return err
				}
				if err := p.hook(ctx, j.ID, StepOriginalDeleted); err != nil {
					return err
				}
			}
			from := j.State
			j.State = Cleaned
			if err := p.cfg.Jobs.AdvanceJob(ctx, p.cfg.Instance, from, j, p.cfg.Lease); err != nil {
				return err
			}
			return p.hook(ctx, j.ID, StepCleaned)
		default:
			return fmt.Errorf("recording job %q is %s: nothing to do", j.ID, j.State)
		}
	}
}

func (p *Pipeline) workFile(id string) string { return filepath.Join(p.cfg.WorkDir, id+".wav") }

// fetch downloads the job's files from Asterisk, checks them, merges them
// into the stereo WAV to store, writes it to the work folder and returns
// the job as Fetched, with the file's hash, size and length.
func (p *Pipeline) fetch(ctx context.Context, j Job) (Job, error) {
	left, right, err := p.download(ctx, j)
	if err != nil {
		return j, err
	}
	path := p.workFile(j.ID)
	tmp, err := os.CreateTemp(p.cfg.WorkDir, "."+j.ID+".*.tmp")
	if err != nil {
		return j, fmt.Errorf("recording %q: work file: %w", j.ID, err)
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(tmp, h)}
	err = writeStereo(cw, left, right)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// No fsync: a work file lost to a power cut is fetched again, and
		// one damaged by it fails its hash before it is stored.
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return j, fmt.Errorf("recording %q: writing the work file: %w", j.ID, err)
	}
	j.State = Fetched
	j.SHA256 = hex.EncodeToString(h.Sum(nil))
	j.Size = cw.n
	j.Audio = media.DurationOf(max(len(left), len(right)))
	return j, nil
}

// download fetches and checks the job's files and returns the customer's
// (left) and agent's (right) audio.
func (p *Pipeline) download(ctx context.Context, j Job) (left, right []int16, err error) {
	want := j.Length()
	check := func(name string, n int) error {
		got := media.DurationOf(n)
		if n == 0 {
			return fmt.Errorf("%w: stored recording %q of recording %q is empty", ErrBadRecording, name, j.ID)
		}
		if diff := (got - want).Abs(); diff > p.cfg.DurationTolerance {
			return fmt.Errorf("%w: stored recording %q of recording %q lasts %s, the conversation %s (more than %s apart)",
				ErrBadRecording, name, j.ID, got.Round(time.Millisecond), want.Round(time.Millisecond), p.cfg.DurationTolerance)
		}
		return nil
	}
	if j.Layout() == Stereo {
		b, err := p.cfg.Originals.Download(ctx, j.Stereo)
		if err != nil {
			return nil, nil, err
		}
		if left, right, err = decodeStereo(j.Stereo, b); err != nil {
			return nil, nil, err
		}
		return left, right, check(j.Stereo, len(left))
	}
	var b []byte
	if b, err = p.cfg.Originals.Download(ctx, j.Customer); err == nil {
		left, err = decodeMono(j.Customer, b)
	}
	if err == nil {
		err = check(j.Customer, len(left))
	}
	if err != nil {
		return nil, nil, err
	}
	if b, err = p.cfg.Originals.Download(ctx, j.Agent); err == nil {
		right, err = decodeMono(j.Agent, b)
	}
	if err == nil {
		err = check(j.Agent, len(right))
	}
	if err != nil {
		return nil, nil, err
	}
	return left, right, nil
}

// store writes the work file to blob storage at the job's key and returns
// the job as Stored. A work file that is gone (another instance fetched,
// or the folder was lost) or that fails its hash is fetched again; the
// merge is deterministic, so it must come out the same.
func (p *Pipeline) store(ctx context.Context, j Job) (Job, error) {
	f, err := os.Open(p.workFile(j.ID))
	if errors.Is(err, fs.ErrNotExist) {
		if f, err = p.refetch(ctx, j); err != nil {
			return j, err
		}
	} else if err != nil {
		return j, fmt.Errorf("recording %q: %w", j.ID, err)
	}
	defer f.Close()
	key := BlobKey(j.ID)
	err = p.upload(ctx, j, key, f)
	var mismatch *hashMismatch
	if errors.As(err, &mismatch) {
		p.log.Warn("recordings: work file damaged; fetching again", "recording", j.ID, "error", err)
		f.Close()
		if f, err = p.refetch(ctx, j); err != nil {
			return j, err
		}
		defer f.Close()
		err = p.upload(ctx, j, key, f)
	}
	if err != nil {
		return j, err
	}
	j.State = Stored
	j.BlobKey = key
	return j, nil
}

// refetch fetches the job's files again into the work file and opens it,
// checking it comes out as it did the first time.
func (p *Pipeline) refetch(ctx context.Context, j Job) (*os.File, error) {
	again, err := p.fetch(ctx, j)
	if err != nil {
		return nil, err
	}
	if again.SHA256 != j.SHA256 || again.Size != j.Size {
		return nil, fmt.Errorf("%w: recording %q: Asterisk's files changed since they were first fetched (SHA-256 %s, was %s)",
			ErrBadRecording, j.ID, again.SHA256, j.SHA256)
	}
	f, err := os.Open(p.workFile(j.ID))
	if err != nil {
		return nil, fmt.Errorf("recording %q: %w", j.ID, err)
	}
	return f, nil
}

// hashMismatch is a work file that does not hash to what was recorded.
type hashMismatch struct{ got, want string }

func (e *hashMismatch) Error() string {
	return fmt.Sprintf("work file SHA-256 %s, recorded %s", e.got, e.want)
}

// upload writes r to key, checking on the way that it hashes to j.SHA256:
// a mismatch abandons the write, so the object is not replaced.
func (p *Pipeline) upload(ctx context.Context, j Job, key string, r io.Reader) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := p.cfg.Bucket.NewWriter(wctx, key, &blob.WriterOptions{
		ContentType: "audio/wav",
		Metadata:    map[string]string{"recording": j.ID, "call": j.CallID, "sha256": j.SHA256},
	})
	if err != nil {
		return fmt.Errorf("recording %q: writing %s: %w", j.ID, key, err)
	}
	h := sha256.New()
	n, err := io.Copy(w, io.TeeReader(bufio.NewReaderSize(r, 64<<10), h))
	if err == nil {
		if got := hex.EncodeToString(h.Sum(nil)); got != j.SHA256 || n != j.Size {
			cancel() // abandons the write
			_ = w.Close()
			return &hashMismatch{got: got, want: j.SHA256}
		}
	}
	if err != nil {
		cancel()
		_ = w.Close()
		return fmt.Errorf("recording %q: writing %s: %w", j.ID, key, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("recording %q: writing %s: %w", j.ID, key, err)
	}
	attrs, err := p.cfg.Bucket.Attributes(ctx, key)
	if err != nil {
		return fmt.Errorf("recording %q: checking %s: %w", j.ID, key, err)
	}
	if attrs.Size != j.Size {
		return fmt.Errorf("recording %q: %s holds %d bytes after writing %d", j.ID, key, attrs.Size, j.Size)
	}
	return nil
}

func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
