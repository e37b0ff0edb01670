package acd

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/queue"
)

// DefaultAdoptWait is Config.AdoptWait's default.
const DefaultAdoptWait = 20 * time.Second

// Adoption. At its first connect, a service with a LiveStore puts its
// agents back in the states the last instance left them in, and takes over
// the callers that instance left in Asterisk: each one's session runs at
// once on a goroutine of the service, so a conversation keeps its agent
// and a waiting caller its place (its original arrival and priority), and
// the engine's resumed Enqueue (QueueRequest.Resume) attaches to it. A
// caller the engine does not take within Config.AdoptWait, or whose
// conversation ends before it does, hears the apology and is hung up,
// never left in silence.

// restore puts the agents back and adopts the calls, once; present is the
// application's channels now.
func (s *Service) restore(ctx context.Context, present map[string]bool) {
	if s.cfg.Live == nil || s.restored {
		return
	}
	agents, calls, err := s.cfg.Live.Load(ctx)
	if err != nil {
		s.log.Error("reading the agents' states and the queued calls the last instance left; starting without them", "error", err)
		return
	}
	s.restored = true
	onCall := map[string]AgentRecord{}
	for _, a := range agents {
		if _, err := s.center.Agent(a.Agent); err != nil {
			continue // no longer configured
		}
		switch a.State {
		case queue.OnCall:
			onCall[a.Agent] = a // its conversation decides
			continue
		case queue.Reserved:
			// Its phone was let go when the last instance stopped.
			a.State, a.Reason = queue.Ready, ""
		}
		if err := s.center.RestoreAgent(a.Agent, a.State, a.Reason, a.Since, a.Queue); err != nil {
			s.log.Warn("restoring an agent's state", "agent", a.Agent, "state", a.State.String(), "error", err)
		}
	}
	adopted := 0
	// The conversations first: their agents are on call before any waiting
	// caller is queued again (and routed at once), even where an agent's
	// state was saved a moment before its call's.
	slices.SortStableFunc(calls, func(a, b QueuedCall) int {
		talking := func(c QueuedCall) bool { return c.Phase == PhaseTalking || c.Phase == PhaseHeld }
		switch ta, tb := talking(a), talking(b); {
		case ta && !tb:
			return -1
		case tb && !ta:
			return 1
		}
		return 0
	})
	for _, c := range calls {
		if c.Instance != s.cfg.Instance && !present[c.Call.CallID] {
			continue // another instance's, on another Asterisk
		}
		if s.session(c.Call.CallID) != nil {
			continue
		}
		if s.adoptCall(ctx, c, present) {
			adopted++
		}
		delete(onCall, c.Agent)
	}
	now := s.clock.Now()
	for _, a := range onCall {
		// Its call is not there any more: it ended while nobody watched.
		if err := s.center.RestoreAgent(a.Agent, queue.WrapUp, "", now, a.Queue); err != nil {
			s.log.Warn("restoring an agent's state", "agent", a.Agent, "error", err)
		}
	}
	s.log.Info("restored the last instance's agents and callers", "agents", len(agents), "callers", adopted)
	s.wake()
}

