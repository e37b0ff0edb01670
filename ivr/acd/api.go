package acd

import (
	"errors"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/queue"
)

// Mode is how a supervisor joins an agent's call.
type Mode string

// The supervision modes.
const (
	// Listen: the supervisor hears both sides; nobody hears the supervisor.
	Listen Mode = "listen"
	// Whisper: the supervisor hears both sides and only the agent hears the
	// supervisor (coaching).
	Whisper Mode = "whisper"
	// Barge: the supervisor joins the conversation; everyone hears everyone.
	Barge Mode = "barge"
)

// Valid says whether m is one of the modes.
func (m Mode) Valid() bool { return m == Listen || m == Whisper || m == Barge }

// Errors the service's agent and supervisor operations return besides the
// queue package's (queue.ErrUnknownAgent, queue.ErrIllegalTransition...).
var (
	// ErrNoCall means the agent has no connected call to act on.
	ErrNoCall = errors.New("the agent has no connected call")
	// ErrHeld means the call is already on hold; ErrNotHeld that it is not.
	ErrHeld    = errors.New("the call is already on hold")
	ErrNotHeld = errors.New("the call is not on hold")
	// ErrAgentBusy means the target agent of a transfer cannot take a call
	// now (not Ready).
	ErrAgentBusy = queue.ErrAgentNotReady
	// ErrNoSupervision means no supervision session has the ID given.
	ErrNoSupervision = errors.New("no such supervision session")
	// ErrCallerGone means the caller's channel ended before the call left
	// the queue (ivr's, which the engine takes as the caller's hang-up).
	ErrCallerGone = ivr.ErrCallerGone
	// ErrGone means Asterisk has no such resource (any more): a 404.
	ErrGone = errors.New("asterisk has no such resource")
)

// CallView is a call connected to (or ringing) an agent, for the agent's
// screen pop and the supervisors' wallboard.
type CallView struct {
	CallID   string            `json:"call_id"`
	Queue    string            `json:"queue"`
	Agent    string            `json:"agent"`
	Caller   string            `json:"caller"`   // the caller's number
	Hotline  string            `json:"hotline"`  // the dialled number
	Language string            `json:"language"` // zh, en
	Path     []string          `json:"path"`     // the IVR nodes the caller went through
	Vars     map[string]string `json:"vars"`     // the flow's variables, sensitive ones masked
	Arrived  time.Time         `json:"arrived"`  // joined the queue
	Answered time.Time         `json:"answered,omitzero"`
	Held     bool              `json:"held"`
	// Phase is where the call stands: ringing, connecting (agent ID and
	// whisper), dialing (a call-back's customer), talking or held.
	Phase    CallPhase `json:"phase"`
	Callback bool      `json:"callback"` // a call-back dialled out to the customer
	// Outbound says the agent called the customer out (Service.Dial), for
	// Ref (OutboundRequest.Ref); its phases are ringing (the agent's own
	// phone), dialing (the customer's), talking.
	Outbound bool   `json:"outbound"`
	Ref      string `json:"ref,omitempty"`
}

// Snapshot is the live state of the queues, agents and their calls.
type Snapshot struct {
	At     time.Time           `json:"at"`
	Queues []queue.QueueStatus `json:"queues"`
	Agents []queue.AgentStatus `json:"agents"`
	Calls  []CallView          `json:"calls"`
}
