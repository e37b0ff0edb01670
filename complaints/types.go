package complaints

// The types of the complaints contract (/work/notes/cmpapi.md), for the
// console to compile against until the package's own implementation is
// merged; this file is replaced by it then.

import (
	"errors"
	"time"
)

// State is where a complaint stands in its workflow.
type State string // "registered", "notified", "in_progress", "resolved", "followed_up", "closed"

// Action is a step of the workflow.
type Action string // "notify", "start", "resolve", "follow_up", "close", "reopen", "hand_off", "feedback"

// Complaint is one complaint record.
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
	Owner       string    `json:"owner"`    // the registering agent (or user): 首问负责制, never changes
	Teams       []string  `json:"teams"`    // responsible teams (hand-offs add)
	State       State     `json:"state"`
	Resolution  string    `json:"resolution"`
	ResolveDue  time.Time `json:"resolve_due"`       // the 24 h clock's deadline (zero when stopped: resolved)
	FeedbackDue time.Time `json:"feedback_due"`      // the 3-day clock's deadline after customer feedback (zero: none open)
	Warned      bool      `json:"warned"`            // the running clock's warning was sent
	Breached    bool      `json:"breached"`          // the running clock broke: escalated
	Changes     []Change  `json:"changes,omitempty"` // Get fills them; List leaves them out
}

// Change is one step a complaint went through.
type Change struct {
	Seq    int       `json:"seq"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action Action    `json:"action"`
	From   State     `json:"from"`
	To     State     `json:"to"`
	Note   string    `json:"note"`
	Team   string    `json:"team,omitempty"`
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
	Team     string
	Category string
	Overdue  bool      // only those whose running clock is past due
	From, To time.Time // registered in [From, To); zero: unbounded
	Limit    int       // 0: 50, at most 500
}

// The sentinels: a registration or action that does not fit, an unknown
// complaint, a step the workflow refuses.
var (
	ErrInvalid  = errors.New("invalid complaint")
	ErrNotFound = errors.New("no such complaint")
	ErrStep     = errors.New("the complaint's workflow refuses the step")
)