// adoptCall takes over one caller the last instance left; false if the
// caller is gone.
func (s *Service) adoptCall(ctx context.Context, c QueuedCall, present map[string]bool) bool {
	id := c.Call.CallID
	callerHere := present[id]
	caller := queue.Caller{CallID: id, Queue: c.Queue, Priority: c.Priority, Skills: c.Skills, Number: c.Call.Caller,
		Arrived: c.Call.QueueArrived}
	switch c.Phase {
	case PhaseTalking, PhaseHeld:
		agentHere := present[c.AgentChannel]
		var inBridge []string
		if c.Bridge != "" {
			var err error
			if inBridge, err = s.pbx.BridgeChannels(ctx, c.Bridge); err != nil && !errors.Is(err, ErrGone) {
				s.log.Warn("asking Asterisk for a conversation's bridge", "call", id, "bridge", c.Bridge, "error", err)
			}
		}
		if err := s.center.AdoptCall(caller, c.Agent, c.Answered); err != nil {
			s.log.Error("adopting a conversation", "call", id, "agent", c.Agent, "error", err)
			if agentHere {
				_ = s.pbx.Hangup(ctx, c.AgentChannel, "normal")
			}
			s.cfg.Live.ForgetCall(id, s.clock.Now())
			return false
		}
		ses := s.adoptedSession(c)
		ses.phase = connected
		ses.leg = &leg{channel: c.AgentChannel, answered: c.Answered,
			offer: queue.Offer{CallID: id, Agent: c.Agent, Queue: c.Queue}}
		if st, err := s.center.Agent(c.Agent); err == nil {
			// A softphone's externalMedia channel survived, but the
			// browser's side went with the last instance: Reconnect
			// joins its next session.
			ses.leg.soft, _ = softphoneID(st.Device)
			ses.leg.media = ses.leg.soft != ""
		}
		ses.bridge, ses.held, ses.heldAt, ses.moh = c.Bridge, c.Phase == PhaseHeld, c.HeldSince, c.Phase == PhaseHeld
		ses.holds, ses.holdTime, ses.transfers = c.Holds, c.HoldTime, c.Transfers
		s.ownChannel(c.AgentChannel, ses)
		if c.Bridge != "" {
			s.own(c.Bridge, ses)
		}
		s.mu.Lock()
		s.byAgent[c.Agent] = ses
		s.mu.Unlock()
		ses.setView(func(v *CallView) {
			v.Agent, v.Answered, v.Held, v.Phase = c.Agent, c.Answered, ses.held, CallTalking
			if ses.held {
				v.Phase = CallHeld
			}
		})
		talking := callerHere && agentHere && slices.Contains(inBridge, c.AgentChannel) &&
			(ses.held || slices.Contains(inBridge, id))
		switch {
		case talking:
			ses.log.Info("adopted a conversation that survived the restart", "agent", c.Agent, "bridge", c.Bridge)
			ses.put(adoptRecordingMsg{})
		case !callerHere && !agentHere:
			// Both sides vanished while nobody watched: lost with the PBX.
			ses.markLost(c.At)
			ses.put(callerGoneMsg{})
		case !callerHere:
			ses.put(callerGoneMsg{})
		default:
			// The agent's side is gone (or out of the bridge): the
			// conversation is over and the caller goes back to its flow.
			if agentHere {
				_ = s.pbx.Hangup(ctx, c.AgentChannel, "normal")
			}
			ev := &ari.ChannelDestroyed{CauseTxt: "gone while this instance was down"}
			ev.Channel.ID = c.AgentChannel
			ses.put(eventMsg{id: c.AgentChannel, ev: ev})
		}
		s.runAdopted(ses, nil)
		return callerHere
	default: // waiting, ringing
		if c.Phase == PhaseRinging && c.AgentChannel != "" && present[c.AgentChannel] {
			_ = s.pbx.Hangup(ctx, c.AgentChannel, "normal")
		}
		if !callerHere {
			s.cfg.Live.ForgetCall(id, s.clock.Now())
			return false
		}
		ses := s.adoptedSession(c)
		ses.moh = true // the last instance left it on music
		// Queued here, in the order of the LiveStore, so that callers who
		// joined at the same moment keep their order too.
		adm, err := s.center.Enqueue(caller)
		s.wake()
		s.runAdopted(ses, func(ctx context.Context) {
			if err != nil {
				ses.log.Error("queueing an adopted caller again", "error", err)
				ses.result = ivr.QueueResult{Outcome: ivr.QueueOverflow}
				ses.phase = done
				return
			}
			if !adm.Queued {
				ses.overflowAtDoor(ctx, adm.Overflows[len(adm.Overflows)-1])
				return
			}
			ses.queue = adm.Place.Queue
			ses.startWaiting(ctx)
		})
		return true
	}
}

