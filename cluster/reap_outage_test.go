package cluster_test

import (
	"slices"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

// TestReapAfterOutage: PostgreSQL is down for longer than DeadAfter, so
// every instance's heartbeat is old when it comes back. The first to
// reach it again (a) reaps nobody until it has reached it for DeadAfter
// itself, which gives b the time to beat: b is not taken for dead. An
// instance that really stopped is reaped as before.
func TestReapAfterOutage(t *testing.T) {
	ctx := t.Context()
	e, srv, a, b := newRestartable(t)

	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(30 * time.Second)
	if err := a.Heartbeat(ctx); err == nil {
		t.Fatal("a heartbeat with PostgreSQL down succeeded")
	}
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	e.must(a.Heartbeat(ctx))
	if r, err := a.Reap(ctx); err != nil || len(r.Instances) != 0 {
		t.Fatalf("a reaped %v (%v) as soon as PostgreSQL was back, want nobody yet", r.Instances, err)
	}
	e.clk.Advance(5 * time.Second)
	e.must(b.Heartbeat(ctx))
	e.clk.Advance(6 * time.Second)
	e.must(a.Heartbeat(ctx))
	if r, err := a.Reap(ctx); err != nil || len(r.Instances) != 0 {
		t.Fatalf("a reaped %v (%v), want nobody: b beats again", r.Instances, err)
	}
	if g := e.agents(a); g["1001"].State != queue.NotReady {
		t.Errorf("b's agent is %s, want still signed in (not ready)", g["1001"].State)
	}

	b.stop()
	e.clk.Advance(11 * time.Second)
	e.must(a.Heartbeat(ctx))
	r, err := a.Reap(ctx)
	if err != nil || !slices.Equal(r.Instances, []string{"b"}) {
		t.Fatalf("a reaped %v (%v) after b stopped, want b", r.Instances, err)
	}
}
