package queue

import (
	"fmt"
	"time"
)

func (c *Center) entry(id string) (*entry, error) {
	e, ok := c.entries[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownCall, id)
	}
	return e, nil
}

// Answered says the agent answered the call's offer: the agent is OnCall.
// For a call-back, the engine now dials the customer; the request is spent,
// so it is never offered again. The agent's ID guards against a late answer
// from an offer that rang out and went to another agent: that fails with
// ErrNotOffered.
func (c *Center) Answered(id, agentID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.offered(id, agentID, "answer")
	if err != nil {
		return err
	}
	now := c.clock.Now()
	a, l := e.agent, e.line
	c.mustTransition(now, a, OnCall, "", e)
	e.state = connected
	if e.outbound {
		return nil // the agent's own call: no queue's answer
	}
	if e.foreign {
		a.answered[l.name]++ // the caller's instance counts the queue's answer
		a.total++
		a.handleLine, a.handleFrom = l, now
		return nil
	}
	if e.callback {
		c.spent[e.id] = struct{}{}
		c.stats(now, l).callbacksConnected++
	} else {
		st := c.stats(now, l)
		st.answered++
		if now.Sub(e.entered) <= l.cfg.ServiceLevel {
			st.answeredInSL++
		}
	}
	a.answered[l.name]++
	a.total++
	a.handleLine, a.handleFrom = l, now
	return nil
}

// NoAnswer says the agent did not answer the call's offer (ring-no-answer,
// busy, unreachable): the agent becomes NotReady with reason "missed", and
// the caller goes back to its place in line.
func (c *Center) NoAnswer(id, agentID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.offered(id, agentID, "count no answer for")
	if err != nil {
		return err
	}
	if e.outbound {
		// Its own call: the agent is not missed, only back where it was.
		c.back(c.clock.Now(), e)
		c.drop(e)
		return nil
	}
	c.missed(c.clock.Now(), e)
	return nil
}

// offered returns call id if it is offered to agentID.
func (c *Center) offered(id, agentID, op string) (*entry, error) {
	e, err := c.entry(id)
	if err != nil {
		return nil, err
	}
	if e.state != offered {
		return nil, e.stateError(op)
	}
	if e.agent.cfg.ID != agentID {
		return nil, fmt.Errorf("%w: cannot %s call %s for agent %s: it rings agent %s", ErrNotOffered, op, id, agentID, e.agent.cfg.ID)
	}
	return e, nil
}

// missed ends e's offer as not answered.
func (c *Center) missed(now time.Time, e *entry) {
	a := e.agent
	if e.foreign { // the caller waits on at its own instance
		c.mustTransition(now, a, NotReady, ReasonMissed, e)
		c.drop(e)
		return
	}
	c.stats(now, e.line).missed++
	c.mustTransition(now, a, NotReady, ReasonMissed, e)
	c.place(now, e, e.line)
}

// Abandon says the caller hung up before an agent took the call: it leaves
// its line, or its offer is withdrawn and the agent is Ready again (the
// engine stops ringing it). For a call-back, it cancels the request, which
// is spent. A connected call ends with EndCall instead.
func (c *Center) Abandon(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.entry(id)
	if err != nil {
		return err
	}
	now := c.clock.Now()
	switch {
	case e.outbound && e.state == offered:
		c.back(now, e)
		c.drop(e)
		return nil
	case e.state == waiting:
		c.unplace(e)
	case e.foreign && e.state == offered:
		c.mustTransition(now, e.agent, Ready, ReasonAbandoned, e)
		c.drop(e)
		return nil
	case e.state == offered:
		c.mustTransition(now, e.agent, Ready, ReasonAbandoned, e)
	default:
		return e.stateError("abandon")
	}
	if e.callback {
		c.spent[e.id] = struct{}{}
		c.stats(now, e.line).callbacksCancelled++
	} else {
		c.stats(now, e.line).abandoned++
	}
	c.drop(e)
	return nil
}

// EndCall says an answered call ended (either side hung up): the agent goes
// to WrapUp for the queue's wrap-up time, then Ready.
func (c *Center) EndCall(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.entry(id)
	if err != nil {
		return err
	}
	if e.state != connected {
		return e.stateError("end")
	}
	c.release(c.clock.Now(), e)
	c.drop(e)
	return nil
}

// release sends e's agent to wrap-up.
func (c *Center) release(now time.Time, e *entry) { c.releaseFor(now, e, "") }

// releaseFor sends e's agent to wrap-up for a reason.
func (c *Center) releaseFor(now time.Time, e *entry, reason string) {
	a, l := e.agent, e.line
	c.mustTransition(now, a, WrapUp, reason, e)
	a.idleSince = now
	a.wrapGen++
	a.wrapEnds = now.Add(l.cfg.WrapUp)
	a.wrapCall, a.wrapQueue, a.wrapCallback = e.id, l.name, e.callback
	// A foreign agent's disposition is given at its home (Hold).
	a.wrapRequire, a.wrapDone = l.cfg.RequireDisposition && !a.foreign, e.disposed
	a.wrapBack, a.wrapBackReason = Ready, ""
	if e.outbound {
		// The agent's own call: a disposition is welcome, not required,
		// and the wrap-up leads back to the state it had.
		a.wrapRequire = false
		a.wrapBack, a.wrapBackReason = e.back, e.backReason
	}
	if l.cfg.WrapUp == 0 {
		if !a.wrapRequire || a.wrapDone {
			c.endWrapUp(now, a)
		}
		return
	}
	c.timers.add(timer{at: a.wrapEnds, kind: wrapUpTimer, a: a, gen: a.wrapGen})
}

