package acd_test

import (
	"testing"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
)

// TestSharedDeclineBusyOwnAgent: a's Center is behind the router: it
// still holds its agent 1001 for b's caller, who hung up (the abandon's
// notification lost), while the router has 1001 ready again. The router
// offers a's own caller to 1001; a cannot take it and declines it: the
// caller keeps its place and 1001 is not ready ("busy") in the router,
// not "missed". Once a catches up (the resync), 1001's state here is
// published although it follows a call's, and a's caller reaches 1001.
func TestSharedDeclineBusyOwnAgent(t *testing.T) {
	c, ls := lossyCentre(t, queue.QueueConfig{}, "1001")
	c.ready(c.a, "1001")
	ls["a"].loseNext(acd.SharedHoldAbandoned, "")
	bCaller := c.b.dial("13800000002")
	c.until("the router offering b's caller to 1001", func() bool { return c.sharedState("1001") == queue.Reserved })
	var ring *aritest.Party
	c.wait("b ringing 1001, held at a", func() bool {
		if ring == nil {
			ring = pending(c.agentsOf[c.b]["1001"])
		}
		st, _ := c.a.center.Agent("1001")
		return ring != nil && st.State == queue.Reserved
	})
	if err := bCaller.Hangup(); err != nil {
		t.Fatal(err)
	}
	lost(t, ls["a"])
	c.until("1001 ready in the router", func() bool { return c.sharedState("1001") == queue.Ready })
	if st, _ := c.a.center.Agent("1001"); st.State != queue.Reserved {
		t.Fatalf("1001 is %s at a, want still held (a is behind)", st.State)
	}

	aCaller := c.a.dial("13800000001")
	c.until("a declining its caller's offer to 1001", func() bool {
		v := c.sharedAgent("1001")
		return v.State == queue.NotReady
	})
	if v := c.sharedAgent("1001"); v.Reason != "busy" {
		t.Errorf("the router has 1001 not ready (%s), want busy", v.Reason)
	}
	if p, err := c.a.center.Position(aCaller.ID()); err != nil || p.Position != 1 {
		t.Errorf("a's caller at %+v, %v: want first in line", p, err)
	}
	if p := pending(c.agentsOf[c.a]["1001"]); p != nil {
		t.Fatal("a rang 1001 while its Center holds it")
	}

	ls["a"].resync(t)
	agent := c.rungNow(c.a, "1001", "a ringing 1001 for its caller once caught up")
	if err := agent.Answer(); err != nil {
		t.Fatal(err)
	}
	c.a.heard(aCaller, "sound:hotline/zh/std/agent-id")
}
