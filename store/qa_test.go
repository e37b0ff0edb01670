package store_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// allYes answers every item of card yes (its top for a scale).
func allYes(card *scorecard.Scorecard, changes map[string]string) scorecard.Answers {
	a := scorecard.Answers{}
	for _, it := range card.Items() {
		a[it.ID] = "yes"
		if it.Answer == scorecard.Scale {
			a[it.ID] = "5"
		}
	}
	for k, v := range changes {
		a[k] = v
	}
	return a
}

// TestEvaluationLifecycle: a call sampled into the queue, claimed by one
// reviewer (not two), scored from suggestions with an override, submitted,
// disputed by the agent and re-scored by a supervisor; every change is
// kept, with who, why and the overrides; a card edited afterwards does
// not change the version the evaluation was scored on.
func TestEvaluationLifecycle(t *testing.T) {
	ctx := t.Context()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	qa := store.NewQA(open(t, pgtest.New(t)), clock)
	card := scorecard.Standard()

	added, err := qa.AddPicks(ctx, []evaluation.Pick{{CallID: "c1", Agent: "1001", Reasons: []string{"random"}}})
	if err != nil || added != 1 {
		t.Fatalf("AddPicks: %d, %v", added, err)
	}
	// Picked again for another reason: one entry, both reasons.
	if added, err := qa.AddPicks(ctx, []evaluation.Pick{{CallID: "c1", Agent: "1001", Reasons: []string{"low_csat"}}}); err != nil || added != 0 {
		t.Fatalf("AddPicks again: %d, %v", added, err)
	}
	waiting, err := qa.ReviewQueue(ctx, "qa1", 10)
	if err != nil || len(waiting) != 1 || !slices.Equal(waiting[0].Reasons, []string{"low_csat", "random"}) {
		t.Fatalf("queue %+v, %v", waiting, err)
	}

	// Two reviewers claim at once: one wins.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, who := range []string{"qa1", "qa2"} {
		wg.Go(func() { errs[i] = qa.Claim(ctx, "c1", "1001", who, time.Hour) })
	}
	wg.Wait()
	winner, loser := "qa1", "qa2"
	if errs[0] != nil {
		winner, loser = "qa2", "qa1"
	}
	if (errs[0] == nil) == (errs[1] == nil) || !errors.Is(errs[0], store.ErrClaimed) && !errors.Is(errs[1], store.ErrClaimed) {
		t.Fatalf("claims: %v", errs)
	}
	if q, _ := qa.ReviewQueue(ctx, loser, 10); len(q) != 0 {
		t.Errorf("the other reviewer's queue shows the claimed call: %+v", q)
	}
	if _, err := qa.NewEvaluation(ctx, "c1", "1001", loser, 0, card, nil); !errors.Is(err, store.ErrClaimed) {
		t.Errorf("an evaluation by the reviewer without the claim: %v", err)
	}

	suggestions := []evaluation.Suggestion{{Item: "agent_id", Answer: "yes"}, {Item: "caller_hung_up_first", Answer: "no"}}
	id, err := qa.NewEvaluation(ctx, "c1", "1001", winner, 0, card, suggestions)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := qa.NewEvaluation(ctx, "c1", "1001", winner, 0, card, nil); !errors.Is(err, store.ErrEvaluated) {
		t.Errorf("a second evaluation of the call: %v", err)
	}
	// A draft saved with part of the answers: no score yet.
	clock.Advance(time.Minute)
	e, err := qa.Act(ctx, id, winner, evaluation.Reviewer, evaluation.Save, "", scorecard.Answers{"greeting": "no"})
	if err != nil || e.State != evaluation.Draft || e.Score != nil || e.Answers["agent_id"] != "yes" {
		t.Fatalf("saved: %+v, %v", e, err)
	}
	if _, err := qa.Act(ctx, id, winner, evaluation.Reviewer, evaluation.Submit, "", nil); !errors.Is(err, scorecard.ErrAnswers) {
		t.Errorf("submitting with items unanswered: %v", err)
	}
	if _, err := qa.Act(ctx, id, "1002", evaluation.Agent, evaluation.Acknowledge, "", nil); err == nil {
		t.Errorf("another agent acted on the evaluation")
	}
	// Submitted: the reviewer overrides the suggested caller_hung_up_first.
	clock.Advance(time.Minute)
	answers := allYes(card, map[string]string{"greeting": "no", "complaint_registered": "na"})
	e, err = qa.Act(ctx, id, winner, evaluation.Reviewer, evaluation.Submit, "", answers)
	if err != nil || e.State != evaluation.Submitted || e.Score == nil || *e.Score != 88.9 || e.Grade != scorecard.ThreeStars {
		t.Fatalf("submitted: %+v, %v", e, err)
	}
	if q, _ := qa.ReviewQueue(ctx, winner, 10); len(q) != 0 {
		t.Errorf("a submitted call still waits for review: %+v", q)
	}
	clock.Advance(time.Hour)
	if _, err := qa.Act(ctx, id, "1001", evaluation.Agent, evaluation.Dispute, "", nil); !errors.Is(err, evaluation.ErrStep) {
		t.Errorf("a dispute without a reason: %v", err)
	}
	if _, err := qa.Act(ctx, id, "1001", evaluation.Agent, evaluation.Dispute, "I did greet: listen at 00:03", nil); err != nil {
		t.Fatal(err)
	}
	e, err = qa.Act(ctx, id, "sup", evaluation.Supervisor, evaluation.Rescore, "greeting heard at 00:03", scorecard.Answers{"greeting": "yes"})
	if err != nil || e.State != evaluation.Rescored || *e.Score != 100 {
		t.Fatalf("re-scored: %+v, %v", e, err)
	}
	var trail []string
	for _, c := range e.Changes {
		trail = append(trail, c.Actor+":"+string(c.Action)+":"+string(c.From)+">"+string(c.To))
	}
	want := []string{winner + ":create:>draft", winner + ":save:draft>draft", winner + ":submit:draft>submitted",
		"1001:dispute:submitted>disputed", "sup:rescore:disputed>rescored"}
	if !slices.Equal(trail, want) {
		t.Errorf("changes %v, want %v", trail, want)
	}
	if o := e.Changes[2].Overrides["caller_hung_up_first"]; o.Suggested != "no" || o.Answered != "yes" {
		t.Errorf("the submit's overrides %+v", e.Changes[2].Overrides)
	}
	if c := e.Changes[3]; c.Comment != "I did greet: listen at 00:03" || !c.At.Equal(time.Date(2026, 12, 1, 10, 2, 0, 0, time.UTC)) {
		t.Errorf("the dispute %+v", c)
	}

	// The card changes: a new version; the evaluation keeps its own.
	edited := scorecard.Standard()
	edited.Sections[0].Items[0].Weight = 20
	v1, _ := qa.ScorecardVersion(ctx, card)
	v2, err := qa.ScorecardVersion(ctx, edited)
	if err != nil || v1 != 1 || v2 != 2 || e.ScorecardVersion != 1 {
		t.Errorf("versions %d, %d (%v); the evaluation's %d", v1, v2, err, e.ScorecardVersion)
	}
	old, err := qa.Scorecard(ctx, "standard", 1)
	if err != nil || old.Fingerprint() != card.Fingerprint() {
		t.Errorf("version 1 read back: %v", err)
	}
}

