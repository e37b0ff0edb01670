package acd

import (
	"context"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/queue"
)

// overflow is the center moving a waiting caller on by its queue's rules.
func (ses *session) overflow(ctx context.Context, ov queue.Overflow) {
	ses.log.Info("overflow", "reason", ov.Reason.String(), "action", ov.Action.Kind.String(), "queued", ov.Queued)
	if ov.Queued {
		switch ov.Action.Kind {
		case queue.ActionQueue:
			ses.queue = ov.Action.Queue
			ses.setView(func(v *CallView) { v.Queue = ov.Action.Queue })
			ses.persist(PhaseWaiting)
			if ses.s.shared != nil { // moved: out of one line, into another
				ses.sharedLeave()
				if pl, err := ses.s.center.Position(ses.id); err == nil {
					ses.queueArrived, ses.queueOrder = pl.Arrived, pl.Seq
				}
				ses.sharedJoin()
			}
		case queue.ActionCallbackOffer:
			if ses.keys != nil && ses.cbStep == "" {
				ses.cbOffered = true
				ses.music(ctx, false)
				ses.stopPlaying(ctx, "announce")
				ses.play(ctx, ses.caller, "announce", sound(ses.lang, "queue/callback-offer"))
			}
		}
		return
	}
	ses.dropLeg(ctx)
	ses.sharedLeave()
	ses.leave(ctx, ov)
}

// overflowAtDoor: the caller was not queued at all (a full or unstaffed
// queue).
func (ses *session) overflowAtDoor(ctx context.Context, ov queue.Overflow) {
	if ov.Action.Kind == queue.ActionCallbackOffer && ses.keys != nil {
		ses.phase = waiting
		ses.cbOffered, ses.cbNotIn = true, true
		ses.play(ctx, ses.caller, "callback-offer", sound(ses.lang, "queue/callback-offer"))
		ses.arm(ses.s.cfg.KeyTimeout, "callback-key")
		return
	}
	ses.leave(ctx, ov)
}

// leave ends a live caller's stay with an overflow: the queue's prompt,
// if it names one, then the flow's on_fail path.
func (ses *session) leave(ctx context.Context, ov queue.Overflow) {
	ses.stopTimer()
	ses.stopPlaying(ctx)
	ses.music(ctx, false)
	ses.result = ivr.QueueResult{Outcome: ivr.QueueOverflow}
	if ov.Action.Prompt == "" || ses.caller == "" {
		ses.phase = done
		if ses.cb != nil {
			ses.hangupCustomer(ctx)
		}
		return
	}
	ses.play(ctx, ses.caller, "overflow", sound(ses.lang, ov.Action.Prompt))
}
