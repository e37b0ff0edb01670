package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/hotline-ivr/hotline/ivr/acd"
)

// drainGate keeps a server that drains from dialling customers: Claim, the
// one gate before a customer is dialled, refuses while draining is set.
// The request stays pending in the store for the next start; the agent
// already rung for it is released. Call-backs connected before the drain
// finish as calls do.
type drainGate struct {
	acd.CallbackStore
	draining *atomic.Bool
}

func (g drainGate) Claim(ctx context.Context, id, instance string) (int, error) {
	if g.draining.Load() {
		return 0, fmt.Errorf("%w: %s: the server is draining; it is dialled after the next start", acd.ErrCallbackNotPending, id)
	}
	return g.CallbackStore.Claim(ctx, id, instance)
}
