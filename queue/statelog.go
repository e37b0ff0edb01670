package queue

import "time"

// AgentStateChange is one agent state transition, for reporting.
type AgentStateChange struct {
	Agent  string
	At     time.Time
	From   AgentState
	State  AgentState
	Reason string // NotReady: why; Ready after a withdrawn offer: "abandoned"
	CallID string // the call the change is about (offer, answer, miss, end), if any
	Queue  string // that call's queue
	// Callback says the call is a call-back's conversation (its ID is the
	// request's, not a caller's channel).
	Callback bool
}

// stateLog keeps the changes until they are drained, at most limit.
type stateLog struct {
	limit   int
	items   []AgentStateChange
	dropped int
}

func (l *stateLog) add(ch AgentStateChange) {
	if len(l.items) >= l.limit {
		n := l.limit/10 + 1 // drop the oldest tenth at once: amortised O(1)
		n = min(n, len(l.items))
		l.dropped += n
		l.items = append(l.items[:0], l.items[n:]...)
	}
	l.items = append(l.items, ch)
}

// DrainStateChanges returns the agent state changes recorded since the last
// drain, oldest first, and how many were dropped unread because more than
// Config.StateLogLimit piled up.
func (c *Center) DrainStateChanges() (changes []AgentStateChange, dropped int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	changes, dropped = c.log.items, c.log.dropped
	c.log.items, c.log.dropped = nil, 0
	return changes, dropped
}
