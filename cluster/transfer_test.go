package cluster_test

import (
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/queue"
)

// TestTransferToAgent: a's caller, on the call with a's agent 2001, is
// transferred to b's agent 1001: 2001 wraps up, 1001 is reserved and its
// home told (the hold, with the screen pop); when 1001 does not answer the
// caller is back in its place, first in line before a later caller.
// Transfers to a colleague who is not ready, to the agent already on the
// call, or of another instance's call are refused and change nothing.
func TestTransferToAgent(t *testing.T) {
	e := newEnv(t)
	a, b := e.instance("a"), e.instance("b")
	e.queue(a, queue.QueueConfig{Name: "sales", RingTimeout: 20 * time.Second, WrapUp: 30 * time.Second})
	e.readyAgent(a, queue.AgentConfig{ID: "2001", Name: "agent 2001", Device: "PJSIP/2001"})
	e.must(b.SetAgent(e.ctx, queue.AgentConfig{ID: "1001", Name: "agent 1001", Device: "PJSIP/1001"}))
	e.must(b.Login(e.ctx, "1001"))
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "c1", Queue: "sales"}))
	if d := e.route(a); len(d.Offers) != 1 || d.Offers[0].Agent != "2001" {
		t.Fatalf("offers %+v", d.Offers)
	}
	e.must(a.Answered(e.ctx, "c1", "2001"))

	_, err := a.TransferToAgent(e.ctx, "c1", "1001")
	wantErr(t, err, queue.ErrAgentNotReady)
	_, err = a.TransferToAgent(e.ctx, "c1", "2001")
	wantErr(t, err, queue.ErrCallState)
	_, err = b.TransferToAgent(e.ctx, "c1", "1001")
	wantErr(t, err, cluster.ErrNotOwner)
	if g := e.agents(a); g["2001"].State != queue.OnCall || g["1001"].State != queue.NotReady {
		t.Fatalf("after the refusals: 2001 %s, 1001 %s; want on call and not ready", g["2001"].State, g["1001"].State)
	}

	e.must(b.SetReady(e.ctx, "1001"))
	e.clk.Advance(time.Minute)
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "c2", Queue: "sales"}))
	o, err := a.TransferToAgent(e.ctx, "c1", "1001")
	e.must(err)
	if o.CallID != "c1" || o.Agent != "1001" || o.AgentName != "agent 1001" || o.Device != "PJSIP/1001" || o.Home != "b" ||
		o.Instance != "a" || !o.Deadline.Equal(e.clk.Now().Add(20*time.Second)) || o.Attempt != 2 || o.Waited != time.Minute {
		t.Errorf("offer %+v", o)
	}
	g := e.agents(a)
	if g["2001"].State != queue.WrapUp || g["1001"].State != queue.Reserved || g["1001"].CallID != "c1" {
		t.Errorf("2001 %s, 1001 %s on %q; want wrap-up and ringing for c1", g["2001"].State, g["1001"].State, g["1001"].CallID)
	}
	hold := b.waitEvent(t, "the hold of 1001", func(ev cluster.Event) bool { return ev.Kind == cluster.EventHold })
	if hold.Offer.CallID != "c1" || hold.Offer.Agent != "1001" || hold.Offer.Instance != "a" {
		t.Errorf("hold %+v", hold.Offer)
	}
	if d := e.route(a); len(d.Offers) != 0 {
		t.Errorf("routing offered %+v while c1 rings 1001 and 2001 wraps up", d.Offers)
	}
	e.must(a.NoAnswer(e.ctx, "c1", "1001"))
	e.clk.Advance(30 * time.Second)
	d := e.route(a)
	if len(d.Offers) != 1 || d.Offers[0].CallID != "c1" || d.Offers[0].Agent != "2001" {
		t.Fatalf("after the no answer and 2001's wrap-up: offers %+v, want c1 (first in line) to 2001", d.Offers)
	}
}
