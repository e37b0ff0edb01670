package acd_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

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
	// Until a routes by itself its reports wait for the router (the rigs
	// are not idle): time moves without settling.
	first := c.a.dial("13800000001")
	for step := 0; c.a.center.SharedRouting(); step++ {
		if step == 6000 {
			t.Fatal("a did not route by itself within 600 s of call time")
		}
		c.a.waitBriefly("a routing by itself", func() bool { return !c.a.center.SharedRouting() })
		c.clk.Advance(100 * time.Millisecond)
	}
	agent := c.ringing(c.a, "1001")
	if err := agent.Answer(); err != nil {
		t.Fatal(err)
	}
	c.a.heard(first, "sound:hotline/zh/std/agent-id")

	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	c.wait("PostgreSQL back for both servers", func() bool {
		_, errA := c.ca.Queues(ctx)
		_, errB := c.cb.Queues(ctx)
		return errA == nil && errB == nil
	})
	c.until("routing handed back to the router", func() bool {
		return c.a.center.SharedRouting() && c.b.center.SharedRouting()
	})
	// The router cannot offer 1001 while it talks: not ready (on a call;
	// or missed, when another server's decision offered it a's caller
	// after PostgreSQL came back and the offer rang out meanwhile), or on
	// this very call (the router offered a's caller to 1001 and took a's
	// answer); and the caller served at a does not wait in its line.
	v := c.sharedAgent("1001")
	if v.State != queue.NotReady && (v.State != queue.OnCall || v.CallID != "a:"+first.ID()) {
		t.Errorf("the router has 1001 %s (%s) on %q while it talks with a's caller", v.State, v.Reason, v.CallID)
	}
	calls, err := c.ca.Calls(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range calls {
		if v.CallID == "a:"+first.ID() && (v.State != "connected" || v.Agent != "1001") {
			t.Errorf("the router has the caller served at a waiting: %+v", v)
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
	c.servesNextAtB(t, second)
}
