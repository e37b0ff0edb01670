package recordings

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Marker is one event of a recording's own timeline (the table
// recording_markers): a PCI pause or resume with who and why, a hold, a
// transfer, the agent of each segment, the agent ID announced, the
// hang-up and by whom. The capture side keeps them while the recording
// runs and hands them over with the Job; their offset into the audio is
// At - Job.Start.
type Marker struct {
	At     time.Time
	Kind   string // pci_pause, pci_resume, hold, unhold, agent, transfer, agent_id, hangup, ring, answer...
	Actor  string // who did it: an agent ID, "caller", "system"
	Reason string
	Detail map[string]string
}

// Check reports why the marker cannot be stored, if it cannot.
func (m Marker) Check() error {
	var problems []string
	if m.Kind == "" {
		problems = append(problems, "it has no kind")
	}
	if m.At.IsZero() {
		problems = append(problems, "it has no time")
	}
	texts := []string{m.Kind, m.Actor, m.Reason}
	for k, v := range m.Detail {
		texts = append(texts, k, v)
	}
	for _, s := range texts {
		if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
			problems = append(problems, fmt.Sprintf("%q is not valid UTF-8 or holds a NUL byte", s))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: marker %q at %s: %s", ErrBadJob, m.Kind, m.At.Format(time.RFC3339Nano), strings.Join(problems, "; "))
	}
	return nil
}
