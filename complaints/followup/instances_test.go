package followup_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/complaints/followup"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// TestTwoInstancesClaimDisjoint: two instances, each with its Asterisk,
// pass at once over six due tasks for four numbers: each dials at most
// its MaxCalls, no task is claimed twice, and no number is dialled twice
// at once; the tasks left wait until their number's call ends.
func TestTwoInstancesClaimDisjoint(t *testing.T) {
	b := newBase(t, at("2026-12-07 10:00"))
	tune := func(c *followup.Config) { c.Policy.MaxCalls = 2 }
	x := b.instance("x", b.clk, aritest.ManualAnswer(), tune)
	y := b.instance("y", b.clk, aritest.ManualAnswer(), tune)
	numbers := []string{"13800000001", "13800000001", "13800000002", "13800000002", "13800000003", "13800000004"}
	var cs []complaints.Complaint
	for _, n := range numbers {
		cs = append(cs, b.resolved(n))
	}
	x.pass() // makes the tasks
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, in := range []*instance{x, y} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- in.svc.Pass(b.ctx)
		}()
	}
	wg.Wait()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// The second pass of each finds the numbers busy.
	x.pass()
	y.pass()
	dialled := map[string]string{} // task → its channel
	var got []string
	for _, c := range cs {
		task := b.only(x.svc, c.ID)
		if task.State == followup.Dialling {
			if len(task.Tries) != 1 {
				t.Fatalf("%s: tries %+v, want one", task.ID, task.Tries)
			}
			dialled[task.ID] = task.Tries[0].CallID
			got = append(got, task.Number)
		}
	}
	slices.Sort(got)
	if want := []string{"13800000001", "13800000002", "13800000003", "13800000004"}; !slices.Equal(got, want) {
		t.Errorf("numbers dialled %v, want each once: %v", got, want)
	}
	// Each instance's Asterisk rings the calls it claimed, MaxCalls each.
	for _, in := range []*instance{x, y} {
		mustEqual(t, in.name+"'s channels", in.emu.ChannelCount(), 2)
		for range 2 {
			p := in.call()
			var mine bool
			for _, ch := range dialled {
				mine = mine || ch == p.ID()
			}
			if !mine {
				t.Errorf("%s rang %s on channel %s, which no task dials", in.name, p.Dialed(), p.ID())
			}
		}
	}
}

// TestDeadInstanceIsReaped: an instance that stops mid-dial leaves its
// task dialling; once its lease ends, another instance ends the attempt
// as lost and calls the customer again itself after RetryAfter.
func TestDeadInstanceIsReaped(t *testing.T) {
	b := newBase(t, at("2026-12-07 10:00"))
	deadClock := clockwork.NewFakeClockAt(b.clk.Now())
	dead := b.instance("dead", deadClock, aritest.ManualAnswer(), nil)
	live := b.instance("live", b.clk, aritest.ManualAnswer(), nil)
	c := b.resolved("13800138001")
	dead.pass()
	task := b.only(live.svc, c.ID)
	mustEqual(t, "state", task.State, followup.Dialling)
	dead.call() // ringing when the instance dies
	dead.stop() // its clock stands still from now: nothing of it runs again
	live.pass()
	mustEqual(t, "state within the lease", b.task(task.ID).State, followup.Dialling)
	b.clk.Advance(10*time.Minute + time.Second) // the lease (10 min) ends
	live.pass()
	task = b.task(task.ID)
	mustEqual(t, "state after the lease", task.State, followup.Pending)
	if len(task.Tries) != 1 || task.Tries[0].Outcome != followup.OutcomeLost {
		t.Fatalf("tries %+v, want the first lost", task.Tries)
	}
	mustTime(t, "the retry", task.NotBefore, b.clk.Now().Add(30*time.Minute))
	b.clk.Advance(30 * time.Minute)
	live.pass()
	p := live.call()
	if err := p.Answer(); err != nil {
		t.Fatal(err)
	}
	live.heard(p, askProduct)
	live.press(p, "4")
	live.heard(p, askService)
	live.press(p, "5")
	live.until("the result", func() bool { return live.last(task.ID).State == followup.Done })
	task = b.task(task.ID)
	if len(task.Tries) != 2 || task.Tries[1].Outcome != followup.OutcomeAnswered || task.Attempts != 2 {
		t.Errorf("tries %+v, want the second answered", task.Tries)
	}
	got, err := b.cs.Get(b.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "complaint", got.State, complaints.Closed)
}

