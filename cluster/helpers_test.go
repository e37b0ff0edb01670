package cluster_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is one database shared by instances on one fake clock.
type env struct {
	t    *testing.T
	ctx  context.Context
	clk  *clockwork.FakeClock
	url  string
	pool *pgxpool.Pool
}

func newEnv(t *testing.T) *env {
	t.Helper()
	url := pgtest.New(t)
	return newEnvAt(t, url)
}

func newEnvAt(t *testing.T, url string) *env {
	t.Helper()
	ctx := t.Context()
	pool := openPool(t, url)
	return &env{t: t, ctx: ctx, clk: clockwork.NewFakeClockAt(t0), url: url, pool: pool}
}

func openPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// inst is one instance: a Cluster and its events, collected.
type inst struct {
	*cluster.Cluster
	mu     sync.Mutex
	cond   *sync.Cond
	events []cluster.Event
	hooks  []func() // called on each event
	done   chan struct{}
}

// instance starts an instance with its own pool (as a separate process
// would have).
func (e *env) instance(name string) *inst {
	e.t.Helper()
	c, err := cluster.New(e.ctx, openPool(e.t, e.url), cluster.Config{
		Instance: name, Clock: e.clk, Heartbeat: time.Second, DeadAfter: 10 * time.Second, Reconnect: time.Second,
		Logger: slog.New(slog.NewTextHandler(e.t.Output(), nil)),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	in := &inst{Cluster: c, done: make(chan struct{})}
	in.cond = sync.NewCond(&in.mu)
	go func() {
		defer close(in.done)
		for ev := range c.Events() {
			in.mu.Lock()
			in.events = append(in.events, ev)
			in.cond.Broadcast()
			for _, h := range in.hooks {
				h()
			}
			in.mu.Unlock()
		}
	}()
	e.t.Cleanup(in.stop)
	return in
}

// stop stops the instance as if its process ended: its rows stay.
func (in *inst) stop() {
	in.Close()
	<-in.done
}

// waitEvent waits for an event matching f and returns it (and forgets
// those before it).
func (in *inst) waitEvent(t *testing.T, what string, f func(cluster.Event) bool) cluster.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		in.mu.Lock()
		in.cond.Broadcast()
		in.mu.Unlock()
	})
	defer stop()
	in.mu.Lock()
	defer in.mu.Unlock()
	for {
		for i, ev := range in.events {
			if f(ev) {
				in.events = in.events[i+1:]
				return ev
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("instance %s: no %s event: %v (events: %+v)", in.Instance(), what, ctx.Err(), in.events)
		}
		in.cond.Wait()
	}
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) queue(in *inst, cfg queue.QueueConfig) {
	e.t.Helper()
	e.must(in.SetQueue(e.ctx, cfg))
}

// readyAgent adds an agent and makes it Ready at in.
func (e *env) readyAgent(in *inst, cfg queue.AgentConfig) {
	e.t.Helper()
	e.must(in.SetAgent(e.ctx, cfg))
	e.must(in.Login(e.ctx, cfg.ID))
	e.must(in.SetReady(e.ctx, cfg.ID))
}

func (e *env) route(in *inst) cluster.Decision {
	e.t.Helper()
	d, err := in.Route(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func (e *env) agents(in *inst) map[string]cluster.AgentView {
	e.t.Helper()
	as, err := in.Agents(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]cluster.AgentView{}
	for _, a := range as {
		out[a.ID] = a
	}
	return out
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// has says whether the instance got an event of kind.
func (in *inst) has(kind cluster.EventKind) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, ev := range in.events {
		if ev.Kind == kind {
			return true
		}
	}
	return false
}

// advanceUntil advances the clock by step each time it has at least waiters
// waiters (timers and tickers), until done says so; an event at any of ins
// makes it look again.
func (e *env) advanceUntil(done func() bool, waiters int, step time.Duration, ins ...*inst) {
	e.t.Helper()
	deadline, cancelAll := context.WithTimeout(e.ctx, time.Minute)
	defer cancelAll()
	for !done() {
		ctx, cancel := context.WithCancel(deadline)
		for _, in := range ins {
			in.mu.Lock()
			in.hooks = append(in.hooks, cancel)
			in.mu.Unlock()
		}
		err := e.clk.BlockUntilContext(ctx, waiters)
		if err == nil {
			e.clk.Advance(step)
		}
		cancel()
		for _, in := range ins {
			in.mu.Lock()
			in.hooks = nil
			in.mu.Unlock()
		}
		if deadline.Err() != nil {
			e.t.Fatalf("waiting on the clock: %v", deadline.Err())
		}
	}
}

// newRestartable is an env on a private PostgreSQL server the test can
// stop and restart, with instances a (queue "sales") and b (agent 1001
// signed in).
func newRestartable(t *testing.T) (*env, *pgtest.Server, *inst, *inst) {
	t.Helper()
	srv := pgtest.NewServer(t)
	if err := srv.CreateDatabase(t.Context(), "hotline"); err != nil {
		t.Fatal(err)
	}
	url := srv.DatabaseURL("hotline")
	if err := store.Migrate(t.Context(), openPool(t, url)); err != nil {
		t.Fatal(err)
	}
	e := newEnvAt(t, url)
	a, b := e.instance("a"), e.instance("b")
	e.queue(a, queue.QueueConfig{Name: "sales"})
	e.must(b.SetAgent(e.ctx, queue.AgentConfig{ID: "1001"}))
	e.must(b.Login(e.ctx, "1001"))
	return e, srv, a, b
}
