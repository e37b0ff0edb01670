package acd

// The agent's leg of a queued call: ringing the agent, the answer, the
// agent ID and whisper, the bridge, and the leg's end.

import (
	"context"
	"slices"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/queue"
)

// ring rings the offered agent's device.
func (ses *session) ring(ctx context.Context, o queue.Offer) {
	if ses.leg != nil {
		// The center never offers a call twice at once; a stale leg means
		// its end was missed. Drop it rather than ring two agents.
		ses.log.Error("new offer while an agent leg is up; dropping the old leg", "old", ses.leg.offer.Agent)
		ses.dropLeg(ctx)
	}
	l := &leg{channel: ses.s.newID(), offer: o}
	l.soft, _ = softphoneID(o.Device)
	ses.leg = l
	if l.soft != "" {
		// No channel yet: it is made when the agent answers.
		ses.s.own(l.channel, ses)
	} else {
		ses.s.ownChannel(l.channel, ses)
	}
	ses.s.mu.Lock()
	ses.s.byAgent[o.Agent] = ses
	ses.s.mu.Unlock()
	ses.setView(func(v *CallView) {
		v.Agent, v.Queue, v.Answered, v.Callback, v.Phase = o.Agent, o.Queue, time.Time{}, o.Callback, CallRinging
	})
	ses.queue = o.Queue
	timeout := max(o.Deadline.Sub(ses.s.clock.Now()), time.Second) + ringGrace
	callerID := ses.number
	if o.Callback || o.Outbound {
		callerID = o.Number
	}
	ses.persist(PhaseRinging)
	ses.mark("ring", o.Agent, nil) // a transfer's next agent
	ses.log.Info("ringing agent", "agent", o.Agent, "device", o.Device, "attempt", o.Attempt)
	if l.soft != "" {
		ses.ringSoftphone(ctx, l, timeout)
		return
	}
	if err := ses.s.pbx.Originate(ctx, l.channel, o.Device, callerID, timeout, "agent"); err != nil {
		ses.log.Warn("could not ring the agent", "agent", o.Agent, "device", o.Device, "error", err)
		ses.legEnded(ctx, l)
		ses.missed(l)
	}
}

// missed tells the center that the leg's agent did not answer its offer:
// the call goes on to another agent, or, for the agent's own outbound
// call, it is over.
func (ses *session) missed(l *leg) {
	if err := ses.s.center.NoAnswer(ses.id, l.offer.Agent); err != nil && !ignorable(err) {
		ses.log.Error("no answer", "error", err)
	}
	ses.sharedNoAnswer(l.offer.Agent)
	ses.s.wake()
	if ses.outbound() != nil {
		ses.outboundOver(OutboundAgentNoAnswer)
	}
}

// legEnded forgets the agent leg.
func (ses *session) legEnded(ctx context.Context, l *leg) {
	if ses.leg != l {
		return
	}
	ses.leg = nil
	ses.s.disown(l.channel)
	ses.s.shared.legGone(l) // shared_soft.go
	if l.soft != "" {
		ses.stopRingTimer()
		if sp := ses.s.cfg.Softphones; sp != nil {
			sp.Detach(l.soft, l.channel)
		}
	}
	ses.s.mu.Lock()
	if ses.s.byAgent[l.offer.Agent] == ses {
		delete(ses.s.byAgent, l.offer.Agent)
	}
	ses.s.mu.Unlock()
	ses.setView(func(v *CallView) { v.Agent, v.Answered, v.Phase = "", time.Time{}, "" })
	if ses.phase == waiting {
		ses.persist(PhaseWaiting)
	}
}

// dropLeg hangs up the agent leg, whatever its state.
func (ses *session) dropLeg(ctx context.Context) {
	l := ses.leg
	if l == nil {
		return
	}
	ses.legEnded(ctx, l)
	if l.soft != "" && !l.media {
		return // a softphone that only rang: there is no channel
	}
	if err := ses.s.pbx.Hangup(ctx, l.channel, "normal"); err != nil && ctx.Err() == nil {
		ses.log.Debug("hanging up the agent leg", "error", err)
	}
}

// agentGone is the agent's channel ending: a ring that failed, or the
// agent hanging up.
func (ses *session) agentGone(ctx context.Context, cause int, text string) {
	l := ses.leg
	ses.legEnded(ctx, l)
	if l.answered.IsZero() {
		ses.log.Info("agent did not answer", "agent", l.offer.Agent, "cause", cause, "why", text)
		ses.missed(l)
		return
	}
	if ses.outbound() != nil && ses.caller == "" {
		// The agent hung up while the customer's phone rang.
		ses.outboundNotReached(ctx, l, OutboundCancelled)
		return
	}
	// The agent hung up: the conversation is over (or, lost with the PBX,
	// nobody hung up).
	by := "agent"
	if _, lost := ses.lost(); lost {
		by = "system"
	}
	ses.endWithAgent(ctx, l, by)
	if ses.cb != nil {
		ses.hangupCustomer(ctx)
		ses.phase = done
		ses.outboundOver(OutboundTalked)
		return
	}
	ses.result = ivr.QueueResult{Outcome: ivr.QueueAnswered, Agent: l.offer.Agent, AnsweredAt: l.answered, EndedBy: by}
	ses.phase = done
}

