package queue_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/queue"
)

// TestStress drives one center from many goroutines at once — callers
// arriving, abandoning and asking for call-backs; engines routing,
// answering, missing, letting offers ring out, ending and transferring
// calls; agents logging in and out; the clock moving — and checks, all the
// while and at the end, that no agent is offered two calls at once, no call
// goes to two agents, every caller leaves exactly once, and the center's
// bookkeeping agrees with itself. Run it with -race.
func TestStress(t *testing.T) {
	const (
		agents    = 300
		producers = 8
		perProd   = 700 // 5,600 callers
		routers   = 4
		enders    = 4
		churners  = 2
	)
	clk := clockwork.NewFakeClockAt(t0)
	to := func(q string) queue.Action { return queue.Action{Kind: queue.ActionQueue, Queue: q} }
	queues := []queue.QueueConfig{
		{Name: "sales", Skills: []string{"sales"}, Strategy: queue.LongestIdle, RingTimeout: 8 * time.Second, WrapUp: 3 * time.Second,
			Levels: []queue.LevelStep{{0, 6}, {10 * time.Second, 1}}, MaxWait: 90 * time.Second, Overflow: to("general")},
		{Name: "vip", Skills: []string{"vip"}, Strategy: queue.SkillsByLevel, RingTimeout: 8 * time.Second, WrapUp: 2 * time.Second,
			MaxLength: 150, MaxWait: time.Minute, Overflow: queue.Action{Kind: queue.ActionCallbackOffer}},
		{Name: "general", Strategy: queue.RoundRobin, WrapUp: time.Second, WhenNoAgents: queue.NoAgentsOverflow},
		{Name: "support", Skills: []string{"support"}, Strategy: queue.FewestCalls, KeepArrival: true,
			MaxWait: 2 * time.Minute, Overflow: queue.Action{Kind: queue.ActionMessage}},
	}
	names := []string{"sales", "vip", "general", "support"}
	c, err := queue.New(queue.Config{Clock: clk, Queues: queues, StateLogLimit: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]string, agents)
	for i := range agents {
		ids[i] = fmt.Sprintf("%04d", 1000+i)
		skills := map[string]int{"zh": 1 + rng.IntN(10)}
		for _, s := range []string{"sales", "vip", "support", "en"} {
			if rng.IntN(3) == 0 || i < 16 { // the first 16 can take anyone
				skills[s] = 1 + rng.IntN(10)
			}
		}
		if i < 16 {
			skills["en"], skills["zh"] = 10, 10
		}
		if err := c.SetAgent(queue.AgentConfig{ID: ids[i], Skills: skills}); err != nil {
			t.Fatal(err)
		}
	}

	// The outcomes: every call and call-back ID must end exactly once.
	var omu sync.Mutex
	ends := map[string]int{}
	began := map[string]bool{}
	begin := func(id string) { omu.Lock(); began[id] = true; omu.Unlock() }
	end := func(id string) { omu.Lock(); ends[id]++; omu.Unlock() }
	overflows := func(ovs []queue.Overflow) {
		for _, ov := range ovs {
			if !ov.Queued {
				end(ov.CallID)
			}
		}
	}
	var offers, answers, misses, ringOuts, transfers, callbacks atomic.Int64
	fail := func(format string, args ...any) { t.Errorf(format, args...) }
	tolerate := func(op string, err error, ok ...error) bool {
		if err == nil {
			return true
		}
		for _, o := range ok {
			if errors.Is(err, o) {
				return false
			}
		}
		fail("%s: unexpected error %v", op, err)
		return false
	}

	var (
		draining atomic.Bool // stop the chaos; serve everyone
		done     atomic.Bool
		work     sync.WaitGroup // producers
		loops    sync.WaitGroup // everything else
		talking  = make(chan string, perProd*producers)
		replay   = newReplay()
	)
	checkNow := func() {
		if err := c.CheckInvariants(); err != nil {
			fail("invariants: %v", err)
		}
		changes, dropped := c.DrainStateChanges()
		if dropped > 0 {
			fail("%d state changes dropped", dropped)
		}
		if err := replay.apply(changes); err != nil {
			fail("state changes: %v", err)
		}
	}

	for p := range producers {
		work.Go(func() {
			r := rand.New(rand.NewPCG(uint64(p), 7))
			var mine []string
			for i := range perProd {
				id := fmt.Sprintf("p%d-c%04d", p, i)
				cl := queue.Caller{CallID: id, Queue: names[r.IntN(len(names))], Priority: []int{0, 0, 0, 5, 10}[r.IntN(5)], Number: "138" + id}
				if r.IntN(4) == 0 {
					cl.Skills = []string{"en"}
				}
				begin(id)
				ad, err := c.Enqueue(cl)
				if !tolerate("enqueue", err) {
					continue
				}
				if !ad.Queued {
					end(id)
				}
				mine = append(mine, id)
				switch n := r.IntN(20); {
				case n < 2 && len(mine) > 0: // a caller gives up
					victim := mine[r.IntN(len(mine))]
					if tolerate("abandon", c.Abandon(victim), queue.ErrUnknownCall, queue.ErrCallState) {
						end(victim)
					}
				case n < 4 && len(mine) > 0: // a caller asks to be called back
					victim := mine[r.IntN(len(mine))]
					rid := "cb-" + victim
					if tolerate("call-back", c.RequestCallback(victim, rid, ""), queue.ErrUnknownCall, queue.ErrCallState, queue.ErrDuplicateCallback) {
						begin(rid) // only once it exists; its end is counted whenever it comes
						end(victim)
						callbacks.Add(1)
					}
				case n < 5: // a call-back from the web
					rid := fmt.Sprintf("web-p%d-%d", p, i)
					begin(rid)
					_, err := c.AddCallback(queue.Callback{ID: rid, Queue: names[r.IntN(len(names))], Number: "139", Arrived: clk.Now().Add(-time.Minute)})
					tolerate("add call-back", err)
					callbacks.Add(1)
				}
				if i%50 == 0 {
					runtime.Gosched()
				}
			}
		})
	}

	for r := range routers {
		loops.Go(func() {
			rg := rand.New(rand.NewPCG(uint64(r), 11))
			for !done.Load() {
				d := c.Next()
				overflows(d.Overflows)
				ringOuts.Add(int64(len(d.RingTimeouts)))
				for _, o := range d.Offers {
					offers.Add(1)
					n := rg.IntN(100)
					if draining.Load() {
						n = 0
					}
					switch {
					case n < 75:
						if tolerate("answer", c.Answered(o.CallID, o.Agent), queue.ErrUnknownCall, queue.ErrCallState, queue.ErrNotOffered) {
							answers.Add(1)
							talking <- o.CallID
						}
					case n < 87:
						if tolerate("no answer", c.NoAnswer(o.CallID, o.Agent), queue.ErrUnknownCall, queue.ErrCallState, queue.ErrNotOffered) {
							misses.Add(1)
						}
					case n < 95:
						if tolerate("abandon while ringing", c.Abandon(o.CallID), queue.ErrUnknownCall, queue.ErrCallState) {
							end(o.CallID)
						}
					default: // let it ring out on the clock
					}
				}
				if rg.IntN(3) == 0 {
					clk.Advance(time.Duration(rg.IntN(500)) * time.Millisecond)
				}
			}
		})
	}

	for n := range enders {
		loops.Go(func() {
			rg := rand.New(rand.NewPCG(uint64(n), 13))
			for id := range talking {
				if !draining.Load() && rg.IntN(8) == 0 {
					ad, err := c.Transfer(id, names[rg.IntN(len(names))])
					if tolerate("transfer", err) {
						transfers.Add(1)
						if !ad.Queued {
							end(id)
						}
						overflows(ad.Overflows[:max(0, len(ad.Overflows)-1)]) // the last, if not queued, is the one above
					}
					continue
				}
				if tolerate("end call", c.EndCall(id)) {
					end(id)
				}
			}
		})
	}

	for n := range churners {
		loops.Go(func() {
			rg := rand.New(rand.NewPCG(uint64(n), 17))
			for !done.Load() {
				if draining.Load() {
					runtime.Gosched()
					continue
				}
				id := ids[rg.IntN(len(ids))]
				var err error
				switch rg.IntN(5) {
				case 0:
					err = c.Login(id)
				case 1, 2:
					err = c.SetReady(id)
				case 3:
					err = c.SetNotReady(id, "break")
				case 4:
					err = c.Logout(id)
				}
				tolerate("agent "+id, err, queue.ErrIllegalTransition)
			}
		})
	}

	loops.Go(func() { // the invariants, all along
		for !done.Load() {
			checkNow()
			runtime.Gosched()
		}
	})

	for _, id := range ids[:agents/2] { // half start the day logged in
		c.Login(id)
		c.SetReady(id)
	}
	work.Wait()

	// Everyone has arrived: stop the chaos, staff every agent, and serve
	// until the queues are empty.
	draining.Store(true)
	deadline := time.Now().Add(2 * time.Minute) // a watchdog on the wall clock, not a sleep
	for {
		for _, a := range c.Agents() {
			switch a.State {
			case queue.LoggedOut:
				c.Login(a.ID)
				c.SetReady(a.ID)
			case queue.NotReady:
				c.SetReady(a.ID)
			}
		}
		busy := false
		for _, a := range c.Agents() {
			busy = busy || a.State == queue.Reserved || a.State == queue.OnCall
		}
		waiting := 0
		for _, q := range names {
			st, _ := c.QueueStatus(q)
			waiting += st.Waiting
		}
		if waiting == 0 && !busy && len(talking) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not drained: %d waiting, agents busy %v", waiting, busy)
		}
		clk.Advance(time.Second)
		runtime.Gosched()
	}
	done.Store(true)
	close(talking)
	loops.Wait()
	c.Next() // the last wrap-ups end
	checkNow()

	omu.Lock()
	defer omu.Unlock()
	for id := range began {
		if ends[id] != 1 {
			t.Errorf("%s ended %d times, want once", id, ends[id])
		}
	}
	for id := range ends {
		if !began[id] {
			t.Errorf("%s ended but never began", id)
		}
	}
	for _, a := range c.Agents() {
		if a.State == queue.Reserved || a.State == queue.OnCall {
			t.Errorf("agent %s is still %s", a.ID, a.State)
		}
	}
	t.Logf("%d callers and call-backs, %d call-backs; %d offers, %d answered, %d missed, %d rang out, %d transfers; %d agent state changes checked",
		len(began), callbacks.Load(), offers.Load(), answers.Load(), misses.Load(), ringOuts.Load(), transfers.Load(), replay.n)
	if offers.Load() < 1000 || answers.Load() < 1000 || misses.Load() == 0 || ringOuts.Load() == 0 || transfers.Load() == 0 || callbacks.Load() == 0 {
		t.Errorf("the stress did not exercise every path")
	}
}

