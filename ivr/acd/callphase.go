package acd

import "fmt"

// CallPhase is where an agent's call stands, as [CallView] shows it: the
// agent's actions (hold, transfer, supervision) work only once it is
// CallTalking or CallHeld.
type CallPhase string

// The phases of an agent's call.
const (
	// CallRinging: the agent's phone rings.
	CallRinging CallPhase = "ringing"
	// CallConnecting: the agent answered; the caller hears the agent's ID
	// while the agent hears the whisper, and then they are bridged.
	CallConnecting CallPhase = "connecting"
	// CallDialing: a call-back; the agent answered and the customer's
	// phone rings.
	CallDialing CallPhase = "dialing"
	// CallTalking: caller and agent are bridged.
	CallTalking CallPhase = "talking"
	// CallHeld: the caller is on hold, out of the bridge.
	CallHeld CallPhase = "held"
)

// notConnectedError is ErrNoCall for an agent whose call is there but not
// bridged yet: it names the phase, so that the agent knows to wait.
type notConnectedError struct {
	agent string
	phase CallPhase
}

func (e *notConnectedError) Error() string {
	what := ""
	switch e.phase {
	case CallRinging:
		what = " (the agent's phone rings)"
	case CallConnecting:
		what = " (the caller hears the agent's ID and the agent the whisper)"
	case CallDialing:
		what = " (the customer's phone rings)"
	}
	return fmt.Sprintf("%s: agent %s's call is %s%s; try again once it is talking", ErrNoCall, e.agent, e.phase, what)
}

func (e *notConnectedError) Is(target error) bool { return target == ErrNoCall }

// showPhase sets the phase the call's view shows.
func (ses *session) showPhase(p CallPhase) {
	ses.setView(func(v *CallView) { v.Phase = p })
}

// notConnected is the error for an action on the agent's call before it
// is connected: ErrNoCall, naming the phase it is in.
func (ses *session) notConnected(agent string) error {
	ses.vmu.Lock()
	p, on := ses.view.Phase, ses.view.Agent == agent
	ses.vmu.Unlock()
	if !on || p == "" || ses.phase == done {
		return ErrNoCall
	}
	return &notConnectedError{agent: agent, phase: p}
}
