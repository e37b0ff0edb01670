package acd

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/queue"
)

// phase is where a session's call is.
type phase uint8

const (
	waiting    phase = iota // in line: music, announcements, maybe an agent ringing
	connecting              // the agent answered: agent-ID announcement and whisper
	dialing                 // a call-back: the agent answered, the customer rings
	connected               // caller and agent bridged
	done
)

// Messages a session's goroutine receives besides ARI events.
type (
	eventMsg struct {
		id string // the service resource the event is about
		ev ari.Event
	}
	offerMsg       struct{ o queue.Offer }
	ringTimeoutMsg struct{ o queue.Offer }
	overflowMsg    struct{ ov queue.Overflow }
	// callerGoneMsg: an adopted caller's channel ended (or the engine's
	// Enqueue for it did).
	callerGoneMsg struct{}
	// attachMsg: the engine's resumed Enqueue takes an adopted caller.
	attachMsg struct {
		keys     <-chan string
		answered func(ivr.QueueResult)
	}
	// recheckMsg: the events socket is back; ask Asterisk about what the
	// session waits on.
	recheckMsg struct{}
	// adoptRecordingMsg: an adopted conversation is recorded from here on
	// (record.go).
	adoptRecordingMsg struct{}
	// command is an agent's or supervisor's request, answered on reply.
	command struct {
		do    func(ctx context.Context, ses *session) (string, error)
		reply chan commandResult
	}
	commandResult struct {
		value string
		err   error
	}
)

// leg is the agent's channel for one offer.
type leg struct {
	channel  string
	offer    queue.Offer
	answered time.Time // zero while it rings

	// A softphone's leg (device WebRTC/<id>): soft is the session ID; the
	// channel is the externalMedia channel, made once the agent answers
	// (media) and joined to the browser once in Stasis (attached).
	soft     string
	media    bool
	attached bool
	renew    string // Reconnect: the new externalMedia channel, until it replaces channel
}

// session is one call in the ACD: a live caller from the engine, or a
// call-back. Its goroutine alone runs its fields; the view is shared with
// Snapshot under vmu.
type session struct {
	// script is what is left of a script that ends the call (phrases.go).
	script []scriptStep
	s      *Service
	id     string // the center's call id
	log    *slog.Logger

	box      inbox
	keys     <-chan string
	answered func(ivr.QueueResult)

	lang      string
	phase     phase
	queue     string
	caller    string // the caller's channel (a call-back's customer once up)
	number    string // the caller's number
	priority  int
	skills    []string
	path      []string
	moh       bool
	playing   map[string]string // playback id -> what it is
	timer     *timer
	timerKind string
	ringTimer *timer // a softphone ringing: its ring timeout (softleg.go)
	leg       *leg
	bridge    string
	held      bool
	heldAt    time.Time
	holds     int
	holdTime  time.Duration
	transfers int
	sups      map[string]*supervision
	owned     []string // every resource id it was given (see Service.own)
	result    ivr.QueueResult

	// the call-back dialogue of a live caller
	cbOffered bool   // the caller heard the call-back offer
	cbNotIn   bool   // the offer came from an overflow at the door: AddCallback
	cbStep    string // "", "confirm", "enter", "booked"
	cbDigits  string

	cb *callbackState // a call-back session

	rec       ivr.Recording // the conversation's recording, while it runs (record.go)
	recordOff bool          // the queue records nothing

	// Restarts (see live.go, adopt.go, leave.go).
	live         bool                 // a live caller from the engine (not a call-back)
	state        ivr.CallState        // where the call runs, for the next instance
	queueArrived time.Time            // joined its queue: the place it keeps
	queueOrder   uint64               // its order among callers who joined at the same moment
	persisted    bool                 // LiveStore has a row for it
	kept         bool                 // left in Asterisk for the next instance
	callerLeft   bool                 // the caller's channel is gone
	adopted      bool                 // taken over from the last instance
	attached     bool                 // adopted, and the engine's Enqueue took it
	claimed      chan struct{}        // adopted: closed when an Enqueue takes it
	finished     chan struct{}        // adopted: closed when its loop has ended
	adoptTimer   *timer               // adopted: how long the engine has to take it
	bounds       map[string]time.Time // playback id -> when its end is overdue
	overran      map[string]int       // playbacks Asterisk said still played at their bound: how often
	queuedUntil  map[string]time.Time // by channel: when what was played to it ends at the latest
	boundTimer   *timer
	callerEnded  atomic.Bool // its channel is ending (hang-up request, StasisEnd, destroyed)
	lostMu       sync.Mutex
	lostAt       time.Time // lost with the PBX: when (see reconcile)

	vmu   sync.Mutex
	view  CallView
	trace stageTrace // the caller's stages as spans (trace.go)
}

