package cluster_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/queue"
)

// TestReapKilledMidOffer: instance a stops (its process died) with a caller
// ringing an agent, one connected, one waiting, a call-back waiting, and
// one of its agents ringing for b's caller, another talking to one. Two
// reapers race: exactly one
// reaps it; its callers are reported lost, the agents are free again (not
// "missed"), its call-back is adopted, its agent logged out and b's caller
// back in line; then its name can be used again.
func TestReapKilledMidOffer(t *testing.T) {
	e := newEnv(t)
	a, b, c := e.instance("a"), e.instance("b"), e.instance("c")
	e.queue(b, queue.QueueConfig{Name: "sales", RingTimeout: time.Minute, WrapUp: 30 * time.Second})
	e.readyAgent(a, queue.AgentConfig{ID: "1003"})
	e.clk.Advance(time.Millisecond)
	e.readyAgent(b, queue.AgentConfig{ID: "1001"})
	e.clk.Advance(time.Millisecond)
	e.readyAgent(b, queue.AgentConfig{ID: "1002"})
	e.clk.Advance(time.Millisecond)
	e.readyAgent(a, queue.AgentConfig{ID: "1004"})
	now := e.clk.Now()
	for i, cl := range []struct {
		in *inst
		c  cluster.Caller
	}{
		{b, cluster.Caller{CallID: "b1"}}, {a, cluster.Caller{CallID: "a1"}}, {a, cluster.Caller{CallID: "a2"}},
		{b, cluster.Caller{CallID: "b2"}}, {a, cluster.Caller{CallID: "a3"}},
		{a, cluster.Caller{CallID: "acb", Callback: true, Number: "5551234"}}, {a, cluster.Caller{CallID: "a4"}},
	} {
		cl.c.Queue, cl.c.Arrived = "sales", now.Add(time.Duration(i-10)*time.Second)
		e.must(cl.in.Enqueue(e.ctx, cl.c))
	}
	e.route(c)
	ag := e.agents(a)
	if ag["1003"].CallID != "b1" || ag["1001"].CallID != "a1" || ag["1002"].CallID != "a2" {
		t.Fatalf("offers: 1003 %q, 1001 %q, 1002 %q; want b1, a1, a2", ag["1003"].CallID, ag["1001"].CallID, ag["1002"].CallID)
	}
	e.must(a.Answered(e.ctx, "a2", "1002"))
	if ag["1004"].CallID != "b2" {
		t.Fatalf("agent 1004 rings %q, want b2", ag["1004"].CallID)
	}
	e.must(b.Answered(e.ctx, "b2", "1004")) // an agent of a's talking to b's caller

	a.stop() // killed: its rows stay
	if _, err := cluster.New(e.ctx, e.pool, cluster.Config{Instance: "a", Clock: e.clk}); !isInUse(err) {
		t.Fatalf("New with a live instance's name: %v, want ErrInstanceInUse", err)
	}
	for range 11 {
		e.clk.Advance(time.Second)
		e.must(b.Heartbeat(e.ctx))
		e.must(c.Heartbeat(e.ctx))
	}
	var results [2]cluster.Reaped
	var wg sync.WaitGroup
	for i, in := range []*inst{b, c} {
		wg.Go(func() {
			r, err := in.Reap(e.ctx)
			if err != nil {
				t.Error(err)
			}
			results[i] = r
		})
	}
	wg.Wait()
	r, other, reaper := results[0], results[1], b
	if len(r.Instances) == 0 {
		r, other, reaper = other, r, c
	}
	if !slices.Equal(r.Instances, []string{"a"}) || len(other.Instances) != 0 {
		t.Fatalf("reaped %v and %v; want a exactly once", results[0].Instances, results[1].Instances)
	}
	ids := func(ls []cluster.LostCall) []string {
		var out []string
		for _, l := range ls {
			out = append(out, l.CallID)
		}
		slices.Sort(out)
		return out
	}
	if got := ids(r.Lost); !slices.Equal(got, []string{"a1", "a3", "a4"}) {
		t.Errorf("lost %v, want a1 a3 a4", got)
	}
	if got := ids(r.Ended); !slices.Equal(got, []string{"a2"}) {
		t.Errorf("ended %v, want a2", got)
	}
	if got := ids(r.Adopted); !slices.Equal(got, []string{"acb"}) {
		t.Errorf("adopted %v, want acb", got)
	}
	if !slices.Equal(r.LoggedOut, []string{"1003"}) || len(r.Withdrawn) != 1 || r.Withdrawn[0].CallID != "b1" {
		t.Errorf("logged out %v, withdrawn %+v; want 1003 and b1", r.LoggedOut, r.Withdrawn)
	}
	b.waitEvent(t, "withdrawn", func(ev cluster.Event) bool { return ev.Kind == cluster.EventWithdrawn && ev.Offer.CallID == "b1" })

	ag = e.agents(b)
	if s := ag["1001"]; s.State != queue.Ready || s.Reason != cluster.ReasonInstanceLost {
		t.Errorf("agent 1001 (ringing for a's caller) is %s %q, want ready %q", s.State, s.Reason, cluster.ReasonInstanceLost)
	}
	if s := ag["1002"]; s.State != queue.WrapUp {
		t.Errorf("agent 1002 (talking to a's caller) is %s, want wrap-up", s.State)
	}
	if s := ag["1003"]; s.State != queue.LoggedOut {
		t.Errorf("agent 1003 (homed on a) is %s, want logged out", s.State)
	}
	if s := ag["1004"]; s.State != queue.OnCall {
		t.Errorf("agent 1004 (homed on a, talking to b's caller) is %s, want still on call", s.State)
	}
	e.must(b.EndCall(e.ctx, "b2"))
	if s := e.agents(b)["1004"]; s.State != queue.LoggedOut {
		t.Errorf("agent 1004 after its call is %s, want logged out (its home is dead)", s.State)
	}
	// b's caller is back in line, first, and the adopted call-back keeps
	// its place after it.
	d := e.route(b)
	if len(d.Offers) != 1 || d.Offers[0].CallID != "b1" || d.Offers[0].Agent != "1001" {
		t.Fatalf("offers after the reaping: %+v, want b1 to 1001", d.Offers)
	}
	e.clk.Advance(30 * time.Second)
	e.must(b.Heartbeat(e.ctx))
	e.must(c.Heartbeat(e.ctx))
	d = e.route(reaper) // the reaper owns the call-back now
	if len(d.Offers) != 1 || d.Offers[0].CallID != "acb" || !d.Offers[0].Callback {
		t.Fatalf("offers to the adopting instance: %+v, want the call-back acb", d.Offers)
	}
	// A second pass finds nothing; the dead instance's own heartbeat
	// says it was reaped; its name is free.
	if r, err := b.Reap(e.ctx); err != nil || len(r.Instances) != 0 {
		t.Fatalf("second reap: %+v, %v", r, err)
	}
	wantErr(t, a.Heartbeat(e.ctx), cluster.ErrInstanceDead)
	wantErr(t, a.Enqueue(e.ctx, cluster.Caller{CallID: "late", Queue: "sales"}), cluster.ErrInstanceDead)
	a2 := e.instance("a")
	e.must(a2.Enqueue(e.ctx, cluster.Caller{CallID: "a5", Queue: "sales"}))
}

