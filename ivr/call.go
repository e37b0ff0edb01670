package ivr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/hotline-ivr/hotline/callflow"
)

// errHungUp ends a call's script: the caller hung up (or the channel left
// Stasis). errTimeout is a wait that ran out.
var (
	errHungUp  = errors.New("caller hung up")
	errTimeout = errors.New("timed out waiting for the caller")
	errLost    = errors.New("channel vanished while ARI was disconnected")
)

// call is one caller in the IVR. Its goroutine (run) owns every field but
// box, which the engine fills.
type call struct {
	e       *Engine
	id      string
	name    string
	hotline string
	caller  string
	box     *mailbox
	log     *slog.Logger
	span    trace.Span

	flow   *callflow.Flow
	lang   string
	vars   map[string]string
	secret map[string]bool // sensitive variables, masked in the journey
	// agentHungUp: the last queue's agent hung up, and the flow has not
	// gone on with the caller since (only a hang-up node).
	agentHungUp bool
	path        []string // nodes visited, for the agent's whisper
	digits      []typed  // keys pressed and not yet consumed (type-ahead)
	pbSeq       int
	complaints  int            // complaint nodes run, naming their recordings
	owned       []string       // playback ids and recording names routed here (Engine.own)
	stops       sync.WaitGroup // barge-in stops still being sent (stopBarged)
	journey     Journey
	served      bool      // passed a self-service success point (see OutcomeSelfService)
	chose       bool      // took a menu option
	gone        bool      // the channel is hung up or out of Stasis
	goneAt      time.Time // when the call first knew it (gone), its end in the journey
	lostAt      time.Time // when the channel was lost with Asterisk (errLost)
	hungUp      bool      // we hung it up

	// Where the flow is, for a handoff: at is the node running (or about
	// to), returns and subflows the sub-flows entered (their return
	// points and their nodes).
	at       string
	returns  []string
	subflows []string
	inQueue  bool       // inside Queues.Enqueue: the queues own the caller
	playing  string     // the playback a wait that failed was for (see handOff)
	adopting bool       // found in Stasis at (re)connect: see adopt.go
	resume   *CallState // the state it resumes from, until its node used it
	handoff  *CallState // set when the engine stopped with it in the IVR
	notOurs  bool       // an adopted channel no flow answers: no journey

	// rec is the recording of the IVR part while it runs (see record.go);
	// hush is set in a sensitive part of a node: keys are masked, and
	// redactMedia while a say node speaks a sensitive value.
	rec         Recording
	hush        bool
	hushTail    bool // keys still in the mailbox came during a sensitive part: see hushEnd
	redactMedia string

	// parked is what the goroutine waits for, for Engine.quiet: 0 while
	// it works, parkedIdle when it waits for events only, else the
	// UnixNano of the timer that wakes it.
	parked atomic.Int64
}

const parkedIdle = -1

func newCall(e *Engine, id, name, hotline, caller string) *call {
	c := &call{e: e, id: id, name: name, hotline: hotline, caller: caller, box: newMailbox(),
		vars: map[string]string{}, secret: map[string]bool{}}
	c.log = e.log.With("call", id, "channel", name, "hotline", hotline)
	c.journey = Journey{CallID: id, Channel: name, Hotline: hotline, Caller: caller, Arrived: e.now()}
	return c
}

