package review_test

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/review"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestReportByTeam: the service reports by the teams it was given: two
// agents of one team, one in none; by agent, each row has its team.
func TestReportByTeam(t *testing.T) {
	ctx := t.Context()
	db, err := store.Open(ctx, pgtest.New(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(t0)
	qa := store.NewQA(db, clock)
	card := scorecard.Standard()
	svc, err := review.New(review.Config{QA: qa, Card: card, Location: time.UTC, Clock: clock,
		Teams: map[string]string{"1001": "VIP", "1002": "VIP"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, ev := range []struct{ agent, greeting string }{{"1001", "yes"}, {"1002", "no"}, {"1003", "no"}} { // 100, 90, 90
		call := "c" + ev.agent
		if _, err := db.Exec(ctx, `INSERT INTO calls (id, caller, arrived_at, queue, queued_at, agent_id, agent_answered_at, ended_at, hung_up_by, holds, hold_time, transfers)
			VALUES ($1, '13800001234', $2, 'support', $2, $3, $2, $2::timestamptz + interval '3 minutes', 'caller', 0, '0s', 0)`,
			call, t0.Add(-time.Hour), ev.agent); err != nil {
			t.Fatal(err)
		}
		if _, err := qa.AddPicks(ctx, []evaluation.Pick{{CallID: call, Agent: ev.agent, Reasons: []string{"random"}}}); err != nil {
			t.Fatal(err)
		}
		e, err := svc.Start(ctx, call, ev.agent, "qa1")
		if err != nil {
			t.Fatal(i, err)
		}
		answers := scorecard.Answers{}
		for _, it := range card.Items() {
			answers[it.ID] = "yes"
			if it.Answer == scorecard.Scale {
				answers[it.ID] = "5"
			}
		}
		answers["greeting"] = ev.greeting
		if _, err := svc.Act(ctx, e.ID, "qa1", evaluation.Reviewer, evaluation.Submit, "", answers); err != nil {
			t.Fatal(err)
		}
	}
	end := t0.Add(time.Hour)
	rows, err := svc.Report(ctx, t0, end, evaluation.ByTeam)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].Team != "VIP" || rows[0].Evaluations != 2 || rows[0].MeanScore != 95 ||
		rows[1].Team != evaluation.NoTeam || rows[1].Evaluations != 1 || rows[1].MeanScore != 90 ||
		rows[2].Team != "" || rows[2].Agent != "" || rows[2].Evaluations != 3 || rows[2].MeanScore != 93.3 {
		t.Errorf("by team: %+v", rows)
	}
	rows, err = svc.Report(ctx, t0, end, evaluation.ByAgent)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0].Agent != "1001" || rows[0].Team != "VIP" || rows[1].Team != "VIP" || rows[2].Agent != "1003" || rows[2].Team != "" ||
		rows[3].Evaluations != 3 {
		t.Errorf("by agent: %+v", rows)
	}
}
