package followup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// --- preview: the tasks an agent takes, calls and records ----------------

// Take gives an offered task to agent: one offered to the team goes to
// the first agent who takes it; one offered to (or taken by) another
// agent is refused (ErrStep).
func (s *Service) Take(ctx context.Context, id, agent string) (Task, error) {
	if err := checkAgent(agent); err != nil {
		return Task{}, err
	}
	return s.cfg.Store.Update(ctx, id, func(t *Task, _ *Lease) error {
		switch {
		case t.State != Offered:
			return refuse(t, "it is "+string(t.State)+", not offered")
		case t.Agent != "" && t.Agent != agent:
			return refuse(t, "it is taken by "+t.Agent)
		}
		t.Agent = agent
		return nil
	})
}

// StartPreview records an attempt by agent and calls dial with the
// customer's number; dial returns the outbound call's ID (the ACD's
// Dial). The task must be offered to / taken by agent, with no attempt
// under way and attempts left, within the allowed hours and the
// per-number limits (ErrStep, saying from when). A dial that fails ends the attempt as
// failed (and counts it) and its error is returned.
func (s *Service) StartPreview(ctx context.Context, id, agent string, dial func(ctx context.Context, number string) (callID string, err error)) (Task, error) {
	if err := checkAgent(agent); err != nil {
		return Task{}, err
	}
	if dial == nil {
		return Task{}, fmt.Errorf("%w: no dial function", ErrInvalid)
	}
	now := s.now()
	cur, err := s.cfg.Store.Get(ctx, id)
	if err != nil {
		return Task{}, err
	}
	if err := s.mayCall(ctx, cur, now); err != nil {
		return Task{}, err
	}
	var seq int
	t, err := s.cfg.Store.Update(ctx, id, func(t *Task, _ *Lease) error {
		if err := offeredTo(t, agent); err != nil {
			return err
		}
		if a := open(t); a != nil {
			return refuse(t, fmt.Sprintf("attempt %d by %s is under way", a.Seq, a.By))
		}
		if t.Attempts >= t.MaxAttempts {
			return refuse(t, fmt.Sprintf("its %d attempts are used", t.MaxAttempts))
		}
		t.Attempts++
		seq = t.Attempts
		t.Tries = append(t.Tries, Attempt{Seq: seq, Number: t.Number, Started: now, By: agent})
		return nil
	})
	if err != nil {
		return Task{}, err
	}
	callID, dialErr := dial(ctx, t.Number)
	t, err = s.cfg.Store.Update(context.WithoutCancel(ctx), id, func(t *Task, _ *Lease) error {
		a := open(t)
		if a == nil || a.Seq != seq {
			return refuse(t, fmt.Sprintf("attempt %d ended meanwhile", seq))
		}
		if dialErr != nil {
			a.Outcome, a.Ended = OutcomeFailed, s.now()
			s.previewNotReached(t, t.Agent, a.Ended) // the agent keeps it
			return nil
		}
		a.CallID = callID
		return nil
	})
	if dialErr != nil {
		if err != nil {
			return Task{}, errors.Join(dialErr, err)
		}
		s.changed(t)
		return t, fmt.Errorf("dialling follow-up %s: %w", id, dialErr)
	}
	return t, err
}

// mayCall checks the policy for an agent's call to t's customer now: the
// allowed hours and the per-number limits, as for automated calls.
func (s *Service) mayCall(ctx context.Context, t Task, now time.Time) error {
	zone := func(v time.Time) string { return v.In(s.cfg.Zone).Format("2006-01-02 15:04") }
	if next := s.p.Hours.Next(now); !next.Equal(now) {
		return refuse(&t, "customers are not called at this hour; from "+zone(next))
	}
	n, last, err := s.cfg.Store.NumberUse(ctx, t.Number, now)
	if err != nil {
		return err
	}
	if n >= s.p.PerNumberPerDay {
		return refuse(&t, fmt.Sprintf("the number had its %d calls in 24 h", s.p.PerNumberPerDay))
	}
	if next := last.Add(s.p.MinGap); !last.IsZero() && now.Before(next) {
		return refuse(&t, "the number was called at "+zone(last)+"; the next call from "+zone(next))
	}
	return nil
}