func isInUse(err error) bool { return err != nil && errorsIs(err, cluster.ErrInstanceInUse) }

// TestLeave: an instance shutting down cleanly leaves at once: its
// callers are reported, its agents logged out, its call-back kept for a
// live instance to adopt, and its name is free without waiting for
// DeadAfter.
func TestLeave(t *testing.T) {
	e := newEnv(t)
	a, b := e.instance("a"), e.instance("b")
	e.queue(a, queue.QueueConfig{Name: "sales", Skills: []string{"sales"}})
	e.readyAgent(a, queue.AgentConfig{ID: "1001"}) // serves no queue: stays Ready
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "a1", Queue: "sales"}))
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "acb", Queue: "sales", Callback: true, Number: "5550102"}))
	r, err := a.Leave(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Instances, []string{"a"}) || len(r.Lost) != 1 || r.Lost[0].CallID != "a1" ||
		len(r.Orphaned) != 1 || r.Orphaned[0].CallID != "acb" || !slices.Equal(r.LoggedOut, []string{"1001"}) {
		t.Fatalf("leaving: %+v", r)
	}
	r, err = b.Reap(e.ctx)
	if err != nil || len(r.Instances) != 0 || len(r.Adopted) != 1 || r.Adopted[0].CallID != "acb" || r.Adopted[0].Instance != "a" {
		t.Fatalf("reap after a left: %+v, %v; want the call-back adopted", r, err)
	}
	e.readyAgent(b, queue.AgentConfig{ID: "1002", Skills: map[string]int{"sales": 1}})
	if d := e.route(b); len(d.Offers) != 1 || d.Offers[0].CallID != "acb" {
		t.Fatalf("offers to the adopting instance: %+v", d.Offers)
	}
	e.instance("a") // its name is free at once
}
