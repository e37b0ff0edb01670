package acd

import (
	"context"

	"github.com/hotline-ivr/hotline/queue"
)

// decline: this instance's Center could not take its own agent for a
// call of the router's (err): a hold for another instance's call, or an
// offer of one of its own callers. When the agent is not ready or logged
// out here (it changed here at that moment, and the router had not heard
// of it yet), the router is asked to withdraw the offer, giving the agent
// the state it has here: the caller's instance stops ringing and its
// caller waits on in its place; a decline the router refuses (the offer
// moved on meanwhile) is dropped.
//
// When the agent is busy here (ringing, on a call or in wrap-up: this
// Center has not yet heard how its last call ended, which the router
// has; the stress test sees it under load): for an offer of its own
// caller, it is declined too, the agent not ready ("busy") in the router
// until its next own state here is published whatever it follows
// (republish): reporting a no answer instead left the agent "missed" in
// the router for good, as nothing here makes it ready again; a hold is
// left to go on without this Center (hold false: the caller's instance
// carries the call, and this Center catches up). Ready here but not for
// that queue (the servers' configurations differ) is only logged.
func (sh *sharing) decline(o SharedOffer, err error, hold bool) {
	to, reason := queue.LoggedOut, ""
	st, aerr := sh.s.center.Agent(o.Agent)
	switch {
	case aerr != nil || st.State == queue.LoggedOut:
	case st.State == queue.NotReady:
		to, reason = queue.NotReady, st.Reason
		if reason == "" {
			reason = "declined" // the router needs one
		}
	case st.State != queue.Ready && !hold:
		to, reason = queue.NotReady, sharedBusyHere
		sh.republish(o.Agent)
	default:
		sh.s.log.Warn("shared router: a call of the router for an agent this instance cannot take now; not followed here",
			"call", o.CallID, "agent", o.Agent, "here", st.State.String(), "error", err)
		return
	}
	sh.s.log.Warn("shared router: a call of the router for an agent not free here; declined",
		"call", o.CallID, "agent", o.Agent, "here", st.State.String(), "error", err)
	id := o.CallID // the router's
	sh.report("decline "+id, func(ctx context.Context) error {
		return sh.api.Decline(ctx, id, o.Agent, to, reason)
	})
}

// sharedBusyHere is the router's reason for an agent its home found busy
// when the router offered it one of the home's callers.
const sharedBusyHere = "busy"

// republish makes the next own state of agent here (ready, not ready,
// logged out) published, whatever it follows.
func (sh *sharing) republish(agent string) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.toRepublish == nil {
		sh.toRepublish = map[string]bool{}
	}
	sh.toRepublish[agent] = true
}

// between says whether an agent in state st is between calls (ready, not
// ready or signed out): a state its home publishes to the router.
func between(st queue.AgentState) bool {
	return st == queue.Ready || st == queue.NotReady || st == queue.LoggedOut
}

// republishing says whether ch is such a state, once.
func (sh *sharing) republishing(ch queue.AgentStateChange) bool {
	if !between(ch.State) {
		return false
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if !sh.toRepublish[ch.Agent] {
		return false
	}
	delete(sh.toRepublish, ch.Agent)
	return true
}
