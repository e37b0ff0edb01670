package queue

import (
	"fmt"
	"time"
)

// Restoring a center after a restart: the states its agents were in and
// the conversations that survived in the PBX, as the last instance left
// them. Both apply only to agents who are LoggedOut here (just added), so
// that a restore never overrides what happened since the start.

// RestoreAgent puts a logged-out agent back into the state it was in
// before a restart, since the time it entered it: NotReady (with its
// reason), Ready, or WrapUp after a call of queue q, which ends when q's
// wrap-up time from since runs out (at once, Ready, if it already has).
// LoggedOut does nothing. Reserved and OnCall cannot be restored: a call
// is adopted with AdoptCall, and a ring the restart cut short leaves the
// agent Ready.
func (c *Center) RestoreAgent(id string, st AgentState, reason string, since time.Time, q string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, err := c.agent(id)
	if err != nil {
		return err
	}
	if a.state != LoggedOut {
		return &TransitionError{Agent: id, From: a.state, To: st}
	}
	now := c.clock.Now()
	if since.IsZero() || since.After(now) {
		since = now
	}
	switch st {
	case LoggedOut:
		return nil
	case NotReady:
		if reason == "" {
			reason = ReasonLogin
		}
		c.mustRestore(since, a, NotReady, reason, nil)
	case Ready:
		c.mustRestore(since, a, Ready, reason, nil)
	case WrapUp:
		l, err := c.line(q)
		if err != nil {
			return fmt.Errorf("agent %s in wrap-up: %w", id, err)
		}
		ends := since.Add(l.cfg.WrapUp)
		if !ends.After(now) {
			c.mustRestore(ends, a, Ready, "", nil)
			break
		}
		c.mustRestore(since, a, WrapUp, "", nil)
		a.wrapBack, a.wrapBackReason = Ready, ""
		a.wrapGen++
		a.wrapEnds = ends
		c.timers.add(timer{at: ends, kind: wrapUpTimer, a: a, gen: a.wrapGen})
	default:
		return &TransitionError{Agent: id, From: a.state, To: st}
	}
	a.idleSince = since
	return nil
}

// AdoptCall takes in a conversation that survived a restart: the caller
// cl, answered by agent agentID at answered, is connected to that agent,
// who must be LoggedOut here and is OnCall from answered. The call then
// ends (EndCall), is transferred or held as any answered call. It counts
// in no statistic again: the last instance counted its answer.
func (c *Center) AdoptCall(cl Caller, agentID string, answered time.Time) error {
	if cl.CallID == "" {
		return ErrMissingID
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l, err := c.line(cl.Queue)
	if err != nil {
		return err
	}
	a, err := c.agent(agentID)
	if err != nil {
		return err
	}
	if a.state != LoggedOut {
		return &TransitionError{Agent: agentID, From: a.state, To: OnCall}
	}
	if _, dup := c.entries[cl.CallID]; dup {
		return fmt.Errorf("%w: %s", ErrDuplicateCall, cl.CallID)
	}
	now := c.clock.Now()
	if answered.IsZero() || answered.After(now) {
		answered = now
	}
	e := &entry{id: cl.CallID, priority: cl.Priority, own: normSkills(cl.Skills), number: cl.Number}
	c.arrive(now, e, cl.Arrived)
	e.line, e.class, e.entered = l, c.classFor(l, e.own), time.Unix(0, e.arrived)
	e.state, e.agent = connected, a
	c.entries[e.id] = e
	c.mustRestore(answered, a, OnCall, "", e)
	a.handleLine, a.handleFrom = l, answered
	return nil
}

// mustRestore moves a LoggedOut agent straight to a state, recorded at at.
func (c *Center) mustRestore(at time.Time, a *agent, to AgentState, reason string, e *entry) {
	if err := c.transition(at, a, to, byRestore, reason, e); err != nil {
		panic("queue: internal error: " + err.Error())
	}
}
