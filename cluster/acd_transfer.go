package cluster

import (
	"context"

	"github.com/hotline-ivr/hotline/ivr/acd"
)

// TransferToAgent is the agent's blind transfer of this instance's call to
// a colleague, as the ACD makes it (acd shared_transfer.go).
func (a *acdRouter) TransferToAgent(ctx context.Context, callID, target string) (acd.SharedOffer, error) {
	o, err := a.c.TransferToAgent(ctx, a.key(callID), target)
	if err != nil {
		return acd.SharedOffer{}, refused(err)
	}
	return a.offer(o), nil
}
