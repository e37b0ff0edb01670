package queue_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

func TestFIFOUnderConcurrentArrivals(t *testing.T) {
	const goroutines, perGoroutine = 16, 200
	tests := []struct {
		name  string
		prios []int // goroutine g's caller i gets prios[(g+i)%len]
	}{
		{"one priority", []int{0}},
		{"two priorities", []int{0, 5}},
		{"three priorities", []int{0, 9, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, queue.QueueConfig{Name: "service"})
			e.agent("1001", nil)
			var wg sync.WaitGroup
			var stop atomic.Bool
			wg.Go(func() { // the clock moves while callers arrive
				for !stop.Load() {
					e.clk.Advance(time.Millisecond)
				}
			})
			var arrivals sync.WaitGroup
			for g := range goroutines {
				arrivals.Go(func() {
					for i := range perGoroutine {
						id := fmt.Sprintf("g%02d-%04d", g, i)
						if _, err := e.c.Enqueue(queue.Caller{CallID: id, Queue: "service", Priority: tt.prios[(g+i)%len(tt.prios)]}); err != nil {
							t.Error(err)
						}
					}
				})
			}
			arrivals.Wait()
			stop.Store(true)
			wg.Wait()
			e.check()

			e.ready("1001")
			type served struct {
				prio    int
				arrived time.Time
			}
			lastOf := map[string]int{} // goroutine → index of its last caller served, per priority
			var prev *served
			n := 0
			for {
				d := e.c.Next() // no invariant check at each step: it costs O(callers)
				if len(d.Offers) == 0 {
					break
				}
				o := d.Offers[0]
				s := served{o.Priority, e.clk.Now().Add(-o.Waited)}
				if prev != nil {
					switch {
					case s.prio > prev.prio:
						t.Fatalf("call %d (%s) has priority %d, after a caller of priority %d", n, o.CallID, s.prio, prev.prio)
					case s.prio == prev.prio && s.arrived.Before(prev.arrived):
						t.Fatalf("call %d (%s) arrived at %v, before the caller served before it (%v)", n, o.CallID, s.arrived, prev.arrived)
					}
				}
				var g, i int
				fmt.Sscanf(o.CallID, "g%d-%d", &g, &i)
				key := fmt.Sprintf("%d/%d", g, s.prio)
				if last, ok := lastOf[key]; ok && i < last {
					t.Fatalf("goroutine %d's caller %d was served after its caller %d of the same priority", g, i, last)
				}
				lastOf[key] = i
				prev = &s
				n++
				if err := e.answer(o.CallID); err != nil {
					t.Fatal(err)
				}
				if err := e.c.EndCall(o.CallID); err != nil {
					t.Fatal(err)
				}
				if n%500 == 0 {
					e.check()
				}
			}
			e.check()
			if n != goroutines*perGoroutine {
				t.Fatalf("served %d callers, want %d", n, goroutines*perGoroutine)
			}
		})
	}
}