func (s *Service) newSession(id string, v CallView) *session {
	ses := &session{s: s, id: id, playing: map[string]string{}, sups: map[string]*supervision{}, bounds: map[string]time.Time{},
		queue: v.Queue, number: v.Caller, path: v.Path, lang: v.Language, view: v}
	ses.box.init()
	ses.log = s.log.With("call", id)
	return ses
}

func (ses *session) put(m any) bool {
	ses.s.busy.Add(1)
	if !ses.box.put(m) {
		ses.s.busy.Add(-1)
		return false
	}
	return true
}

func (ses *session) viewCopy() CallView {
	ses.vmu.Lock()
	defer ses.vmu.Unlock()
	v := ses.view
	v.Path = slices.Clone(v.Path)
	v.Vars = maps.Clone(v.Vars)
	return v
}

func (ses *session) setView(f func(*CallView)) {
	ses.vmu.Lock()
	f(&ses.view)
	ses.traceStageLocked()
	ses.vmu.Unlock()
	ses.s.wake()
}

// Enqueue implements [ivr.Queues]: the caller waits in the queue with
// music and its announcements, may book a call-back that keeps its place,
// and is put through to an agent. It returns when the caller leaves the
// queue: the conversation ended with the caller still on the line
// (answered: the flow goes on to its survey), the queue turned it away
// (overflow), or a call-back was booked (callback). When the caller hangs
// up, ctx ends and Enqueue tidies up and returns ctx's error.
func (s *Service) Enqueue(ctx context.Context, req ivr.QueueRequest) (ivr.QueueResult, error) {
	if req.Resume {
		if ses := s.claimAdopted(req.CallID); ses != nil {
			return s.attach(ctx, ses, req)
		}
	}
	// Setting the caller up is work in flight until the loop takes over.
	s.busy.Add(1)
	setup := true
	defer func() {
		if setup {
			s.busy.Add(-1)
		}
	}()
	ses := s.newSession(req.CallID, CallView{
		CallID: req.CallID, Queue: req.Queue, Caller: req.Caller, Hotline: req.Hotline, Language: req.Language,
		Path: slices.Clone(req.Path), Vars: maps.Clone(req.Vars), Arrived: arrivedAt(req.Arrived, s.clock.Now()),
	})
	ses.caller, ses.keys, ses.answered = req.CallID, req.Keys, req.Answered
	ses.live, ses.state, ses.queueArrived = true, callStateOf(req), arrivedAt(req.Arrived, s.clock.Now())
	ses.priority, ses.skills = req.Priority, slices.Clone(req.Skills)
	if ses.lang == "" {
		ses.lang = "zh"
	}
	// The session exists before the caller is in the center, so that no
	// offer for it can arrive to nobody.
	s.mu.Lock()
	if _, dup := s.sessions[ses.id]; dup {
		s.mu.Unlock()
		return ivr.QueueResult{}, queue.ErrDuplicateCall
	}
	s.sessions[ses.id] = ses
	s.mu.Unlock()
	defer ses.close()
	adm, err := s.center.Enqueue(queue.Caller{
		CallID: req.CallID, Queue: req.Queue, Priority: req.Priority, Skills: req.Skills, Number: req.Caller,
		Arrived: req.Arrived,
	})
	if err != nil {
		return ivr.QueueResult{}, err
	}
	s.wake()
	ses.log = ses.log.With("queue", req.Queue)
	if !adm.Queued {
		ses.overflowAtDoor(ctx, adm.Overflows[len(adm.Overflows)-1])
	} else {
		ses.queue = adm.Place.Queue
		ses.beginTrace(ctx)
		ses.startWaiting(ctx)
	}
	setup = false
	s.busy.Add(-1)
	return ses.loop(ctx)
}