// adoptedSession makes the session of an adopted caller and makes it
// known: to the engine's resumed Enqueue, to Resumable, and to the
// handler for its caller's hang-up.
func (s *Service) adoptedSession(c QueuedCall) *session {
	id := c.Call.CallID
	ses := s.newSession(id, CallView{CallID: id, Queue: c.Queue, Caller: c.Call.Caller, Hotline: c.Call.Hotline,
		Language: c.Call.Language, Path: slices.Clone(c.Call.Path), Vars: maps.Clone(c.Call.Vars), Arrived: c.Call.QueueArrived})
	ses.caller, ses.priority, ses.skills = id, c.Priority, slices.Clone(c.Skills)
	ses.live, ses.adopted, ses.state, ses.queueArrived = true, true, c.Call, c.Call.QueueArrived
	ses.persisted = true // its row is there
	ses.claimed, ses.finished = make(chan struct{}), make(chan struct{})
	if ses.lang == "" {
		ses.lang = "zh"
	}
	ses.log = ses.log.With("queue", c.Queue, "adopted", true)
	s.mu.Lock()
	s.sessions[id] = ses
	s.adopted[id] = ses
	s.mu.Unlock()
	return ses
}

// runAdopted runs an adopted session on a goroutine of the service: first
// (if any), then its loop; then, if no Enqueue took it, the apology.
func (s *Service) runAdopted(ses *session, first func(context.Context)) {
	s.mu.Lock()
	ctx := s.runCtx // restore waits for Run
	s.mu.Unlock()
	s.wg.Add(1)
	s.busy.Add(1) // until the loop takes over
	go func() {
		defer s.wg.Done()
		defer func() {
			if r := recover(); r != nil {
				ses.log.Error("adopted session panicked", "panic", r)
			}
		}()
		ses.adoptTimer = s.newTimer(s.cfg.AdoptWait)
		if first != nil {
			first(ctx)
		}
		s.busy.Add(-1)
		res, _ := ses.loop(ctx)
		ses.result = res
		ses.close()
		close(ses.finished)
		if ses.kept || ses.callerLeft {
			s.unadopt(ses)
			return
		}
		// Over before the engine took it (the agent hung up): the engine
		// has AdoptWait to take the caller on; else the apology.
		t := s.newTimer(s.cfg.AdoptWait)
		defer t.done()
		select {
		case <-ses.claimed:
		case <-ctx.Done():
		case <-t.Chan():
			if s.unadopt(ses) {
				ses.log.Warn("the engine did not take the adopted caller back; apologising and hanging up")
				s.apologise(context.WithoutCancel(ctx), ses.caller, ses.lang, false)
			}
		}
	}()
}

// unadopt forgets an adopted session unless an Enqueue took it; true if
// none did.
func (s *Service) unadopt(ses *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.adopted[ses.id] != ses {
		return false
	}
	delete(s.adopted, ses.id)
	return true
}

// claimAdopted hands an adopted session to the engine's resumed Enqueue.
func (s *Service) claimAdopted(callID string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	ses := s.adopted[callID]
	if ses != nil {
		delete(s.adopted, callID)
		close(ses.claimed)
	}
	return ses
}

// attach is the engine's resumed Enqueue of an adopted caller: it waits
// for the session's end like any Enqueue.
func (s *Service) attach(ctx context.Context, ses *session, req ivr.QueueRequest) (ivr.QueueResult, error) {
	ses.beginTrace(ctx) // its stages here, under this instance's queue node
	ses.put(attachMsg{keys: req.Keys, answered: req.Answered})
	select {
	case <-ses.finished:
		if ses.callerLeft {
			return ivr.QueueResult{}, ErrCallerGone
		}
		return ses.result, nil
	case <-ctx.Done():
		if s.stopping.Load() && !ses.callerEnded.Load() {
			return ivr.QueueResult{}, ctx.Err() // the session stays for the next instance
		}
		ses.put(callerGoneMsg{})
		<-ses.finished
		return ivr.QueueResult{}, ctx.Err()
	}
}

