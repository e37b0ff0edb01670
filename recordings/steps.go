package recordings

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"gocloud.dev/blob"

	"github.com/hotline-ivr/hotline/ivr/media"
)

// process takes a claimed job from wherever it is to Cleaned, recording
// each step before the next; *j follows what is recorded.
func (p *Pipeline) process(ctx context.Context, j *Job) error {
	if err := p.hook(ctx, j.ID, StepClaimed); err != nil {
		return err
	}
	var merged []byte // the stereo WAV, once fetched by this worker
	for {
		switch j.State {
		case Pending:
			next, data, err := p.fetch(ctx, *j)
			if err != nil {
				return err
			}
			if err := p.cfg.Jobs.AdvanceJob(ctx, p.cfg.Instance, Pending, next, p.cfg.Lease); err != nil {
				return err
			}
			*j, merged = next, data
			if err := p.hook(ctx, j.ID, StepFetched); err != nil {
				return err
			}
		case Fetched:
			if merged == nil { // fetched before a restart: fetch again
				var err error
				if merged, err = p.refetch(ctx, *j); err != nil {
					return err
				}
			}
			next, err := p.store(ctx, *j, merged)
			if err != nil {
				return err
			}
			if err := p.hook(ctx, j.ID, StepUploaded); err != nil {
				return err
			}
			if err := p.cfg.Jobs.AdvanceJob(ctx, p.cfg.Instance, Fetched, next, p.cfg.Lease); err != nil {
				return err
			}
			*j, merged = next, nil
			if err := p.hook(ctx, j.ID, StepStored); err != nil {
				return err
			}
		case Stored:
			for _, name := range j.Sources() {
				if err := p.cfg.Originals.Delete(ctx, name); err != nil {
					return err
				}
				if err := p.hook(ctx, j.ID, StepOriginalDeleted); err != nil {
					return err
				}
			}
			next := *j
			next.State = Cleaned
			if err := p.cfg.Jobs.AdvanceJob(ctx, p.cfg.Instance, Stored, next, p.cfg.Lease); err != nil {
				return err
			}
			*j = next
			return p.hook(ctx, j.ID, StepCleaned)
		default:
			return fmt.Errorf("recording job %q is %s: nothing to do", j.ID, j.State)
		}
	}
}

// fetch downloads the job's files from Asterisk, checks them and merges
// them into the stereo WAV to store; it returns the job as Fetched, with
// the WAV's hash, size and length, and the WAV.
func (p *Pipeline) fetch(ctx context.Context, j Job) (Job, []byte, error) {
	b, frames, err := p.download(ctx, j)
	if err != nil {
		return j, nil, err
	}
	sum := sha256.Sum256(b)
	j.State = Fetched
	j.SHA256 = hex.EncodeToString(sum[:])
	j.Size = int64(len(b))
	j.Audio = media.DurationOf(frames)
	return j, b, nil
}

// refetch fetches a job that was fetched before a restart again, checking
// the merge comes out as it did (it is deterministic, and the originals
// stay on Asterisk until the job is stored).
func (p *Pipeline) refetch(ctx context.Context, j Job) ([]byte, error) {
	again, b, err := p.fetch(ctx, j)
	if err != nil {
		return nil, err
	}
	if again.SHA256 != j.SHA256 || again.Size != j.Size {
		return nil, fmt.Errorf("%w: recording %q: Asterisk's files changed since they were first fetched (SHA-256 %s, was %s)",
			ErrBadRecording, j.ID, again.SHA256, j.SHA256)
	}
	return b, nil
}

// download fetches the job's files, checks them and returns the stereo
// WAV to store, customer left and agent right, and its length in frames.
func (p *Pipeline) download(ctx context.Context, j Job) (wav []byte, frames int, err error) {
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
	bad := func(err error) error {
		return fmt.Errorf("%w: recording %q: %v", ErrBadRecording, j.ID, err)
	}
	if j.Layout() == Mono {
		// A voice message is as long as the caller spoke: its span is
		// known to the second at best (or not at all when the caller hung
		// up unseen), so only an empty file is refused.
		b, err := p.cfg.Originals.Download(ctx, j.Mono)
		if err != nil {
			return nil, 0, err
		}
		voice, err := monoPCM(j.Mono, b)
		if err != nil {
			return nil, 0, err
		}
		if len(voice) < 2 {
			return nil, 0, fmt.Errorf("%w: stored recording %q of recording %q is empty", ErrBadRecording, j.Mono, j.ID)
		}
		if wav, err = interleave(voice, nil); err != nil {
			return nil, 0, bad(err)
		}
		return wav, (len(wav) - stereoHeaderSize) / stereoFrameBytes, nil
	}
	if j.Layout() == Stereo {
		b, err := p.cfg.Originals.Download(ctx, j.Stereo)
		if err != nil {
			return nil, 0, err
		}
		data, err := stereoFrames(j.Stereo, b)
		if err != nil {
			return nil, 0, err
		}
		frames = len(data) / stereoFrameBytes
		if err := check(j.Stereo, frames); err != nil {
			return nil, 0, err
		}
		wav, err = stereoWAV(frames, func(d []byte) { copy(d, data) })
		if err != nil {
			return nil, 0, bad(err)
		}
		return wav, frames, nil
	}
	var sides [2][]byte
	for i, name := range []string{j.Customer, j.Agent} {
		b, err := p.cfg.Originals.Download(ctx, name)
		if err != nil {
			return nil, 0, err
		}
		if sides[i], err = monoPCM(name, b); err != nil {
			return nil, 0, err
		}
		if err := check(name, len(sides[i])/2); err != nil {
			return nil, 0, err
		}
	}
	lead := leadFrames(j.AgentLead)
	if wav, err = interleaveAt(sides[0], sides[1], lead); err != nil {
		return nil, 0, bad(err)
	}
	return wav, (len(wav) - stereoHeaderSize) / stereoFrameBytes, nil
}

// store writes the merged WAV to blob storage at the job's key, replacing
// whatever a write before a crash left there, checks what the store holds
// now, and returns the job as Stored.
func (p *Pipeline) store(ctx context.Context, j Job, merged []byte) (Job, error) {
	key := BlobKey(j.ID)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := p.cfg.Bucket.NewWriter(wctx, key, &blob.WriterOptions{
		ContentType: "audio/wav",
		Metadata:    map[string]string{"recording": j.ID, "call": j.CallID, "sha256": j.SHA256},
	})
	if err != nil {
		return j, fmt.Errorf("recording %q: writing %s: %w", j.ID, key, err)
	}
	if _, err := io.Copy(w, bytes.NewReader(merged)); err != nil {
		cancel() // abandons the write: the object is not replaced
		_ = w.Close()
		return j, fmt.Errorf("recording %q: writing %s: %w", j.ID, key, err)
	}
	if err := w.Close(); err != nil {
		return j, fmt.Errorf("recording %q: writing %s: %w", j.ID, key, err)
	}
	attrs, err := p.cfg.Bucket.Attributes(ctx, key)
	if err != nil {
		return j, fmt.Errorf("recording %q: checking %s: %w", j.ID, key, err)
	}
	if attrs.Size != j.Size {
		return j, fmt.Errorf("recording %q: %s holds %d bytes after writing %d", j.ID, key, attrs.Size, j.Size)
	}
	instruments.bytes.Add(ctx, attrs.Size)
	j.State = Stored
	j.BlobKey = key
	return j, nil
}
