package acd

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/queue"
)

// Login logs an agent in (not ready, reason "login").
func (s *Service) Login(_ context.Context, agent string) error {
	defer s.wake()
	return s.center.Login(agent)
}

// Logout logs an agent out; one on a call must finish it first.
func (s *Service) Logout(_ context.Context, agent string) error {
	defer s.wake()
	return s.center.Logout(agent)
}

// Ready makes an agent take calls; in wrap-up, it ends the wrap-up early.
func (s *Service) Ready(_ context.Context, agent string) error {
	defer s.wake()
	return s.center.SetReady(agent)
}

// NotReady stops an agent taking calls, for a reason the reports show.
func (s *Service) NotReady(_ context.Context, agent, reason string) error {
	defer s.wake()
	return s.center.SetNotReady(agent, reason)
}

// Hold puts the agent's caller on hold: out of the bridge, with music.
func (s *Service) Hold(ctx context.Context, agent string) error {
	if remote, err := s.shared.softOp(agent, SoftHold, ""); remote {
		return err // shared_soft.go
	}
	_, err := s.onCall(ctx, agent, func(ctx context.Context, ses *session) (string, error) {
		if ses.held {
			return "", ErrHeld
		}
		if err := s.pbx.RemoveFromBridge(ctx, ses.bridge, ses.caller); err != nil {
			return "", err
		}
		ses.mark("hold", agent, nil)
		ses.music(ctx, true)
		ses.held, ses.heldAt = true, s.clock.Now()
		ses.holds++
		ses.setView(func(v *CallView) { v.Held, v.Phase = true, CallHeld })
		ses.persist(PhaseHeld)
		return "", nil
	})
	return err
}

// Unhold brings the held caller back to the agent.
func (s *Service) Unhold(ctx context.Context, agent string) error {
	if remote, err := s.shared.softOp(agent, SoftUnhold, ""); remote {
		return err // shared_soft.go
	}
	_, err := s.onCall(ctx, agent, func(ctx context.Context, ses *session) (string, error) {
		if !ses.held {
			return "", ErrNotHeld
		}
		ses.music(ctx, false)
		if err := s.pbx.AddToBridge(ctx, ses.bridge, ses.caller); err != nil {
			return "", err
		}
		ses.unhold()
		ses.mark("unhold", agent, nil)
		ses.persist(PhaseTalking)
		return "", nil
	})
	return err
}

// TransferToQueue is the agent's blind transfer of its caller to a queue:
// the agent goes to wrap-up and the caller waits in the queue (keeping
// its arrival if the queue says so), or overflows by its rules.
func (s *Service) TransferToQueue(ctx context.Context, agent, queueName string) error {
	_, err := s.onCall(ctx, agent, func(ctx context.Context, ses *session) (string, error) {
		if err := ses.sharedTransferable(); err != nil {
			return "", err
		}
		adm, err := s.center.Transfer(ses.id, queueName)
		if err != nil {
			return "", err
		}
		ses.log.Info("transferred to a queue", "agent", agent, "to", queueName)
		ses.mark("transfer", agent, map[string]string{"to_queue": queueName})
		ses.sharedEnd() // the agent's part; the caller joins its new queue
		ses.leaveAgent(ctx)
		if !adm.Queued {
			ses.leave(ctx, adm.Overflows[len(adm.Overflows)-1])
			return "", nil
		}
		ses.queue = adm.Place.Queue
		ses.setView(func(v *CallView) { v.Queue = adm.Place.Queue })
		ses.startWaiting(ctx)
		return "", nil
	})
	return err
}

// TransferToAgent is the agent's blind transfer of its caller to a
// colleague who is ready: the caller hears music while the colleague's
// phone rings, and goes back to its place in its queue if nobody answers.
func (s *Service) TransferToAgent(ctx context.Context, agent, target string) error {
	if s.shared != nil {
		return s.sharedTransferToAgent(ctx, agent, target) // shared_transfer.go
	}
	_, err := s.onCall(ctx, agent, func(ctx context.Context, ses *session) (string, error) {
		o, err := s.center.TransferToAgent(ses.id, target)
		if err != nil {
			return "", err
		}
		ses.log.Info("transferred to an agent", "agent", agent, "to", target)
		ses.transferredTo(ctx, agent, target, o)
		return "", nil
	})
	return err
}

// transferredTo takes the transferring agent off the call and rings the
// colleague the center reserved for it, the caller hearing music.
func (ses *session) transferredTo(ctx context.Context, agent, target string, o queue.Offer) {
	ses.mark("transfer", agent, map[string]string{"to_agent": target})
	ses.leaveAgent(ctx)
	ses.phase = waiting
	ses.music(ctx, true)
	ses.ring(ctx, o)
}

// leaveAgent takes the transferring agent off the call; the center has
// already sent it to wrap-up.
func (ses *session) leaveAgent(ctx context.Context) {
	l := ses.leg
	ses.transfers++
	ses.dropLeg(ctx)
	ses.endSupervisions(ctx)
	if ses.held {
		ses.music(ctx, false)
	}
	ses.unhold()
	ses.tearDownBridge(ctx)
	ses.record(l, "transfer")
	ses.phase = waiting
	ses.s.wake()
}

// onCall runs do in the session of the agent's connected call.
func (s *Service) onCall(ctx context.Context, agent string, do func(context.Context, *session) (string, error)) (string, error) {
	if _, err := s.center.Agent(agent); err != nil {
		return "", err
	}
	s.mu.Lock()
	ses := s.byAgent[agent]
	s.mu.Unlock()
	if ses == nil {
		return "", ErrNoCall
	}
	return ses.command(ctx, func(ctx context.Context, ses *session) (string, error) {
		if ses.leg == nil || ses.leg.offer.Agent != agent {
			return "", ErrNoCall
		}
		if ses.phase != connected {
			return "", ses.notConnected(agent)
		}
		return do(ctx, ses)
	})
}

// command runs do on the session's goroutine and waits for its answer.
func (ses *session) command(ctx context.Context, do func(context.Context, *session) (string, error)) (string, error) {
	reply := make(chan commandResult, 1)
	if !ses.put(command{do: do, reply: reply}) {
		return "", ErrNoCall
	}
	select {
	case r := <-reply:
		return r.value, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func sortCalls(calls []CallView) {
	slices.SortFunc(calls, func(a, b CallView) int {
		if c := a.Arrived.Compare(b.Arrived); c != 0 {
			return c
		}
		return cmp.Compare(a.CallID, b.CallID)
	})
}

// SendToSurvey ends the agent's part of its call without hanging up on
// the caller: the agent's leg is hung up, the agent goes to wrap-up, and
// the caller goes on in its flow (the survey after the queue node), as
// the standards want (the agent waits for the caller to hang up first).
// The agent's part is recorded as ended by "survey".
func (s *Service) SendToSurvey(ctx context.Context, agent string) error {
	_, err := s.onCall(ctx, agent, func(ctx context.Context, ses *session) (string, error) {
		if ses.cb != nil {
			return "", fmt.Errorf("%w: a call-back's customer has no flow to go on to", ErrNoCall)
		}
		l := ses.leg
		ses.log.Info("agent sends the caller to the survey", "agent", agent)
		ses.mark("survey", agent, nil)
		ses.dropLeg(ctx)
		ses.endWithAgent(ctx, l, ivr.EndedBySurvey)
		ses.result = ivr.QueueResult{Outcome: ivr.QueueAnswered, Agent: l.offer.Agent, AnsweredAt: l.answered, EndedBy: ivr.EndedBySurvey}
		ses.phase = done
		return "", nil
	})
	return err
}
