package store_test

import (
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store"
)

// added keeps the records handed to the writer.
type added []store.Record

func (a *added) Add(r store.Record) { *a = append(*a, r) }

func TestAgentRecords(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var w added
	r := store.NewAgentRecords(&w, slog.New(slog.DiscardHandler))

	r.AgentStateChanges([]queue.AgentStateChange{
		{Agent: "1001", At: t0, From: queue.Ready, State: queue.Reserved, CallID: "c1", Queue: "support"},
		{Agent: "1001", At: t0.Add(time.Second), From: queue.OnCall, State: queue.WrapUp, CallID: "c1"},
		{Agent: "1002", At: t0.Add(2 * time.Second), From: queue.Ready, State: queue.NotReady, Reason: "break"},
		// The end of c1's wrap-up; a call-back's has no call row.
		{Agent: "1001", At: t0.Add(time.Minute), From: queue.WrapUp, State: queue.Ready, CallID: "c1", Queue: "support"},
		{Agent: "1003", At: t0.Add(time.Minute), From: queue.WrapUp, State: queue.Ready, CallID: "cb-c9/1", Callback: true},
	})
	r.Disposition(acd.Disposition{CallID: "c1", Agent: "1001", Code: "network-setup", Note: "router reset", At: t0})
	r.Disposition(acd.Disposition{CallID: "cb-c9/1", Callback: true, Agent: "1003", Code: "usage", At: t0})
	// c1: 1001 holds once and transfers it to 1002, who holds twice.
	r.AgentCall(acd.AgentCall{CallID: "c1", Agent: "1001", Queue: "support", Answered: t0, Ended: t0.Add(time.Minute),
		Holds: 1, HoldTime: 10 * time.Second, Transfers: 1, EndedBy: "transfer"})
	r.AgentCall(acd.AgentCall{CallID: "c1", Agent: "1002", Queue: "support", Answered: t0.Add(2 * time.Minute),
		Ended: t0.Add(5 * time.Minute), Holds: 2, HoldTime: 30 * time.Second, EndedBy: "caller"})
	// A call-back's conversation has no call row.
	r.AgentCall(acd.AgentCall{CallID: "cb-c9/1", Agent: "1003", Queue: "support", Callback: true, Answered: t0,
		Ended: t0.Add(time.Minute), Holds: 1, EndedBy: "agent"})

	want := added{
		store.AgentStateChange{AgentID: "1001", At: t0, State: "ringing", CallID: "c1"},
		store.AgentStateChange{AgentID: "1001", At: t0.Add(time.Second), State: "wrap_up", CallID: "c1"},
		store.AgentStateChange{AgentID: "1002", At: t0.Add(2 * time.Second), State: "not_ready", Reason: "break"},
		store.AgentStateChange{AgentID: "1001", At: t0.Add(time.Minute), State: "ready", CallID: "c1"},
		store.Call{ID: "c1", WrapUpEndedAt: t0.Add(time.Minute)},
		store.AgentStateChange{AgentID: "1003", At: t0.Add(time.Minute), State: "ready", CallID: "cb-c9/1"},
		store.Call{ID: "c1", Disposition: "network-setup", DispositionNote: "router reset"},
		store.Call{ID: "c1", AgentID: "1001", AgentAnsweredAt: t0, Holds: 1, HoldTime: 10 * time.Second, Transfers: 1},
		store.Call{ID: "c1", Holds: 3, HoldTime: 40 * time.Second, Transfers: 1},
	}
	if !reflect.DeepEqual(w, want) {
		t.Errorf("records written:\ngot  %+v\nwant %+v", w, want)
	}
}