// run is the call's goroutine: pick the flow, answer, run it, and hand
// over the journey. A panic is contained here: it is logged, the caller
// hears the apology rather than dead air, and no other call is touched.
func (c *call) run(ctx context.Context) {
	ctx, c.span = c.e.tracer.Start(ctx, "call", trace.WithAttributes(
		attribute.String("call.id", c.id), attribute.String("call.hotline", c.hotline)))
	defer c.span.End()
	c.note(EventArrived, "", map[string]any{"caller": c.caller})
	defer c.finish()
	defer c.stops.Wait()
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("call panicked; playing the apology", "panic", r, "stack", string(debug.Stack()))
			c.span.SetStatus(codes.Error, fmt.Sprint(r))
			c.fail(context.WithoutCancel(ctx), fmt.Errorf("panic: %v", r))
		}
	}()

	var (
		from string
		err  error
	)
	if c.adopting {
		from, err = c.adopt(ctx)
		if err != nil || c.notOurs {
			c.end(ctx, err)
			return
		}
	} else {
		flow, found := c.e.cfg.Flows.ForNumber(c.hotline)
		if !found {
			c.log.Warn("no flow answers this number; hanging up")
			c.note(EventError, "", map[string]any{"error": "no flow for the dialled number"})
			c.journey.Outcome = OutcomeError
			c.hangup(ctx, "unallocated")
			return
		}
		c.setFlow(flow, flow.Languages[0])
		if err := c.answer(ctx); err != nil {
			c.end(ctx, err)
			return
		}
		from = flow.Start
	}
	c.end(ctx, c.runFlow(ctx, from))
}

// setFlow sets the flow the call runs and its language.
func (c *call) setFlow(flow *callflow.Flow, lang string) {
	c.flow, c.lang = flow, lang
	c.journey.Flow, c.journey.FlowVersion = flow.Name, flow.Version
	c.log = c.log.With("flow", flow.Name, "version", flow.Version)
}

// answer answers the channel and sets its language.
func (c *call) answer(ctx context.Context) error {
	if err := c.e.cfg.Media.Answer(ctx, c.id); err != nil {
		return fmt.Errorf("answering: %w", err)
	}
	c.journey.Answered = c.e.now()
	c.note(EventAnswered, "", nil)
	c.startRecording(ctx)
	c.setLanguage(ctx)
	return nil
}

// end settles how the call's script ended: a hang-up, a lost channel, the
// engine stopping (the call is handed to the next instance), or a failure.
func (c *call) end(ctx context.Context, err error) {
	switch {
	case stopping(ctx) && !c.gone:
		c.handOff()
	case errors.Is(err, errHungUp):
		if c.journey.Outcome == "" {
			c.journey.Outcome = OutcomeAbandoned
		}
	case errors.Is(err, errLost):
		// Lost with Asterisk (the channel vanished while the socket was
		// down): not the caller's doing, so not an abandon.
		c.journey.Outcome = OutcomeLost
		c.journey.HungUpBy = HungUpBySystem
	case err != nil && ctx.Err() == nil:
		c.fail(context.WithoutCancel(ctx), err)
	}
}

// stopping says whether ctx ended because the engine stops driving its
// calls (a drain that timed out).
func stopping(ctx context.Context) bool { return errors.Is(context.Cause(ctx), ErrStopping) }

// handOff leaves the call to the next instance: a caller in a queue is the
// queues' (they persist its place); one in the IVR gets music on hold, so
// it does not wait in silence. Either way its state and journey so far are
// kept for Drain to save, so that the next instance writes the call's one
// record whole, and this instance writes no journey for it.
func (c *call) handOff() {
	c.notOurs = true // the next instance records it
	if c.inQueue {
		c.log.Info("engine stopping: the caller stays in its queue for the next instance")
		c.keepState(c.at)
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.e.ctx), handoffTimeout)
	defer cancel()
	if c.journey.Outcome != OutcomeTransferred { // not while it talks to a transfer's far end
		if c.playing != "" { // the prompt it was playing: hold music instead
			if err := c.e.cfg.Media.StopPlayback(ctx, c.playing); err != nil {
				c.log.Debug("stopping the prompt of a call left to the next instance", "error", err)
			}
		}
		if err := c.e.cfg.Media.StartMOH(ctx, c.id); err != nil {
			c.log.Warn("music on hold for a call left to the next instance", "error", err)
		}
	}
	node := c.at
	if len(c.subflows) > 0 {
		node = c.subflows[0] // its return points are not kept: enter the sub-flow again
	}
	if c.keepState(node) {
		c.log.Info("engine stopping: call handed to the next instance", "node", node)
	}
}

