package recordings

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Action is what an audited access did: the values of the
// recording_audit table's action column.
type Action string

// The audited actions.
const (
	ActionList             Action = "list"               // searched or listed recordings
	ActionPlay             Action = "play"               // streamed one to listen
	ActionDownload         Action = "download"           // downloaded its file
	ActionDelete           Action = "delete"             // deleted one by hand
	ActionLegalHold        Action = "legal_hold"         // put it under a legal hold
	ActionLegalHoldRelease Action = "legal_hold_release" // released the hold
	ActionRetentionDelete  Action = "retention_delete"   // the retention job deleted its audio
	ActionDenied           Action = "denied"             // asked for something the role does not allow
)

var actions = []Action{ActionList, ActionPlay, ActionDownload, ActionDelete, ActionLegalHold,
	ActionLegalHoldRelease, ActionRetentionDelete, ActionDenied}

// Valid reports whether a is one of the audited actions.
func (a Action) Valid() bool {
	for _, v := range actions {
		if a == v {
			return true
		}
	}
	return false
}

// Actor is who does something to a recording: a console user in a role,
// from an address; the system's own work (the retention job) is
// SystemActor.
type Actor struct {
	User, Role string
	ClientAddr string // the client's IP address (and port), as the console saw it
}

// SystemActor is the retention job, as the audit names it.
var SystemActor = Actor{User: "retention", Role: "system"}

// AuditEntry is one row of the append-only audit of recording access.
type AuditEntry struct {
	Seq         int64     // the audit's own order, set when it is written
	At          time.Time // zero when appending: now
	Actor       string    // the user, or "retention"
	Role        string    // agent, supervisor, qa, admin, system
	Action      Action
	RecordingID string // empty for a list
	ClientAddr  string
	Detail      string // what was asked (a search's filters, why a hold, why refused)
}

// Entry makes the audit entry of actor doing action to recording id.
func (a Actor) Entry(action Action, id, detail string) AuditEntry {
	return AuditEntry{Actor: a.User, Role: a.Role, Action: action, RecordingID: id, ClientAddr: a.ClientAddr, Detail: detail}
}

// Check reports every reason the entry cannot be written, as one
// ErrBadAuditEntry.
func (e AuditEntry) Check() error {
	var problems []string
	if e.Actor == "" {
		problems = append(problems, "it names no actor")
	}
	if e.Role == "" {
		problems = append(problems, "it names no role")
	}
	if !e.Action.Valid() {
		problems = append(problems, fmt.Sprintf("action %q is not one of %v", e.Action, actions))
	}
	for _, s := range []string{e.Actor, e.Role, e.RecordingID, e.ClientAddr, e.Detail} {
		if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
			problems = append(problems, fmt.Sprintf("%q is not valid UTF-8 or holds a NUL byte", s))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrBadAuditEntry, strings.Join(problems, "; "))
	}
	return nil
}

// AuditQuery selects audit entries: each non-zero field narrows it. The
// entries come in the audit's order (Seq); After continues a page.
type AuditQuery struct {
	From, To    time.Time // At in [From, To)
	Actor       string
	RecordingID string
	Action      Action
	After       int64 // only entries with a larger Seq
	Limit       int   // at most this many (0: 1,000; at most 100,000)
}

// Check reports what is wrong with the query, as one ErrBadSearch.
func (q AuditQuery) Check() error {
	var problems []string
	if q.Action != "" && !q.Action.Valid() {
		problems = append(problems, fmt.Sprintf("action %q is not one of %v", q.Action, actions))
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.To.After(q.From) {
		problems = append(problems, "the period ends before it starts")
	}
	if q.Limit < 0 || q.Limit > 100_000 {
		problems = append(problems, fmt.Sprintf("limit %d is not between 1 and 100000", q.Limit))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: audit query: %s", ErrBadSearch, strings.Join(problems, "; "))
	}
	return nil
}

// AuditCSVHeader is the first line WriteAuditCSV writes.
var AuditCSVHeader = []string{"seq", "at", "actor", "role", "action", "recording_id", "client_addr", "detail"}

// WriteAuditCSV writes entries as CSV (RFC 4180) for managers: a header,
// then one line per entry, times in UTC RFC 3339 with milliseconds. A cell
// that a spreadsheet would take for a formula (starting with = + - @ or a
// tab) is written with a leading apostrophe.
func WriteAuditCSV(w io.Writer, entries []AuditEntry) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(AuditCSVHeader); err != nil {
		return err
	}
	for _, e := range entries {
		rec := []string{strconv.FormatInt(e.Seq, 10), e.At.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
			cell(e.Actor), cell(e.Role), string(e.Action), cell(e.RecordingID), cell(e.ClientAddr), cell(e.Detail)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// cell defuses a value a spreadsheet would run as a formula.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
