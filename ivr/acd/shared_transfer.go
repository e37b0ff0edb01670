package acd

import (
	"context"
	"errors"
	"fmt"

	"github.com/hotline-ivr/hotline/queue"
)

// sharedTransferToAgent is TransferToAgent in a centre of several
// instances: the colleague may have signed in at any of them. The router
// makes the transfer first (the agent's part ends, the colleague, who
// must be ready there, is reserved), through the ordered reports with
// its answer waited for; then this instance's Center follows it
// (TransferToAgent for a colleague of its own, TransferToRemote for
// another instance's) and rings the colleague from its Asterisk, as any
// offer of its caller.
func (s *Service) sharedTransferToAgent(ctx context.Context, agent, target string) error {
	sh := s.shared
	if st, err := s.center.Agent(target); err == nil && st.State != queue.LoggedOut && st.State != queue.Ready {
		// Signed in here: its state here is the truth.
		return fmt.Errorf("%w: agent %s is %s", queue.ErrAgentNotReady, target, st.State)
	}
	_, err := s.onCall(ctx, agent, func(ctx context.Context, ses *session) (string, error) {
		var so SharedOffer
		err := sh.reportWait(ctx, "transfer "+ses.id+" to "+target, func(ctx context.Context) error {
			var err error
			so, err = sh.api.TransferToAgent(ctx, ses.id, target)
			return err
		})
		if err != nil {
			if errors.Is(err, ErrSharedRefused) {
				return "", err // it says why: not ready, unknown agent
			}
			return "", fmt.Errorf("the centre's router does not answer; transfer to a queue instead: %w", err)
		}
		var o queue.Offer
		if so.Home == sh.me {
			o, err = s.center.TransferToAgent(ses.id, target)
		} else {
			o, err = s.center.TransferToRemote(ses.id, queue.RemoteAgent{ID: target, Name: so.AgentName, Device: so.Device})
		}
		if err != nil {
			// The router has made the transfer but this Center cannot
			// follow (its state moved on meanwhile): the colleague is let
			// go there, and the call stays with the agent here.
			ses.log.Error("a transfer the shared router made cannot be carried out here", "agent", agent, "to", target, "error", err)
			sh.report("no answer "+ses.id, func(ctx context.Context) error { return sh.api.NoAnswer(ctx, ses.id, target) })
			return "", err
		}
		ses.log.Info("transferred to an agent", "agent", agent, "to", target, "home", so.Home)
		ses.transferredTo(ctx, agent, target, o)
		return "", nil
	})
	return err
}
