package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/queue"
)

// checkRows checks the invariants on one snapshot of the rows: no agent in
// two offers or calls, every offered or connected caller's agent reserved
// or on call for it, and every reserved or on-call agent's call offered or
// connected to it.
func checkRows(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var problems []string
	rows, err := tx.Query(ctx, `
		SELECT agent, count(*) FROM cluster_callers WHERE state IN ('offered', 'connected') GROUP BY agent HAVING count(*) > 1`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var a string
		var n int
		if err := rows.Scan(&a, &n); err != nil {
			return err
		}
		problems = append(problems, fmt.Sprintf("agent %s has %d calls", a, n))
	}
	rows, err = tx.Query(ctx, `
		SELECT c.call_id, c.state, c.agent, coalesce(g.state, -1), coalesce(g.call_id, '')
		  FROM cluster_callers c LEFT JOIN cluster_agents g ON g.id = c.agent
		 WHERE c.state IN ('offered', 'connected')
		   AND NOT (g.call_id IS NOT DISTINCT FROM c.call_id AND g.state = CASE c.state WHEN 'offered' THEN 3 ELSE 4 END)`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, state, agent, call string
		var as int16
		if err := rows.Scan(&id, &state, &agent, &as, &call); err != nil {
			return err
		}
		problems = append(problems, fmt.Sprintf("call %s is %s to agent %s, who is %s on %q", id, state, agent, queue.AgentState(as), call))
	}
	rows, err = tx.Query(ctx, `
		SELECT g.id, g.state, coalesce(g.call_id, ''), coalesce(c.state, ''), coalesce(c.agent, '')
		  FROM cluster_agents g LEFT JOIN cluster_callers c ON c.call_id = g.call_id
		 WHERE g.state IN (3, 4)
		   AND NOT (c.agent IS NOT DISTINCT FROM g.id AND c.state = CASE g.state WHEN 3 THEN 'offered' ELSE 'connected' END)`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, call, cs, ca string
		var as int16
		if err := rows.Scan(&id, &as, &call, &cs, &ca); err != nil {
			return err
		}
		problems = append(problems, fmt.Sprintf("agent %s is %s on %s, which is %q to %q", id, queue.AgentState(as), call, cs, ca))
	}
	if len(problems) > 0 {
		return fmt.Errorf("invariants broken: %v", problems)
	}
	return nil
}

// raced are the errors concurrent moves may meet: the other move won.
func raced(err error) bool {
	return err == nil || errors.Is(err, queue.ErrCallState) || errors.Is(err, queue.ErrNotOffered) ||
		errors.Is(err, queue.ErrUnknownCall) || errors.Is(err, queue.ErrIllegalTransition)
}

