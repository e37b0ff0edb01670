package acd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrBadDisposition means a disposition the centre does not take: a code
// it has not configured (Config.Dispositions), or a note too long.
var ErrBadDisposition = errors.New("not a usable disposition")

// maxDispositionNote bounds the agent's note, in characters.
const maxDispositionNote = 2000

// Disposition is an agent's wrap-up of a call: its category (an inquiry or
// complaint code of the service standards) and a note.
type Disposition struct {
	CallID   string
	Callback bool // a call-back's conversation: CallID is the request's
	Agent    string
	Code     string
	Note     string
	At       time.Time
}

// SetDisposition gives the agent's call (the one it is on, or the one it
// is wrapping up) a disposition: code is one of Config.Dispositions, note
// is optional. An agent whose queue requires a disposition is held in
// wrap-up until it gives one; given past its wrap-up time, it makes the
// agent ready. queue.ErrNoCallToDispose when the agent has no such call.
func (s *Service) SetDisposition(_ context.Context, agent, code, note string) error {
	if !slices.Contains(s.cfg.Dispositions, code) {
		return fmt.Errorf("%w: %q (the codes are %s)", ErrBadDisposition, code, strings.Join(s.cfg.Dispositions, ", "))
	}
	note = strings.TrimSpace(note)
	if n := len([]rune(note)); n > maxDispositionNote {
		return fmt.Errorf("%w: the note is %d characters, at most %d", ErrBadDisposition, n, maxDispositionNote)
	}
	defer s.wake()
	callID, callback, err := s.center.Dispose(agent)
	if err != nil {
		return err
	}
	if s.cfg.Records != nil {
		s.cfg.Records.Disposition(Disposition{CallID: callID, Callback: callback, Agent: agent, Code: code, Note: note, At: s.clock.Now()})
	}
	return nil
}
