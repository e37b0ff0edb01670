package cluster_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/queue"
)

// offersFor collects, for an instance, the offers Route returned to it and
// those it heard of by notification.
func offersOf(in *inst, ds []cluster.Decision, kind cluster.EventKind) map[string]int {
	out := map[string]int{}
	for _, d := range ds {
		list := d.Offers
		if kind == cluster.EventRingTimeout {
			list = d.RingTimeouts
		}
		for _, o := range list {
			out[o.CallID]++
		}
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, ev := range in.events {
		if ev.Kind == kind {
			out[ev.Offer.CallID]++
		}
	}
	return out
}

// routeRace routes from every instance at once, rounds times.
func routeRace(e *env, rounds int, ins ...*inst) map[*inst][]cluster.Decision {
	var mu sync.Mutex
	out := map[*inst][]cluster.Decision{}
	var wg sync.WaitGroup
	for _, in := range ins {
		wg.Go(func() {
			for range rounds {
				d, err := in.Route(e.ctx)
				if err != nil {
					e.t.Error(err)
					return
				}
				mu.Lock()
				out[in] = append(out[in], d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

// TestCallbackServedOnce: a call-back request of instance a, made from a
// waiting caller, keeps its place; with agents Ready on b and both
// instances routing at once, it is offered once, to a only (a dials), and
// after the answer never again.
func TestCallbackServedOnce(t *testing.T) {
	e := newEnv(t)
	a, b := e.instance("a"), e.instance("b")
	e.queue(a, queue.QueueConfig{Name: "sales", RingTimeout: time.Minute})
	now := e.clk.Now()
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "first", Queue: "sales", Arrived: now.Add(-3 * time.Second)}))
	e.must(b.Enqueue(e.ctx, cluster.Caller{CallID: "later", Queue: "sales", Arrived: now.Add(-2 * time.Second)}))
	e.must(a.ToCallback(e.ctx, "first", "5550100"))
	wantErr(t, b.ToCallback(e.ctx, "later", ""), queue.ErrNoNumber)
	wantErr(t, b.Abandon(e.ctx, "first"), cluster.ErrNotOwner)

	e.readyAgent(b, queue.AgentConfig{ID: "1001"})
	ds1 := routeRace(e, 5, a, b)
	e.must(a.Answered(e.ctx, "first", "1001"))
	e.readyAgent(b, queue.AgentConfig{ID: "1002"})
	ds2 := routeRace(e, 5, a, b)
	// A last wake-up from b: notifications arrive in commit order, so a
	// has heard every offer made before it.
	e.readyAgent(b, queue.AgentConfig{ID: "1003"})
	a.waitEvent(t, "work", func(ev cluster.Event) bool { return ev.Kind == cluster.EventWork && ev.Instance == "b" })
	got := offersOf(a, append(ds1[a], ds2[a]...), cluster.EventOffer)
	if got["first"] != 1 {
		t.Fatalf("the call-back was offered %d times to its instance a, want once", got["first"])
	}
	if got := offersOf(b, append(ds1[b], ds2[b]...), cluster.EventOffer); got["first"] != 0 || got["later"] != 1 {
		t.Fatalf("b's offers: %v, want its own caller's only", got)
	}
	if ag := e.agents(a)["1002"]; ag.CallID != "later" {
		t.Fatalf("agent 1002 rings %q, want the later caller", ag.CallID)
	}
}

// TestRingTimeoutOnce: an offer rings out while every instance routes at
// once: it is applied once (the agent NotReady "missed", reported once to
// the caller's instance) and the caller is offered again in its place.
func TestRingTimeoutOnce(t *testing.T) {
	e := newEnv(t)
	a, b, c := e.instance("a"), e.instance("b"), e.instance("c")
	e.queue(a, queue.QueueConfig{Name: "sales", RingTimeout: 10 * time.Second})
	e.readyAgent(b, queue.AgentConfig{ID: "1001"})
	now := e.clk.Now()
	for i := range 3 {
		e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: fmt.Sprint("c", i), Queue: "sales", Arrived: now.Add(time.Duration(i-5) * time.Second)}))
	}
	d := e.route(a)
	if len(d.Offers) != 1 || d.Offers[0].CallID != "c0" || d.Offers[0].Attempt != 1 {
		t.Fatalf("first offers %+v", d.Offers)
	}
	e.clk.Advance(10 * time.Second)
	ds := routeRace(e, 3, a, b, c)
	// Those applied by b or c reach a as events.
	for _, in := range []*inst{b, c} {
		for _, d := range ds[in] {
			for range d.RingTimeouts {
				t.Fatalf("instance %s was told of a's ring timeout", in.Instance())
			}
		}
	}
	total := offersOf(a, ds[a], cluster.EventRingTimeout)["c0"]
	if total == 0 { // not yet delivered: wait for it
		a.waitEvent(t, "ring timeout", func(ev cluster.Event) bool { return ev.Kind == cluster.EventRingTimeout })
		total = 1
	}
	if total != 1 {
		t.Fatalf("the ring timeout was reported %d times", total)
	}
	ag := e.agents(a)["1001"]
	if ag.State != queue.NotReady || ag.Reason != queue.ReasonMissed {
		t.Fatalf("agent after the ring-out: %s %q", ag.State, ag.Reason)
	}
	e.readyAgent(c, queue.AgentConfig{ID: "1002"})
	d = e.route(a)
	if len(d.Offers) != 1 || d.Offers[0].CallID != "c0" || d.Offers[0].Attempt != 2 || d.Offers[0].Waited != 15*time.Second {
		t.Fatalf("offer after the ring-out: %+v; want c0 again, attempt 2, waited 15s", d.Offers)
	}
}

// TestLevelsRelax: a caller no Ready agent has the level for waits; the
// decision says when its requirement relaxes, and at that time it is
// offered.
func TestLevelsRelax(t *testing.T) {
	e := newEnv(t)
	a := e.instance("a")
	e.queue(a, queue.QueueConfig{Name: "sales", Skills: []string{"sales"},
		Levels: []queue.LevelStep{{After: 0, MinLevel: 8}, {After: 30 * time.Second, MinLevel: 3}}})
	e.readyAgent(a, queue.AgentConfig{ID: "1001", Skills: map[string]int{"sales": 4}})
	arrived := e.clk.Now().Add(-10 * time.Second)
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "c1", Queue: "sales", Arrived: arrived}))
	d := e.route(a)
	if len(d.Offers) != 0 || !d.Wake.Equal(arrived.Add(30*time.Second)) {
		t.Fatalf("decision %+v; want no offer and a wake-up when the level relaxes, at %v", d, arrived.Add(30*time.Second))
	}
	e.clk.Advance(d.Wake.Sub(e.clk.Now()))
	if d := e.route(a); len(d.Offers) != 1 || d.Offers[0].CallID != "c1" {
		t.Fatalf("decision after the relaxation: %+v", d)
	}
}

// TestCallerOwnLevel: a caller's own skill asks for its own least level,
// on top of the queue's.
func TestCallerOwnLevel(t *testing.T) {
	e := newEnv(t)
	a := e.instance("a")
	e.queue(a, queue.QueueConfig{Name: "sales"})
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "c1", Queue: "sales", Skills: map[string]int{"ru": 6}}))
	e.readyAgent(a, queue.AgentConfig{ID: "1001", Skills: map[string]int{"ru": 5}})
	if d := e.route(a); len(d.Offers) != 0 {
		t.Fatalf("offered to an agent below the caller's level: %+v", d.Offers)
	}
	e.readyAgent(a, queue.AgentConfig{ID: "1002", Skills: map[string]int{"ru": 6}})
	if d := e.route(a); len(d.Offers) != 1 || d.Offers[0].Agent != "1002" {
		t.Fatalf("offers %+v, want c1 to 1002", d.Offers)
	}
}