// keepState keeps where the call stands, at node, for Drain to save; false
// when it had not started its flow (the next instance starts it).
func (c *call) keepState(node string) bool {
	if c.flow == nil || node == "" {
		return false
	}
	c.note(EventHandoff, node, nil)
	c.handoff = &CallState{
		CallID: c.id, Channel: c.name, Caller: c.caller, Hotline: c.hotline, Language: c.lang,
		Flow: c.flow.Name, FlowVersion: c.flow.Version,
		Node: node, Vars: c.keptVars(), Path: append([]string(nil), c.path...), Arrived: c.journey.Arrived,
		Journey: c.journeySoFar(),
	}
	return true
}

// keptVars are the call's variables without the sensitive ones (the
// caller is asked again).
func (c *call) keptVars() map[string]string {
	vars := make(map[string]string, len(c.vars))
	for k, v := range c.vars {
		if !c.secretVar(k) {
			vars[k] = v
		}
	}
	return vars
}

// journeySoFar is a copy of the journey as it stands.
func (c *call) journeySoFar() *Journey {
	j := c.journey
	j.Events = append([]JourneyEvent(nil), c.journey.Events...)
	j.Language = c.lang
	return &j
}

// fail ends a call the engine could not carry on: logged, the apology
// played, hung up.
func (c *call) fail(ctx context.Context, err error) {
	msg := c.scrub(err.Error())
	c.log.Error("call failed", "error", msg)
	c.note(EventError, "", map[string]any{"error": msg})
	c.journey.Outcome = OutcomeError
	c.span.RecordError(errors.New(msg)) // scrubbed: traces are exported
	if c.gone {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if media, ok := c.promptMedia(callflow.PromptSorry); ok {
		_, _ = c.play(ctx, "", media, false)
	}
	c.hangup(ctx, "normal")
}

// finish records who hung up and hands the journey over.
func (c *call) finish() {
	if c.notOurs {
		c.stopRecording("") // the call goes on with the next instance
		return              // handed to the next instance, or not a call of ours
	}
	ctx := context.WithoutCancel(c.e.ctx)
	c.journey.Ended = c.goneAt // when its end was seen, not when the flow got here
	if c.journey.Ended.IsZero() {
		c.journey.Ended = c.e.now()
	}
	if !c.lostAt.IsZero() {
		c.journey.Ended = c.lostAt // its real end, not when we learnt of it
	}
	if c.journey.HungUpBy == "" {
		c.journey.HungUpBy = HungUpByCaller
		if c.hungUp {
			c.journey.HungUpBy = HungUpBySystem
		}
	}
	c.stopRecording(c.journey.HungUpBy)
	switch c.journey.Outcome {
	case "", OutcomeCompleted, OutcomeAbandoned:
		if c.served {
			c.journey.Outcome = OutcomeSelfService
		}
	}
	if c.journey.Outcome == "" {
		c.journey.Outcome = OutcomeCompleted
	}
	c.journey.Language = c.lang
	c.journey.Vars = map[string]string{}
	for k, v := range c.vars {
		if c.secretVar(k) {
			v = mask(v)
		}
		c.journey.Vars[k] = v
	}
	c.span.SetAttributes(attribute.String("call.outcome", c.journey.Outcome), attribute.String("call.hung_up_by", c.journey.HungUpBy))
	c.e.metrics.outcomes.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", c.journey.Outcome)))
	c.log.Info("call ended", "outcome", c.journey.Outcome, "hung_up_by", c.journey.HungUpBy, "nodes", len(c.path))
	if c.e.cfg.Journeys != nil {
		c.e.cfg.Journeys.RecordJourney(ctx, &c.journey)
	}
}

// mask hides every character of a sensitive value (no digit of a card
// number is stored, not even the last ones), keeping only how long it was.
func mask(v string) string {
	return strings.Repeat("*", max(utf8.RuneCountInString(v), 2))
}

// note appends a step to the journey.
func (c *call) note(kind, node string, detail map[string]any) {
	c.journey.Events = append(c.journey.Events, JourneyEvent{
		Seq: len(c.journey.Events) + 1, At: c.e.now(), Kind: kind, Node: node, Detail: detail,
	})
}

// deadline is a timer on the engine's clock that knows when it is due,
// so that Engine.quiet can tell a call about to wake from a parked one.
type deadline struct {
	t   clockwork.Timer
	due time.Time
	c   *call
}

func (c *call) newDeadline(d time.Duration) *deadline {
	return &deadline{t: c.e.clock.NewTimer(d), due: c.e.now().Add(d), c: c}
}

// reset arms the deadline again, d from now.
func (d *deadline) reset(dur time.Duration) {
	d.t.Stop()
	d.t = d.c.e.clock.NewTimer(dur)
	d.due = d.c.e.now().Add(dur)
}

func (d *deadline) stop() { d.t.Stop() }

// bound is the deadline of a wait for the end of a playback or a
// recording, which lasts length from its start and is told by an event
// that may be lost. While the events socket is up every event comes, in
// order, so the wait needs no timer until Asterisk says it started; then
// it is armed for length plus margin, after which Asterisk is asked. While
// the socket is down the end will not be told: Asterisk is asked as soon
// as the media should be over (downPoll after its length from the start
// or the request), and again every downPoll while it says it goes on, so
// a cut adds no more than that to what the caller hears (not the margin).
type bound struct {
	c              *call
	length, margin time.Duration
	from           time.Time // Asterisk said it started; until then, when it was asked
	dl             *deadline // nil until armed
}

// downPoll is how late after its expected end a playback or recording is
// asked about while the events socket is down, and how often again.
const downPoll = 250 * time.Millisecond

func (c *call) newBound(length, margin time.Duration) *bound {
	b := &bound{c: c, length: length, margin: margin, from: c.e.now()}
	if c.e.isDown() {
		b.down()
	}
	return b
}

// started arms the bound length plus margin from now: Asterisk said it
// started.
func (b *bound) started() {
	if b.dl == nil {
		b.from = b.c.e.now()
		b.dl = b.c.newDeadline(b.length + b.margin)
	}
}

// down brings the bound forward to the media's expected end plus
// downPoll: the socket dropped.
func (b *bound) down() {
	now := b.c.e.now()
	wait := max(b.from.Add(b.length).Sub(now), 0) + downPoll
	switch {
	case b.dl == nil:
		b.dl = b.c.newDeadline(wait)
	case now.Add(wait).Before(b.dl.due):
		b.dl.reset(wait)
	}
}

// again arms the bound once more: Asterisk says it is still going. With
// the socket down it is asked again after downPoll.
func (b *bound) again() {
	d := b.length + b.margin
	if b.c.e.isDown() {
		d = downPoll
	}
	if b.dl == nil {
		b.dl = b.c.newDeadline(d)
		return
	}
	b.dl.reset(d)
}

func (b *bound) stop() {
	if b.dl != nil {
		b.dl.stop()
	}
}

// await returns the call's next event, or errTimeout when the deadline
// passes first (nil: no deadline). Hang-up events end the wait with
// errHungUp; keys pressed are also kept for type-ahead.
func (c *call) await(ctx context.Context, dl *deadline) (ari.Event, error) {
	if c.gone {
		return nil, errHungUp
	}
	var timer <-chan time.Time
	parked := int64(parkedIdle)
	if dl != nil {
		timer, parked = dl.t.Chan(), dl.due.UnixNano()
	}
	for {
		if ev, ok := c.box.take(); ok {
			if c.hushEnded(ev) {
				continue
			}
			if err := c.ended(ev); err != nil {
				return nil, err
			}
			if key, isKey := ev.(*ari.ChannelDtmfReceived); isKey {
				c.digits = append(c.digits, c.noteKey(key.Digit))
			}
			return ev, nil
		}
		c.parked.Store(parked)
		select {
		case <-c.box.signal:
			c.parked.Store(0)
		case <-timer:
			c.parked.Store(0)
			return nil, errTimeout
		case <-ctx.Done():
			c.parked.Store(0)
			return nil, ctx.Err()
		}
	}
}

// ended says whether ev ends the call's channel: errHungUp for a hang-up
// or the channel leaving Stasis, errLost when it vanished while ARI was
// disconnected; nil for any other event.
func (c *call) ended(ev ari.Event) error {
	switch ev.(type) {
	case *ari.StasisEnd, *ari.ChannelHangupRequest, *ari.ChannelDestroyed:
		c.markGone()
		return errHungUp
	case *lostEvent:
		c.markGone()
		c.lostAt = ev.(*lostEvent).at
		return errLost
	}
	return nil
}

// markGone notes the channel hung up or out of Stasis, and when that was
// first known: the call's end, even if the flow (an agent's call ending,
// a recording stopping) takes a moment more to finish.
func (c *call) markGone() {
	if !c.gone {
		c.goneAt = c.e.now()
	}
	c.gone = true
}

// current is the node the call is in, for the journey.
func (c *call) current() string {
	if len(c.path) == 0 {
		return ""
	}
	return c.path[len(c.path)-1]
}

// play plays media and waits for the end. With bargeIn a key stops it
// and play returns true; the key stays in the type-ahead buffer. Without,
// keys are kept for the next menu or collect.
func (c *call) play(ctx context.Context, node string, media []string, bargeIn bool) (bool, error) {
	if len(media) == 0 {
		return false, nil
	}
	if bargeIn && len(c.digits) > 0 {
		return true, nil // a key is already waiting: the prompt would be cut at once
	}
	c.pbSeq++
	id := c.id + "-pb" + strconv.Itoa(c.pbSeq)
	c.e.own(id, c)
	defer c.e.disown(id, c)
	started := c.e.now()
	if err := c.e.cfg.Media.Play(ctx, c.id, id, media...); err != nil {
		if c.gone {
			return false, errHungUp
		}
		if StatusOf(err) == http.StatusNotFound {
			return false, c.vanished()
		}
		return false, fmt.Errorf("playing %v: %w", c.shownMedia(media), err)
	}
	// The end of the playback is an event that may be lost (the socket was
	// down when it came): past the prompt's length plus a margin, or when
	// told after a reconnect, ask Asterisk.
	b := c.newBound(c.e.playLength(media), waitMargin)
	defer b.stop()
	c.playing = id
	for {
		ev, err := c.await(ctx, b.dl)
		if errors.Is(err, errTimeout) {
			ev, err = &recheckEvent{id: id}, nil
		}
		if err != nil {
			return false, err // c.playing stays: the playback may go on
		}
		switch ev := ev.(type) {
		case *recheckEvent:
			if ev.id != id {
				continue
			}
			over, err := c.playbackOver(ctx, id)
			if err != nil {
				return false, err
			}
			if over {
				c.note(EventPrompt, node, map[string]any{"media": c.shownMedia(media), "state": "ended_unseen",
					"ms": c.e.now().Sub(started).Milliseconds()})
				c.log.Warn("the end of a prompt was not seen; Asterisk says it is over", "media", media, "playback", id)
				c.playing = ""
				return false, nil
			}
			b.again()
		case *ari.PlaybackStarted:
			if ev.Playback.ID == id {
				b.started()
			}
		case *downEvent:
			b.down()
		case *ari.PlaybackFinished:
			if ev.Playback.ID != id {
				continue
			}
			c.note(EventPrompt, node, map[string]any{"media": c.shownMedia(media), "state": ev.Playback.State,
				"ms": c.e.now().Sub(started).Milliseconds()})
			if ev.Playback.State == "failed" {
				c.log.Warn("prompt failed to play (missing sound?)", "media", c.shownMedia(media))
			}
			c.playing = ""
			return false, nil
		case *ari.ChannelDtmfReceived:
			if bargeIn {
				c.stopBarged(ctx, id)
				c.note(EventPrompt, node, map[string]any{"media": c.shownMedia(media), "state": "barged_in",
					"ms": c.e.now().Sub(started).Milliseconds()})
				c.playing = ""
				return true, nil
			}
		}
	}
}

// vanished is what a command that found no channel (404) means: with the
// events socket down, the channel was lost with Asterisk (errLost, ended
// when the socket dropped); with it up, its hang-up is on its way.
func (c *call) vanished() error {
	c.markGone()
	c.e.mu.Lock()
	since := c.e.downSince
	c.e.mu.Unlock()
	if !since.IsZero() {
		c.lostAt = since
		return errLost
	}
	return errHungUp
}

// playbackOver asks Asterisk whether a playback is over: gone (404).
// When Asterisk cannot be asked, the caller is not left waiting on it
// either: the wait goes on and is asked again at its next bound.
func (c *call) playbackOver(ctx context.Context, id string) (bool, error) {
	_, found, err := c.e.cfg.Media.Playback(ctx, id)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		c.log.Warn("cannot ask Asterisk about a playback; waiting on", "playback", id, "error", err)
		return false, nil
	}
	return !found, nil
}

