package store

import (
	"log/slog"
	"sync"
	"time"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// RecordAdder takes call records without waiting: a Writer.
type RecordAdder interface{ Add(Record) }

// legMemory bounds the calls whose agent legs AgentRecords keeps
// adding up: far more than are ever connected at once.
const legMemory = 10_000

// AgentRecords writes what the ACD records to the call records (it is the
// ACD's acd.Records): each
// agent state change as a row of agent_state_changes, and each agent leg of
// a call into the call's row (its holds, hold time and transfers, added up
// over the call's legs, and the first agent who answered it), merged with
// what the call's journey writes.
type AgentRecords struct {
	w   RecordAdder
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

var _ acd.Records = (*AgentRecords)(nil)

// NewAgentRecords writes the ACD's records through w.
func NewAgentRecords(w RecordAdder, log *slog.Logger) *AgentRecords {
	return &AgentRecords{w: w, log: log, legs: map[string]*legTotals{}}
}

// AgentStateChanges implements acd.Records. The end of an agent's wrap-up
// is also the call's wrap_up_ended_at (a call-back's conversation has no
// row of its own).
func (r *AgentRecords) AgentStateChanges(changes []queue.AgentStateChange) {
	for _, c := range changes {
		r.w.Add(agentStateChangeOf(c))
		if c.From == queue.WrapUp && c.CallID != "" && !c.Callback {
			r.w.Add(Call{ID: c.CallID, WrapUpEndedAt: c.At})
		}
	}
}

// Disposition implements acd.Records: the call's disposition and the
// agent's note (a call-back's conversation's are only logged).
func (r *AgentRecords) Disposition(d acd.Disposition) {
	if d.Callback {
		acd.LogRecords{Logger: r.log}.Disposition(d)
		return
	}
	r.w.Add(Call{ID: d.CallID, Disposition: d.Code, DispositionNote: d.Note})
}

func agentStateChangeOf(c queue.AgentStateChange) AgentStateChange {
	state, _ := c.State.MarshalText()
	return AgentStateChange{AgentID: c.Agent, At: c.At, State: string(state), Reason: c.Reason, CallID: c.CallID}
}

// AgentCall implements acd.Records.
func (r *AgentRecords) AgentCall(rec acd.AgentCall) {
	if rec.Outbound != nil {
		r.outboundCall(rec)
		return
	}
	if rec.Callback {
		// A call-back's conversation has no row of its own in the calls
		// table (its ID is the request's, not a caller's channel): its
		// agent's states are recorded, the leg only logged.
		acd.LogAgentCall(r.log, rec)
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
	row := Call{ID: rec.CallID, Holds: t.holds, HoldTime: t.holdTime, Transfers: t.transfers}
	r.mu.Unlock()
	if !seen {
		row.AgentID, row.AgentAnsweredAt = rec.Agent, rec.Answered
	}
	r.w.Add(row)
}
