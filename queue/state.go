package queue

import (
	"fmt"
)

// AgentState is where an agent is in its working day.
type AgentState uint8

// The agent states. The zero value is LoggedOut.
const (
	// LoggedOut agents take no calls and count for no queue.
	LoggedOut AgentState = iota
	// NotReady agents are logged in but take no calls, for a reason (a
	// break, a meeting, "missed" after letting an offer ring out).
	NotReady
	// Ready agents wait for a call.
	Ready
	// Reserved agents have been offered a call: their phone rings. Its
	// name, as the schema's, is "ringing".
	Reserved
	// OnCall agents talk to a caller.
	OnCall
	// WrapUp agents finish the last call's paperwork; the queue's wrap-up
	// time brings them back to Ready.
	WrapUp
)

var stateNames = [...]string{
	LoggedOut: "logged out",
	NotReady:  "not ready",
	Ready:     "ready",
	Reserved:  "ringing",
	OnCall:    "on call",
	WrapUp:    "wrap-up",
}

var stateTexts = [...]string{
	LoggedOut: "logged_out",
	NotReady:  "not_ready",
	Ready:     "ready",
	Reserved:  "ringing",
	OnCall:    "on_call",
	WrapUp:    "wrap_up",
}

// String names the state for people: "logged out", "on call".
func (s AgentState) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("AgentState(%d)", uint8(s))
}

// MarshalText names the state for machines, as the agent_state_changes
// table of the records does: logged_out, not_ready, ready, ringing,
// on_call, wrap_up.
func (s AgentState) MarshalText() ([]byte, error) {
	if int(s) < len(stateTexts) {
		return []byte(stateTexts[s]), nil
	}
	return nil, fmt.Errorf("queue: unknown agent state %d", uint8(s))
}

// UnmarshalText reads what MarshalText writes (and "reserved", the name
// of Reserved in records written before it was named as the schema does).
func (s *AgentState) UnmarshalText(b []byte) error {
	if string(b) == "reserved" {
		*s = Reserved
		return nil
	}
	for i, t := range stateTexts {
		if t == string(b) {
			*s = AgentState(i)
			return nil
		}
	}
	return fmt.Errorf("queue: %q is not an agent state", b)
}

// Reasons the center itself gives for a state.
const (
	// ReasonLogin is the NotReady reason of an agent who just logged in.
	ReasonLogin = "login"
	// ReasonMissed is the NotReady reason of an agent who let an offer
	// ring out (ring-no-answer).
	ReasonMissed = "missed"
	// ReasonAbandoned is the Ready reason of an agent whose offer was
	// withdrawn because the caller hung up while it rang.
	ReasonAbandoned = "abandoned"
)

// cause says who asks for a transition: some states are only left because
// of a call, never at the agent's request.
type cause uint8

const (
	byLogin    cause = 1 << iota // login
	byAgent                      // ready, not ready, logout, end wrap-up
	byCall                       // offer, answer, no answer, abandon, end, wrap-up timer
	byRestore                    // a restart puts a logged-out agent back where it was
	byOutbound                   // an agent's own outbound call (outbound.go)
)

// transitions is the agent state machine: for each from → to, who may ask
// for it. Anything missing is illegal.
var transitions = map[AgentState]map[AgentState]cause{
	LoggedOut: {NotReady: byLogin},
	NotReady:  {NotReady: byAgent, Ready: byAgent, LoggedOut: byAgent},
	Ready:     {NotReady: byAgent, LoggedOut: byAgent, Reserved: byCall},
	Reserved:  {OnCall: byCall, NotReady: byCall, Ready: byCall},
	OnCall:    {WrapUp: byCall},
	WrapUp:    {Ready: byAgent | byCall, NotReady: byAgent, LoggedOut: byAgent},
}

func allowed(from, to AgentState, by cause) bool {
	switch by {
	case byRestore:
		return from == LoggedOut && to != LoggedOut && to != Reserved
	case byOutbound:
		return outboundAllowed(from, to)
	}
	return transitions[from][to]&by != 0
}

// TransitionError is an agent state change the state machine does not allow.
// It matches [ErrIllegalTransition] with errors.Is.
type TransitionError struct {
	Agent    string
	From, To AgentState
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("agent %s cannot go from %s to %s", e.Agent, e.From, e.To)
}

// Unwrap returns [ErrIllegalTransition].
func (e *TransitionError) Unwrap() error { return ErrIllegalTransition }
