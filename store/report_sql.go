package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hotline-ivr/hotline/ivr"
)

// servedOutcomes are the outcomes of calls that were served without an
// agent: a caller who hangs up after one of them has not abandoned.
var servedOutcomes = []string{ivr.OutcomeSelfService, ivr.OutcomeCompleted, ivr.OutcomeMessage, ivr.OutcomeTransferred}

// containedOutcomes are the IVR's self-service success points.
var containedOutcomes = []string{ivr.OutcomeSelfService, ivr.OutcomeCompleted}

// groupKeys are the SQL of each grouping's key, a text; for days and
// hours, the number of the period ($11, the periods' starts) the call
// arrived in.
var groupKeys = map[string]string{
	GroupByTotal:   `''`,
	GroupByHotline: `coalesce(c.hotline, '')`,
	GroupByQueue:   `coalesce(c.queue, '')`,
	GroupByAgent:   `coalesce(c.agent_id, '')`,
	GroupByDay:     `width_bucket(c.arrived_at, $11::timestamptz[])::text`,
	GroupByHour:    `width_bucket(c.arrived_at, $11::timestamptz[])::text`,
}

// reportSQL computes a report's rows, and its totals (the row where total
// is true), from the calls that arrived in [$1, $2), filtered by hotline
// $3, queue $4 and agent $5 (an empty one matches any). Durations are in
// microseconds: $6 the service-level target, $7 the short-abandon
// threshold, $8 the FCR window. $9 are the served outcomes, $10 the
// contained ones. The centre's own calls out (an agent's outbound call, an
// automated follow-up visit: outcomes OutboundOutcomePrefix...) are no
// calls to the hotline: they count nowhere, and a call out to a caller is
// not the caller calling again (FCR). %s is the grouping's key. ReportRow's comments define
// each column.
const reportSQL = `
WITH picked AS (
	SELECT c.*, %s AS grp
	FROM calls c
	WHERE c.arrived_at >= $1 AND c.arrived_at < $2
		AND ($3 = '' OR c.hotline = $3)
		AND ($4 = '' OR c.queue = $4)
		AND ($5 = '' OR c.agent_id = $5)
		AND coalesce(c.outcome NOT LIKE 'outbound\_%%', true)
), per_call AS (
	SELECT p.grp,
		p.agent_answered_at IS NOT NULL AS answered,
		p.queued_at IS NOT NULL AS queued,
		coalesce(p.hung_up_by = 'caller' AND p.agent_answered_at IS NULL AND NOT coalesce(p.outcome = ANY ($9::text[]), false), false) AS abandoned,
		(extract(epoch FROM p.ended_at - coalesce(p.queued_at, p.arrived_at)) * 1000000)::bigint AS abandon_wait,
		(extract(epoch FROM p.agent_answered_at - coalesce(p.queued_at, p.arrived_at)) * 1000000)::bigint AS answer_wait,
		(extract(epoch FROM greatest(p.ended_at, p.wrap_up_ended_at) - p.agent_answered_at) * 1000000)::bigint AS handle,
		coalesce(p.caller <> '', false) AS known_caller,
		NOT EXISTS (
			SELECT FROM calls r
			WHERE r.caller = p.caller AND r.arrived_at > p.arrived_at
				AND r.arrived_at <= p.arrived_at + $8::bigint * interval '1 microsecond'
				AND coalesce(r.outcome NOT LIKE 'outbound\_%%', true)
		) AS resolved,
		p.answered_at IS NOT NULL AS in_ivr,
		coalesce(p.outcome = ANY ($10::text[]), false) AS success,
		greatest(coalesce(p.transfers, 0), t.n) AS transfers,
		coalesce(p.holds, 0) AS holds,
		s.score
	FROM picked p
	CROSS JOIN LATERAL (
		SELECT count(*) AS n FROM call_events e
		WHERE e.call_id = p.id AND e.kind = 'transfer' AND NOT coalesce(e.detail ? 'error', false)
	) t
	LEFT JOIN survey_answers s ON s.call_id = p.id AND s.question = 'csat' AND s.score BETWEEN 1 AND 5
), measured AS (
	SELECT *, abandoned AND coalesce(abandon_wait <= $7, false) AS short FROM per_call
)
SELECT GROUPING(grp) = 1, coalesce(grp, ''),
	count(*),
	count(*) FILTER (WHERE answered),
	count(*) FILTER (WHERE abandoned AND NOT queued AND NOT short),
	count(*) FILTER (WHERE abandoned AND queued AND NOT short),
	count(*) FILTER (WHERE abandoned AND NOT queued AND short),
	count(*) FILTER (WHERE abandoned AND queued AND short),
	count(*) FILTER (WHERE answered AND answer_wait <= $6),
	count(*) FILTER (WHERE abandoned AND queued AND NOT short AND NOT coalesce(abandon_wait <= $6, false)),
	coalesce(sum(answer_wait) FILTER (WHERE answered), 0)::bigint,
	count(answer_wait) FILTER (WHERE answered),
	coalesce(sum(handle) FILTER (WHERE answered), 0)::bigint,
	count(handle) FILTER (WHERE answered),
	count(*) FILTER (WHERE known_caller AND resolved),
	count(*) FILTER (WHERE known_caller),
	count(*) FILTER (WHERE in_ivr AND success AND NOT queued AND NOT answered AND transfers = 0),
	count(*) FILTER (WHERE in_ivr),
	coalesce(sum(score), 0)::bigint,
	count(score),
	count(*) FILTER (WHERE score >= 4),
	coalesce(sum(transfers), 0)::bigint,
	coalesce(sum(holds), 0)::bigint
FROM measured
GROUP BY GROUPING SETS ((grp), ())
`

