package ivr

import (
	"context"
	"time"
)

// Journey is one call's path through the hotline, built by the call's
// goroutine as it goes and handed to a [JourneySink] when the call ends:
// what QA and the reports are made of.
type Journey struct {
	CallID      string // the ARI channel id
	Channel     string // the channel name
	Hotline     string // the dialled number
	Caller      string // the caller's number
	Flow        string
	FlowVersion int
	Language    string
	Arrived     time.Time
	Answered    time.Time // zero if never answered
	Ended       time.Time
	// Outcome is how the call ended: OutcomeSelfService, OutcomeQueued,
	// OutcomeTransferred, OutcomeAbandoned, OutcomeNoInput, OutcomeError...
	Outcome  string
	HungUpBy string // HungUpByCaller or HungUpBySystem
	// Vars are the call's variables at the end; sensitive ones masked.
	Vars   map[string]string
	Events []JourneyEvent
}

// JourneyEvent is one step: a node entered, a prompt, a key, a lookup...
type JourneyEvent struct {
	Seq    int
	At     time.Time
	Kind   string // EventNode, EventPrompt, EventKey, ...
	Node   string
	Detail map[string]any
}

// Journey event kinds.
const (
	EventArrived   = "arrived"
	EventAnswered  = "answered"
	EventNode      = "node"
	EventPrompt    = "prompt"
	EventKey       = "key" // detail "key": the key, "*" when it went into a sensitive collect
	EventNoInput   = "no_input"
	EventInvalid   = "invalid"
	EventCollected = "collected"
	EventLookup    = "lookup"
	EventMessage   = "message"
	EventQueue     = "queue"
	EventTransfer  = "transfer"
	EventSurvey    = "survey"
	EventHangup    = "hangup"
	EventHandoff   = "handoff" // the instance stopped; the next one adopts the call
	EventResumed   = "resumed" // adopted by this instance after a restart
	EventError     = "error"
)

// Outcomes.
const (
	// OutcomeSelfService: the IVR served the caller. A call passes a
	// self-service success point when a lookup answers, a say node tells
	// the caller a value, or a hangup node with prompts answers a menu
	// choice; it is self-service when it then ends in the flow (the flow
	// or the caller hanging up) without reaching a queue, transfer or
	// message node afterwards, and without the no-input script or an
	// error ending it.
	OutcomeSelfService = "self_service"
	OutcomeQueued      = "queued" // handed to a queue
	OutcomeTransferred = "transferred"
	OutcomeAbandoned   = "abandoned" // the caller hung up in the IVR
	OutcomeNoInput     = "no_input"  // the silent-caller script hung up
	OutcomeMessage     = "message"   // left a voice message
	OutcomeCompleted   = "completed" // the flow hung up normally
	OutcomeError       = "error"     // the engine failed; the caller heard an apology
	OutcomeLost        = "lost"      // the channel vanished while ARI was disconnected
)

// Who hung up.
const (
	HungUpByCaller = "caller"
	HungUpBySystem = "system"
	// HungUpByAgent: the agent hung up and the flow had nothing more for
	// the caller (its queue node's next is a hang-up).
	HungUpByAgent = "agent"
)

// JourneySink takes finished journeys (the call-records store). It must
// not block the call for long: a slow store is the store's problem.
type JourneySink interface {
	RecordJourney(ctx context.Context, j *Journey)
}
