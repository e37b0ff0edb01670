package acd

// Shared routing: the service as one of several instances whose queues are
// one (deploy/scale-out.md). The shared router (package cluster, adapted
// by cmd/hotline) matches the callers of every instance with the agents of
// every instance; this service carries out its part through its Center in
// shared mode (queue.Config.SharedRouting):
//
//   - its callers: queued in the router too; the router's offers for them
//     become the Center's (Assign for an agent of this instance, else
//     AssignRemote) and ring exactly as the Center's own offers do; their
//     answers, ring-outs, abandons and ends are reported back;
//   - its agents (this is their home: they signed in here): their own
//     states (login, ready, not ready, logout, the end of a wrap-up) are
//     published; another instance's call that reserves one of them is
//     held in the Center (Hold) and followed as that instance reports it.
//
// No cluster call is on a call's path: reports go through one queue,
// sent in order by one goroutine that retries what fails for a moment
// (PostgreSQL restarting) and drops only what the router refuses for
// good; one goroutine routes, on a kick, an event or the decision's wake.
// What cannot cross instances yet is refused (sharedUnsupported).

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

// Shared is the shared router as the service uses it. Its errors that
// match ErrSharedRefused are the router's refusals (the call or agent is
// not in the state the report needs: stale); any other error is taken for
// a passing fault and the report is sent again.
type Shared interface {
	// Instance is this instance's name in the router.
	Instance() string

	// Enqueue, Abandon, Answered, NoAnswer and EndCall report this
	// instance's callers.
	Enqueue(ctx context.Context, c SharedCaller) error
	Abandon(ctx context.Context, callID string) error
	Answered(ctx context.Context, callID, agent string) error
	NoAnswer(ctx context.Context, callID, agent string) error
	EndCall(ctx context.Context, callID string) error

	// Decline says this instance, the agent's home, cannot hold the call
	// of a SharedHold (its Center has the agent in state to: NotReady
	// with reason, or LoggedOut): the router withdraws the offer if it
	// stands (the caller back in its place, its instance told with
	// SharedWithdrawn) and the agent takes that state.
	Decline(ctx context.Context, callID, agent string, to queue.AgentState, reason string) error

	// Login, SetReady, SetNotReady and Logout report the states the
	// agents of this instance give themselves.
	Login(ctx context.Context, agent string) error
	SetReady(ctx context.Context, agent string) error
	SetNotReady(ctx context.Context, agent, reason string) error
	Logout(ctx context.Context, agent string) error

	// Route makes one decision for the whole centre and returns this
	// instance's part of it.
	Route(ctx context.Context) (SharedDecision, error)
	// Events are what the router tells this instance between decisions;
	// the channel is read until Run ends.
	Events() <-chan SharedEvent
	// Centre is the whole centre's queues and agents, for the views.
	Centre(ctx context.Context) (SharedCentre, error)
	// Calls and HeldCalls are the router's rows of this instance's
	// callers and of the other instances' calls holding its agents: what
	// it reconciles with after SharedResync (shared_reconcile.go).
	Calls(ctx context.Context) ([]SharedCall, error)
	HeldCalls(ctx context.Context) ([]SharedCall, error)
	// TransferToAgent is an agent's blind transfer of this instance's
	// connected call to a colleague who is ready, wherever it signed in:
	// the offer to ring (shared_transfer.go).
	TransferToAgent(ctx context.Context, callID, target string) (SharedOffer, error)
}

// SharedCentre is the whole centre as the router has it.
type SharedCentre struct {
	Queues map[string]SharedQueue // by name
	Agents map[string]SharedAgent // by ID
}

// SharedQueue is a queue's callers across the centre.
type SharedQueue struct {
	Waiting, Callbacks int
	LongestWait        time.Duration
}

// SharedAgent is an agent's state in the router, and where it signed in.
type SharedAgent struct {
	State       queue.AgentState
	Reason      string
	Since       time.Time
	CallID      string
	Queue       string
	Home        string
	WrapUpEnds  time.Time
	Disposition bool
}