// TestStressNoDoubleOffers: 4 instances, 240 agents and 2,400 callers,
// with concurrent routing, answers, no answers, ring-outs, ends of call,
// abandons and agents' breaks from many goroutines; halfway through, the
// fourth instance is killed (its goroutines stop, its heartbeat ages) and
// two live instances reap it, racing, exactly once. The invariants are
// checked on the rows during the run and after.
func TestStressNoDoubleOffers(t *testing.T) {
	if testing.Short() {
		t.Skip("stress")
	}
	e := newEnv(t)
	ins := []*inst{e.instance("a"), e.instance("b"), e.instance("c"), e.instance("d")}
	live, victim := ins[:3], ins[3]
	e.queue(ins[0], queue.QueueConfig{Name: "sales", Skills: []string{"sales"}, RingTimeout: 3 * time.Second, WrapUp: time.Second})
	e.queue(ins[0], queue.QueueConfig{Name: "support", Skills: []string{"support"}, Strategy: queue.RoundRobin, RingTimeout: 2 * time.Second})
	const nAgents, nCallers = 240, 2400
	var agentIDs []string
	for i := range nAgents {
		id := fmt.Sprintf("%d", 2000+i)
		sk := map[string]int{"sales": 1 + i%10}
		if i%3 == 0 {
			sk["support"] = 5
		}
		e.readyAgent(ins[i%4], queue.AgentConfig{ID: id, Device: "PJSIP/" + id, Skills: sk})
		agentIDs = append(agentIDs, id)
	}
	ctx, cancel := context.WithTimeout(e.ctx, 5*time.Minute)
	defer cancel()
	var (
		wg, victimWG sync.WaitGroup
		enqueued     atomic.Int64
		liveQueued   atomic.Int32 // live instances done queueing
		answered     sync.Map     // call ID -> agent: answered once
		doubles      atomic.Int64
		failures     = make(chan error, 100)
	)
	fail := func(err error) {
		select {
		case failures <- err:
		default:
		}
		cancel()
	}
	done := make(chan struct{})
	killed := make(chan struct{}) // the victim's goroutines stop
	stopOf := func(in *inst) <-chan struct{} {
		if in == victim {
			return killed
		}
		return done
	}
	stopped := func(in *inst) bool {
		select {
		case <-stopOf(in):
			return true
		case <-done:
			return true
		default:
			return false
		}
	}
	group := func(in *inst) *sync.WaitGroup {
		if in == victim {
			return &victimWG
		}
		return &wg
	}
	// Callers, on every instance at once.
	for i, in := range ins {
		group(in).Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			for j := range nCallers / len(ins) {
				if stopped(in) {
					return
				}
				cl := cluster.Caller{CallID: fmt.Sprintf("%s-%04d", in.Instance(), j), Queue: []string{"sales", "support"}[rng.IntN(2)]}
				if rng.IntN(6) == 0 {
					cl.Priority = 1
				}
				if err := in.Enqueue(ctx, cl); err != nil {
					fail(err)
					return
				}
				enqueued.Add(1)
			}
			if in != victim {
				liveQueued.Add(1)
			}
		})
	}
	// Routing, answers and ends, by each instance for its callers.
	for i, in := range ins {
		group(in).Go(func() {
			for !stopped(in) {
				if _, err := in.Route(ctx); err != nil {
					fail(err)
					return
				}
			}
		})
		for w := range 2 {
			group(in).Go(func() {
				rng := rand.New(rand.NewPCG(uint64(i), uint64(w)+10))
				for !stopped(in) {
					rows, err := e.pool.Query(ctx, `SELECT call_id, state, coalesce(agent, '') FROM cluster_callers WHERE instance = $1 AND state <> 'waiting' ORDER BY random() LIMIT 8`, in.Instance())
					if err != nil {
						fail(err)
						return
					}
					type c struct{ id, state, agent string }
					calls, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (c, error) {
						var x c
						return x, r.Scan(&x.id, &x.state, &x.agent)
					})
					if err != nil {
						fail(err)
						return
					}
					for _, x := range calls {
						var err error
						switch {
						case x.state == "connected":
							err = in.EndCall(ctx, x.id)
						case rng.IntN(10) == 0:
							err = in.Abandon(ctx, x.id)
						case rng.IntN(6) == 0:
							err = in.NoAnswer(ctx, x.id, x.agent)
						default:
							err = in.Answered(ctx, x.id, x.agent)
							if err == nil {
								if _, dup := answered.LoadOrStore(x.id, x.agent); dup {
									doubles.Add(1)
								}
							}
						}
						if !raced(err) {
							fail(err)
							return
						}
					}
				}
			})
		}
	}
	// Agents' own moves, from their (live) home instances.
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for !stopped(live[0]) {
				i := rng.IntN(nAgents)
				if i%4 == 3 {
					continue // homed on the victim
				}
				in := ins[i%4]
				var err error
				if rng.IntN(4) == 0 {
					err = in.SetNotReady(ctx, agentIDs[i], "break")
				} else {
					err = in.SetReady(ctx, agentIDs[i])
				}
				if !raced(err) {
					fail(err)
					return
				}
			}
		})
	}
	// Time (ring-outs, wrap-ups; the live instances beat at each step),
	// the kill, the reapers, and the invariants during the run.
	var reaped []string
	var reap cluster.Reaped
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			default:
			}
			e.clk.Advance(500 * time.Millisecond)
			for _, in := range live {
				if err := in.Heartbeat(ctx); err != nil {
					fail(err)
					return
				}
			}
			select {
			case <-killed:
				var rs [2]cluster.Reaped
				var rwg sync.WaitGroup
				for k, in := range live[1:] {
					rwg.Go(func() {
						r, err := in.Reap(ctx)
						if err != nil {
							fail(err)
						}
						rs[k] = r
					})
				}
				rwg.Wait()
				for _, r := range rs {
					reaped = append(reaped, r.Instances...)
					if len(r.Instances) > 0 {
						reap = r
					}
				}
			default:
				if enqueued.Load() >= nCallers/2 {
					close(killed)
					victimWG.Wait()
					victim.stop()
				}
			}
			if err := checkRows(ctx, e.pool); err != nil {
				fail(err)
				return
			}
			var left int
			if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM cluster_callers`).Scan(&left); err != nil {
				fail(err)
				return
			}
			if left == 0 && len(reaped) > 0 && liveQueued.Load() == int32(len(live)) {
				close(done)
				return
			}
		}
	})
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Fatal(err)
	}
	if len(reaped) != 1 || reaped[0] != "d" {
		t.Fatalf("reaped %v; want d, once", reaped)
	}
	t.Logf("d reaped: %d callers lost, %d calls ended, %d agents logged out, %d offers to them withdrawn",
		len(reap.Lost), len(reap.Ended), len(reap.LoggedOut), len(reap.Withdrawn))
	if len(reap.Lost) == 0 || len(reap.LoggedOut) == 0 {
		t.Fatalf("the kill found d with no callers or agents: %+v", reap)
	}
	if err := checkRows(e.ctx, e.pool); err != nil {
		t.Fatal(err)
	}
	if doubles.Load() > 0 {
		t.Fatalf("%d calls answered twice", doubles.Load())
	}
	n := 0
	answered.Range(func(_, _ any) bool { n++; return true })
	t.Logf("%d callers queued, served, abandoned or lost; %d answered", enqueued.Load(), n)
	if n < nCallers/3 {
		t.Fatalf("only %d of %d callers answered", n, nCallers)
	}
}
