package followup

import (
	"context"
	"time"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/ivr"
)

// Dialer is what the automated follow-up asks of Asterisk: originate the
// customer's channel, and tell whether a channel is still there (when
// the end of a dial may have been missed).
type Dialer interface {
	// Originate rings endpoint on a channel with the given id (POST
	// /channels), which enters the application with appArgs once
	// answered; Asterisk gives up after timeout.
	Originate(ctx context.Context, channelID, endpoint, callerID string, timeout time.Duration, appArgs string) error
	// Gone tells whether the channel no longer exists (GET
	// /channels/{id} answers 404).
	Gone(ctx context.Context, channelID string) (bool, error)
}

// ariDialer adapts the ari/v6 REST client, as acd.NewPBX does.
type ariDialer struct {
	cl  ari.Client
	app string
}

// NewARIDialer returns the Dialer over an ari/v6 REST client (like
// ivr.NewRESTClient's) of the application app: the one whose engine
// runs the follow-up flow.
func NewARIDialer(cl ari.Client, app string) Dialer { return ariDialer{cl: cl, app: app} }

func (d ariDialer) Originate(ctx context.Context, id, endpoint, callerID string, timeout time.Duration, appArgs string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	secs := int((timeout + time.Second - 1) / time.Second)
	_, err := d.cl.Channel().Originate(nil, ari.OriginateRequest{
		Endpoint: endpoint, ChannelID: id, CallerID: callerID, Timeout: secs, App: d.app, AppArgs: appArgs,
	})
	return err
}

func (d ariDialer) Gone(ctx context.Context, id string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	_, err := d.cl.Channel().Data(ari.NewKey(ari.ChannelKey, id))
	if err == nil {
		return false, nil
	}
	if ivr.StatusOf(err) == 404 {
		return true, nil
	}
	return false, err
}

// handler passes every event on and watches the dialler's own channels.
type handler struct {
	s    *Service
	next ivr.Handler
}

// Handler wraps next (the engine, or the ACD's handler in front of it):
// every event goes on to next, and the service watches the channels it
// originated: a ChannelHangupRequest or ChannelDestroyed before their
// StasisStart is an attempt that did not reach the customer (cause 17
// busy, 18 and 19 no answer, 21 rejected, others failed); a StasisStart is
// an answer (the engine runs the follow-up flow, whose journey gives the
// answers: see Journeys).
func (s *Service) Handler(next ivr.Handler) ivr.Handler { return handler{s, next} }

func (h handler) Connected(ctx context.Context) error { return h.next.Connected(ctx) }
func (h handler) Disconnected(err error)              { h.next.Disconnected(err) }

func (h handler) Event(ctx context.Context, ev ari.Event) {
	switch ev := ev.(type) {
	case *ari.StasisStart:
		h.s.answered(ev.Channel.ID)
	case *ari.ChannelHangupRequest:
		h.s.ended(ev.Channel.ID, ev.Cause)
	case *ari.ChannelDestroyed:
		h.s.ended(ev.Channel.ID, ev.Cause)
	}
	h.next.Event(ctx, ev)
}

// outcomeOf is a not-answered channel's outcome by its hang-up cause.
func outcomeOf(cause int) string {
	switch cause {
	case 17:
		return OutcomeBusy
	case 18, 19:
		return OutcomeNoAnswer
	case 21:
		return OutcomeRejected
	}
	return OutcomeFailed
}

// journeys passes every journey on and gives the follow-up calls' to the
// service.
type journeys struct {
	s    *Service
	next ivr.JourneySink
}

// CallOutcome is the outcome an automated follow-up call's journey is
// recorded with: an outbound call of the centre's (package store's
// OutboundOutcomePrefix + "followup"), which the calls reports leave out.
const CallOutcome = "outbound_followup"

// Journeys wraps next (the call records' sink): every journey goes on to
// next, and a follow-up call's Vars are its result.
func (s *Service) Journeys(next ivr.JourneySink) ivr.JourneySink { return journeys{s, next} }

func (j journeys) RecordJourney(ctx context.Context, jr *ivr.Journey) {
	if j.s.dialled(jr.CallID) {
		// The centre's call out, not a call to a hotline: the reports
		// leave it out (store.OutboundOutcomePrefix).
		jr.Outcome = CallOutcome
	}
	if j.next != nil {
		j.next.RecordJourney(ctx, jr)
	}
	j.s.journey(jr)
}