// ErrSharedRefused is matched by a Shared report the router refuses for
// good (the call or the agent moved on): it is not sent again.
var ErrSharedRefused = errors.New("acd: the shared router refuses the report")

// ErrSharedUnsupported: what was asked cannot cross instances yet.
var ErrSharedUnsupported = errors.New("acd: not available in a centre of several instances yet")

// SharedCaller is one of this instance's callers, as the router queues it.
type SharedCaller struct {
	CallID, Queue string
	Priority      int
	Arrived       time.Time // its place in line
	Skills        []string  // its own, besides the queue's
	// The screen pop of the agent's home when the agent is another
	// instance's.
	Number, Hotline, Language string
	Path                      []string
}

// SharedOffer is an offer of the router: call CallID of instance Instance
// to agent Agent of instance Home.
type SharedOffer struct {
	CallID, Instance      string
	Agent, AgentName      string
	Device, Home, Queue   string
	Deadline              time.Time
	Attempt               int
	Number, Language      string
	Hotline               string
	Waited                time.Duration // the caller's wait when offered
	Path                  []string
	WrapUpEnds            time.Time // SharedHoldEnded
	Reason                string    // SharedHoldNoAnswer, SharedHoldLost: the agent's reason
	AgentState            queue.AgentState
	WaitingForDisposition bool
}

// SharedDecision is this instance's part of one decision.
type SharedDecision struct {
	Offers       []SharedOffer // for this instance's callers
	RingTimeouts []SharedOffer // of this instance's callers: stop ringing
	Wake         time.Time     // when time alone makes work due; zero: nothing
}

// SharedEventKind says what a SharedEvent is.
type SharedEventKind uint8

// The events.
const (
	SharedWork        SharedEventKind = iota // routing work appeared: route
	SharedResync                             // events were lost: route, and check the calls
	SharedOffered                            // an offer for one of this instance's callers
	SharedRingTimeout                        // an offer of one of its callers rang out
	SharedWithdrawn                          // an offer of one of its callers was withdrawn (the agent's home died)
	SharedHold                               // one of its agents is reserved for another instance's caller
	SharedHoldAnswered
	SharedHoldNoAnswer
	SharedHoldAbandoned
	SharedHoldEnded
	SharedHoldLost
)

// SharedEvent is one event of the router.
type SharedEvent struct {
	Kind  SharedEventKind
	Offer SharedOffer
}

// sharing is the service's side of the shared router.
type sharing struct {
	s   *Service
	api Shared
	me  string

	mu     sync.Mutex
	ops    []sharedOp
	centre SharedCentre // the last views read
	totals centreTotals // the last totals of today read (shared_totals.go)
	// The calls the router did not make, whose agents' ends are
	// published: outbound calls (shared_outbound.go) and the offers made
	// here while the router was away (shared_fallback.go).
	unrouted map[string]bool
	fallback fallback      // shared_fallback.go
	more     chan struct{} // an op was queued
	kick     chan struct{} // route again

	soft *softShare      // browser agents across instances (shared_soft.go)
	cb   sharedCallbacks // the call-back requests it owns (shared_callback.go)
	// agents whose next own state here is published whatever it follows
	// (shared_decline.go)
	toRepublish map[string]bool
}

// sharedOp is one report, sent in order.
type sharedOp struct {
	what string
	do   func(ctx context.Context) error
}

func newSharing(s *Service, api Shared) *sharing {
	return &sharing{s: s, api: api, me: api.Instance(), more: make(chan struct{}, 1), kick: make(chan struct{}, 1)}
}

// report queues a report; it never waits for the router.
func (sh *sharing) report(what string, do func(ctx context.Context) error) {
	if sh == nil {
		return
	}
	sh.s.busy.Add(1)
	sh.mu.Lock()
	sh.ops = append(sh.ops, sharedOp{what, do})
	sh.mu.Unlock()
	select {
	case sh.more <- struct{}{}:
	default:
	}
}

// route asks for a decision soon.
func (sh *sharing) route() {
	if sh == nil {
		return
	}
	sh.s.busy.Add(1)
	select {
	case sh.kick <- struct{}{}:
	default:
		sh.s.busy.Add(-1)
	}
}

