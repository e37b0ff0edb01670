package evaluation_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
	"github.com/hotline-ivr/hotline/recordings/talk"
)

func TestSteps(t *testing.T) {
	e := evaluation.Draft
	step := func(act evaluation.Action, who evaluation.Who, comment string) {
		t.Helper()
		next, err := evaluation.Step(e, act, who, comment)
		if err != nil {
			t.Fatalf("%s by %s from %s: %v", act, who, e, err)
		}
		e = next
	}
	refused := func(act evaluation.Action, who evaluation.Who, comment, want string) {
		t.Helper()
		next, err := evaluation.Step(e, act, who, comment)
		if !errors.Is(err, evaluation.ErrStep) || next != e || !strings.Contains(err.Error(), want) {
			t.Errorf("%s by %s from %s: %s, %v; want refused with %q", act, who, e, next, err, want)
		}
	}
	refused(evaluation.Acknowledge, evaluation.Agent, "", "an agent cannot acknowledge an evaluation that is draft")
	step(evaluation.Save, evaluation.Reviewer, "")
	refused(evaluation.Submit, evaluation.Agent, "", "an agent cannot submit")
	step(evaluation.Submit, evaluation.Reviewer, "")
	refused(evaluation.Save, evaluation.Reviewer, "", "cannot save an evaluation that is submitted")
	refused(evaluation.Dispute, evaluation.Agent, " ", "to dispute, say why")
	step(evaluation.Dispute, evaluation.Agent, "the caller hung up on me")
	refused(evaluation.Dispute, evaluation.Agent, "again", "cannot dispute an evaluation that is disputed")
	refused(evaluation.Uphold, evaluation.Agent, "mine", "an agent cannot uphold")
	step(evaluation.Rescore, evaluation.Supervisor, "the caller did hang up first")
	if e != evaluation.Rescored || !e.Final() {
		t.Errorf("after a re-score: %s", e)
	}
	refused(evaluation.Rescore, evaluation.Supervisor, "once more", "cannot rescore an evaluation that is rescored")

	e = evaluation.Submitted
	step(evaluation.Acknowledge, evaluation.Agent, "")
	refused(evaluation.Dispute, evaluation.Agent, "late", "cannot dispute an evaluation that is acknowledged")
}

func ptr[T any](v T) *T { return &v }

func TestSuggest(t *testing.T) {
	card := scorecard.Standard()
	got := map[string]evaluation.Suggestion{}
	for _, s := range evaluation.Suggest(card, evaluation.Facts{
		AgentIDAnnounced: ptr(true), HungUpBy: "agent", Holds: ptr(2), HoldTime: ptr(90 * time.Second),
		Transfers: ptr(1), NextCall: ptr(3 * 24 * time.Hour), Since: 10 * 24 * time.Hour, CSAT: ptr(4),
		Talk: &talk.Analysis{LongestDeadAir: 12 * time.Second},
	}) {
		got[s.Item] = s
	}
	want := map[string]string{
		"agent_id": "yes", "caller_hung_up_first": "no", "holds": "no", "hold_time": "yes",
		"transfers": "yes", "first_contact": "no", "satisfaction": "4", "dead_air": "no",
	}
	for item, answer := range want {
		if got[item].Answer != answer {
			t.Errorf("%s: suggested %q (%s), want %q", item, got[item].Answer, got[item].Why.En, answer)
		}
	}
	if len(got) != len(want) {
		t.Errorf("suggestions %v: items for people (greeting, wording...) must get none", got)
	}
	if w := got["caller_hung_up_first"].Why; w.En != "hung up by the agent" || w.Zh != "挂机方：坐席" {
		t.Errorf("caller_hung_up_first's reason %+v", w)
	}
	if w := got["hold_time"].Why; w.En != "on hold 90.0 s in all (at most 2 min)" || w.Zh != "保持共90.0秒（上限2分钟）" {
		t.Errorf("hold_time's reason %+v", w)
	}
	if w := got["first_contact"].Why; w.En != "the caller called again 3.0 days later (within 7)" || w.Zh == "" {
		t.Errorf("first_contact's reason %+v", w)
	}
	if w := got["dead_air"].Why; w.En != "longest dead air 12.0 s (at most 10 s)" || w.Zh != "最长冷场12.0秒（上限10秒）" {
		t.Errorf("dead_air's reason %q", w)
	}

	// The call's complaint: every field, a field missing, none (N/A).
	for _, c := range []struct {
		complaint *evaluation.ComplaintFacts
		answer    string
		why       string
	}{
		{&evaluation.ComplaintFacts{ID: "C20261206-000001"}, "yes", "complaint C20261206-000001 holds every field"},
		{&evaluation.ComplaintFacts{ID: "C20261206-000002", Missing: []string{"contact", "wants"}}, "no", "complaint C20261206-000002 lacks: contact, wants"},
		{nil, "na", "no complaint was registered for the call"},
	} {
		var s *evaluation.Suggestion
		for _, x := range evaluation.Suggest(card, evaluation.Facts{Recorded: true, Complaint: c.complaint}) {
			if x.Item == "complaint_registered" {
				s = &x
			}
		}
		if s == nil || s.Answer != c.answer || s.Why.En != c.why || s.Why.Zh == "" {
			t.Errorf("complaint %+v: suggestion %+v, want %s (%s)", c.complaint, s, c.answer, c.why)
		}
	}

	// Unknown facts: no suggestion, except N/A for a survey not taken.
	none := evaluation.Suggest(card, evaluation.Facts{Since: 2 * 24 * time.Hour})
	var items []string
	for _, s := range none {
		items = append(items, s.Item+"="+s.Answer)
	}
	if !slices.Equal(items, []string{"first_contact=yes", "satisfaction=na"}) {
		t.Errorf("with nothing known: %v, want first_contact (no call again so far) and satisfaction N/A", items)
	}
	if w := none[0].Why.En; w != "no call again so far (2.0 of 7 days passed)" {
		t.Errorf("first_contact so far: %q", w)
	}
}

