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

// TestCalibrations: the list of calibrations, newest first, all or a
// reviewer's, with who has submitted (a draft is not).
func TestCalibrations(t *testing.T) {
	ctx := t.Context()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	qa := store.NewQA(open(t, pgtest.New(t)), clock)
	card := scorecard.Standard()

	if list, err := qa.Calibrations(ctx, "", 0); err != nil || len(list) != 0 {
		t.Fatalf("no calibrations: %+v, %v", list, err)
	}
	first, err := qa.NewCalibration(ctx, "c1", "1001", card, []string{"qa2", "qa1"}, "sup")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	second, err := qa.NewCalibration(ctx, "c2", "1002", card, []string{"qa3", "qa2"}, "boss")
	if err != nil {
		t.Fatal(err)
	}
	id, err := qa.NewEvaluation(ctx, "c1", "1001", "qa1", first, card, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := qa.Act(ctx, id, "qa1", evaluation.Reviewer, evaluation.Submit, "", allYes(card, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := qa.NewEvaluation(ctx, "c1", "1001", "qa2", first, card, nil); err != nil { // a draft
		t.Fatal(err)
	}

	all, err := qa.Calibrations(ctx, "", 0)
	if err != nil || len(all) != 2 || all[0].ID != second || all[1].ID != first {
		t.Fatalf("all: %+v, %v", all, err)
	}
	c := all[1]
	if c.CallID != "c1" || c.Agent != "1001" || c.Scorecard != card.Name || c.ScorecardVersion != 1 || c.CreatedBy != "sup" ||
		!c.Created.Equal(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)) ||
		!slices.Equal(c.Reviewers, []string{"qa1", "qa2"}) || !slices.Equal(c.Submitted, []string{"qa1"}) {
		t.Errorf("the first: %+v", c)
	}
	if len(all[0].Submitted) != 0 {
		t.Errorf("the second has submissions: %+v", all[0])
	}
	for reviewer, want := range map[string][]int64{"qa1": {first}, "qa2": {second, first}, "qa3": {second}, "nobody": nil} {
		list, err := qa.Calibrations(ctx, reviewer, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, c := range list {
			got = append(got, c.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s's: %v, want %v", reviewer, got, want)
		}
	}
	if list, err := qa.Calibrations(ctx, "qa2", 1); err != nil || len(list) != 1 || list[0].ID != second {
		t.Errorf("limit 1: %+v, %v", list, err)
	}
}
