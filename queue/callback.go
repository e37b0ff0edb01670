package queue

import (
	"fmt"
	"time"
)

// Callback is a call-back request that joins a queue without a live call:
// one restored after a restart (with its original arrival, so it keeps its
// place), taken from a web form, accepted after an overflow's call-back
// offer, or a retry of one whose customer did not answer.
type Callback struct {
	ID       string // the request's ID: unique forever, it is spent once served or cancelled
	Queue    string
	Priority int
	Skills   []string
	Number   string    // the customer's number
	Arrived  time.Time // zero means now
}

// RequestCallback turns a waiting caller into a call-back that keeps its
// place: same queue, priority and arrival time. From now on it is known by
// requestID (the call's ID is free: the caller hangs up), and it no longer
// overflows by MaxWait or for lack of agents. When it reaches the front, its
// offer has Callback set.
func (c *Center) RequestCallback(callID, requestID, number string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, err := c.entry(callID)
	if err != nil {
		return err
	}
	if e.state != waiting || e.callback {
		return e.stateError("turn into a call-back")
	}
	if err := c.freeRequest(requestID); err != nil {
		return err
	}
	delete(c.entries, e.id)
	e.line.live--
	c.stats(c.clock.Now(), e.line).callbacks++
	e.id, e.callback = requestID, true
	if number != "" {
		e.number = number
	}
	c.entries[e.id] = e
	return nil
}

// AddCallback queues a call-back. Call-backs are never refused: they hold no
// line, so MaxLength and NoAgentsOverflow do not apply.
func (c *Center) AddCallback(cb Callback) (Admission, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, err := c.line(cb.Queue)
	if err != nil {
		return Admission{}, err
	}
	if err := c.freeRequest(cb.ID); err != nil {
		return Admission{}, err
	}
	if cb.Number == "" {
		return Admission{}, fmt.Errorf("%w: call-back %s", ErrNoNumber, cb.ID)
	}
	now := c.clock.Now()
	e := &entry{id: cb.ID, priority: cb.Priority, own: normSkills(cb.Skills), number: cb.Number, callback: true}
	c.arrive(now, e, cb.Arrived)
	c.stats(now, l).callbacks++
	return c.admit(now, e, l, false), nil
}

// freeRequest checks that a call-back request ID is neither in use nor
// spent.
func (c *Center) freeRequest(id string) error {
	if id == "" {
		return ErrMissingID
	}
	if _, used := c.entries[id]; used {
		return fmt.Errorf("%w: %s is in use", ErrDuplicateCallback, id)
	}
	if _, spent := c.spent[id]; spent {
		return fmt.Errorf("%w: %s was served or cancelled", ErrDuplicateCallback, id)
	}
	return nil
}
