package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hotline-ivr/hotline/complaints"
)

// The complaints' store ingests the IVR's complaints too.
var _ complaints.IVRStore = (*Complaints)(nil)

// PendingIVR returns up to limit of the calls' complaint events
// (ivr.EventComplaint, in call_events) that no complaint was registered
// from yet, oldest first: those a trigger queued in
// ivr_complaints_pending as they were written, and no registration took.
func (s *Complaints) PendingIVR(ctx context.Context, limit int) ([]complaints.IVRComplaint, error) {
	rows, err := s.db.Query(ctx, `
		SELECT e.call_id, e.seq, e.at, coalesce(e.node, ''), coalesce(e.detail, '{}'::jsonb)
		FROM ivr_complaints_pending p JOIN call_events e ON e.call_id = p.call_id AND e.seq = p.seq
		ORDER BY p.at, p.call_id, p.seq
		LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the IVR's complaint events: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (complaints.IVRComplaint, error) {
		var c complaints.IVRComplaint
		var detail []byte
		if err := row.Scan(&c.CallID, &c.Seq, &c.At, &c.Node, &detail); err != nil {
			return c, err
		}
		var d map[string]any
		if err := json.Unmarshal(detail, &d); err != nil {
			return c, fmt.Errorf("call %s event %d: %w", c.CallID, c.Seq, err)
		}
		str := func(k string) string { v, _ := d[k].(string); return v }
		c.Hotline, c.Caller, c.Contact = str("hotline"), str("caller"), str("contact")
		c.Category, c.Fallback, c.Team = str("category"), str("fallback"), str("team")
		c.Recording, c.EndedBy, c.Path = str("recording"), str("ended_by"), str("path")
		c.Seconds = -1
		if f, ok := d["seconds"].(float64); ok && f >= 0 && f == math.Trunc(f) && f <= math.MaxInt32 {
			c.Seconds = int(f)
		}
		if t, err := time.Parse(time.RFC3339Nano, str("started_at")); err == nil {
			c.StartedAt = t
		}
		return c, nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the IVR's complaint events: %w", err)
	}
	return out, nil
}

// CreateIVR stores r as the complaint of the call event c, numbered as
// Create numbers, and takes the event off ivr_complaints_pending in the
// same transaction; when the event is off it already (another instance
// registered it, or is registering it and commits), it stores nothing and
// returns false. The unique index complaints_ivr_event holds whatever
// happens.
func (s *Complaints) CreateIVR(ctx context.Context, day string, c complaints.IVRComplaint, r complaints.Record, first complaints.Change) (complaints.Record, bool, error) {
	if r.CallID != c.CallID || r.Source != "ivr" {
		return complaints.Record{}, false, fmt.Errorf("%w: the complaint of call %s's event is of call %q, source %q", complaints.ErrInvalid, c.CallID, r.CallID, r.Source)
	}
	seq, created := c.Seq, false
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		// Waits while another registration holds the row; finds it gone
		// once that one commits.
		tag, err := tx.Exec(ctx, `DELETE FROM ivr_complaints_pending WHERE call_id = $1 AND seq = $2`, c.CallID, c.Seq)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		if r, err = createComplaint(ctx, tx, day, r, first, &seq); err != nil {
			return err
		}
		created = true
		return nil
	})
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == "23505" && pe.ConstraintName == "complaints_ivr_event" {
		// Registered, and queued again: take it off for good.
		if _, err := s.db.Exec(ctx, `DELETE FROM ivr_complaints_pending WHERE call_id = $1 AND seq = $2`, c.CallID, c.Seq); err != nil {
			return complaints.Record{}, false, fmt.Errorf("taking call %s's registered event %d off the queue: %w", c.CallID, c.Seq, err)
		}
		return complaints.Record{}, false, nil
	}
	if err != nil {
		return complaints.Record{}, false, fmt.Errorf("storing the complaint of call %s's event %d: %w", c.CallID, c.Seq, err)
	}
	if !created {
		return complaints.Record{}, false, nil
	}
	return r, true, nil
}
