package queue_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

// reach brings agent 1001 of a one-queue center to state s; for Reserved
// and OnCall, call c1 is involved.
func reach(e *env, s queue.AgentState) {
	e.t.Helper()
	e.agent("1001", []string{"sales:5"})
	if s == queue.LoggedOut {
		return
	}
	e.must(e.c.Login("1001"))
	if s == queue.NotReady {
		return
	}
	e.must(e.c.SetReady("1001"))
	if s == queue.Ready {
		return
	}
	e.enqueue("c1", "sales", 0)
	if got := pairs(e.next().Offers); len(got) != 1 {
		e.t.Fatalf("offers %v, want one", got)
	}
	if s == queue.Reserved {
		return
	}
	e.must(e.answer("c1"))
	if s == queue.OnCall {
		return
	}
	e.must(e.c.EndCall("c1"))
}

func TestTransitions(t *testing.T) {
	sales := queue.QueueConfig{Name: "sales", Skills: []string{"sales"}, WrapUp: 30 * time.Second}
	tests := []struct {
		from queue.AgentState
		act  string
		do   func(*queue.Center) error
		to   queue.AgentState // the state after, or the one refused
		ok   bool
	}{
		{queue.LoggedOut, "login", func(c *queue.Center) error { return c.Login("1001") }, queue.NotReady, true},
		{queue.LoggedOut, "ready", func(c *queue.Center) error { return c.SetReady("1001") }, queue.Ready, false},
		{queue.LoggedOut, "not ready", func(c *queue.Center) error { return c.SetNotReady("1001", "break") }, queue.NotReady, false},
		{queue.LoggedOut, "logout", func(c *queue.Center) error { return c.Logout("1001") }, queue.LoggedOut, false},
		{queue.NotReady, "ready", func(c *queue.Center) error { return c.SetReady("1001") }, queue.Ready, true},
		{queue.NotReady, "other reason", func(c *queue.Center) error { return c.SetNotReady("1001", "lunch") }, queue.NotReady, true},
		{queue.NotReady, "logout", func(c *queue.Center) error { return c.Logout("1001") }, queue.LoggedOut, true},
		{queue.NotReady, "login", func(c *queue.Center) error { return c.Login("1001") }, queue.NotReady, false},
		{queue.Ready, "ready", func(c *queue.Center) error { return c.SetReady("1001") }, queue.Ready, false},
		{queue.Ready, "not ready", func(c *queue.Center) error { return c.SetNotReady("1001", "break") }, queue.NotReady, true},
		{queue.Ready, "logout", func(c *queue.Center) error { return c.Logout("1001") }, queue.LoggedOut, true},
		{queue.Reserved, "ready", func(c *queue.Center) error { return c.SetReady("1001") }, queue.Ready, false},
		{queue.Reserved, "not ready", func(c *queue.Center) error { return c.SetNotReady("1001", "break") }, queue.NotReady, false},
		{queue.Reserved, "logout", func(c *queue.Center) error { return c.Logout("1001") }, queue.LoggedOut, false},
		{queue.Reserved, "answered", func(c *queue.Center) error { return c.Answered("c1", "1001") }, queue.OnCall, true},
		{queue.OnCall, "ready", func(c *queue.Center) error { return c.SetReady("1001") }, queue.Ready, false},
		{queue.OnCall, "not ready", func(c *queue.Center) error { return c.SetNotReady("1001", "break") }, queue.NotReady, false},
		{queue.OnCall, "logout", func(c *queue.Center) error { return c.Logout("1001") }, queue.LoggedOut, false},
		{queue.OnCall, "end", func(c *queue.Center) error { return c.EndCall("c1") }, queue.WrapUp, true},
		{queue.WrapUp, "ready", func(c *queue.Center) error { return c.SetReady("1001") }, queue.Ready, true},
		{queue.WrapUp, "not ready", func(c *queue.Center) error { return c.SetNotReady("1001", "break") }, queue.NotReady, true},
		{queue.WrapUp, "logout", func(c *queue.Center) error { return c.Logout("1001") }, queue.LoggedOut, true},
		{queue.WrapUp, "login", func(c *queue.Center) error { return c.Login("1001") }, queue.NotReady, false},
	}
	for _, tt := range tests {
		t.Run(tt.from.String()+"/"+tt.act, func(t *testing.T) {
			e := newEnv(t, sales)
			reach(e, tt.from)
			if got, _ := e.state("1001"); got != tt.from {
				t.Fatalf("set-up reached %s, want %s", got, tt.from)
			}
			e.c.DrainStateChanges()
			err := tt.do(e.c)
			e.check()
			got, _ := e.state("1001")
			changes, _ := e.c.DrainStateChanges()
			if tt.ok {
				if err != nil || got != tt.to || len(changes) != 1 {
					t.Fatalf("got %s, error %v, %d changes; want %s, no error, 1 change", got, err, len(changes), tt.to)
				}
				if ch := changes[0]; ch.From != tt.from || ch.State != tt.to || !ch.At.Equal(t0) || ch.Agent != "1001" {
					t.Fatalf("change %+v, want %s → %s at %v", ch, tt.from, tt.to, t0)
				}
				return
			}
			var te *queue.TransitionError
			if !errors.As(err, &te) || !errors.Is(err, queue.ErrIllegalTransition) {
				t.Fatalf("got error %v, want a TransitionError", err)
			}
			if te.From != tt.from || te.To != tt.to || te.Agent != "1001" {
				t.Fatalf("got %+v, want 1001 %s → %s", *te, tt.from, tt.to)
			}
			for _, name := range []string{"1001", tt.from.String(), tt.to.String()} {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name %q", err, name)
				}
			}
			if got != tt.from || len(changes) != 0 {
				t.Fatalf("after the refusal: %s with %d changes, want %s unchanged", got, len(changes), tt.from)
			}
		})
	}
}

