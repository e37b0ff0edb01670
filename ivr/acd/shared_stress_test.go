package acd_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
)

// agentPhones follows every call that rings each agent's phone, on both
// Asterisks: a call that rings an agent while another of its calls is
// still up, on either, is a double offer.
type agentPhones struct {
	mu     sync.Mutex
	live   map[string][]*aritest.Party // by agent: its calls not yet seen hung up
	agent  map[string]string           // agent leg (channelKey) -> agent
	calls  int
	doubly []string // the double offers seen
}

// channelKey names a channel of instance r's Asterisk (two Asterisks of
// the test may use the same channel IDs).
func channelKey(r *rig, c *centre, id string) string {
	if r == c.a {
		return "a/" + id
	}
	return "b/" + id
}

// watch takes the calls ringing agent's phone at one Asterisk until the
// test ends.
func (ph *agentPhones) watch(c *centre, r *rig, agent string, ep *aritest.Endpoint) {
	for {
		p, err := ep.NextCall(r.ctx)
		if err != nil {
			return
		}
		ph.mu.Lock()
		ph.calls++
		ph.agent[channelKey(r, c, p.ID())] = agent
		live := ph.live[agent][:0]
		for _, q := range ph.live[agent] {
			if !q.Snapshot().HungUp {
				live = append(live, q)
				ph.doubly = append(ph.doubly, fmt.Sprintf("agent %s rung on %s while on %s", agent, p.Name(), q.Name()))
			}
		}
		ph.live[agent] = append(live, p)
		ph.mu.Unlock()
	}
}

// The size of TestSharedStress: its defaults keep it under a minute with
// -race on a loaded 2-core machine.
var (
	sharedStressAgents  = flag.Int("acd.shared-stress-agents", 100, "agents of TestSharedStress (half signed in at each instance)")
	sharedStressCallers = flag.Int("acd.shared-stress-callers", 300, "callers of TestSharedStress (half at each instance)")
)

// failOnDouble ends the test at once on a double offer (the centre may
// stall after one: the report must not wait for the end).
func (ph *agentPhones) failOnDouble(t *testing.T) {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	if len(ph.doubly) > 0 {
		t.Fatalf("%d double offers, first: %s", len(ph.doubly), ph.doubly[0])
	}
}

