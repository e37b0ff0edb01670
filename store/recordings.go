package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/hotline-ivr/hotline/recordings"
)

// Recordings keeps the recordings of conversations in PostgreSQL: the
// storage jobs of package recordings' pipeline (it is the pipeline's
// recordings.Jobs), their retention, legal holds and deletion (the
// retention job's recordings.Expired), the append-only audit of every
// access and the recordings search.
//
// Every time it writes or compares comes from its clock, never from
// PostgreSQL's now(), so tests can drive it; with several instances keep
// their clocks in sync (NTP). A claim rests on the row's lease and state,
// never on the clock alone: a skewed clock may take over a job early, and
// the worker that had it then finds ErrJobLost at its next step. A
// Recordings is safe for concurrent use.
type Recordings struct {
	db    *pgxpool.Pool
	clock clockwork.Clock
}

// NewRecordings returns the recordings kept in db (which Migrate has
// brought up to date), stamped by clock; nil means the real clock.
func NewRecordings(db *pgxpool.Pool, clock clockwork.Clock) *Recordings {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &Recordings{db: db, clock: clock}
}

// recordingColumns are what scanRecording reads, in its order.
const recordingColumns = `r.id, r.call_id, r.layout, r.sources, r.call_started_at, r.call_ended_at,
	extract(epoch FROM r.duration)::float8, r.hotline, r.queue, r.agent_id, r.caller, r.retention_class,
	r.pci_pauses, r.expires_at, r.state, coalesce(r.sha256, ''), coalesce(r.size_bytes, 0),
	coalesce(extract(epoch FROM r.audio_duration)::float8, 0), coalesce(r.blob_key, ''),
	r.attempts, coalesce(r.last_error, ''), r.kind, coalesce(r.linked_call_id, ''), r.agent_lead_ms`

func scanRecording(row pgx.CollectableRow) (recordings.Job, error) { return scanRecordingAnd(row) }

// scanRecordingAnd reads recordingColumns and then more columns into more.
func scanRecordingAnd(row pgx.CollectableRow, more ...any) (recordings.Job, error) {
	var j recordings.Job
	var layout, state string
	var sources []string
	var dur, audio float64
	var kind string
	var leadMS int32
	dest := append([]any{&j.ID, &j.CallID, &layout, &sources, &j.Start, &j.End, &dur,
		&j.Hotline, &j.Queue, &j.AgentID, &j.Caller, &j.RetentionClass, &j.PCIPauses,
		&j.Expires, &state, &j.SHA256, &j.Size, &audio, &j.BlobKey, &j.Attempts, &j.LastError,
		&kind, &j.LinkedCallID, &leadMS}, more...)
	err := row.Scan(dest...)
	j.SetSources(recordings.Layout(layout), sources)
	j.State = recordings.State(state)
	j.Kind = recordings.Kind(kind)
	j.AgentLead = time.Duration(leadMS) * time.Millisecond
	j.Duration = seconds(dur)
	j.Audio = seconds(audio)
	j.Start, j.End, j.Expires = j.Start.UTC(), j.End.UTC(), j.Expires.UTC()
	return j, err
}

// seconds turns PostgreSQL's epoch seconds of an interval back into a
// duration, to the microsecond PostgreSQL keeps.
func seconds(s float64) time.Duration {
	return (time.Duration(s*1e6+0.5) * time.Microsecond)
}

