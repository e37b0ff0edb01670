package complaints

import (
	"errors"
	"time"
)

// State is where a complaint stands in the workflow.
type State string

// The states, in the order of the workflow (登记—通知—解决—跟踪—存档).
const (
	Registered State = "registered"  // taken down; the responsible team not told yet
	Notified   State = "notified"    // the responsible team was told
	InProgress State = "in_progress" // someone works on it
	Resolved   State = "resolved"    // a resolution was given (the 24 h clock stops)
	FollowedUp State = "followed_up" // the customer was asked whether satisfied
	Closed     State = "closed"      // archived
)

// Action is a step of the workflow, or a change that keeps the state.
type Action string

// The actions Act takes, and the one registration records.
const (
	ActNotify   Action = "notify"    // registered → notified: (re)send the notice to the team
	ActStart    Action = "start"     // registered or notified → in progress
	ActResolve  Action = "resolve"   // registered, notified or in progress → resolved; the note is the resolution
	ActFollowUp Action = "follow_up" // resolved → followed up; the note is what the customer said
	ActClose    Action = "close"     // followed up → closed
	ActReopen   Action = "reopen"    // resolved, followed up or closed → in progress; the 24 h clock restarts
	ActHandOff  Action = "hand_off"  // adds a responsible team; the owner stays
	ActFeedback Action = "feedback"  // the customer's feedback on an open complaint: the 3-day clock starts
	// ActTake makes its actor the owner of a complaint nobody owns yet (one
	// the IVR registered): "I own this". Any other step by a person on an
	// unowned complaint makes that person the owner too (首问负责制); once
	// owned, the owner never changes, and take by anybody else is refused.
	ActTake Action = "take"
	// ActRegister is the first change of every complaint (from "" to
	// registered); ActWarning and ActBreach are kept by the scan of the
	// clocks (by SystemActor, the state unchanged, the note naming the
	// clock) when it sends a warning or a breach's escalation. Act takes
	// none of them.
	ActRegister Action = "register"
	ActWarning  Action = "warning"
	ActBreach   Action = "breach"
)

// Complaint is one complaint record (§1: time, complainant, contact,
// content, category, what the caller wants, owner, resolution, the linked
// call).
type Complaint struct {
	ID          string    `json:"id"`      // like "C20261206-000123" (readable, unique)
	CallID      string    `json:"call_id"` // "" when registered through the API without a call
	Hotline     string    `json:"hotline"`
	Source      string    `json:"source"` // "agent", "ivr", "api"
	Registered  time.Time `json:"registered_at"`
	Complainant string    `json:"complainant"`
	Contact     string    `json:"contact"` // phone number or other contact
	Content     string    `json:"content"`
	Category    string    `json:"category"` // a complaint category of §5 (a disposition code of kind complaint)
	Wants       string    `json:"wants"`    // what the caller wants
	Owner       string    `json:"owner"`    // the registering agent (or user), or for one the IVR registered ("" until then) the first who took a step on it: 首问负责制, never changes once set
	Teams       []string  `json:"teams"`    // responsible teams (hand-offs add)
	State       State     `json:"state"`
	Resolution  string    `json:"resolution"`
	ResolveDue  time.Time `json:"resolve_due"`       // the 24 h clock's deadline (zero when stopped: resolved)
	FeedbackDue time.Time `json:"feedback_due"`      // the 3-day clock's deadline after customer feedback (zero: none open)
	Warned      bool      `json:"warned"`            // the running clock's warning was sent
	Breached    bool      `json:"breached"`          // the running clock broke: escalated
	Changes     []Change  `json:"changes,omitempty"` // Get fills them; List leaves them out
	// MessageRecording is the recording (package recordings' ID, kind
	// message) of the caller's voice message, for a complaint the IVR
	// took down; "" for none.
	MessageRecording string `json:"message_recording,omitempty"`
}

// Change is one kept change of a complaint: who, when, what, why.
type Change struct {
	Seq    int       `json:"seq"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action Action    `json:"action"`
	From   State     `json:"from"`
	To     State     `json:"to"`
	Note   string    `json:"note"`
	Team   string    `json:"team,omitempty"`
	// Due is the deadline of the clock the change started: the 24 h
	// clock's at registration and reopening, the 3-day clock's at the
	// feedback that started it; zero for the other changes. Reports tell
	// from it whether a clock was met after it stopped.
	Due time.Time `json:"due,omitzero"`
}

// Registration is what a registration gives.
type Registration struct {
	CallID, Hotline, Source                        string
	Complainant, Contact, Content, Category, Wants string
	Team                                           string // the responsible team to notify ("" : the category's default)
}

// Filter selects complaints for List.
type Filter struct {
	States   []State
	Owner    string
	Unowned  bool // only those nobody owns yet (the IVR's, until someone takes them); refused with Owner
	Team     string
	Category string
	Contact  string    // the complainant's contact, exactly (the caller's earlier complaints)
	Overdue  bool      // only those whose running clock is past due
	From, To time.Time // registered in [From, To); zero: unbounded
	Limit    int       // 0: 50, at most 500
}

// The errors of the package; the messages wrapping them say which field
// or step, and why.
var (
	// ErrInvalid: a registration or action that does not fit.
	ErrInvalid = errors.New("invalid complaint")
	// ErrNotFound: no complaint has the ID.
	ErrNotFound = errors.New("no such complaint")
	// ErrStep: a step the workflow refuses.
	ErrStep = errors.New("the workflow refuses the step")
)

// Clock is one of a complaint's clocks as kept: its deadline and warning
// time (zero when it does not run) and whether its warning and its breach
// were sent.
type Clock struct {
	Due, WarnAt      time.Time
	Warned, Breached bool
}

// Running tells whether the clock runs.
func (c Clock) Running() bool { return !c.Due.IsZero() }

// Record is a complaint as kept: the complaint and both its clocks (the
// 24 h resolution clock and the 3-day feedback clock). The store keeps
// Records; the Service shows Complaints.
type Record struct {
	Complaint
	Resolve, Feedback Clock
}

// show fills the complaint's clock fields from the clocks.
func (r Record) show() Complaint {
	c := r.Complaint
	c.ResolveDue, c.FeedbackDue = r.Resolve.Due, r.Feedback.Due
	switch {
	case r.Resolve.Running() || r.Feedback.Running():
		c.Warned = r.Resolve.Running() && r.Resolve.Warned || r.Feedback.Running() && r.Feedback.Warned
		c.Breached = r.Resolve.Running() && r.Resolve.Breached || r.Feedback.Running() && r.Feedback.Breached
	default: // stopped: what the last 24 h clock came to
		c.Warned, c.Breached = r.Resolve.Warned, r.Resolve.Breached
	}
	if c.Teams == nil {
		c.Teams = []string{}
	}
	return c
}
