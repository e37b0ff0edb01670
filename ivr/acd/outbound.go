package acd

import "errors"

// OutboundRequest is an agent's call out to a customer (a follow-up visit
// in preview dialling; see Service.Dial): the agent's own device rings
// first (a SIP phone, or the browser softphone's incoming-call panel), and
// once the agent answers the customer is dialled through the customer
// endpoint (callbacks.customer_endpoint) with the centre's caller ID.
type OutboundRequest struct {
	Agent   string // the agent who calls (ready or not ready, not on a call)
	Number  string // the customer's number
	Hotline string // the hotline the call is made for (its records and recording)
	// Ref is what the call is for, kept with its records (like
	// "followup:F20261207-000001"); LinkedCallID is the original call it
	// follows up, if any (the recording's linked call).
	Ref          string
	LinkedCallID string
	// Ended, if set, learns how the call ended, once: one of the
	// Outbound* outcomes (OutboundTalked, OutboundNoAnswer...). It is
	// called on the call's own goroutine, so it must not block (hand the
	// outcome over and return).
	Ended func(outcome string)
}

// Dial refuses an agent who cannot call out now (on a call, ringing, in
// wrap-up, logged out) with ErrCannotDial.
var ErrCannotDial = errors.New("the agent cannot call out now")
