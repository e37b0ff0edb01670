package queue_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

func TestRingNoAnswer(t *testing.T) {
	cfg := queue.QueueConfig{Name: "service", RingTimeout: 20 * time.Second}
	tests := []struct {
		name string
		miss func(e *env) []queue.Offer // makes c1's offer to 1001 ring out
	}{
		{"reported by the engine", func(e *env) []queue.Offer {
			e.advance(5 * time.Second)
			e.must(e.noAnswer("c1"))
			return nil
		}},
		{"ring timeout on the clock", func(e *env) []queue.Offer {
			e.advance(20*time.Second - time.Nanosecond)
			if d := e.next(); len(d.RingTimeouts) != 0 {
				e.t.Fatalf("ring timeouts %v before the timeout", pairs(d.RingTimeouts))
			}
			e.advance(time.Nanosecond)
			d := e.next()
			return d.RingTimeouts
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, cfg)
			e.agent("1001", nil)
			e.agent("1002", nil)
			e.ready("1001")
			e.enqueue("c1", "service", 0)
			e.advance(time.Second)
			e.enqueue("c2", "service", 0)
			d := e.next()
			if got, want := pairs(d.Offers), []string{"c1>1001"}; !slices.Equal(got, want) {
				t.Fatalf("offers %v, want %v", got, want)
			}
			if want := t0.Add(time.Second + 20*time.Second); !d.Offers[0].Deadline.Equal(want) {
				t.Fatalf("deadline %v, want %v", d.Offers[0].Deadline, want)
			}
			timeouts := tt.miss(e)
			if tt.name == "ring timeout on the clock" && !slices.Equal(pairs(timeouts), []string{"c1>1001"}) {
				t.Fatalf("ring timeouts %v, want [c1>1001]", pairs(timeouts))
			}
			if st, reason := e.state("1001"); st != queue.NotReady || reason != queue.ReasonMissed {
				t.Fatalf("agent 1001 is %s (%s), want not ready (missed)", st, reason)
			}
			// c1 is back at the front, ahead of c2.
			if p, err := e.c.Position("c1"); err != nil || p.Position != 1 {
				t.Fatalf("c1 position %+v, %v; want 1", p, err)
			}
			e.ready("1002")
			d = e.next()
			if got, want := pairs(d.Offers), []string{"c1>1002"}; !slices.Equal(got, want) {
				t.Fatalf("offers %v, want %v", got, want)
			}
			if d.Offers[0].Attempt != 2 {
				t.Fatalf("attempt %d, want 2", d.Offers[0].Attempt)
			}
			// The second offer rings its full time: the first one's timer
			// does not cut it short.
			second := d.Offers[0].Deadline
			e.advance(second.Sub(e.clk.Now()) - time.Nanosecond)
			if d := e.next(); len(d.RingTimeouts) != 0 {
				t.Fatalf("ring timeouts %v before the second offer's deadline", pairs(d.RingTimeouts))
			}
			e.advance(time.Nanosecond)
			if got := pairs(e.next().RingTimeouts); !slices.Equal(got, []string{"c1>1002"}) {
				t.Fatalf("ring timeouts %v at the second deadline, want [c1>1002]", got)
			}
			st, _ := e.c.QueueStatus("service")
			if st.Missed != 2 {
				t.Fatalf("missed %d, want 2 (one each offer)", st.Missed)
			}
		})
	}
}

func TestAnsweredOfferDoesNotRingOut(t *testing.T) {
	e := newEnv(t, queue.QueueConfig{Name: "service", RingTimeout: 10 * time.Second})
	e.agent("1001", nil)
	e.ready("1001")
	e.enqueue("c1", "service", 0)
	e.next()
	e.must(e.answer("c1"))
	e.advance(time.Minute)
	if d := e.next(); len(d.RingTimeouts) != 0 {
		t.Fatalf("ring timeouts %v after the answer", pairs(d.RingTimeouts))
	}
	if st, _ := e.state("1001"); st != queue.OnCall {
		t.Fatalf("agent is %s, want on call", st)
	}
}

