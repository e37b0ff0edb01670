package acd_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
)

// TestSharedOutbound: an agent of a calls a customer out in a centre of
// two instances. The router has the agent not ready ("outbound") from
// the Dial on, so a caller of b waits and is not offered to it while it
// talks; after the customer hangs up and the wrap-up runs out, the agent
// is ready in the router again and b's caller reaches it, rung by b.
func TestSharedOutbound(t *testing.T) {
	c := newCentre(t, queue.QueueConfig{WrapUp: 10 * time.Second}, "1001")
	trunk := c.a.emu.AddEndpoint("PJSIP", "trunk", aritest.ManualAnswer())
	dialled := c.a.collect(trunk)
	c.ready(c.a, "1001")
	var o outcomes
	id, err := c.a.acd.Dial(t.Context(), followUp("1001", "13800000001", &o))
	if err != nil {
		t.Fatal(err)
	}
	if v := c.sharedAgent("1001"); v.State != queue.NotReady || v.Reason != "outbound" {
		t.Fatalf("the router has 1001 %s (%s) once it dials, want not ready (outbound)", v.State, v.Reason)
	}
	caller := c.b.dial("13800000002")
	c.until("b's caller in the shared line", func() bool {
		qs, err := c.ca.Queues(t.Context())
		return err == nil && len(qs) == 1 && qs[0].Waiting == 1
	})
	agent := c.ringing(c.a, "1001") // its own phone first, from its home
	if err := agent.Answer(); err != nil {
		t.Fatal(err)
	}
	c.a.until("the customer dialled", func() bool { return len(dialled.list()) == 1 })
	customer := dialled.list()[0]
	if customer.ID() != id {
		t.Errorf("customer's channel %s, want the call's ID %s", customer.ID(), id)
	}
	if err := customer.Answer(); err != nil {
		t.Fatal(err)
	}
	c.until("customer and agent bridged", func() bool { return findBridge(c.a, customer.ID(), agent.ID()) != nil })
	c.clk.Advance(30 * time.Second)
	c.a.settle()
	c.b.settle()
	if p := pending(c.agentsOf[c.b]["1001"]); p != nil {
		t.Fatal("b rang the agent on its outbound call")
	}
	if v := c.sharedAgent("1001"); v.State != queue.NotReady {
		t.Fatalf("the router has 1001 %s while it talks, want not ready", v.State)
	}
	if err := customer.Hangup(); err != nil {
		t.Fatal(err)
	}
	c.a.gone(agent)
	c.until("the outcome", func() bool { return len(o.list()) == 1 })
	if got := o.list()[0]; got != acd.OutboundTalked {
		t.Errorf("outcome %q, want talked", got)
	}
	c.servesNextAtB(t, caller)
}

// TestSharedOutboundNotReached: the customer is busy; the agent is back
// in the state it had (a break) at its home and in the router.
func TestSharedOutboundNotReached(t *testing.T) {
	c := newCentre(t, queue.QueueConfig{}, "1001")
	c.a.emu.AddEndpoint("PJSIP", "trunk", aritest.Busy())
	c.ready(c.a, "1001")
	if err := c.a.acd.NotReady(t.Context(), "1001", "follow-ups"); err != nil {
		t.Fatal(err)
	}
	c.until("1001 on its break in the router", func() bool { return c.sharedAgent("1001").Reason == "follow-ups" })
	var o outcomes
	if _, err := c.a.acd.Dial(t.Context(), followUp("1001", "13800000001", &o)); err != nil {
		t.Fatal(err)
	}
	if err := c.ringing(c.a, "1001").Answer(); err != nil {
		t.Fatal(err)
	}
	c.until("the outcome", func() bool { return len(o.list()) == 1 })
	if got := o.list()[0]; got != acd.OutboundBusy {
		t.Errorf("outcome %q, want busy", got)
	}
	c.until("1001 back on its break in the router", func() bool {
		v := c.sharedAgent("1001")
		return v.State == queue.NotReady && v.Reason == "follow-ups"
	})
	if st, _ := c.a.center.Agent("1001"); st.State != queue.NotReady || st.Reason != "follow-ups" {
		t.Errorf("1001 at its home: %s (%s), want not ready (follow-ups)", st.State, st.Reason)
	}
}

// TestSharedOutboundRefusedWhileOffered: the router has reserved the
// agent for b's caller, and its home has not heard yet (the hold's
// notification is lost): the agent's Dial is refused by the router, which
// keeps the offer; b's caller is put through.
func TestSharedOutboundRefusedWhileOffered(t *testing.T) {
	c, ls := lossyCentre(t, queue.QueueConfig{}, "1001")
	c.ready(c.a, "1001")
	ls["a"].loseNext(acd.SharedHold, "")
	caller := c.b.dial("13800000002")
	c.until("the router offering b's caller to 1001", func() bool { return c.sharedState("1001") == queue.Reserved })
	agent := c.rungNow(c.b, "1001", "b ringing 1001")
	lost(t, ls["a"])
	if st, _ := c.a.center.Agent("1001"); st.State != queue.Ready {
		t.Fatalf("1001 is %s at its home, want ready (the hold lost)", st.State)
	}
	var o outcomes
	_, err := c.a.acd.Dial(t.Context(), followUp("1001", "13800000001", &o))
	if !errors.Is(err, acd.ErrCannotDial) || !strings.Contains(err.Error(), "being offered") {
		t.Fatalf("Dial while the router offers the agent a call: %v, want ErrCannotDial saying so", err)
	}
	if st := c.sharedState("1001"); st != queue.Reserved {
		t.Fatalf("the router has 1001 %s after the refused Dial, want still ringing", st)
	}
	if err := agent.Answer(); err != nil {
		t.Fatal(err)
	}
	c.b.heard(caller, "sound:hotline/zh/std/agent-id")
	if len(o.list()) != 0 {
		t.Errorf("a refused Dial gave outcomes %v", o.list())
	}
}
