package acd

// An agent's call out to a customer (Service.Dial): a session of the
// call-back kind whose agent is the one who dials. It rings the agent's
// own device first and, once the agent answers, dials the customer
// through the call-back path (callbackAgentAnswered, customerAnswered,
// customerGone); only the ends differ: a customer not reached puts the
// agent back in the state it had, and the outcome goes to
// OutboundRequest.Ended.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

// The outcomes of an outbound call, as OutboundRequest.Ended learns them
// (and the calls row's outcome, with "outbound_" before them).
const (
	// OutboundTalked: the customer answered; the conversation is over.
	OutboundTalked = "talked"
	// OutboundNoAnswer: the customer's phone rang out
	// (Config.CallbackRingTimeout).
	OutboundNoAnswer = "no_answer"
	// OutboundBusy: the customer's line was busy.
	OutboundBusy = "busy"
	// OutboundRejected: the customer declined the call.
	OutboundRejected = "rejected"
	// OutboundFailed: the number could not be reached (unreachable,
	// refused by the trunk, or Asterisk refused the dial).
	OutboundFailed = "failed"
	// OutboundAgentNoAnswer: the agent's own phone was not answered (or
	// was rejected, or could not ring); the customer was not dialled.
	OutboundAgentNoAnswer = "agent_no_answer"
	// OutboundCancelled: the agent hung up while the customer's phone
	// rang.
	OutboundCancelled = "cancelled"
	// OutboundInterrupted: the service stopped before the customer
	// answered.
	OutboundInterrupted = "interrupted"
)

// ErrBadNumber means an outbound call to something that is not a phone
// number: 3 to 20 digits, perhaps after a +.
var ErrBadNumber = errors.New("not a phone number to call")

// OutboundCall is what the records keep of an agent's outbound call
// beyond the agent's part (AgentCall.Outbound): no engine call records
// it, so its row is made from these.
type OutboundCall struct {
	Ref          string
	LinkedCallID string
	Hotline      string
	Number       string    // the customer's
	Started      time.Time // Dial
	Answered     time.Time // the customer answered; zero if not reached
	Outcome      string    // one of the Outbound* outcomes
}

// outboundState is an outbound session's own part (callbackState.out).
type outboundState struct {
	req      OutboundRequest
	started  time.Time
	dialled  bool      // the customer was dialled
	answered time.Time // the customer answered
	over     bool      // the outcome was given
}

// Dial makes the agent's call out to req.Number (see OutboundRequest) and
// returns the call's ID: that of the customer's channel, the calls row
// and the recording. The agent must be logged in with no call (ready or
// not ready, not ringing, on a call or in wrap-up); it is reserved at
// once, so that no queue call is offered to it meanwhile, and a second
// Dial for it fails. Its device rings first (a SIP phone is originated
// to; a browser softphone shows the incoming call, answered with Answer
// and refused with Reject), then the customer is dialled with
// Config.CallerID and hears the agent's ID before the two are bridged.
// The conversation is recorded (linked to req.LinkedCallID), held,
// supervised and hung up as any; after it the agent wraps up and goes
// back to the state it had. A customer not reached puts the agent back
// in that state at once. req.Ended learns the outcome. In a centre of
// several instances the shared router is told first, and waited for: an
// agent it has reserved for another instance's caller cannot dial.
//
// Errors: ErrCannotDial (wrapped with why) for an agent who cannot call
// out now, or a service not running; ErrBadNumber; queue.ErrUnknownAgent
// (wrapped in ErrCannotDial) for an unknown agent.
func (s *Service) Dial(ctx context.Context, req OutboundRequest) (string, error) {
	if err := checkNumber(req.Number); err != nil {
		return "", err
	}
	select {
	case <-s.started:
	default:
		return "", fmt.Errorf("%w: the call service is not running", ErrCannotDial)
	}
	if s.stopping.Load() {
		return "", fmt.Errorf("%w: the call service is stopping", ErrCannotDial)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	st, err := s.center.Agent(req.Agent)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrCannotDial, err)
	}
	q := s.cfg.OutboundQueue
	if q == "" {
		if len(st.Queues) == 0 {
			return "", fmt.Errorf("%w: agent %s serves no queue whose wrap-up could follow the call", ErrCannotDial, req.Agent)
		}
		q = st.Queues[0]
	}
	id := s.newID()
	if s.shared != nil {
		// Out of the centre's offers first (shared_outbound.go).
		if st.State != queue.Ready && st.State != queue.NotReady {
			return "", fmt.Errorf("%w: agent %s is %s", ErrCannotDial, req.Agent, st.State)
		}
		if err := s.shared.outboundStart(ctx, req.Agent, id); err != nil {
			return "", err
		}
	}
	o, err := s.center.Outbound(id, req.Agent, q, req.Number)
	if err != nil {
		if s.shared != nil {
			s.shared.outboundNotStarted(req.Agent, id)
		}
		if st, serr := s.center.Agent(req.Agent); serr == nil && errors.Is(err, queue.ErrIllegalTransition) {
			return "", fmt.Errorf("%w: agent %s is %s", ErrCannotDial, req.Agent, st.State)
		}
		return "", fmt.Errorf("%w: %w", ErrCannotDial, err)
	}
	s.wake()
	now := s.clock.Now()
	ses := s.newSession(id, CallView{
		CallID: id, Queue: o.Queue, Caller: req.Number, Hotline: req.Hotline, Language: s.cfg.CallbackLanguage,
		Arrived: now, Outbound: true, Ref: req.Ref,
	})
	ses.lang = s.cfg.CallbackLanguage
	ses.cb = &callbackState{req: id, out: &outboundState{req: req, started: now}}
	ses.log = ses.log.With("outbound", req.Ref, "agent", req.Agent)
	ses.log.Info("agent calls out", "number", req.Number, "linked_call", req.LinkedCallID)
	s.runDialling(ses, o)
	return id, nil
}

