package console

import (
	"context"

	"github.com/hotline-ivr/hotline/ivr/acd"
)

// ACD is the contact centre as the console drives it: the live state of the
// queues, agents and calls, and what agents and supervisors do to them.
// Errors are the queue package's and the acd package's sentinels
// (queue.ErrUnknownAgent, acd.ErrNoCall...), which the API answers with
// their own status; anything else is a 500.
type ACD interface {
	Snapshot() acd.Snapshot
	// Subscribe returns a signal, buffered 1 and so coalescing, sent each
	// time anything in the snapshot changed; cancel stops it.
	Subscribe() (changed <-chan struct{}, cancel func())
	Login(ctx context.Context, agent string) error
	Logout(ctx context.Context, agent string) error
	// Ready makes the agent take calls; it also ends wrap-up early.
	Ready(ctx context.Context, agent string) error
	NotReady(ctx context.Context, agent, reason string) error
	Hold(ctx context.Context, agent string) error
	Unhold(ctx context.Context, agent string) error
	TransferToQueue(ctx context.Context, agent, queue string) error
	TransferToAgent(ctx context.Context, agent, target string) error
	// SendToSurvey ends the agent's part of its call without hanging up on
	// the caller, who goes on in its flow (the survey).
	SendToSurvey(ctx context.Context, agent string) error
	// Phrase plays one of acd.Phrases to the caller of the agent's call;
	// a script that ends the call runs to its end and ends it.
	Phrase(ctx context.Context, agent, name string) error
	// Answer answers the agent's ringing call on its browser softphone;
	// Reject refuses it (a ring-no-answer); Hangup ends the agent's call;
	// SendDTMF sends digits to the far end of its call.
	Answer(ctx context.Context, agent string) error
	Reject(ctx context.Context, agent string) error
	Hangup(ctx context.Context, agent string) error
	SendDTMF(ctx context.Context, agent, digits string) error
	// Reconnect joins the agent's newly opened browser softphone to the
	// conversation it is in, whose browser side was lost (the server
	// restarted under it); acd.ErrNoCall when it is not talking.
	Reconnect(ctx context.Context, agent string) error
	Supervise(ctx context.Context, agent, device string, mode acd.Mode) (session string, err error)
	SetSupervision(ctx context.Context, session string, mode acd.Mode) error
	EndSupervision(ctx context.Context, session string) error
}
