package followup_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/complaints/followup"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// TestResolvedComplaintMakesOneTask: a resolved complaint makes one
// automated task on the next pass, and passes again (by either of two
// instances) make no other; its ID is F<day>-<n>, gapless over the day.
func TestResolvedComplaintMakesOneTask(t *testing.T) {
	b := newBase(t, at("2026-12-07 10:00"))
	a := b.instance("a", b.clk, aritest.ManualAnswer(), func(c *followup.Config) { c.Policy.Delay = 10 * time.Minute })
	other := b.instance("b", b.clk, aritest.ManualAnswer(), func(c *followup.Config) { c.Policy.Delay = 10 * time.Minute })
	c1, c2 := b.resolved("13800138001"), b.resolved("13800138002")
	a.pass()
	other.pass()
	a.pass()
	t1, t2 := b.only(a.svc, c1.ID), b.only(a.svc, c2.ID)
	if !regexp.MustCompile(`^F20261207-00000[12]$`).MatchString(t1.ID) || !regexp.MustCompile(`^F20261207-00000[12]$`).MatchString(t2.ID) || t1.ID == t2.ID {
		t.Errorf("IDs %s and %s, want F20261207-000001 and -000002", t1.ID, t2.ID)
	}
	mustEqual(t, "reason", t1.Reason, followup.ForComplaint)
	mustEqual(t, "mode", t1.Mode, followup.Auto)
	mustEqual(t, "state", t1.State, followup.Pending)
	mustEqual(t, "number", t1.Number, "13800138001")
	mustEqual(t, "call", t1.CallID, "call-13800138001")
	mustEqual(t, "max attempts", t1.MaxAttempts, 2)
	mustTime(t, "not before (the delay after the resolution)", t1.NotBefore, at("2026-12-07 10:10"))
	all, err := a.svc.List(b.ctx, followup.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Errorf("%d tasks, want 2", len(all))
	}
	// Reopened and resolved again: a task of its own for the new
	// resolution; the first, still pending, is cancelled by the reopening.
	if _, err := b.cs.Act(b.ctx, c1.ID, "1001", complaints.ActReopen, "客户来电仍漏水", ""); err != nil {
		t.Fatal(err)
	}
	a.pass()
	mustEqual(t, "the reopened complaint's task", b.task(t1.ID).State, followup.Cancelled)
	if _, err := b.cs.Act(b.ctx, c1.ID, "1001", complaints.ActResolve, "更换整机", ""); err != nil {
		t.Fatal(err)
	}
	a.pass()
	ts, err := a.svc.ForComplaint(b.ctx, c1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].State != followup.Pending || ts[0].ID != "F20261207-000003" {
		t.Errorf("after the second resolution: %+v, want a new pending F20261207-000003", ts)
	}
}

