package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PastCall is one of a caller's earlier calls, as the agent's screen pop
// shows it.
type PastCall struct {
	CallID      string
	Arrived     time.Time
	Hotline     string
	Queue       string
	Outcome     string
	AgentID     string
	Disposition string
	CSAT        int // the csat survey answer, 1 to 5; 0: none
}

// maxHistory bounds a caller's history.
const maxHistory = 100

// CallerHistory returns the calls of caller that arrived before before,
// newest first, at most limit (1 to 100).
func CallerHistory(ctx context.Context, db *pgxpool.Pool, caller string, before time.Time, limit int) ([]PastCall, error) {
	if caller == "" {
		return nil, nil
	}
	limit = min(max(limit, 1), maxHistory)
	rows, _ := db.Query(ctx, `SELECT c.id, c.arrived_at, coalesce(c.hotline, ''), coalesce(c.queue, ''),
			coalesce(c.outcome, ''), coalesce(c.agent_id, ''), coalesce(c.disposition, ''), coalesce(a.score, 0)
		FROM calls c
		LEFT JOIN survey_answers a ON a.call_id = c.id AND a.question = 'csat'
		WHERE c.caller = $1 AND c.arrived_at < $2
		ORDER BY c.arrived_at DESC, c.id DESC
		LIMIT $3`, caller, before, limit)
	calls, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (PastCall, error) {
		var p PastCall
		var csat int16
		err := row.Scan(&p.CallID, &p.Arrived, &p.Hotline, &p.Queue, &p.Outcome, &p.AgentID, &p.Disposition, &csat)
		p.CSAT = int(csat)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the calls of a caller: %w", err)
	}
	return calls, nil
}

// AgentDay is what an agent did in a period: the calls it answered first,
// their mean handle time (from its answer to the end of the call or of its
// wrap-up, whichever is later; calls still going left out), and the mean
// of their satisfaction answers.
type AgentDay struct {
	Answered    int
	Handled     int           // answered calls that are over, the handle time's count
	HandleTime  time.Duration // mean
	CSATAnswers int
	CSAT        float64 // mean of CSATAnswers answers, 1 to 5; 0 without any
}

// AgentDaySummary sums up the calls agent answered that arrived in
// [from, to).
func AgentDaySummary(ctx context.Context, db *pgxpool.Pool, agent string, from, to time.Time) (AgentDay, error) {
	var d AgentDay
	var handleSeconds, csat *float64
	err := db.QueryRow(ctx, `SELECT count(*),
			count(c.ended_at),
			(avg(extract(epoch FROM greatest(c.ended_at, c.wrap_up_ended_at) - c.agent_answered_at)) FILTER (WHERE c.ended_at IS NOT NULL))::float8,
			count(a.score),
			avg(a.score)::float8
		FROM calls c
		LEFT JOIN survey_answers a ON a.call_id = c.id AND a.question = 'csat'
		WHERE c.agent_id = $1 AND c.agent_answered_at IS NOT NULL AND c.arrived_at >= $2 AND c.arrived_at < $3`,
		agent, from, to).Scan(&d.Answered, &d.Handled, &handleSeconds, &d.CSATAnswers, &csat)
	if err != nil {
		return AgentDay{}, fmt.Errorf("summing up agent %s's calls: %w", agent, err)
	}
	if handleSeconds != nil {
		d.HandleTime = time.Duration(*handleSeconds * float64(time.Second)).Round(time.Millisecond)
	}
	if csat != nil {
		d.CSAT = *csat
	}
	return d, nil
}
