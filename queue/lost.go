package queue

// ReasonLost is the reason of an agent's state change caused by a call
// lost with the PBX (its channels vanished: an outage), not by anyone
// hanging up.
const ReasonLost = "lost"

// Lost says the call was lost with the PBX: its channels vanished while
// nobody was watching (a PBX outage), so neither side hung up. Whatever
// stage it was at, it leaves the center without counting as an abandon;
// a ringing agent is Ready again and a connected one goes to wrap-up, both
// with reason "lost".
func (c *Center) Lost(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.entry(id)
	if err != nil {
		return err
	}
	now := c.clock.Now()
	switch e.state {
	case waiting:
		c.unplace(e)
	case offered:
		if e.outbound {
			c.back(now, e)
			break
		}
		c.mustTransition(now, e.agent, Ready, ReasonLost, e)
	case connected:
		c.releaseFor(now, e, ReasonLost)
	}
	c.drop(e)
	return nil
}