func TestCommentsAndCalibration(t *testing.T) {
	ctx := t.Context()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	qa := store.NewQA(open(t, pgtest.New(t)), clock)
	card := scorecard.Standard()

	for _, c := range []evaluation.Comment{
		{RecordingID: "r1", Offset: 192 * time.Second, Author: "qa1", Body: "interrupted the customer"},
		{RecordingID: "r1", Offset: 3 * time.Second, Author: "qa1", Body: "greeting"},
		{RecordingID: "r2", Offset: time.Second, Author: "qa2", Body: "another call"},
	} {
		if _, err := qa.AddComment(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := qa.AddComment(ctx, evaluation.Comment{RecordingID: "r1", Offset: -time.Second, Author: "x", Body: "x"}); err == nil {
		t.Error("a comment before the start was taken")
	}
	cs, err := qa.Comments(ctx, "r1")
	if err != nil || len(cs) != 2 || cs[0].Body != "greeting" || cs[1].Offset != 192*time.Second {
		t.Fatalf("comments %+v, %v", cs, err)
	}

	if _, err := qa.NewCalibration(ctx, "c9", "1003", card, []string{"qa1"}, "sup"); err == nil || !strings.Contains(err.Error(), "two reviewers") {
		t.Errorf("a calibration of one: %v", err)
	}
	cal, err := qa.NewCalibration(ctx, "c9", "1003", card, []string{"qa2", "qa1", "qa3"}, "sup")
	if err != nil {
		t.Fatal(err)
	}
	for who, changes := range map[string]map[string]string{
		"qa1": {"greeting": "no"},
		"qa2": {"greeting": "no"},
	} {
		id, err := qa.NewEvaluation(ctx, "c9", "1003", who, cal, card, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := qa.Act(ctx, id, who, evaluation.Reviewer, evaluation.Submit, "", allYes(card, changes)); err != nil {
			t.Fatal(err)
		}
	}
	// qa3 has a draft only: not in the report yet.
	if _, err := qa.NewEvaluation(ctx, "c9", "1003", "qa3", cal, card, nil); err != nil {
		t.Fatal(err)
	}
	report, pending, err := qa.CalibrationReport(ctx, cal)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pending, []string{"qa3"}) || report.MeanScore != 90 || len(report.Reviewers) != 2 {
		t.Errorf("report %+v, pending %v", report, pending)
	}
}