// TestSharedStress: two ACDs on two emulators and one PostgreSQL, 200
// agents (half signed in at each, phones that answer after a second,
// reachable from both Asterisks) and callers arriving on both, each
// hanging up after its agent's announcement. Checked from the emulators'
// and the records' view: no agent's phone ever carried two calls at once
// (on either Asterisk), no caller was bridged to two agents, every caller
// was answered exactly once in the records (one agent call, one journey),
// and every agent is ready again in the router and at its home.
func TestSharedStress(t *testing.T) {
	if testing.Short() {
		t.Skip("stress test")
	}
	agents, callers := *sharedStressAgents, *sharedStressCallers
	began := time.Now()
	var ids []string
	for i := range agents {
		ids = append(ids, fmt.Sprint(2001+i))
	}
	c := newCentre(t, queue.QueueConfig{RingTimeout: time.Hour}, ids...) // no ring runs out while the clock races the notifications
	ph := &agentPhones{live: map[string][]*aritest.Party{}, agent: map[string]string{}}
	homes := map[string]*rig{}
	for i, id := range ids {
		home := c.a
		if i%2 == 1 {
			home = c.b
		}
		homes[id] = home
		for _, r := range []*rig{c.a, c.b} {
			ep := c.agentsOf[r][id]
			// The phone answers itself on the emulator's clock, so an
			// agent never misses a call for a goroutine scheduled late.
			ep.SetBehavior(aritest.AnswerAfter(time.Second))
			go ph.watch(c, r, id, ep)
		}
		home.must(home.acd.Login(home.ctx, id))
		home.must(home.acd.Ready(home.ctx, id))
	}
	c.until("every agent ready in the shared router", func() bool { return c.readyInRouter() == agents })
	t.Logf("%d agents ready at %v", agents, time.Since(began).Round(time.Millisecond))

	// Callers on both: each hangs up once its agent's announcement has
	// played out, saying which agent leg its bridge held.
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		bridged = map[string][]string{} // caller -> the channels bridged with it (channelKey)
		errs    []string
		done    atomic.Int64
	)
	at := func(i int) *rig {
		if i%2 == 0 {
			return c.a
		}
		return c.b
	}
	type caller struct {
		r *rig
		p *aritest.Party
	}
	var parties []caller
	for i := range callers {
		r := at(i)
		p := r.dial(fmt.Sprintf("139%08d", i))
		parties = append(parties, caller{r, p})
		wg.Go(func() {
			defer done.Add(1)
			_, err := p.Wait(r.ctx, func(s aritest.Snapshot) bool {
				return s.HungUp || slices.ContainsFunc(s.Heard, func(h aritest.Heard) bool {
					return h.Media == "sound:hotline/zh/std/at-your-service" && h.State == "done"
				})
			})
			if err == nil && !p.Snapshot().HungUp {
				// A short talk: a few seconds on the clock, the time for
				// the bridge (it waits for the agent's whisper too).
				var with []string
				for range 10 {
					select {
					case <-c.clk.After(time.Second):
					case <-r.ctx.Done():
					}
					if with = bridgedWith(r, p.ID()); len(with) > 0 {
						break
					}
				}
				for i := range with {
					with[i] = channelKey(r, c, with[i])
				}
				mu.Lock()
				bridged[channelKey(r, c, p.ID())] = with
				mu.Unlock()
				err = p.Hangup()
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("caller %s: %v", p.Name(), err))
				mu.Unlock()
			}
		})
	}
	t.Logf("%d callers dialled at %v", callers, time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() { // where the centre stood
			for _, r := range []*rig{c.a, c.b} {
				t.Logf("queues at %s: %+v", channelKey(r, c, ""), r.center.Queues())
			}
			views, err := c.ca.Agents(context.Background())
			if err != nil {
				t.Logf("the router's agents: %v", err)
			}
			states := map[string]int{}
			for _, v := range views {
				st, _ := homes[v.ID].center.Agent(v.ID)
				states[fmt.Sprintf("router %s (%s), home %s (%s)", v.State, v.Reason, st.State, st.Reason)]++
			}
			t.Logf("agents: %v", states)
			qs, err := c.ca.Queues(context.Background())
			t.Logf("the router's queues: %+v %v", qs, err)
		}
	})
	journeys := map[*rig][]*ivr.Journey{}
	c.until("every caller's journey", func() bool {
		ph.failOnDouble(t)
		for _, r := range []*rig{c.a, c.b} {
			for more := true; more; {
				select {
				case j := <-r.journeys:
					journeys[r] = append(journeys[r], j)
				default:
					more = false
				}
			}
		}
		return len(journeys[c.a])+len(journeys[c.b]) == callers && done.Load() == int64(callers)
	})
	wg.Wait()
	t.Logf("every caller's journey ended at %v (%v on the clock)", time.Since(began).Round(time.Millisecond), c.clk.Since(t0))
	// The homes follow the router's events (in real time): every agent
	// ready again in both.
	c.until("every agent ready again", func() bool {
		if c.readyInRouter() != agents || !c.a.acd.Idle() || !c.b.acd.Idle() {
			return false
		}
		for id, home := range homes {
			if st, err := home.center.Agent(id); err != nil || st.State != queue.Ready {
				return false
			}
		}
		return true
	})
	elapsed := time.Since(began)

	for _, e := range errs {
		t.Error(e)
	}
	ph.mu.Lock()
	defer ph.mu.Unlock()
	for _, d := range ph.doubly {
		t.Errorf("double offer: %s", d)
	}
	// No caller bridged to two agents, none to none, and no agent leg to
	// two callers.
	legs := map[string]string{}
	for _, cl := range parties {
		key := channelKey(cl.r, c, cl.p.ID())
		with := bridged[key]
		if len(with) != 1 || ph.agent[with[0]] == "" {
			t.Errorf("caller %s was bridged with %v, want one agent's leg", key, with)
			continue
		}
		if other, dup := legs[with[0]]; dup {
			t.Errorf("agent leg %s bridged with callers %s and %s", with[0], other, key)
		}
		legs[with[0]] = key
	}
	// The records: one agent call and one journey per caller, at its own
	// instance; the instances' answered callers add up.
	answered, abandoned := 0, 0
	for _, r := range []*rig{c.a, c.b} {
		perCall := map[string]int{}
		for _, ac := range r.records.agentCalls() {
			perCall[ac.CallID]++
		}
		for _, j := range journeys[r] {
			switch {
			case j.Outcome == ivr.OutcomeAbandoned && perCall[j.CallID] == 0:
				abandoned++
			case perCall[j.CallID] == 1:
				answered++
			default:
				t.Errorf("call %s ended %s with %d agent calls recorded, want answered once or abandoned", j.CallID, j.Outcome, perCall[j.CallID])
			}
		}
		if len(perCall) != len(journeys[r]) {
			t.Errorf("%d agent calls recorded for %d journeys", len(perCall), len(journeys[r]))
		}
	}
	if answered != callers {
		t.Errorf("%d callers answered and %d abandoned, want all %d answered", answered, abandoned, callers)
	}
	qa, _ := c.a.center.QueueStatus("after-sales")
	qb, _ := c.b.center.QueueStatus("after-sales")
	if qa.Answered+qb.Answered != callers || qa.Missed+qb.Missed != 0 {
		t.Errorf("the instances counted %d+%d answered and %d+%d missed, want %d and none", qa.Answered, qb.Answered, qa.Missed, qb.Missed, callers)
	}
	// Every agent is ready again, in the router and at its home.
	var notReady []string
	for _, v := range c.agentViews() {
		st, err := homes[v.ID].center.Agent(v.ID)
		if v.State != queue.Ready || err != nil || st.State != queue.Ready {
			notReady = append(notReady, fmt.Sprintf("%s (router %s, home %s)", v.ID, v.State, st.State))
		}
	}
	if len(notReady) > 0 {
		t.Errorf("agents not ready at the end: %s", strings.Join(notReady, ", "))
	}
	for _, cl := range []*cluster.Cluster{c.ca, c.cb} {
		if calls, err := cl.Calls(t.Context()); err != nil || len(calls) != 0 {
			t.Errorf("%s's callers left in the router: %+v, %v", cl.Instance(), calls, err)
		}
	}
	t.Logf("%d agents, %d callers (%d at a, %d at b): %d agent calls rung, %d answered, %d abandoned, %d double offers; %v in all",
		agents, callers, len(journeys[c.a]), len(journeys[c.b]), ph.calls, answered, abandoned, len(ph.doubly), elapsed.Round(time.Millisecond))
}

// bridgedWith lists the channels in a bridge with channel id at r's
// Asterisk, from one GET /ari/bridges.
func bridgedWith(r *rig, id string) []string {
	req, err := http.NewRequestWithContext(r.ctx, http.MethodGet, r.emu.URL()+"/bridges", nil)
	if err != nil {
		return nil
	}
	req.SetBasicAuth("u", "p")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		r.t.Errorf("GET /ari/bridges: %s", resp.Status)
		return nil
	}
	var bridges []struct {
		Channels []string `json:"channels"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&bridges); err != nil {
		return nil
	}
	for _, b := range bridges {
		if slices.Contains(b.Channels, id) {
			return slices.DeleteFunc(slices.Clone(b.Channels), func(ch string) bool { return ch == id })
		}
	}
	return nil
}

// agentViews are the agents as the shared router has them.
func (c *centre) agentViews() []cluster.AgentView {
	c.t.Helper()
	views, err := c.ca.Agents(c.t.Context())
	if err != nil {
		c.t.Fatal(err)
	}
	return views
}

// readyInRouter counts the agents Ready in the shared router.
func (c *centre) readyInRouter() int {
	n := 0
	for _, v := range c.agentViews() {
		if v.State == queue.Ready {
			n++
		}
	}
	return n
}
