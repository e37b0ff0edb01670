package queue

import "fmt"

// Withdraw says the shared router withdrew the offer of caller id to
// agentID, an agent of another instance (AssignRemote), without the
// agent missing it: the agent's home declined it (the agent was no longer
// free there) or died. The caller goes back to its place, as after a no
// answer but not counted as a missed offer; the agent's state is its
// home's. An offer that moved on fails as in NoAnswer (ErrUnknownCall,
// ErrCallState, ErrNotOffered); one to an agent of this center is not
// the router's to withdraw (ErrInvalidAgent).
func (c *Center) Withdraw(id, agentID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.offered(id, agentID, "withdraw the offer of")
	if err != nil {
		return err
	}
	if !e.agent.foreign || e.foreign {
		return fmt.Errorf("%w: cannot withdraw the offer of call %s to agent %s: not another instance's agent ringing for this center's caller", ErrInvalidAgent, id, agentID)
	}
	c.place(c.clock.Now(), e, e.line)
	return nil
}