// close forgets the session and everything it owned; commands that came
// too late learn the call is gone.
func (ses *session) close() {
	ses.endTrace()
	if ses.rec != nil {
		// The conversation's part of the call is over (an overflow after a
		// transfer, say); the call goes on in the flow.
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		ses.stopRecording(ctx, "")
		cancel()
	}
	ses.stopTimer()
	ses.stopRingTimer()
	ses.stopBounds()
	if ses.adoptTimer != nil {
		ses.adoptTimer.done()
		ses.adoptTimer = nil
	}
	ses.forget()
	for _, m := range ses.box.close() {
		ses.s.busy.Add(-1)
		if c, ok := m.(command); ok {
			c.reply <- commandResult{err: ErrNoCall}
		}
	}
	s := ses.s
	s.mu.Lock()
	if s.sessions[ses.id] == ses {
		delete(s.sessions, ses.id)
	}
	for _, id := range ses.owned {
		if s.owners[id] == ses {
			delete(s.owners, id)
			delete(s.channels, id)
		}
	}
	for a, o := range s.byAgent {
		if o == ses {
			delete(s.byAgent, a)
		}
	}
	for id, o := range s.sups {
		if o == ses {
			delete(s.sups, id)
		}
	}
	s.mu.Unlock()
	s.wake()
}

// loop runs the session until its call leaves the ACD.
func (ses *session) loop(ctx context.Context) (ivr.QueueResult, error) {
	for ses.phase != done {
		var tick, bound, adopt <-chan time.Time
		if ses.timer != nil {
			tick = ses.timer.Chan()
		}
		if ses.boundTimer != nil {
			bound = ses.boundTimer.Chan()
		}
		if ses.adoptTimer != nil {
			adopt = ses.adoptTimer.Chan()
		}
		var ringOut <-chan time.Time
		if ses.ringTimer != nil {
			ringOut = ses.ringTimer.Chan()
		}
		select {
		case <-ctx.Done():
			if ses.leftForNext() {
				// A stop, not a hang-up: the call stays in Asterisk for
				// the next instance.
				ses.leaveForNext(context.WithoutCancel(ctx))
				return ivr.QueueResult{}, ctx.Err()
			}
			ses.callerGone(context.WithoutCancel(ctx))
			return ivr.QueueResult{}, ctx.Err()
		case <-bound:
			t := ses.boundTimer
			ses.boundTimer = nil
			ses.overdue(ctx)
			t.done()
		case <-adopt:
			// Done before its work: the apology waits on a timer of its own.
			ses.adoptTimer.done()
			ses.adoptTimer = nil
			ses.adoptTimeout(ctx)
		case <-ringOut:
			t := ses.ringTimer
			ses.ringTimer = nil
			ses.softRingTimeout(ctx)
			t.done()
		case k, ok := <-ses.keys:
			if !ok {
				ses.keys = nil
				continue
			}
			ses.key(ctx, k)
		case <-tick:
			t, kind := ses.timer, ses.timerKind
			ses.timer, ses.timerKind = nil, ""
			ses.timeout(ctx, kind)
			t.done()
		case <-ses.box.signal:
			for ses.phase != done {
				m, ok := ses.box.take()
				if !ok {
					break
				}
				ses.handle(ctx, m)
				ses.s.busy.Add(-1)
			}
		}
	}
	return ses.result, nil
}

func (ses *session) handle(ctx context.Context, m any) {
	switch m := m.(type) {
	case eventMsg:
		ses.event(ctx, m.id, m.ev)
	case offerMsg:
		ses.ring(ctx, m.o)
	case ringTimeoutMsg:
		if l := ses.leg; l != nil && l.answered.IsZero() && l.offer.Agent == m.o.Agent {
			ses.log.Info("agent did not answer in time", "agent", m.o.Agent)
			ses.dropLeg(ctx)
		}
	case overflowMsg:
		ses.overflow(ctx, m.ov)
	case callerGoneMsg:
		if ses.phase != done {
			ses.callerGone(ctx)
		}
	case attachMsg:
		ses.takeBack(m)
	case recheckMsg:
		ses.recheck(ctx)
	case adoptRecordingMsg:
		ses.adoptRecording(ctx)
	case command:
		v, err := m.do(ctx, ses)
		m.reply <- commandResult{v, err}
	}
}

