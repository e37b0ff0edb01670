package acd_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// TestSharedTransferToAgent: agent 2001 of a, on a's caller, transfers it
// to 1001, signed in at b: a colleague who is not ready is refused and
// the call stays; once 1001 is ready, 2001 wraps up, a rings 1001 through
// its own Asterisk, b holds 1001 for the call and follows its answer, and
// the caller talks with 1001.
func TestSharedTransferToAgent(t *testing.T) {
	c := newCentre(t, queue.QueueConfig{WrapUp: 10 * time.Second}, "2001", "1001")
	c.ready(c.a, "2001")
	caller := c.a.dial("13800000001")
	first := c.ringing(c.a, "2001")
	if err := first.Answer(); err != nil {
		t.Fatal(err)
	}
	c.a.heard(caller, "sound:hotline/zh/std/agent-id")
	c.until("2001 talking with the caller", func() bool {
		for _, v := range c.a.acd.Snapshot().Calls {
			if v.Agent == "2001" && v.Phase == acd.CallTalking {
				return true
			}
		}
		return false
	})
	if err := c.a.acd.TransferToAgent(t.Context(), "2001", "1001"); !errors.Is(err, queue.ErrAgentNotReady) {
		t.Fatalf("a transfer to a colleague logged out: %v, want ErrAgentNotReady", err)
	}
	if st, _ := c.a.center.Agent("2001"); st.State != queue.OnCall {
		t.Fatalf("2001 is %s after a refused transfer, want still on the call", st.State)
	}
	c.ready(c.b, "1001")
	if err := c.a.acd.TransferToAgent(t.Context(), "2001", "1001"); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.a.center.Agent("2001"); st.State != queue.WrapUp {
		t.Errorf("2001 is %s after the transfer, want wrap-up", st.State)
	}
	c.a.gone(first)
	second := c.ringing(c.a, "1001")
	c.wait("1001 held at its home for a's caller", func() bool {
		st, _ := c.b.center.Agent("1001")
		return st.State == queue.Reserved && st.CallID == "a:"+caller.ID()
	})
	if err := second.Answer(); err != nil {
		t.Fatal(err)
	}
	c.until("caller and 1001 bridged", func() bool { return findBridge(c.a, caller.ID(), second.ID()) != nil })
	c.until("1001 on the call at its home", func() bool {
		st, _ := c.b.center.Agent("1001")
		return st.State == queue.OnCall
	})
	if st := c.sharedState("1001"); st != queue.OnCall {
		t.Errorf("the router has 1001 %s, want on the call", st)
	}
}
