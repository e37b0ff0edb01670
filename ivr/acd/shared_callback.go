package acd

// Call-backs in a centre of several instances (deploy/scale-out.md,
// "Call-backs and restarts"). A request is a caller row of the shared
// router marked as a call-back: it keeps its place in the one line of the
// centre, and its offers go to the instance that owns it, which dials
// exactly as a single instance does (callback.go): the agent first, then
// the customer, through the store's Claim gate.
//
//   - Booking: the request is stored first (before the caller hangs up),
//     the Center turns the caller into a call-back, and the router's row
//     becomes one (ToCallback), reported in order through the sharing's
//     queue after the caller's Enqueue.
//   - The router's offer of the request (known by its router ID: the
//     caller's call ID, or the cluster's ID of a request adopted from
//     another instance) is the Center's offer of its current attempt
//     ("cb-<call>/<attempt>"); the call-back session reports the agent's
//     answer, no answer and the end under the router ID. Claim failing
//     (another instance dials it, or it is done) ends the row. A dial
//     that does not reach the customer ends the row, and the retry, at
//     its time, queues it again with its original arrival (its place).
//   - Taking requests (takeCallbacks): at start (the instance's own, left
//     by a clean stop, and its interrupted dials, which Recover makes
//     pending), and after the reaper found instances dead or adopted their
//     requests: the router's call-back rows this instance owns go into its
//     Center; the pending requests of those instances that have no row any
//     more (a dial interrupted, a retry waiting) are queued again here.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/hotline-ivr/hotline/queue"
)

// SharedCallbacks is what a shared router offers for call-backs; a Shared
// without it cannot serve queues that offer call-backs. Its errors are
// read as Shared's.
type SharedCallbacks interface {
	// ToCallback turns this instance's waiting caller into a call-back
	// request that keeps its place.
	ToCallback(ctx context.Context, callID, number string) error
	// EnqueueCallback queues a call-back request of this instance (a
	// retry, or a request it takes over) at its place (c.Arrived).
	EnqueueCallback(ctx context.Context, c SharedCaller, number string) error
	// CallbackRows are the centre's call-back rows: each router ID, as
	// this instance knows it, with the instance that owns it.
	CallbackRows(ctx context.Context) (map[string]string, error)
}

// sharedCallbacks are the requests this instance owns in the router.
type sharedCallbacks struct {
	take     sync.Mutex        // one takeCallbacks at a time
	mu       sync.Mutex        // the maps
	byRouter map[string]string // router ID -> the Center's ID of the attempt queued
	router   map[string]string // request ID -> router ID
}

// requestOf is the request ID of a router ID: "cb-" and the call ID it was
// booked on (the part after the instance's name in a cluster ID).
func requestOf(routerID string) string {
	return "cb-" + routerID[strings.LastIndexByte(routerID, ':')+1:]
}

func (sh *sharing) callbacks() SharedCallbacks {
	cb, _ := sh.api.(SharedCallbacks)
	return cb
}

// noteCallback says the request's attempt centerID is in the Center,
// known to the router as routerID.
func (sh *sharing) noteCallback(routerID, centerID string) {
	c := &sh.cb
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byRouter == nil {
		c.byRouter, c.router = map[string]string{}, map[string]string{}
	}
	req, _ := splitCenterID(centerID)
	if old, ok := c.router[req]; ok && old != routerID {
		delete(c.byRouter, old)
	}
	c.byRouter[routerID], c.router[req] = centerID, routerID
}

// centerCall is the Center's ID of the router's call id: the attempt
// queued of a call-back request, else id itself.
func (sh *sharing) centerCall(id string) string {
	if sh == nil {
		return id
	}
	sh.cb.mu.Lock()
	defer sh.cb.mu.Unlock()
	if cid, ok := sh.cb.byRouter[id]; ok {
		return cid
	}
	return id
}

// routerCall is the router's ID of request req, if it has one.
func (sh *sharing) routerCall(req string) (string, bool) {
	sh.cb.mu.Lock()
	defer sh.cb.mu.Unlock()
	id, ok := sh.cb.router[req]
	return id, ok
}

// sharedID is the router's ID of the session's call, and whether the
// router knows it: a live caller's own ID, a call-back's request's router
// ID; an agent's outbound call is not the router's.
func (ses *session) sharedID() (string, bool) {
	if ses.s.shared == nil {
		return "", false
	}
	if ses.cb == nil {
		return ses.id, true
	}
	if ses.cb.out != nil {
		return "", false
	}
	return ses.s.shared.routerCall(ses.cb.req)
}

// sharedCallbackEnded: a call-back session's agent call ended (its row
// with it); unless the request is to be dialled again (its retry keeps
// the router ID), this instance is done with it.
func (ses *session) sharedCallbackEnded() {
	if ses.cb == nil || ses.cb.retry {
		return
	}
	c := &ses.s.shared.cb
	c.mu.Lock()
	defer c.mu.Unlock()
	if id, ok := c.router[ses.cb.req]; ok {
		delete(c.byRouter, id)
		delete(c.router, ses.cb.req)
	}
}

// sharedTransferable refuses, in a centre of several instances, the
// transfer to a queue of a call-back's customer: the customer would wait
// in a line the shared router does not know of.
func (ses *session) sharedTransferable() error {
	if ses.s.shared != nil && ses.cb != nil {
		return fmt.Errorf("%w: a transfer of a call-back's customer to a queue", ErrSharedUnsupported)
	}
	return nil
}

