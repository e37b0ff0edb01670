package recordings

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Catalogue is what the access API reads and writes about recordings in
// the database (store.Recordings).
type Catalogue interface {
	Search(ctx context.Context, s Search) (Page, error)
	// Details returns one recording, or ErrUnknownRecording.
	Details(ctx context.Context, id string) (Details, error)
	// TimelineEvents returns the events of the recording's call
	// (call_events) and the recording's own markers (recording_markers),
	// each in its own order, with their times; Offset is not set.
	TimelineEvents(ctx context.Context, id string) (call, markers []TimelineEvent, err error)
	AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	QueryAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
	SetLegalHold(ctx context.Context, id string, on bool, who Actor, reason string) error
}

// Archive is the recordings as the console's access API reaches them: the
// catalogue in PostgreSQL, the audio in blob storage, and the janitor for
// an administrator's deletion. It checks no role: the console decides who
// may do what, and audits it through Audit. It is safe for concurrent use.
//
// Audio is read with ranged reads (Open), so seeking in a browser fetches
// only what it plays. The waveform summary of the timeline (Waveform) is
// computed from the stored audio on the first request for it, not at store
// time: the pipeline stays as fast as it is, most recordings are never
// opened, and a recording stored before this existed gets one too. It is
// then cached as a small JSON blob next to the audio (PeaksKey), which the
// Janitor deletes with the audio. Peaks can also compute it at store time,
// from the merged WAV, should the pipeline want to.
type Archive struct {
	cat     Catalogue
	bucket  *blob.Bucket
	janitor *Janitor
}

// NewArchive returns the archive of the recordings in cat, whose audio is
// kept in bucket; janitor (on the same bucket) carries out deletions.
func NewArchive(cat Catalogue, bucket *blob.Bucket, janitor *Janitor) *Archive {
	return &Archive{cat: cat, bucket: bucket, janitor: janitor}
}

// Search finds recordings (see Search).
func (a *Archive) Search(ctx context.Context, s Search) (Page, error) { return a.cat.Search(ctx, s) }

// Details returns one recording, or ErrUnknownRecording.
func (a *Archive) Details(ctx context.Context, id string) (Details, error) {
	return a.cat.Details(ctx, id)
}

// Audit appends e to the audit of recording access.
func (a *Archive) Audit(ctx context.Context, e AuditEntry) error {
	_, err := a.cat.AppendAudit(ctx, e)
	return err
}

// QueryAudit returns the audit entries q selects.
func (a *Archive) QueryAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	return a.cat.QueryAudit(ctx, q)
}

// SetLegalHold sets (on) or releases the recording's legal hold, audited.
func (a *Archive) SetLegalHold(ctx context.Context, id string, on bool, who Actor, reason string) error {
	return a.cat.SetLegalHold(ctx, id, on, who, reason)
}

// Delete deletes the recording's audio before its expiry (Janitor.Delete),
// audited, and its cached waveform.
func (a *Archive) Delete(ctx context.Context, id string, who Actor, reason string) error {
	if a.janitor == nil {
		return errors.New("recordings: the archive has no janitor to delete with")
	}
	return a.janitor.Delete(ctx, id, who, reason)
}

