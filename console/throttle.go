package console

import (
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// The sign-in throttle's rule: after maxFailures wrong passwords for one
// user name within failureWindow, that name is refused for lockout.
const (
	maxFailures   = 5
	failureWindow = time.Minute
	lockout       = time.Minute
)

// throttle slows down password guessing. It counts failures by the user name
// typed, known or not, so a locked-out answer does not tell which names
// exist.
type throttle struct {
	clock clockwork.Clock

	mu    sync.Mutex
	names map[string]*failures
}

type failures struct {
	times  []time.Time // within failureWindow, oldest first
	locked time.Time   // refused until then
}

func newThrottle(clock clockwork.Clock) *throttle {
	return &throttle{clock: clock, names: map[string]*failures{}}
}

// locked says whether name is locked out, and for how long still.
func (t *throttle) locked(name string) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.names[name]
	if f == nil {
		return 0, false
	}
	left := f.locked.Sub(t.clock.Now())
	return left, left > 0
}

// fail counts a failed sign-in for name.
func (t *throttle) fail(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock.Now()
	t.sweep(now)
	f := t.names[name]
	if f == nil {
		f = &failures{}
		t.names[name] = f
	}
	f.times = append(recent(f.times, now), now)
	if len(f.times) >= maxFailures {
		f.locked, f.times = now.Add(lockout), nil
	}
}

// succeed forgets name's failures.
func (t *throttle) succeed(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.names, name)
}

// sweep drops the names with nothing left to remember, so that guessing
// many names cannot grow the map without bound.
func (t *throttle) sweep(now time.Time) {
	for name, f := range t.names {
		f.times = recent(f.times, now)
		if len(f.times) == 0 && !now.Before(f.locked) {
			delete(t.names, name)
		}
	}
}

// recent returns the times still within failureWindow of now.
func recent(times []time.Time, now time.Time) []time.Time {
	for len(times) > 0 && now.Sub(times[0]) >= failureWindow {
		times = times[1:]
	}
	return times
}