// event handles an ARI event about one of the session's resources.
func (ses *session) event(ctx context.Context, id string, ev ari.Event) {
	switch ev := ev.(type) {
	case *ari.PlaybackFinished:
		what, ok := ses.playing[id]
		if !ok {
			return
		}
		delete(ses.playing, id)
		delete(ses.bounds, id)
		ses.s.disown(id)
		ses.played(ctx, what)
	case *ari.StasisStart:
		switch {
		case ses.leg != nil && id == ses.leg.channel:
			switch {
			case ses.leg.soft != "" && !ses.leg.attached:
				ses.softphoneAnswered(ctx)
			case ses.leg.answered.IsZero(): // not already learnt from Asterisk after a reconnect
				ses.agentAnswered(ctx)
			}
		case ses.leg != nil && ses.leg.renew != "" && id == ses.leg.renew:
			ses.softphoneRenewed(ctx)
		case ses.cb != nil && id == ses.cb.customer:
			ses.customerAnswered(ctx)
		default:
			ses.supervisorEvent(ctx, id, ev)
		}
	case *ari.ChannelDestroyed:
		switch {
		case ses.leg != nil && id == ses.leg.channel:
			ses.agentGone(ctx, ev.Cause, ev.CauseTxt)
		case ses.leg != nil && ses.leg.renew != "" && id == ses.leg.renew:
			ses.log.Warn("the softphone's new externalMedia channel ended before it joined", "cause", ev.CauseTxt)
			ses.s.disown(id)
			ses.leg.renew = ""
		case ses.cb != nil && id == ses.cb.customer:
			ses.customerGone(ctx, ev.Cause, ev.CauseTxt)
		default:
			ses.supervisorEvent(ctx, id, ev)
		}
	}
}

// --- waiting ---------------------------------------------------------------

// startWaiting puts the caller on hold music and arms its announcements.
func (ses *session) startWaiting(ctx context.Context) {
	ses.phase = waiting
	ses.music(ctx, true)
	ses.armAnnouncement()
	if pl, err := ses.s.center.Position(ses.id); err == nil {
		ses.queueArrived, ses.queueOrder = pl.Arrived, pl.Seq
	}
	ses.persist(PhaseWaiting)
	ses.sharedJoin()
}

func (ses *session) armAnnouncement() {
	qc, err := ses.s.center.Queue(ses.queue)
	if err != nil || qc.AnnounceEvery <= 0 {
		return
	}
	ses.arm(qc.AnnounceEvery, "announce")
}

// music starts or stops the caller's hold music.
func (ses *session) music(ctx context.Context, on bool) {
	if ses.caller == "" || ses.moh == on {
		return
	}
	var err error
	if on {
		err = ses.s.pbx.StartMOH(ctx, ses.caller, ses.s.cfg.MOHClass)
	} else {
		err = ses.s.pbx.StopMOH(ctx, ses.caller)
	}
	if err != nil && ctx.Err() == nil {
		ses.log.Warn("hold music", "on", on, "error", err)
	}
	ses.moh = on
	if ses.rec != nil {
		// Hold music is not recorded: what the caller hears is silent
		// while it plays.
		ses.muteAgentSide(ctx, on)
	}
}

// play starts media on a channel; what names it for played.
func (ses *session) play(ctx context.Context, channel, what string, media ...string) {
	if len(media) == 0 {
		ses.played(ctx, what)
		return
	}
	id := ses.s.newID()
	ses.s.own(id, ses)
	ses.playing[id] = what
	ses.bound(id, channel, media)
	if err := ses.s.pbx.Play(ctx, channel, id, media...); err != nil {
		delete(ses.playing, id)
		delete(ses.bounds, id)
		ses.s.disown(id)
		if ctx.Err() == nil {
			ses.log.Warn("playing", "what", what, "error", err)
		}
		ses.played(ctx, what)
	}
}

// stopPlaying cuts short everything the session is playing, on purpose:
// their PlaybackFinished no longer counts.
func (ses *session) stopPlaying(ctx context.Context, what ...string) {
	for id, w := range ses.playing {
		if len(what) > 0 && !slices.Contains(what, w) {
			continue
		}
		delete(ses.playing, id)
		delete(ses.bounds, id)
		_ = ses.s.pbx.StopPlayback(ctx, id)
		ses.s.disown(id)
	}
}

func (ses *session) isPlaying(what string) bool {
	for _, w := range ses.playing {
		if w == what {
			return true
		}
	}
	return false
}

