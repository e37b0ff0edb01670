package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/hotline-ivr/hotline/recordings"
)

// execer is a pool or a transaction.
type execer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// AppendAudit writes one entry of the audit of recording access and
// returns it as written (with its Seq, and At now unless given). The
// audit is append-only: PostgreSQL refuses to change or delete its rows,
// whoever asks.
func (r *Recordings) AppendAudit(ctx context.Context, e recordings.AuditEntry) (_ recordings.AuditEntry, err error) {
	ctx, span := startRecordingSpan(ctx, "AppendAudit", e.RecordingID)
	defer func() { endRecordingSpan(span, err) }()
	return r.appendAudit(ctx, r.db, e)
}

func (r *Recordings) appendAudit(ctx context.Context, db execer, e recordings.AuditEntry) (recordings.AuditEntry, error) {
	if err := e.Check(); err != nil {
		return e, err
	}
	if e.At.IsZero() {
		e.At = r.clock.Now()
	}
	err := db.QueryRow(ctx, `INSERT INTO recording_audit (at, actor, role, action, recording_id, client_addr, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq`,
		e.At, e.Actor, e.Role, string(e.Action), text(e.RecordingID), e.ClientAddr, e.Detail).Scan(&e.Seq)
	if err != nil {
		return e, fmt.Errorf("writing the recording audit (%s by %s): %w", e.Action, e.Actor, err)
	}
	e.At = e.At.UTC()
	return e, nil
}

// QueryAudit returns the audit entries q selects, in the audit's order.
func (r *Recordings) QueryAudit(ctx context.Context, q recordings.AuditQuery) (_ []recordings.AuditEntry, err error) {
	ctx, span := startRecordingSpan(ctx, "QueryAudit", q.RecordingID)
	defer func() { endRecordingSpan(span, err) }()
	if err := q.Check(); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "$", "$"+strconv.Itoa(len(args))))
	}
	add("seq > $", q.After)
	if !q.From.IsZero() {
		add("at >= $", q.From)
	}
	if !q.To.IsZero() {
		add("at < $", q.To)
	}
	if q.Actor != "" {
		add("actor = $", q.Actor)
	}
	if q.RecordingID != "" {
		add("recording_id = $", q.RecordingID)
	}
	if q.Action != "" {
		add("action = $", string(q.Action))
	}
	limit := q.Limit
	if limit == 0 {
		limit = 1000
	}
	args = append(args, limit)
	rows, _ := r.db.Query(ctx, `SELECT seq, at, actor, role, action, coalesce(recording_id, ''), client_addr, detail
		FROM recording_audit WHERE `+strings.Join(where, " AND ")+` ORDER BY seq LIMIT $`+strconv.Itoa(len(args)), args...)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (recordings.AuditEntry, error) {
		var e recordings.AuditEntry
		var action string
		err := row.Scan(&e.Seq, &e.At, &e.Actor, &e.Role, &action, &e.RecordingID, &e.ClientAddr, &e.Detail)
		e.Action, e.At = recordings.Action(action), e.At.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the recording audit: %w", err)
	}
	return out, nil
}
