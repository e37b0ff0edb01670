package store_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestQAReport: four evaluations submitted in the period (one auto-fail,
// one disputed and upheld, one disputed and waiting), one submitted the
// week after, a draft and a calibration's: the figures per agent and for
// everyone, against hand-counted ones.
func TestQAReport(t *testing.T) {
	ctx := t.Context()
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(t0)
	qa := store.NewQA(open(t, pgtest.New(t)), clock)
	card := scorecard.Standard()
	n := 0
	evaluate := func(agent string, changes map[string]string, submit bool) int64 {
		t.Helper()
		n++
		call := "call-" + string(rune('a'+n))
		if _, err := qa.AddPicks(ctx, []evaluation.Pick{{CallID: call, Agent: agent, Reasons: []string{"random"}}}); err != nil {
			t.Fatal(err)
		}
		if err := qa.Claim(ctx, call, agent, "qa1", time.Hour); err != nil {
			t.Fatal(err)
		}
		id, err := qa.NewEvaluation(ctx, call, agent, "qa1", 0, card, nil)
		if err != nil {
			t.Fatal(err)
		}
		act := evaluation.Save
		if submit {
			act = evaluation.Submit
		}
		if _, err := qa.Act(ctx, id, "qa1", evaluation.Reviewer, act, "", allYes(card, changes)); err != nil {
			t.Fatal(err)
		}
		return id
	}
	evaluate("1001", nil, true)                                                              // 100
	evaluate("1001", map[string]string{"forbidden_wording": "no", "greeting": "no"}, true)   // 0, auto-fail
	d1 := evaluate("1002", map[string]string{"greeting": "no"}, true)                        // 90
	d2 := evaluate("1002", map[string]string{"greeting": "no", "anything_else": "no"}, true) // 85
	evaluate("1002", nil, false)                                                             // a draft
	for id, outcome := range map[int64]evaluation.Action{d1: evaluation.Uphold, d2: ""} {
		if _, err := qa.Act(ctx, id, "1002", evaluation.Agent, evaluation.Dispute, "not fair", nil); err != nil {
			t.Fatal(err)
		}
		if outcome != "" {
			if _, err := qa.Act(ctx, id, "sup", evaluation.Supervisor, outcome, "fair", nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	cal, err := qa.NewCalibration(ctx, "call-x", "1001", card, []string{"qa1", "qa2"}, "sup")
	if err != nil {
		t.Fatal(err)
	}
	cid, _ := qa.NewEvaluation(ctx, "call-x", "1001", "qa2", cal, card, nil)
	if _, err := qa.Act(ctx, cid, "qa2", evaluation.Reviewer, evaluation.Submit, "", allYes(card, map[string]string{"privacy": "no"})); err != nil {
		t.Fatal(err)
	}
	clock.Advance(7 * 24 * time.Hour)
	evaluate("1001", map[string]string{"greeting": "no"}, true) // next week

	rows, err := qa.QAReport(ctx, t0, t0.Add(7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].Agent != "1001" || rows[1].Agent != "1002" || rows[2].Agent != "" {
		t.Fatalf("rows %+v", rows)
	}
	a, b, all := rows[0], rows[1], rows[2]
	if a.Evaluations != 2 || a.MeanScore != 50 || a.AutoFails != 1 || a.Grades[scorecard.FourStars] != 1 || a.Grades[scorecard.Fail] != 1 || a.Disputes != 0 {
		t.Errorf("1001: %+v", a)
	}
	if b.Evaluations != 2 || b.MeanScore != 87.5 || b.Disputes != 2 || b.Upheld != 1 || b.Open != 1 || b.Rescored != 0 ||
		b.Grades[scorecard.FourStars] != 1 || b.Grades[scorecard.ThreeStars] != 1 {
		t.Errorf("1002: %+v", b)
	}
	if all.Evaluations != 4 || all.MeanScore != 68.8 || all.AutoFails != 1 || all.Disputes != 2 {
		t.Errorf("everyone: %+v", all)
	}
	// greeting failed 3 times (1001's auto-fail, both of 1002's), then
	// anything_else and forbidden_wording once.
	if !slices.Equal(all.FailedMost, []evaluation.ItemCount{{Item: "greeting", Count: 3}, {Item: "anything_else", Count: 1}, {Item: "forbidden_wording", Count: 1}}) {
		t.Errorf("failed most %+v", all.FailedMost)
	}
}

// TestQAReportByTeam: seven evaluations of five agents, two teams and two
// agents in none (one listed with no team, one not listed at all); one
// auto-fail, three disputes (re-scored to all yes, upheld, open). The
// figures per team, for the agents in no team and for everyone, and per
// agent with each one's team, against hand-counted ones.
func TestQAReportByTeam(t *testing.T) {
	ctx := t.Context()
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	qa := store.NewQA(open(t, pgtest.New(t)), clockwork.NewFakeClockAt(t0))
	card := scorecard.Standard()
	n := 0
	evaluate := func(agent string, changes map[string]string) int64 {
		t.Helper()
		n++
		call := fmt.Sprintf("call-%d", n)
		if _, err := qa.AddPicks(ctx, []evaluation.Pick{{CallID: call, Agent: agent, Reasons: []string{"random"}}}); err != nil {
			t.Fatal(err)
		}
		if err := qa.Claim(ctx, call, agent, "qa1", time.Hour); err != nil {
			t.Fatal(err)
		}
		id, err := qa.NewEvaluation(ctx, call, agent, "qa1", 0, card, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := qa.Act(ctx, id, "qa1", evaluation.Reviewer, evaluation.Submit, "", allYes(card, changes)); err != nil {
			t.Fatal(err)
		}
		return id
	}
	dispute := func(id int64, agent string, outcome evaluation.Action, answers scorecard.Answers) {
		t.Helper()
		if _, err := qa.Act(ctx, id, agent, evaluation.Agent, evaluation.Dispute, "not fair", nil); err != nil {
			t.Fatal(err)
		}
		if outcome != "" {
			if _, err := qa.Act(ctx, id, "sup", evaluation.Supervisor, outcome, "looked again", answers); err != nil {
				t.Fatal(err)
			}
		}
	}
	evaluate("1001", nil)                                                  // 100 ★★★★
	dispute(evaluate("1001", map[string]string{"greeting": "no"}), "1001", // 90, re-scored: 100 ★★★★
		evaluation.Rescore, allYes(card, nil))
	dispute(evaluate("1002", map[string]string{"greeting": "no", "anything_else": "no"}), "1002", // 85 ★★★, upheld
		evaluation.Uphold, nil)
	evaluate("1003", map[string]string{"forbidden_wording": "no"})                  // 0, auto-fail
	evaluate("1003", nil)                                                           // 100 ★★★★
	dispute(evaluate("1004", map[string]string{"greeting": "no"}), "1004", "", nil) // 90 ★★★★, open
	evaluate("1005", map[string]string{"anything_else": "no"})                      // 95 ★★★★

	teams := map[string]string{"1001": "After-sales", "1002": "After-sales", "1003": "投诉 Complaints", "1004": ""}
	end := t0.Add(24 * time.Hour)
	rows, err := qa.QAReportBy(ctx, t0, end, evaluation.ByTeam, teams)
	if err != nil {
		t.Fatal(err)
	}
	grades := func(four, three, fail int) map[scorecard.Grade]int {
		g := map[scorecard.Grade]int{}
		for _, gr := range scorecard.Grades() {
			g[gr] = 0
		}
		g[scorecard.FourStars], g[scorecard.ThreeStars], g[scorecard.Fail] = four, three, fail
		return g
	}
	want := []evaluation.ReportRow{
		{Team: "After-sales", Evaluations: 3, MeanScore: 95, Grades: grades(2, 1, 0),
			FailedMost: []evaluation.ItemCount{{Item: "anything_else", Count: 1}, {Item: "greeting", Count: 1}},
			Disputes:   2, Upheld: 1, Rescored: 1},
		{Team: "投诉 Complaints", Evaluations: 2, MeanScore: 50, Grades: grades(1, 0, 1), AutoFails: 1,
			FailedMost: []evaluation.ItemCount{{Item: "forbidden_wording", Count: 1}}},
		{Team: evaluation.NoTeam, Evaluations: 2, MeanScore: 92.5, Grades: grades(2, 0, 0),
			FailedMost: []evaluation.ItemCount{{Item: "anything_else", Count: 1}, {Item: "greeting", Count: 1}},
			Disputes:   1, Open: 1},
		{Evaluations: 7, MeanScore: 81.4, Grades: grades(5, 1, 1), AutoFails: 1, // 570 / 7
			FailedMost: []evaluation.ItemCount{{Item: "anything_else", Count: 2}, {Item: "greeting", Count: 2}, {Item: "forbidden_wording", Count: 1}},
			Disputes:   3, Upheld: 1, Rescored: 1, Open: 1},
	}
	if len(rows) != len(want) {
		t.Fatalf("by team: %d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i := range want {
		if !reportRowsEqual(rows[i], want[i]) {
			t.Errorf("by team, row %d:\n got %+v\nwant %+v", i, rows[i], want[i])
		}
	}

	// By agent: the same figures as without teams, each row with its
	// agent's team.
	rows, err = qa.QAReportBy(ctx, t0, end, evaluation.ByAgent, teams)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := qa.QAReport(ctx, t0, end)
	if err != nil {
		t.Fatal(err)
	}
	wantAgents := [][2]string{{"1001", "After-sales"}, {"1002", "After-sales"}, {"1003", "投诉 Complaints"}, {"1004", ""}, {"1005", ""}, {"", ""}}
	if len(rows) != len(wantAgents) || len(plain) != len(rows) {
		t.Fatalf("by agent: %+v", rows)
	}
	for i, w := range wantAgents {
		if rows[i].Agent != w[0] || rows[i].Team != w[1] {
			t.Errorf("by agent, row %d: agent %q team %q, want %q %q", i, rows[i].Agent, rows[i].Team, w[0], w[1])
		}
		p := plain[i]
		p.Team = rows[i].Team
		if !reportRowsEqual(rows[i], p) {
			t.Errorf("by agent, row %d differs with teams:\n%+v\n%+v", i, rows[i], p)
		}
	}
	if a := rows[0]; a.Evaluations != 2 || a.MeanScore != 100 || a.Disputes != 1 || a.Rescored != 1 || len(a.FailedMost) != 0 {
		t.Errorf("1001 (re-scored to all yes): %+v", a)
	}
	if !reportRowsEqual(rows[5], want[3]) {
		t.Errorf("everyone by agent %+v, by team %+v", rows[5], want[3])
	}

	if _, err := qa.QAReportBy(ctx, t0, end, "queue", teams); err == nil {
		t.Error("a report by queue: no error")
	}
}

func reportRowsEqual(a, b evaluation.ReportRow) bool {
	return a.Agent == b.Agent && a.Team == b.Team && a.Evaluations == b.Evaluations && a.MeanScore == b.MeanScore &&
		maps.Equal(nonZero(a.Grades), nonZero(b.Grades)) && a.AutoFails == b.AutoFails && slices.Equal(a.FailedMost, b.FailedMost) &&
		a.Disputes == b.Disputes && a.Upheld == b.Upheld && a.Rescored == b.Rescored && a.Open == b.Open
}

func nonZero(g map[scorecard.Grade]int) map[scorecard.Grade]int {
	out := map[scorecard.Grade]int{}
	for k, v := range g {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}
