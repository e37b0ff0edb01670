package cluster_test

import (
	"flag"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/queue"
)

var figures = flag.Bool("cluster.figures", false, "measure the routing figures (TestFigures)")

// TestFigures measures, with 2 instances, 2,000 agents and 20,000 waiting
// callers shared, the time of one routing decision (Route after an agent
// becomes Ready, and after a caller arrives), and one instance's routing
// throughput alone and with the second instance working at the same time.
// It prints the figures and checks nothing about time:
//
//	go test -run TestFigures -cluster.figures -v ./cluster/
func TestFigures(t *testing.T) {
	if !*figures {
		t.Skip("run with -cluster.figures")
	}
	e := newEnv(t)
	a, b := e.instance("a"), e.instance("b")
	ins := []*inst{a, b}
	queues := []string{"sales", "support", "billing", "vip"}
	for i, q := range queues {
		e.queue(a, queue.QueueConfig{Name: q, Skills: []string{q}, Strategy: queue.Strategy(i % 4), RingTimeout: time.Hour,
			Levels: []queue.LevelStep{{After: 0, MinLevel: 3}, {After: time.Minute, MinLevel: 1}}})
	}
	const nAgents, nCallers = 2000, 20000
	start := time.Now()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			in := ins[w%2]
			for i := w; i < nAgents; i += 4 {
				id := fmt.Sprintf("%d", 10000+i)
				sk := map[string]int{queues[i%4]: 1 + i%10, queues[(i+1)%4]: 5}
				if i%7 == 0 {
					sk["en"] = 5
				}
				if err := in.SetAgent(e.ctx, queue.AgentConfig{ID: id, Device: "PJSIP/" + id, Skills: sk}); err != nil {
					t.Error(err)
					return
				}
				if err := in.Login(e.ctx, id); err != nil {
					t.Error(err)
					return
				}
			}
			now := e.clk.Now()
			for i := w; i < nCallers; i += 4 {
				cl := cluster.Caller{CallID: fmt.Sprintf("w%05d", i), Queue: queues[i%4], Priority: i % 3 / 2,
					Arrived: now.Add(-time.Duration(nCallers-i) * time.Millisecond)}
				if i%9 == 0 {
					cl.Skills = map[string]int{"en": 0}
				}
				if err := in.Enqueue(e.ctx, cl); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if _, err := e.pool.Exec(e.ctx, `ANALYZE cluster_callers; ANALYZE cluster_agents`); err != nil {
		t.Fatal(err)
	}
	t.Logf("set up %d agents (logged in, not ready) and %d waiting callers on 2 instances in %v", nAgents, nCallers, time.Since(start).Round(time.Millisecond))

	// One cycle of instance in: an agent of its own becomes Ready and it
	// routes (timed: a decision that offers one call); the offer's
	// instance reports no answer, so the caller is back and the agent
	// NotReady (the state stays the same). Then a caller arrives and it
	// routes (timed: a decision with no agent free), and it leaves.
	cycle := func(stop <-chan struct{}, in *inst, n int, agentOf func(int) string, ready, arrive *[]time.Duration) (int, error) {
		ctx := e.ctx
		routed := 0
		for i := range n {
			select {
			case <-stop:
				return routed, nil
			default:
			}
			id := agentOf(i)
			if err := in.SetReady(ctx, id); err != nil {
				return routed, err
			}
			t0 := time.Now()
			if _, err := in.Route(ctx); err != nil {
				return routed, err
			}
			*ready = append(*ready, time.Since(t0))
			var call, owner string
			if err := e.pool.QueryRow(ctx, `SELECT call_id, instance FROM cluster_callers WHERE agent = $1 AND state = 'offered'`, id).Scan(&call, &owner); err != nil {
				return routed, fmt.Errorf("agent %s got no offer: %w", id, err)
			}
			routed++
			if err := ins[map[string]int{"a": 0, "b": 1}[owner]].NoAnswer(ctx, call, id); err != nil {
				return routed, err
			}
			if err := in.SetNotReady(ctx, id, "bench"); err != nil {
				return routed, err
			}
			if arrive != nil {
				cid := fmt.Sprintf("%s-x%d", in.Instance(), i)
				if err := in.Enqueue(ctx, cluster.Caller{CallID: cid, Queue: "sales"}); err != nil {
					return routed, err
				}
				t0 = time.Now()
				if _, err := in.Route(ctx); err != nil {
					return routed, err
				}
				*arrive = append(*arrive, time.Since(t0))
				if err := in.Abandon(ctx, cid); err != nil {
					return routed, err
				}
			}
		}
		return routed, nil
	}
	// The agents each instance uses: its own (homed there), NotReady.
	agentOf := func(offset int) func(int) string {
		return func(i int) string { return fmt.Sprintf("%d", 10000+(offset+2*i)%nAgents) }
	}
	pct := func(ds []time.Duration, p float64) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[min(len(s)-1, int(float64(len(s))*p))].Round(time.Microsecond)
	}

	// 1. Latency: one instance alone, then both working at once.
	const n = 400
	var readySolo, arriveSolo []time.Duration
	if _, err := cycle(nil, a, n, agentOf(0), &readySolo, &arriveSolo); err != nil {
		t.Fatal(err)
	}
	t.Logf("FIGURE one instance alone, %d decisions each: after an agent becomes Ready p50 %v, p99 %v; after a caller arrives p50 %v, p99 %v",
		n, pct(readySolo, .5), pct(readySolo, .99), pct(arriveSolo, .5), pct(arriveSolo, .99))
	var readyA, arriveA, readyB, arriveB []time.Duration
	var errA, errB error
	wg.Go(func() { _, errA = cycle(nil, a, n, agentOf(0), &readyA, &arriveA) })
	wg.Go(func() { _, errB = cycle(nil, b, n, agentOf(1), &readyB, &arriveB) })
	wg.Wait()
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	readyAll, arriveAll := append(readyA, readyB...), append(arriveA, arriveB...)
	t.Logf("FIGURE decision after an agent becomes Ready (offers 1 of 20,000 waiting), 2 instances at once, %d decisions: p50 %v, p99 %v, max %v",
		len(readyAll), pct(readyAll, .5), pct(readyAll, .99), pct(readyAll, 1))
	t.Logf("FIGURE decision after a caller arrives (no agent free), 2 instances at once, %d decisions: p50 %v, p99 %v, max %v",
		len(arriveAll), pct(arriveAll, .5), pct(arriveAll, .99), pct(arriveAll, 1))

	// 2. Throughput of instance a: alone, then with b working the same
	// database at the same time (the same cycle, without the arrivals).
	const window = 10 * time.Second
	type cycler func(stop <-chan struct{}, in *inst, n int, agentOf func(int) string, ready, arrive *[]time.Duration) (int, error)
	measure := func(cycle cycler, others ...*inst) (mine, theirs int) {
		stop := make(chan struct{})
		timer := time.AfterFunc(window, func() { close(stop) })
		defer timer.Stop()
		var lat, lat2 []time.Duration
		var errOther error
		for _, o := range others {
			wg.Go(func() { theirs, errOther = cycle(stop, o, 1<<30, agentOf(1), &lat2, nil) })
		}
		mine, err := cycle(stop, a, 1<<30, agentOf(0), &lat, nil)
		wg.Wait()
		if err != nil || errOther != nil {
			t.Fatal(err, errOther)
		}
		return mine, theirs
	}
	alone, _ := measure(cycle)
	together, other := measure(cycle, b)
	ra, rt := float64(alone)/window.Seconds(), float64(together)/window.Seconds()
	t.Logf("FIGURE instance a routes %.0f calls/s alone, %.0f calls/s with b working at once (b: %.0f/s): a drop of %.0f%%",
		ra, rt, float64(other)/window.Seconds(), 100*(ra-rt)/ra)

	// 3. The control: the same machine's drop for work that takes no
	// routing lock (an agent Ready then NotReady again, two transactions),
	// to tell the lock's share from the CPU's (PostgreSQL and both
	// instances share this machine's cores).
	states := func(stop <-chan struct{}, in *inst, n int, agentOf func(int) string, _, _ *[]time.Duration) (int, error) {
		done := 0
		for i := range n {
			select {
			case <-stop:
				return done, nil
			default:
			}
			id := fmt.Sprintf("%d", 10000+(2*i+map[string]int{"a": 0, "b": 1}[in.Instance()])%nAgents)
			// Nobody routes here: the agent goes back to NotReady at once.
			if err := in.SetReady(e.ctx, id); err != nil {
				return done, err
			}
			if err := in.SetNotReady(e.ctx, id, "bench"); err != nil {
				return done, err
			}
			done++
		}
		return done, nil
	}
	sAlone, _ := measure(states)
	sTogether, sOther := measure(states, b)
	t.Logf("FIGURE control without the routing lock: instance a %.0f agent moves/s alone, %.0f/s with b at once (b: %.0f/s): a drop of %.0f%%",
		float64(sAlone)/window.Seconds(), float64(sTogether)/window.Seconds(), float64(sOther)/window.Seconds(), 100*float64(sAlone-sTogether)/float64(sAlone))
}