func checkNumber(n string) error {
	digits := strings.TrimPrefix(n, "+")
	if l := len(digits); l < 3 || l > 20 || strings.Trim(digits, "0123456789") != "" {
		return fmt.Errorf("%w: %q", ErrBadNumber, n)
	}
	return nil
}

// outbound is the session's outbound part; nil for any other call.
func (ses *session) outbound() *outboundState {
	if ses.cb == nil {
		return nil
	}
	return ses.cb.out
}

// outboundOver gives the call's outcome, once, and ends the session.
func (ses *session) outboundOver(outcome string) {
	out := ses.outbound()
	ses.phase = done
	if out == nil || out.over {
		return
	}
	out.over = true
	ses.log.Info("outbound call over", "outcome", outcome)
	if out.req.Ended != nil {
		out.req.Ended(outcome)
	}
}

// outboundRecord is the outbound part of the call's records.
func (ses *session) outboundRecord(outcome string) *OutboundCall {
	out := ses.outbound()
	if out == nil {
		return nil
	}
	rec := &OutboundCall{Ref: out.req.Ref, LinkedCallID: out.req.LinkedCallID, Hotline: out.req.Hotline,
		Number: out.req.Number, Started: out.started, Outcome: outcome}
	rec.Answered = out.answered
	return rec
}

// outboundNotReached ends an outbound call whose customer never answered
// (or was never dialled): the customer's channel is hung up if it still
// rings, the agent's leg too, and the agent is back in the state it had.
// l is the agent's leg, which may have ended already.
func (ses *session) outboundNotReached(ctx context.Context, l *leg, outcome string) {
	s := ses.s
	ses.stopPlaying(ctx)
	if ch := ses.cb.customer; ch != "" {
		if err := s.pbx.Hangup(ctx, ch, "normal"); err != nil && !errors.Is(gone(err), ErrGone) && ctx.Err() == nil {
			ses.log.Debug("hanging up the customer's ringing phone", "error", err)
		}
		s.disown(ch)
		ses.cb.customer = ""
	}
	ses.dropLeg(ctx)
	if err := s.center.OutboundFailed(ses.id); err != nil && !ignorable(err) {
		ses.log.Error("putting the agent back after an outbound call", "error", err)
	}
	s.wake()
	if l != nil && ses.outbound().dialled {
		ses.recordAs(l, "system", outcome)
	}
	ses.outboundOver(outcome)
}

// outboundOutcome names how a customer's channel that was never answered
// ended, by its hang-up cause.
func outboundOutcome(cause int) string {
	switch cause {
	case 17: // user busy
		return OutboundBusy
	case 18, 19: // no user responding, no answer
		return OutboundNoAnswer
	case 21: // call rejected
		return OutboundRejected
	default:
		return OutboundFailed
	}
}
