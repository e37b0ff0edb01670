package queue

import (
	"fmt"
	"time"
)

// QueueStatus is a queue as it is now, for the wallboard.
type QueueStatus struct {
	Name             string
	Waiting          int // in line, call-backs included
	WaitingCallbacks int // of which call-backs
	LongestWait      time.Duration
	LoggedIn         int // agents logged in
	Staffed          int // agents logged in and not NotReady
	Ready            int // agents Ready
	AHT              time.Duration

	// The totals of the centre's day: Day is its local midnight (in
	// Config.Location), Since when the totals began counting in it: Day,
	// or the center's start on its first day until SeedDay adds the call
	// records of the day before it (Answered, AnsweredInSL and Abandoned
	// only: the others count from the start on that day).
	Day   time.Time
	Since time.Time

	Answered           int
	AnsweredInSL       int // answered within the queue's ServiceLevel of joining it
	Abandoned          int
	Overflowed         int
	Missed             int // offers that rang out or were not answered
	Callbacks          int // call-backs requested or added
	CallbacksConnected int
	CallbacksCancelled int
	// ServiceLevel is AnsweredInSL ÷ (Answered + Abandoned), call-backs
	// apart; 0 before the first caller is answered or abandons.
	ServiceLevel float64
}

// QueueStatus returns a queue's status.
func (c *Center) QueueStatus(name string) (QueueStatus, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.lines[name]
	if !ok {
		return QueueStatus{}, fmt.Errorf("%w: %q", ErrUnknownQueue, name)
	}
	now := c.clock.Now()
	c.today(now)
	return c.status(now, l), nil
}

// Queues returns every queue's status, in the order the queues were added.
func (c *Center) Queues() []QueueStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	c.today(now)
	out := make([]QueueStatus, len(c.order))
	for i, l := range c.order {
		out[i] = c.status(now, l)
	}
	return out
}

func (c *Center) status(now time.Time, l *line) QueueStatus {
	name := l.name
	st := l.stats
	s := QueueStatus{
		Name: name, Waiting: l.waiting, WaitingCallbacks: l.waiting - l.live,
		LoggedIn: l.loggedIn, Staffed: l.staffed, Day: c.day.start, Since: c.day.since,
		Answered: st.answered, AnsweredInSL: st.answeredInSL, Abandoned: st.abandoned,
		Overflowed: st.overflowed, Missed: st.missed, Callbacks: st.callbacks,
		CallbacksConnected: st.callbacksConnected, CallbacksCancelled: st.callbacksCancelled,
	}
	s.AHT, _ = l.handle.mean()
	for _, a := range l.members {
		if a.state == Ready {
			s.Ready++
		}
	}
	for _, cl := range l.classes {
		for _, b := range cl.buckets {
			s.LongestWait = max(s.LongestWait, b.head().waited(now))
		}
	}
	if n := st.answered + st.abandoned; n > 0 {
		s.ServiceLevel = float64(st.answeredInSL) / float64(n)
	}
	return s
}
