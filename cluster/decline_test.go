package cluster_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// TestDecline: b, the home of agent 1001, declines the hold of a's caller
// (1001 went not ready at b just before): the offer is withdrawn — a hears
// it, the caller keeps its place (it goes to the next agent ahead of a
// later caller) and 1001 takes b's state, not "missed" — and routing is
// woken. A decline of an offer that moved on, of another home's agent or
// with a state a home cannot give is refused; through the ACD's adapter a
// stale decline is the ACD's refusal.
func TestDecline(t *testing.T) {
	e := newEnv(t)
	a, b := e.instance("a"), e.instance("b")
	e.queue(a, queue.QueueConfig{Name: "sales", RingTimeout: time.Minute})
	e.readyAgent(b, queue.AgentConfig{ID: "1001", Name: "Agent 1001", Device: "PJSIP/1001"})
	e.must(b.SetAgent(e.ctx, queue.AgentConfig{ID: "1002"}))
	e.must(b.Login(e.ctx, "1002"))
	first := e.clk.Now().Add(-10 * time.Second)
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "a1", Queue: "sales", Arrived: first}))
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "a2", Queue: "sales", Arrived: first.Add(5 * time.Second)}))
	d := e.route(a)
	if len(d.Offers) != 1 || d.Offers[0].CallID != "a1" || d.Offers[0].Agent != "1001" {
		t.Fatalf("offers %+v, want a1 to 1001", d.Offers)
	}
	b.waitEvent(t, "hold", func(ev cluster.Event) bool { return ev.Kind == cluster.EventHold && ev.Offer.CallID == "a1" })

	if err := a.Decline(e.ctx, "a1", "1001", queue.NotReady, "break"); !errors.Is(err, cluster.ErrNotOwner) {
		t.Errorf("a declining b's agent: %v, want ErrNotOwner", err)
	}
	if err := b.Decline(e.ctx, "a1", "1001", queue.Ready, ""); !errors.As(err, new(*queue.TransitionError)) {
		t.Errorf("declining into ready: %v, want a TransitionError", err)
	}
	if err := b.Decline(e.ctx, "a1", "1001", queue.NotReady, ""); !errors.Is(err, queue.ErrNoReason) {
		t.Errorf("declining into not ready without a reason: %v, want ErrNoReason", err)
	}
	if err := b.Decline(e.ctx, "a1", "1002", queue.NotReady, "break"); !errors.Is(err, queue.ErrNotOffered) {
		t.Errorf("declining for an agent the call does not ring: %v, want ErrNotOffered", err)
	}
	if s := e.agents(b)["1001"]; s.State != queue.Reserved || s.CallID != "a1" {
		t.Fatalf("refused declines changed agent 1001: %s on %q", s.State, s.CallID)
	}

	e.must(b.Decline(e.ctx, "a1", "1001", queue.NotReady, "break"))
	w := a.waitEvent(t, "withdrawn", func(ev cluster.Event) bool { return ev.Kind == cluster.EventWithdrawn })
	if w.Offer.CallID != "a1" || w.Offer.Agent != "1001" || w.Offer.Home != "b" || w.Offer.Device != "PJSIP/1001" {
		t.Errorf("withdrawn %+v, want a1's offer to 1001 of b", w.Offer)
	}
	a.waitEvent(t, "work", func(ev cluster.Event) bool { return ev.Kind == cluster.EventWork && ev.Instance == "b" })
	s := e.agents(b)["1001"]
	if s.State != queue.NotReady || s.Reason != "break" || s.CallID != "" || s.Home != "b" {
		t.Errorf("agent 1001 after declining is %s %q on %q at %q, want not ready \"break\" at b", s.State, s.Reason, s.CallID, s.Home)
	}
	calls, err := a.Calls(e.ctx)
	e.must(err)
	if len(calls) != 2 || calls[0].CallID != "a1" || calls[0].State != "waiting" || !calls[0].Arrived.Equal(first) {
		t.Fatalf("a's calls %+v, want a1 waiting first with its arrival", calls)
	}
	if err := b.Decline(e.ctx, "a1", "1001", queue.NotReady, "break"); !errors.Is(err, queue.ErrCallState) {
		t.Errorf("declining again: %v, want ErrCallState", err)
	}

	// The caller keeps its place: the next agent free takes a1, not a2.
	e.must(b.SetReady(e.ctx, "1002"))
	d = e.route(a)
	if len(d.Offers) != 1 || d.Offers[0].CallID != "a1" || d.Offers[0].Agent != "1002" {
		t.Fatalf("offers %+v after the decline, want a1 to 1002", d.Offers)
	}
	router := b.ACD(t.Context())
	if err := router.Decline(e.ctx, "a1", "1001", queue.NotReady, "break"); !errors.Is(err, acd.ErrSharedRefused) {
		t.Errorf("a stale decline through the ACD adapter: %v, want ErrSharedRefused", err)
	}
	// Declined as logged out (the agent signed out at its home).
	e.must(b.Decline(e.ctx, "a1", "1002", queue.LoggedOut, ""))
	if s := e.agents(b)["1002"]; s.State != queue.LoggedOut || s.Reason != "" {
		t.Errorf("agent 1002 after declining as logged out is %s %q", s.State, s.Reason)
	}
	if err := b.Decline(e.ctx, "nobody", "1002", queue.LoggedOut, ""); !errors.Is(err, queue.ErrUnknownCall) {
		t.Errorf("declining an unknown call: %v, want ErrUnknownCall", err)
	}
	e.must(b.Login(e.ctx, "1002"))
	e.must(b.SetReady(e.ctx, "1002"))
	d = e.route(a)
	if len(d.Offers) != 1 || d.Offers[0].CallID != "a1" || d.Offers[0].Agent != "1002" {
		t.Fatalf("offers %+v after the second decline, want a1 to 1002 again", d.Offers)
	}
	e.must(a.Answered(e.ctx, "a1", "1002"))
	if err := b.Decline(e.ctx, "a1", "1002", queue.NotReady, "break"); !errors.Is(err, queue.ErrCallState) {
		t.Errorf("declining an answered call: %v, want ErrCallState", err)
	}
	if s := e.agents(b)["1002"]; s.State != queue.OnCall {
		t.Errorf("agent 1002 is %s after a refused decline of its answered call, want on call", s.State)
	}
}