func TestCallOperationsNeedTheRightCallState(t *testing.T) {
	sales := queue.QueueConfig{Name: "sales"}
	tests := []struct {
		name string
		do   func(*queue.Center) error
		want error
	}{
		{"answer a waiting call", func(c *queue.Center) error { return c.Answered("c2", "1001") }, queue.ErrCallState},
		{"no answer for a waiting call", func(c *queue.Center) error { return c.NoAnswer("c2", "1001") }, queue.ErrCallState},
		{"end a waiting call", func(c *queue.Center) error { return c.EndCall("c2") }, queue.ErrCallState},
		{"end a ringing call", func(c *queue.Center) error { return c.EndCall("c1") }, queue.ErrCallState},
		{"transfer a ringing call", func(c *queue.Center) error { _, err := c.Transfer("c1", "sales"); return err }, queue.ErrCallState},
		{"call-back for a ringing call", func(c *queue.Center) error { return c.RequestCallback("c1", "r1", "") }, queue.ErrCallState},
		{"answer an unknown call", func(c *queue.Center) error { return c.Answered("zz", "1001") }, queue.ErrUnknownCall},
		{"enqueue twice", func(c *queue.Center) error {
			_, err := c.Enqueue(queue.Caller{CallID: "c2", Queue: "sales"})
			return err
		}, queue.ErrDuplicateCall},
		{"enqueue without an ID", func(c *queue.Center) error { _, err := c.Enqueue(queue.Caller{Queue: "sales"}); return err }, queue.ErrMissingID},
		{"enqueue to an unknown queue", func(c *queue.Center) error {
			_, err := c.Enqueue(queue.Caller{CallID: "c9", Queue: "nope"})
			return err
		}, queue.ErrUnknownQueue},
		{"not ready without a reason", func(c *queue.Center) error { return c.SetNotReady("1001", "") }, queue.ErrNoReason},
		{"unknown agent", func(c *queue.Center) error { return c.SetReady("9999") }, queue.ErrUnknownAgent},
		{"remove a logged-in agent", func(c *queue.Center) error { return c.RemoveAgent("1001") }, queue.ErrAgentLoggedIn},
		{"answer for another agent", func(c *queue.Center) error { return c.Answered("c1", "1002") }, queue.ErrNotOffered},
		{"no answer for another agent", func(c *queue.Center) error { return c.NoAnswer("c1", "1002") }, queue.ErrNotOffered},
		{"answer the ringing call", func(c *queue.Center) error { return c.Answered("c1", "1001") }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, sales)
			e.agent("1001", nil)
			e.ready("1001")
			e.enqueue("c1", "sales", 0)
			e.enqueue("c2", "sales", 0)
			if got := pairs(e.next().Offers); len(got) != 1 || got[0] != "c1>1001" {
				t.Fatalf("offers %v, want [c1>1001]", got)
			}
			wantErr(t, tt.do(e.c), tt.want)
			e.check()
		})
	}
}

func TestAgentStateText(t *testing.T) {
	for s := queue.LoggedOut; s <= queue.WrapUp; s++ {
		t.Run(s.String(), func(t *testing.T) {
			b, err := s.MarshalText()
			if err != nil {
				t.Fatal(err)
			}
			var got queue.AgentState
			if err := got.UnmarshalText(b); err != nil || got != s {
				t.Fatalf("got %v (%v) from %q, want %v", got, err, b, s)
			}
		})
	}
}
