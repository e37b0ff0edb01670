package queue

import (
	"fmt"
	"time"
)

// Shared routing: several Hotline instances, each with its own Center and
// its own Asterisk, serve one logical set of queues (deploy/scale-out.md).
// A shared router (package cluster, on PostgreSQL) matches the callers of
// every instance with the agents of every instance; each Center carries
// out the part that is its own:
//
//   - the caller's instance, whose Asterisk holds the caller's channel,
//     rings the agent and carries the call. Its Center keeps the caller in
//     line (positions, announcements, maximum waits, the queue's totals)
//     and takes the router's offer with Assign when the agent is its own
//     too, or AssignRemote when the agent belongs to another instance;
//   - the agent's home instance, where the agent signed in, keeps the
//     agent's state (and its records). Its Center reserves the agent for
//     another instance's caller with Hold, and follows that call's answer,
//     no answer, abandon and end as for its own.
//
// With Config.SharedRouting, Next makes no offers (it still applies what
// time makes due: ring timeouts, wrap-ups, maximum waits) and a queue
// whose own agents are all logged out does not turn callers away, since
// other instances' agents may staff it. MaxLength and the estimated wait
// count this instance's callers only.

// SharedRouting says the center defers to a shared router: made with
// Config.SharedRouting, and not turned off by SetSharedRouting.
func (c *Center) SharedRouting() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.shared
}

// RemoteAgent is an agent of another instance, as the shared router names
// it: where to ring it, and the ID and name its caller hears.
type RemoteAgent struct {
	ID, Name, Device string
}

// Assign offers waiting caller id to agent agentID of this center, as the
// shared router decided: the agent, who must be Ready and serve the
// caller's queue, is Reserved and the returned Offer rings it, exactly as
// one of Next's offers (ring timeout, answer, no answer).
func (c *Center) Assign(id, agentID string) (Offer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.waiting(id, "assign")
	if err != nil {
		return Offer{}, err
	}
	a, err := c.agent(agentID)
	if err != nil {
		return Offer{}, err
	}
	if a.state != Ready {
		return Offer{}, fmt.Errorf("%w: agent %s is %s", ErrAgentNotReady, agentID, a.state)
	}
	if !a.serves(e.line) {
		return Offer{}, fmt.Errorf("%w: agent %s, queue %s", ErrNotServing, agentID, e.line.name)
	}
	return c.offer(c.clock.Now(), e, a), nil
}

// AssignRemote offers waiting caller id to an agent of another instance
// (one this center may know, but logged out here), as the shared router
// decided: this instance rings the agent's device
// and carries the call; the agent's state is its home instance's (Hold).
// Then Answered, NoAnswer, Abandon, EndCall and Lost go as for any offer,
// and the call counts in the queue's totals here; a ring timeout puts the
// caller back in its place (the router and the agent's home are told by
// the engine).
func (c *Center) AssignRemote(id string, to RemoteAgent) (Offer, error) {
	if to.ID == "" {
		return Offer{}, fmt.Errorf("%w: a remote agent needs an ID", ErrInvalidAgent)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.waiting(id, "assign")
	if err != nil {
		return Offer{}, err
	}
	// Every instance knows every agent of the centre (one configuration),
	// but an agent signed in here is this instance's own.
	if a, known := c.agents[to.ID]; known && a.state != LoggedOut {
		return Offer{}, fmt.Errorf("%w: agent %s is signed in here: assign it with Assign", ErrInvalidAgent, to.ID)
	}
	now := c.clock.Now()
	return c.offer(now, e, foreignAgent(now, to)), nil
}

// foreignAgent stands for another instance's agent in one of this
// center's calls: Ready, in no index or count.
func foreignAgent(now time.Time, to RemoteAgent) *agent {
	return &agent{cfg: AgentConfig{ID: to.ID, Name: to.Name, Device: to.Device}, foreign: true,
		state: Ready, since: now, idleSince: now, rr: map[string]uint64{}, answered: map[string]int{}}
}

// TransferToRemote is TransferToAgent to another instance's agent, as the
// shared router reserved it: the transferring agent goes to wrap-up, and
// the returned Offer rings the remote agent from here; its answer, no
// answer (the caller back in its place) and the call's end go as after
// AssignRemote.
func (c *Center) TransferToRemote(id string, to RemoteAgent) (Offer, error) {
	if to.ID == "" {
		return Offer{}, fmt.Errorf("%w: a remote agent needs an ID", ErrInvalidAgent)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.entry(id)
	if err != nil {
		return Offer{}, err
	}
	if a, known := c.agents[to.ID]; known && a.state != LoggedOut {
		return Offer{}, fmt.Errorf("%w: agent %s is signed in here: transfer with TransferToAgent", ErrInvalidAgent, to.ID)
	}
	return c.transferTo(e, foreignAgent(c.clock.Now(), to))
}

// Hold reserves agent agentID of this center for caller id of another
// instance, in queue q, as the shared router decided: that instance rings
// the agent and carries the call. The agent, who must be Ready and serve
// q, is Reserved; the returned Offer describes the call. Then Answered
// (OnCall), NoAnswer (NotReady "missed"), Abandon (Ready again), EndCall
// (wrap-up by q's rules) and Lost follow the call as the other instance
// reports it; the call counts in none of q's totals here, and no ring
// timer runs here: the other instance times the ring. Transfers are the
// other instance's (ErrForeignCall).
func (c *Center) Hold(id, agentID, q string) (Offer, error) {
	if id == "" {
		return Offer{}, ErrMissingID
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l, a, err := c.newCallFor(id, agentID, q)
	if err != nil {
		return Offer{}, err
	}
	if a.state != Ready {
		return Offer{}, fmt.Errorf("%w: agent %s is %s", ErrAgentNotReady, agentID, a.state)
	}
	if !a.serves(l) {
		return Offer{}, fmt.Errorf("%w: agent %s, queue %s", ErrNotServing, agentID, q)
	}
	now := c.clock.Now()
	e := &entry{id: id, foreign: true, line: l, entered: now, arrived: now.UnixNano(), seq: c.nextSeq()}
	c.mustTransition(now, a, Reserved, "", e)
	e.state, e.agent = offered, a
	e.attempts = 1
	c.entries[id] = e
	return c.offerOf(now, e), nil
}

// waiting returns call id if it waits in line; op names the operation for
// the error.
func (c *Center) waiting(id, op string) (*entry, error) {
	e, err := c.entry(id)
	if err != nil {
		return nil, err
	}
	if e.state != waiting {
		return nil, e.stateError(op)
	}
	return e, nil
}
