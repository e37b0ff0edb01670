package ivr

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/callflow"
)

// Recording the IVR part, and keeping sensitive input out of every record.
//
// When EngineConfig.RecordIVR says the dialled hotline records its IVR
// part, the call starts a recording (RecordIVR) right after answering and
// stops it when it leaves the IVR: as it enters a queue or a transfer, or
// when the call ends (handed to the next instance included). The steps of
// the journey are not marked on the recording: the recording's timeline
// takes them from the call's events (call_events) within its span
// (store.Recordings.TimelineEvents, recordings.MergeTimeline), so a mark
// would show each twice; its own markers are its pauses and resumes.
// A call the next instance takes up again in the IVR (after a handoff, or
// from its start) gets a recording of its own there, from before the
// apology it hears; so does a call back in the flow from a queue (an
// overflow, the survey after the agent) or a failed transfer.
//
// A collect node with sensitive: true pauses the recording from the
// moment the node starts (before its prompt, which the caller may key
// over) until the collect ends, and a say node that speaks a sensitive
// variable pauses it while it speaks; who is "system", why names the node.
// A recording that cannot be paused is stopped there: nothing the caller
// keys into a sensitive collect is ever recorded.
//
// Keys: a key pressed in a sensitive collect is noted as "*" in the
// journey, and so is one pressed before it ended but read after (past its
// max_digits). A key pressed before the node (type-ahead) is noted when
// it comes, and masked in the journey if a sensitive collect consumes it
// (the journey is stored only when the call ends or is handed over).

// typed is a key pressed and not yet consumed (type-ahead).
type typed struct {
	key string
	ev  int // index of its EventKey in the journey; -1 for none
}

// maskedKey stands for a key of a sensitive collect in every record.
const maskedKey = "*"

// pciActor is who pauses and resumes a recording for sensitive input.
const pciActor = "system"

// recordsIVR says whether the call's hotline records its IVR part.
func (e *Engine) recordsIVR(hotline string) bool {
	return e.cfg.Recorder != nil && e.cfg.RecordIVR != nil && e.cfg.RecordIVR(hotline)
}

// startRecording starts the recording of the IVR part, if the hotline
// wants it. A failure is logged; the call goes on unrecorded.
func (c *call) startRecording(ctx context.Context) {
	if c.rec != nil || !c.e.recordsIVR(c.hotline) {
		return
	}
	rec, err := c.e.cfg.Recorder.Start(ctx, RecordingRequest{
		Kind: RecordIVR, CallID: c.id, ChannelID: c.id, Hotline: c.hotline, Caller: c.caller,
	})
	if err != nil {
		c.log.Error("the IVR part of the call cannot be recorded; the call goes on", "error", err)
		return
	}
	c.rec = rec
}

// recorderTimeout bounds a Recorder call made once the call's own
// context may be over (stopping at its end).
const recorderTimeout = 10 * time.Second

// backInIVR passes on a queue's or a transfer's next node, first starting
// a new recording of the IVR part when the caller comes back to the flow
// (an overflow, a failed transfer, the survey after the agent), if the
// hotline records it.
func (c *call) backInIVR(ctx context.Context) func(string, error) (string, error) {
	return func(next string, err error) (string, error) {
		if err == nil && next != "" && !c.gone && !c.hungUp {
			c.startRecording(ctx)
		}
		return next, err
	}
}

// stopRecording ends the recording of the IVR part, if one runs: the
// call leaves the IVR; hungUpBy is who ended the call, "" while it goes
// on (a queue, a transfer, the next instance).
func (c *call) stopRecording(hungUpBy string) {
	if c.rec == nil {
		return
	}
	rec := c.rec
	c.rec = nil
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.e.ctx), recorderTimeout)
	defer cancel()
	if err := rec.Stop(ctx, hungUpBy); err != nil {
		c.log.Error("stopping the recording of the IVR part", "error", err)
	}
}