// AddJob stores a new pending job, due now, and its markers (in
// recording_markers) in the same transaction. The job must pass Check (and
// carry Expires, which the pipeline sets). Adding a job whose ID is
// already stored for the same call and files does nothing, so a capture
// side that is not sure it was added may add it again; the same ID for
// another call or other files is refused with recordings.ErrBadJob.
func (r *Recordings) AddJob(ctx context.Context, j recordings.Job) (err error) {
	ctx, span := startRecordingSpan(ctx, "AddJob", j.ID)
	defer func() { endRecordingSpan(span, err) }()
	if err := j.Check(); err != nil {
		return err
	}
	if j.Expires.IsZero() {
		return fmt.Errorf("%w %q: it has no expiry time", recordings.ErrBadJob, j.ID)
	}
	now := r.clock.Now()
	var linked *string
	if j.LinkedCallID != "" {
		linked = &j.LinkedCallID
	}
	var added bool
	err = pgx.BeginFunc(ctx, r.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO recordings
		(id, call_id, layout, sources, call_started_at, call_ended_at, duration, hotline, queue,
		 agent_id, caller, retention_class, pci_pauses, expires_at, state, not_before, created_at,
		 kind, linked_call_id, agent_lead_ms)
		VALUES ($1, $2, $3, $4, $5, $6, make_interval(secs => $7), $8, $9, $10, $11, $12, $13, $14,
		 'pending', $15, $15, $16, $17, $18)
		ON CONFLICT (id) DO NOTHING`,
			j.ID, j.CallID, string(j.Layout()), j.Sources(), j.Start, j.End, j.Length().Seconds(),
			j.Hotline, j.Queue, j.AgentID, j.Caller, j.RetentionClass, int32(j.PCIPauses), j.Expires, now,
			string(j.KindOrDefault()), linked, int32(j.AgentLead.Round(time.Millisecond)/time.Millisecond))
		if err != nil {
			return err
		}
		added = tag.RowsAffected() == 1
		if !added {
			return nil
		}
		return addMarkers(ctx, tx, j.ID, j.Markers)
	})
	if err != nil {
		return fmt.Errorf("storing recording job %q: %w", j.ID, err)
	}
	if added {
		return nil
	}
	cur, err := r.Get(ctx, j.ID)
	if err != nil {
		return err
	}
	if cur.CallID != j.CallID || fmt.Sprint(cur.Sources()) != fmt.Sprint(j.Sources()) {
		return fmt.Errorf("%w %q: the ID is already used by the recording of call %q (%v)",
			recordings.ErrBadJob, j.ID, cur.CallID, cur.Sources())
	}
	return nil
}

// Get returns the recording with the ID, or recordings.ErrUnknownRecording.
func (r *Recordings) Get(ctx context.Context, id string) (_ recordings.Job, err error) {
	ctx, span := startRecordingSpan(ctx, "Get", id)
	defer func() { endRecordingSpan(span, err) }()
	rows, _ := r.db.Query(ctx, "SELECT "+recordingColumns+" FROM recordings r WHERE id = $1", id)
	j, err := pgx.CollectExactlyOneRow(rows, scanRecording)
	if errors.Is(err, pgx.ErrNoRows) {
		return j, fmt.Errorf("%w: %q", recordings.ErrUnknownRecording, id)
	}
	if err != nil {
		return j, fmt.Errorf("reading recording %q: %w", id, err)
	}
	return j, nil
}

// ClaimJobs claims up to n jobs that are due (pending, fetched or stored,
// their NotBefore come, and unclaimed or their lease run out) for
// instance, for lease, oldest due first, and counts an attempt on each.
// The rows are picked with FOR UPDATE SKIP LOCKED: instances claiming at
// once get different jobs and never wait for each other.
func (r *Recordings) ClaimJobs(ctx context.Context, instance string, n int, lease time.Duration) (_ []recordings.Job, err error) {
	ctx, span := startRecordingSpan(ctx, "ClaimJobs", "")
	span.SetAttributes(attribute.String("hotline.instance", instance))
	defer func() { endRecordingSpan(span, err) }()
	if instance == "" {
		return nil, fmt.Errorf("%w: claiming recording jobs", ErrNoInstance)
	}
	now := r.clock.Now()
	rows, _ := r.db.Query(ctx, `UPDATE recordings r
		SET claimed_by = $1, lease_until = $2, attempts = r.attempts + 1
		FROM (SELECT id AS due_id FROM recordings
			WHERE state IN ('pending', 'fetched', 'stored') AND not_before <= $3
			  AND (lease_until IS NULL OR lease_until <= $3)
			ORDER BY not_before, id LIMIT $4
			FOR UPDATE SKIP LOCKED) due
		WHERE r.id = due.due_id
		RETURNING `+recordingColumns,
		instance, now.Add(lease), now, n)
	jobs, err := pgx.CollectRows(rows, scanRecording)
	if err != nil {
		return nil, fmt.Errorf("claiming recording jobs for %s: %w", instance, err)
	}
	span.SetAttributes(attribute.Int("hotline.recording.claimed", len(jobs)))
	return jobs, nil
}

// AdvanceJob records that the job moved from state from to j.State, with
// what that step learnt (Fetched: SHA256, Size, Audio; Stored: BlobKey),
// and renews the claim for lease. Only the pipeline's steps are allowed
// (pending to fetched, fetched to stored, stored to cleaned). It is guarded by the claim and the
// state: a worker whose claim lapsed, or whose job moved on, gets
// recordings.ErrJobLost and changes nothing. Cleaned ends the claim.
func (r *Recordings) AdvanceJob(ctx context.Context, instance string, from recordings.State, j recordings.Job, lease time.Duration) (err error) {
	ctx, span := startRecordingSpan(ctx, "AdvanceJob", j.ID)
	span.SetAttributes(attribute.String("hotline.recording.state", string(j.State)))
	defer func() { endRecordingSpan(span, err) }()
	now := r.clock.Now()
	var sql string
	args := []any{j.ID, instance, string(from), now, now.Add(lease)}
	switch {
	case from == recordings.Pending && j.State == recordings.Fetched:
		sql = `state = 'fetched', fetched_at = $4, lease_until = $5,
			sha256 = $6, size_bytes = $7, audio_duration = make_interval(secs => $8)`
		args = append(args, j.SHA256, j.Size, j.Audio.Seconds())
	case from == recordings.Fetched && j.State == recordings.Stored:
		sql = `state = 'stored', stored_at = $4, lease_until = $5, blob_key = $6`
		args = append(args, j.BlobKey)
	case from == recordings.Stored && j.State == recordings.Cleaned:
		sql = `state = 'cleaned', cleaned_at = $4, claimed_by = NULL, lease_until = NULL, last_error = NULL`
		args = args[:4]
	default:
		return fmt.Errorf("recording job %q cannot go from %s to %s", j.ID, from, j.State)
	}
	tag, err := r.db.Exec(ctx, `UPDATE recordings SET `+sql+`
		WHERE id = $1 AND claimed_by = $2 AND state = $3`, args...)
	if err != nil {
		return fmt.Errorf("recording job %q: %s to %s: %w", j.ID, from, j.State, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: recording job %q (%s to %s)", recordings.ErrJobLost, j.ID, from, j.State)
	}
	return nil
}

// ReleaseJob ends instance's claim on a job that could not go on, for
// reason: final makes it Failed for good (but never a Stored one, whose
// recording is safe in blob storage: it only waits for its originals to
// be deleted); otherwise it stays where it is, due again at retryAt. A claim that lapsed meanwhile is left alone
// (recordings.ErrJobLost).
func (r *Recordings) ReleaseJob(ctx context.Context, instance, id, reason string, final bool, retryAt time.Time) (err error) {
	ctx, span := startRecordingSpan(ctx, "ReleaseJob", id)
	defer func() { endRecordingSpan(span, err) }()
	tag, err := r.db.Exec(ctx, `UPDATE recordings SET
			state = CASE WHEN $4 AND state <> 'stored' THEN 'failed' ELSE state END,
			not_before = $5, last_error = $3, claimed_by = NULL, lease_until = NULL
		WHERE id = $1 AND claimed_by = $2 AND state IN ('pending', 'fetched', 'stored')`,
		id, instance, text(reason), final, retryAt)
	if err != nil {
		return fmt.Errorf("releasing recording job %q: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: recording job %q", recordings.ErrJobLost, id)
	}
	return nil
}

// RecoverJobs hands back the jobs instance had claimed when it stopped,
// due at once, and returns how many. Call it when the instance starts,
// before it claims anything.
func (r *Recordings) RecoverJobs(ctx context.Context, instance string) (n int, err error) {
	ctx, span := startRecordingSpan(ctx, "RecoverJobs", "")
	defer func() { endRecordingSpan(span, err) }()
	if instance == "" {
		return 0, fmt.Errorf("%w: recovering recording jobs", ErrNoInstance)
	}
	tag, err := r.db.Exec(ctx, `UPDATE recordings SET claimed_by = NULL, lease_until = NULL, not_before = $2
		WHERE claimed_by = $1 AND state IN ('pending', 'fetched', 'stored')`, instance, r.clock.Now())
	if err != nil {
		return 0, fmt.Errorf("recovering the recording jobs of %s: %w", instance, err)
	}
	return int(tag.RowsAffected()), nil
}

// recordingRefusals are the errors that are answers, not failures.
var recordingRefusals = []error{
	recordings.ErrBadJob, recordings.ErrJobLost, recordings.ErrUnknownRecording,
	recordings.ErrRecordingDeleted, recordings.ErrLegalHold, recordings.ErrNotStored, recordings.ErrBadAuditEntry, recordings.ErrBadSearch, ErrNoInstance,
}

func startRecordingSpan(ctx context.Context, op, id string) (context.Context, trace.Span) {
	ctx, span := tracer.Start(ctx, "store.Recordings."+op)
	if id != "" {
		span.SetAttributes(attribute.String("hotline.recording.id", id))
	}
	return ctx, span
}

func endRecordingSpan(span trace.Span, err error) {
	defer span.End()
	if err == nil {
		return
	}
	for _, r := range recordingRefusals {
		if errors.Is(err, r) {
			span.SetAttributes(attribute.String("hotline.recording.refused", err.Error()))
			return
		}
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
}

// RequeueJob makes a Failed job pending again, due now, with its attempts
// counted afresh: for an operator who fixed what made it fail (a file put
// back on Asterisk, a tolerance widened). Its last error stays until the
// next attempt. A job that is not Failed gets recordings.ErrJobLost; an
// unknown one recordings.ErrUnknownRecording.
func (r *Recordings) RequeueJob(ctx context.Context, id string) (err error) {
	ctx, span := startRecordingSpan(ctx, "RequeueJob", id)
	defer func() { endRecordingSpan(span, err) }()
	tag, err := r.db.Exec(ctx, `UPDATE recordings SET state = 'pending', attempts = 0, not_before = $2,
			sha256 = NULL, size_bytes = NULL, audio_duration = NULL
		WHERE id = $1 AND state = 'failed'`, id, r.clock.Now())
	if err != nil {
		return fmt.Errorf("requeueing recording job %q: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		cur, err := r.Get(ctx, id)
		if err != nil {
			return err
		}
		return fmt.Errorf("%w: recording job %q is %s, not failed", recordings.ErrJobLost, id, cur.State)
	}
	return nil
}
