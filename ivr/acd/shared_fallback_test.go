package acd_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestSharedFallback: PostgreSQL stops under a centre of two servers. A
// caller of a is not left waiting for a router that cannot decide: after
// SharedFallbackAfter, a routes it to its own agent 1001 and they talk.
// PostgreSQL comes back: the router is put right (a's caller, served at
// a, is not in its line; 1001 is not ready "on a call") and routing is
// handed back to it, so b's caller waits while 1001 talks, and reaches it
// once 1001 has wrapped up, rung by b.
func TestSharedFallback(t *testing.T) {
	ctx := t.Context()
	srv := pgtest.NewServer(t)
	if err := srv.CreateDatabase(ctx, "hotline"); err != nil {
		t.Fatal(err)
	}
	url := srv.DatabaseURL("hotline")
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	err = store.Migrate(ctx, pool)
	pool.Close()
	if err != nil {
		t.Fatal(err)
	}
	c := newCentreAt(t, url, queue.QueueConfig{WrapUp: 10 * time.Second}, nil, "1001")
	c.ready(c.a, "1001")
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// While the router is away the reports wait (the rigs are never
	// idle): time moves without settling.
	outage := func(what string, cond func() bool) {
		t.Helper()
		for range 6000 {
			if c.a.waitBriefly(what, cond) {
				return
			}
			c.clk.Advance(100 * time.Millisecond)
		}
		t.Fatalf("%s did not happen within 600 s of call time", what)
	}
	first := c.a.dial("13800000001")
	var agent *aritest.Party
	outage("a ringing its own agent by itself", func() bool {
		agent = pending(c.agentsOf[c.a]["1001"])
		return agent != nil
	})
	if c.a.center.SharedRouting() {
		t.Error("a defers to the router while it is away")
	}
	if err := agent.Answer(); err != nil {
		t.Fatal(err)
	}
	outage("the caller hearing the agent's ID", func() bool { return count(first, "sound:hotline/zh/std/agent-id") == 1 })

	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	outage("routing handed back to the router", func() bool {
		return c.a.center.SharedRouting() && c.b.center.SharedRouting()
	})
	if v := c.routerAgent("1001"); v.State != queue.NotReady || v.Reason != "on a call" {
		t.Errorf("the router has 1001 %s (%s), want not ready (on a call)", v.State, v.Reason)
	}
	calls, err := c.ca.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range calls {
		if v.CallID == "a:"+first.ID() {
			t.Errorf("the router still has the caller served at a: %+v", v)
		}
	}
	second := c.b.dial("13800000002")
	c.until("b's caller in the shared line", func() bool {
		qs, err := c.ca.Queues(ctx)
		return err == nil && len(qs) == 1 && qs[0].Waiting == 1
	})
	c.clk.Advance(30 * time.Second)
	c.a.settle()
	c.b.settle()
	if p := pending(c.agentsOf[c.b]["1001"]); p != nil {
		t.Fatal("b rang 1001 while it talks")
	}
	if err := first.Hangup(); err != nil {
		t.Fatal(err)
	}
	c.a.gone(agent)
	c.until("1001 free in the router after its wrap-up", func() bool {
		st := c.sharedState("1001")
		return st == queue.Ready || st == queue.Reserved
	})
	var next *aritest.Party
	c.wait("b ringing 1001 for its caller", func() bool {
		next = pending(c.agentsOf[c.b]["1001"])
		return next != nil
	})
	if err := next.Answer(); err != nil {
		t.Fatal(err)
	}
	c.b.heard(second, "sound:hotline/zh/std/agent-id")
}