// pauseRecording pauses the recording for sensitive input; a recording
// that cannot be paused is stopped, so that the input is not recorded.
func (c *call) pauseRecording(ctx context.Context, reason string) {
	if c.rec == nil {
		return
	}
	if err := c.rec.Pause(ctx, pciActor, reason); err != nil {
		c.log.Error("the recording cannot be paused for sensitive input; stopping it", "reason", reason, "error", err)
		c.stopRecording("")
	}
}

// resumeRecording ends a pause of pauseRecording. Once the caller is
// gone there is nothing more to record: the recording is stopped next.
func (c *call) resumeRecording(ctx context.Context, reason string) {
	if c.rec == nil || c.gone {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recorderTimeout)
	defer cancel()
	if err := c.rec.Resume(ctx, pciActor, reason); err != nil {
		c.log.Error("resuming the recording after sensitive input", "reason", reason, "error", err)
	}
}

// sensitive runs a sensitive part of node (a collect or a say of a
// sensitive value): keys are masked and the recording paused meanwhile.
// Keys pressed before it ends but not yet read (past a collect's
// max_digits, say) are masked too, when read: a hushEnd put in the
// mailbox marks where they end.
func (c *call) sensitive(ctx context.Context, reason string, run func() (string, error)) (string, error) {
	c.hush = true
	c.pauseRecording(ctx, reason)
	defer func() {
		c.hush, c.hushTail = false, true
		c.box.put(&hushEnd{})
		c.resumeRecording(ctx, reason)
	}()
	return run()
}

// hushEnd follows, in a call's mailbox, the events that came during a
// sensitive part of a node.
type hushEnd struct{ ari.EventData }

// Keys makes hushEnd an ari.Event; it concerns no ARI resource.
func (*hushEnd) Keys() ari.Keys { return nil }

// hushEnded says whether ev is a hushEnd, which is then consumed: the
// keys after it are noted in clear.
func (c *call) hushEnded(ev ari.Event) bool {
	if _, ok := ev.(*hushEnd); ok {
		c.hushTail = false
		return true
	}
	return false
}

// noteKey notes a key the caller pressed, masked in a sensitive part.
func (c *call) noteKey(digit string) typed {
	shown := digit
	if c.hush || c.hushTail {
		shown = maskedKey
	}
	c.note(EventKey, c.current(), map[string]any{"key": shown})
	return typed{key: digit, ev: len(c.journey.Events) - 1}
}

// consumed is a typed-ahead key read by the flow: in a sensitive part its
// journey event is masked now if it was noted in clear.
func (c *call) consumed(k typed) string {
	if c.hush && k.ev >= 0 && k.ev < len(c.journey.Events) {
		if e := c.journey.Events[k.ev]; e.Kind == EventKey {
			e.Detail["key"] = maskedKey
		}
	}
	return k.key
}

// secretVar says whether a variable holds what the caller keyed into a
// sensitive collect, or may do so in this flow.
func (c *call) secretVar(name string) bool {
	return c.secret[name] || (c.flow != nil && c.flow.Sensitive(name))
}

// scrub replaces the sensitive values in s (an error's text, for the
// journey and the logs), as they are and as a URL carries them.
func (c *call) scrub(s string) string {
	for name, v := range c.vars {
		if len(v) < 2 || !c.secretVar(name) {
			continue
		}
		s = strings.ReplaceAll(s, v, callflow.Redaction)
		if esc := strings.ReplaceAll(url.QueryEscape(v), "+", "%20"); esc != v {
			s = strings.ReplaceAll(s, esc, callflow.Redaction)
		}
	}
	return s
}

// shownMedia is what the journey keeps of media played: while a say node
// speaks a sensitive value, only the variable's name.
func (c *call) shownMedia(media []string) []string {
	if c.redactMedia == "" {
		return media
	}
	return []string{"say:${" + c.redactMedia + "}"}
}

// carriesSecret says whether a template names a sensitive variable.
func (c *call) carriesSecret(template string) bool {
	for name := range c.vars {
		if c.secretVar(name) && strings.Contains(template, "${"+name+"}") {
			return true
		}
	}
	return false
}
