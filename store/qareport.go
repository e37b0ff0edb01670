package store

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
)

// QAReport sums up the evaluations submitted in [from, to), per agent,
// with a last row for everyone (Agent "").
func (q *QA) QAReport(ctx context.Context, from, to time.Time) ([]evaluation.ReportRow, error) {
	return q.QAReportBy(ctx, from, to, evaluation.ByAgent, nil)
}

// QAReportBy sums up the evaluations submitted in [from, to), per agent
// or per team, with a last row for everyone (Agent and Team ""). teams
// maps an agent to its team; an agent it leaves out is in none. By
// agent, each row carries its agent's team; by team, the rows are the
// teams in name order, then the agents in no team (evaluation.NoTeam).
// Only the agents and teams with evaluations in the period have a row.
func (q *QA) QAReportBy(ctx context.Context, from, to time.Time, by evaluation.ReportBy, teams map[string]string) ([]evaluation.ReportRow, error) {
	if by != evaluation.ByAgent && by != evaluation.ByTeam {
		return nil, fmt.Errorf("QA report: %q is not a grouping (agent or team)", by)
	}
	// key is the row an agent's evaluations count in.
	key := func(agent string) evaluation.ReportRow {
		if by == evaluation.ByAgent {
			return evaluation.ReportRow{Agent: agent, Team: teams[agent]}
		}
		if t := teams[agent]; t != "" {
			return evaluation.ReportRow{Team: t}
		}
		return evaluation.ReportRow{Team: evaluation.NoTeam}
	}
	type acc struct {
		row    evaluation.ReportRow
		sum    float64
		failed map[string]int
	}
	groups := map[string]*acc{}
	all := &acc{row: evaluation.ReportRow{Grades: map[scorecard.Grade]int{}}, failed: map[string]int{}}
	rows, err := q.db.Query(ctx, `
		SELECT e.agent_id, e.score::float8, COALESCE(e.grade, ''), e.auto_failed, e.failed,
			EXISTS (SELECT 1 FROM evaluation_changes c WHERE c.evaluation_id = e.id AND c.action = 'dispute'), e.state
		FROM evaluations e
		WHERE e.calibration_id IS NULL AND e.submitted_at >= $1 AND e.submitted_at < $2 AND e.score IS NOT NULL
		ORDER BY e.agent_id`, from, to)
	if err != nil {
		return nil, fmt.Errorf("QA report: %w", err)
	}
	var (
		agent, grade, state string
		score               float64
		autoFailed, failed  []string
		disputed            bool
	)
	_, err = pgx.ForEachRow(rows, []any{&agent, &score, &grade, &autoFailed, &failed, &disputed, &state}, func() error {
		k := key(agent)
		a := groups[k.Agent+"\x00"+k.Team]
		if a == nil {
			k.Grades = map[scorecard.Grade]int{}
			a = &acc{row: k, failed: map[string]int{}}
			groups[k.Agent+"\x00"+k.Team] = a
		}
		for _, x := range []*acc{a, all} {
			x.row.Evaluations++
			x.sum += score
			x.row.Grades[scorecard.Grade(grade)]++
			if len(autoFailed) > 0 {
				x.row.AutoFails++
			}
			for _, it := range failed {
				x.failed[it]++
			}
			if disputed {
				x.row.Disputes++
				switch state {
				case "upheld":
					x.row.Upheld++
				case "rescored":
					x.row.Rescored++
				case "disputed":
					x.row.Open++
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("QA report: %w", err)
	}
	finish := func(a *acc) evaluation.ReportRow {
		r := a.row
		if r.Evaluations > 0 {
			r.MeanScore = round1(a.sum / float64(r.Evaluations))
		}
		for it, n := range a.failed {
			r.FailedMost = append(r.FailedMost, evaluation.ItemCount{Item: it, Count: n})
		}
		slices.SortFunc(r.FailedMost, func(x, y evaluation.ItemCount) int { return cmp.Or(y.Count-x.Count, cmp.Compare(x.Item, y.Item)) })
		r.FailedMost = r.FailedMost[:min(5, len(r.FailedMost))]
		return r
	}
	var out []evaluation.ReportRow
	for _, k := range slices.Sorted(maps.Keys(groups)) {
		if r := finish(groups[k]); r.Team != evaluation.NoTeam || by == evaluation.ByAgent {
			out = append(out, r)
		}
	}
	if a := groups["\x00"+evaluation.NoTeam]; a != nil && by == evaluation.ByTeam {
		out = append(out, finish(a))
	}
	return append(out, finish(all)), nil
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