// replay follows the agents' state changes, in the order the center made
// them, and checks them against the state machine: each starts where the
// last left off, is a legal move, and no call is held by two agents nor an
// agent holding two calls.
type replay struct {
	state  map[string]queue.AgentState
	holds  map[string]string // agent → call
	holder map[string]string // call → agent
	n      int
}

func newReplay() *replay {
	return &replay{state: map[string]queue.AgentState{}, holds: map[string]string{}, holder: map[string]string{}}
}

// legal is the state machine, written out independently of the package's
// table.
var legal = map[[2]queue.AgentState]bool{
	{queue.LoggedOut, queue.NotReady}: true,
	{queue.NotReady, queue.NotReady}:  true, {queue.NotReady, queue.Ready}: true, {queue.NotReady, queue.LoggedOut}: true,
	{queue.Ready, queue.NotReady}: true, {queue.Ready, queue.LoggedOut}: true, {queue.Ready, queue.Reserved}: true,
	{queue.Reserved, queue.OnCall}: true, {queue.Reserved, queue.NotReady}: true, {queue.Reserved, queue.Ready}: true,
	{queue.OnCall, queue.WrapUp}: true,
	{queue.WrapUp, queue.Ready}:  true, {queue.WrapUp, queue.NotReady}: true, {queue.WrapUp, queue.LoggedOut}: true,
}

