package acd

import "sync"

// inbox queues a session's messages without bound, so the ARI event loop
// and the dispatcher never block on one slow call. The session's goroutine
// is its only reader.
type inbox struct {
	mu     sync.Mutex
	queue  []any
	closed bool
	signal chan struct{} // has a value while the queue may be non-empty
}

func (b *inbox) init() { b.signal = make(chan struct{}, 1) }

// put queues m; it is false once the inbox is closed (its session ended).
func (b *inbox) put(m any) bool {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return false
	}
	b.queue = append(b.queue, m)
	b.mu.Unlock()
	select {
	case b.signal <- struct{}{}:
	default:
	}
	return true
}

// close refuses further messages and returns those never taken.
func (b *inbox) close() []any {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	rest := b.queue
	b.queue = nil
	return rest
}

// take returns the oldest message, if any.
func (b *inbox) take() (any, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 {
		return nil, false
	}
	m := b.queue[0]
	b.queue[0] = nil
	b.queue = b.queue[1:]
	if len(b.queue) > 0 {
		select {
		case b.signal <- struct{}{}:
		default:
		}
	}
	return m, true
}
