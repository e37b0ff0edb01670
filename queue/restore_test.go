package queue_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

// TestRestoreAgent: after a restart, each agent is put back in the state
// it was in, from the time it entered it; a wrap-up keeps its end, and one
// that ran out while the server was down is over.
func TestRestoreAgent(t *testing.T) {
	tests := []struct {
		name       string
		state      queue.AgentState
		reason     string
		since      time.Duration // before now
		want       queue.AgentState
		wantReason string
		wantSince  time.Duration
	}{
		{"ready", queue.Ready, "", 10 * time.Minute, queue.Ready, "", 10 * time.Minute},
		{"on a break", queue.NotReady, "break", time.Minute, queue.NotReady, "break", time.Minute},
		{"in wrap-up", queue.WrapUp, "", 10 * time.Second, queue.WrapUp, "", 10 * time.Second},
		{"wrap-up over while down", queue.WrapUp, "", 50 * time.Second, queue.Ready, "", 20 * time.Second},
		{"logged out", queue.LoggedOut, "", time.Minute, queue.LoggedOut, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, queue.QueueConfig{Name: "sales", WrapUp: 30 * time.Second})
			e.advance(time.Hour)
			e.agent("1001", nil)
			now := e.clk.Now()
			e.must(e.c.RestoreAgent("1001", tt.state, tt.reason, now.Add(-tt.since), "sales"))
			st, err := e.c.Agent("1001")
			if err != nil {
				t.Fatal(err)
			}
			wantSince := now.Add(-tt.wantSince)
			if tt.want == queue.LoggedOut {
				wantSince = time.Time{}
			}
			if st.State != tt.want || st.Reason != tt.wantReason || !st.Since.Equal(wantSince) {
				t.Errorf("got %s %q since %v, want %s %q since %v", st.State, st.Reason, st.Since, tt.want, tt.wantReason, wantSince)
			}
			if tt.want == queue.WrapUp {
				e.advance(20 * time.Second)
				e.next()
				if got, _ := e.state("1001"); got != queue.Ready {
					t.Errorf("after the wrap-up's end: %s, want ready", got)
				}
			}
		})
	}
	e := newEnv(t, queue.QueueConfig{Name: "sales"})
	e.agent("1001", nil)
	e.ready("1001")
	if err := e.c.RestoreAgent("1001", queue.NotReady, "break", t0, "sales"); !errors.Is(err, queue.ErrIllegalTransition) {
		t.Errorf("restoring an agent already logged in: %v, want ErrIllegalTransition", err)
	}
}

// TestAdoptCall: a conversation that survived a restart is connected to
// its agent again; it ends like any answered call (wrap-up), and the
// caller is never offered to anyone meanwhile.
func TestAdoptCall(t *testing.T) {
	e := newEnv(t, queue.QueueConfig{Name: "sales", WrapUp: 30 * time.Second})
	e.advance(time.Hour)
	e.agent("1001", nil)
	e.agent("1002", nil)
	e.ready("1002")
	answered := e.clk.Now().Add(-time.Minute)
	e.must(e.c.AdoptCall(queue.Caller{CallID: "c1", Queue: "sales", Arrived: answered.Add(-time.Minute)}, "1001", answered))
	st, _ := e.c.Agent("1001")
	if st.State != queue.OnCall || st.CallID != "c1" || !st.Since.Equal(answered) {
		t.Fatalf("1001: %+v, want on call with c1 since %v", st, answered)
	}
	if d := e.next(); len(d.Offers) != 0 {
		t.Errorf("offers %v, want none: c1 is connected", pairs(d.Offers))
	}
	e.must(e.c.EndCall("c1"))
	if got, _ := e.state("1001"); got != queue.WrapUp {
		t.Errorf("after the end: %s, want wrap-up", got)
	}
	if err := e.c.AdoptCall(queue.Caller{CallID: "c2", Queue: "sales"}, "1002", answered); !errors.Is(err, queue.ErrIllegalTransition) {
		t.Errorf("adopting onto a ready agent: %v, want ErrIllegalTransition", err)
	}
}

// TestLost: a call lost with the PBX leaves the center at any stage
// without counting as an abandon; its agent's state says "lost".
func TestLost(t *testing.T) {
	for _, stage := range []string{"waiting", "ringing", "connected"} {
		t.Run(stage, func(t *testing.T) {
			e := newEnv(t, queue.QueueConfig{Name: "sales", WrapUp: 30 * time.Second})
			e.agent("1001", nil)
			e.enqueue("c1", "sales", 0)
			want, wantReason := queue.Ready, ""
			if stage != "waiting" {
				e.ready("1001")
				e.next()
				want, wantReason = queue.Ready, queue.ReasonLost
			}
			if stage == "connected" {
				e.must(e.c.Answered("c1", "1001"))
				want = queue.WrapUp
			}
			e.must(e.c.Lost("c1"))
			st, _ := e.c.QueueStatus("sales")
			if st.Abandoned != 0 || st.Waiting != 0 {
				t.Errorf("queue after the loss: %+v, want no abandon and nobody waiting", st)
			}
			if stage != "waiting" {
				if got, reason := e.state("1001"); got != want || reason != wantReason {
					t.Errorf("agent %s %q, want %s %q", got, reason, want, wantReason)
				}
			}
		})
	}
}
