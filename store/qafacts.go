package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hotline-ivr/hotline/recordings/evaluation"
)

// ErrNoCall: the call records have no such call (yet).
var ErrNoCall = evaluation.ErrNoCall

// Facts gathers what the call records know of the agent's part of a call,
// for the suggested answers (evaluation.Suggest): who hung up, holds and
// transfers, the survey, the caller's next call, wrap-up, disposition,
// whether the agent's ID was announced (the conversation recording's
// agent_id marker), and whether it was answered within serviceLevel of
// its queue (nil: unknown). now is the evaluation's time. The holds and
// transfers are the call's (an agent who took over a transfer shares
// them); voice activity is not a fact of the records (Talk stays nil).
func (q *QA) Facts(ctx context.Context, callID, agent string, now time.Time, serviceLevel func(queue string) (time.Duration, bool)) (evaluation.Facts, error) {
	var (
		f                                 evaluation.Facts
		queue, hungUp, disposition        *string
		ended, queued, answered, wrapUpAt *time.Time
		holds, transfers                  *int32
		holdSecs                          *float64
		csat                              *int16
		next                              *time.Time
		recorded, announced               bool
	)
	err := q.db.QueryRow(ctx, `
		SELECT c.queue, c.hung_up_by, c.disposition, c.ended_at, c.queued_at, c.agent_answered_at, c.wrap_up_ended_at,
			c.holds, c.transfers, extract(epoch FROM c.hold_time)::float8,
			(SELECT s.score FROM survey_answers s WHERE s.call_id = c.id AND s.question = 'csat'),
			(SELECT min(n.arrived_at) FROM calls n WHERE n.caller = c.caller AND n.caller <> '' AND n.id <> c.id AND n.arrived_at > c.arrived_at),
			EXISTS (SELECT 1 FROM recordings r WHERE r.call_id = c.id AND r.kind = 'conversation' AND r.agent_id = $2),
			EXISTS (SELECT 1 FROM recordings r JOIN recording_markers m ON m.recording_id = r.id
			        WHERE r.call_id = c.id AND r.kind = 'conversation' AND m.kind = 'agent_id' AND m.detail->>'actor' = $2)
		FROM calls c WHERE c.id = $1`, callID, agent).Scan(&queue, &hungUp, &disposition, &ended, &queued, &answered, &wrapUpAt,
		&holds, &transfers, &holdSecs, &csat, &next, &recorded, &announced)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, fmt.Errorf("call %s: %w", callID, ErrNoCall)
	}
	if err != nil {
		return f, fmt.Errorf("the facts of call %s: %w", callID, err)
	}
	f.Recorded = true
	if err := q.complaintFacts(ctx, callID, &f); err != nil {
		return f, fmt.Errorf("the facts of call %s: %w", callID, err)
	}
	if hungUp != nil {
		f.HungUpBy = *hungUp
	}
	if disposition != nil {
		f.Disposition = *disposition
	}
	if holds != nil {
		f.Holds = new(int(*holds))
	}
	if transfers != nil {
		f.Transfers = new(int(*transfers))
	}
	if holdSecs != nil {
		f.HoldTime = new(time.Duration(*holdSecs * float64(time.Second)))
	}
	if csat != nil {
		f.CSAT = new(int(*csat))
	}
	if ended != nil {
		f.Since = now.Sub(*ended)
		if next != nil {
			f.NextCall = new(next.Sub(*ended))
		}
		if wrapUpAt != nil {
			f.WrapUp = new(max(wrapUpAt.Sub(*ended), 0))
		}
	}
	if recorded {
		f.AgentIDAnnounced = new(announced)
	}
	if queue != nil && queued != nil && answered != nil && serviceLevel != nil {
		if sl, ok := serviceLevel(*queue); ok {
			f.WithinSL = new(answered.Sub(*queued) <= sl)
		}
	}
	return f, nil
}

// Candidates lists the agents' parts of the calls that ended in [from,
// to), answered by an agent, for sampling (evaluation.Sample); a call
// whose disposition is one of complaintCodes has a complaint.
func (q *QA) Candidates(ctx context.Context, from, to time.Time, complaintCodes []string) ([]evaluation.Candidate, error) {
	rows, err := q.db.Query(ctx, `
		SELECT c.id, c.agent_id, c.ended_at, COALESCE(s.score, 0), COALESCE(c.disposition = ANY($3), false),
			COALESCE(c.transfers, 0), COALESCE(extract(epoch FROM c.hold_time), 0)::float8
		FROM calls c LEFT JOIN survey_answers s ON s.call_id = c.id AND s.question = 'csat'
		WHERE c.agent_id IS NOT NULL AND c.agent_answered_at IS NOT NULL AND c.ended_at >= $1 AND c.ended_at < $2
		ORDER BY c.ended_at, c.id`, from, to, complaintCodes)
	if err != nil {
		return nil, fmt.Errorf("the calls to sample: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (evaluation.Candidate, error) {
		var c evaluation.Candidate
		var csat int16
		var hold float64
		err := r.Scan(&c.CallID, &c.Agent, &c.Ended, &csat, &c.Complaint, &c.Transfers, &hold)
		c.CSAT, c.HoldTime = int(csat), time.Duration(hold*float64(time.Second))
		return c, err
	})
}

// ConversationRecording finds the playable recording of the agent's
// conversation in a call ("" if none): the agent's own, or one the agent
// joined by a transfer (its "agent" markers).
func (q *QA) ConversationRecording(ctx context.Context, callID, agent string) (string, error) {
	var id string
	err := q.db.QueryRow(ctx, `
		SELECT r.id FROM recordings r
		WHERE r.call_id = $1 AND r.kind = 'conversation' AND r.state IN ('stored', 'cleaned')
		  AND (r.agent_id = $2 OR EXISTS (SELECT 1 FROM recording_markers m WHERE m.recording_id = r.id AND m.kind = 'agent' AND m.detail->>'actor' = $2))
		ORDER BY r.call_started_at LIMIT 1`, callID, agent).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("the recording of call %s: %w", callID, err)
	}
	return id, nil
}

// complaintFacts fills in the complaint registered for the call (its
// first), with the fields of the standard it leaves empty.
func (q *QA) complaintFacts(ctx context.Context, callID string, f *evaluation.Facts) error {
	var id, complainant, contact, content, category, wants string
	err := q.db.QueryRow(ctx, `SELECT id, complainant, contact, content, category, wants FROM complaints
		WHERE call_id = $1 ORDER BY registered_at, id LIMIT 1`, callID).Scan(&id, &complainant, &contact, &content, &category, &wants)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	c := &evaluation.ComplaintFacts{ID: id}
	for _, field := range []struct{ name, value string }{
		{"complainant", complainant}, {"contact", contact}, {"content", content}, {"category", category}, {"wants", wants},
	} {
		if strings.TrimSpace(field.value) == "" {
			c.Missing = append(c.Missing, field.name)
		}
	}
	f.Complaint = c
	return nil
}
