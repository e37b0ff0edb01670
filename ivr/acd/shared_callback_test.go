package acd_test

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// cbCentre is a centre of instances that offer call-backs: each ACD on its
// own emulated Asterisk (with its own systemname, as a clustered server
// must have), sharing the queue through the cluster and the call-back
// requests through the store, in one PostgreSQL, on one clock. Instances
// start and stop while the test runs (a restart, a death).
type cbCentre struct {
	t      *testing.T
	clk    *clockwork.FakeClock
	url    string
	q      queue.QueueConfig
	agents []queue.AgentConfig
	tune   func(*acd.Config)
	store  *store.Callbacks
	live   []*cbInstance
}

// cbInstance is one instance of a cbCentre: its rig, its cluster
// membership, its agents' phones and the customers it dials (its trunk).
type cbInstance struct {
	name   string
	r      *rig
	cl     *cluster.Cluster
	phones map[string]*aritest.Endpoint
	trunk  *calls
}

func newCBCentre(t *testing.T, q queue.QueueConfig, tune func(*acd.Config), agents ...string) *cbCentre {
	t.Helper()
	c := &cbCentre{t: t, clk: clockwork.NewFakeClockAt(t0), url: pgtest.New(t), q: q, tune: tune}
	if c.q.Name == "" {
		c.q.Name = "after-sales"
	}
	for _, id := range agents {
		c.agents = append(c.agents, queue.AgentConfig{ID: id, Name: "Agent " + id, Device: "PJSIP/" + id})
	}
	pool, err := pgxpool.New(context.Background(), c.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	c.store = store.NewCallbacks(pool, c.clk)
	return c
}

// start starts instance name for the life of t (a subtest's, for an
// instance that stops while the test goes on): at its end the ACD stops,
// then the instance leaves the cluster cleanly, or, with !leave, just
// stops (its heartbeat with it), as a server that died.
func (c *cbCentre) start(t *testing.T, name string, leave bool) *cbInstance {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), c.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	cl, err := cluster.New(t.Context(), pool, cluster.Config{Instance: name, Clock: c.clk,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.SetQueue(t.Context(), c.q); err != nil {
		t.Fatal(err)
	}
	for _, a := range c.agents {
		if err := cl.SetAgent(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	in := &cbInstance{name: name, cl: cl, phones: map[string]*aritest.Endpoint{}}
	ctx, stop := context.WithCancel(context.Background())
	// Registered before the rig's: runs after the rig has stopped.
	t.Cleanup(func() {
		stop()
		c.live = slices.DeleteFunc(c.live, func(x *cbInstance) bool { return x == in })
		if leave {
			if _, err := cl.Leave(context.Background()); err != nil {
				t.Errorf("instance %s leaving: %v", name, err)
			}
		}
		cl.Close()
	})
	in.r = newRig(t, rigOptions{queue: c.q, agents: c.agents, clock: c.clk, shared: true, systemName: name,
		tune: func(cfg *acd.Config) {
			cfg.Shared, cfg.Instance = cl.ACD(ctx), name
			cfg.Callbacks = store.NewACDCallbacks(store.NewCallbacks(pool, c.clk), nil)
			if c.tune != nil {
				c.tune(cfg)
			}
		}})
	for _, a := range c.agents {
		in.phones[a.ID] = in.r.emu.AddEndpoint("PJSIP", a.ID, aritest.ManualAnswer())
	}
	in.trunk = in.r.collect(in.r.emu.AddEndpoint("PJSIP", "trunk", aritest.ManualAnswer()))
	c.live = append(c.live, in)
	return in
}

// until moves the shared clock (through the first live instance's rig,
// settling the others) until cond holds.
func (c *cbCentre) until(what string, cond func() bool) {
	c.t.Helper()
	c.live[0].r.until(what, func() bool {
		for _, in := range c.live[1:] {
			in.r.settle()
		}
		return cond()
	})
}

// wait waits, without moving the clock, until cond holds (see
// centre.wait).
func (c *cbCentre) wait(what string, cond func() bool) {
	c.t.Helper()
	for !cond() {
		if c.live[0].r.ctx.Err() != nil {
			c.t.Fatalf("waiting for %s: %v", what, c.live[0].r.ctx.Err())
		}
		runtime.Gosched()
	}
}

// ready signs agent in at its home and makes it ready.
func (c *cbCentre) ready(home *cbInstance, agent string) {
	c.t.Helper()
	home.r.must(home.r.acd.Login(home.r.ctx, agent))
	home.r.must(home.r.acd.Ready(home.r.ctx, agent))
}

// rung waits, without moving the clock (an offer would ring out), for the
// agent's phone to ring at one of the live instances, and says which.
func (c *cbCentre) rung(agent string) (*cbInstance, *aritest.Party) {
	c.t.Helper()
	var at *cbInstance
	var p *aritest.Party
	c.wait("agent "+agent+" rung", func() bool {
		for _, in := range c.live {
			if p = pending(in.phones[agent]); p != nil {
				at = in
				return true
			}
		}
		return false
	})
	return at, p
}

// agentView is the agent as the shared router has it.
func (c *cbCentre) agentView(cl *cluster.Cluster, agent string) cluster.AgentView {
	c.t.Helper()
	return routerAgentOf(c.t, cl, agent)
}

// request is the call-back request booked on call, as the store has it.
func (c *cbCentre) request(call string) store.CallbackRequest {
	c.t.Helper()
	req, err := c.store.Get(c.t.Context(), "cb-"+call)
	if err != nil {
		c.t.Fatal(err)
	}
	return req
}

// inRouter waits for the shared router to have the call-back row id
// (the cluster's ID), owned by owner.
func (c *cbCentre) inRouter(from *cluster.Cluster, id, owner string) {
	c.t.Helper()
	c.until("call-back "+id+" of "+owner+" in the shared line", func() bool {
		rows, err := from.CallbackRows(c.t.Context())
		return err == nil && rows[id] == owner
	})
}

// bookedAt has caller (of in) book a call-back with its own number and
// waits for the request to be the router's.
func (c *cbCentre) bookedAt(in *cbInstance, caller *aritest.Party) {
	c.t.Helper()
	in.r.bookCallback(caller)
	_ = in.r.journey()
	c.inRouter(in.cl, in.name+":"+caller.ID(), in.name)
	if req := c.request(caller.ID()); req.State != store.CallbackPending || req.Attempts != 0 {
		c.t.Fatalf("request %+v, want pending", req)
	}
}

// book has a caller of in wait (music on hold) and book a call-back with
// its own number; the request is pending in the store and the router.
func (c *cbCentre) book(in *cbInstance, number string) *aritest.Party {
	c.t.Helper()
	caller := in.r.dial(number)
	in.r.heard(caller, "moh:default")
	c.bookedAt(in, caller)
	return caller
}

// reapedBy waits (time moving) until in's reaper takes another instance
// for dead, and returns what it reaped.
func (c *cbCentre) reapedBy(in *cbInstance) cluster.Reaped {
	c.t.Helper()
	var reaped cluster.Reaped
	c.until("an instance taken for dead", func() bool {
		r, err := in.cl.Reap(c.t.Context())
		in.r.must(err)
		reaped = r
		return len(r.Instances) > 0
	})
	return reaped
}

// talk has the agent answer the call-back at in, the customer dialled by
// in answer, and both meet; then the customer hangs up.
func (c *cbCentre) talk(in *cbInstance, agent *aritest.Party, dials int, number string) {
	c.t.Helper()
	in.r.must(agent.Answer())
	in.r.heard(agent, sound("agent/callback"))
	c.until("the customer dialled", func() bool { return len(in.trunk.list()) == dials })
	customer := in.trunk.list()[dials-1]
	if customer.Dialed() != number {
		c.t.Errorf("dialled %q, want the caller's number %s", customer.Dialed(), number)
	}
	in.r.must(customer.Answer())
	c.until("customer and agent bridged", func() bool { return findBridge(in.r, customer.ID(), agent.ID()) != nil })
	in.r.must(customer.Hangup())
	in.r.gone(agent)
}

var cbQueue = queue.QueueConfig{AnnounceEvery: 20 * time.Second, CallbackAfter: 20 * time.Second}

// TestSharedCallbackKeepsPlace: a caller of b who books a call-back keeps
// its place in the centre's line ahead of a later caller of a; the agent
// (signed in at a) is rung for it by b, which owns the request, and b
// alone dials the customer, once; the agent then gets a's caller.
func TestSharedCallbackKeepsPlace(t *testing.T) {
	c := newCBCentre(t, cbQueue, nil, "1001")
	a, b := c.start(t, "a", true), c.start(t, "b", true)
	first := b.r.dial("13800000001")
	b.r.heard(first, "moh:default")
	second := a.r.dial("13800000002")
	a.r.heard(second, "moh:default")
	c.bookedAt(b, first)
	qs, err := a.cl.Queues(t.Context())
	if err != nil || len(qs) != 1 || qs[0].Waiting != 2 || qs[0].Callbacks != 1 {
		t.Fatalf("the shared line %+v (%v), want the call-back and the live caller", qs, err)
	}

	c.ready(a, "1001")
	at, agent := c.rung("1001")
	if at != b {
		t.Fatalf("agent rung by %s for the first in line, want b (the request's owner)", at.name)
	}
	if v := c.agentView(a.cl, "1001"); v.CallID != "b:"+first.ID() {
		t.Fatalf("the router has the agent on %q, want b's call-back", v.CallID)
	}
	c.talk(b, agent, 1, "13800000001")
	if req := c.request(first.ID()); req.State != store.CallbackConnected || req.Attempts != 1 || req.Instance != "b" {
		t.Errorf("request %s after %d attempts, dialled by %q; want connected after 1, by b", req.State, req.Attempts, req.Instance)
	}
	at, _ = c.rung("1001")
	if at != a {
		t.Fatalf("agent rung by %s after the call-back, want a for its caller", at.name)
	}
	if st, _ := a.r.center.Agent("1001"); st.CallID != second.ID() {
		t.Errorf("agent reserved for %q, want a's caller", st.CallID)
	}
	if n, m := len(b.trunk.list()), len(a.trunk.list()); n != 1 || m != 0 {
		t.Errorf("the customer dialled %d times by b and %d by a, want once by b", n, m)
	}
	if rows, err := a.cl.CallbackRows(t.Context()); err != nil || len(rows) != 0 {
		t.Errorf("call-back rows left in the router: %v (%v)", rows, err)
	}
}

// TestSharedCallbackServedOnce: agents signed in at both instances become
// ready at once, both instances routing: a's request is offered once and
// dialled once, by a; nobody is rung for it again.
func TestSharedCallbackServedOnce(t *testing.T) {
	c := newCBCentre(t, cbQueue, nil, "1001", "1002")
	a, b := c.start(t, "a", true), c.start(t, "b", true)
	caller := c.book(a, "13800000001")
	c.ready(a, "1001")
	c.ready(b, "1002")
	var at *cbInstance
	var agent *aritest.Party
	c.wait("an agent rung", func() bool {
		for _, in := range c.live {
			for _, id := range []string{"1001", "1002"} {
				if p := pending(in.phones[id]); p != nil {
					if agent != nil {
						t.Fatalf("two agents rung for one call-back")
					}
					at, agent = in, p
				}
			}
		}
		return agent != nil
	})
	if at != a {
		t.Fatalf("rung by %s, want a (the request's owner)", at.name)
	}
	c.talk(a, agent, 1, "13800000001")
	// Time passes: nobody is rung or dialled again.
	c.until("a minute later", func() bool { return c.clk.Since(t0) > 2*time.Minute })
	for _, in := range c.live {
		for id, ep := range in.phones {
			if p := pending(ep); p != nil {
				t.Errorf("agent %s rung again by %s", id, in.name)
			}
		}
	}
	if n, m := len(a.trunk.list()), len(b.trunk.list()); n != 1 || m != 0 {
		t.Errorf("the customer dialled %d times by a and %d by b, want once by a", n, m)
	}
	if req := c.request(caller.ID()); req.State != store.CallbackConnected || req.Attempts != 1 || req.Instance != "a" {
		t.Errorf("request %s after %d attempts by %q; want connected after 1, by a", req.State, req.Attempts, req.Instance)
	}
}

// TestSharedCallbackRetryKeepsPlace: a busy customer is dialled again
// after the retry delay, and the request keeps its place meanwhile: a
// caller who came after the booking (at b) waits until the request's
// second attempt is over.
func TestSharedCallbackRetryKeepsPlace(t *testing.T) {
	c := newCBCentre(t, cbQueue, func(cfg *acd.Config) {
		cfg.CallbackAttempts, cfg.CallbackRetryDelay, cfg.CallbackRingTimeout = 2, time.Minute, 20*time.Second
	}, "1001")
	a, b := c.start(t, "a", true), c.start(t, "b", true)
	caller := c.book(a, "13800000001")
	c.ready(a, "1001")
	_, agent := c.rung("1001")
	a.r.must(agent.Answer())
	a.r.heard(agent, sound("agent/callback"))
	c.until("the customer dialled", func() bool { return len(a.trunk.list()) == 1 })
	a.r.must(a.trunk.list()[0].HangupCause(aritest.CauseUserBusy)) // busy
	c.until("the agent released", func() bool { st, _ := a.r.center.Agent("1001"); return st.State == queue.Ready })
	a.r.must(a.r.acd.NotReady(a.r.ctx, "1001", "meeting"))
	if req := c.request(caller.ID()); req.State != store.CallbackPending || req.Attempts != 1 {
		t.Fatalf("request %s after %d attempts, want pending after 1", req.State, req.Attempts)
	}
	later := b.r.dial("13800000002")
	b.r.heard(later, "moh:default")
	c.inRouter(a.cl, "a:"+caller.ID(), "a") // back at its retry time
	a.r.must(a.r.acd.Ready(a.r.ctx, "1001"))
	at, agent := c.rung("1001")
	if at != a {
		t.Fatalf("rung by %s, want a for its request's retry, ahead of b's later caller", at.name)
	}
	if st, _ := a.r.center.Agent("1001"); st.CallID != "cb-"+caller.ID()+"/2" {
		t.Fatalf("agent reserved for %q, want the request's second attempt", st.CallID)
	}
	c.talk(a, agent, 2, "13800000001")
	at, _ = c.rung("1001")
	if at != b {
		t.Errorf("rung by %s after the call-back, want b for its caller", at.name)
	}
	if req := c.request(caller.ID()); req.State != store.CallbackConnected || req.Attempts != 2 {
		t.Errorf("request %s after %d attempts, want connected after 2", req.State, req.Attempts)
	}
}

// TestSharedCallbackOwnerRestart: the owner stops cleanly with a request
// pending and starts again: it takes the request back (it keeps its place
// ahead of a later caller of b) and dials it.
func TestSharedCallbackOwnerRestart(t *testing.T) {
	c := newCBCentre(t, cbQueue, nil, "1001")
	b := c.start(t, "b", true)
	var id string
	t.Run("a books and stops", func(t *testing.T) {
		a := c.start(t, "a", true)
		caller := c.book(a, "13800000001")
		id = caller.ID()
	})
	if t.Failed() {
		return
	}
	c.inRouter(b.cl, "a:"+id, "a") // left in its place by a's Leave
	later := b.r.dial("13800000002")
	b.r.heard(later, "moh:default")
	a := c.start(t, "a", true)
	c.until("the request taken back", func() bool {
		st, _ := a.r.center.QueueStatus("after-sales")
		return st.WaitingCallbacks == 1
	})
	c.ready(b, "1001")
	at, agent := c.rung("1001")
	if at != a {
		t.Fatalf("rung by %s, want the restarted a for its request, ahead of b's later caller", at.name)
	}
	c.talk(a, agent, 1, "13800000001")
	if req := c.request(id); req.State != store.CallbackConnected || req.Attempts != 1 || req.Instance != "a" {
		t.Errorf("request %s after %d attempts by %q; want connected after 1, by a", req.State, req.Attempts, req.Instance)
	}
	if n := len(b.trunk.list()); n != 0 {
		t.Errorf("b dialled the customer %d times", n)
	}
}

// TestSharedCallbackAdopted: the owner dies with a request pending; the
// instance that reaps it adopts the request (it keeps its place) and
// serves it once, as the reaper of hotline serve does.
func TestSharedCallbackAdopted(t *testing.T) {
	c := newCBCentre(t, cbQueue, nil, "1001")
	b := c.start(t, "b", true)
	var id string
	t.Run("a books and dies", func(t *testing.T) {
		a := c.start(t, "a", false)
		caller := c.book(a, "13800000001")
		id = caller.ID()
	})
	if t.Failed() {
		return
	}
	later := b.r.dial("13800000002")
	b.r.heard(later, "moh:default")
	reaped := c.reapedBy(b)
	if len(reaped.Adopted) != 1 || reaped.Adopted[0].CallID != "a:"+id {
		t.Fatalf("adopted %+v, want a's request", reaped.Adopted)
	}
	b.r.must(b.r.acd.TakeCallbacks(t.Context(), reaped.Instances))
	if st, _ := b.r.center.QueueStatus("after-sales"); st.WaitingCallbacks != 1 {
		t.Fatalf("b's queue %+v, want the adopted request", st)
	}
	c.ready(b, "1001")
	_, agent := c.rung("1001")
	if st, _ := b.r.center.Agent("1001"); st.CallID != "cb-"+id+"/1" {
		t.Fatalf("agent reserved for %q, want the adopted request ahead of b's later caller", st.CallID)
	}
	c.talk(b, agent, 1, "13800000001")
	if req := c.request(id); req.State != store.CallbackConnected || req.Attempts != 1 || req.Instance != "b" {
		t.Errorf("request %s after %d attempts by %q; want connected after 1, by b", req.State, req.Attempts, req.Instance)
	}
	// Taking again (the reaper's next turn) takes nothing twice.
	b.r.must(b.r.acd.TakeCallbacks(t.Context(), reaped.Instances))
	at, _ := c.rung("1001")
	if st, _ := b.r.center.Agent("1001"); at != b || st.CallID != later.ID() {
		t.Errorf("agent rung by %s for %q, want b's later caller", at.name, st.CallID)
	}
	if n := len(b.trunk.list()); n != 1 {
		t.Errorf("the customer dialled %d times, want once", n)
	}
}

// TestSharedCallbacksNeedTheRouters: a shared router that cannot keep
// call-back requests is refused for queues that offer them.
func TestSharedCallbacksNeedTheRouters(t *testing.T) {
	c := newCBCentre(t, cbQueue, nil, "1001")
	a := c.start(t, "a", true)
	center, err := queue.New(queue.Config{Clock: c.clk, Queues: []queue.QueueConfig{{Name: "after-sales", CallbackAfter: time.Minute}},
		SharedRouting: true})
	if err != nil {
		t.Fatal(err)
	}
	type plain struct{ acd.Shared } // without SharedCallbacks
	_, err = acd.New(acd.Config{Center: center, Shared: plain{a.cl.ACD(t.Context())}, Instance: "x",
		PBX: acd.NewPBX(a.r.ari, "hotline")})
	if !errors.Is(err, acd.ErrSharedUnsupported) {
		t.Errorf("acd.New: %v, want ErrSharedUnsupported", err)
	}
}

// TestSharedCallbackAdoptedMidDial: the owner stops while it dials the
// customer (the agent, signed in at b, on the call-back) and never comes
// back: the router's row ended with it, but the request is pending in the
// store; the instance that reaps it queues the request again, in its
// place ahead of a later caller, and dials it: the second attempt, by b.
// (The agent wraps up after the call the reaper ended: the request is
// queued again before the agent is free.)
func TestSharedCallbackAdoptedMidDial(t *testing.T) {
	q := cbQueue
	q.WrapUp = 10 * time.Second
	c := newCBCentre(t, q, nil, "1001")
	b := c.start(t, "b", true)
	var id string
	t.Run("a dials and dies", func(t *testing.T) {
		a := c.start(t, "a", false)
		caller := c.book(a, "13800000001")
		id = caller.ID()
		c.ready(b, "1001")
		at, agent := c.rung("1001")
		if at != a {
			t.Fatalf("rung by %s, want a", at.name)
		}
		a.r.must(agent.Answer())
		c.until("the customer dialled by a", func() bool { return len(a.trunk.list()) == 1 })
	})
	if t.Failed() {
		return
	}
	later := b.r.dial("13800000002")
	b.r.heard(later, "moh:default")
	reaped := c.reapedBy(b)
	if len(reaped.Ended) != 1 || reaped.Ended[0].CallID != "a:"+id || !reaped.Ended[0].Callback {
		t.Fatalf("ended %+v, want a's call-back being dialled", reaped.Ended)
	}
	if rows, _ := b.cl.CallbackRows(t.Context()); len(rows) != 0 {
		t.Fatalf("call-back rows %v after the reap, want none", rows)
	}
	if v := c.agentView(b.cl, "1001"); v.State != queue.WrapUp {
		t.Fatalf("agent 1001 %s after the reap, want wrap-up", v.State)
	}
	b.r.must(b.r.acd.TakeCallbacks(t.Context(), reaped.Instances))
	c.inRouter(b.cl, "a:"+id, "b")
	c.until("agent 1001's wrap-up over", func() bool { return c.agentView(b.cl, "1001").State != queue.WrapUp })
	at, agent := c.rung("1001")
	if v := c.agentView(b.cl, "1001"); at != b || v.CallID != "a:"+id {
		t.Fatalf("agent rung by %s for %q, want b for the request, ahead of its later caller", at.name, v.CallID)
	}
	c.talk(b, agent, 1, "13800000001")
	if req := c.request(id); req.State != store.CallbackConnected || req.Attempts != 2 || req.Instance != "b" {
		t.Errorf("request %s after %d attempts by %q; want connected after 2, by b", req.State, req.Attempts, req.Instance)
	}
}

// TestSharedCallbackAtAFullQueue: a caller of a turned away by a's full
// queue (its length counts a's callers) books a call-back at the door: the
// request joins the centre's line at the caller's arrival, behind a's
// first caller and ahead of a later caller of b, and a dials it.
func TestSharedCallbackAtAFullQueue(t *testing.T) {
	c := newCBCentre(t, queue.QueueConfig{MaxLength: 1, Overflow: queue.Action{Kind: queue.ActionCallbackOffer}}, nil, "1001")
	a, b := c.start(t, "a", true), c.start(t, "b", true)
	first := a.r.dial("13800000001")
	a.r.heard(first, "moh:default")
	second := a.r.dial("13800000002")
	c.bookedAt(a, second)
	later := b.r.dial("13800000003")
	b.r.heard(later, "moh:default")
	c.ready(b, "1001")
	at, agent := c.rung("1001")
	if v := c.agentView(b.cl, "1001"); at != a || v.CallID != "a:"+first.ID() {
		t.Fatalf("agent rung by %s for %q, want a's first caller", at.name, v.CallID)
	}
	a.r.must(agent.Answer())
	a.r.heard(first, "sound:hotline/zh/std/agent-id")
	a.r.must(first.Hangup())
	a.r.gone(agent)
	at, agent = c.rung("1001")
	if v := c.agentView(b.cl, "1001"); at != a || v.CallID != "a:"+second.ID() {
		t.Fatalf("agent rung by %s for %q, want a's call-back, ahead of b's later caller", at.name, v.CallID)
	}
	c.talk(a, agent, 1, "13800000002")
}

// TestSharedCallbackWithdrawn: the agent rung for a's call-back is signed
// in at b, which dies while the agent rings: the offer is withdrawn, the
// agent's phone stops ringing, and the request waits on in its place for
// the next agent, who gets it.
func TestSharedCallbackWithdrawn(t *testing.T) {
	q := cbQueue
	q.RingTimeout = time.Minute // longer than b takes to be found dead
	c := newCBCentre(t, q, nil, "1001", "1002")
	a := c.start(t, "a", true)
	caller := c.book(a, "13800000001")
	var rung *aritest.Party
	t.Run("b's agent rung, then b dies", func(t *testing.T) {
		b := c.start(t, "b", false)
		c.ready(b, "1001")
		var at *cbInstance
		at, rung = c.rung("1001")
		if at != a {
			t.Fatalf("rung by %s, want a", at.name)
		}
	})
	if t.Failed() {
		return
	}
	var reaped cluster.Reaped
	c.until("b taken for dead", func() bool {
		r, err := a.cl.Reap(t.Context())
		a.r.must(err)
		reaped = r
		return len(r.Instances) > 0
	})
	if len(reaped.Withdrawn) != 1 || reaped.Withdrawn[0].CallID != "a:"+caller.ID() {
		t.Fatalf("withdrawn %+v, want the call-back's offer", reaped.Withdrawn)
	}
	a.r.gone(rung)
	c.ready(a, "1002")
	at, agent := c.rung("1002")
	if v := c.agentView(a.cl, "1002"); at != a || v.CallID != "a:"+caller.ID() {
		t.Fatalf("agent 1002 rung by %s for %q, want a's call-back", at.name, v.CallID)
	}
	c.talk(a, agent, 1, "13800000001")
}

// TestSharedCallbackRingsOut: the agent (signed in at b) rung for a's
// call-back does not answer: the offer rings out, the agent is not ready
// ("missed"), nobody was dialled, and the request, still in its place, is
// offered again once the agent is ready: one dial in all.
func TestSharedCallbackRingsOut(t *testing.T) {
	q := cbQueue
	q.RingTimeout = 10 * time.Second
	c := newCBCentre(t, q, nil, "1001")
	a, b := c.start(t, "a", true), c.start(t, "b", true)
	caller := c.book(a, "13800000001")
	c.ready(b, "1001")
	at, rung := c.rung("1001")
	if at != a {
		t.Fatalf("rung by %s, want a", at.name)
	}
	c.until("the offer rung out", func() bool {
		v := c.agentView(b.cl, "1001")
		return v.State == queue.NotReady && v.Reason == queue.ReasonMissed
	})
	a.r.gone(rung)
	if n := len(a.trunk.list()); n != 0 {
		t.Fatalf("the customer dialled %d times for an offer nobody answered", n)
	}
	if req := c.request(caller.ID()); req.State != store.CallbackPending || req.Attempts != 0 {
		t.Fatalf("request %s after %d attempts, want pending, none made", req.State, req.Attempts)
	}
	c.until("agent 1001 not ready at its home", func() bool {
		st, _ := b.r.center.Agent("1001")
		return st.State == queue.NotReady
	})
	b.r.must(b.r.acd.Ready(b.r.ctx, "1001"))
	at, agent := c.rung("1001")
	if v := c.agentView(b.cl, "1001"); at != a || v.CallID != "a:"+caller.ID() {
		t.Fatalf("agent rung by %s for %q, want a's call-back again", at.name, v.CallID)
	}
	c.talk(a, agent, 1, "13800000001")
	if req := c.request(caller.ID()); req.State != store.CallbackConnected || req.Attempts != 1 {
		t.Errorf("request %s after %d attempts, want connected after 1", req.State, req.Attempts)
	}
}

// TestSharedCallbackNoTransfer: in a centre of several instances, an agent
// cannot transfer a call-back's customer to a queue (the shared router
// would not know of the customer waiting there): refused, saying so, and
// the conversation goes on.
func TestSharedCallbackNoTransfer(t *testing.T) {
	c := newCBCentre(t, cbQueue, nil, "1001")
	a, _ := c.start(t, "a", true), c.start(t, "b", true)
	c.book(a, "13800000001")
	c.ready(a, "1001")
	_, agent := c.rung("1001")
	a.r.must(agent.Answer())
	c.until("the customer dialled", func() bool { return len(a.trunk.list()) == 1 })
	customer := a.trunk.list()[0]
	a.r.must(customer.Answer())
	c.until("customer and agent bridged", func() bool { return findBridge(a.r, customer.ID(), agent.ID()) != nil })
	err := a.r.acd.TransferToQueue(t.Context(), "1001", "after-sales")
	if !errors.Is(err, acd.ErrSharedUnsupported) {
		t.Fatalf("transfer of the customer: %v, want ErrSharedUnsupported", err)
	}
	if findBridge(a.r, customer.ID(), agent.ID()) == nil {
		t.Error("the conversation ended with the refused transfer")
	}
}
