package acd

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

// Routing on while the shared router is away (its database down): once
// decisions have failed for Config.SharedFallbackAfter, the Center routes
// this instance's callers to this instance's agents by itself
// (queue.Center.SetSharedRouting(false)), so that a database outage does
// not stop the centre; offers and holds already made go on. The routing
// goroutine then only probes the router. Once it answers, one report,
// queued after every report of the outage (so sent once they are), puts
// the router right and hands routing back:
//
//   - this instance's callers in the router that left meanwhile, or were
//     offered here, leave the router's line; those waiting here that the
//     router does not have join it, in their place;
//   - its agents on calls offered here are not ready ("on a call") in the
//     router until those calls end, which are published as an outbound
//     call's are;
//   - the Center defers to the router again, and the routing goroutine
//     reconciles (shared_reconcile.go): the router's notifications of the
//     outage were lost.
//
// A caller offered here whose offer rings out after that joins the
// router's line again, in its place.

// DefaultSharedFallbackAfter is Config.SharedFallbackAfter's default.
const DefaultSharedFallbackAfter = 10 * time.Second

// sharedBusyReason is the router's reason for an agent on a call offered
// while it was away.
const sharedBusyReason = "on a call"

// fallback is the sharing's state around an outage of the router.
type fallback struct {
	local     atomic.Bool // the Center routes by itself
	leaving   atomic.Bool // the report that hands routing back was queued in this outage
	reconcile atomic.Bool // routing was handed back: reconcile (the events of the outage were lost)

	mu         sync.Mutex
	failSince  time.Time               // when the router began to fail (decisions or reports)
	joined     map[string]SharedCaller // this instance's callers as last queued in the router
	servedHere map[string]bool         // callers offered here while the router was away
}

// remember keeps c as queued in the router; forget drops it.
func (f *fallback) remember(c SharedCaller) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.joined == nil {
		f.joined = map[string]SharedCaller{}
	}
	f.joined[c.CallID] = c
}

func (f *fallback) forget(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.joined, id)
	delete(f.servedHere, id)
}

// failed notes a decision or a report that failed for a passing fault;
// once the router has failed for the limit, the Center routes by itself.
func (sh *sharing) failed() {
	f := &sh.fallback
	now := sh.s.clock.Now()
	limit := sh.s.cfg.SharedFallbackAfter
	if limit == 0 {
		limit = DefaultSharedFallbackAfter
	}
	f.mu.Lock()
	if f.failSince.IsZero() {
		f.failSince = now
	}
	since := f.failSince
	f.mu.Unlock()
	if now.Sub(since) < limit || !f.local.CompareAndSwap(false, true) {
		return
	}
	sh.s.log.Warn("shared router: away too long; routing this server's callers to its own agents until it is back",
		"since", since)
	f.leaving.Store(false)
	sh.s.center.SetSharedRouting(false)
	sh.s.wake()
	sh.route() // the routing goroutine probes
}

// answered notes that the router answered.
func (sh *sharing) answered() {
	f := &sh.fallback
	f.mu.Lock()
	f.failSince = time.Time{}
	f.mu.Unlock()
}

// probe is the routing goroutine's work while the Center routes by
// itself: once the router answers, the report that hands routing back is
// queued (once).
func (sh *sharing) probe(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	if _, err := sh.api.Centre(rctx); err != nil {
		return err
	}
	if sh.fallback.leaving.CompareAndSwap(false, true) {
		sh.s.log.Info("shared router: back; putting it right before it routes again")
		sh.report("routing back to the shared router", sh.rejoin)
	}
	return nil
}

