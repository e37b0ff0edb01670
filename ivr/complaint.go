package ivr

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/callflow"
)

// EventComplaint is the journey event of a complaint node that took a
// complaint down: from it, and from nothing else, the complaint is
// registered (package complaints' IngestIVR, over the stored call events),
// so that a complaint is never lost while PostgreSQL is away (the journey
// waits in the spool) and registered once. Its detail:
//
//	category   the category code (the node's category_var's value, or its category)
//	fallback   the node's category: what registration falls back to when the
//	           category is not a configured complaint category
//	contact    the number to call back (the node's contact_var's value, or the caller's)
//	team       the responsible team ("" : the category's default)
//	hotline    the dialled number
//	caller     the caller's number
//	recording  the name of Asterisk's stored recording of the voice message
//	seconds    its length in whole seconds; -1 when its end was not seen
//	           (Asterisk stored it, its length unknown)
//	started_at when the recording was asked for (RFC 3339)
//	ended_by   "hangup" when the caller hung up to end it, else "caller"
//	path       the caller's way through the IVR, like "main[3] > complaint-menu[2] > complaint"
//
// A complaint node whose recording failed or holds nothing notes an
// EventMessage with its error instead, and registers nothing.
const EventComplaint = "complaint"

// afterHangupWait bounds the wait for a recording's end after the caller
// hung up during it (Asterisk ends it with the channel and says so at
// once; past the bound it is asked).
const afterHangupWait = 5 * time.Second

// runComplaint takes a complaint down as a voice message (see
// callflow.Complaint): the invitation, the beep, the recording; then the
// journey event the complaint is registered from, and the thanks. A
// caller who hangs up while speaking has left a complaint too: it is
// noted, without the thanks nobody would hear.
func (c *call) runComplaint(ctx context.Context, n *callflow.Node) (string, error) {
	m := n.Complaint
	c.served = false
	c.complaints++
	name := "complaint-" + c.id
	if c.complaints > 1 {
		name += "-" + strconv.Itoa(c.complaints)
	}
	c.e.own(name, c)
	defer c.e.disown(name, c)
	if err := c.startVoice(ctx, n.ID, name, voice{m.Prompt, m.Beep, m.MaxLength, m.MaxSilence, m.Terminator}); err != nil {
		return "", err
	}
	requested := c.e.now()
	c.journey.Outcome = OutcomeMessage
	secs, err := c.awaitRecording(ctx, name, m.MaxLength)
	hungUp := errors.Is(err, errHungUp)
	if hungUp {
		secs, err = c.recordingAfterHangup(ctx, name)
	}
	if errors.Is(err, errNoMessage) {
		c.journey.Outcome = ""
		c.note(EventMessage, n.ID, map[string]any{"recording": name, "complaint": true, "error": err.Error()})
		c.log.Warn("complaint not recorded; the caller hears the apology", "error", err)
		if hungUp {
			return "", errHungUp
		}
		return callflow.SorryNode, nil
	}
	if err != nil {
		return "", err
	}
	c.note(EventComplaint, n.ID, c.complaintDetail(m, name, secs, requested, hungUp))
	if hungUp {
		return "", errHungUp
	}
	c.digits = c.digits[:0] // the terminator
	if err := c.playPrompts(ctx, n.ID, []string{m.Thanks}, false); err != nil {
		return "", err
	}
	return m.Next, nil
}

// complaintDetail is the EventComplaint's detail.
func (c *call) complaintDetail(m *callflow.Complaint, name string, secs int, requested time.Time, hungUp bool) map[string]any {
	vars := c.vars
	if m.ContactVar != "" && c.secretVar(m.ContactVar) {
		vars = nil // a sensitive value is kept in no record: the caller's number instead
	}
	endedBy := "caller"
	if hungUp {
		endedBy = "hangup"
	}
	return map[string]any{
		"category":   m.ComplaintCategory(c.vars),
		"fallback":   m.Category,
		"contact":    m.ComplaintContact(vars, c.caller),
		"team":       m.Team,
		"hotline":    c.hotline,
		"caller":     c.caller,
		"recording":  name,
		"seconds":    secs,
		"started_at": requested.UTC().Format(time.RFC3339Nano),
		"ended_by":   endedBy,
		"path":       c.journeyPath(),
	}
}

// journeyPath is the caller's way through the IVR so far: the nodes
// entered, each with the keys pressed in it (as the journey keeps them:
// "*" for a sensitive one), like "main[3] > complaint-menu[2] > complaint".
func (c *call) journeyPath() string {
	var parts []string
	var keys strings.Builder
	flush := func() {
		if len(parts) > 0 && keys.Len() > 0 {
			parts[len(parts)-1] += "[" + keys.String() + "]"
		}
		keys.Reset()
	}
	for _, e := range c.journey.Events {
		switch e.Kind {
		case EventNode:
			flush()
			parts = append(parts, e.Node)
		case EventKey:
			if k, ok := e.Detail["key"].(string); ok {
				keys.WriteString(k)
			}
		}
	}
	flush()
	return strings.Join(parts, " > ")
}

// recordingAfterHangup waits, bounded, for the end of the recording name
// after the caller hung up during it: Asterisk ends a recording with its
// channel and stores what was said. It returns the length in seconds (-1
// when the end was not seen but Asterisk has the file), or errNoMessage.
func (c *call) recordingAfterHangup(ctx context.Context, name string) (int, error) {
	dl := c.newDeadline(afterHangupWait)
	defer dl.stop()
	for {
		if ev, ok := c.box.take(); ok {
			switch ev := ev.(type) {
			case *ari.RecordingFinished:
				if ev.Recording.Name != name {
					continue
				}
				secs := int(time.Duration(ev.Recording.Duration) / time.Second)
				if secs <= 0 {
					return 0, fmt.Errorf("%w: the recording lasted 0 s", errNoMessage)
				}
				return secs, nil
			case *ari.RecordingFailed:
				if ev.Recording.Name == name {
					return 0, fmt.Errorf("%w: the recording failed: %s", errNoMessage, ev.Recording.Cause)
				}
			}
			continue
		}
		c.parked.Store(dl.due.UnixNano())
		select {
		case <-c.box.signal:
			c.parked.Store(0)
		case <-dl.t.Chan():
			c.parked.Store(0)
			stored, err := c.e.cfg.Media.StoredRecording(ctx, name)
			switch {
			case err != nil:
				return 0, err
			case !stored:
				return 0, fmt.Errorf("%w: the caller hung up and Asterisk stored nothing", errNoMessage)
			}
			c.log.Warn("the end of a complaint's recording was not seen after the hang-up; Asterisk has stored it", "recording", name)
			return -1, nil
		case <-ctx.Done():
			c.parked.Store(0)
			return 0, ctx.Err()
		}
	}
}
