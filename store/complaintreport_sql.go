package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// complaintSpec is what queryComplaintFigures aggregates: the complaints
// registered in [from, to) that pass the filters (an empty one matches
// any; queue is the queue the complaint's call entered first), grouped by
// keys, the SQL of a text[] per complaint (c is the complaints row): a
// complaint counts in the row of each of its keys. periods are the
// starts a period grouping's keys ($9) number.
type complaintSpec struct {
	from, to, now                         time.Time
	keys                                  string
	periods                               []period
	hotline, category, owner, team, queue string
}

// periodKeys numbers a complaint's period (from 1) by its registration.
const periodKeys = `ARRAY[width_bucket(c.registered_at, $9::timestamptz[])::text]`

// complaintFiguresSQL computes ComplaintRow's figures (its comments
// define them) per key and in total (the row where the first column is
// true). changes are the picked complaints' changes (read complaint by
// complaint through the primary key: a month's, not the whole history),
// each with the
// numbers of the next resolution (next_resolve) and of the next answer to
// feedback (next_answer: resolution, follow-up or closing) after it, and
// whether its complaint was ever reopened. facts has a row per complaint (kind 'complaint'), per clock
// ('resolve', 'feedback') and per follow-up task ('followup'), each with
// its complaint's keys. A clock is a change that kept a deadline (due);
// the change that stops it is the next resolution (any clock) or, for a
// feedback clock, follow-up or closing. Durations are in microseconds.
// $8 is Now; %[1]s the keys; %[2]s the figures, the same for the groups
// and the total.
const complaintFiguresSQL = `
WITH picked AS (
	SELECT c.id, %[1]s AS keys
	FROM complaints c
	WHERE c.registered_at >= $1 AND c.registered_at < $2
		AND ($3 = '' OR c.hotline = $3)
		AND ($4 = '' OR c.category = $4)
		AND ($5 = '' OR c.owner = $5)
		AND ($6 = '' OR c.teams @> ARRAY[$6]::text[])
		AND ($7 = '' OR EXISTS (SELECT FROM calls q WHERE c.call_id <> '' AND q.id = c.call_id AND q.queue = $7))
), changes AS (
	SELECT ch.* FROM picked p CROSS JOIN LATERAL (
		SELECT c.complaint_id, c.seq, c.at, c.action, c.due,
			min(c.seq) FILTER (WHERE c.action = 'resolve') OVER after AS next_resolve,
			min(c.seq) FILTER (WHERE c.action IN ('resolve', 'follow_up', 'close')) OVER after AS next_answer,
			bool_or(c.action = 'reopen') OVER () AS reopened
		FROM complaint_changes c
		WHERE c.complaint_id = p.id
		WINDOW after AS (ORDER BY c.seq DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
	) ch
), facts AS (
	SELECT p.keys, 'complaint' AS kind, coalesce(r.reopened, false) AS reopened,
		NULL::timestamptz AS due, NULL::timestamptz AS stopped, NULL::bigint AS took,
		NULL::text AS task, NULL::boolean AS reached, NULL::boolean AS satisfied, 0::bigint AS attempts
	FROM picked p
	LEFT JOIN changes r ON r.complaint_id = p.id AND r.seq = 1
	UNION ALL
	SELECT p.keys, CASE ch.action WHEN 'feedback' THEN 'feedback' ELSE 'resolve' END, NULL,
		ch.due, stop.at,
		CASE WHEN ch.action <> 'feedback' THEN (extract(epoch FROM stop.at - ch.at) * 1000000)::bigint END,
		NULL, NULL, NULL, 0
	FROM changes ch
	JOIN picked p ON p.id = ch.complaint_id
	LEFT JOIN changes stop ON stop.complaint_id = ch.complaint_id
		AND stop.seq = CASE ch.action WHEN 'feedback' THEN ch.next_answer ELSE ch.next_resolve END
	WHERE ch.due IS NOT NULL AND ch.action IN ('register', 'reopen', 'feedback')
	UNION ALL
	SELECT p.keys, 'followup', NULL, NULL, NULL, NULL, f.state, f.reached, f.satisfied,
		(SELECT count(*) FROM followup_attempts a WHERE a.followup_id = f.id)
	FROM picked p
	JOIN followups f ON f.complaint_id = p.id AND f.complaint_id <> '' AND f.reason = 'complaint' AND f.state <> 'cancelled'
)
SELECT false, key, %[2]s FROM facts, unnest(keys) key GROUP BY key
UNION ALL
SELECT true, '', %[2]s FROM facts
`