// servedHere notes the Center's own offers while it routes by itself.
func (sh *sharing) servedHere(offers []queue.Offer) {
	if len(offers) == 0 {
		return
	}
	f := &sh.fallback
	f.mu.Lock()
	if f.servedHere == nil {
		f.servedHere = map[string]bool{}
	}
	for _, o := range offers {
		if !o.Callback && !o.Outbound {
			f.servedHere[o.CallID] = true
		}
	}
	f.mu.Unlock()
	for _, o := range offers {
		if !o.Callback && !o.Outbound {
			sh.markUnrouted(o.CallID)
		}
	}
}

// served says whether caller id was offered here while the router was
// away.
func (f *fallback) served(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.servedHere[id]
}

// requeue: the offer of caller id, made here while the router was away,
// rang out after routing went back to the router, which no longer has
// the caller: it joins the router's line again, in its place. False for
// any other call.
func (sh *sharing) requeue(id string) bool {
	f := &sh.fallback
	if f.local.Load() {
		return false
	}
	f.mu.Lock()
	c, ok := f.joined[id]
	served := f.servedHere[id]
	delete(f.servedHere, id)
	f.mu.Unlock()
	if !served || !ok {
		return false
	}
	sh.report("enqueue "+id, func(ctx context.Context) error { return sh.api.Enqueue(ctx, c) })
	return true
}

// rejoin puts the router right after an outage and hands routing back to
// it; it is sent after every report queued before it. A passing fault
// makes it run again from the start (each step is idempotent).
func (sh *sharing) rejoin(ctx context.Context) error {
	calls, err := sh.api.Calls(ctx)
	if err != nil {
		return err
	}
	c, f := sh.s.center, &sh.fallback
	inRouter := map[string]SharedCall{}
	for _, v := range calls {
		if v.Callback {
			continue // a request's row: its owner serves it (shared_callback.go)
		}
		id := v.Offer.CallID
		inRouter[id] = v
		st, err := c.Call(id)
		switch {
		case err != nil: // it left while the router was away
			err := sh.api.Abandon(ctx, id)
			if errors.Is(err, ErrSharedRefused) {
				err = sh.api.EndCall(ctx, id) // connected in the router
			}
			if err := stale(err); err != nil {
				return err
			}
			f.forget(id)
		case st.State != "waiting" && (v.State == "waiting" || f.served(id)):
			// Offered here; the router may have offered it too since it
			// came back: that offer is withdrawn, its agent not missed.
			if err := stale(sh.api.Abandon(ctx, id)); err != nil {
				return err
			}
		}
	}
	f.mu.Lock()
	var join []SharedCaller
	for id, cl := range f.joined {
		if _, ok := inRouter[id]; ok {
			continue
		}
		if st, err := c.Call(id); err != nil {
			delete(f.joined, id)
		} else if st.State == "waiting" {
			join = append(join, cl)
			delete(f.servedHere, id)
		}
	}
	f.mu.Unlock()
	for _, cl := range join {
		if err := stale(sh.api.Enqueue(ctx, cl)); err != nil {
			return err
		}
	}
	for _, a := range c.Agents() {
		if (a.State != queue.Reserved && a.State != queue.OnCall) || a.CallID == "" {
			continue
		}
		st, err := c.Call(a.CallID)
		if err != nil || st.Held || st.Agent != a.ID {
			continue
		}
		if v, ok := inRouter[a.CallID]; ok && v.State == "connected" && v.Offer.Agent == a.ID {
			continue // the router's own call: it took this server's answer
		}
		sh.markUnrouted(a.CallID)
		if err := stale(sh.api.SetNotReady(ctx, a.ID, sharedBusyReason)); err != nil {
			return err
		}
	}
	c.SetSharedRouting(true)
	f.reconcile.Store(true)
	f.local.Store(false) // leaving stays set until the next outage: a probe already under way queues nothing
	sh.s.log.Info("shared router: routing handed back to it")
	sh.route()
	return nil
}

// stale takes the router's refusals for done: what it refused has moved
// on (the call left, the agent was offered another call).
func stale(err error) error {
	if errors.Is(err, ErrSharedRefused) {
		return nil
	}
	return err
}
