package acd

import (
	"context"
	"errors"

	"github.com/hotline-ivr/hotline/queue"
)

// Reconciling after a resync: the router's events are notifications,
// and a notification can be lost (the listening connection broke, the
// database restarted); the router then says SharedResync. The rows are
// the truth: this instance's callers (Shared.Calls) and the other
// instances' calls holding its agents (Shared.HeldCalls) are read, and
// what the Center missed is carried out:
//
//   - an offer for one of its callers that it never got is made (the
//     agent rings), one that the router took back (rung out, withdrawn)
//     stops ringing;
//   - a call holding one of its agents that it never held is held (and
//     answered, when it is connected already); one that ended is ended;
//     one it holds that the router no longer has is let go as the
//     router's agent row says (missed: no answer; otherwise abandoned
//     while ringing, ended once talking; "busy", this instance's own
//     decline while it held it: abandoned).
//
// What is in flight (a report still queued here) is left alone: the
// report settles it.

// SharedCall is a call as the router's rows have it: one of this
// instance's callers (Shared.Calls: waiting, offered or connected, the
// agent to ring in Offer), or another instance's call holding one of its
// agents (Shared.HeldCalls: offered, connected or ended, under the
// router's ID).
type SharedCall struct {
	State    string
	Offer    SharedOffer
	Callback bool // a call-back request's row (shared_callback.go): the Center knows it by the request's ID
}

// reconcile compares the Center with the router's rows after lost
// events; it runs on the routing goroutine, as the events do.
func (sh *sharing) reconcile(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	calls, err := sh.api.Calls(rctx)
	if err == nil {
		sh.reconcileCallers(calls)
	}
	held, herr := sh.api.HeldCalls(rctx)
	var centre SharedCentre
	if herr == nil {
		centre, herr = sh.api.Centre(rctx)
	}
	if herr == nil {
		sh.reconcileHeld(held, centre)
	}
	if err = errors.Join(err, herr); err != nil && ctx.Err() == nil {
		// The router is away again: it says SharedResync once it is back.
		sh.s.log.Warn("shared router: cannot reconcile after lost events", "error", err)
	}
	sh.s.wake()
}

// reconcileCallers carries out the offers of this instance's callers that
// the Center missed, and stops those the router took back.
func (sh *sharing) reconcileCallers(calls []SharedCall) {
	c := sh.s.center
	for _, v := range calls {
		o := v.Offer
		st, err := c.Call(o.CallID)
		if err != nil || v.Callback {
			continue // it left (its report is on its way), or a call-back request's row
		}
		switch {
		case v.State == "offered" && st.State == "waiting":
			sh.s.log.Warn("shared router: an offer whose event was lost; ringing the agent", "call", o.CallID, "agent", o.Agent)
			sh.offered(o)
		case v.State == "offered" && st.State == "offered" && st.Agent != o.Agent,
			v.State == "waiting" && st.State == "offered":
			sh.s.log.Warn("shared router: the router took back an offer without a word; stopping it", "call", o.CallID, "agent", st.Agent)
			sh.rangOut(SharedOffer{CallID: o.CallID, Agent: st.Agent, Queue: o.Queue})
			if v.State == "offered" {
				sh.offered(o)
			}
		}
	}
}

// reconcileHeld brings the Center's holds of its agents for other
// instances' calls in line with the router's.
func (sh *sharing) reconcileHeld(held []SharedCall, centre SharedCentre) {
	c := sh.s.center
	note := func(what string, o SharedOffer, err error) {
		if err != nil && !ignorable(err) {
			sh.s.log.Error("shared router: reconciling "+what, "call", o.CallID, "agent", o.Agent, "error", err)
		}
	}
	listed := map[string]bool{}
	for _, h := range held {
		o := h.Offer
		listed[o.CallID] = true
		st, err := c.Call(o.CallID)
		holds := err == nil && st.Agent == o.Agent
		switch h.State {
		case "offered", "connected":
			if !holds {
				sh.s.log.Warn("shared router: a hold whose event was lost", "call", o.CallID, "agent", o.Agent, "state", h.State)
				_, err := c.Hold(o.CallID, o.Agent, o.Queue)
				note("a lost hold", o, err)
				if err != nil {
					continue
				}
				st.State = "offered"
			}
			if h.State == "connected" && st.State == "offered" {
				note("a lost answer", o, c.Answered(o.CallID, o.Agent))
			}
		case "ended":
			if holds {
				note("a lost end", o, c.EndCall(o.CallID))
			}
		}
	}
	for _, a := range c.Agents() {
		if a.CallID == "" || listed[a.CallID] {
			continue
		}
		st, err := c.Call(a.CallID)
		if err != nil || !st.Held || st.Agent != a.ID {
			continue
		}
		o := SharedOffer{CallID: a.CallID, Agent: a.ID}
		switch {
		case st.State == "connected":
			note("a held call that ended", o, c.EndCall(a.CallID))
		case centre.Agents[a.ID].State == queue.NotReady && centre.Agents[a.ID].Reason != sharedBusyHere:
			note("a held call that rang out", o, c.NoAnswer(a.CallID, a.ID))
		default:
			note("a held call that was abandoned", o, c.Abandon(a.CallID))
		}
	}
}
