package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

func newACDState(t *testing.T, url, instance string) *store.ACDState {
	t.Helper()
	st := store.NewACDState(open(t, url), store.ACDStateConfig{Instance: instance,
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Logger: testLogger(t, nil)})
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	return st
}

// TestACDStateKeepsTheNewest: agents' states and queued calls written by
// one instance are loaded by the next; the newest change of a row wins
// (an older one written later changes nothing), and a call forgotten is
// gone.
func TestACDStateKeepsTheNewest(t *testing.T) {
	url := pgtest.New(t)
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	a := newACDState(t, url, "a")
	a.SaveAgent(acd.AgentRecord{Agent: "1001", State: queue.NotReady, Reason: "break", Since: at})
	a.SaveAgent(acd.AgentRecord{Agent: "1001", State: queue.Ready, Since: at.Add(time.Second)})
	a.SaveAgent(acd.AgentRecord{Agent: "1002", State: queue.OnCall, Since: at, CallID: "c1", Queue: "after-sales"})
	c1 := acd.QueuedCall{
		Call: ivr.CallState{CallID: "c1", Caller: "13800000001", Hotline: "4008001000", Language: "zh", Flow: "demo",
			FlowVersion: 3, Node: "repair", Vars: map[string]string{"order": "42"}, Path: []string{"welcome", "menu"},
			Arrived: at.Add(-time.Minute), QueueArrived: at.Add(-30 * time.Second)},
		At: at, Phase: acd.PhaseTalking, Queue: "after-sales", Priority: 10, Skills: []string{"zh"},
		Bridge: "acd-b1", Agent: "1002", AgentChannel: "acd-l1", Answered: at, Holds: 1, HoldTime: 5 * time.Second,
	}
	a.SaveCall(c1)
	gone := acd.QueuedCall{Call: ivr.CallState{CallID: "c2", QueueArrived: at}, At: at, Phase: acd.PhaseWaiting, Queue: "after-sales"}
	a.SaveCall(gone)
	a.ForgetCall("c2", at.Add(time.Second))
	if err := a.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	// An older change written afterwards (an instance's late write) loses.
	b := newACDState(t, url, "b")
	b.SaveAgent(acd.AgentRecord{Agent: "1001", State: queue.NotReady, Reason: "stale", Since: at.Add(-time.Hour)})
	if err := b.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	agents, calls, err := newACDState(t, url, "c").Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wantAgents := []acd.AgentRecord{
		{Agent: "1001", State: queue.Ready, Since: at.Add(time.Second)},
		{Agent: "1002", State: queue.OnCall, Since: at, CallID: "c1", Queue: "after-sales"},
	}
	for i := range agents {
		agents[i].Since = agents[i].Since.UTC()
	}
	if !slices.Equal(agents, wantAgents) {
		t.Errorf("agents:\ngot  %+v\nwant %+v", agents, wantAgents)
	}
	if len(calls) != 1 {
		t.Fatalf("calls: %+v, want c1 only", calls)
	}
	got := calls[0]
	if got.Call.CallID != "c1" || got.Call.Flow != "demo" || got.Call.FlowVersion != 3 || got.Call.Node != "repair" ||
		got.Call.Vars["order"] != "42" || !slices.Equal(got.Call.Path, c1.Call.Path) || !got.Call.QueueArrived.Equal(c1.Call.QueueArrived) ||
		!got.Call.Arrived.Equal(c1.Call.Arrived) || got.Instance != "a" || got.Phase != acd.PhaseTalking ||
		got.Bridge != "acd-b1" || got.Agent != "1002" || got.AgentChannel != "acd-l1" || !got.Answered.Equal(at) ||
		got.Holds != 1 || got.HoldTime != 5*time.Second || got.Priority != 10 || !slices.Equal(got.Skills, []string{"zh"}) {
		t.Errorf("call:\ngot  %+v\nwant %+v", got, c1)
	}
}

// TestACDStateWhilePostgreSQLIsDown: changes made while PostgreSQL is down
// wait (never blocking the caller) and are written once it is back.
func TestACDStateWhilePostgreSQLIsDown(t *testing.T) {
	ctx := t.Context()
	srv := pgtest.NewServer(t)
	url := migratedDatabase(t, srv)
	st := newACDState(t, url, "a")
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for {
		changed := st.Changed()
		st.SaveAgent(acd.AgentRecord{Agent: "1001", State: queue.Ready, Since: at})
		<-changed
		if st.Err() != nil {
			break
		}
	}
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(ctx); err != nil {
		t.Fatal(err)
	}
	agents, _, err := newACDState(t, url, "b").Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(agents) != 1 || agents[0].State != queue.Ready {
		t.Errorf("agents after the outage: %+v, want 1001 ready", agents)
	}
}

// TestACDStateCloseTimesOut: Close whose ctx ends before the pending
// changes are written (PostgreSQL down) says how many were lost; it
// panicked (a nil channel closed) until it was made with the others.
func TestACDStateCloseTimesOut(t *testing.T) {
	srv := pgtest.NewServer(t)
	url := migratedDatabase(t, srv)
	st := store.NewACDState(open(t, url), store.ACDStateConfig{Instance: "a",
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Logger: testLogger(t, nil)})
	if err := srv.Stop(t.Context()); err != nil {
		t.Fatal(err)
	}
	changed := st.Changed()
	st.SaveAgent(acd.AgentRecord{Agent: "1001", State: queue.Ready, Since: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)})
	<-changed
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := st.Close(ctx); err == nil {
		t.Error("Close with PostgreSQL down and its ctx over: no error, want the changes not written")
	}
}