func TestSample(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	mon := time.Date(2026, 11, 30, 9, 0, 0, 0, loc) // a Monday
	var calls []evaluation.Candidate
	for i := range 10 {
		calls = append(calls, evaluation.Candidate{CallID: "a" + string(rune('0'+i)), Agent: "1001", Ended: mon.Add(time.Duration(i) * 12 * time.Hour)})
		calls = append(calls, evaluation.Candidate{CallID: "b" + string(rune('0'+i)), Agent: "1002", Ended: mon.Add(time.Duration(i) * 12 * time.Hour)})
	}
	// Next week's Monday, 00:30 local (Sunday in UTC): a week of its own.
	calls = append(calls, evaluation.Candidate{CallID: "next", Agent: "1001", Ended: time.Date(2026, 12, 7, 0, 30, 0, 0, loc)})
	calls[3].CSAT = 2
	calls[4].Complaint = true
	calls[5].Transfers = 1
	calls[6].HoldTime = 4 * time.Minute
	calls[7].CSAT = 3
	rules := evaluation.Rules{RandomPerAgentWeek: 2, CSATAtMost: 2, Complaint: true, Transfer: true, HoldOver: 3 * time.Minute}
	picks := evaluation.Sample(rules, calls, loc, 42)
	random := map[string]int{}
	reasons := map[string][]string{}
	for _, p := range picks {
		reasons[p.CallID] = p.Reasons
		if slices.Contains(p.Reasons, evaluation.ReasonRandom) {
			random[p.Agent]++
		}
	}
	if random["1001"] != 3 || random["1002"] != 2 {
		t.Errorf("random picks per agent %v: want 2 a week (1001 has 2 weeks: 2 + 1)", random)
	}
	if !slices.Contains(reasons["next"], evaluation.ReasonRandom) {
		t.Errorf("the next week's only call is not picked: %v", reasons["next"])
	}
	for id, reason := range map[string]string{calls[3].CallID: evaluation.ReasonLowCSAT, calls[4].CallID: evaluation.ReasonComplaint,
		calls[5].CallID: evaluation.ReasonTransfer, calls[6].CallID: evaluation.ReasonLongHold} {
		if !slices.Contains(reasons[id], reason) {
			t.Errorf("call %s: reasons %v, want %s", id, reasons[id], reason)
		}
	}
	if slices.Contains(reasons[calls[7].CallID], evaluation.ReasonLowCSAT) {
		t.Errorf("a CSAT of 3 picked as low")
	}
	// The same seed picks the same calls; another seed others.
	again := evaluation.Sample(rules, slices.Clone(calls), loc, 42)
	if !slices.EqualFunc(picks, again, func(a, b evaluation.Pick) bool { return a.CallID == b.CallID && slices.Equal(a.Reasons, b.Reasons) }) {
		t.Errorf("sampling again picked %v, first %v", again, picks)
	}
}

func TestCalibrate(t *testing.T) {
	card := scorecard.Standard()
	base := func(changes map[string]string) scorecard.Answers {
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
	var all []evaluation.Scored
	for _, r := range []struct {
		who     string
		changes map[string]string
	}{
		{"qa1", map[string]string{"greeting": "no"}},
		{"qa2", map[string]string{"greeting": "no"}},
		{"qa3", map[string]string{"anything_else": "no", "satisfaction": "3"}},
	} {
		a := base(r.changes)
		res, err := card.Score(a)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, evaluation.Scored{Reviewer: r.who, Answers: a, Result: res})
	}
	c := evaluation.Calibrate(card, all)
	// Scores 90, 90 and 91: mean 90.3.
	if c.MeanScore != 90.3 || c.ScoreSpread != 1 {
		t.Errorf("mean %v spread %v, want 90.3 and 1", c.MeanScore, c.ScoreSpread)
	}
	items := map[string]evaluation.ItemAgreement{}
	for _, it := range c.Items {
		items[it.Item] = it
	}
	if g := items["greeting"]; g.Consensus != "no" || g.Agreement != 0.667 {
		t.Errorf("greeting %+v, want consensus no at 0.667", g)
	}
	if g := items["privacy"]; g.Consensus != "yes" || g.Agreement != 1 {
		t.Errorf("privacy %+v", g)
	}
	if c.Reviewers[0].Reviewer != "qa3" || !slices.Equal(c.Reviewers[0].Disagrees, []string{"greeting", "anything_else", "satisfaction"}) {
		t.Errorf("the reviewer furthest from the others: %+v", c.Reviewers[0])
	}
	if d := c.Reviewers[0].Deviation; d != 0.7 {
		t.Errorf("qa3's deviation %v, want +0.7", d)
	}
}