// Transfer moves a call to another queue: a waiting caller (a supervisor
// moving it), or a connected one (the agent's blind transfer; the agent goes
// to wrap-up). It keeps its priority and skills, and its arrival time if the
// target queue's KeepArrival says so. A call-back that was connected moves
// as a live caller. The target may refuse it by its overflow rules: the
// Admission says.
func (c *Center) Transfer(id, queue string) (Admission, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.entry(id)
	if err != nil {
		return Admission{}, err
	}
	to, err := c.line(queue)
	if err != nil {
		return Admission{}, err
	}
	if e.outbound {
		return Admission{}, fmt.Errorf("%w: %s is an agent's outbound call", ErrCallState, id)
	}
	if e.foreign {
		return Admission{}, fmt.Errorf("%w: %s", ErrForeignCall, id)
	}
	now := c.clock.Now()
	switch e.state {
	case waiting:
		c.unplace(e)
	case connected:
		c.release(now, e)
		e.callback = false
	default:
		return Admission{}, e.stateError("transfer")
	}
	e.callbackOffered = false
	e.agent = nil
	e.attempts = 0
	return c.admit(now, e, to, true), nil
}

// TransferToAgent offers a connected call to one named agent (the agent's
// blind transfer to a colleague): the transferring agent goes to wrap-up
// and the target, who must be Ready, is Reserved for it with the returned
// Offer to ring. If the target does not answer, the caller goes back to its
// place in its queue, as after any ring-no-answer. A target that is not
// Ready fails with ErrAgentNotReady and leaves the call connected.
func (c *Center) TransferToAgent(id, agentID string) (Offer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.entry(id)
	if err != nil {
		return Offer{}, err
	}
	to, err := c.agent(agentID)
	if err != nil {
		return Offer{}, err
	}
	return c.transferTo(e, to)
}

// transferTo offers connected call e to agent to (TransferToAgent,
// TransferToRemote).
func (c *Center) transferTo(e *entry, to *agent) (Offer, error) {
	id, agentID := e.id, to.id()
	if e.state != connected {
		return Offer{}, e.stateError("transfer")
	}
	if e.outbound {
		return Offer{}, fmt.Errorf("%w: %s is an agent's outbound call", ErrCallState, id)
	}
	if e.foreign {
		return Offer{}, fmt.Errorf("%w: %s", ErrForeignCall, id)
	}
	if to == e.agent || to.foreign && e.agent.id() == agentID {
		return Offer{}, fmt.Errorf("%w: the call is already with agent %s", ErrCallState, agentID)
	}
	if to.state != Ready {
		return Offer{}, fmt.Errorf("%w: agent %s is %s", ErrAgentNotReady, agentID, to.state)
	}
	now := c.clock.Now()
	c.release(now, e)
	e.callback = false
	e.attempts = 0
	e.state, e.agent = offered, to
	e.attempts++
	c.offers++
	e.offerGen = c.offers
	c.mustTransition(now, to, Reserved, "", e)
	c.timers.add(timer{at: now.Add(e.line.cfg.RingTimeout), kind: ringTimer, e: e, gen: e.offerGen})
	return c.offerOf(now, e), nil
}

// Dispose says the agent gave a disposition to its call: the one it is on,
// or the one it is wrapping up. It returns that call's ID, and whether it
// is a call-back's conversation. An agent whose
// queue requires a disposition stays in WrapUp until then, even past its
// wrap-up time; given after that time, it makes the agent Ready.
func (c *Center) Dispose(agentID string) (callID string, callback bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, err := c.agent(agentID)
	if err != nil {
		return "", false, err
	}
	switch a.state {
	case OnCall:
		a.entry.disposed = true
		return a.entry.id, a.entry.callback, nil
	case WrapUp:
		a.wrapDone = true
		if now := c.clock.Now(); a.wrapRequire && !now.Before(a.wrapEnds) {
			c.endWrapUp(now, a)
		}
		return a.wrapCall, a.wrapCallback, nil
	default:
		return "", false, fmt.Errorf("%w: agent %s is %s", ErrNoCallToDispose, agentID, a.state)
	}
}

// endWrapUp ends a's wrap-up in the state it leads to: Ready, or the
// state an outbound call's agent had before the call.
func (c *Center) endWrapUp(now time.Time, a *agent) {
	if a.wrapBack == NotReady {
		if err := c.transition(now, a, NotReady, byOutbound, a.wrapBackReason, nil); err != nil {
			panic("queue: internal error: " + err.Error())
		}
		return
	}
	c.mustTransition(now, a, Ready, "", nil)
}