// sharedBooked reports the call-back just booked by the session's caller:
// the caller's row becomes the request's (it keeps its place), or, for a
// caller turned away at the door (never queued), the request is queued.
func (ses *session) sharedBooked(rec CallbackRecord, centerID string) {
	sh := ses.s.shared
	if sh == nil {
		return
	}
	api := sh.callbacks()
	id, number := ses.id, rec.Number
	sh.noteCallback(id, centerID)
	if ses.cbNotIn {
		c := SharedCaller{CallID: id, Queue: rec.Queue, Priority: rec.Priority, Arrived: rec.Arrived, Skills: rec.Skills, Language: ses.lang}
		sh.report("enqueue call-back "+id, func(ctx context.Context) error { return api.EnqueueCallback(ctx, c, number) })
		return
	}
	sh.report("call-back "+id, func(ctx context.Context) error { return api.ToCallback(ctx, id, number) })
}

// callbackQueued: a request's attempt was queued in the Center again (a
// retry at its time, or a request taken over without a row): queued in
// the router too, at its original arrival.
func (sh *sharing) callbackQueued(rec CallbackRecord, centerID string) {
	if sh == nil {
		return
	}
	id, ok := sh.routerCall(rec.ID)
	if !ok {
		id = strings.TrimPrefix(rec.ID, "cb-")
	}
	sh.noteCallback(id, centerID)
	api := sh.callbacks()
	c := SharedCaller{CallID: id, Queue: rec.Queue, Priority: rec.Priority, Arrived: rec.Arrived, Skills: rec.Skills,
		Language: sh.s.cfg.CallbackLanguage}
	number := rec.Number
	sh.report("enqueue call-back "+id, func(ctx context.Context) error { return api.EnqueueCallback(ctx, c, number) })
}

// TakeCallbacks takes over the call-back requests of instances the
// shared router found dead (and those it adopted for this instance): the
// requests they were dialling are pending again (Recover), those the
// router now has as this instance's are queued here, and those of theirs
// that have no row (a dial interrupted, a retry waiting for its time) are
// queued again, here and in the router, keeping their place. The reaper
// calls it with what Reap returned; it is a no-op alone.
func (s *Service) TakeCallbacks(ctx context.Context, instances []string) error {
	if s.shared == nil || len(instances) == 0 {
		return nil
	}
	select { // the requests go under Run's context
	case <-s.started:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.shared.takeCallbacks(ctx, instances)
}

// takeCallbacks: see TakeCallbacks; from names the instances whose
// requests are taken over (this one's own at start).
func (sh *sharing) takeCallbacks(ctx context.Context, from []string) error {
	api := sh.callbacks()
	if api == nil {
		return nil
	}
	sh.cb.take.Lock()
	defer sh.cb.take.Unlock()
	s := sh.s
	var errs []error
	for _, in := range slices.Compact(slices.Sorted(slices.Values(from))) {
		if n, err := s.cfg.Callbacks.Recover(ctx, in); err != nil {
			errs = append(errs, err)
		} else if n > 0 {
			s.log.Warn("call-backs were being dialled by an instance that stopped; they are pending again", "instance", in, "requests", n)
		}
	}
	rows, err := api.CallbackRows(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	recs, err := s.cfg.Callbacks.Pending(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	inRouter := map[string]string{} // request ID -> router ID
	for id := range rows {
		inRouter[requestOf(id)] = id
	}
	taken := 0
	for _, rec := range recs {
		id, listed := inRouter[rec.ID]
		switch {
		case listed && rows[id] == sh.me:
			if _, known := sh.routerCall(rec.ID); known {
				continue // queued here already
			}
			cid := centerID(rec.ID, rec.Attempts+1)
			_, err := s.center.AddCallback(queue.Callback{ID: cid, Queue: rec.Queue, Priority: rec.Priority,
				Skills: rec.Skills, Number: rec.Number, Arrived: rec.Arrived})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			sh.noteCallback(id, cid)
		case !listed && rec.Instance != "" && slices.Contains(from, rec.Instance):
			if rec.Instance != sh.me {
				// The cluster's ID under the instance that had it.
				sh.noteCallback(rec.Instance+":"+strings.TrimPrefix(rec.ID, "cb-"), centerID(rec.ID, rec.Attempts+1))
			}
			s.scheduleCallback(s.runCtx, rec)
		default:
			continue
		}
		taken++
	}
	if taken > 0 {
		s.log.Info("call-backs taken over", "requests", taken, "from", from)
		s.wake()
	}
	return errors.Join(errs...)
}

// takeOnOffer: the router offered a call this instance's Center does not
// know: a call-back it adopted a moment ago (the reaper's TakeCallbacks
// may not have run yet), one of its own the start could not take back
// (the database was away), or a caller who just left (then nothing is
// taken). It says whether id is known now.
func (sh *sharing) takeOnOffer(id string) bool {
	if sh.callbacks() == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(sh.s.runCtx, sharedTimeout)
	defer cancel()
	if err := sh.takeCallbacks(ctx, nil); err != nil {
		sh.s.log.Warn("shared router: taking an adopted call-back", "call", id, "error", err)
	}
	return sh.centerCall(id) != id
}