// Backoffs of the reports and decisions that failed for a moment.
const (
	sharedMinBackoff = 100 * time.Millisecond
	sharedMaxBackoff = 2 * time.Second
	sharedTimeout    = 5 * time.Second
)

// sendLoop sends the reports in order until ctx ends.
func (sh *sharing) sendLoop(ctx context.Context) {
	backoff := sharedMinBackoff
	for {
		sh.mu.Lock()
		var op *sharedOp
		if len(sh.ops) > 0 {
			op = &sh.ops[0]
		}
		sh.mu.Unlock()
		if op == nil {
			select {
			case <-ctx.Done():
				return
			case <-sh.more:
				continue
			}
		}
		octx, cancel := context.WithTimeout(ctx, sharedTimeout)
		err := op.do(octx)
		cancel()
		if err != nil && !errors.Is(err, ErrSharedRefused) && ctx.Err() == nil {
			sh.s.log.Warn("shared router: report not sent; trying again", "report", op.what, "error", err, "in", backoff)
			sh.failed()
			t := sh.s.newTimer(backoff)
			select {
			case <-ctx.Done():
				t.done()
				return
			case <-t.Chan():
				t.done()
			}
			backoff = min(2*backoff, sharedMaxBackoff)
			continue
		}
		if err != nil && ctx.Err() == nil {
			sh.s.log.Debug("shared router: report refused as stale", "report", op.what, "error", err)
		}
		sh.answered()
		backoff = sharedMinBackoff
		sh.mu.Lock()
		sh.ops = sh.ops[1:]
		sh.mu.Unlock()
		sh.s.busy.Add(-1)
		sh.route() // what was reported may make work
		if ctx.Err() != nil {
			return
		}
	}
}

// routeLoop routes on a kick, an event or the last decision's wake,
// until ctx ends.
func (sh *sharing) routeLoop(ctx context.Context) {
	var wake *timer
	stopWake := func() {
		if wake != nil {
			wake.done()
			wake = nil
		}
	}
	defer stopWake()
	events := sh.api.Events()
	backoff := sharedMinBackoff
	for {
		var wakeC <-chan time.Time
		if wake != nil {
			wakeC = wake.Chan()
		}
		kicked := false
		select {
		case <-ctx.Done():
			return
		case <-sh.kick:
			kicked = true
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if ev.Kind == SharedResync && !sh.fallback.local.Load() {
				sh.reconcile(ctx) // after an outage: once routing is handed back
			}
			if !sh.event(ev) {
				continue // nothing to decide
			}
		case <-wakeC:
			stopWake()
		}
		if sh.fallback.reconcile.CompareAndSwap(true, false) {
			sh.reconcile(ctx) // routing handed back after an outage
		}
		var d SharedDecision
		var err error
		local := sh.fallback.local.Load()
		if local {
			err = sh.probe(ctx) // shared_fallback.go
		} else {
			rctx, cancel := context.WithTimeout(ctx, sharedTimeout)
			d, err = sh.api.Route(rctx)
			cancel()
		}
		if err != nil {
			if ctx.Err() != nil {
				if kicked {
					sh.s.busy.Add(-1)
				}
				return
			}
			if !local {
				sh.s.log.Warn("shared router: no decision; trying again", "error", err, "in", backoff)
			}
			sh.failed()
			stopWake()
			wake = sh.s.newTimer(backoff)
			backoff = min(2*backoff, sharedMaxBackoff)
		} else {
			sh.answered()
			backoff = sharedMinBackoff
		}
		if err == nil && !local {
			sh.apply(d)
			if !d.Wake.IsZero() {
				stopWake()
				wake = sh.s.newTimer(max(d.Wake.Sub(sh.s.clock.Now()), time.Millisecond))
			}
			sh.readCentre(ctx)
		}
		if kicked {
			sh.s.busy.Add(-1)
		}
	}
}

// centreEvery is how often the views of the whole centre are read again
// besides after each decision (another server's agent taking a break
// makes no decision).
const centreEvery = 2 * time.Second