// queryReport runs reportSQL for q (with its defaults) and returns the
// rows by key, and the totals. ps are the periods of a report by day or
// hour.
func queryReport(ctx context.Context, db *pgxpool.Pool, q ReportQuery, ps []period) (map[string]ReportRow, ReportRow, error) {
	args := []any{q.From, q.To, q.Hotline, q.Queue, q.Agent,
		q.ServiceLevel.Microseconds(), q.ShortAbandon.Microseconds(), q.FCRWindow.Microseconds(),
		servedOutcomes, containedOutcomes}
	if ps != nil {
		starts := make([]time.Time, len(ps))
		for i, p := range ps {
			starts[i] = p.start
		}
		args = append(args, starts)
	}
	rows, err := db.Query(ctx, fmt.Sprintf(reportSQL, groupKeys[q.GroupBy]), args...)
	if err != nil {
		return nil, ReportRow{}, err
	}
	defer rows.Close()
	groups := map[string]ReportRow{}
	var total ReportRow
	for rows.Next() {
		var (
			isTotal                          bool
			r                                ReportRow
			slWithin, slLateAbandons         int64
			waitUS, handleUS, scoreSum, sat4 int64
		)
		err := rows.Scan(&isTotal, &r.Key,
			&r.Offered, &r.Answered,
			&r.AbandonedIVR, &r.AbandonedQueue, &r.ShortAbandonedIVR, &r.ShortAbandonedQueue,
			&slWithin, &slLateAbandons,
			&waitUS, &r.SpeedOfAnswer.N, &handleUS, &r.HandleTime.N,
			&r.FirstContact.Num, &r.FirstContact.Den,
			&r.Containment.Num, &r.Containment.Den,
			&scoreSum, &r.CSAT.Den, &sat4,
			&r.Transfers, &r.Holds)
		if err != nil {
			return nil, ReportRow{}, err
		}
		r.AbandonRate = Ratio{r.Abandoned(), r.Offered - r.ShortAbandoned()}
		r.ServiceLevel = Ratio{slWithin, r.Answered}
		r.ServiceLevelAbandons = Ratio{slWithin, r.Answered + slLateAbandons}
		r.SpeedOfAnswer.Total = time.Duration(waitUS) * time.Microsecond
		r.HandleTime.Total = time.Duration(handleUS) * time.Microsecond
		r.CSAT.Num = scoreSum
		r.Satisfied = Ratio{sat4, r.CSAT.Den}
		if isTotal {
			r.Key = ""
			total = r
		} else {
			groups[r.Key] = r
		}
	}
	return groups, total, rows.Err()
}

// sortedGroups are the rows of groups in the order of their keys, bytewise,
// with the calls without a hotline, queue or agent ("") last.
func sortedGroups(groups map[string]ReportRow) []ReportRow {
	out := make([]ReportRow, 0, len(groups))
	for _, r := range groups {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b ReportRow) int {
		if (a.Key == "") != (b.Key == "") {
			if a.Key == "" {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Key, b.Key)
	})
	return out
}