// stopBarged stops a prompt the caller barged in on without waiting for
// Asterisk's answer, so that the request for what the key leads to goes
// out at once instead of one round trip later. Either may reach Asterisk
// first: a play sent while another playback is playing on the channel is
// queued behind it (state "queued") and starts when the stop ends that
// one. run waits for the stops before the call ends.
func (c *call) stopBarged(ctx context.Context, playbackID string) {
	media, log := c.e.cfg.Media, c.log
	c.stops.Go(func() {
		if err := media.StopPlayback(ctx, playbackID); err != nil {
			// Often the prompt had just ended, or the caller hung up.
			log.Debug("stopping a prompt on barge-in", "playback", playbackID, "error", err)
		}
	})
}

// key waits up to timeout for a key; errTimeout when none came.
func (c *call) key(ctx context.Context, timeout time.Duration) (string, error) {
	if len(c.digits) > 0 {
		return c.popKey(), nil
	}
	dl := c.newDeadline(timeout)
	defer dl.stop()
	for {
		ev, err := c.await(ctx, dl)
		if err != nil {
			return "", err
		}
		if _, isKey := ev.(*ari.ChannelDtmfReceived); isKey {
			return c.popKey(), nil
		}
	}
}

func (c *call) popKey() string {
	k := c.digits[0]
	c.digits = c.digits[1:]
	return c.consumed(k)
}

