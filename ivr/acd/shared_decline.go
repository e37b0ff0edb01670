package acd

import (
	"context"

	"github.com/hotline-ivr/hotline/queue"
)

// decline: this instance's Center could not hold its agent for another
// instance's call (err). When the agent is not ready or logged out here
// (it changed here at that moment, and the router had not heard of it
// yet), the router is asked to withdraw the offer, giving the agent the
// state it has here: the caller's instance stops ringing and its caller
// waits on in its place; a decline the router refuses (the offer moved on
// meanwhile) is dropped. When the agent is busy here instead (ringing, on
// a call or in wrap-up: this Center has not yet heard how its last call
// ended, which the router has; the stress test sees it under load), or
// ready but not for that queue, the call goes on without this Center:
// declining would make the agent not ready in the router, and nothing
// here would make it ready again (a ring that ends is not reported).
func (sh *sharing) decline(o SharedOffer, err error) {
	to, reason := queue.LoggedOut, ""
	st, aerr := sh.s.center.Agent(o.Agent)
	switch {
	case aerr != nil || st.State == queue.LoggedOut:
	case st.State == queue.NotReady:
		to, reason = queue.NotReady, st.Reason
		if reason == "" {
			reason = "declined" // the router needs one
		}
	default:
		sh.s.log.Warn("shared router: another instance's call for an agent this instance cannot hold now; not followed here",
			"call", o.CallID, "agent", o.Agent, "here", st.State.String(), "error", err)
		return
	}
	sh.s.log.Warn("shared router: another instance's call for an agent not free here; declined",
		"call", o.CallID, "agent", o.Agent, "here", to.String(), "error", err)
	sh.report("decline "+o.CallID, func(ctx context.Context) error {
		return sh.api.Decline(ctx, o.CallID, o.Agent, to, reason)
	})
}