// takeBack (on the session's goroutine) takes the engine's side of the
// call.
func (ses *session) takeBack(m attachMsg) {
	ses.attached = true
	ses.keys, ses.answered = m.keys, m.answered
	if ses.adoptTimer != nil {
		ses.adoptTimer.done()
		ses.adoptTimer = nil
	}
	if l := ses.leg; l != nil && !l.answered.IsZero() && ses.answered != nil {
		ses.answered(ivr.QueueResult{Outcome: ivr.QueueAnswered, Agent: l.offer.Agent, AnsweredAt: l.answered})
	}
}

// adoptTimeout: the engine did not take the adopted caller in time. A
// waiting caller hears the apology and is hung up (a system hang-up, not an
// abandon); a conversation goes on, and its end decides.
func (ses *session) adoptTimeout(ctx context.Context) {
	if ses.attached || ses.phase == connected || ses.phase == connecting {
		return
	}
	if !ses.s.unadopt(ses) {
		return // an Enqueue is taking it: its attach is on the way
	}
	ses.log.Warn("the engine did not take the adopted caller back in time; apologising and hanging up")
	// Work in flight from the adoption timer's end until the apology's
	// timer runs (apologise lets go): a test's clock must not move on
	// while the requests are out.
	ses.s.busy.Add(1)
	ses.stopTimer()
	ses.stopBounds()
	ses.dropLeg(ctx)
	ses.stopPlaying(ctx)
	ses.music(ctx, false)
	if err := ses.s.center.Lost(ses.id); err != nil && !ignorable(err) {
		ses.log.Error("leaving the queue", "error", err)
	}
	ses.s.wake()
	ses.s.apologise(ctx, ses.caller, ses.lang, true)
	ses.callerLeft = true
	ses.phase = done
}

// apologise plays the apology to a channel, waits its length and hangs
// the channel up. held says the caller counted itself busy (s.busy), which
// apologise lets go of once the apology's timer runs.
func (s *Service) apologise(ctx context.Context, channel, lang string, held bool) {
	ctx, cancel := context.WithTimeout(ctx, cleanupTimeout+unknownLength)
	defer cancel()
	media := sound(lang, "sorry")
	// Work in flight until the apology's timer runs: a test's clock must
	// not move on while the request is out.
	if !held {
		s.busy.Add(1)
	}
	err := s.pbx.Play(ctx, channel, s.newID(), media)
	var t *timer
	if err == nil {
		t = s.newTimer(soundLength(media) + playMargin)
	}
	s.busy.Add(-1)
	if err == nil {
		select {
		case <-t.Chan():
		case <-ctx.Done():
		}
		t.done()
	}
	if err := s.pbx.Hangup(ctx, channel, "normal"); err != nil && !errors.Is(err, ErrGone) {
		s.log.Debug("hanging up after the apology", "channel", channel, "error", err)
	}
}

// Resumable implements [ivr.Resumer]: a caller the last instance left in
// a queue (waiting, ringing an agent, or talking to one), adopted by this
// one, resumes at its queue node; the engine's Enqueue with Resume set
// then takes its session.
func (s *Service) Resumable(_ context.Context, channelID string) (ivr.CallState, bool, error) {
	s.mu.Lock()
	ses := s.adopted[channelID]
	s.mu.Unlock()
	if ses == nil {
		return ivr.CallState{}, false, nil
	}
	st := ses.state
	st.Vars, st.Path = maps.Clone(st.Vars), slices.Clone(st.Path)
	return st, true, nil
}

var _ ivr.Resumer = (*Service)(nil)