// centreLoop reads the whole centre's views every centreEvery until ctx
// ends.
func (sh *sharing) centreLoop(ctx context.Context) {
	for {
		sh.readCentre(ctx)
		sh.readTotals(ctx)
		t := sh.s.clock.NewTimer(centreEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.Chan():
		}
	}
}

// readCentre reads the whole centre's views; the subscribers hear of a
// change.
func (sh *sharing) readCentre(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	c, err := sh.api.Centre(rctx)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			sh.s.log.Debug("shared router: the centre's views not read", "error", err)
		}
		return
	}
	sh.mu.Lock()
	same := maps.Equal(c.Queues, sh.centre.Queues) && maps.Equal(c.Agents, sh.centre.Agents)
	sh.centre = c
	sh.mu.Unlock()
	if !same {
		sh.s.publish()
	}
}

// whole makes a snapshot of this instance one of the whole centre: the
// queues' callers are every server's, and an agent signed in at another
// server has the state the router has for it (counted among its queues'
// staffed and ready agents). Today's answered and abandoned callers are
// the whole centre's too, from the records (wholeTotals).
func (sh *sharing) whole(sn *Snapshot) {
	sh.wholeTotals(sn)
	sh.mu.Lock()
	c := sh.centre
	sh.mu.Unlock()
	if c.Queues == nil {
		return
	}
	byName := map[string]*queue.QueueStatus{}
	for i := range sn.Queues {
		q := &sn.Queues[i]
		byName[q.Name] = q
		if w, ok := c.Queues[q.Name]; ok {
			q.Waiting, q.WaitingCallbacks, q.LongestWait = w.Waiting, w.Callbacks, w.LongestWait
		}
	}
	for i := range sn.Agents {
		a := &sn.Agents[i]
		r, ok := c.Agents[a.ID]
		if a.State != queue.LoggedOut || !ok || r.State == queue.LoggedOut || r.Home == sh.me {
			continue // signed in here (or nowhere): this server's own
		}
		a.State, a.Reason, a.Since, a.CallID, a.Queue = r.State, r.Reason, r.Since, r.CallID, r.Queue
		a.WrapUpEnds, a.NeedsDisposition = r.WrapUpEnds, r.Disposition
		for _, name := range a.Queues {
			if q := byName[name]; q != nil {
				q.LoggedIn++
				if r.State != queue.NotReady {
					q.Staffed++
				}
				if r.State == queue.Ready {
					q.Ready++
				}
			}
		}
	}
}

// apply carries out this instance's part of a decision.
func (sh *sharing) apply(d SharedDecision) {
	for _, o := range d.Offers {
		sh.offered(o)
	}
	for _, o := range d.RingTimeouts {
		sh.rangOut(o)
	}
}

// event takes one of the router's events; it says whether to route.
func (sh *sharing) event(ev SharedEvent) bool {
	o := ev.Offer
	c := sh.s.center
	sh.softEvent(ev) // shared_soft.go
	note := func(what string, err error) {
		if err != nil && !ignorable(err) {
			sh.s.log.Error("shared router: "+what, "call", o.CallID, "agent", o.Agent, "error", err)
		}
		sh.s.wake()
	}
	switch ev.Kind {
	case SharedWork:
		return true
	case SharedResync:
		sh.s.log.Warn("shared router: events were lost; routing again")
		return true
	case SharedOffered:
		sh.offered(o)
	case SharedRingTimeout:
		sh.rangOut(o)
	case SharedWithdrawn:
		sh.withdrawn(o)
	case SharedHold:
		_, err := c.Hold(o.CallID, o.Agent, o.Queue)
		if err != nil && !errors.Is(err, queue.ErrDuplicateCall) {
			sh.decline(o, err, true) // the agent is not free here (shared_decline.go)
			err = nil
		}
		note("holding an agent for another instance's call", err)
	case SharedHoldAnswered:
		note("the answer of a held agent", c.Answered(o.CallID, o.Agent))
	case SharedHoldNoAnswer:
		note("the no answer of a held agent", c.NoAnswer(o.CallID, o.Agent))
	case SharedHoldAbandoned:
		note("the abandon of a held agent's call", c.Abandon(o.CallID))
	case SharedHoldEnded:
		note("the end of a held agent's call", c.EndCall(o.CallID))
	case SharedHoldLost:
		note("a held agent's call lost with its instance", c.Lost(o.CallID))
	}
	return false
}

