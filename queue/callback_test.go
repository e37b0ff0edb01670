package queue_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

func TestCallbackKeepsItsPlace(t *testing.T) {
	e := newEnv(t, queue.QueueConfig{Name: "service", CallbackAfter: time.Minute, MaxWait: 2 * time.Minute})
	e.agent("1001", nil)
	for _, id := range []string{"c1", "c2", "c3"} {
		e.enqueue(id, "service", 0)
		e.advance(30 * time.Second)
	}
	e.enqueue("vip", "service", 5)
	p, err := e.c.Position("c2")
	e.must(err)
	if !p.CanCallback || p.Position != 3 {
		t.Fatalf("c2 place %+v, want position 3 and a call-back on offer (waited %v)", p, p.Waited)
	}
	e.must(e.c.RequestCallback("c2", "cb-c2", "13900000002"))
	wantErr(t, e.c.Abandon("c2"), queue.ErrUnknownCall) // the caller hangs up: nothing to abandon
	p, err = e.c.Position("cb-c2")
	e.must(err)
	if p.Position != 3 || !p.Callback || p.CanCallback {
		t.Fatalf("call-back place %+v, want position 3, a call-back", p)
	}
	// Past the queue's MaxWait a call-back does not overflow.
	e.advance(5 * time.Minute)
	d := e.next()
	for _, ov := range d.Overflows {
		if ov.CallID == "cb-c2" {
			t.Fatalf("the call-back overflowed: %+v", ov)
		}
	}
	if p, err := e.c.Position("cb-c2"); err != nil || p.Position != 1 {
		t.Fatalf("call-back at %+v, %v; want first after the others overflowed", p, err)
	}

	// The same with nobody overflowing: the order holds with the call-back.
	e = newEnv(t, queue.QueueConfig{Name: "service"})
	e.agent("1001", nil)
	for _, id := range []string{"c1", "c2", "c3"} {
		e.enqueue(id, "service", 0)
		e.advance(time.Second)
	}
	e.must(e.c.RequestCallback("c2", "cb-c2", ""))
	e.ready("1001")
	var got []queue.Offer
	for {
		d := e.next()
		if len(d.Offers) == 0 {
			break
		}
		got = append(got, d.Offers...)
		e.serve(d.Offers[0].CallID)
	}
	if ids := pairs(got); !slices.Equal(ids, []string{"c1>1001", "cb-c2>1001", "c3>1001"}) {
		t.Fatalf("offers %v, want the call-back in c2's place", ids)
	}
	if o := got[1]; !o.Callback || o.Number != "138c2" {
		t.Fatalf("call-back offer %+v, want Callback to the caller's number", o)
	}
}

func TestCallbackIsServedOnce(t *testing.T) {
	tests := []struct {
		name string
		act  func(e *env) error
		want error
	}{
		{"request the same ID again", func(e *env) error {
			e.enqueue("c9", "service", 0)
			return e.c.RequestCallback("c9", "r1", "")
		}, queue.ErrDuplicateCallback},
		{"add the same ID again", func(e *env) error {
			_, err := e.c.AddCallback(queue.Callback{ID: "r1", Queue: "service", Number: "1"})
			return err
		}, queue.ErrDuplicateCallback},
		{"answer it again", func(e *env) error { return e.c.Answered("r1", "1001") }, queue.ErrUnknownCall},
		{"abandon it", func(e *env) error { return e.c.Abandon("r1") }, queue.ErrUnknownCall},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, queue.QueueConfig{Name: "service"})
			for _, id := range []string{"1001", "1002"} {
				e.agent(id, nil)
				e.ready(id)
			}
			_, err := e.c.AddCallback(queue.Callback{ID: "r1", Queue: "service", Number: "13900000001"})
			e.must(err)
			if got := pairs(e.next().Offers); !slices.Equal(got, []string{"r1>1001"}) {
				t.Fatalf("offers %v, want [r1>1001]", got)
			}
			e.must(e.answer("r1")) // the agent answered: the customer is dialled, once
			e.must(e.c.EndCall("r1"))
			wantErr(t, tt.act(e), tt.want)
			for _, o := range e.next().Offers {
				if o.CallID == "r1" {
					t.Fatalf("r1 offered again after it was served: %+v", o)
				}
			}
		})
	}
}

func TestCallbackNeverOfferedTwiceAtOnce(t *testing.T) {
	// Many engines call Next at once with plenty of Ready agents: the
	// call-back goes to one of them, once. After the agent misses it, it
	// goes to one other agent, once.
	e := newEnv(t, queue.QueueConfig{Name: "service"})
	for i := range 20 {
		id := string(rune('A' + i))
		e.agent(id, nil)
		e.ready(id)
	}
	_, err := e.c.AddCallback(queue.Callback{ID: "r1", Queue: "service", Number: "13900000001"})
	e.must(err)
	for round := 1; round <= 2; round++ {
		var mu sync.Mutex
		var offers []queue.Offer
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				d := e.c.Next()
				mu.Lock()
				offers = append(offers, d.Offers...)
				mu.Unlock()
			})
		}
		wg.Wait()
		e.check()
		if len(offers) != 1 || offers[0].CallID != "r1" || offers[0].Attempt != round {
			t.Fatalf("round %d: offers %+v, want r1 once, attempt %d", round, offers, round)
		}
		if round == 1 {
			e.must(e.noAnswer("r1")) // the agent missed it; the customer was never dialled
		}
	}
}

func TestCallbackRestoredWithItsArrival(t *testing.T) {
	// A call-back restored after a restart (or a retry) keeps its place by
	// its original arrival.
	e := newEnv(t, queue.QueueConfig{Name: "service"})
	e.agent("1001", nil)
	e.advance(10 * time.Minute)
	e.enqueue("c1", "service", 0)
	_, err := e.c.AddCallback(queue.Callback{ID: "r1", Queue: "service", Number: "1", Arrived: t0.Add(5 * time.Minute)})
	e.must(err)
	_, err = e.c.AddCallback(queue.Callback{ID: "r2", Queue: "service", Number: "2"}) // now: after c1
	e.must(err)
	e.ready("1001")
	var got []string
	for _, p := range e.drain() {
		got = append(got, p[:len(p)-len(">1001")])
	}
	if want := []string{"r1", "c1", "r2"}; !slices.Equal(got, want) {
		t.Fatalf("served %v, want %v", got, want)
	}
	_, err = e.c.AddCallback(queue.Callback{ID: "r3", Queue: "service"})
	if !errors.Is(err, queue.ErrNoNumber) {
		t.Fatalf("call-back without a number: %v, want ErrNoNumber", err)
	}
}
