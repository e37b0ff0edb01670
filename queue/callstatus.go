package queue

// CallStatus is where one of the center's calls stands: what a shared
// instance compares with the router's rows after events were lost.
type CallStatus struct {
	// State is "waiting", "offered" (an agent rings) or "connected".
	State string
	// Agent is the agent offered or connected; empty while waiting.
	Agent string
	// Held: another instance's call holding an agent of this center (Hold).
	Held bool
	// Remote: the agent is another instance's (AssignRemote).
	Remote bool
}

// Call says where call id stands; ErrUnknownCall when the center does not
// have it.
func (c *Center) Call(id string) (CallStatus, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.entry(id)
	if err != nil {
		return CallStatus{}, err
	}
	st := CallStatus{Held: e.foreign}
	switch e.state {
	case waiting:
		st.State = "waiting"
	case offered:
		st.State = "offered"
	case connected:
		st.State = "connected"
	default:
		st.State = e.state.String()
	}
	if e.agent != nil && e.state != waiting {
		st.Agent, st.Remote = e.agent.id(), e.agent.foreign
	}
	return st, nil
}
