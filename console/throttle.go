package console

import (
	"net/netip"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// The sign-in limits. Attempts count in a sliding window: an attempt is
// refused while the window holds the limit's number of failed (or still
// running) attempts.
const (
	// maxPairFailures limits guessing one user's password from one client
	// address. It is kept per (name, address), never per name alone, so
	// that nobody can lock a user out from elsewhere.
	maxPairFailures = 5
	// maxAddrFailures limits one client address whatever names it tries,
	// so that rotating names gains nothing.
	maxAddrFailures = 30
	// failureWindow is how long a failure counts.
	failureWindow = time.Minute
)

// throttle slows down password guessing. Each attempt reserves its place
// in the windows before its password is checked, under one lock, so that
// attempts sent in parallel are counted like attempts in a row: the sixth
// parallel guess is refused before any of the first five is decided. It
// counts names as typed, known or not, so a refusal does not tell which
// names exist.
type throttle struct {
	clock clockwork.Clock

	mu        sync.Mutex
	pairs     map[pairKey][]time.Time      // failed or running attempts, oldest first
	addrs     map[netip.Prefix][]time.Time // likewise, whatever the name
	lastSweep time.Time
}

type pairKey struct {
	name string
	addr netip.Prefix
}

func newThrottle(clock clockwork.Clock) *throttle {
	return &throttle{clock: clock, pairs: map[pairKey][]time.Time{}, addrs: map[netip.Prefix][]time.Time{}}
}

// attempt is a reserved sign-in attempt. It counts as a failure unless
// succeeded or cancelled.
type attempt struct {
	t    *throttle
	pair pairKey
	at   time.Time
}

// reserve counts an attempt by name from addr. When a limit is reached it
// returns ok false and how long until the oldest counted attempt expires.
func (t *throttle) reserve(name string, addr netip.Addr) (a attempt, retry time.Duration, ok bool) {
	now := t.clock.Now()
	key := pairKey{name, addrKey(addr)}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep(now)
	pair := recent(t.pairs[key], now)
	byAddr := recent(t.addrs[key.addr], now)
	switch {
	case len(pair) >= maxPairFailures:
		return attempt{}, pair[len(pair)-maxPairFailures].Add(failureWindow).Sub(now), false
	case len(byAddr) >= maxAddrFailures:
		return attempt{}, byAddr[len(byAddr)-maxAddrFailures].Add(failureWindow).Sub(now), false
	}
	t.pairs[key] = append(pair, now)
	t.addrs[key.addr] = append(byAddr, now)
	return attempt{t: t, pair: key, at: now}, 0, true
}

// succeeded: the password was right. The attempt no longer counts, and
// the name's failures from that address are forgotten; the address's
// other failures still count.
func (a attempt) succeeded() {
	a.t.mu.Lock()
	defer a.t.mu.Unlock()
	delete(a.t.pairs, a.pair)
	a.t.addrs[a.pair.addr] = without(a.t.addrs[a.pair.addr], a.at)
}

// cancelled: the password was never checked (the server was too busy).
// The attempt no longer counts.
func (a attempt) cancelled() {
	a.t.mu.Lock()
	defer a.t.mu.Unlock()
	a.t.pairs[a.pair] = without(a.t.pairs[a.pair], a.at)
	a.t.addrs[a.pair.addr] = without(a.t.addrs[a.pair.addr], a.at)
}

// without removes one at from times.
func without(times []time.Time, at time.Time) []time.Time {
	for i, t := range times {
		if t.Equal(at) {
			return append(times[:i:i], times[i+1:]...)
		}
	}
	return times
}

// sweep drops, once a window, what has nothing left to count, so that
// many names or addresses cannot grow the maps without bound.
func (t *throttle) sweep(now time.Time) {
	if now.Sub(t.lastSweep) < failureWindow {
		return
	}
	t.lastSweep = now
	for k, times := range t.pairs {
		if len(recent(times, now)) == 0 {
			delete(t.pairs, k)
		}
	}
	for k, times := range t.addrs {
		if len(recent(times, now)) == 0 {
			delete(t.addrs, k)
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