func TestWrapUp(t *testing.T) {
	tests := []struct {
		name    string
		wrapUp  time.Duration
		act     func(e *env) // after the call ends
		readyAt time.Duration
	}{
		{"no wrap-up time", 0, func(*env) {}, 0},
		{"the queue's timer", 45 * time.Second, func(*env) {}, 45 * time.Second},
		{"ended early by the agent", 45 * time.Second, func(e *env) {
			e.advance(10 * time.Second)
			e.must(e.c.SetReady("1001"))
		}, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, queue.QueueConfig{Name: "service", WrapUp: tt.wrapUp})
			e.agent("1001", nil)
			e.ready("1001")
			e.enqueue("c1", "service", 0)
			e.enqueue("c2", "service", 0)
			e.next()
			e.must(e.answer("c1"))
			e.advance(time.Minute)
			e.must(e.c.EndCall("c1"))
			end := e.clk.Now()
			tt.act(e)
			var got time.Duration
			for {
				d := e.next()
				if len(d.Offers) > 0 {
					got = e.clk.Since(end)
					if !slices.Equal(pairs(d.Offers), []string{"c2>1001"}) {
						t.Fatalf("offers %v, want [c2>1001]", pairs(d.Offers))
					}
					break
				}
				if st, _ := e.state("1001"); st != queue.WrapUp {
					t.Fatalf("agent is %s before its wrap-up ends, want wrap-up", st)
				}
				at, ok := e.c.Wake()
				if !ok {
					t.Fatal("nothing to wake for during the wrap-up")
				}
				e.clk.Advance(at.Sub(e.clk.Now()))
			}
			if got != tt.readyAt {
				t.Fatalf("ready after %v, want %v", got, tt.readyAt)
			}
			changes, _ := e.c.DrainStateChanges()
			var wrap []queue.AgentStateChange
			for _, ch := range changes {
				if ch.From == queue.WrapUp || ch.State == queue.WrapUp {
					wrap = append(wrap, ch)
				}
			}
			if len(wrap) != 2 || !wrap[0].At.Equal(end) || wrap[0].CallID != "c1" || !wrap[1].At.Equal(end.Add(tt.readyAt)) ||
				wrap[1].State != queue.Ready || wrap[1].CallID != "c1" {
				t.Fatalf("wrap-up changes %+v, want into wrap-up at %v for c1 and out of c1's wrap-up to ready %v later", wrap, end, tt.readyAt)
			}
		})
	}
}

// TestRequiredDisposition: a queue that requires a disposition keeps the
// agent in wrap-up, past its wrap-up time, until the call has one; Ready
// is refused meanwhile; a disposition given during the call counts.
func TestRequiredDisposition(t *testing.T) {
	e := newEnv(t, queue.QueueConfig{Name: "service", WrapUp: 30 * time.Second, RequireDisposition: true})
	e.agent("1001", nil)
	e.ready("1001")
	e.enqueue("c1", "service", 0)
	e.next()
	e.must(e.answer("c1"))
	e.advance(time.Minute)
	e.must(e.c.EndCall("c1"))
	if err := e.c.SetReady("1001"); !errors.Is(err, queue.ErrNoDisposition) {
		t.Fatalf("ready without a disposition: %v, want ErrNoDisposition", err)
	}
	st, _ := e.c.Agent("1001")
	if st.State != queue.WrapUp || !st.NeedsDisposition || st.CallID != "c1" {
		t.Fatalf("agent %+v, want in c1's wrap-up, needing a disposition", st)
	}
	e.advance(time.Minute) // past the wrap-up time
	e.next()
	if st, _ := e.c.Agent("1001"); st.State != queue.WrapUp {
		t.Fatalf("agent %s after its wrap-up time without a disposition, want still wrap-up", st.State)
	}
	if id, cb, err := e.c.Dispose("1001"); err != nil || id != "c1" || cb {
		t.Fatalf("Dispose: %q %v", id, err)
	}
	if st, _ := e.c.Agent("1001"); st.State != queue.Ready {
		t.Fatalf("agent %s once the overdue disposition is given, want ready", st.State)
	}
	if _, _, err := e.c.Dispose("1001"); !errors.Is(err, queue.ErrNoCallToDispose) {
		t.Fatalf("Dispose while ready: %v, want ErrNoCallToDispose", err)
	}

	// Given during the call: the wrap-up runs its time, and Ready is allowed.
	e.enqueue("c2", "service", 0)
	e.next()
	e.must(e.answer("c2"))
	if id, _, err := e.c.Dispose("1001"); err != nil || id != "c2" {
		t.Fatalf("Dispose on the call: %q %v", id, err)
	}
	e.must(e.c.EndCall("c2"))
	if st, _ := e.c.Agent("1001"); st.State != queue.WrapUp || st.NeedsDisposition {
		t.Fatalf("agent %+v after a call with its disposition, want wrap-up without needing one", st)
	}
	e.must(e.c.SetReady("1001"))
}

