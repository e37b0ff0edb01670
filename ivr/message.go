package ivr

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/callflow"
)

// recordingMargin is added to a message's max_length to bound the wait for
// the end of its recording; a message without max_length is bounded by
// unboundedMessage.
const (
	recordingMargin  = 5 * time.Second
	unboundedMessage = 10 * time.Minute
)

// errNoMessage is a message node whose recording failed or holds nothing.
var errNoMessage = errors.New("no message was recorded")

// runMessage records a voice message. A recording that fails, or ends
// empty (no second recorded, or nothing stored), fails the node: the
// caller hears the apology rather than a "message saved" that is not true.
func (c *call) runMessage(ctx context.Context, n *callflow.Node) (string, error) {
	m := n.Message
	c.served = false // the caller wants a person after all
	name := "message-" + c.id
	c.e.own(name, c)
	defer c.e.disown(name, c)
	if err := c.startVoice(ctx, n.ID, name, voice{m.Prompt, m.Beep, m.MaxLength, m.MaxSilence, m.Terminator}); err != nil {
		return "", err
	}
	c.journey.Outcome = OutcomeMessage
	secs, err := c.awaitRecording(ctx, name, m.MaxLength)
	if errors.Is(err, errHungUp) {
		c.note(EventMessage, n.ID, map[string]any{"recording": name, "ended_by": "hangup"})
		return "", err
	}
	if errors.Is(err, errNoMessage) {
		c.journey.Outcome = ""
		c.note(EventMessage, n.ID, map[string]any{"recording": name, "error": err.Error()})
		c.log.Warn("voice message not recorded; the caller hears the apology", "error", err)
		return callflow.SorryNode, nil
	}
	if err != nil {
		return "", err
	}
	detail := map[string]any{"recording": name, "seconds": secs}
	if secs < 0 {
		detail = map[string]any{"recording": name, "ended_unseen": true}
	}
	c.note(EventMessage, n.ID, detail)
	c.digits = c.digits[:0] // the terminator
	return m.Next, nil
}

// voice is how a voice message is recorded: the prompt inviting the
// caller, whether Hotline's beep follows it, and the recording's limits.
type voice struct {
	prompt                string
	beep                  bool
	maxLength, maxSilence time.Duration
	terminator            string // "" for none
}

// startVoice invites the caller to speak and starts the recording name
// (which the caller owns already, so that its events come to it): the
// prompt, Hotline's beep if asked, then the recording. The message and
// complaint nodes record this way; awaitRecording waits for the end.
func (c *call) startVoice(ctx context.Context, node, name string, v voice) error {
	if err := c.playPrompts(ctx, node, []string{v.prompt}, false); err != nil {
		return err
	}
	if v.beep {
		// Hotline's own beep (callflow.PromptBeep, shipped with the
		// prompts), then a recording without Asterisk's: Asterisk has no
		// beep sound unless its sound packages are installed, and a
		// recording asked with beep=true then ends at once, empty.
		if err := c.playPrompts(ctx, node, []string{callflow.PromptBeep}, false); err != nil {
			return err
		}
	}
	terminate := v.terminator
	if terminate == "" {
		terminate = "none"
	}
	err := c.e.cfg.Media.Record(ctx, c.id, name, ari.RecordingOptions{
		Format: "wav", MaxDuration: v.maxLength, MaxSilence: v.maxSilence, Beep: false, Exists: "overwrite", Terminate: terminate,
	})
	if err != nil {
		if c.gone {
			return errHungUp
		}
		return fmt.Errorf("recording a message: %w", err)
	}
	return nil
}

// awaitRecording waits for the end of the recording name and returns its
// length in seconds (-1 when its end event was missed and Asterisk only
// says it is stored). Its end is an event that may be lost: past the
// maximum length plus a margin, or when told after a reconnect, Asterisk
// is asked. errNoMessage when it failed or is empty.
func (c *call) awaitRecording(ctx context.Context, name string, maxLength time.Duration) (int, error) {
	length := maxLength
	if maxLength <= 0 {
		length = unboundedMessage
	}
	b := c.newBound(length, recordingMargin)
	defer b.stop()
	for {
		ev, err := c.await(ctx, b.dl)
		if errors.Is(err, errTimeout) {
			ev, err = &recheckEvent{id: name}, nil
		}
		if err != nil {
			return 0, err
		}
		switch ev := ev.(type) {
		case *recheckEvent:
			if ev.id != name {
				continue
			}
			over, stored, err := c.recordingOver(ctx, name)
			if err != nil {
				return 0, err
			}
			switch {
			case over && stored:
				c.log.Warn("the end of a recording was not seen; Asterisk has stored it", "recording", name)
				return -1, nil
			case over:
				return 0, fmt.Errorf("%w: the recording is gone and nothing was stored", errNoMessage)
			}
			b.again()
		case *ari.RecordingStarted:
			if ev.Recording.Name == name {
				b.started()
			}
		case *downEvent:
			b.down()
		case *ari.RecordingFinished:
			if ev.Recording.Name != name {
				continue
			}
			secs := int(time.Duration(ev.Recording.Duration) / time.Second)
			if secs <= 0 {
				return 0, fmt.Errorf("%w: the recording lasted 0 s", errNoMessage)
			}
			if stored, err := c.e.cfg.Media.StoredRecording(ctx, name); err == nil && !stored {
				return 0, fmt.Errorf("%w: Asterisk stored no file", errNoMessage)
			}
			return secs, nil
		case *ari.RecordingFailed:
			if ev.Recording.Name == name {
				return 0, fmt.Errorf("%w: the recording failed: %s", errNoMessage, ev.Recording.Cause)
			}
		}
	}
}

// recordingOver asks Asterisk whether a recording is over (no longer
// live) and whether it was stored. When Asterisk cannot be asked the wait
// goes on.
func (c *call) recordingOver(ctx context.Context, name string) (over, stored bool, err error) {
	_, live, err := c.e.cfg.Media.LiveRecording(ctx, name)
	if err == nil && !live {
		stored, err = c.e.cfg.Media.StoredRecording(ctx, name)
		if err == nil {
			return true, stored, nil
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return false, false, ctx.Err()
		}
		c.log.Warn("cannot ask Asterisk about a recording; waiting on", "recording", name, "error", err)
	}
	return false, false, nil
}
