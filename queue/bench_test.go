package queue_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/queue"
)

// benchCenter builds a center of 10 queues (every strategy, skill levels
// that relax, a max wait), agents agents each serving two or three of them,
// and waiting callers in line, of three priorities, a fifth of them
// needing English. It first gives every agent a call, so the callers wait.
func benchCenter(b *testing.B, agents, waiting int, busy bool) (*queue.Center, *clockwork.FakeClock, *rand.Rand) {
	b.Helper()
	clk := clockwork.NewFakeClockAt(t0)
	rng := rand.New(rand.NewPCG(3, 4))
	var queues []queue.QueueConfig
	for i := range 10 {
		queues = append(queues, queue.QueueConfig{
			Name: fmt.Sprintf("q%d", i), Skills: []string{fmt.Sprintf("s%d", i)},
			Strategy: queue.Strategy(i % 4), RingTimeout: 20 * time.Second, MaxWait: time.Hour,
			Levels: []queue.LevelStep{{0, 7}, {30 * time.Second, 4}, {time.Minute, 1}},
		})
	}
	c, err := queue.New(queue.Config{Clock: clk, Queues: queues})
	if err != nil {
		b.Fatal(err)
	}
	for i := range agents {
		skills := map[string]int{"zh": 1 + rng.IntN(10)}
		if rng.IntN(5) == 0 {
			skills["en"] = 1 + rng.IntN(10)
		}
		for range 2 + rng.IntN(2) {
			skills[fmt.Sprintf("s%d", rng.IntN(10))] = 1 + rng.IntN(10)
		}
		id := fmt.Sprintf("%05d", i)
		if err := c.SetAgent(queue.AgentConfig{ID: id, Skills: skills}); err != nil {
			b.Fatal(err)
		}
		c.Login(id)
		c.SetReady(id)
	}
	n := waiting
	if busy {
		n += agents * 2 // enough for every agent to take one
	}
	for i := range n {
		enqueueRandom(b, c, rng, fmt.Sprintf("w%d", i))
	}
	clk.Advance(2 * time.Minute) // past the relaxation
	if busy {
		d := c.Next()
		for _, o := range d.Offers {
			if err := c.Answered(o.CallID, o.Agent); err != nil {
				b.Fatal(err)
			}
		}
		if len(d.Offers) != agents {
			b.Fatalf("%d of %d agents took a call", len(d.Offers), agents)
		}
		for i := range 2*agents - agents { // keep exactly `waiting` in line
			c.Abandon(fmt.Sprintf("w%d", n-1-i))
		}
	}
	total := 0
	for _, q := range queues {
		st, _ := c.QueueStatus(q.Name)
		total += st.Waiting
	}
	if total != waiting {
		b.Fatalf("%d waiting, want %d", total, waiting)
	}
	return c, clk, rng
}

func enqueueRandom(b *testing.B, c *queue.Center, rng *rand.Rand, id string) {
	cl := queue.Caller{CallID: id, Queue: fmt.Sprintf("q%d", rng.IntN(10)), Priority: []int{0, 0, 0, 5, 10}[rng.IntN(5)], Skills: []string{"zh"}}
	if rng.IntN(5) == 0 {
		cl.Skills = []string{"en"}
	}
	if _, err := c.Enqueue(cl); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRoutingDecision measures Next, the routing decision, with 2,000
// agents and 20,000 waiting callers. Each round one agent's call ends, a
// new caller arrives (so 20,000 keep waiting), and Next finds the agent its
// caller — the best-placed one, across its queues, whose skills the agent
// has at the level the wait requires. Every decision is timed on its own;
// the p99 is reported (target: under 1 ms).
func BenchmarkRoutingDecision(b *testing.B) {
	const agents, waiting = 2000, 20_000
	c, clk, rng := benchCenter(b, agents, waiting, true)
	talking := []queue.Offer{}
	for _, a := range c.Agents() {
		talking = append(talking, queue.Offer{CallID: a.CallID, Agent: a.ID})
	}
	var took []time.Duration
	offers, i := 0, 0
	for b.Loop() {
		k := rng.IntN(len(talking))
		if err := c.EndCall(talking[k].CallID); err != nil {
			b.Fatal(err)
		}
		talking[k] = talking[len(talking)-1]
		talking = talking[:len(talking)-1]
		enqueueRandom(b, c, rng, fmt.Sprintf("n%d", i))
		i++
		clk.Advance(10 * time.Millisecond)

		start := time.Now()
		d := c.Next()
		took = append(took, time.Since(start))

		for _, o := range d.Offers {
			if err := c.Answered(o.CallID, o.Agent); err != nil {
				b.Fatal(err)
			}
			talking = append(talking, o)
		}
		offers += len(d.Offers)
	}
	report(b, took)
	b.ReportMetric(float64(offers)/float64(len(took)), "offers/decision")
}

// BenchmarkRoutingDecisionIdleAgents is the other extreme: 2,000 agents
// Ready, no caller waiting; each round one caller arrives and Next finds it
// an agent by its queue's strategy.
func BenchmarkRoutingDecisionIdleAgents(b *testing.B) {
	c, clk, rng := benchCenter(b, 2000, 0, false)
	var took []time.Duration
	i := 0
	for b.Loop() {
		id := fmt.Sprintf("n%d", i)
		i++
		enqueueRandom(b, c, rng, id)
		clk.Advance(10 * time.Millisecond)

		start := time.Now()
		d := c.Next()
		took = append(took, time.Since(start))

		for _, o := range d.Offers { // answer and end: the agent is Ready again
			if err := c.Answered(o.CallID, o.Agent); err != nil {
				b.Fatal(err)
			}
			if err := c.EndCall(o.CallID); err != nil {
				b.Fatal(err)
			}
		}
	}
	report(b, took)
}

// report adds the decisions' p50, p99, p99.9 and maximum, in microseconds.
// The maximum is mostly the garbage collector and the scheduler.
func report(b *testing.B, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	at := func(p float64) time.Duration { return took[min(len(took)-1, int(p*float64(len(took))))] }
	b.ReportMetric(float64(at(0.50).Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(at(0.99).Nanoseconds())/1e3, "p99-µs")
	b.ReportMetric(float64(at(0.999).Nanoseconds())/1e3, "p99.9-µs")
	b.ReportMetric(float64(took[len(took)-1].Nanoseconds())/1e3, "max-µs")
}
