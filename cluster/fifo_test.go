package cluster_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/queue"
)

// oracle is the same scenario in one in-memory queue.Center: what a single
// instance would decide.
type oracle struct {
	t *testing.T
	c *queue.Center
}

func newOracle(e *env, queues ...queue.QueueConfig) *oracle {
	c, err := queue.New(queue.Config{Clock: e.clk, Queues: queues})
	if err != nil {
		e.t.Fatal(err)
	}
	return &oracle{t: e.t, c: c}
}

func (o *oracle) must(err error) {
	o.t.Helper()
	if err != nil {
		o.t.Fatalf("oracle: %v", err)
	}
}

// compare checks that every agent is in the same state, on the same call,
// in the cluster as in the oracle.
func (o *oracle) compare(e *env, in *inst, step string) {
	o.t.Helper()
	got := e.agents(in)
	for _, want := range o.c.Agents() {
		g := got[want.ID]
		if g.State != want.State {
			o.t.Fatalf("%s: agent %s is %s in the cluster, %s in a single queue.Center (cluster call %q, center call %q)",
				step, want.ID, g.State, want.State, g.CallID, want.CallID)
		}
		if want.State == queue.WrapUp && want.NeedsDisposition && !g.Disposition {
			o.t.Fatalf("%s: agent %s needs a disposition in a single queue.Center, its wrap-up ends by time in the cluster", step, want.ID)
		}
		if (want.State == queue.Reserved || want.State == queue.OnCall) && g.CallID != want.CallID {
			o.t.Fatalf("%s: agent %s is %s on call %s in the cluster, on %s in a single queue.Center", step, want.ID, g.State, g.CallID, want.CallID)
		}
	}
}

