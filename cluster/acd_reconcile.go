package cluster

import (
	"context"

	"github.com/hotline-ivr/hotline/ivr/acd"
)

// Calls is this instance's callers as the ACD reconciles them after a
// resync (acd shared_reconcile.go), under the ACD's IDs.
func (a *acdRouter) Calls(ctx context.Context) ([]acd.SharedCall, error) {
	vs, err := a.c.Calls(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]acd.SharedCall, 0, len(vs))
	for _, v := range vs {
		out = append(out, acd.SharedCall{State: v.State, Callback: v.Callback, Offer: acd.SharedOffer{CallID: a.local(v.CallID), Instance: a.c.Instance(),
			Agent: v.Agent, AgentName: v.AgentName, Device: v.Device, Home: v.Home, Queue: v.Queue, Deadline: v.Deadline,
			Attempt: v.Attempts, Number: v.Number}})
	}
	return out, nil
}

// HeldCalls is the other instances' calls holding this instance's agents,
// under the cluster's IDs, as the ACD reconciles them after a resync.
func (a *acdRouter) HeldCalls(ctx context.Context) ([]acd.SharedCall, error) {
	hs, err := a.c.HeldCalls(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]acd.SharedCall, 0, len(hs))
	for _, h := range hs {
		o := a.offer(h.Offer)
		o.WrapUpEnds, o.WaitingForDisposition = h.WrapUpEnds, h.Disposition
		out = append(out, acd.SharedCall{State: h.State, Offer: o})
	}
	return out, nil
}