func (r *replay) apply(changes []queue.AgentStateChange) error {
	var errs []error
	for _, ch := range changes {
		r.n++
		a := ch.Agent
		if ch.From != r.state[a] {
			errs = append(errs, fmt.Errorf("agent %s: change %s → %s, but it was %s", a, ch.From, ch.State, r.state[a]))
		}
		if !legal[[2]queue.AgentState{ch.From, ch.State}] {
			errs = append(errs, fmt.Errorf("agent %s: illegal %s → %s", a, ch.From, ch.State))
		}
		switch {
		case ch.State == queue.Reserved:
			if held, ok := r.holds[a]; ok {
				errs = append(errs, fmt.Errorf("agent %s offered %s while holding %s", a, ch.CallID, held))
			}
			if other, ok := r.holder[ch.CallID]; ok {
				errs = append(errs, fmt.Errorf("call %s offered to %s while held by %s", ch.CallID, a, other))
			}
			r.holds[a], r.holder[ch.CallID] = ch.CallID, a
		case ch.From == queue.Reserved || ch.From == queue.OnCall:
			if r.holds[a] != ch.CallID || r.holder[ch.CallID] != a {
				errs = append(errs, fmt.Errorf("agent %s: %s → %s for call %s, but it holds %q", a, ch.From, ch.State, ch.CallID, r.holds[a]))
			}
			if ch.State != queue.OnCall {
				delete(r.holds, a)
				delete(r.holder, ch.CallID)
			}
		}
		r.state[a] = ch.State
	}
	return errors.Join(errs...)
}
