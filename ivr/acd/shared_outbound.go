package acd

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hotline-ivr/hotline/queue"
)

// An agent's outbound call in a centre of several instances. The agent
// calls out from its home (the instance whose console it signed in to),
// and the router must not offer it another instance's caller meanwhile:
// before its Center reserves the agent, the router is told the agent is
// not ready for the reason "outbound" (through the ordered reports, the
// answer waited for: a refusal means the router has the agent reserved
// for a call, and the dial is refused). The call's changes are the
// home's; its end is published: the agent back to its state when the
// customer was not reached, or ready after its wrap-up.

// sharedOutboundReason is the router's reason for an agent on an
// outbound call.
const sharedOutboundReason = "outbound"

// outboundStart takes agent out of the router's offers for an outbound
// call id, and remembers id so that the call's end is published.
func (sh *sharing) outboundStart(ctx context.Context, agent, id string) error {
	err := sh.reportWait(ctx, "outbound "+agent, func(ctx context.Context) error {
		return sh.api.SetNotReady(ctx, agent, sharedOutboundReason)
	})
	switch {
	case errors.Is(err, ErrSharedRefused):
		return fmt.Errorf("%w: agent %s is being offered or is on a call of the centre: %w", ErrCannotDial, agent, err)
	case err != nil:
		return fmt.Errorf("%w: the centre's router does not answer: %w", ErrCannotDial, err)
	}
	sh.markUnrouted(id)
	return nil
}

// markUnrouted notes call id as one the router did not make: its agent's
// end is published (unroutedBack).
func (sh *sharing) markUnrouted(id string) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.unrouted == nil {
		sh.unrouted = map[string]bool{}
	}
	sh.unrouted[id] = true
}

// outboundNotStarted: the Center refused the call after the router was
// told: the router gets the agent's state back, and id is forgotten.
func (sh *sharing) outboundNotStarted(agent, id string) {
	sh.mu.Lock()
	delete(sh.unrouted, id)
	sh.mu.Unlock()
	if st, err := sh.s.center.Agent(agent); err == nil {
		sh.publishState(agent, st.State, st.Reason) // in wrap-up: its end is published as any
	}
}

// unroutedBack says whether ch puts the agent of a call the router did
// not make (an outbound call, an offer made while the router was away)
// back in a state of its own (not reached, rung out, or after a call
// without wrap-up): a change the router did not make, to publish. The
// call is forgotten once its agent leaves it.
func (sh *sharing) unroutedBack(ch queue.AgentStateChange) bool {
	if !between(ch.State) {
		return false
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if !sh.unrouted[ch.CallID] {
		return false
	}
	delete(sh.unrouted, ch.CallID)
	return ch.From != queue.WrapUp // the end of a wrap-up is published as any
}

// waited is a report whose sender waits for its answer: sent once, in its
// turn, never again; or not at all if the sender gave up before its turn.
type waited struct {
	mu              sync.Mutex
	started, gaveUp bool
	done            chan error
}

// reportWait queues do as a report and waits for its result, up to
// sharedTimeout (or ctx): reports queued before it go first, so the
// router sees the changes in order. A passing fault is returned, not
// retried; if it is still queued when the wait ends, it is never sent.
func (sh *sharing) reportWait(ctx context.Context, what string, do func(context.Context) error) error {
	w := &waited{done: make(chan error, 1)}
	sh.report(what, func(octx context.Context) error {
		w.mu.Lock()
		skip := w.gaveUp
		w.started = !skip
		w.mu.Unlock()
		if skip {
			return nil
		}
		err := do(octx)
		w.done <- err
		return nil // the sender decides
	})
	wctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	select {
	case err := <-w.done:
		return err
	case <-wctx.Done():
	}
	w.mu.Lock()
	started := w.started
	w.gaveUp = !started
	w.mu.Unlock()
	if !started {
		return fmt.Errorf("waiting for the reports before it: %w", wctx.Err())
	}
	return <-w.done // it is being sent: its own timeout bounds it
}
