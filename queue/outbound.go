package queue

import (
	"fmt"
	"time"
)

// Outbound calls: an agent who calls a customer out (a follow-up visit in
// preview dialling). The call is the agent's own, not a queue's: it is
// never offered to anyone else, counts in no queue's statistics, and the
// agent, who chose to make it, is never "missed" for it.

// Outbound reserves agent agentID, who must be logged in with no call
// (Ready or NotReady), for the outbound call id to number: the agent is
// Reserved at once (its own phone rings first), so that no queue call is
// offered to it, and the returned Offer says where to ring it. Queue q
// is the queue whose wrap-up time follows the conversation (and which the
// records name); the call counts in none of its statistics.
//
// Then: Answered (the agent picked up) makes it OnCall; EndCall after a
// conversation sends it to wrap-up, at the end of which it is back in the
// state it had (Ready, or NotReady with its reason). Abandon, NoAnswer or
// OutboundFailed (the agent did not answer, or the customer was not
// reached) put it back in that state at once; Lost does as for any call.
// An agent who is not free fails with a [TransitionError] (from its state
// to Reserved); an ID in use with ErrDuplicateCall.
func (c *Center) Outbound(id, agentID, q, number string) (Offer, error) {
	if id == "" {
		return Offer{}, ErrMissingID
	}
	if number == "" {
		return Offer{}, fmt.Errorf("%w: outbound call %s", ErrNoNumber, id)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l, a, err := c.newCallFor(id, agentID, q)
	if err != nil {
		return Offer{}, err
	}
	now := c.clock.Now()
	e := &entry{id: id, number: number, outbound: true, back: a.state, backReason: a.reason,
		line: l, entered: now, arrived: now.UnixNano(), seq: c.nextSeq()}
	if err := c.transition(now, a, Reserved, byOutbound, "", e); err != nil {
		return Offer{}, err
	}
	e.state, e.agent = offered, a
	e.attempts = 1
	c.entries[id] = e
	return c.offerOf(now, e), nil
}

// newCallFor finds queue q and agent agentID for a new call id that
// reserves the agent at once (Outbound, Hold). Callers hold c.mu.
func (c *Center) newCallFor(id, agentID, q string) (*line, *agent, error) {
	l, err := c.line(q)
	if err != nil {
		return nil, nil, err
	}
	a, err := c.agent(agentID)
	if err != nil {
		return nil, nil, err
	}
	if _, dup := c.entries[id]; dup {
		return nil, nil, fmt.Errorf("%w: %s", ErrDuplicateCall, id)
	}
	return l, a, nil
}

// OutboundFailed ends an outbound call that reached no customer (the
// agent's phone or the customer's was not answered, was busy, failed):
// the agent goes back at once to the state it had before the call.
func (c *Center) OutboundFailed(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.entry(id)
	if err != nil {
		return err
	}
	if !e.outbound || (e.state != offered && e.state != connected) {
		return e.stateError("end as not reached")
	}
	c.back(c.clock.Now(), e)
	c.drop(e)
	return nil
}

// back puts an outbound call's agent back in the state it had before it.
func (c *Center) back(now time.Time, e *entry) {
	if err := c.transition(now, e.agent, e.back, byOutbound, e.backReason, e); err != nil {
		panic("queue: internal error: " + err.Error())
	}
}

// outboundAllowed is the state machine of an outbound call's agent: from
// free to ringing, and back to free from ringing, talking (the customer
// was not reached) or wrap-up.
func outboundAllowed(from, to AgentState) bool {
	free := to == Ready || to == NotReady
	switch from {
	case Ready, NotReady:
		return to == Reserved
	case Reserved, OnCall:
		return free
	case WrapUp:
		return free
	}
	return false
}
