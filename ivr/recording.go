package ivr

import (
	"context"
	"time"
)

// Recording contract. The engine records the IVR part of a call when its
// hotline asks for it, through a Recorder it is given (package
// ivr/recorder in production); the ACD records every agent conversation
// with the same recorder. A recording takes both directions of the
// caller's channel (what the caller says, and what the caller hears) as
// two aligned sides of one stereo file, and ends as one row of package
// recordings' storage pipeline.

// RecordingKind says which part of a call a recording holds.
type RecordingKind string

const (
	RecordIVR          RecordingKind = "ivr"          // from answer to leaving the IVR
	RecordConversation RecordingKind = "conversation" // from the first agent connected to the last party leaving
)

// RecordingRequest asks for one recording of a call.
type RecordingRequest struct {
	Kind      RecordingKind
	CallID    string // calls.id: the caller's channel id
	ChannelID string // the channel whose two directions are recorded (the caller's)
	Hotline   string
	Caller    string
	Queue     string
	AgentID   string
	// LinkedCallID is, for a call-back's conversation, the call that
	// booked it.
	LinkedCallID string
}

// Recorder starts recordings. Start returns once Asterisk has accepted
// the recording requests; an error means nothing is being recorded (the
// call goes on regardless).
type Recorder interface {
	Start(ctx context.Context, req RecordingRequest) (Recording, error)
}

// Recording is one running recording. Its methods are safe for
// concurrent use and cost the call's goroutine only the ARI requests
// they make.
type Recording interface {
	// Pause silences the recording from now on (card data: PCI), keeping
	// its length aligned with the call's clock; who and why are kept as
	// an audit marker. Pausing a paused recording is a no-op.
	Pause(ctx context.Context, who, reason string) error
	// Resume ends a pause, with its own audit marker.
	Resume(ctx context.Context, who, reason string) error
	// Mark adds an event of the call's timeline at this moment (hold,
	// unhold, transfer, agent ID announced...), with details.
	Mark(at time.Time, kind string, detail map[string]string)
	// Stop ends the recording and hands it to storage; hungUpBy is who
	// ended the call ("caller", "agent", "system"), empty while it goes on.
	Stop(ctx context.Context, hungUpBy string) error
}