// offered hands an offer for one of this instance's callers to its
// Center and its session, as the Center's own offers go.
func (sh *sharing) offered(o SharedOffer) {
	c := sh.s.center
	routed := o                        // under the router's ID
	o.CallID = sh.centerCall(o.CallID) // a call-back's attempt
	if _, err := c.Position(o.CallID); errors.Is(err, queue.ErrUnknownCall) && sh.takeOnOffer(o.CallID) {
		o.CallID = sh.centerCall(o.CallID)
	}
	var qo queue.Offer
	var err error
	if o.Home == sh.me {
		qo, err = c.Assign(o.CallID, o.Agent)
	} else {
		qo, err = c.AssignRemote(o.CallID, queue.RemoteAgent{ID: o.Agent, Name: o.AgentName, Device: o.Device})
	}
	if err != nil {
		if errors.Is(err, queue.ErrUnknownCall) {
			return // it left: its abandon, queued, frees the agent
		}
		if sh.fallback.served(o.CallID) {
			// Offered here while the router was away (shared_fallback.go):
			// the router's offer is withdrawn, its agent not missed.
			sh.report("abandon "+o.CallID, func(ctx context.Context) error { return sh.api.Abandon(ctx, o.CallID) })
			return
		}
		if o.Home == sh.me && errors.Is(err, queue.ErrAgentNotReady) {
			sh.decline(routed, err, false) // its own agent, not free here (shared_decline.go)
			return
		}
		// The Center cannot take it (the agent's state here moved on):
		// the router gives the caller back its place.
		sh.s.log.Warn("shared router: an offer this instance cannot take; declined", "call", o.CallID, "agent", o.Agent, "error", err)
		sh.report("decline "+o.CallID, func(ctx context.Context) error { return sh.api.NoAnswer(ctx, o.CallID, o.Agent) })
		return
	}
	sh.s.apply(queue.Decision{Offers: []queue.Offer{qo}})
	sh.s.wake()
}

// rangOut: the router found an offer of one of this instance's callers
// rung out; the Center may have found it first.
func (sh *sharing) rangOut(o SharedOffer) {
	o.CallID = sh.centerCall(o.CallID)
	if err := sh.s.center.NoAnswer(o.CallID, o.Agent); err != nil && !ignorable(err) {
		sh.s.log.Error("shared router: a ring timeout", "call", o.CallID, "agent", o.Agent, "error", err)
	}
	if ses := sh.s.session(o.CallID); ses != nil {
		ses.put(ringTimeoutMsg{queue.Offer{CallID: o.CallID, Agent: o.Agent, Queue: o.Queue}})
	}
	sh.s.wake()
}

// withdrawn: the agent's home declined the offer or died while the agent
// rang; the caller waits on in its place (the router has put it back), the
// agent is not missed.
func (sh *sharing) withdrawn(o SharedOffer) {
	if id := sh.centerCall(o.CallID); id != o.CallID {
		sh.rangOut(o) // a call-back: it waits on too, as after a ring-out
		return
	}
	if err := sh.s.center.Withdraw(o.CallID, o.Agent); err != nil && !ignorable(err) {
		sh.s.log.Error("shared router: a withdrawn offer", "call", o.CallID, "agent", o.Agent, "error", err)
	}
	sh.rangOut(o)
}

// publishStates reports the agents' own state changes (the router makes
// those of calls itself: offers, answers, ring-outs, abandons, ends).
func (sh *sharing) publishStates(changes []queue.AgentStateChange) {
	for _, ch := range changes {
		agent := ch.Agent
		switch {
		case sh.unroutedBack(ch), sh.republishing(ch):
			// the router did not make it: published below
		case ch.From == queue.Reserved || ch.From == queue.OnCall || ch.State == queue.Reserved:
			continue // a call's
		case ch.State == queue.LoggedOut:
			sh.report("logout "+agent, func(ctx context.Context) error { return sh.api.Logout(ctx, agent) })
			continue
		case ch.From == queue.LoggedOut:
			// A login, or a restart putting the agent back where it was.
			sh.report("login "+agent, func(ctx context.Context) error { return sh.api.Login(ctx, agent) })
			if ch.State == queue.NotReady && ch.Reason == queue.ReasonLogin {
				continue
			}
		}
		if ch.State == queue.Ready || ch.State == queue.NotReady {
			sh.publishState(agent, ch.State, ch.Reason)
		}
	}
}