// TestGlobalFIFOAcrossInstances: callers arrive on two instances at once;
// agents become Ready one at a time, at either instance, and each decision
// offers exactly the caller a single queue.Center offers.
func TestGlobalFIFOAcrossInstances(t *testing.T) {
	e := newEnv(t)
	a, b := e.instance("a"), e.instance("b")
	q := queue.QueueConfig{Name: "sales", RingTimeout: time.Minute}
	e.queue(a, q)
	o := newOracle(e, q)

	const callers = 120
	rng := rand.New(rand.NewPCG(1, 2))
	type call struct {
		c  cluster.Caller
		at *inst
	}
	var calls []call
	now := e.clk.Now()
	for i := range callers {
		cl := cluster.Caller{
			CallID: fmt.Sprintf("c%03d", i), Queue: "sales",
			Priority: map[bool]int{true: 1, false: 0}[rng.IntN(5) == 0],
			Arrived:  now.Add(-time.Hour + time.Duration(rng.Perm(callers)[i])*time.Second + time.Duration(i)*time.Millisecond),
		}
		at := a
		if rng.IntN(2) == 0 {
			at = b
		}
		calls = append(calls, call{cl, at})
	}
	var wg sync.WaitGroup
	for _, in := range []*inst{a, b} {
		wg.Go(func() {
			for _, c := range calls {
				if c.at == in {
					if err := in.Enqueue(e.ctx, c.c); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	for _, c := range calls {
		_, err := o.c.Enqueue(queue.Caller{CallID: c.c.CallID, Queue: c.c.Queue, Priority: c.c.Priority, Arrived: c.c.Arrived})
		o.must(err)
	}
	var got, want []string
	for i := range callers {
		id := fmt.Sprintf("a%03d", i)
		cfg := queue.AgentConfig{ID: id, Device: "PJSIP/" + id}
		at := []*inst{a, b}[i%2]
		e.readyAgent(at, cfg)
		o.must(o.c.SetAgent(cfg))
		o.must(o.c.Login(id))
		o.must(o.c.SetReady(id))
		d := e.route([]*inst{b, a}[i%2])
		for _, off := range o.c.Next().Offers {
			want = append(want, off.CallID)
		}
		ag := e.agents(a)[id]
		if ag.State != queue.Reserved {
			t.Fatalf("agent %s is %s after routing, want ringing", id, ag.State)
		}
		got = append(got, ag.CallID)
		for _, off := range d.Offers {
			if off.Instance != []*inst{b, a}[i%2].Instance() {
				t.Errorf("offer %+v returned to instance %s", off, []*inst{b, a}[i%2].Instance())
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("offers in order\n got %v\nwant %v", got, want)
	}
}

// TestMatchesQueueCenter drives two instances and a single queue.Center
// with the same random day (callers on both instances with priorities and
// their own skills, agents with levels in two queues of different
// strategies, relaxing levels, answers, ring-outs, no answers, wrap-ups,
// abandons, breaks) and checks after every step that every agent is in the
// same state on the same call.
func TestMatchesQueueCenter(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { matchCenter(t, seed) })
	}
}

func matchCenter(t *testing.T, seed uint64) {
	e := newEnv(t)
	ins := []*inst{e.instance("a"), e.instance("b")}
	queues := []queue.QueueConfig{
		{Name: "sales", Skills: []string{"sales"}, Strategy: queue.LongestIdle, RingTimeout: 15 * time.Second, WrapUp: 10 * time.Second,
			Levels: []queue.LevelStep{{After: 0, MinLevel: 6}, {After: 20 * time.Second, MinLevel: 3}, {After: 40 * time.Second, MinLevel: 1}}},
		{Name: "support", Skills: []string{"support"}, Strategy: queue.RoundRobin, RingTimeout: 20 * time.Second},
		{Name: "vip", Skills: []string{"sales"}, Strategy: queue.FewestCalls, RingTimeout: 10 * time.Second, WrapUp: 5 * time.Second,
			RequireDisposition: true},
		{Name: "expert", Skills: []string{"support"}, Strategy: queue.SkillsByLevel, RingTimeout: 10 * time.Second, RequireDisposition: true},
	}
	for _, q := range queues {
		e.queue(ins[0], q)
	}
	o := newOracle(e, queues...)
	rng := rand.New(rand.NewPCG(seed, 99))

	const nAgents = 14
	home := map[string]*inst{}
	var agentIDs []string
	for i := range nAgents {
		id := fmt.Sprintf("%d", 1001+i)
		cfg := queue.AgentConfig{ID: id, Name: "agent " + id, Device: "PJSIP/" + id, Skills: map[string]int{}}
		if rng.IntN(4) != 0 {
			cfg.Skills["sales"] = 1 + rng.IntN(10)
		}
		if rng.IntN(2) == 0 {
			cfg.Skills["support"] = 1 + rng.IntN(10)
		}
		if rng.IntN(3) == 0 {
			cfg.Skills["ru"] = 1 + rng.IntN(10)
		}
		if rng.IntN(5) == 0 {
			cfg.Queues = []string{"support"}
		}
		e.must(ins[0].SetAgent(e.ctx, cfg))
		o.must(o.c.SetAgent(cfg))
		agentIDs = append(agentIDs, id)
	}
	owner := map[string]*inst{}
	n, offers, timeouts, disposed, released := 0, 0, 0, 0, 0
	for step := range 300 {
		label := fmt.Sprintf("seed %d step %d", seed, step)
		switch r := rng.IntN(100); {
		case r < 30: // a few callers at once, on both instances concurrently
			k := 1 + rng.IntN(4)
			now := e.clk.Now()
			var batch []cluster.Caller
			for j := range k {
				n++
				cl := cluster.Caller{
					CallID: fmt.Sprintf("call%04d", n), Queue: queues[rng.IntN(len(queues))].Name,
					Arrived: now.Add(-time.Second + time.Duration(rng.IntN(900)+j*1000)*time.Microsecond),
				}
				if rng.IntN(5) == 0 {
					cl.Priority = 1
				}
				if rng.IntN(4) == 0 {
					cl.Skills = map[string]int{"ru": 0}
				}
				batch = append(batch, cl)
				owner[cl.CallID] = ins[rng.IntN(2)]
			}
			var wg sync.WaitGroup
			for _, cl := range batch {
				wg.Go(func() {
					if err := owner[cl.CallID].Enqueue(e.ctx, cl); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			for _, cl := range batch {
				var own []string
				for s := range cl.Skills {
					own = append(own, s)
				}
				_, err := o.c.Enqueue(queue.Caller{CallID: cl.CallID, Queue: cl.Queue, Priority: cl.Priority, Arrived: cl.Arrived, Skills: own})
				o.must(err)
			}
		case r < 55: // an agent's own move
			id := agentIDs[rng.IntN(len(agentIDs))]
			st, _ := o.c.Agent(id)
			if home[id] == nil {
				home[id] = ins[rng.IntN(2)]
			}
			at := home[id]
			switch st.State {
			case queue.LoggedOut:
				e.must(at.Login(e.ctx, id))
				o.must(o.c.Login(id))
			case queue.NotReady, queue.WrapUp:
				if st.State == queue.WrapUp && st.NeedsDisposition {
					// The agent gives its disposition at its home's
					// Center; past the wrap-up's time that makes it
					// Ready there, and the home says so.
					_, _, err := o.c.Dispose(id)
					o.must(err)
					if now, _ := o.c.Agent(id); now.State == queue.Ready {
						e.must(at.SetReady(e.ctx, id))
						disposed++
						break
					}
				}
				if rng.IntN(8) == 0 {
					e.must(at.Logout(e.ctx, id))
					o.must(o.c.Logout(id))
				} else {
					e.must(at.SetReady(e.ctx, id))
					o.must(o.c.SetReady(id))
				}
			case queue.Ready:
				if rng.IntN(3) == 0 {
					e.must(at.SetNotReady(e.ctx, id, "break"))
					o.must(o.c.SetNotReady(id, "break"))
				}
			case queue.Reserved, queue.OnCall:
				err := at.SetNotReady(e.ctx, id, "break")
				wantErr(t, err, queue.ErrIllegalTransition)
			}
		case r < 80: // a call's progress
			var offered, connected []queue.AgentStatus
			for _, a := range o.c.Agents() {
				switch a.State {
				case queue.Reserved:
					offered = append(offered, a)
				case queue.OnCall:
					connected = append(connected, a)
				}
			}
			if len(offered) > 0 && rng.IntN(3) != 0 {
				a := offered[rng.IntN(len(offered))]
				if rng.IntN(4) == 0 {
					e.must(owner[a.CallID].NoAnswer(e.ctx, a.CallID, a.ID))
					o.must(o.c.NoAnswer(a.CallID, a.ID))
				} else {
					e.must(owner[a.CallID].Answered(e.ctx, a.CallID, a.ID))
					o.must(o.c.Answered(a.CallID, a.ID))
				}
			} else if len(connected) > 0 {
				a := connected[rng.IntN(len(connected))]
				if rng.IntN(4) == 0 {
					// A disposition during the call: at its home only.
					_, _, err := o.c.Dispose(a.ID)
					o.must(err)
				} else {
					e.must(owner[a.CallID].EndCall(e.ctx, a.CallID))
					o.must(o.c.EndCall(a.CallID))
				}
			}
		case r < 88: // a caller hangs up, waiting or ringing
			var ids []string
			for id := range owner {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			if len(ids) == 0 {
				continue
			}
			id := ids[rng.IntN(len(ids))]
			werr := o.c.Abandon(id)
			gerr := owner[id].Abandon(e.ctx, id)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("%s: abandon %s: cluster %v, center %v", label, id, gerr, werr)
			}
			if werr == nil {
				delete(owner, id)
			}
		default: // time passes
			e.clk.Advance(time.Duration(rng.IntN(12000)) * time.Millisecond)
		}
		d := o.c.Next()
		offers += len(d.Offers)
		timeouts += len(d.RingTimeouts)
		// A wrap-up the home's Center ended after a disposition (its
		// timer, the disposition given in time): the home says so.
		got := e.agents(ins[0])
		for _, a := range o.c.Agents() {
			if g := got[a.ID]; g.State == queue.WrapUp && g.Disposition && a.State != queue.WrapUp {
				if a.State != queue.Ready && a.State != queue.Reserved {
					t.Fatalf("%s: agent %s held in wrap-up in the cluster, %s in the center", label, a.ID, a.State)
				}
				e.must(home[a.ID].SetReady(e.ctx, a.ID))
				released++
			}
		}
		e.route(ins[rng.IntN(2)])
		o.compare(e, ins[0], label)
	}
	t.Logf("seed %d: %d offers, %d ring timeouts, %d wrap-ups ended by a late disposition, %d by the center's timer after one",
		seed, offers, timeouts, disposed, released)
	if offers < 30 || timeouts == 0 || disposed+released == 0 {
		t.Fatalf("the scenario made %d offers, %d ring timeouts and %d+%d disposition releases: too few to compare",
			offers, timeouts, disposed, released)
	}
}
