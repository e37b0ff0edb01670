package review_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/review"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// TestSampleAndStart: the week's answered calls are sampled into the
// review queue (twice: no new picks the second time), a reviewer starts
// an evaluation with the suggestions from the call's records, another
// reviewer cannot take it, and the first gets the same one back.
func TestSampleAndStart(t *testing.T) {
	ctx := t.Context()
	url := pgtest.New(t)
	db, err := store.Open(ctx, url, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	loc := time.FixedZone("CST", 8*3600)
	monday := time.Date(2026, 11, 30, 9, 0, 0, 0, loc)
	clock := clockwork.NewFakeClockAt(monday.Add(50 * time.Hour))
	for i, c := range []struct {
		id, agent, hungUp string
		at                time.Time
		csat              int
	}{
		{"c1", "1001", "caller", monday, 5},
		{"c2", "1001", "agent", monday.Add(time.Hour), 1},
		{"c3", "1001", "caller", monday.Add(2 * time.Hour), 0},
		{"c4", "1002", "caller", monday.Add(3 * time.Hour), 0},
		{"old", "1002", "caller", monday.Add(-48 * time.Hour), 1}, // the week before
	} {
		if _, err := db.Exec(ctx, `INSERT INTO calls (id, caller, arrived_at, queue, queued_at, agent_id, agent_answered_at, ended_at, hung_up_by, holds, hold_time, transfers)
			VALUES ($1, $2, $3, 'support', $3, $4, $3, $3::timestamptz + interval '3 minutes', $5, 0, '0s', 0)`,
			c.id, "1380000000"+string(rune('0'+i)), c.at, c.agent, c.hungUp); err != nil {
			t.Fatal(err)
		}
		if c.csat > 0 {
			if _, err := db.Exec(ctx, `INSERT INTO survey_answers (call_id, question, score, at) VALUES ($1, 'csat', $2, $3)`, c.id, c.csat, c.at); err != nil {
				t.Fatal(err)
			}
		}
	}
	qa := store.NewQA(db, clock)
	svc, err := review.New(review.Config{
		QA: qa, Card: scorecard.Standard(), Location: loc, Clock: clock,
		Rules: evaluation.Rules{RandomPerAgentWeek: 1, CSATAtMost: 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := svc.Sample(ctx, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	// One random call each for 1001 and 1002, plus c2 (CSAT 1) unless it
	// was 1001's random one; never the previous week's.
	waiting, err := qa.ReviewQueue(ctx, "qa1", 10)
	if err != nil {
		t.Fatal(err)
	}
	picked := map[string]bool{}
	for _, w := range waiting {
		picked[w.CallID] = true
	}
	if n != len(waiting) || len(waiting) < 2 || len(waiting) > 3 || !picked["c2"] || !picked["c4"] || picked["old"] {
		t.Fatalf("sampled %d: %+v", n, waiting)
	}
	if again, err := svc.Sample(ctx, clock.Now()); err != nil || again != 0 {
		t.Errorf("sampling again: %d new, %v", again, err)
	}

	e, err := svc.Start(ctx, "c2", "1001", "qa1")
	if err != nil {
		t.Fatal(err)
	}
	suggested := map[string]string{}
	for _, s := range e.Suggestions {
		suggested[s.Item] = s.Answer
	}
	if suggested["caller_hung_up_first"] != "no" || suggested["satisfaction"] != "1" || e.Answers["satisfaction"] != "1" || e.State != evaluation.Draft {
		t.Errorf("evaluation %+v", e)
	}
	if _, err := svc.Start(ctx, "c2", "1001", "qa2"); !errors.Is(err, store.ErrClaimed) {
		t.Errorf("another reviewer: %v", err)
	}
	back, err := svc.Start(ctx, "c2", "1001", "qa1")
	if err != nil || back.ID != e.ID {
		t.Errorf("starting it again: %v, %v", back.ID, err)
	}

	// Lists: the agent's own, the reviewer's.
	if list, err := svc.Evaluations(ctx, evaluation.Filter{Agent: "1001"}); err != nil || len(list) != 1 || list[0].ID != e.ID {
		t.Errorf("1001's evaluations: %+v, %v", list, err)
	}
	if list, err := svc.Evaluations(ctx, evaluation.Filter{Reviewer: "qa2"}); err != nil || len(list) != 0 {
		t.Errorf("qa2's evaluations: %+v, %v", list, err)
	}

	// A calibration: each of its reviewers gets an evaluation of their own,
	// the same one again; others none.
	cal, err := svc.NewCalibration(ctx, "c4", "1002", []string{"qa1", "qa2"}, "sup")
	if err != nil {
		t.Fatal(err)
	}
	a, err := svc.StartCalibration(ctx, cal, "qa1")
	if err != nil || a.CalibrationID != cal || a.Reviewer != "qa1" {
		t.Fatalf("qa1's calibration evaluation: %+v, %v", a, err)
	}
	if again, err := svc.StartCalibration(ctx, cal, "qa1"); err != nil || again.ID != a.ID {
		t.Errorf("again: %v, %v", again.ID, err)
	}
	if b, err := svc.StartCalibration(ctx, cal, "qa2"); err != nil || b.ID == a.ID {
		t.Errorf("qa2's: %v, %v", b.ID, err)
	}
	if _, err := svc.StartCalibration(ctx, cal, "qa3"); !errors.Is(err, store.ErrNotInCalibration) {
		t.Errorf("qa3, not in it: %v", err)
	}
	if list, _ := svc.Evaluations(ctx, evaluation.Filter{Agent: "1002"}); len(list) != 0 {
		t.Errorf("calibration evaluations listed as the agent's: %+v", list)
	}
}

// The console drives the review service as its QA.
var _ console.QA = (*review.Service)(nil)
