package acd_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// readyAlone is centre.ready moving the clock through home's rig alone
// (the other instance may be dead).
func (c *centre) readyAlone(home *rig, agent string) {
	c.t.Helper()
	c.readyWaiting(home, agent, home.until)
}

// sharedAgent is the agent's row in the shared router.
func (c *centre) sharedAgent(agent string) cluster.AgentView {
	c.t.Helper()
	return routerAgentOf(c.t, c.ca, agent)
}

// routerAgentOf is the agent's row in the shared router, read through cl.
func routerAgentOf(t *testing.T, cl *cluster.Cluster, agent string) cluster.AgentView {
	t.Helper()
	views, err := cl.Agents(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range views {
		if v.ID == agent {
			return v
		}
	}
	t.Fatalf("the shared router has no agent %s", agent)
	return cluster.AgentView{}
}

// callStates lists the states the instance's state log gave agent for a
// call, with their reasons ("ready (lost)").
func callStates(r *rig, agent, call string) []string {
	var out []string
	for _, ch := range r.records.stateChanges() {
		if ch.Agent == agent && ch.CallID == call {
			s := ch.State.String()
			if ch.Reason != "" {
				s += " (" + ch.Reason + ")"
			}
			out = append(out, s)
		}
	}
	return out
}

// TestSharedHoldDeclined: agent 1001, signed in at b, takes a break at
// b's Center just before the cluster's hold of a's caller reaches b, the
// break not yet reported (b's ACD reports it when its loop next runs,
// which the hold makes it do: after its decline). b cannot hold the call
// and declines it: a stops ringing 1001, its caller keeps its place and is
// put through to a's agent 1002; 1001 stays on its break in both, and no
// miss is counted. (b's report of the break is held back until a rings
// 1001: b's loop may run as the cluster tells it of a's caller, and its
// report reach the router before a's offer, which then goes to 1002 at
// once, as it should, but the decline is not tried.)
func TestSharedHoldDeclined(t *testing.T) {
	breakAt := make(chan struct{})
	c := newCentreWrapped(t, queue.QueueConfig{RingTimeout: time.Minute}, func(name string, s acd.Shared) acd.Shared {
		if name != "b" {
			return s
		}
		return heldBreak{s, breakAt}
	}, "1001", "1002")
	c.ready(c.b, "1001")
	c.clk.Advance(time.Second) // 1001 has waited longest: the first offer is its
	c.ready(c.a, "1002")
	c.b.settle()
	c.b.must(c.b.center.SetNotReady("1001", "break"))

	caller := c.a.dial("13800000001")
	rung := c.ringing(c.a, "1001")
	close(breakAt)
	// Withdrawn in real time (the decline, then the cluster's withdrawn
	// event): waited for without moving the clock.
	if _, err := rung.WaitHangup(c.a.ctx); err != nil {
		t.Fatalf("a's ringing of 1001 was not stopped: %v", err)
	}
	if rung.Snapshot().Answered {
		t.Fatal("1001's phone was answered")
	}
	agent := c.ringing(c.a, "1002")
	if err := agent.Answer(); err != nil {
		t.Fatal(err)
	}
	c.a.heard(caller, "sound:hotline/zh/std/agent-id")
	if !c.b.logs.has("shared router: a call of the router for an agent not free here; declined") {
		t.Error("b did not log its decline")
	}
	if st, _ := c.b.center.Agent("1001"); st.State != queue.NotReady || st.Reason != "break" {
		t.Errorf("agent 1001 at its home is %s (%s), want not ready (break)", st.State, st.Reason)
	}
	c.until("b's reports sent", func() bool { return c.b.acd.Idle() })
	if v := c.sharedAgent("1001"); v.State != queue.NotReady || v.Reason != "break" {
		t.Errorf("agent 1001 in the shared router is %s (%s), want not ready (break)", v.State, v.Reason)
	}
	if got := callStates(c.b, "1001", "a:"+caller.ID()); len(got) != 0 {
		t.Errorf("b logged states of 1001 for the call it declined: %v", got)
	}
	qa, _ := c.a.center.QueueStatus("after-sales")
	if qa.Missed != 0 {
		t.Errorf("a counted %d missed offers; a declined offer is not a miss", qa.Missed)
	}
	if p := pending(c.agentsOf[c.a]["1001"]); p != nil {
		t.Errorf("1001 rung again by a, on break")
	}
}

// heldBreak is an instance's router whose reports of an agent not ready
// wait until at is closed.
type heldBreak struct {
	acd.Shared
	at chan struct{}
}

func (h heldBreak) SetNotReady(ctx context.Context, agent, reason string) error {
	select {
	case <-h.at:
	case <-ctx.Done():
		return ctx.Err()
	}
	return h.Shared.SetNotReady(ctx, agent, reason)
}

// TestSharedKilledHomeMidOffer: a's caller rings agent 1001, signed in at
// b, when b dies (its ACD stops, its cluster stops beating; no Leave).
// Once a reaps b, a stops ringing 1001 (the offer withdrawn), its caller
// waits on in its place, not lost, and goes to a's own agent 1002; 1001,
// logged out with its home, is offered nothing more.
func TestSharedKilledHomeMidOffer(t *testing.T) {
	c := newCentre(t, queue.QueueConfig{RingTimeout: time.Minute}, "1001", "1002")
	c.ready(c.b, "1001")
	caller := c.a.dial("13800000001")
	rung := c.ringing(c.a, "1001")
	c.wait("agent 1001 held at its home", func() bool {
		st, _ := c.b.center.Agent("1001")
		return st.State == queue.Reserved
	})
	c.b.settle()
	c.b.kill()
	c.cb.Close()
	died := c.clk.Now()

	c.a.until("b's heartbeat past dead_after", func() bool { return c.clk.Since(died) > cluster.DefaultDeadAfter })
	if rung.Snapshot().HungUp {
		t.Fatal("a stopped ringing 1001 before b was reaped")
	}
	r, err := c.ca.Reap(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Instances, []string{"b"}) || !slices.Contains(r.LoggedOut, "1001") ||
		len(r.Withdrawn) != 1 || r.Withdrawn[0].CallID != "a:"+caller.ID() || len(r.Lost) != 0 {
		t.Fatalf("reaped %+v; want b, 1001 logged out, a's call withdrawn and nothing lost", r)
	}
	if _, err := rung.WaitHangup(c.a.ctx); err != nil {
		t.Fatalf("a's ringing of 1001 was not stopped: %v", err)
	}
	c.a.settle()
	if p, err := c.a.center.Position(caller.ID()); err != nil || p.Position != 1 {
		t.Fatalf("a's caller at %+v, %v after the withdrawal; want waiting first", p, err)
	}
	if caller.Snapshot().HungUp {
		t.Fatal("a's caller was hung up")
	}
	c.readyAlone(c.a, "1002")
	agent := c.a.nextCall(c.agentsOf[c.a]["1002"])("agent 1002 rung")
	if err := agent.Answer(); err != nil {
		t.Fatal(err)
	}
	c.a.heard(caller, "sound:hotline/zh/std/agent-id")
	if v := c.sharedAgent("1001"); v.State != queue.LoggedOut {
		t.Errorf("agent 1001 is %s in the shared router, want logged out with its home", v.State)
	}
	if p := pending(c.agentsOf[c.a]["1001"]); p != nil {
		t.Error("1001, logged out with its dead home, was rung again")
	}
	qa, _ := c.a.center.QueueStatus("after-sales")
	if qa.Missed != 0 || qa.Answered != 1 {
		t.Errorf("a counted %d missed and %d answered; want 0 and 1 (a withdrawn offer is not a miss)", qa.Missed, qa.Answered)
	}
}

// TestSharedKilledCallerInstanceMidOffer: a's caller rings agent 1001,
// signed in at b, when a dies. Once b reaps a, the call is lost (returned
// by the reap for the records), b's Center hears it (hold-lost): 1001 is
// ready again, its state log saying the call was lost, and b's next
// caller goes to it.
func TestSharedKilledCallerInstanceMidOffer(t *testing.T) {
	c := newCentre(t, queue.QueueConfig{RingTimeout: time.Minute}, "1001")
	c.ready(c.b, "1001")
	caller := c.a.dial("13800000001")
	c.ringing(c.a, "1001")
	id := "a:" + caller.ID()
	c.wait("agent 1001 held at its home", func() bool {
		st, _ := c.b.center.Agent("1001")
		return st.State == queue.Reserved && st.CallID == id
	})
	c.a.settle()
	c.a.kill()
	c.ca.Close()
	died := c.clk.Now()

	c.b.until("a's heartbeat past dead_after", func() bool { return c.clk.Since(died) > cluster.DefaultDeadAfter })
	if st, _ := c.b.center.Agent("1001"); st.State != queue.Reserved {
		t.Fatalf("agent 1001 at its home is %s before a was reaped, want still ringing", st.State)
	}
	r, err := c.cb.Reap(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Instances, []string{"a"}) || len(r.Lost) != 1 || r.Lost[0].CallID != id ||
		r.Lost[0].State != "offered" || r.Lost[0].Agent != "1001" {
		t.Fatalf("reaped %+v; want a, its call to 1001 lost while offered", r)
	}
	st := c.b.stateNow("1001", queue.Ready)
	if st.Reason != queue.ReasonLost {
		t.Errorf("agent 1001 at its home is ready (%s), want ready (%s)", st.Reason, queue.ReasonLost)
	}
	c.b.until("b's state log drained", func() bool { return len(callStates(c.b, "1001", id)) == 2 })
	if got, want := callStates(c.b, "1001", id), []string{"ringing", "ready (lost)"}; !slices.Equal(got, want) {
		t.Errorf("b's state log for 1001 on a's call: %v, want %v", got, want)
	}
	cb := c.cb
	views, err := cb.Agents(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range views {
		if v.ID == "1001" && (v.State != queue.Ready || v.Reason != cluster.ReasonInstanceLost) {
			t.Errorf("agent 1001 in the shared router is %s (%s), want ready (%s)", v.State, v.Reason, cluster.ReasonInstanceLost)
		}
	}
	next := c.b.dial("13800000002")
	agent := c.b.nextCall(c.agentsOf[c.b]["1001"])("agent 1001 rung for b's caller")
	if err := agent.Answer(); err != nil {
		t.Fatal(err)
	}
	c.b.heard(next, "sound:hotline/zh/std/agent-id")
}
