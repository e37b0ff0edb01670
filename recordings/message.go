package recordings

import (
	"fmt"
	"strings"
	"time"
)

// MessageID is the recording ID of the voice message a call left at its
// journey event seq (a complaint node's): the same message always gets
// the same ID, so handing it to the pipeline again is a no-op. Characters
// a recording ID cannot hold become '_'.
func MessageID(callID string, seq int) string {
	id := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, callID)
	suffix := fmt.Sprintf("-%d", seq)
	return "msg-" + id[:min(len(id), 128-len("msg-")-len(suffix))] + suffix
}

// MessageJob is the job that stores a call's voice message: Asterisk's
// stored recording name (mono, the caller's voice), recorded until end,
// seconds long (negative: unknown, then from started to end). The
// pipeline checks only that the file holds audio: a voice message is as
// long as the caller spoke.
func MessageJob(callID string, seq int, name string, started, end time.Time, seconds int, hotline, caller string) Job {
	start := started
	if seconds > 0 {
		start = end.Add(-time.Duration(seconds) * time.Second)
	}
	if start.IsZero() || !end.After(start) {
		start = end.Add(-time.Millisecond)
	}
	return Job{
		ID: MessageID(callID, seq), CallID: callID, Mono: name, Kind: Message,
		Start: start, End: end, Hotline: hotline, Caller: caller,
	}
}
