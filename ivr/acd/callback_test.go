package acd_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
)

// calls collects every call that rings an endpoint, taking them from the
// endpoint's queue whenever it is looked at.
type calls struct {
	ep  *aritest.Endpoint
	mu  sync.Mutex
	got []*aritest.Party
}

func (r *rig) collect(ep *aritest.Endpoint) *calls { return &calls{ep: ep} }

func (c *calls) list() []*aritest.Party {
	c.mu.Lock()
	defer c.mu.Unlock()
	for p := pending(c.ep); p != nil; p = pending(c.ep) {
		c.got = append(c.got, p)
	}
	return append([]*aritest.Party(nil), c.got...)
}

// bookCallback walks a waiting caller through the call-back offer with
// its own number, up to the confirmation and the system's hang-up.
func (r *rig) bookCallback(p *aritest.Party) {
	r.t.Helper()
	r.heard(p, sound("queue/callback-offer"))
	r.must(p.Press("1"))
	r.heard(p, sound("queue/callback-number"))
	r.must(p.Press("1"))
	r.heard(p, sound("queue/callback-booked"))
	r.hungUp(p)
}

// TestCallbackKeepsPlace: a caller who books a call-back keeps its place
// ahead of one who came later and stayed on the line; when it reaches the
// front, the agent is rung first, then the customer is dialled once, hears
// who calls and the agent's ID, and meets the agent.
func TestCallbackKeepsPlace(t *testing.T) {
	r := newRig(t, rigOptions{queue: queue.QueueConfig{AnnounceEvery: 20 * time.Second, CallbackAfter: 20 * time.Second}})
	trunk := r.emu.AddEndpoint("PJSIP", "trunk", aritest.ManualAnswer())
	dialled := r.collect(trunk)
	ep := r.agent("1001", aritest.ManualAnswer())
	r.must(r.acd.NotReady(r.ctx, "1001", "meeting"))

	first := r.dial("13800000001")
	r.heard(first, "moh:default")
	second := r.dial("13800000002")
	r.heard(second, "moh:default")
	r.bookCallback(first)
	if j := r.journey(); j.Outcome != ivr.OutcomeCallback || j.Caller != "13800000001" {
		t.Fatalf("journey %s of %s, want a call-back booked by the first caller", j.Outcome, j.Caller)
	}
	if st, attempts := r.cbs.State("cb-" + first.ID()); st != "pending" || attempts != 0 {
		t.Fatalf("request is %s after %d attempts, want pending", st, attempts)
	}
	if st, _ := r.center.QueueStatus("after-sales"); st.Waiting != 2 || st.WaitingCallbacks != 1 {
		t.Fatalf("queue %+v, want the call-back and the live caller waiting", st)
	}

	next := r.nextCall(ep)
	r.must(r.acd.Ready(r.ctx, "1001"))
	agent := next("the agent rung for the call-back")
	if st := r.state("1001", queue.Reserved); st.CallID != "cb-"+first.ID()+"/1" {
		t.Fatalf("agent reserved for %q, want the call-back ahead of the later caller", st.CallID)
	}
	if n := len(dialled.list()); n != 0 {
		t.Fatalf("the customer was dialled before the agent answered (%d calls)", n)
	}
	r.must(agent.Answer())
	r.heard(agent, sound("agent/callback"))
	r.until("the customer dialled", func() bool { return len(dialled.list()) == 1 })
	customer := dialled.list()[0]
	if customer.Dialed() != "13800000001" {
		t.Errorf("dialled %q, want the caller's number", customer.Dialed())
	}
	r.must(customer.Answer())
	r.heard(customer, sound("std/at-your-service"))
	if !contains(customer.HeardMedia(), append([]string{sound("queue/callback-hello")}, agentIDMedia("1001")...)) {
		t.Errorf("customer heard %s", media(customer))
	}
	r.until("customer and agent bridged", func() bool { return findBridge(r, customer.ID(), agent.ID()) != nil })
	if st, attempts := r.cbs.State("cb-" + first.ID()); st != "connected" || attempts != 1 {
		t.Errorf("request is %s after %d attempts, want connected after 1", st, attempts)
	}
	r.must(customer.Hangup())
	r.gone(agent)
	// The live caller is next (no wrap-up); the customer is never dialled
	// again.
	next = r.nextCall(ep)
	next("the agent rung for the second caller")
	if st := r.state("1001", queue.Reserved); st.CallID != second.ID() {
		t.Errorf("agent reserved for %q, want the second caller", st.CallID)
	}
	if n := len(dialled.list()); n != 1 {
		t.Errorf("the customer was dialled %d times, want once", n)
	}
}