// Record keeps the agent's result of a preview task. Reached: the task is
// done and the result applies to the complaint (satisfied: followed up
// and closed; not: followed up and reopened). Not reached: the attempt
// under way (or a new one) counts as not answered; the task is offered
// again while attempts remain, else unreached.
// endedUnreached tells whether agent's last call of t ended unreached
// lately (the ACD's word, through PreviewEnded).
func endedUnreached(t *Task, agent string, now time.Time) bool {
	n := len(t.Tries)
	if n == 0 {
		return false
	}
	a := t.Tries[n-1]
	return a.By == agent && a.CallID != "" && a.Outcome != "" && a.Outcome != OutcomeAnswered && now.Sub(a.Ended) < recentEnd
}

// recentEnd is how long after the ACD ended an agent's call unreached
// the agent's own "not reached" is taken for that call, not a new one.
const recentEnd = 15 * time.Minute

// How an agent's call out ended, as the ACD says it (acd.Outbound*):
// PreviewEnded takes these.
const (
	CallTalked        = "talked"          // the customer answered: the agent records the result
	CallNoAnswer      = "no_answer"       // the customer's phone rang out
	CallBusy          = "busy"            // the customer's line was busy
	CallRejected      = "rejected"        // the customer declined
	CallFailed        = "failed"          // the dial failed
	CallCancelled     = "cancelled"       // the agent hung up while the customer's phone rang
	CallInterrupted   = "interrupted"     // the instance stopped before the customer answered
	CallAgentNoAnswer = "agent_no_answer" // the agent's own phone was not answered: the customer was never dialled
)

// PreviewEnded takes the ACD's word on how agent's call of task id ended
// (one of the Call* outcomes): a customer not reached ends the attempt
// under way with that outcome, and the task is offered again or, its
// attempts used, unreached, as Record does for "not reached"; a call whose
// customer was never dialled (the agent did not answer its own phone)
// gives the attempt back; a conversation changes nothing (the agent
// records what the customer said). Without an attempt under way (the
// agent recorded the result already) it changes nothing.
func (s *Service) PreviewEnded(ctx context.Context, id, agent, outcome string) (Task, error) {
	if err := checkAgent(agent); err != nil {
		return Task{}, err
	}
	var attempt string
	switch outcome {
	case CallTalked:
		return s.cfg.Store.Get(ctx, id)
	case CallNoAnswer, CallCancelled:
		attempt = OutcomeNoAnswer
	case CallBusy:
		attempt = OutcomeBusy
	case CallRejected:
		attempt = OutcomeRejected
	case CallFailed:
		attempt = OutcomeFailed
	case CallInterrupted:
		attempt = OutcomeLost
	case CallAgentNoAnswer:
	default:
		return Task{}, fmt.Errorf("%w: outcome %q is not how a call ends (%s, %s, %s, %s, %s, %s, %s, %s)", ErrInvalid, outcome,
			CallTalked, CallNoAnswer, CallBusy, CallRejected, CallFailed, CallCancelled, CallInterrupted, CallAgentNoAnswer)
	}
	cur, err := s.cfg.Store.Get(ctx, id)
	if err != nil {
		return Task{}, err
	}
	target := s.offerAgent(ctx, cur)
	now := s.now()
	moved := false
	t, err := s.cfg.Store.Update(ctx, id, func(t *Task, _ *Lease) error {
		a := open(t)
		if a == nil || a.By != agent {
			return nil
		}
		moved = true
		if attempt == "" { // never dialled: the attempt is given back
			t.Tries = t.Tries[:len(t.Tries)-1]
			t.Attempts--
			return nil
		}
		a.Outcome, a.Ended = attempt, now
		s.previewNotReached(t, target, now)
		return nil
	})
	if err != nil {
		return Task{}, err
	}
	if moved {
		s.changed(t)
	}
	return t, nil
}

