package acd

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
)

// Stopping tells the service that this instance is going away (a drain,
// an upgrade): from now on, a caller whose Enqueue ends because the engine
// stops is left in Asterisk for the next instance rather than hung up. A
// conversation with an agent stays in its bridge, mixing; an agent still
// ringing is hung up and its caller stays queued; waiting callers stay on
// music on hold. Each stays in the LiveStore, where the next instance
// finds it. Run's context ending implies it.
func (s *Service) Stopping() { s.stopping.Store(true) }

// leftForNext says whether the end of the session's context is a stop
// (the service stopping, or an adopted session's Run ending) rather than
// the caller hanging up: a live caller whose channel neither ended nor
// vanished with the PBX is then left for the next instance.
func (ses *session) leftForNext() bool {
	if ses.cb != nil || ses.callerEnded.Load() {
		return false
	}
	if _, lost := ses.lost(); lost {
		return false
	}
	return ses.adopted || ses.s.stopping.Load()
}

// leaveForNext leaves the session's call in Asterisk as it stands, for the
// next instance to adopt.
func (ses *session) leaveForNext(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, cleanupTimeout)
	defer cancel()
	ses.stopTimer()
	ses.stopBounds()
	ses.endSupervisions(ctx)
	switch ses.phase {
	case connecting:
		// The agent answered and the prompts were under way: put the two
		// together now rather than leave them apart.
		ses.stopPlaying(ctx)
		ses.bridgeUp(ctx)
	case connected:
	default:
		// Waiting: an agent still ringing is let go (the next instance
		// offers the call again); the caller keeps its music.
		ses.dropLeg(ctx)
		ses.stopPlaying(ctx)
		ses.cbStep = ""
		ses.phase = waiting
		ses.moh = false
		ses.music(ctx, true)
	}
	switch {
	case ses.phase == connected && ses.held:
		ses.persist(PhaseHeld)
	case ses.phase == connected:
		ses.persist(PhaseTalking)
	default:
		ses.persist(PhaseWaiting)
	}
	ses.log.Info("leaving the call in Asterisk for the next instance", "phase", ses.phase, "bridge", ses.bridge)
	ses.kept = true
	ses.phase = done
}

// persist saves where the live caller stands in the LiveStore.
func (ses *session) persist(ph Phase) {
	live := ses.s.cfg.Live
	if live == nil || !ses.live || ses.kept {
		return
	}
	st := ses.state
	st.QueueArrived = ses.queueArrived
	st.Vars, st.Path = maps.Clone(st.Vars), slices.Clone(st.Path)
	q := QueuedCall{
		Call: st, Instance: ses.s.cfg.Instance, At: ses.s.clock.Now(), Phase: ph, Queue: ses.queue,
		Priority: ses.priority, Skills: slices.Clone(ses.skills), Order: ses.queueOrder, Bridge: ses.bridge,
		Holds: ses.holds, HoldTime: ses.holdTime, Transfers: ses.transfers,
	}
	if l := ses.leg; l != nil {
		q.Agent, q.AgentChannel, q.Answered = l.offer.Agent, l.channel, l.answered
	}
	if ses.held {
		q.HeldSince = ses.heldAt
	}
	live.SaveCall(q)
	ses.persisted = true
}

// forget removes the caller from the LiveStore as it leaves the queues,
// unless it was left for the next instance.
func (ses *session) forget() {
	if ses.persisted && !ses.kept {
		ses.s.cfg.Live.ForgetCall(ses.id, ses.s.clock.Now())
		ses.persisted = false
	}
}

// markLost says the caller's channel vanished with the PBX at at.
func (ses *session) markLost(at time.Time) {
	ses.lostMu.Lock()
	if ses.lostAt.IsZero() {
		ses.lostAt = at
	}
	ses.lostMu.Unlock()
}

// lost says whether the call was lost with the PBX, and when.
func (ses *session) lost() (time.Time, bool) {
	ses.lostMu.Lock()
	defer ses.lostMu.Unlock()
	return ses.lostAt, !ses.lostAt.IsZero()
}

// ended is when the call's conversation ended: now, or when it was lost.
func (ses *session) ended() time.Time {
	if at, lost := ses.lost(); lost {
		return at
	}
	return ses.s.clock.Now()
}

// callStateOf is where a caller handed to the queues runs.
func callStateOf(req ivr.QueueRequest) ivr.CallState {
	return ivr.CallState{
		CallID: req.CallID, Caller: req.Caller, Hotline: req.Hotline, Language: req.Language,
		Flow: req.Flow, FlowVersion: req.FlowVersion, Node: req.Node,
		Vars: maps.Clone(req.Vars), Path: slices.Clone(req.Path), QueueArrived: req.Arrived,
	}
}

func arrivedAt(at, now time.Time) time.Time {
	if at.IsZero() || at.After(now) {
		return now
	}
	return at
}
