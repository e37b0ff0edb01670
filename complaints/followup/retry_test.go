package followup_test

import (
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/complaints/followup"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// TestNoAnswerRetriesThenUnreached: a customer who never answers is
// called again RetryAfter after the ring timeout, and after the last
// attempt the task is unreached, or (fallback preview) offered to the
// complaint's owner and team.
func TestNoAnswerRetriesThenUnreached(t *testing.T) {
	for _, fallback := range []string{followup.FallbackNone, followup.FallbackPreview} {
		t.Run(fallback, func(t *testing.T) {
			b := newBase(t, at("2026-12-07 10:00"))
			in := b.instance("a", b.clk, aritest.NeverAnswer(), func(c *followup.Config) { c.Policy.Fallback = fallback })
			c := b.resolved("13800138001")
			in.pass()
			task := b.only(in.svc, c.ID)
			in.until("the first attempt's end", func() bool { tk := in.last(task.ID); return tk.State == followup.Pending && tk.Attempts > 0 })
			task = b.task(task.ID)
			if len(task.Tries) != 1 || task.Tries[0].Outcome != followup.OutcomeNoAnswer {
				t.Fatalf("tries %+v, want one not answered", task.Tries)
			}
			ended := task.Tries[0].Ended
			// The ring timeout, seen within the step the test moves the clock by.
			if timeout := at("2026-12-07 10:00").Add(30 * time.Second); ended.Before(timeout) || ended.After(timeout.Add(100*time.Millisecond)) {
				t.Errorf("the attempt's end: got %v, want the ring timeout %v (within 100 ms)", ended.In(shanghai), timeout.In(shanghai))
			}
			mustTime(t, "the retry", task.NotBefore, ended.Add(30*time.Minute))
			// Not before the retry time.
			b.clk.Advance(29 * time.Minute)
			in.pass()
			mustEqual(t, "state before the retry time", b.task(task.ID).State, followup.Pending)
			b.clk.Advance(time.Minute)
			in.pass()
			mustEqual(t, "state at the retry time", b.task(task.ID).State, followup.Dialling)
			want := followup.Unreached
			if fallback == followup.FallbackPreview {
				want = followup.Offered
			}
			in.until("the last attempt's end", func() bool { return in.last(task.ID).State == want })
			task = b.task(task.ID)
			mustEqual(t, "attempts", task.Attempts, 2)
			if len(task.Tries) != 2 || task.Tries[1].Outcome != followup.OutcomeNoAnswer {
				t.Errorf("tries %+v, want two not answered", task.Tries)
			}
			switch fallback {
			case followup.FallbackNone:
				if task.Result == nil || task.Result.Reached || task.Result.By != "auto" {
					t.Errorf("result %+v, want not reached, by auto", task.Result)
				}
			case followup.FallbackPreview:
				mustEqual(t, "mode", task.Mode, followup.Preview)
				mustEqual(t, "offered to", task.Agent, "1001")
				mustEqual(t, "team", task.Team, "quality-dept")
				mustEqual(t, "max attempts (the agent's 3 more)", task.MaxAttempts, 5)
				mustTime(t, "not before (the gap after the last call)", task.NotBefore, task.Tries[1].Started.Add(20*time.Minute))
				if task.Result != nil {
					t.Errorf("result %+v, want none while offered", task.Result)
				}
			}
			// No more automated calls.
			b.clk.Advance(time.Hour)
			in.pass()
			mustEqual(t, "channels", in.emu.ChannelCount(), 0)
		})
	}
}

// TestBusyAndRejected: how the customer's line ends says the outcome.
func TestBusyAndRejected(t *testing.T) {
	for _, tt := range []struct {
		b       aritest.Behavior
		outcome string
	}{{aritest.Busy(), followup.OutcomeBusy}, {aritest.Reject(2 * time.Second), followup.OutcomeRejected}} {
		t.Run(tt.outcome, func(t *testing.T) {
			b := newBase(t, at("2026-12-07 10:00"))
			in := b.instance("a", b.clk, tt.b, nil)
			c := b.resolved("13800138001")
			in.pass()
			task := b.only(in.svc, c.ID)
			in.until("the attempt's end", func() bool { tk := in.last(task.ID); return tk.State == followup.Pending && tk.Attempts > 0 })
			if tr := b.task(task.ID).Tries; len(tr) != 1 || tr[0].Outcome != tt.outcome {
				t.Errorf("tries %+v, want one %s", tr, tt.outcome)
			}
		})
	}
}

// TestNightWaitsForMorning: a task made at 23:00 in Shanghai is dialled
// at 09:00 the next morning, not before.
func TestNightWaitsForMorning(t *testing.T) {
	b := newBase(t, at("2026-12-07 23:00"))
	in := b.instance("a", b.clk, aritest.ManualAnswer(), nil)
	c := b.resolved("13800138001")
	in.pass()
	task := b.only(in.svc, c.ID)
	mustEqual(t, "state", task.State, followup.Pending)
	mustTime(t, "not before", task.NotBefore, at("2026-12-08 09:00"))
	for _, when := range []string{"2026-12-08 00:00", "2026-12-08 06:00", "2026-12-08 08:59"} {
		b.clk.Advance(at(when).Sub(b.clk.Now()))
		in.pass()
		mustEqual(t, "state at "+when, b.task(task.ID).State, followup.Pending)
		mustEqual(t, "channels at "+when, in.emu.ChannelCount(), 0)
	}
	b.clk.Advance(at("2026-12-08 09:00").Sub(b.clk.Now()))
	in.pass()
	mustEqual(t, "state at 09:00", b.task(task.ID).State, followup.Dialling)
	p := in.call()
	mustEqual(t, "dialled", p.Dialed(), "13800138001")
	mustTime(t, "the attempt", b.task(task.ID).Tries[0].Started, at("2026-12-08 09:00"))
}

// TestRetryAtNightWaits: a retry that would fall after 20:00 waits for
// the next morning.
func TestRetryAtNightWaits(t *testing.T) {
	b := newBase(t, at("2026-12-07 19:45"))
	in := b.instance("a", b.clk, aritest.Busy(), nil)
	c := b.resolved("13800138001")
	in.pass()
	task := b.only(in.svc, c.ID)
	in.until("the attempt's end", func() bool { tk := in.last(task.ID); return tk.State == followup.Pending && tk.Attempts > 0 })
	mustTime(t, "the retry", b.task(task.ID).NotBefore, at("2026-12-08 09:00"))
}

// TestPerNumberLimits: two tasks for one number: the second waits for the
// least gap between calls to it, or for the next day when the number had
// its day's calls.
func TestPerNumberLimits(t *testing.T) {
	for _, tt := range []struct {
		name     string
		perDay   int
		notYet   []string // passes that must not dial the second task
		dialedAt string
	}{
		{"gap", 3, []string{"2026-12-07 10:00", "2026-12-07 10:19"}, "2026-12-07 10:20"},
		{"day", 1, []string{"2026-12-07 10:00", "2026-12-07 10:30", "2026-12-08 09:59"}, "2026-12-08 10:00"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newBase(t, at("2026-12-07 10:00"))
			in := b.instance("a", b.clk, aritest.Busy(), func(c *followup.Config) {
				c.Policy.Attempts = 1
				c.Policy.PerNumberPerDay = tt.perDay
			})
			c1, c2 := b.resolved("13800138001"), b.resolved("13800138001")
			in.pass()
			t1, t2 := b.only(in.svc, c1.ID), b.only(in.svc, c2.ID)
			if t1.Attempts != 1 || t2.State != followup.Pending {
				t.Fatalf("states %s and %s, want one number dialled once", t1.State, t2.State)
			}
			in.until("the first call's end", func() bool { return in.last(t1.ID).State == followup.Unreached })
			for _, when := range tt.notYet {
				b.clk.Advance(at(when).Sub(b.clk.Now()))
				in.pass()
				mustEqual(t, "the second task at "+when, b.task(t2.ID).State, followup.Pending)
			}
			b.clk.Advance(at(tt.dialedAt).Sub(b.clk.Now()))
			in.pass()
			if tr := b.task(t2.ID).Tries; len(tr) != 1 || !tr[0].Started.Equal(at(tt.dialedAt)) {
				t.Errorf("the second task's tries %+v, want one at %s", tr, tt.dialedAt)
			}
		})
	}
}

