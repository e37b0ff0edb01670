package cluster_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/queue"
)

// TestWholeCentreViews: Queues and Agents show every instance's callers
// and agents, split by instance, whichever instance reads them.
func TestWholeCentreViews(t *testing.T) {
	e := newEnv(t)
	a, b := e.instance("a"), e.instance("b")
	e.queue(a, queue.QueueConfig{Name: "sales", Skills: []string{"sales"}, RingTimeout: time.Minute})
	e.queue(a, queue.QueueConfig{Name: "support", Skills: []string{"support"}})
	e.readyAgent(a, queue.AgentConfig{ID: "1001", Name: "Han Meimei", Skills: map[string]int{"sales": 5}})
	e.must(b.SetAgent(e.ctx, queue.AgentConfig{ID: "1002", Skills: map[string]int{"sales": 5, "support": 5}}))
	e.must(b.Login(e.ctx, "1002"))
	e.must(b.SetAgent(e.ctx, queue.AgentConfig{ID: "1003", Skills: map[string]int{"support": 5}}))
	now := e.clk.Now()
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "a1", Queue: "sales", Arrived: now.Add(-40 * time.Second)}))
	e.must(b.Enqueue(e.ctx, cluster.Caller{CallID: "b1", Queue: "sales", Arrived: now.Add(-30 * time.Second)}))
	e.must(b.Enqueue(e.ctx, cluster.Caller{CallID: "b2", Queue: "sales", Arrived: now.Add(-20 * time.Second), Callback: true, Number: "5550101"}))
	e.route(b) // a1 to 1001

	qs, err := b.Queues(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 2 || qs[0].Name != "sales" || qs[1].Name != "support" {
		t.Fatalf("queues %+v", qs)
	}
	s := qs[0]
	if s.Waiting != 2 || s.Callbacks != 1 || s.Offered != 1 || s.LongestWait != 30*time.Second || s.Ready != 0 || s.Staffed != 1 {
		t.Errorf("sales: %+v", s)
	}
	if ia, ib := s.ByInstance["a"], s.ByInstance["b"]; ia == nil || ib == nil || ia.Offered != 1 || ia.Staffed != 1 || ib.Waiting != 2 || ib.LongestWait != 30*time.Second || ib.Staffed != 0 {
		t.Errorf("sales by instance: a %+v, b %+v", s.ByInstance["a"], s.ByInstance["b"])
	}
	e.must(b.SetReady(e.ctx, "1002"))
	e.route(a) // b1 to 1002
	qs, _ = a.Queues(e.ctx)
	if s, sup := qs[0], qs[1]; s.Offered != 2 || s.Waiting != 1 || s.Staffed != 2 || sup.Staffed != 1 || sup.ByInstance["b"].Staffed != 1 {
		t.Errorf("after b1's offer: sales %+v, support %+v", s, sup)
	}

	ag := e.agents(b)
	if g := ag["1001"]; g.State != queue.Reserved || g.CallID != "a1" || g.Queue != "sales" || g.CallInstance != "a" || g.Home != "a" || g.Name != "Han Meimei" {
		t.Errorf("agent 1001: %+v", g)
	}
	if g := ag["1002"]; g.State != queue.Reserved || g.CallID != "b1" || g.CallInstance != "b" || g.Home != "b" {
		t.Errorf("agent 1002: %+v", g)
	}
	if g := ag["1003"]; g.State != queue.LoggedOut || g.Home != "" {
		t.Errorf("agent 1003: %+v", g)
	}
}

// TestErrors: each error names what it is about and matches queue's.
func TestErrors(t *testing.T) {
	e := newEnv(t)
	a, b := e.instance("a"), e.instance("b")
	e.queue(a, queue.QueueConfig{Name: "sales"})
	e.must(a.SetAgent(e.ctx, queue.AgentConfig{ID: "1001"}))
	for _, c := range []struct {
		err    error
		target error
		says   string
	}{
		{a.SetReady(e.ctx, "1001"), queue.ErrIllegalTransition, "agent 1001 cannot go from logged out to ready"},
		{a.SetReady(e.ctx, "9999"), queue.ErrUnknownAgent, "9999"},
		{a.SetNotReady(e.ctx, "1001", ""), queue.ErrNoReason, "1001"},
		{a.SetAgent(e.ctx, queue.AgentConfig{ID: "1002", Queues: []string{"nowhere"}}), queue.ErrUnknownQueue, "nowhere"},
		{a.SetAgent(e.ctx, queue.AgentConfig{ID: "1002", Skills: map[string]int{"x": 11}}), queue.ErrInvalidAgent, "level 11"},
		{a.SetQueue(e.ctx, queue.QueueConfig{Name: ""}), queue.ErrInvalidQueue, ""},
		{a.Enqueue(e.ctx, cluster.Caller{CallID: "c1", Queue: "nowhere"}), queue.ErrUnknownQueue, "nowhere"},
		{a.Enqueue(e.ctx, cluster.Caller{Queue: "sales"}), queue.ErrMissingID, ""},
		{a.Enqueue(e.ctx, cluster.Caller{CallID: "cb", Queue: "sales", Callback: true}), queue.ErrNoNumber, "cb"},
		{a.Answered(e.ctx, "c9", "1001"), queue.ErrUnknownCall, "c9"},
		{a.EndCall(e.ctx, "c9"), queue.ErrUnknownCall, "c9"},
	} {
		if !errors.Is(c.err, c.target) || !strings.Contains(errString(c.err), c.says) {
			t.Errorf("error %v: want %v naming %q", c.err, c.target, c.says)
		}
	}
	var te *queue.TransitionError
	if err := a.Logout(e.ctx, "1001"); !errors.As(err, &te) || te.Agent != "1001" || te.From != queue.LoggedOut || te.To != queue.LoggedOut {
		t.Errorf("logout of a logged-out agent: %v", err)
	}
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "c1", Queue: "sales"}))
	wantErr(t, b.Enqueue(e.ctx, cluster.Caller{CallID: "c1", Queue: "sales"}), queue.ErrDuplicateCall)
	for _, err := range []error{b.Abandon(e.ctx, "c1"), b.Answered(e.ctx, "c1", "1001"), b.NoAnswer(e.ctx, "c1", "1001"), b.EndCall(e.ctx, "c1")} {
		if !errors.Is(err, cluster.ErrNotOwner) || !strings.Contains(err.Error(), "c1") {
			t.Errorf("b acting on a's call: %v", err)
		}
	}
	wantErr(t, a.Answered(e.ctx, "c1", "1001"), queue.ErrCallState)
	wantErr(t, a.EndCall(e.ctx, "c1"), queue.ErrCallState)
	e.readyAgent(a, queue.AgentConfig{ID: "1002"})
	e.route(a)
	wantErr(t, a.Answered(e.ctx, "c1", "1001"), queue.ErrNotOffered)
	if _, err := cluster.New(e.ctx, e.pool, cluster.Config{Instance: "bad name"}); !errors.Is(err, cluster.ErrInvalid) {
		t.Errorf("a bad instance name: %v", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
