package ivr

import (
	"sync"

	"github.com/CyCoreSystems/ari/v6"
)

// mailbox queues a call's events without bound, so that routing an event
// never blocks the connection's goroutine (and so every other call) on one
// slow call. The call's goroutine is its only reader.
type mailbox struct {
	mu     sync.Mutex
	queue  []ari.Event
	signal chan struct{} // has a value while the queue may be non-empty
}

func newMailbox() *mailbox { return &mailbox{signal: make(chan struct{}, 1)} }

func (m *mailbox) put(ev ari.Event) {
	m.mu.Lock()
	m.queue = append(m.queue, ev)
	m.mu.Unlock()
	select {
	case m.signal <- struct{}{}:
	default:
	}
}

// take returns the oldest event, if any.
func (m *mailbox) take() (ari.Event, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.queue) == 0 {
		return nil, false
	}
	ev := m.queue[0]
	m.queue[0] = nil
	m.queue = m.queue[1:]
	if len(m.queue) > 0 {
		select {
		case m.signal <- struct{}{}:
		default:
		}
	}
	return ev, true
}

// pending reports whether events wait to be taken.
func (m *mailbox) pending() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.queue) > 0
}
