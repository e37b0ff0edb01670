package followup

import (
	"errors"
	"time"
)

// Reason is what made a task.
type Reason string

// The reasons.
const (
	ForComplaint   Reason = "complaint"   // a complaint was resolved
	ForDisposition Reason = "disposition" // a call ended with a configured disposition (a repair booking)
	ForSample      Reason = "sample"      // a sampled answered call
)

// Mode is how a task is carried out.
type Mode string

// The modes.
const (
	Auto    Mode = "auto"    // Hotline dials and runs the follow-up flow
	Preview Mode = "preview" // offered to an agent, who calls from the softphone
)

// State is where a task stands.
type State string

// The states.
const (
	Pending   State = "pending"   // auto: waiting for its time (allowed hours, retry, per-number limits)
	Dialling  State = "dialling"  // auto: an attempt is under way on an instance
	Offered   State = "offered"   // preview: offered to a team or agent
	Done      State = "done"      // the customer was reached and the result kept
	Unreached State = "unreached" // every attempt failed
	Cancelled State = "cancelled" // the reason went away (the complaint was reopened or closed before)
)

// The outcomes of an attempt.
const (
	OutcomeAnswered = "answered"
	OutcomeNoAnswer = "no_answer"
	OutcomeBusy     = "busy"
	OutcomeRejected = "rejected"
	OutcomeFailed   = "failed" // the dial itself failed (no route, ARI refused)
	OutcomeLost     = "lost"   // the instance that dialled stopped; how it ended is not known
)

// Task is one follow-up visit.
type Task struct {
	ID          string    `json:"id"` // like F20261207-000001
	Reason      Reason    `json:"reason"`
	ComplaintID string    `json:"complaint_id,omitempty"`
	CallID      string    `json:"call_id,omitempty"` // the original call
	Hotline     string    `json:"hotline,omitempty"`
	Number      string    `json:"number"` // the customer's number (the console masks it per role)
	Mode        Mode      `json:"mode"`
	State       State     `json:"state"`
	Team        string    `json:"team,omitempty"`  // preview: offered to the team
	Agent       string    `json:"agent,omitempty"` // preview: offered to (or taken by) the agent
	Created     time.Time `json:"created_at"`
	NotBefore   time.Time `json:"not_before"` // no attempt before
	Attempts    int       `json:"attempts"`
	MaxAttempts int       `json:"max_attempts"`
	Result      *Result   `json:"result,omitempty"` // done or unreached
	Tries       []Attempt `json:"tries,omitempty"`  // Get fills them
}

// Attempt is one call of a task.
type Attempt struct {
	Seq     int       `json:"seq"`
	Number  string    `json:"number"`
	Started time.Time `json:"started_at"`
	Ended   time.Time `json:"ended_at,omitzero"`
	CallID  string    `json:"call_id,omitempty"`
	By      string    `json:"by"` // "auto" or the agent
	Outcome string    `json:"outcome,omitempty"`
}

// Result is what a follow-up came to.
type Result struct {
	Reached   bool              `json:"reached"`
	Satisfied *bool             `json:"satisfied,omitempty"` // nil: the customer did not say
	Answers   map[string]string `json:"answers,omitempty"`   // question (the flow's variable, or the agent's form field) -> answer
	Note      string            `json:"note,omitempty"`
	CallID    string            `json:"call_id,omitempty"` // the follow-up call that reached the customer
	By        string            `json:"by"`                // "auto" or the agent
	At        time.Time         `json:"at"`
}

// Filter selects tasks for List.
type Filter struct {
	States      []State
	Mode        Mode
	Agent       string // offered to or taken by the agent
	Team        string // offered to the team
	ComplaintID string
	From, To    time.Time // created in [From, To); zero: unbounded
	Limit       int       // 0: 50, at most 500
}

// Outcome is the agent's result of a preview task (POST
// /api/followups/{id}/result).
type Outcome struct {
	Reached   bool              `json:"reached"`
	Satisfied *bool             `json:"satisfied,omitempty"` // required when reached
	Answers   map[string]string `json:"answers,omitempty"`   // the follow-up's questions: product state, service
	Note      string            `json:"note,omitempty"`      // what the customer said; required when not satisfied
	CallID    string            `json:"call_id,omitempty"`   // the outbound call; "" for the last attempt's
}

// The errors; the messages wrapping them say which field or step, and why.
var (
	ErrInvalid  = errors.New("invalid follow-up")
	ErrNotFound = errors.New("no such follow-up")
	ErrStep     = errors.New("the follow-up refuses the step") // taken by someone else, not offered, done...
)
