package ivr

import (
	"context"
	"time"
)

// Restart contract. A Hotline that stops (drain timeout, upgrade, crash)
// leaves its calls in Asterisk: channels and bridges stay in Stasis while
// no client is connected, and the next instance adopts them. Two parts
// remember where each call stood:
//
//   - the queues (an ivr.Queues that also implements Resumer) persist every
//     caller they hold, from the moment it joins a queue until it leaves
//     it, conversation with an agent included, so that a crash loses none;
//   - the engine saves, when it stops with calls still in the IVR, a
//     CallState for each in its Handoffs, so that the next instance
//     resumes them at their node.
//
// At (re)connect, a channel in the application that no call of this
// process owns is adopted: first the queues are asked (Resumable), then
// the handoffs (Take); a call found in neither starts its flow again with
// an apology. Exactly one journey is recorded per call, by the instance
// that ends it.

// CallState is where one call stood when its instance stopped: enough to
// resume it at its node on the flow version it ran.
type CallState struct {
	CallID   string // the caller's channel id
	Channel  string // the channel's name
	Caller   string
	Hotline  string // the dialled number
	Language string

	Flow        string
	FlowVersion int
	Node        string // the node to resume at (a queue node for a queued caller)

	// Vars are the flow's variables, sensitive ones left out (the caller
	// is asked again); Path is the IVR path, for whisper and screen pop.
	Vars map[string]string
	Path []string

	Arrived time.Time // the call reached the IVR (the journey's arrival)
	// QueueArrived is when the caller joined the queue of Node; resumed
	// there, it keeps its place. Zero outside a queue.
	QueueArrived time.Time

	// Journey is the journey so far when the engine saved it (nil when the
	// queues kept the state): the next instance goes on with it, so the
	// call has one record.
	Journey *Journey
}

// Resumer is implemented by Queues that persist the callers they hold.
// Resumable says whether the caller on channelID was in a queue (waiting,
// ringing an agent, or talking to one) when the last instance stopped, and
// where it stood; the engine then resumes the call at that queue node with
// QueueRequest.Resume set.
type Resumer interface {
	Resumable(ctx context.Context, channelID string) (CallState, bool, error)
}

// Handoffs keeps the engine's CallStates across a restart (PostgreSQL in
// production). Save is called once while stopping; Take returns and
// forgets the state of one channel.
type Handoffs interface {
	Save(ctx context.Context, states []CallState) error
	Take(ctx context.Context, channelID string) (CallState, bool, error)
}