// played moves the session on when a playback it waited for ended.
func (ses *session) played(ctx context.Context, what string) {
	switch what {
	case "announce":
		if ses.phase == waiting && ses.cbStep == "" {
			ses.music(ctx, true)
		}
	case "callback-ask":
		ses.arm(ses.s.cfg.KeyTimeout, "callback-key")
	case "callback-booked":
		ses.result = ivr.QueueResult{Outcome: ivr.QueueCallback}
		ses.phase = done
	case "overflow":
		ses.phase = done
	case "agent-id", "whisper":
		if ses.phase == connecting && !ses.isPlaying("agent-id") && !ses.isPlaying("whisper") {
			ses.bridgeUp(ctx)
		}
	case "callback-whisper":
		if ses.phase == dialing && ses.cb != nil && ses.cb.customer != "" && ses.leg != nil {
			_ = ses.s.pbx.StartMOH(ctx, ses.leg.channel, ses.s.cfg.MOHClass)
		}
	case "callback-hello":
		if ses.phase == connecting {
			ses.bridgeUp(ctx)
		}
	case "script":
		ses.scriptStep(ctx)
	}
}

// --- timers -----------------------------------------------------------------

func (ses *session) arm(d time.Duration, kind string) {
	ses.stopTimer()
	ses.timer, ses.timerKind = ses.s.newTimer(d), kind
}

func (ses *session) stopTimer() {
	if ses.timer != nil {
		ses.timer.done()
		ses.timer, ses.timerKind = nil, ""
	}
}

func (ses *session) timeout(ctx context.Context, kind string) {
	switch kind {
	case "script":
		ses.scriptStep(ctx)
	case "announce":
		switch {
		case ses.phase != waiting || ses.cbStep != "":
		case ses.isPlaying("announce"):
			ses.armAnnouncement() // the last one is still playing: skip a turn
		default:
			ses.announce(ctx)
		}
	case "callback-key":
		ses.callbackGiveUp(ctx)
	}
}

// --- offers -----------------------------------------------------------------

// fail ends a connection Asterisk refused to make: the agent is released
// and a live caller goes back to the flow as if the agent had hung up.
func (ses *session) fail(ctx context.Context, what string, err error) {
	ses.log.Error("connecting the call failed", "step", what, "error", err)
	l := ses.leg
	if l == nil {
		return
	}
	ses.dropLeg(ctx)
	ses.endWithAgent(ctx, l, "system")
	if ses.cb != nil {
		ses.hangupCustomer(ctx)
	}
	ses.result = ivr.QueueResult{Outcome: ivr.QueueAnswered, Agent: l.offer.Agent, AnsweredAt: l.answered}
	ses.phase = done
	ses.outboundOver(OutboundFailed)
}

// callerGone: the live caller hung up (ctx ended), or, for a call-back,
// the service is stopping. Whatever stage the call was at, the center
// hears of it and the agent is let go.
func (ses *session) callerGone(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, cleanupTimeout)
	defer cancel()
	ses.stopTimer()
	ses.playing = map[string]string{}
	if ses.cb != nil {
		ses.callbackInterrupted(ctx)
		return
	}
	l := ses.leg
	ses.callerLeft = true
	_, lost := ses.lost()
	ses.log.Info("caller left the queue", "phase", ses.phase, "agent_leg", l != nil, "lost_with_the_pbx", lost)
	switch {
	case l != nil && !l.answered.IsZero():
		ses.dropLeg(ctx)
		ses.moh = false // the channel is gone
		by := "caller"
		if lost {
			by = "system"
		}
		ses.endWithAgent(ctx, l, by)
	default:
		// The center first, so the agent is free at once; then the phone.
		// A call lost with the PBX is no abandon.
		leave := ses.s.center.Abandon
		if lost {
			leave = ses.s.center.Lost
		}
		if err := leave(ses.id); err != nil && !ignorable(err) {
			ses.log.Error("abandon", "error", err)
		}
		ses.sharedLeave()
		ses.s.wake()
		ses.dropLeg(ctx)
		by := "caller"
		if lost {
			by = "system"
		}
		ses.stopRecording(ctx, by) // a caller transferred, hanging up while it waits
	}
	ses.phase = done
}

// ignorable are the center's answers to an event that came too late to
// matter: the call already moved on.
func ignorable(err error) bool {
	return errors.Is(err, queue.ErrUnknownCall) || errors.Is(err, queue.ErrNotOffered) || errors.Is(err, queue.ErrCallState)
}

func (ses *session) unhold() {
	if ses.held {
		ses.held = false
		ses.holdTime += ses.s.clock.Now().Sub(ses.heldAt)
		ses.setView(func(v *CallView) { v.Held, v.Phase = false, CallTalking })
	}
}
