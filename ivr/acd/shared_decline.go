package acd

import (
	"context"

	"github.com/hotline-ivr/hotline/queue"
)

// ReasonDeclined is the not-ready reason of an agent whose home declined
// another instance's call for it while the agent was neither not ready nor
// logged out there (in wrap-up a moment longer than the router thought,
// say): the home's next change of the agent (Ready at the wrap-up's end)
// puts the router right.
const ReasonDeclined = "declined"

// decline: this instance's Center could not hold its agent for another
// instance's call (err): the agent changed here at that moment (not
// ready, logged out) and the router had not heard of it yet. The router
// is asked to withdraw the offer, giving the agent the state it has here;
// the caller's instance stops ringing and its caller waits on in its
// place. A decline the router refuses (the offer moved on meanwhile) is
// dropped.
func (sh *sharing) decline(o SharedOffer, err error) {
	to, reason, here := queue.LoggedOut, "", "unknown"
	if st, aerr := sh.s.center.Agent(o.Agent); aerr == nil {
		here = st.State.String()
		switch {
		case st.State == queue.LoggedOut:
		case st.State == queue.NotReady && st.Reason != "":
			to, reason = queue.NotReady, st.Reason
		default:
			to, reason = queue.NotReady, ReasonDeclined
		}
	}
	sh.s.log.Warn("shared router: another instance's call for an agent not free here; declined",
		"call", o.CallID, "agent", o.Agent, "here", here, "error", err)
	sh.report("decline "+o.CallID, func(ctx context.Context) error {
		return sh.api.Decline(ctx, o.CallID, o.Agent, to, reason)
	})
}