// endWithAgent ends the center's call with the agent and records it.
func (ses *session) endWithAgent(ctx context.Context, l *leg, by string) {
	ses.endSupervisions(ctx)
	ses.unhold()
	ses.music(ctx, false)
	ses.stopPlaying(ctx)
	ses.tearDownBridge(ctx)
	ses.stopRecording(ctx, by)
	end := ses.s.center.EndCall
	if _, lost := ses.lost(); lost {
		end = ses.s.center.Lost
	}
	if err := end(ses.id); err != nil && !ignorable(err) {
		ses.log.Error("ending the call", "error", err)
	}
	ses.sharedEnd()
	ses.record(l, by)
	ses.s.wake()
}

func (ses *session) record(l *leg, by string) { ses.recordAs(l, by, OutboundTalked) }

// recordAs records the agent's part of the call; outcome is an outbound
// call's.
func (ses *session) recordAs(l *leg, by, outcome string) {
	if ses.s.cfg.Records == nil || l.answered.IsZero() {
		return
	}
	ses.s.cfg.Records.AgentCall(AgentCall{
		CallID: ses.id, Agent: l.offer.Agent, Queue: l.offer.Queue, Callback: l.offer.Callback,
		Answered: l.answered, Ended: ses.ended(), Holds: ses.holds, HoldTime: ses.holdTime,
		Transfers: ses.transfers, EndedBy: by, Outbound: ses.outboundRecord(outcome),
	})
	ses.holds, ses.holdTime, ses.transfers = 0, 0, 0
}

// agentAnswered: the agent picked up. The center confirms the offer still
// stands (a late answer after a ring timeout does not), then the caller
// hears the agent's ID while the agent hears the whisper.
func (ses *session) agentAnswered(ctx context.Context) {
	l := ses.leg
	if err := ses.s.center.Answered(ses.id, l.offer.Agent); err != nil {
		ses.log.Info("late answer; releasing the agent", "agent", l.offer.Agent, "error", err)
		ses.dropLeg(ctx)
		if ses.outbound() != nil {
			ses.outboundNotReached(ctx, l, OutboundAgentNoAnswer)
		}
		return
	}
	ses.sharedAnswered(l.offer.Agent)
	now := ses.s.clock.Now()
	l.answered = now
	ses.setView(func(v *CallView) { v.Answered = now })
	ses.log.Info("agent answered", "agent", l.offer.Agent)
	if ses.cb != nil {
		ses.callbackAgentAnswered(ctx)
		return
	}
	if ses.answered != nil {
		ses.answered(ivr.QueueResult{Outcome: ivr.QueueAnswered, Agent: l.offer.Agent, AnsweredAt: now})
	}
	ses.startRecording(ctx, l)
	ses.connect(ctx, "agent-id")
}

// connect stops what the caller hears, announces the agent's ID to it
// (what names the playback) and whispers to the agent; bridgeUp follows
// when both are done.
func (ses *session) connect(ctx context.Context, what string, lead ...string) {
	l := ses.leg
	ses.phase = connecting
	ses.showPhase(CallConnecting)
	ses.stopTimer()
	ses.cbStep, ses.cbOffered = "", false
	ses.stopPlaying(ctx)
	ses.music(ctx, false)
	media := slices.Clone(lead)
	media = append(media, sound(ses.lang, "std/agent-id"))
	if digits, err := ivr.SpeakDigits(l.offer.Agent, ses.lang); err == nil {
		media = append(media, digits...)
	}
	media = append(media, sound(ses.lang, "std/at-your-service"))
	// The caller's announcement first: an empty whisper counts as played at
	// once, and the bridge waits for whatever is still playing.
	ses.play(ctx, ses.caller, what, media...)
	ses.mark("agent_id", l.offer.Agent, nil)
	if what == "agent-id" {
		ses.play(ctx, l.channel, "whisper", ses.s.cfg.Whisper(ses.s.cfg.AgentLanguage, l.offer.Queue, ses.path)...)
	}
}

// bridgeUp puts caller and agent together in a mixing bridge that passes
// DTMF on.
func (ses *session) bridgeUp(ctx context.Context) {
	l := ses.leg
	if l == nil || ses.phase == connected || ses.phase == done {
		return
	}
	// A connection half made is finished even when ctx ends under it (the
	// instance stopping): cut off between two requests, it would leave the
	// agent hung up and the caller alone. A caller who hung up makes
	// Asterisk refuse the request instead.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if ses.cb != nil && ses.leg != nil {
		_ = ses.s.pbx.StopMOH(ctx, l.channel)
	}
	id := ses.s.newID()
	ses.s.own(id, ses)
	if err := ses.s.pbx.CreateBridge(ctx, id, "mixing,dtmf_events"); err != nil {
		ses.s.disown(id)
		ses.fail(ctx, "creating the bridge", err)
		return
	}
	ses.bridge = id
	for _, ch := range []string{ses.caller, l.channel} {
		if err := ses.s.pbx.AddToBridge(ctx, id, ch); err != nil {
			ses.fail(ctx, "bridging", err)
			return
		}
	}
	ses.phase = connected
	ses.showPhase(CallTalking)
	ses.persist(PhaseTalking)
	ses.s.wake()
}

func (ses *session) tearDownBridge(ctx context.Context) {
	if ses.bridge == "" {
		return
	}
	if err := ses.s.pbx.DestroyBridge(ctx, ses.bridge); err != nil && ctx.Err() == nil {
		ses.log.Debug("destroying the bridge", "error", err)
	}
	ses.s.disown(ses.bridge)
	ses.bridge = ""
}
