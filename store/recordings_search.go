package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/hotline-ivr/hotline/recordings"
)

// Search finds the recordings s selects, newest first, one page at a
// time (keyset pagination on the conversation's start and the ID). The
// call's outcome and satisfaction answer come from its records (calls,
// survey_answers), joined as they are now.
func (r *Recordings) Search(ctx context.Context, s recordings.Search) (_ recordings.Page, err error) {
	ctx, span := startRecordingSpan(ctx, "Search", "")
	defer func() { endRecordingSpan(span, err) }()
	if err := s.Check(); err != nil {
		return recordings.Page{}, err
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	states := make([]string, 0, len(s.StatesOrDefault()))
	for _, st := range s.StatesOrDefault() {
		states = append(states, string(st))
	}
	where = append(where, "r.state = ANY("+arg(states)+")")
	if !s.From.IsZero() {
		where = append(where, "r.call_started_at >= "+arg(s.From))
	}
	if !s.To.IsZero() {
		where = append(where, "r.call_started_at < "+arg(s.To))
	}
	for _, f := range []struct{ col, v string }{
		{"r.hotline", s.Hotline}, {"r.queue", s.Queue},
		{"r.caller", s.Caller}, {"c.outcome", s.Outcome},
	} {
		if f.v != "" {
			where = append(where, f.col+" = "+arg(f.v))
		}
	}
	if s.AgentID != "" {
		// The recording's own agent, or one who took it over (a transfer's
		// "agent" marker): both took part in the call.
		a := arg(s.AgentID)
		where = append(where, "(r.agent_id = "+a+` OR EXISTS (SELECT 1 FROM recording_markers m
			WHERE m.recording_id = r.id AND m.kind = 'agent' AND m.actor = `+a+"))")
	}
	if s.MinDuration > 0 {
		where = append(where, "r.duration >= make_interval(secs => "+arg(s.MinDuration.Seconds())+")")
	}
	if s.MaxDuration > 0 {
		where = append(where, "r.duration <= make_interval(secs => "+arg(s.MaxDuration.Seconds())+")")
	}
	if s.PCIPause != nil {
		if *s.PCIPause {
			where = append(where, "r.pci_pauses > 0")
		} else {
			where = append(where, "r.pci_pauses = 0")
		}
	}
	if s.MinCSAT > 0 {
		where = append(where, "a.score >= "+arg(int16(s.MinCSAT)))
	}
	if s.MaxCSAT > 0 {
		where = append(where, "a.score <= "+arg(int16(s.MaxCSAT)))
	}
	if s.After != "" {
		at, id, _ := recordings.DecodeCursor(s.After) // Check read it
		where = append(where, "(r.call_started_at, r.id) < ("+arg(at)+", "+arg(id)+")")
	}
	limit := s.PageLimit()
	rows, _ := r.db.Query(ctx, "SELECT "+recordingColumns+`, coalesce(c.outcome, ''), coalesce(a.score, 0)
		FROM recordings r
		LEFT JOIN calls c ON c.id = r.call_id
		LEFT JOIN survey_answers a ON a.call_id = r.call_id AND a.question = 'csat'
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY r.call_started_at DESC, r.id DESC LIMIT `+arg(limit+1), args...)
	found, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (recordings.Found, error) {
		var f recordings.Found
		j, err := scanRecordingAnd(row, &f.Outcome, &f.CSAT)
		f.Job = j
		return f, err
	})
	if err != nil {
		return recordings.Page{}, fmt.Errorf("searching recordings: %w", err)
	}
	page := recordings.Page{Recordings: found}
	if len(found) > limit {
		page.Recordings = found[:limit]
		last := found[limit-1]
		page.Next = recordings.EncodeCursor(last.Start, last.ID)
	}
	return page, nil
}