func TestWrapUpEndedEarlyDoesNotCutTheNextShort(t *testing.T) {
	e := newEnv(t, queue.QueueConfig{Name: "service", WrapUp: 45 * time.Second})
	e.agent("1001", nil)
	e.ready("1001")
	e.enqueue("c1", "service", 0)
	e.next()
	e.serve("c1") // wrap-up until 45 s
	e.advance(10 * time.Second)
	e.must(e.c.SetReady("1001"))
	e.enqueue("c2", "service", 0)
	e.next()
	e.advance(10 * time.Second)
	e.serve("c2") // wrap-up from 20 s until 65 s
	e.advance(25 * time.Second)
	e.next()
	if st, _ := e.state("1001"); st != queue.WrapUp {
		t.Fatalf("agent is %s at 45 s, want still in its second wrap-up", st)
	}
	e.advance(20 * time.Second)
	e.next()
	if st, _ := e.state("1001"); st != queue.Ready {
		t.Fatalf("agent is %s at 65 s, want ready", st)
	}
}

func TestAbandon(t *testing.T) {
	tests := []struct {
		name      string
		ringing   bool
		wantAgent queue.AgentState
	}{
		{"while waiting", false, queue.NotReady},
		{"while ringing an agent", true, queue.Ready},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, queue.QueueConfig{Name: "service"})
			e.agent("1001", nil)
			e.must(e.c.Login("1001"))
			e.enqueue("c1", "service", 0)
			if tt.ringing {
				e.ready("1001")
				e.next()
			}
			e.must(e.c.Abandon("c1"))
			if st, _ := e.state("1001"); st != tt.wantAgent {
				t.Fatalf("agent is %s, want %s", st, tt.wantAgent)
			}
			wantErr(t, e.c.Abandon("c1"), queue.ErrUnknownCall)
			if st, _ := e.c.QueueStatus("service"); st.Abandoned != 1 || st.Waiting != 0 {
				t.Fatalf("status %+v, want 1 abandoned, none waiting", st)
			}
		})
	}
}

