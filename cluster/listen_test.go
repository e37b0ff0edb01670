package cluster_test

import (
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/queue"
)

// TestWakeUps: an instance hears of work made at another (an agent Ready,
// a caller queued) and of an offer another made for its caller, with what
// it needs to ring the agent.
func TestWakeUps(t *testing.T) {
	e := newEnv(t)
	a, b := e.instance("a"), e.instance("b")
	e.queue(a, queue.QueueConfig{Name: "sales", RingTimeout: 20 * time.Second})
	e.readyAgent(b, queue.AgentConfig{ID: "1001", Name: "Li Lei", Device: "PJSIP/1001"})
	a.waitEvent(t, "work from b", func(ev cluster.Event) bool { return ev.Kind == cluster.EventWork && ev.Instance == "b" })
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "c1", Queue: "sales", Priority: 2}))
	b.waitEvent(t, "work from a", func(ev cluster.Event) bool { return ev.Kind == cluster.EventWork && ev.Instance == "a" })
	if d := e.route(b); len(d.Offers) != 0 {
		t.Fatalf("b got offers for a's caller: %+v", d.Offers)
	}
	ev := a.waitEvent(t, "offer", func(ev cluster.Event) bool { return ev.Kind == cluster.EventOffer })
	o := ev.Offer
	if o.CallID != "c1" || o.Agent != "1001" || o.AgentName != "Li Lei" || o.Device != "PJSIP/1001" || o.Home != "b" ||
		o.Instance != "a" || o.Priority != 2 || o.Attempt != 1 || !o.Deadline.Equal(e.clk.Now().Add(20*time.Second)) {
		t.Fatalf("offer heard by a: %+v", o)
	}
	if b.has(cluster.EventOffer) {
		t.Fatal("b heard a's offer")
	}
	if at, ok, err := a.Wake(e.ctx); err != nil || !ok || !at.Equal(o.Deadline) {
		t.Fatalf("Wake: %v %v %v, want the offer's deadline %v", at, ok, err, o.Deadline)
	}
}

// TestSurvivesDatabaseRestart: while PostgreSQL is down, calls fail with
// errors; once it is back they work, and each instance's LISTEN connection
// comes back by itself and says so (EventResync), then hears wake-ups
// again.
func TestSurvivesDatabaseRestart(t *testing.T) {
	ctx := t.Context()
	e, srv, a, b := newRestartable(t)

	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Enqueue(e.ctx, cluster.Caller{CallID: "c1", Queue: "sales"}); err == nil {
		t.Fatal("Enqueue with PostgreSQL down succeeded")
	}
	if _, err := a.Route(e.ctx); err == nil {
		t.Fatal("Route with PostgreSQL down succeeded")
	}
	if _, err := a.Queues(e.ctx); err == nil {
		t.Fatal("Queues with PostgreSQL down succeeded")
	}
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	// Each instance has its heartbeat ticker; a listener waiting to
	// reconnect adds a timer.
	e.advanceUntil(func() bool { return a.has(cluster.EventResync) && b.has(cluster.EventResync) }, 3, time.Second, a, b)

	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "c1", Queue: "sales"}))
	e.must(b.SetReady(e.ctx, "1001"))
	a.waitEvent(t, "work after the restart", func(ev cluster.Event) bool { return ev.Kind == cluster.EventWork && ev.Instance == "b" })
	e.route(b)
	ev := a.waitEvent(t, "offer after the restart", func(ev cluster.Event) bool { return ev.Kind == cluster.EventOffer })
	if ev.Offer.CallID != "c1" || ev.Offer.Agent != "1001" {
		t.Fatalf("offer after the restart: %+v", ev.Offer)
	}
	calls, err := a.Calls(e.ctx)
	if err != nil || len(calls) != 1 || calls[0].CallID != "c1" || calls[0].State != "offered" || calls[0].Agent != "1001" || calls[0].Attempts != 1 {
		t.Fatalf("a's calls: %+v, %v", calls, err)
	}
	if calls, err := b.Calls(e.ctx); err != nil || len(calls) != 0 {
		t.Fatalf("b's calls: %+v, %v", calls, err)
	}
}
