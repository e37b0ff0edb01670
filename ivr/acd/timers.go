package acd

import (
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// timer is a clock timer the service keeps account of: from when it is
// due until the goroutine it woke has done its work, the service is not
// idle. Tests on a fake clock move time only while the service is idle,
// so time never runs ahead of work a timer started.
type timer struct {
	clockwork.Timer
	s  *Service
	id uint64
}

// timerBook holds the due times of the armed timers.
type timerBook struct {
	mu  sync.Mutex
	seq uint64
	due map[uint64]time.Time
}

func (s *Service) newTimer(d time.Duration) *timer {
	t := &timer{Timer: s.clock.NewTimer(d), s: s}
	b := &s.timers
	b.mu.Lock()
	b.seq++
	t.id = b.seq
	if b.due == nil {
		b.due = map[uint64]time.Time{}
	}
	b.due[t.id] = s.clock.Now().Add(d)
	b.mu.Unlock()
	return t
}

// done stops the timer (if it has not fired) and forgets it: the work it
// woke, if any, is finished.
func (t *timer) done() {
	t.Stop()
	b := &t.s.timers
	b.mu.Lock()
	delete(b.due, t.id)
	b.mu.Unlock()
}

// timersIdle says no timer is due with its work unfinished.
func (s *Service) timersIdle() bool {
	now := s.clock.Now()
	b := &s.timers
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, at := range b.due {
		if !at.After(now) {
			return false
		}
	}
	return true
}
