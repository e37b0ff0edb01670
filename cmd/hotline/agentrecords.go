package main

import (
	"log/slog"
	"sync"
	"time"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store"
)

// recordAdder takes call records without waiting: store.Writer.
type recordAdder interface{ Add(store.Record) }

// legMemory bounds the calls whose agent legs storeAgentRecords keeps
// adding up: far more than are ever connected at once.
const legMemory = 10_000

// storeAgentRecords writes what the ACD records to the call records: each
// agent state change as a row of agent_state_changes, and each agent leg of
// a call into the call's row (its holds, hold time and transfers, added up
// over the call's legs, and the first agent who answered it), merged with
// what the call's journey writes.
type storeAgentRecords struct {
	w   recordAdder
	log *slog.Logger

	mu    sync.Mutex
	legs  map[string]*legTotals // by call ID
	order []string              // call IDs in legs, oldest first
}

// legTotals is what a call's agent legs so far add up to.
type legTotals struct {
	holds, transfers int
	holdTime         time.Duration
}

var _ acd.Records = (*storeAgentRecords)(nil)

func newStoreAgentRecords(w recordAdder, log *slog.Logger) *storeAgentRecords {
	return &storeAgentRecords{w: w, log: log, legs: map[string]*legTotals{}}
}

func (r *storeAgentRecords) AgentStateChanges(changes []queue.AgentStateChange) {
	for _, c := range changes {
		r.w.Add(storeStateChange(c))
	}
}

func storeStateChange(c queue.AgentStateChange) store.AgentStateChange {
	state, _ := c.State.MarshalText()
	return store.AgentStateChange{AgentID: c.Agent, At: c.At, State: string(state), Reason: c.Reason, CallID: c.CallID}
}

func (r *storeAgentRecords) AgentCall(rec acd.AgentCall) {
	if rec.Callback {
		// A call-back's conversation has no row of its own in the calls
		// table (its ID is the request's, not a caller's channel): its
		// agent's states are recorded, the leg only logged.
		logAgentCall(r.log, rec)
		return
	}
	r.mu.Lock()
	t, seen := r.legs[rec.CallID]
	if !seen {
		t = &legTotals{}
		r.legs[rec.CallID] = t
		r.order = append(r.order, rec.CallID)
		if len(r.order) > legMemory {
			delete(r.legs, r.order[0])
			r.order = r.order[1:]
		}
	}
	t.holds += rec.Holds
	t.holdTime += rec.HoldTime
	t.transfers += rec.Transfers
	row := store.Call{ID: rec.CallID, Holds: t.holds, HoldTime: t.holdTime, Transfers: t.transfers}
	r.mu.Unlock()
	if !seen {
		row.AgentID, row.AgentAnsweredAt = rec.Agent, rec.Answered
	}
	r.w.Add(row)
}

// logAgentRecords logs what the ACD records when there is no database.
type logAgentRecords struct{ log *slog.Logger }

func (l logAgentRecords) AgentStateChanges(changes []queue.AgentStateChange) {
	for _, c := range changes {
		l.log.Info("agent state", "agent", c.Agent, "from", c.From.String(), "state", c.State.String(),
			"reason", c.Reason, "call", c.CallID, "queue", c.Queue)
	}
}

func (l logAgentRecords) AgentCall(rec acd.AgentCall) { logAgentCall(l.log, rec) }

func logAgentCall(log *slog.Logger, rec acd.AgentCall) {
	log.Info("agent call", "call", rec.CallID, "agent", rec.Agent, "queue", rec.Queue, "callback", rec.Callback,
		"talk", rec.Ended.Sub(rec.Answered).Round(time.Second).String(), "holds", rec.Holds,
		"hold_time", rec.HoldTime.String(), "transfers", rec.Transfers, "ended_by", rec.EndedBy)
}
