package acd_test

import (
	"context"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// centre is two instances of one centre: two ACDs, each on its own
// emulated Asterisk, sharing their queue through one PostgreSQL (package
// cluster) and one clock. Every agent's phone is reachable from both
// Asterisks (as through Kamailio): each emulator has an endpoint for it.
type centre struct {
	t        *testing.T
	clk      *clockwork.FakeClock
	a, b     *rig
	ca, cb   *cluster.Cluster
	agentsOf map[*rig]map[string]*aritest.Endpoint
}

func newCentre(t *testing.T, q queue.QueueConfig, agents ...string) *centre {
	t.Helper()
	return newCentreWrapped(t, q, nil, agents...)
}

// newCentreWrapped is newCentre with each instance's router passed
// through wrap (by instance name), when not nil.
func newCentreWrapped(t *testing.T, q queue.QueueConfig, wrap func(string, acd.Shared) acd.Shared, agents ...string) *centre {
	t.Helper()
	return newCentreAt(t, pgtest.New(t), q, wrap, agents...)
}

// newCentreAt is newCentreWrapped on the database at url.
func newCentreAt(t *testing.T, url string, q queue.QueueConfig, wrap func(string, acd.Shared) acd.Shared, agents ...string) *centre {
	t.Helper()
	clk := clockwork.NewFakeClockAt(t0)
	if q.Name == "" {
		q.Name = "after-sales"
	}
	var cfgs []queue.AgentConfig
	for _, id := range agents {
		cfgs = append(cfgs, queue.AgentConfig{ID: id, Name: "Agent " + id, Device: "PJSIP/" + id})
	}
	c := &centre{t: t, clk: clk, agentsOf: map[*rig]map[string]*aritest.Endpoint{}}
	instance := func(name string) (*rig, *cluster.Cluster) {
		cl := joinCluster(t, url, clk, name, q, cfgs)
		ctx, stop := context.WithCancel(context.Background())
		r := newRig(t, rigOptions{queue: q, agents: cfgs, clock: clk, shared: true,
			tune: func(cfg *acd.Config) {
				cfg.Shared, cfg.Instance = cl.ACD(ctx), name
				if wrap != nil {
					cfg.Shared = wrap(name, cfg.Shared)
				}
			}})
		// Stopped after the rig (cleanups run last first).
		t.Cleanup(func() { stop(); cl.Close() })
		eps := map[string]*aritest.Endpoint{}
		for _, id := range agents {
			eps[id] = r.emu.AddEndpoint("PJSIP", id, aritest.ManualAnswer())
		}
		c.agentsOf[r] = eps
		return r, cl
	}
	c.a, c.ca = instance("a")
	c.b, c.cb = instance("b")
	return c
}

// joinCluster joins instance name to the centre on the database at url,
// with queue q and agents cfgs, on clk; the caller closes it.
func joinCluster(t *testing.T, url string, clk clockwork.Clock, name string, q queue.QueueConfig, cfgs []queue.AgentConfig) *cluster.Cluster {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	cl, err := cluster.New(t.Context(), pool, cluster.Config{Instance: name, Clock: clk,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.SetQueue(t.Context(), q); err != nil {
		t.Fatal(err)
	}
	for _, a := range cfgs {
		if err := cl.SetAgent(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	return cl
}

// ready signs agent in at its home and makes it ready, and waits until
// the shared router has it (ready, or already offered a call).
func (c *centre) ready(home *rig, agent string) {
	c.t.Helper()
	c.readyWaiting(home, agent, c.until)
}

// readyWaiting is ready, waiting with until.
func (c *centre) readyWaiting(home *rig, agent string, until func(string, func() bool)) {
	c.t.Helper()
	home.must(home.acd.Login(home.ctx, agent))
	home.must(home.acd.Ready(home.ctx, agent))
	until("agent "+agent+" ready in the shared router", func() bool {
		st := c.sharedState(agent)
		return st != queue.LoggedOut && st != queue.NotReady
	})
}

// sharedState is the agent's state in the shared router.
func (c *centre) sharedState(agent string) queue.AgentState {
	c.t.Helper()
	return c.sharedAgent(agent).State
}

// until moves the shared clock (through instance a's rig, settling b's
// too) until cond holds.
func (c *centre) until(what string, cond func() bool) {
	c.t.Helper()
	c.a.until(what, func() bool {
		c.b.settle()
		return cond()
	})
}

// wait waits, without moving the clock, until cond holds: for what the
// cluster's notifications bring (in real time), while a ring timeout would
// run out if the clock moved.
func (c *centre) wait(what string, cond func() bool) {
	c.t.Helper()
	for !cond() {
		if c.a.ctx.Err() != nil {
			c.t.Fatalf("waiting for %s: %v", what, c.a.ctx.Err())
		}
		runtime.Gosched()
	}
}

// servesNextAtB: once 1001 is free in the router after its wrap-up, b
// rings it for its caller, who hears the agent's ID once it answers.
func (c *centre) servesNextAtB(t *testing.T, caller *aritest.Party) {
	t.Helper()
	c.until("1001 free in the router after its wrap-up", func() bool {
		st := c.sharedState("1001")
		return st == queue.Ready || st == queue.Reserved
	})
	next := c.rungNow(c.b, "1001", "b ringing 1001 for its caller")
	if err := next.Answer(); err != nil {
		t.Fatal(err)
	}
	c.b.heard(caller, "sound:hotline/zh/std/agent-id")
}

// rungNow waits, without moving the clock, until agent's phone at
// instance r rings (what the cluster's notifications bring, in real time,
// while moving the clock could let the offer run out), and returns the
// call.
func (c *centre) rungNow(r *rig, agent, what string) *aritest.Party {
	c.t.Helper()
	var p *aritest.Party
	c.wait(what, func() bool {
		p = pending(c.agentsOf[r][agent])
		return p != nil
	})
	return p
}

// ringing waits for the agent's phone at instance r to ring, and returns
// the call.
func (c *centre) ringing(r *rig, agent string) *aritest.Party {
	c.t.Helper()
	return r.nextCall(c.agentsOf[r][agent])("agent " + agent + " rung")
}

// TestSharedRemoteAgent: a caller of instance a is put through to an agent
// signed in at instance b; a rings the agent's phone through its own
// Asterisk and carries the call, b's Center follows the agent's states
// (ringing, on call, wrap-up, ready) and logs them, a counts the call.
func TestSharedRemoteAgent(t *testing.T) {
	c := newCentre(t, queue.QueueConfig{WrapUp: 10 * time.Second}, "1001")
	c.ready(c.b, "1001")
	caller := c.a.dial("13800000001")
	agent := c.ringing(c.a, "1001")
	c.wait("agent 1001 ringing at its home", func() bool {
		st, _ := c.b.center.Agent("1001")
		return st.State == queue.Reserved && st.CallID == "a:"+caller.ID() // the cluster's ID of a's call
	})
	if err := agent.Answer(); err != nil {
		t.Fatal(err)
	}
	c.until("agent 1001 on the call at its home", func() bool {
		st, _ := c.b.center.Agent("1001")
		return st.State == queue.OnCall
	})
	c.a.heard(caller, "sound:hotline/zh/std/agent-id")
	c.until("the shared router has 1001 on the call", func() bool { return c.sharedState("1001") == queue.OnCall })
	if err := caller.Hangup(); err != nil {
		t.Fatal(err)
	}
	c.until("agent 1001 in wrap-up at its home", func() bool {
		st, _ := c.b.center.Agent("1001")
		return st.State == queue.WrapUp
	})
	c.until("agent 1001 ready again", func() bool {
		st, _ := c.b.center.Agent("1001")
		return st.State == queue.Ready && c.sharedState("1001") == queue.Ready
	})
	qa, _ := c.a.center.QueueStatus("after-sales")
	qb, _ := c.b.center.QueueStatus("after-sales")
	if qa.Answered != 1 || qb.Answered != 0 {
		t.Errorf("answered: %d at the caller's instance, %d at the agent's; want 1 and 0", qa.Answered, qb.Answered)
	}
	var states []string
	for _, ch := range c.b.records.stateChanges() {
		if ch.Agent == "1001" && ch.CallID == "a:"+caller.ID() {
			states = append(states, ch.State.String())
		}
	}
	if want := []string{"ringing", "on call", "wrap-up", "ready"}; !equalStrings(states, want) {
		t.Errorf("the home logged %v for the call, want %v", states, want)
	}
	for _, ch := range c.a.records.stateChanges() {
		if ch.Agent == "1001" {
			t.Errorf("the caller's instance logged a state of the remote agent: %+v", ch)
		}
	}
}

// TestSharedFIFOAcrossInstances: the longest-waiting caller is served
// first whichever instance holds it: a caller of b who waits longer goes
// before a caller of a to a's own agent.
func TestSharedFIFOAcrossInstances(t *testing.T) {
	c := newCentre(t, queue.QueueConfig{}, "1001")
	first := c.b.dial("13800000001")
	c.until("the first caller in the shared line", func() bool {
		qs, err := c.ca.Queues(t.Context())
		return err == nil && len(qs) == 1 && qs[0].Waiting == 1
	})
	c.clk.Advance(5 * time.Second)
	second := c.a.dial("13800000002")
	c.until("both callers in the shared line", func() bool {
		qs, err := c.ca.Queues(t.Context())
		return err == nil && len(qs) == 1 && qs[0].Waiting == 2
	})
	c.ready(c.a, "1001")
	// Rung by b, for b's caller, once the cluster's notification reaches b
	// (in real time): waited for without moving the clock, which would
	// let the offer run out meanwhile.
	agent := c.rungNow(c.b, "1001", "agent 1001 rung by b")
	if err := agent.Answer(); err != nil {
		t.Fatal(err)
	}
	c.b.heard(first, "sound:hotline/zh/std/agent-id")
	if snap := second.Snapshot(); snap.HungUp {
		t.Fatal("the second caller was hung up")
	}
	c.until("agent 1001 on b's call at its home", func() bool {
		st, _ := c.a.center.Agent("1001")
		return st.State == queue.OnCall && st.CallID == "b:"+first.ID() // the cluster's ID of b's call
	})
	if p, err := c.a.center.Position(second.ID()); err != nil || p.Position != 1 {
		t.Errorf("a's caller at %+v, %v: want still first in a's line", p, err)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
