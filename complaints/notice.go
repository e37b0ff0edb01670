package complaints

import (
	"context"
	"time"
)

// NoticeKind is why a notice is sent.
type NoticeKind string

// The kinds of notices.
const (
	NoticeRegistered NoticeKind = "registered" // a complaint for the team to handle
	NoticeHandOff    NoticeKind = "hand_off"   // a team added to a complaint
	NoticeWarning    NoticeKind = "warning"    // a clock is close to its breach (to the owner and supervisors)
	NoticeBreach     NoticeKind = "breach"     // a clock ran out: escalation
	NoticeReopened   NoticeKind = "reopened"   // the customer was not satisfied
)

// Notice is one message about a complaint to a team or a person.
type Notice struct {
	ID          string     // unique: a notice delivered twice is the same notice (receivers may de-duplicate)
	Kind        NoticeKind //
	ComplaintID string
	Team        string // the responsible team it is for ("" for a person)
	To          []string
	Subject     string // one line, in the centre's language
	Body        string // plain text: the complaint's fields, what is due when
	At          time.Time
	// Due is the deadline the notice is about (warnings and breaches).
	Due time.Time
}

// Notifier delivers notices (package complaints/notify: an outgoing
// webhook and e-mail, retried until delivered). Notify returns once the
// notice is safely queued for delivery, not once delivered.
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}