// TestAutoSatisfied: at allowed hours the task is dialled, the customer
// answers, the follow-up flow asks two questions, the customer keys 5
// and 4: the task is done and satisfied, and the complaint is followed
// up (with the answers) and closed by "followup".
func TestAutoSatisfied(t *testing.T) {
	b := newBase(t, at("2026-12-07 10:00"))
	in := b.instance("a", b.clk, aritest.ManualAnswer(), nil)
	c := b.resolved("13800138001")
	in.pass()
	task := b.only(in.svc, c.ID)
	mustEqual(t, "state after the pass", task.State, followup.Dialling)
	p := in.call()
	mustEqual(t, "dialled", p.Dialed(), "13800138001")
	if err := p.Answer(); err != nil {
		t.Fatal(err)
	}
	in.heard(p, askProduct)
	in.press(p, "5")
	in.heard(p, askService)
	in.press(p, "4")
	in.until("the result", func() bool { return in.last(task.ID).State == followup.Done })
	task = b.task(task.ID)
	r := task.Result
	if r == nil || !r.Reached || r.Satisfied == nil || !*r.Satisfied || r.By != "auto" || r.CallID != task.Tries[0].CallID {
		t.Fatalf("result %+v, want reached and satisfied by auto on the attempt's call", r)
	}
	if r.Answers["followup_product"] != "5" || r.Answers["followup_service"] != "4" {
		t.Errorf("answers %v, want product 5 and service 4", r.Answers)
	}
	if len(task.Tries) != 1 || task.Tries[0].Outcome != followup.OutcomeAnswered || task.Tries[0].By != "auto" || task.Tries[0].Ended.IsZero() {
		t.Errorf("tries %+v, want one answered attempt by auto, ended", task.Tries)
	}
	got, err := b.cs.Get(b.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "complaint", got.State, complaints.Closed)
	var fu *complaints.Change
	for i, ch := range got.Changes {
		if ch.Action == complaints.ActFollowUp {
			fu = &got.Changes[i]
		}
	}
	if fu == nil || fu.Actor != followup.Actor || !strings.Contains(fu.Note, "followup_product=5") || !strings.Contains(fu.Note, "followup_service=4") {
		t.Errorf("follow-up change %+v, want by followup with the answers", fu)
	}
	last := got.Changes[len(got.Changes)-1]
	if last.Action != complaints.ActClose || last.Actor != followup.Actor {
		t.Errorf("last change %+v, want closed by followup", last)
	}
}

// TestAutoNotSatisfied: the customer keys 2 for the service: the
// complaint is followed up and reopened, its 24 h clock restarted.
func TestAutoNotSatisfied(t *testing.T) {
	b := newBase(t, at("2026-12-07 10:00"))
	in := b.instance("a", b.clk, aritest.ManualAnswer(), nil)
	c := b.resolved("13800138001")
	in.pass()
	task := b.only(in.svc, c.ID)
	p := in.call()
	if err := p.Answer(); err != nil {
		t.Fatal(err)
	}
	in.heard(p, askProduct)
	in.press(p, "3")
	in.heard(p, askService)
	in.press(p, "2")
	in.until("the result", func() bool { return in.last(task.ID).State == followup.Done })
	r := b.task(task.ID).Result
	if r == nil || !r.Reached || r.Satisfied == nil || *r.Satisfied {
		t.Fatalf("result %+v, want reached and not satisfied", r)
	}
	got, err := b.cs.Get(b.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "complaint", got.State, complaints.InProgress)
	last := got.Changes[len(got.Changes)-1]
	if last.Action != complaints.ActReopen || last.Actor != followup.Actor || !strings.Contains(last.Note, "followup_service=2") {
		t.Errorf("last change %+v, want reopened by followup with the answers", last)
	}
	// The clock restarted at the reopening: 24 h from the result.
	mustTime(t, "the 24 h clock", got.ResolveDue, last.At.Add(24*time.Hour))
	if got.Changes[len(got.Changes)-2].Action != complaints.ActFollowUp {
		t.Errorf("changes %+v: the reopening follows a follow-up", got.Changes)
	}
}

// TestOldResolutionsMakeNoTask: a complaint resolved before the
// triggers' window (a week) gets no task: turning follow-ups on does not
// call every customer ever.
func TestOldResolutionsMakeNoTask(t *testing.T) {
	b := newBase(t, at("2026-11-20 10:00"))
	old := b.resolved("13800138001")
	b.clk.Advance(at("2026-11-30 10:00").Sub(b.clk.Now()))
	recent := b.resolved("13800138002")
	b.clk.Advance(at("2026-12-07 09:30").Sub(b.clk.Now()))
	in := b.instance("a", b.clk, aritest.ManualAnswer(), nil)
	in.pass()
	if ts, err := in.svc.ForComplaint(b.ctx, old.ID); err != nil || len(ts) != 0 {
		t.Errorf("the old resolution's tasks: %+v, %v; want none", ts, err)
	}
	b.only(in.svc, recent.ID)
}
