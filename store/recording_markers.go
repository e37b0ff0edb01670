package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/hotline-ivr/hotline/recordings"
)

// AddMarkers appends markers to a recording's timeline (recording_markers),
// numbered after those it has, in one transaction. AddJob stores a job's
// own Markers with it; this is for markers learnt later.
func (r *Recordings) AddMarkers(ctx context.Context, recordingID string, markers []recordings.Marker) (err error) {
	ctx, span := startRecordingSpan(ctx, "AddMarkers", recordingID)
	defer func() { endRecordingSpan(span, err) }()
	if recordingID == "" {
		return fmt.Errorf("%w: markers for no recording", recordings.ErrBadJob)
	}
	for _, m := range markers {
		if err := m.Check(); err != nil {
			return err
		}
	}
	err = pgx.BeginFunc(ctx, r.db, func(tx pgx.Tx) error { return addMarkers(ctx, tx, recordingID, markers) })
	if err != nil {
		return fmt.Errorf("storing the markers of recording %q: %w", recordingID, err)
	}
	return nil
}

// addMarkers appends markers after the recording's last one, within tx.
// The recording's row is locked first, so concurrent appends number in
// turn; markers of a recording with no row are refused.
func addMarkers(ctx context.Context, tx pgx.Tx, id string, markers []recordings.Marker) error {
	if len(markers) == 0 {
		return nil
	}
	var seq int32
	err := tx.QueryRow(ctx, `SELECT coalesce((SELECT max(seq) FROM recording_markers WHERE recording_id = $1), 0)
		FROM recordings WHERE id = $1 FOR UPDATE`, id).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: %q", recordings.ErrUnknownRecording, id)
	}
	if err != nil {
		return err
	}
	rows := make([][]any, len(markers))
	for i, m := range markers {
		var detail map[string]string
		if len(m.Detail) > 0 {
			detail = m.Detail
		}
		rows[i] = []any{id, seq + int32(i) + 1, m.At, m.Kind, m.Actor, m.Reason, detail}
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"recording_markers"},
		[]string{"recording_id", "seq", "at", "kind", "actor", "reason", "detail"}, pgx.CopyFromRows(rows))
	return err
}

// Markers returns a recording's timeline markers in their order.
func (r *Recordings) Markers(ctx context.Context, recordingID string) (_ []recordings.Marker, err error) {
	ctx, span := startRecordingSpan(ctx, "Markers", recordingID)
	defer func() { endRecordingSpan(span, err) }()
	rows, _ := r.db.Query(ctx, `SELECT at, kind, actor, reason, detail FROM recording_markers
		WHERE recording_id = $1 ORDER BY seq`, recordingID)
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (recordings.Marker, error) {
		var m recordings.Marker
		err := row.Scan(&m.At, &m.Kind, &m.Actor, &m.Reason, &m.Detail)
		m.At = m.At.UTC()
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the markers of recording %q: %w", recordingID, err)
	}
	return out, nil
}