// TestCallbackRetry: a customer who does not answer (the phone rings for
// the call-back ring timeout) is dialled again
// after the retry delay, keeping its place, until the attempts run out;
// each attempt dials once, and the agent is released each time.
func TestCallbackRetry(t *testing.T) {
	r := newRig(t, rigOptions{
		queue: queue.QueueConfig{AnnounceEvery: 20 * time.Second, CallbackAfter: 20 * time.Second},
		tune: func(c *acd.Config) {
			c.CallbackAttempts, c.CallbackRetryDelay, c.CallbackRingTimeout = 2, time.Minute, 20*time.Second
		},
	})
	trunk := r.emu.AddEndpoint("PJSIP", "trunk", aritest.NeverAnswer())
	dialled := r.collect(trunk)
	ep := r.agent("1001", aritest.AnswerAfter(time.Second))
	r.must(r.acd.NotReady(r.ctx, "1001", "meeting"))
	caller := r.dial("13800000001")
	r.heard(caller, "moh:default")
	r.bookCallback(caller)
	_ = r.journey()
	rung := r.collect(ep)
	r.must(r.acd.Ready(r.ctx, "1001"))
	r.until("the first attempt", func() bool { return len(dialled.list()) == 1 })
	r.until("the agent released", func() bool { st, _ := r.center.Agent("1001"); return st.State == queue.Ready })
	first := r.clk.Now()
	r.until("the second attempt", func() bool { return len(dialled.list()) == 2 })
	if d := r.clk.Now().Sub(first); d < time.Minute {
		t.Errorf("retried after %v, want the 1 min delay", d)
	}
	r.until("the request given up", func() bool { st, _ := r.cbs.State("cb-" + caller.ID()); return st == "failed" })
	// Past the last attempt nothing more happens, however long we wait.
	r.settle()
	r.clk.Advance(5 * time.Minute)
	r.emu.Sync()
	r.settle()
	if n := len(dialled.list()); n != 2 {
		t.Errorf("dialled %d times, want 2 attempts", n)
	}
	if n := len(rung.list()); n != 2 {
		t.Errorf("agent rung %d times, want once per attempt", n)
	}
}

// TestPendingCallbacksRestored: requests the store holds from before a
// restart are queued again at start with their original arrival, ahead
// of callers who came since, and dialled.
func TestPendingCallbacksRestored(t *testing.T) {
	r := newRig(t, rigOptions{tune: func(c *acd.Config) {
		err := c.Callbacks.Add(context.Background(), acd.CallbackRecord{ID: "cb-old", Queue: "after-sales",
			Number: "13700000000", Arrived: t0.Add(-10 * time.Minute), MaxAttempts: 3})
		if err != nil {
			t.Fatal(err)
		}
	}})
	trunk := r.emu.AddEndpoint("PJSIP", "trunk", aritest.ManualAnswer())
	dialled := r.collect(trunk)
	r.until("the request queued again", func() bool {
		st, _ := r.center.QueueStatus("after-sales")
		return st.WaitingCallbacks == 1
	})
	caller := r.dial("13800000001")
	r.heard(caller, "moh:default")
	r.agent("1001", aritest.AnswerAfter(time.Second))
	r.until("the customer dialled", func() bool { return len(dialled.list()) == 1 })
	if got := dialled.list()[0].Dialed(); got != "13700000000" {
		t.Errorf("dialled %s, want the restored request's number", got)
	}
	if st := r.state("1001", queue.OnCall); st.CallID != "cb-old/1" {
		t.Errorf("agent on %s, want the restored call-back before the later caller", st.CallID)
	}
}