// TestRecoverAtStart: an instance that restarts ends what it was dialling
// as lost at once (not waiting for the lease), and Run does it first.
func TestRecoverAtStart(t *testing.T) {
	b := newBase(t, at("2026-12-07 10:00"))
	first := b.instance("a", b.clk, aritest.ManualAnswer(), nil)
	c := b.resolved("13800138001")
	first.pass()
	task := b.only(first.svc, c.ID)
	first.call()
	first.stop()
	again := b.instance("a", b.clk, aritest.ManualAnswer(), nil)
	if err := again.svc.Recover(b.ctx); err != nil {
		t.Fatal(err)
	}
	task = b.task(task.ID)
	if task.State != followup.Pending || len(task.Tries) != 1 || task.Tries[0].Outcome != followup.OutcomeLost {
		t.Errorf("after the restart: %s with tries %+v, want pending, the attempt lost", task.State, task.Tries)
	}
}

// TestAnsweredButNoJourney: the instance stops while the customer is in
// the follow-up flow; its journey never comes; once the lease (renewed
// at the answer) ends, another instance takes the attempt for lost and
// retries it.
func TestAnsweredButNoJourney(t *testing.T) {
	b := newBase(t, at("2026-12-07 10:00"))
	deadClock := clockwork.NewFakeClockAt(b.clk.Now())
	dead := b.instance("dead", deadClock, aritest.ManualAnswer(), nil)
	live := b.instance("live", b.clk, aritest.ManualAnswer(), nil)
	c := b.resolved("13800138001")
	dead.pass()
	task := b.only(live.svc, c.ID)
	p := dead.call()
	if err := p.Answer(); err != nil {
		t.Fatal(err)
	}
	dead.heard(p, askProduct)
	dead.wait("the answer kept", func() bool { return dead.last(task.ID).Tries != nil })
	dead.stop()
	b.clk.Advance(10*time.Minute + time.Second)
	live.pass()
	task = b.task(task.ID)
	if task.State != followup.Pending || len(task.Tries) != 1 || task.Tries[0].Outcome != followup.OutcomeLost {
		t.Fatalf("after the lease: %s with tries %+v, want pending, the answered attempt lost", task.State, task.Tries)
	}
}

// TestLongFlowKeepsItsLease: a follow-up flow that runs longer than a
// lease is not reaped as lost while its instance lives: each pass renews
// the lease of the calls under way (every half lease), so another
// instance's pass leaves the attempt alone and the customer is not called
// twice. (Before, the lease was renewed only at the answer.)
func TestLongFlowKeepsItsLease(t *testing.T) {
	b := newBase(t, at("2026-12-07 10:00"))
	const lease = 4 * time.Second // shorter than the flow: two questions of up to 5 s each
	short := func(c *followup.Config) { c.Policy.Lease = lease }
	a := b.instance("a", b.clk, aritest.ManualAnswer(), short)
	other := b.instance("b", b.clk, aritest.ManualAnswer(), short)
	c := b.resolved("13800138001")
	a.pass()
	task := b.only(a.svc, c.ID)
	p := a.call()
	if err := p.Answer(); err != nil {
		t.Fatal(err)
	}
	for i, q := range []struct{ ask, key string }{{askProduct, "4"}, {askService, "5"}} {
		a.heard(p, q.ask)
		from := b.clk.Now()
		a.until("a lease's time in the flow", func() bool { return b.clk.Since(from) >= lease })
		a.pass()
		other.pass()
		got := b.task(task.ID)
		if got.State != followup.Dialling || len(got.Tries) != 1 || got.Tries[0].Outcome != followup.OutcomeAnswered {
			t.Fatalf("question %d, a lease after it was asked: %s with tries %+v, want still dialling, answered", i+1, got.State, got.Tries)
		}
		a.press(p, q.key)
	}
	a.until("the result", func() bool { return a.last(task.ID).State == followup.Done })
	task = b.task(task.ID)
	if len(task.Tries) != 1 || task.Attempts != 1 || task.Result == nil || !task.Result.Reached {
		t.Errorf("task %s, tries %+v, result %+v: want one attempt that reached the customer", task.State, task.Tries, task.Result)
	}
	mustEqual(t, "calls on the other instance's Asterisk", other.emu.ChannelCount(), 0)
}
