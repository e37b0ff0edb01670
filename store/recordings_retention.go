package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/hotline-ivr/hotline/recordings"
)

// ExpiredRecordings returns up to limit recordings whose expiry has come
// by the clock, not under a legal hold, that are Cleaned (their audio in
// blob storage, nothing left on Asterisk) or Deleting (a deletion to
// finish), oldest expiry first.
func (r *Recordings) ExpiredRecordings(ctx context.Context, limit int) (_ []recordings.Job, err error) {
	ctx, span := startRecordingSpan(ctx, "ExpiredRecordings", "")
	defer func() { endRecordingSpan(span, err) }()
	rows, _ := r.db.Query(ctx, "SELECT "+recordingColumns+` FROM recordings r
		WHERE state IN ('cleaned', 'deleting') AND expires_at <= $1 AND NOT legal_hold
		ORDER BY expires_at, id LIMIT $2`, r.clock.Now(), limit)
	out, err := pgx.CollectRows(rows, scanRecording)
	if err != nil {
		return nil, fmt.Errorf("reading the expired recordings: %w", err)
	}
	return out, nil
}

// BeginDelete makes an expired Cleaned recording without a legal hold
// Deleting, and reports whether it did: false when it is held, not
// expired or not Cleaned now. A Deleting recording can no longer be held.
func (r *Recordings) BeginDelete(ctx context.Context, id string) (_ bool, err error) {
	ctx, span := startRecordingSpan(ctx, "BeginDelete", id)
	defer func() { endRecordingSpan(span, err) }()
	tag, err := r.db.Exec(ctx, `UPDATE recordings SET state = 'deleting'
		WHERE id = $1 AND state = 'cleaned' AND expires_at <= $2 AND NOT legal_hold`, id, r.clock.Now())
	if err != nil {
		return false, fmt.Errorf("deleting recording %q: %w", id, err)
	}
	return tag.RowsAffected() == 1, nil
}

// BeginDeleteNow makes a Cleaned recording Deleting whatever its expiry,
// for an administrator's deletion, and returns it. A held one is refused
// with recordings.ErrLegalHold; one that is not Cleaned with
// recordings.ErrRecordingDeleted (deleting or deleted),
// recordings.ErrNotStored (its job has not stored it) or
// recordings.ErrUnknownRecording.
func (r *Recordings) BeginDeleteNow(ctx context.Context, id string) (_ recordings.Job, err error) {
	ctx, span := startRecordingSpan(ctx, "BeginDeleteNow", id)
	defer func() { endRecordingSpan(span, err) }()
	rows, _ := r.db.Query(ctx, `UPDATE recordings r SET state = 'deleting'
		WHERE id = $1 AND state = 'cleaned' AND NOT legal_hold
		RETURNING `+recordingColumns, id)
	j, err := pgx.CollectExactlyOneRow(rows, scanRecording)
	if err == nil {
		return j, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return j, fmt.Errorf("deleting recording %q: %w", id, err)
	}
	var state string
	var held bool
	err = r.db.QueryRow(ctx, "SELECT state, legal_hold FROM recordings WHERE id = $1", id).Scan(&state, &held)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return j, fmt.Errorf("%w: %q", recordings.ErrUnknownRecording, id)
	case err != nil:
		return j, fmt.Errorf("deleting recording %q: %w", id, err)
	case state == string(recordings.Deleting) || state == string(recordings.Deleted):
		return j, fmt.Errorf("%w: recording %q is %s", recordings.ErrRecordingDeleted, id, state)
	case state == string(recordings.Cleaned) && held:
		return j, fmt.Errorf("%w: recording %q", recordings.ErrLegalHold, id)
	case state == string(recordings.Stored):
		return j, fmt.Errorf("%w: recording %q is still being stored (its originals are not deleted yet); try again shortly", recordings.ErrNotStored, id)
	default:
		return j, fmt.Errorf("%w: recording %q is %s", recordings.ErrNotStored, id, state)
	}
}

// FinishDelete makes a Deleting recording Deleted (its row kept, its blob
// gone) and writes e to the audit, in one transaction.
func (r *Recordings) FinishDelete(ctx context.Context, id string, e recordings.AuditEntry) (err error) {
	ctx, span := startRecordingSpan(ctx, "FinishDelete", id)
	defer func() { endRecordingSpan(span, err) }()
	return pgx.BeginFunc(ctx, r.db, func(tx pgx.Tx) error {
		now := r.clock.Now()
		tag, err := tx.Exec(ctx, `UPDATE recordings SET state = 'deleted', deleted_at = $2, deleted_by = $3
			WHERE id = $1 AND state = 'deleting'`, id, now, e.Actor)
		if err != nil {
			return fmt.Errorf("deleting recording %q: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("recording %q is not being deleted", id)
		}
		e.At = now
		_, err = r.appendAudit(ctx, tx, e)
		return err
	})
}

// SetLegalHold puts the recording under a legal hold (on) or releases it,
// for reason, as who, and audits it (legal_hold, legal_hold_release) in
// the same transaction. A held recording is never deleted by retention.
// A recording whose audio is deleted or being deleted cannot be held
// (recordings.ErrRecordingDeleted); an unknown one gets
// recordings.ErrUnknownRecording. Setting a hold that is set (or clearing
// one that is clear) still records who asked, and why.
func (r *Recordings) SetLegalHold(ctx context.Context, id string, on bool, who recordings.Actor, reason string) (err error) {
	ctx, span := startRecordingSpan(ctx, "SetLegalHold", id)
	defer func() { endRecordingSpan(span, err) }()
	action := recordings.ActionLegalHold
	if !on {
		action = recordings.ActionLegalHoldRelease
	}
	e := who.Entry(action, id, reason)
	if err := e.Check(); err != nil {
		return err
	}
	if reason == "" {
		return fmt.Errorf("%w: a legal hold is set and released with a reason", recordings.ErrBadAuditEntry)
	}
	return pgx.BeginFunc(ctx, r.db, func(tx pgx.Tx) error {
		now := r.clock.Now()
		var state string
		err := tx.QueryRow(ctx, `SELECT state FROM recordings WHERE id = $1 FOR UPDATE`, id).Scan(&state)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: %q", recordings.ErrUnknownRecording, id)
		}
		if err != nil {
			return fmt.Errorf("holding recording %q: %w", id, err)
		}
		if on && (state == string(recordings.Deleting) || state == string(recordings.Deleted)) {
			return fmt.Errorf("%w: recording %q is %s", recordings.ErrRecordingDeleted, id, state)
		}
		if _, err := tx.Exec(ctx, `UPDATE recordings SET legal_hold = $2, legal_hold_by = $3,
				legal_hold_reason = $4, legal_hold_at = $5 WHERE id = $1`,
			id, on, who.User, reason, now); err != nil {
			return fmt.Errorf("holding recording %q: %w", id, err)
		}
		e.At = now
		_, err = r.appendAudit(ctx, tx, e)
		return err
	})
}

// LegalHold tells whether the recording is held, by whom and why.
func (r *Recordings) LegalHold(ctx context.Context, id string) (held bool, by, reason string, err error) {
	err = r.db.QueryRow(ctx, `SELECT legal_hold, coalesce(legal_hold_by, ''), coalesce(legal_hold_reason, '')
		FROM recordings WHERE id = $1`, id).Scan(&held, &by, &reason)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, "", "", fmt.Errorf("%w: %q", recordings.ErrUnknownRecording, id)
	}
	return held, by, reason, err
}