func TestTransfer(t *testing.T) {
	tests := []struct {
		name        string
		keepArrival bool
		connected   bool // transfer after an agent took it, else while waiting
		want        []string
	}{
		{"waiting, keeps its arrival", true, false, []string{"moved", "there"}},
		{"waiting, joins at the back", false, false, []string{"there", "moved"}},
		{"blind transfer by the agent, keeps its arrival", true, true, []string{"moved", "there"}},
		{"blind transfer by the agent, joins at the back", false, true, []string{"there", "moved"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t,
				queue.QueueConfig{Name: "first", WrapUp: time.Minute},
				queue.QueueConfig{Name: "second", KeepArrival: tt.keepArrival},
			)
			e.agent("1001", nil, "first")
			e.agent("2001", nil, "second")
			e.enqueue("moved", "first", 3)
			e.advance(10 * time.Second)
			e.enqueue("there", "second", 3)
			e.advance(10 * time.Second)
			if tt.connected {
				e.ready("1001")
				e.next()
				e.must(e.answer("moved"))
				e.advance(time.Minute)
			}
			ad, err := e.c.Transfer("moved", "second")
			e.must(err)
			if !ad.Queued || ad.Place.Queue != "second" {
				t.Fatalf("admission %+v, want queued in second", ad)
			}
			if tt.connected {
				if st, _ := e.state("1001"); st != queue.WrapUp {
					t.Fatalf("transferring agent is %s, want wrap-up", st)
				}
			}
			e.ready("2001")
			var got []string
			for _, p := range e.drain() {
				got = append(got, p[:len(p)-len(">2001")])
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("second served %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTransferToUnknownQueue(t *testing.T) {
	e := newEnv(t, queue.QueueConfig{Name: "first"})
	e.enqueue("c1", "first", 0)
	_, err := e.c.Transfer("c1", "nope")
	if !errors.Is(err, queue.ErrUnknownQueue) {
		t.Fatalf("got %v, want ErrUnknownQueue", err)
	}
	if p, err := e.c.Position("c1"); err != nil || p.Queue != "first" {
		t.Fatalf("c1 at %+v, %v; want still in first", p, err)
	}
}

// TestTransferToAgent: an agent's blind transfer to a ready colleague
// rings the colleague at once; the first agent wraps up. A colleague who
// is not ready is refused and the call stays; one who lets it ring out
// sends the caller back to its place in line.
func TestTransferToAgent(t *testing.T) {
	e := newEnv(t, queue.QueueConfig{Name: "q", WrapUp: time.Minute, RingTimeout: 10 * time.Second})
	e.agent("1001", nil)
	e.agent("1002", nil)
	e.agent("1003", nil)
	e.ready("1001")
	e.enqueue("c1", "q", 0)
	e.next()
	e.must(e.answer("c1"))

	_, err := e.c.TransferToAgent("c1", "1002")
	wantErr(t, err, queue.ErrAgentNotReady)
	if st, _ := e.state("1001"); st != queue.OnCall {
		t.Fatalf("after a refused transfer the agent is %s, want on call", st)
	}
	_, err = e.c.TransferToAgent("c1", "1001")
	wantErr(t, err, queue.ErrCallState)
	_, err = e.c.TransferToAgent("c1", "nobody")
	wantErr(t, err, queue.ErrUnknownAgent)

	e.ready("1002")
	o, err := e.c.TransferToAgent("c1", "1002")
	e.must(err)
	if o.Agent != "1002" || o.CallID != "c1" || o.Device != "PJSIP/1002" || o.Deadline != e.clk.Now().Add(10*time.Second) {
		t.Fatalf("offer %+v", o)
	}
	if st, _ := e.state("1001"); st != queue.WrapUp {
		t.Fatalf("transferring agent is %s, want wrap-up", st)
	}
	if d := e.next(); len(d.Offers) != 0 {
		t.Fatalf("a directed offer must not be offered again: %v", pairs(d.Offers))
	}
	// It rings out: 1002 missed it, and c1 is back in line for 1003.
	e.advance(10 * time.Second)
	d := e.next()
	if len(d.RingTimeouts) != 1 || d.RingTimeouts[0].Agent != "1002" {
		t.Fatalf("ring timeouts %v", pairs(d.RingTimeouts))
	}
	if st, reason := e.state("1002"); st != queue.NotReady || reason != queue.ReasonMissed {
		t.Fatalf("1002 is %s (%s), want not ready: missed", st, reason)
	}
	e.ready("1003")
	if d := e.next(); len(d.Offers) != 1 || d.Offers[0].Agent != "1003" {
		t.Fatalf("offers %v, want c1>1003", pairs(d.Offers))
	}
}

// TestQueuesStatus lists every queue in the order added.
func TestQueuesStatus(t *testing.T) {
	e := newEnv(t, queue.QueueConfig{Name: "b"}, queue.QueueConfig{Name: "a"})
	e.enqueue("c1", "a", 0)
	e.advance(5 * time.Second)
	qs := e.c.Queues()
	if len(qs) != 2 || qs[0].Name != "b" || qs[1].Name != "a" {
		t.Fatalf("queues %+v", qs)
	}
	if qs[1].Waiting != 1 || qs[1].LongestWait != 5*time.Second || qs[0].Waiting != 0 {
		t.Fatalf("statuses %+v", qs)
	}
}
