package store_test

import (
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
