package recordings

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Expired is where the retention job finds expired recordings and marks
// them deleted (store.Recordings).
type Expired interface {
	// ExpiredRecordings returns up to limit recordings whose expiry has
	// come, not under a legal hold, Cleaned or Deleting, oldest first.
	ExpiredRecordings(ctx context.Context, limit int) ([]Job, error)
	// BeginDelete makes an expired, unheld Cleaned recording Deleting;
	// false if it is held (or no longer expired or cleaned) now.
	BeginDelete(ctx context.Context, id string) (bool, error)
	// BeginDeleteNow makes a Cleaned recording Deleting whatever its
	// expiry (an administrator's deletion): ErrLegalHold if it is held,
	// ErrRecordingDeleted, ErrNotStored or ErrUnknownRecording if it is
	// not Cleaned.
	BeginDeleteNow(ctx context.Context, id string) (Job, error)
	// FinishDelete makes a Deleting recording Deleted and writes the
	// audit entry, together.
	FinishDelete(ctx context.Context, id string, e AuditEntry) error
}

// Janitor is the retention job: it deletes the audio of expired
// recordings from blob storage and marks them deleted, keeping their rows,
// never one under a legal hold, and audits each deletion. A recording is
// marked Deleting before its blob is deleted (a legal hold set meanwhile
// loses: the hold refuses a Deleting recording), and Deleted with its
// audit entry after; a sweep interrupted between the two finishes the
// deletion next time.
type Janitor struct {
	store  Expired
	bucket *blob.Bucket
	log    *slog.Logger
	batch  int
}

// NewJanitor returns the retention job for the recordings of store, kept
// in bucket; log may be nil.
func NewJanitor(store Expired, bucket *blob.Bucket, log *slog.Logger) *Janitor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Janitor{store: store, bucket: bucket, log: log, batch: 100}
}

// Run sweeps at once and then every interval on clock until ctx ends.
func (j *Janitor) Run(ctx context.Context, clock clockwork.Clock, every time.Duration) error {
	for {
		if n, err := j.Sweep(ctx); err != nil && ctx.Err() == nil {
			j.log.Warn("recordings: retention sweep", "deleted", n, "error", err)
		} else if n > 0 {
			j.log.Info("recordings: retention sweep", "deleted", n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-clock.After(every):
		}
	}
}

// Sweep deletes every recording expired now and returns how many it
// deleted. A recording whose deletion fails is left for the next sweep;
// the errors are returned together.
func (j *Janitor) Sweep(ctx context.Context) (int, error) {
	deleted := 0
	failed := map[string]bool{}
	var errs []error
	for {
		page, err := j.store.ExpiredRecordings(ctx, j.batch+len(failed))
		if err != nil {
			return deleted, errors.Join(append(errs, err)...)
		}
		progress := false
		for _, r := range page {
			if failed[r.ID] {
				continue
			}
			done, err := j.delete(ctx, r)
			if err != nil {
				failed[r.ID] = true
				errs = append(errs, err)
				continue
			}
			if done {
				deleted++
				progress = true
			}
		}
		if !progress {
			return deleted, errors.Join(errs...)
		}
	}
}

// delete deletes one expired recording; false if it was held meanwhile.
func (j *Janitor) delete(ctx context.Context, r Job) (bool, error) {
	if r.State == Cleaned {
		ok, err := j.store.BeginDelete(ctx, r.ID)
		if err != nil || !ok {
			return false, err
		}
	}
	if r.BlobKey != "" {
		if err := j.bucket.Delete(ctx, r.BlobKey); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return false, fmt.Errorf("recording %q: deleting %s: %w", r.ID, r.BlobKey, err)
		}
	}
	if err := deleteDerived(ctx, j.bucket, r.ID); err != nil {
		return false, err
	}
	detail := fmt.Sprintf("expired %s; blob %s, sha256 %s", r.Expires.UTC().Format(time.RFC3339), r.BlobKey, r.SHA256)
	if err := j.store.FinishDelete(ctx, r.ID, SystemActor.Entry(ActionRetentionDelete, r.ID, detail)); err != nil {
		return false, err
	}
	instruments.deleted.Add(ctx, 1)
	return true, nil
}

// Delete deletes a recording's audio before its expiry, as who, for
// reason (an administrator's deletion, audited as "delete"): the row stays,
// marked deleted. A recording under a legal hold is refused with
// ErrLegalHold; one without stored audio with ErrNotStored or
// ErrRecordingDeleted. Interrupted after it began, the deletion is
// finished by the next Sweep.
func (j *Janitor) Delete(ctx context.Context, id string, who Actor, reason string) error {
	entry := who.Entry(ActionDelete, id, reason)
	if err := entry.Check(); err != nil {
		return err
	}
	if reason == "" {
		return fmt.Errorf("%w: a recording is deleted by hand with a reason", ErrBadAuditEntry)
	}
	r, err := j.store.BeginDeleteNow(ctx, id)
	if err != nil {
		return err
	}
	if err := j.bucket.Delete(ctx, r.BlobKey); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("recording %q: deleting %s: %w", id, r.BlobKey, err)
	}
	if err := deleteDerived(ctx, j.bucket, id); err != nil {
		return err
	}
	entry.Detail = fmt.Sprintf("%s; blob %s, sha256 %s", reason, r.BlobKey, r.SHA256)
	return j.store.FinishDelete(ctx, id, entry)
}
