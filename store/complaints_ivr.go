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
	"github.com/hotline-ivr/hotline/ivr"
)

// The complaints' store ingests the IVR's complaints too.
var _ complaints.IVRStore = (*Complaints)(nil)

// PendingIVR returns up to limit of the calls' complaint events
// (ivr.EventComplaint, in call_events) that no complaint was registered
// from yet, oldest first. The events are read through their partial index
// and matched with the complaints by complaints_ivr_event.
func (s *Complaints) PendingIVR(ctx context.Context, limit int) ([]complaints.IVRComplaint, error) {
	rows, err := s.db.Query(ctx, `
		SELECT e.call_id, e.seq, e.at, coalesce(e.node, ''), coalesce(e.detail, '{}'::jsonb)
		FROM call_events e
		WHERE e.kind = $1
		  AND NOT EXISTS (SELECT 1 FROM complaints c WHERE c.call_id = e.call_id AND c.ivr_event = e.seq)
		ORDER BY e.at, e.call_id, e.seq
		LIMIT $2`, ivr.EventComplaint, limit)
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
// Create numbers, unless the event has its complaint already (false). The
// unique index complaints_ivr_event decides between instances creating
// it at once: the second waits for the first's commit, then finds the
// event taken and stores nothing (its day number rolled back).
func (s *Complaints) CreateIVR(ctx context.Context, day string, c complaints.IVRComplaint, r complaints.Record, first complaints.Change) (complaints.Record, bool, error) {
	if r.CallID != c.CallID || r.Source != "ivr" {
		return complaints.Record{}, false, fmt.Errorf("%w: the complaint of call %s's event is of call %q, source %q", complaints.ErrInvalid, c.CallID, r.CallID, r.Source)
	}
	seq := c.Seq
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var err error
		r, err = createComplaint(ctx, tx, day, r, first, &seq)
		return err
	})
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok && pe.Code == "23505" && pe.ConstraintName == "complaints_ivr_event" {
		return complaints.Record{}, false, nil
	}
	if err != nil {
		return complaints.Record{}, false, fmt.Errorf("storing the complaint of call %s's event %d: %w", c.CallID, c.Seq, err)
	}
	return r, true, nil
}
