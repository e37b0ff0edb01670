package acd

import (
	"context"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/queue"
)

// LiveStore keeps where the service's agents and callers stand now, so
// that the next instance goes on from there (PostgreSQL in production:
// store.ACDState). Save and Forget must not block: they hand the change
// over and return (the newest change of a row wins). Load is called once
// the events socket is up, before any call is adopted.
type LiveStore interface {
	SaveAgent(a AgentRecord)
	SaveCall(c QueuedCall)
	// ForgetCall says the caller left the queues at at.
	ForgetCall(callID string, at time.Time)
	Load(ctx context.Context) ([]AgentRecord, []QueuedCall, error)
}

// AgentRecord is an agent's current state.
type AgentRecord struct {
	Agent  string
	State  queue.AgentState
	Reason string
	Since  time.Time
	CallID string // ringing, on call, wrap-up: the call
	Queue  string // that call's queue
}

// Phase is where a queued caller stands, as LiveStore keeps it.
type Phase string

// The phases of a queued caller.
const (
	PhaseWaiting Phase = "waiting" // in line (music, announcements)
	PhaseRinging Phase = "ringing" // an agent's phone rings for it
	PhaseTalking Phase = "talking" // in its bridge with the agent
	PhaseHeld    Phase = "held"    // out of the bridge, on hold
)

// QueuedCall is a live caller in a queue: what the next instance needs to
// adopt it. Call says where the call runs (flow, version, node, language,
// path, variables, arrivals) for the engine's resume.
type QueuedCall struct {
	Call     ivr.CallState
	Instance string
	At       time.Time // when it came to stand where it stands: the row's version
	Phase    Phase
	Queue    string
	Priority int
	Skills   []string
	// Order breaks ties between callers of one priority who joined at the
	// same moment (Call.QueueArrived): the lower is ahead.
	Order uint64

	// A conversation (ringing: the agent only).
	Bridge       string
	Agent        string
	AgentChannel string
	Answered     time.Time
	Holds        int
	HoldTime     time.Duration
	HeldSince    time.Time
	Transfers    int
}
