package recordings

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Search selects recordings for the access API: each non-zero filter
// narrows it. Results come newest first (by the conversation's start,
// then ID), a page at a time: pass the Next of a page as After to get the
// one after it (keyset pagination: pages stay right while recordings are
// added).
type Search struct {
	From, To    time.Time // the conversation started in [From, To)
	Hotline     string    // the dialled number
	Queue       string
	AgentID     string // an agent's own calls (what an agent may search)
	Caller      string // the caller's number, exactly
	Outcome     string // the call's outcome (calls.outcome)
	MinDuration time.Duration
	MaxDuration time.Duration // zero: no bound
	// PCIPause, when set, keeps only recordings that were (true) or were
	// never (false) paused for card data.
	PCIPause *bool
	// MinCSAT and MaxCSAT bound the caller's satisfaction answer, 1 to 5;
	// either one set leaves out calls without an answer.
	MinCSAT, MaxCSAT int
	// States keeps recordings in these states; none: those whose audio
	// can be played (Stored, Cleaned).
	States []State
	After  string // a page's Next
	Limit  int    // per page; 0: 50; at most 500
}

// Found is one recording a search found: its row, with what the call's
// records add.
type Found struct {
	Job
	Outcome string // the call's outcome, if its record is written
	CSAT    int    // the satisfaction answer, 1 to 5; 0: none
}

// Page is one page of a search.
type Page struct {
	Recordings []Found
	Next       string // empty on the last page
}

// DefaultSearchLimit and MaxSearchLimit bound a page.
const (
	DefaultSearchLimit = 50
	MaxSearchLimit     = 500
)

// Check reports every problem of the search, as one ErrBadSearch.
func (s Search) Check() error {
	var problems []string
	if !s.From.IsZero() && !s.To.IsZero() && !s.To.After(s.From) {
		problems = append(problems, "period: it ends before it starts")
	}
	if s.MinDuration < 0 || s.MaxDuration < 0 {
		problems = append(problems, "duration: bounds must not be negative")
	}
	if s.MaxDuration > 0 && s.MaxDuration < s.MinDuration {
		problems = append(problems, fmt.Sprintf("duration: the maximum %s is below the minimum %s", s.MaxDuration, s.MinDuration))
	}
	for _, c := range []struct {
		name string
		v    int
	}{{"csat minimum", s.MinCSAT}, {"csat maximum", s.MaxCSAT}} {
		if c.v < 0 || c.v > 5 {
			problems = append(problems, fmt.Sprintf("%s: %d is not between 1 and 5", c.name, c.v))
		}
	}
	if s.MinCSAT > 0 && s.MaxCSAT > 0 && s.MaxCSAT < s.MinCSAT {
		problems = append(problems, "csat: the maximum is below the minimum")
	}
	for _, st := range s.States {
		switch st {
		case Pending, Fetched, Stored, Cleaned, Failed, Deleting, Deleted:
		default:
			problems = append(problems, fmt.Sprintf("state %q is not a recording state", st))
		}
	}
	if s.Limit < 0 || s.Limit > MaxSearchLimit {
		problems = append(problems, fmt.Sprintf("limit: %d is not between 1 and %d", s.Limit, MaxSearchLimit))
	}
	if s.After != "" {
		if _, _, err := DecodeCursor(s.After); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrBadSearch, strings.Join(problems, "; "))
	}
	return nil
}

// PageLimit is the search's page size.
func (s Search) PageLimit() int {
	if s.Limit == 0 {
		return DefaultSearchLimit
	}
	return s.Limit
}

// StatesOrDefault are the states the search keeps.
func (s Search) StatesOrDefault() []State {
	if len(s.States) == 0 {
		return []State{Stored, Cleaned}
	}
	return s.States
}

// EncodeCursor makes the cursor of the page after the recording that
// started at start with the ID: opaque to clients.
func EncodeCursor(start time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(start.UnixMicro(), 10) + "|" + id))
}

// DecodeCursor reads a cursor EncodeCursor made.
func DecodeCursor(c string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if ts, id, ok := strings.Cut(string(b), "|"); ok && id != "" {
			if us, err := strconv.ParseInt(ts, 10, 64); err == nil {
				return time.UnixMicro(us).UTC(), id, nil
			}
		}
	}
	return time.Time{}, "", fmt.Errorf("after: %q is not a cursor from a previous page", c)
}