// Timeline returns the recording's timeline: the call's events and the
// recording's markers that fall within it, at their offsets from its
// start.
func (a *Archive) Timeline(ctx context.Context, d Details) ([]TimelineEvent, error) {
	call, markers, err := a.cat.TimelineEvents(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	end := d.End
	if e := d.Start.Add(d.Length()); e.After(end) {
		end = e
	}
	return MergeTimeline(d.Start, end, call, markers), nil
}

// checkPlayable says why a recording's audio cannot be read, if it
// cannot.
func checkPlayable(d Details) error {
	switch {
	case d.Playable():
		return nil
	case d.State == Deleting || d.State == Deleted:
		return fmt.Errorf("%w: recording %q", ErrRecordingDeleted, d.ID)
	default:
		return fmt.Errorf("%w: recording %q is %s", ErrNotStored, d.ID, d.State)
	}
}

// Open opens the recording's stored stereo WAV for reading and seeking.
// Reads are ranged requests to blob storage started at the offset read
// from (gocloud's NewRangeReader), so a browser seeking in a long
// recording fetches only what it plays. Close it when done.
func (a *Archive) Open(ctx context.Context, d Details) (*Audio, error) {
	if err := checkPlayable(d); err != nil {
		return nil, err
	}
	attrs, err := a.bucket.Attributes(ctx, d.BlobKey)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, fmt.Errorf("%w: recording %q: its audio is not in blob storage", ErrRecordingDeleted, d.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("recording %q: %w", d.ID, err)
	}
	return &Audio{ctx: ctx, bucket: a.bucket, key: d.BlobKey, size: attrs.Size, mod: attrs.ModTime}, nil
}

// Audio is a stored recording being read: an io.ReadSeekCloser over blob
// storage, for http.ServeContent.
type Audio struct {
	ctx    context.Context
	bucket *blob.Bucket
	key    string
	size   int64
	mod    time.Time
	off    int64
	r      *blob.Reader // open at off; nil: opened at the next Read
}

// Size is the file's size in bytes.
func (au *Audio) Size() int64 { return au.size }

// ModTime is when the file was written to blob storage.
func (au *Audio) ModTime() time.Time { return au.mod }

// Read reads from the current offset.
func (au *Audio) Read(p []byte) (int, error) {
	if au.off >= au.size {
		return 0, io.EOF
	}
	if au.r == nil {
		r, err := au.bucket.NewRangeReader(au.ctx, au.key, au.off, -1, nil)
		if err != nil {
			return 0, fmt.Errorf("reading %s from %d: %w", au.key, au.off, err)
		}
		au.r = r
	}
	n, err := au.r.Read(p)
	au.off += int64(n)
	return n, err
}

// Seek moves the offset; the next Read starts a ranged read there.
func (au *Audio) Seek(offset int64, whence int) (int64, error) {
	var to int64
	switch whence {
	case io.SeekStart:
		to = offset
	case io.SeekCurrent:
		to = au.off + offset
	case io.SeekEnd:
		to = au.size + offset
	default:
		return au.off, fmt.Errorf("seek: bad whence %d", whence)
	}
	if to < 0 {
		return au.off, fmt.Errorf("seek: offset %d is before the start", to)
	}
	if to != au.off && au.r != nil {
		au.r.Close()
		au.r = nil
	}
	au.off = to
	return to, nil
}

// Close ends the read.
func (au *Audio) Close() error {
	if au.r == nil {
		return nil
	}
	err := au.r.Close()
	au.r = nil
	return err
}

// Waveform returns the recording's waveform summary (Peaks per
// PeakInterval): from its cache next to the audio (PeaksKey) if there, or
// read from the audio once and cached. Two first requests at once both
// compute it and write the same bytes.
func (a *Archive) Waveform(ctx context.Context, d Details) (Waveform, error) {
	if err := checkPlayable(d); err != nil {
		return Waveform{}, err
	}
	key := PeaksKey(d.ID)
	if b, err := a.bucket.ReadAll(ctx, key); err == nil {
		if w, ok := unmarshalWaveform(b); ok && w.Interval == PeakInterval {
			return w, nil
		}
	} else if gcerrors.Code(err) != gcerrors.NotFound {
		return Waveform{}, fmt.Errorf("recording %q: reading its waveform: %w", d.ID, err)
	}
	r, err := a.bucket.NewReader(ctx, d.BlobKey, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return Waveform{}, fmt.Errorf("%w: recording %q: its audio is not in blob storage", ErrRecordingDeleted, d.ID)
	}
	if err != nil {
		return Waveform{}, fmt.Errorf("recording %q: %w", d.ID, err)
	}
	defer r.Close()
	w, err := Peaks(r, PeakInterval)
	if err != nil {
		return Waveform{}, fmt.Errorf("recording %q: %w", d.ID, err)
	}
	b, err := marshalWaveform(w)
	if err != nil {
		return Waveform{}, err
	}
	if err := a.bucket.WriteAll(ctx, key, b, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return Waveform{}, fmt.Errorf("recording %q: caching its waveform: %w", d.ID, err)
	}
	return w, nil
}

// deleteDerived deletes what the archive derived from a recording's audio
// and keeps next to it (its cached waveform), when the audio is deleted.
func deleteDerived(ctx context.Context, bucket *blob.Bucket, id string) error {
	if err := bucket.Delete(ctx, PeaksKey(id)); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("recording %q: deleting %s: %w", id, PeaksKey(id), err)
	}
	return nil
}