// pause waits d, ending early only on hang-up; keys are kept.
func (c *call) pause(ctx context.Context, d time.Duration) error {
	dl := c.newDeadline(d)
	defer dl.stop()
	for {
		if _, err := c.await(ctx, dl); err != nil {
			if errors.Is(err, errTimeout) {
				return nil
			}
			return err
		}
	}
}

// hangup hangs the channel up from our side.
func (c *call) hangup(ctx context.Context, reason string) {
	if c.gone {
		return
	}
	c.hungUp = true
	by := HungUpBySystem
	if c.agentHungUp {
		by = HungUpByAgent // the agent hung up, and the flow only ended the call after it
	}
	c.journey.HungUpBy = by
	c.note(EventHangup, c.current(), map[string]any{"by": by})
	if err := c.e.cfg.Media.Hangup(ctx, c.id, reason); err != nil {
		c.log.Warn("hanging up", "error", err)
	}
	c.markGone()
}

// setLanguage tells Asterisk the call's language (CHANNEL(language)), so
// that the channel reports it and Asterisk's own sounds follow it. A
// failure is logged: the flow's prompts do not depend on it.
func (c *call) setLanguage(ctx context.Context) {
	if err := c.e.cfg.Media.SetLanguage(ctx, c.id, c.lang); err != nil && !c.gone {
		c.log.Warn("setting the channel's language", "lang", c.lang, "error", err)
	}
}

// promptMedia resolves a prompt name of the flow in the call's language.
func (c *call) promptMedia(name string) ([]string, bool) {
	if c.flow == nil {
		return nil, false
	}
	sound, ok := c.flow.Prompt(name, c.lang)
	if !ok {
		return nil, false
	}
	return []string{"sound:" + sound}, true
}
