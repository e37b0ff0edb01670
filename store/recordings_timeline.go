package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hotline-ivr/hotline/recordings"
)

// Details returns one recording for the access API: its row, its kind,
// linked call and side lead (migration 0007), its legal hold, its agents
// (its own, then those of its "agent" markers, in order) and its call's
// outcome and satisfaction answer. An unknown ID is
// recordings.ErrUnknownRecording.
func (r *Recordings) Details(ctx context.Context, id string) (_ recordings.Details, err error) {
	ctx, span := startRecordingSpan(ctx, "Details", id)
	defer func() { endRecordingSpan(span, err) }()
	var d recordings.Details
	var holdAt *time.Time
	rows, _ := r.db.Query(ctx, "SELECT "+recordingColumns+`,
			r.legal_hold, coalesce(r.legal_hold_by, ''), coalesce(r.legal_hold_reason, ''), r.legal_hold_at,
			coalesce(c.outcome, ''), coalesce(a.score, 0),
			array(SELECT m.actor FROM recording_markers m
				WHERE m.recording_id = r.id AND m.kind = 'agent' AND m.actor <> '' ORDER BY m.seq)
		FROM recordings r
		LEFT JOIN calls c ON c.id = r.call_id
		LEFT JOIN survey_answers a ON a.call_id = r.call_id AND a.question = 'csat'
		WHERE r.id = $1`, id)
	var agents []string
	d, err = pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (recordings.Details, error) {
		var d recordings.Details
		j, err := scanRecordingAnd(row, &d.LegalHold, &d.LegalHoldBy,
			&d.LegalHoldReason, &holdAt, &d.Outcome, &d.CSAT, &agents)
		d.Job = j
		return d, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("%w: %q", recordings.ErrUnknownRecording, id)
	}
	if err != nil {
		return d, fmt.Errorf("reading recording %q: %w", id, err)
	}
	if holdAt != nil {
		d.LegalHoldAt = holdAt.UTC()
	}
	seen := map[string]bool{}
	for _, a := range append([]string{d.AgentID}, agents...) {
		if a != "" && !seen[a] {
			seen[a] = true
			d.Agents = append(d.Agents, a)
		}
	}
	return d, nil
}

// TimelineEvents returns the events of the recording's call (call_events
// of its call_id, in their order) and its own markers (recording_markers,
// in theirs). Call events are limited to the recording's span, as far as
// the recording's row tells it; the caller merges and trims them
// (recordings.MergeTimeline).
func (r *Recordings) TimelineEvents(ctx context.Context, id string) (call, markers []recordings.TimelineEvent, err error) {
	ctx, span := startRecordingSpan(ctx, "TimelineEvents", id)
	defer func() { endRecordingSpan(span, err) }()
	var callID string
	var start, end time.Time
	err = r.db.QueryRow(ctx, `SELECT call_id, call_started_at, greatest(call_ended_at, call_started_at + duration)
		FROM recordings WHERE id = $1`, id).Scan(&callID, &start, &end)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, fmt.Errorf("%w: %q", recordings.ErrUnknownRecording, id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading recording %q: %w", id, err)
	}
	rows, _ := r.db.Query(ctx, `SELECT seq, at, kind, coalesce(node, ''), detail FROM call_events
		WHERE call_id = $1 AND at BETWEEN $2 AND $3 ORDER BY seq`, callID, start, end)
	call, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (recordings.TimelineEvent, error) {
		e := recordings.TimelineEvent{Source: recordings.SourceCall}
		var detail []byte
		if err := row.Scan(&e.Seq, &e.At, &e.Kind, &e.Node, &detail); err != nil {
			return e, err
		}
		e.At = e.At.UTC()
		return e, decodeDetail(detail, &e.Detail)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the call events of recording %q: %w", id, err)
	}
	rows, _ = r.db.Query(ctx, `SELECT seq, at, kind, actor, reason, detail FROM recording_markers
		WHERE recording_id = $1 ORDER BY seq`, id)
	markers, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (recordings.TimelineEvent, error) {
		e := recordings.TimelineEvent{Source: recordings.SourceRecording}
		var detail []byte
		if err := row.Scan(&e.Seq, &e.At, &e.Kind, &e.Actor, &e.Reason, &detail); err != nil {
			return e, err
		}
		e.At = e.At.UTC()
		return e, decodeDetail(detail, &e.Detail)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("reading the markers of recording %q: %w", id, err)
	}
	return call, markers, nil
}

// decodeDetail reads a jsonb detail (NULL: none) into an object; a detail
// that is not an object is kept under "value".
func decodeDetail(b []byte, out *map[string]any) error {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if m, ok := v.(map[string]any); ok {
		*out = m
		return nil
	}
	*out = map[string]any{"value": v}
	return nil
}
