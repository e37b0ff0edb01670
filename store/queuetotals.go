package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/queue"
)

// queueTotalsSQL counts, per queue of $3 (service levels $4, in
// microseconds), the callers answered by an agent in [$1, $2) and those
// who abandoned in it, as the ACD's Center counts them:
//
//   - each stay in a queue is a pair of the journey's queue events (see
//     RecordJourney): the one that joined it (no result, no error) and the
//     next one of the same node with its result. "answered" is answered at
//     its answered_at (the event itself is the conversation's end), within
//     the service level when that is at most the level after the join;
//     "abandoned" is the caller hanging up while waiting or ringing, at the
//     event's time. Overflows, call-backs and calls lost with the PBX are
//     neither;
//   - a conversation that was still going when the records were read has
//     no journey yet (it is written when the call ends): its row in
//     queued_calls, talking or held, counts it answered at its answered_at,
//     within the level when that is at most the level after queue_arrived.
//
// A journey's queue is its queue node's, and its stay there ends once: a
// caller that the ACD moved on by itself (an overflow into another queue,
// an agent's transfer to a queue) counts once, in the node's queue, where
// the Center counts it in each queue where it was answered or abandoned.
const queueTotalsSQL = `
WITH levels AS (
	SELECT * FROM unnest($3::text[], $4::bigint[]) AS l(queue, sl_us)
), stays AS (
	-- Each result with the join before it: the last queue event of the
	-- same call and node before it that has neither result nor error (a
	-- window over the queues' events from the day before: no stay lasts
	-- a day).
	SELECT queue, answered_at, left_at, joined_at FROM (
		SELECT e.detail->>'queue' AS queue, e.detail->>'result' AS result,
			CASE WHEN e.detail->>'result' = 'answered' THEN coalesce((e.detail->>'answered_at')::timestamptz, e.at) END AS answered_at,
			e.at AS left_at,
			max(e.at) FILTER (WHERE NOT coalesce(e.detail ? 'result' OR e.detail ? 'error', false))
				OVER (PARTITION BY e.call_id, e.node ORDER BY e.seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS joined_at
		FROM call_events e
		WHERE e.kind = $5 AND e.at >= $1::timestamptz - interval '1 day'
	) x
	WHERE left_at >= $1 AND result IN ($6, $7) AND queue = ANY ($3::text[])
	UNION ALL
	SELECT q.queue, q.answered_at, NULL, q.queue_arrived
	FROM queued_calls q
	WHERE q.phase IN ('talking', 'held') AND q.answered_at >= $1 AND q.answered_at < $2
		AND NOT EXISTS (SELECT FROM call_events e WHERE e.call_id = q.call_id)
), counted AS (
	SELECT s.*, l.sl_us FROM stays s JOIN levels l USING (queue)
	WHERE (s.answered_at >= $1 AND s.answered_at < $2) OR (s.answered_at IS NULL AND s.left_at < $2)
)
SELECT queue,
	count(*) FILTER (WHERE answered_at IS NOT NULL),
	count(*) FILTER (WHERE answered_at IS NOT NULL AND answered_at - joined_at <= sl_us * interval '1 microsecond'),
	count(*) FILTER (WHERE answered_at IS NULL)
FROM counted
GROUP BY queue
`

// QueueTotals returns what the call records hold of the callers of the
// queues of serviceLevels (each with its service level) over [from, to):
// those answered by an agent, of which within the level, and those who
// abandoned, as the ACD's queue.Center counts them (see queueTotalsSQL).
// It is how a restarted server's queues take in the day so far. A queue
// without callers in the period is left out.
func QueueTotals(ctx context.Context, db *pgxpool.Pool, from, to time.Time, serviceLevels map[string]time.Duration) (map[string]queue.DayTotals, error) {
	names := make([]string, 0, len(serviceLevels))
	for name := range serviceLevels {
		names = append(names, name)
	}
	slices.Sort(names)
	levels := make([]int64, len(names))
	for i, name := range names {
		levels[i] = serviceLevels[name].Microseconds()
	}
	rows, err := db.Query(ctx, queueTotalsSQL, from, to, names, levels, ivr.EventQueue, ivr.QueueAnswered, "abandoned")
	if err != nil {
		return nil, fmt.Errorf("reading the queues' totals: %w", err)
	}
	defer rows.Close()
	out := map[string]queue.DayTotals{}
	for rows.Next() {
		var (
			name    string
			a, s, b int64
		)
		if err := rows.Scan(&name, &a, &s, &b); err != nil {
			return nil, fmt.Errorf("reading the queues' totals: %w", err)
		}
		out[name] = queue.DayTotals{Answered: int(a), AnsweredInSL: int(s), Abandoned: int(b)}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the queues' totals: %w", err)
	}
	return out, nil
}