// publishState reports an agent's own state: ready, not ready for a
// reason, or logged out.
func (sh *sharing) publishState(agent string, st queue.AgentState, reason string) {
	switch st {
	case queue.Ready:
		sh.report("ready "+agent, func(ctx context.Context) error { return sh.api.SetReady(ctx, agent) })
	case queue.NotReady:
		sh.report("not ready "+agent, func(ctx context.Context) error { return sh.api.SetNotReady(ctx, agent, reason) })
	case queue.LoggedOut:
		sh.report("logout "+agent, func(ctx context.Context) error { return sh.api.Logout(ctx, agent) })
	}
}

// --- the sessions' reports --------------------------------------------------

// sharedJoin reports the session's caller queued (again) in its queue.
func (ses *session) sharedJoin() {
	sh := ses.s.shared
	if sh == nil || ses.cb != nil {
		return
	}
	v := ses.viewCopy()
	c := SharedCaller{CallID: ses.id, Queue: ses.queue, Priority: ses.priority, Arrived: ses.queueArrived,
		Skills: ses.skills, Number: ses.number, Hotline: v.Hotline, Language: ses.lang, Path: v.Path}
	sh.fallback.remember(c)
	sh.report("enqueue "+ses.id, func(ctx context.Context) error { return sh.api.Enqueue(ctx, c) })
}

// sharedLeave reports the caller gone from its queue without an agent.
func (ses *session) sharedLeave() {
	if sh := ses.s.shared; sh != nil && ses.cb == nil && ses.cbStep != "booked" { // booked: the row is the request's
		id := ses.id
		sh.fallback.forget(id)
		sh.report("abandon "+id, func(ctx context.Context) error { return sh.api.Abandon(ctx, id) })
	}
}

func (ses *session) sharedAnswered(agent string) {
	if id, ok := ses.sharedID(); ok { // a call-back's too
		sh := ses.s.shared
		sh.report("answered "+id, func(ctx context.Context) error { return sh.api.Answered(ctx, id, agent) })
	}
}

func (ses *session) sharedNoAnswer(agent string) {
	if id, ok := ses.sharedID(); ok { // a call-back's too
		sh := ses.s.shared
		if sh.requeue(id) {
			return // offered here while the router was away (shared_fallback.go)
		}
		sh.report("no answer "+id, func(ctx context.Context) error { return sh.api.NoAnswer(ctx, id, agent) })
	}
}

func (ses *session) sharedEnd() {
	if id, ok := ses.sharedID(); ok { // a call-back's too
		sh := ses.s.shared
		sh.fallback.forget(id)
		sh.report("end "+id, func(ctx context.Context) error { return sh.api.EndCall(ctx, id) })
		ses.sharedCallbackEnded()
	}
}

// checkShared refuses a shared configuration the service cannot carry: a
// Center routing by itself, or queues that offer call-backs with a router
// that cannot keep call-back requests (SharedCallbacks).
func checkShared(cfg Config) error {
	if cfg.Shared == nil {
		return nil
	}
	if !cfg.Center.SharedRouting() {
		return errors.New("acd: a shared router needs a Center with SharedRouting")
	}
	var errs []error
	for _, q := range cfg.Center.Queues() {
		qc, err := cfg.Center.Queue(q.Name)
		if err != nil {
			return err
		}
		if _, ok := cfg.Shared.(SharedCallbacks); !ok && (qc.CallbackAfter > 0 || qc.Overflow.Kind == queue.ActionCallbackOffer) {
			errs = append(errs, fmt.Errorf("%w: queue %q offers call-backs", ErrSharedUnsupported, q.Name))
		}
	}
	return errors.Join(errs...)
}