func (s *Service) Record(ctx context.Context, id, agent string, o Outcome) (Task, error) {
	if err := checkAgent(agent); err != nil {
		return Task{}, err
	}
	if err := checkOutcome(o); err != nil {
		return Task{}, err
	}
	switch {
	case o.Reached && o.Satisfied == nil:
		return Task{}, fmt.Errorf("%w: satisfied is required when the customer was reached", ErrInvalid)
	case o.Reached && !*o.Satisfied && strings.TrimSpace(o.Note) == "":
		return Task{}, fmt.Errorf("%w: note is required when the customer is not satisfied", ErrInvalid)
	case !o.Reached && o.Satisfied != nil:
		return Task{}, fmt.Errorf("%w: satisfied: a customer not reached said nothing", ErrInvalid)
	}
	cur, err := s.cfg.Store.Get(ctx, id)
	if err != nil {
		return Task{}, err
	}
	target := s.offerAgent(ctx, cur)
	now := s.now()
	already := false
	t, err := s.cfg.Store.Update(ctx, id, func(t *Task, _ *Lease) error {
		if err := offeredTo(t, agent); err != nil {
			return err
		}
		a := open(t)
		if a == nil && !o.Reached && endedUnreached(t, agent, now) {
			// The ACD already said the agent's last call reached nobody
			// (PreviewEnded): the agent's "not reached" is that call's.
			already = true
			return nil
		}
		if a == nil {
			if !o.Reached && t.Attempts >= t.MaxAttempts {
				return refuse(t, fmt.Sprintf("its %d attempts are used", t.MaxAttempts))
			}
			t.Attempts++
			t.Tries = append(t.Tries, Attempt{Seq: t.Attempts, Number: t.Number, Started: now, By: agent, CallID: o.CallID})
			a = &t.Tries[len(t.Tries)-1]
		}
		a.Ended = now
		if o.CallID != "" {
			a.CallID = o.CallID
		}
		if !o.Reached {
			a.Outcome = OutcomeNoAnswer
			s.previewNotReached(t, target, now)
			if t.State == Unreached {
				t.Result.By, t.Result.Note = agent, strings.TrimSpace(o.Note)
			}
			return nil
		}
		a.Outcome = OutcomeAnswered
		t.State = Done
		t.Result = &Result{Reached: true, Satisfied: o.Satisfied, Answers: o.Answers, Note: strings.TrimSpace(o.Note),
			CallID: a.CallID, By: agent, At: now}
		return nil
	})
	if err != nil {
		return Task{}, err
	}
	if already {
		return t, nil
	}
	if t.State == Done {
		s.apply(ctx, t, agent)
	}
	s.changed(t)
	return t, nil
}

// previewNotReached: a preview attempt did not reach the customer; the
// task is offered again (to target) while attempts remain, else
// unreached.
func (s *Service) previewNotReached(t *Task, target string, now time.Time) {
	if t.Attempts >= t.MaxAttempts {
		t.State = Unreached
		t.Result = &Result{Reached: false, By: t.Agent, At: now}
		return
	}
	t.Agent = target
}

// offerAgent is the agent a task is offered to: a complaint's owner, or
// none (its team).
func (s *Service) offerAgent(ctx context.Context, t Task) string {
	if t.Reason != ForComplaint {
		return ""
	}
	c, err := s.cfg.Complaints.Get(ctx, t.ComplaintID)
	if err != nil {
		s.log.Warn("follow-up: reading the complaint for the offer", "followup", t.ID, "complaint", t.ComplaintID, "err", err)
		return ""
	}
	return c.Owner
}

// offer makes t a preview task offered to its complaint's owner and first
// team, or to the policy's team; after automated attempts, from when the
// number may be called again.
func (s *Service) offer(ctx context.Context, t *Task) {
	t.State, t.Mode, t.Agent, t.Team = Offered, Preview, "", s.p.Team
	if t.Reason == ForComplaint {
		if c, err := s.cfg.Complaints.Get(ctx, t.ComplaintID); err == nil {
			t.Agent = c.Owner
			if len(c.Teams) > 0 {
				t.Team = c.Teams[0]
			}
		} else {
			s.log.Warn("follow-up: reading the complaint for the offer", "followup", t.ID, "complaint", t.ComplaintID, "err", err)
		}
	}
	t.MaxAttempts = t.Attempts + s.p.PreviewAttempts
	if n := len(t.Tries); n > 0 { // the agent's first call keeps the limits too
		t.NotBefore = s.p.Hours.Next(t.Tries[n-1].Started.Add(s.p.MinGap))
	}
}