// TestLostEndAskedOfAsterisk: the events of a dial's end are lost (the
// events connection is down): after the ring timeout and a margin the
// service asks Asterisk, finds the channel gone, and counts the attempt
// as not answered.
func TestLostEndAskedOfAsterisk(t *testing.T) {
	b := newBase(t, at("2026-12-07 10:00"))
	in := b.instance("a", b.clk, aritest.NeverAnswer(), nil)
	c := b.resolved("13800138001")
	in.pass()
	task := b.only(in.svc, c.ID)
	in.call()
	in.stop() // no events from now on; the service still runs
	in.until("the attempt's end", func() bool { tk := in.last(task.ID); return tk.State == followup.Pending && tk.Attempts > 0 })
	task = b.task(task.ID)
	if len(task.Tries) != 1 || task.Tries[0].Outcome != followup.OutcomeNoAnswer {
		t.Fatalf("tries %+v, want one not answered", task.Tries)
	}
	// Asked 15 s after the 30 s ring timeout.
	mustTime(t, "the end as seen", task.Tries[0].Ended, at("2026-12-07 10:00").Add(45*time.Second))
}

// TestReachedWithoutAnswer: the customer answers but keys nothing: with
// FollowUpUnanswered the complaint is followed up (not closed); else the
// fallback offers the task to the owner, or (none) it is done with no
// effect on the complaint.
func TestReachedWithoutAnswer(t *testing.T) {
	for _, tt := range []struct {
		name      string
		tune      func(*followup.Policy)
		state     followup.State
		complaint complaints.State
	}{
		{"follow up", func(p *followup.Policy) { p.FollowUpUnanswered = true }, followup.Done, complaints.FollowedUp},
		{"preview", func(p *followup.Policy) { p.Fallback = followup.FallbackPreview }, followup.Offered, complaints.Resolved},
		{"none", func(p *followup.Policy) {}, followup.Done, complaints.Resolved},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newBase(t, at("2026-12-07 10:00"))
			in := b.instance("a", b.clk, aritest.ManualAnswer(), func(c *followup.Config) { tt.tune(&c.Policy) })
			c := b.resolved("13800138001")
			in.pass()
			task := b.only(in.svc, c.ID)
			p := in.call()
			if err := p.Answer(); err != nil {
				t.Fatal(err)
			}
			in.until("the result", func() bool { return in.last(task.ID).State == tt.state })
			task = b.task(task.ID)
			if task.Tries[0].Outcome != followup.OutcomeAnswered {
				t.Errorf("tries %+v, want the attempt answered", task.Tries)
			}
			if tt.state == followup.Done && (task.Result == nil || !task.Result.Reached || task.Result.Satisfied != nil) {
				t.Errorf("result %+v, want reached without a satisfaction answer", task.Result)
			}
			if tt.state == followup.Offered && (task.Agent != "1001" || task.Mode != followup.Preview) {
				t.Errorf("task %+v, want offered to the owner", task)
			}
			got, err := b.cs.Get(b.ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "complaint", got.State, tt.complaint)
		})
	}
}