// complaintFigures are the aggregates of complaintFiguresSQL, in the order
// queryComplaintFigures scans them.
const complaintFigures = `
	count(*) FILTER (WHERE kind = 'complaint'),
	count(*) FILTER (WHERE kind = 'complaint' AND reopened),
	count(*) FILTER (WHERE kind = 'resolve' AND stopped < due),
	count(*) FILTER (WHERE kind = 'resolve' AND stopped >= due),
	count(*) FILTER (WHERE kind = 'resolve' AND stopped IS NULL AND due <= $8),
	count(*) FILTER (WHERE kind = 'resolve' AND stopped IS NULL AND due > $8),
	count(*) FILTER (WHERE kind = 'feedback' AND stopped < due),
	count(*) FILTER (WHERE kind = 'feedback' AND stopped >= due),
	count(*) FILTER (WHERE kind = 'feedback' AND stopped IS NULL AND due <= $8),
	count(*) FILTER (WHERE kind = 'feedback' AND stopped IS NULL AND due > $8),
	coalesce(sum(took), 0)::bigint, count(took),
	coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY took), 0)::float8,
	count(*) FILTER (WHERE kind = 'followup'),
	coalesce(sum(attempts) FILTER (WHERE kind = 'followup'), 0)::bigint,
	count(*) FILTER (WHERE kind = 'followup' AND reached),
	count(*) FILTER (WHERE kind = 'followup' AND NOT reached),
	count(*) FILTER (WHERE kind = 'followup' AND task IN ('pending', 'dialling', 'offered')),
	count(*) FILTER (WHERE kind = 'followup' AND reached AND satisfied),
	count(*) FILTER (WHERE kind = 'followup' AND reached AND NOT satisfied)`

// queryComplaintFigures runs complaintFiguresSQL for spec and returns the
// rows by key, and the totals.
func queryComplaintFigures(ctx context.Context, db *pgxpool.Pool, spec complaintSpec) (map[string]ComplaintRow, ComplaintRow, error) {
	args := []any{spec.from, spec.to, spec.hotline, spec.category, spec.owner, spec.team, spec.queue, spec.now}
	if spec.periods != nil {
		starts := make([]time.Time, len(spec.periods))
		for i, p := range spec.periods {
			starts[i] = p.start
		}
		args = append(args, starts)
	}
	groups := map[string]ComplaintRow{}
	var total ComplaintRow
	// Without JIT: PostgreSQL's estimates (the keys' unnest at 10 rows a
	// complaint) take the query over the JIT's threshold, and compiling
	// it took longer (1.4 s for a month of 100,000 complaints) than
	// running it. With the memory to sort a month's changes in memory
	// (4 MB, the default, spilled every sort to disk).
	err := pgx.BeginTxFunc(ctx, db, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL jit = off; SET LOCAL work_mem = '64MB'`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, fmt.Sprintf(complaintFiguresSQL, spec.keys, complaintFigures), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		return scanComplaintFigures(rows, groups, &total)
	})
	if err != nil {
		return nil, ComplaintRow{}, err
	}
	return groups, total, nil
}

// scanComplaintFigures reads complaintFiguresSQL's rows into groups and
// total.
func scanComplaintFigures(rows pgx.Rows, groups map[string]ComplaintRow, total *ComplaintRow) error {
	for rows.Next() {
		var (
			isTotal       bool
			r             ComplaintRow
			tookUS        int64
			medianUS      float64
			f             = &r.FollowUps
			resolve, back = &r.Resolve, &r.Feedback
		)
		if err := rows.Scan(&isTotal, &r.Key, &r.Received, &r.Reopened,
			&resolve.Met, &resolve.Late, &resolve.Overdue, &resolve.Pending,
			&back.Met, &back.Late, &back.Overdue, &back.Pending,
			&tookUS, &r.TimeToResolve.N, &medianUS,
			&f.Tasks, &f.Attempts, &f.Reached, &f.Unreached, &f.Open, &f.Satisfied, &f.Unsatisfied); err != nil {
			return err
		}
		r.TimeToResolve.Total = time.Duration(tookUS) * time.Microsecond
		r.MedianToResolve = time.Duration(medianUS * float64(time.Microsecond))
		if isTotal {
			r.Key = ""
			*total = r
		} else {
			groups[r.Key] = r
		}
	}
	return rows.Err()
}
