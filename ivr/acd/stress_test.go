package acd_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// TestStressThroughARI: many callers arrive at once for fewer agents, all
// through the emulator. No agent's phone ever carries two calls, every
// caller reaches exactly one agent, and every call ends in the flow.
func TestStressThroughARI(t *testing.T) {
	if testing.Short() {
		t.Skip("stress test")
	}
	const agents, callers = 200, 2000
	r := newRig(t, rigOptions{timeout: 5 * time.Minute})
	var (
		violations atomic.Int64
		answered   sync.Map // call id -> agents that answered it
	)
	for i := range agents {
		id := fmt.Sprintf("%d", 2001+i)
		// The phone answers itself on the emulator's clock, so an agent
		// never misses a call for a goroutine scheduled late.
		ep := r.agent(id, aritest.AnswerAfter(time.Second))
		go func() {
			var busy atomic.Int64
			for {
				p, err := ep.NextCall(r.ctx)
				if err != nil {
					return
				}
				if busy.Add(1) > 1 {
					violations.Add(1)
				}
				go func() {
					defer busy.Add(-1)
					// Talk until the whisper has started, then hang up.
					if _, err := p.WaitHeard(r.ctx, "sound:hotline/zh/agent/*"); err == nil {
						st, _ := r.center.Agent(id)
						if v, loaded := answered.LoadOrStore(st.CallID, id); loaded {
							answered.Store(st.CallID, v.(string)+","+id)
						}
						_ = p.Hangup()
					}
					<-p.Done()
				}()
			}
		}()
	}
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { r.dial(fmt.Sprintf("139%08d", i)) })
	}
	wg.Wait()
	var journeys []*ivr.Journey
	r.until("every caller's journey", func() bool {
		for {
			select {
			case j := <-r.journeys:
				journeys = append(journeys, j)
			default:
				return len(journeys) == callers
			}
		}
	})
	if n := violations.Load(); n > 0 {
		t.Errorf("%d times an agent's phone carried two calls", n)
	}
	n := 0
	answered.Range(func(call, who any) bool {
		n++
		if s := who.(string); len(s) != 4 {
			t.Errorf("call %s answered by %s", call, s)
		}
		return true
	})
	for _, j := range journeys {
		if j.Outcome != ivr.OutcomeQueued {
			t.Errorf("call %s ended %s, want queued", j.CallID, j.Outcome)
		}
	}
	if n != callers {
		t.Errorf("%d calls answered, want %d", n, callers)
	}
	for _, q := range r.center.Queues() {
		if q.Answered != callers {
			t.Errorf("queue answered %d, want %d", q.Answered, callers)
		}
	}
}
