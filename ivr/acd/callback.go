package acd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/queue"
)

// CallbackRecord is a call-back request as the store keeps it.
type CallbackRecord struct {
	ID          string // the request's ID: "cb-" and the caller's call ID
	CallID      string // the call it was booked from
	Queue       string
	Priority    int
	Skills      []string
	Number      string
	Arrived     time.Time // the original arrival: the place it keeps
	Attempts    int       // customer dials made so far
	MaxAttempts int
	NotBefore   time.Time // no dial before
	Instance    string    // the instance that claimed (dialled) the latest attempt
}

// Errors of a CallbackStore.
var (
	// ErrCallbackExists: a request with this ID was already made.
	ErrCallbackExists = errors.New("the call-back request already exists")
	// ErrCallbackNotPending: the request is being dialled elsewhere, or it
	// was connected, cancelled or given up: it must not be dialled.
	ErrCallbackNotPending = errors.New("the call-back request is not pending")
)

// CallbackStore keeps call-back requests so that they survive a restart
// and are dialled once per attempt even with several instances: Claim is
// the one gate before a customer is dialled.
type CallbackStore interface {
	Add(ctx context.Context, rec CallbackRecord) error
	// Claim marks a pending request as being dialled by instance and
	// returns the attempt's number; ErrCallbackNotPending otherwise.
	Claim(ctx context.Context, id, instance string) (attempt int, err error)
	Connected(ctx context.Context, id string) error
	Cancel(ctx context.Context, id string) error
	// Failed records a dial that did not reach the customer: the request
	// is pending again from retryAt while attempts remain (retry true),
	// else it is given up.
	Failed(ctx context.Context, id, reason string, retryAt time.Time) (retry bool, err error)
	// Pending lists the requests to queue again, by priority and arrival.
	Pending(ctx context.Context) ([]CallbackRecord, error)
	// Recover makes the requests instance left mid-dial (it stopped)
	// pending again.
	Recover(ctx context.Context, instance string) (int, error)
}

// centerID is the center's ID for a request's attempt: the center spends
// an ID once it is answered, and a retry is a new attempt of the same
// request.
func centerID(req string, attempt int) string { return req + "/" + strconv.Itoa(attempt) }

func splitCenterID(id string) (req string, attempt int) {
	i := strings.LastIndexByte(id, '/')
	if i < 0 {
		return id, 1
	}
	n, err := strconv.Atoi(id[i+1:])
	if err != nil {
		return id, 1
	}
	return id[:i], n
}

// restoreCallbacks hands the store's pending requests to the center with
// their original arrival times.
func (s *Service) restoreCallbacks(ctx context.Context) error {
	if n, err := s.cfg.Callbacks.Recover(ctx, s.cfg.Instance); err != nil {
		return err
	} else if n > 0 {
		s.log.Warn("call-backs were being dialled when this instance stopped; they are pending again", "requests", n)
	}
	recs, err := s.cfg.Callbacks.Pending(ctx)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		s.scheduleCallback(ctx, rec)
	}
	if len(recs) > 0 {
		s.log.Info("pending call-backs restored", "requests", len(recs))
	}
	return nil
}

// scheduleCallback queues the request's next attempt, at once or when
// its NotBefore comes.
func (s *Service) scheduleCallback(ctx context.Context, rec CallbackRecord) {
	add := func() {
		_, err := s.center.AddCallback(queue.Callback{
			ID: centerID(rec.ID, rec.Attempts+1), Queue: rec.Queue, Priority: rec.Priority,
			Skills: rec.Skills, Number: rec.Number, Arrived: rec.Arrived,
		})
		if err != nil {
			s.log.Error("queueing a call-back", "request", rec.ID, "error", err)
		} else {
			s.shared.callbackQueued(rec, centerID(rec.ID, rec.Attempts+1))
		}
		s.wake()
	}
	wait := rec.NotBefore.Sub(s.clock.Now())
	if wait <= 0 {
		add()
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := s.newTimer(wait)
		defer t.done()
		select {
		case <-t.Chan():
			add()
		case <-ctx.Done():
			// The store keeps it pending: the next start queues it.
		}
	}()
}

// --- a live caller books a call-back ---------------------------------------

// key is a key the waiting caller pressed: the call-back dialogue.
func (ses *session) key(ctx context.Context, k string) {
	if ses.phase != waiting {
		return
	}
	switch ses.cbStep {
	case "":
		if k != "1" || !ses.cbOffered {
			return
		}
		ses.stopTimer()
		ses.stopPlaying(ctx)
		ses.music(ctx, false)
		if ses.number == "" {
			ses.askNumber(ctx)
			return
		}
		ses.cbStep = "confirm"
		media := []string{sound(ses.lang, "queue/callback-number")}
		ses.play(ctx, ses.caller, "callback-ask", media...)
	case "confirm":
		ses.stopTimer()
		ses.stopPlaying(ctx, "callback-ask")
		switch k {
		case "1":
			ses.book(ctx, ses.number)
		case "2":
			ses.askNumber(ctx)
		default:
			ses.callbackGiveUp(ctx)
		}
	case "enter":
		ses.stopPlaying(ctx, "callback-ask")
		switch {
		case k == "#":
			ses.stopTimer()
			if n := len(ses.cbDigits); n < 5 || n > 20 {
				ses.callbackGiveUp(ctx)
				return
			}
			ses.book(ctx, ses.cbDigits)
		case k >= "0" && k <= "9" && len(k) == 1:
			ses.cbDigits += k
			ses.arm(ses.s.cfg.KeyTimeout, "callback-key")
		default:
			ses.stopTimer()
			ses.callbackGiveUp(ctx)
		}
	}
}

func (ses *session) askNumber(ctx context.Context) {
	ses.cbStep, ses.cbDigits = "enter", ""
	ses.play(ctx, ses.caller, "callback-ask", sound(ses.lang, "queue/callback-enter"))
}

// callbackGiveUp ends a dialogue that got no valid answer: back to the
// music, or (the queue would not take the caller) out by the flow.
func (ses *session) callbackGiveUp(ctx context.Context) {
	ses.cbStep, ses.cbDigits = "", ""
	ses.stopPlaying(ctx)
	if ses.cbNotIn {
		ses.result.Outcome = ivr.QueueOverflow
		ses.phase = done
		return
	}
	ses.music(ctx, true)
	ses.armAnnouncement()
}

// book turns the waiting caller into a call-back that keeps its place:
// stored first, so that a crash after the caller hung up loses nothing,
// then handed to the center.
func (ses *session) book(ctx context.Context, number string) {
	s := ses.s
	now := s.clock.Now()
	arrived := now
	if pl, err := s.center.Position(ses.id); err == nil {
		arrived = now.Add(-pl.Waited)
	}
	rec := CallbackRecord{
		ID: "cb-" + ses.id, CallID: ses.id, Queue: ses.queue, Priority: ses.priority, Skills: ses.skills,
		Number: number, Arrived: arrived, MaxAttempts: s.cfg.CallbackAttempts,
	}
	if err := s.cfg.Callbacks.Add(ctx, rec); err != nil {
		ses.log.Error("storing the call-back request", "error", err)
		ses.callbackGiveUp(ctx)
		return
	}
	var err error
	if ses.cbNotIn {
		_, err = s.center.AddCallback(queue.Callback{ID: centerID(rec.ID, 1), Queue: rec.Queue,
			Priority: rec.Priority, Skills: rec.Skills, Number: number, Arrived: arrived})
	} else {
		err = s.center.RequestCallback(ses.id, centerID(rec.ID, 1), number)
	}
	if err != nil {
		// An agent is ringing for this caller right now: it stays.
		ses.log.Info("call-back not booked", "error", err)
		if cerr := s.cfg.Callbacks.Cancel(context.WithoutCancel(ctx), rec.ID); cerr != nil {
			ses.log.Error("cancelling the call-back request", "error", cerr)
		}
		ses.callbackGiveUp(ctx)
		return
	}
	ses.sharedBooked(rec, centerID(rec.ID, 1))
	ses.log.Info("call-back booked", "request", rec.ID)
	ses.cbStep = "booked"
	s.wake()
	ses.play(ctx, ses.caller, "callback-booked", sound(ses.lang, "queue/callback-booked"))
}

// --- dialling a call-back --------------------------------------------------

// callbackState is a call-back session's own part.
type callbackState struct {
	req      string // the request's ID in the store (an outbound call's ID)
	customer string // the customer's channel, once dialled
	claimed  bool
	retry    bool           // the attempt failed and the request is pending again (shared_callback.go)
	out      *outboundState // an agent's outbound call (outbound_dial.go): no request in the store
}

// startCallback runs a call-back the center offered to an agent: ring
// the agent first, then dial the customer.
func (s *Service) startCallback(o queue.Offer) {
	req, _ := splitCenterID(o.CallID)
	ses := s.newSession(o.CallID, CallView{
		CallID: o.CallID, Queue: o.Queue, Caller: o.Number, Language: s.cfg.CallbackLanguage, Callback: true,
		Arrived: s.clock.Now().Add(-o.Waited),
	})
	ses.lang, ses.cb = s.cfg.CallbackLanguage, &callbackState{req: req}
	s.runDialling(ses, o)
}

// runDialling runs a session the service starts itself (a call-back, an
// agent's outbound call) under Run's context: it rings o's agent, then
// runs its loop.
func (s *Service) runDialling(ses *session, o queue.Offer) {
	s.mu.Lock()
	s.sessions[ses.id] = ses
	ctx := s.runCtx
	s.mu.Unlock()
	s.wg.Add(1)
	s.busy.Add(1) // until the agent rings
	go func() {
		defer s.wg.Done()
		defer ses.close()
		defer func() {
			if r := recover(); r != nil {
				ses.log.Error("dialling session panicked", "panic", r)
			}
		}()
		ses.ring(ctx, o)
		s.busy.Add(-1)
		_, _ = ses.loop(ctx)
	}()
}

// callbackAgentAnswered: the agent took the call-back; claim the request
// (the one gate against dialling a customer twice) and dial.
func (ses *session) callbackAgentAnswered(ctx context.Context) {
	s := ses.s
	l := ses.leg
	attempt := 1
	out := ses.cb.out
	if out == nil {
		var err error
		attempt, err = s.cfg.Callbacks.Claim(ctx, ses.cb.req, s.cfg.Instance)
		if err != nil {
			ses.log.Warn("call-back not dialled", "request", ses.cb.req, "error", err)
			ses.dropLeg(ctx)
			ses.endWithAgent(ctx, l, "system")
			_ = s.center.SetReady(l.offer.Agent) // the agent talked to nobody
			ses.phase = done
			return
		}
		ses.cb.claimed = true
	}
	ses.phase = dialing
	ses.showPhase(CallDialing)
	var media []string
	if out != nil {
		// The agent's own call: the customer's channel is the call, and
		// the agent knows whom it calls (hold music while it rings).
		ses.cb.customer = ses.id
		out.dialled = true
	} else {
		ses.cb.customer = s.newID()
		media = append([]string{sound(s.cfg.AgentLanguage, "agent/callback")}, s.cfg.Whisper(s.cfg.AgentLanguage, l.offer.Queue, nil)...)
	}
	s.ownChannel(ses.cb.customer, ses)
	ses.play(ctx, l.channel, "callback-whisper", media...)
	endpoint := fmt.Sprintf(s.cfg.CustomerEndpoint, l.offer.Number)
	ses.log.Info("dialling the customer", "request", ses.cb.req, "attempt", attempt, "endpoint", endpoint)
	if err := s.pbx.Originate(ctx, ses.cb.customer, endpoint, s.cfg.CallerID, s.cfg.CallbackRingTimeout, "customer"); err != nil {
		ses.customerGone(ctx, 0, err.Error())
	}
}

// customerAnswered: the customer picked up; they hear who is calling and
// the agent's ID, then meet the agent.
func (ses *session) customerAnswered(ctx context.Context) {
	s := ses.s
	lead := []string{sound(ses.lang, "queue/callback-hello")}
	if out := ses.cb.out; out != nil {
		out.answered = s.clock.Now()
		lead = nil // the agent greets: the customer hears the agent's ID only
	} else if err := s.cfg.Callbacks.Connected(ctx, ses.cb.req); err != nil {
		ses.log.Error("recording the call-back as connected", "error", err)
	}
	ses.caller = ses.cb.customer
	ses.moh = false
	l := ses.leg
	if l == nil {
		_ = s.pbx.Hangup(ctx, ses.caller, "normal")
		return
	}
	_ = s.pbx.StopMOH(ctx, l.channel)
	ses.stopPlaying(ctx, "callback-whisper")
	ses.startRecording(ctx, l)
	ses.connect(ctx, "callback-hello", lead...)
}

// customerGone: the customer's channel ended, unanswered (the attempt
// failed: retried by policy) or after the conversation.
func (ses *session) customerGone(ctx context.Context, cause int, why string) {
	s := ses.s
	answered := ses.caller != ""
	s.disown(ses.cb.customer)
	ses.cb.customer = ""
	l := ses.leg
	if answered {
		if l != nil {
			ses.dropLeg(ctx)
			ses.endWithAgent(ctx, l, "caller")
		}
		ses.phase = done
		ses.outboundOver(OutboundTalked)
		return
	}
	if ses.cb.out != nil {
		ses.log.Info("the customer was not reached", "cause", cause, "why", why)
		ses.outboundNotReached(ctx, l, outboundOutcome(cause))
		return
	}
	now := s.clock.Now()
	retry, err := s.cfg.Callbacks.Failed(ctx, ses.cb.req, fmt.Sprintf("no answer (cause %d: %s)", cause, why), now.Add(s.cfg.CallbackRetryDelay))
	if err != nil {
		ses.log.Error("recording the failed call-back", "error", err)
	}
	ses.log.Info("customer did not answer the call-back", "request", ses.cb.req, "cause", cause, "retry", retry)
	ses.cb.retry = retry
	if l != nil {
		ses.dropLeg(ctx)
		ses.endWithAgent(ctx, l, "system")
		_ = s.center.SetReady(l.offer.Agent)
	}
	if retry {
		recs, err := s.cfg.Callbacks.Pending(ctx)
		if err == nil {
			for _, rec := range recs {
				if rec.ID == ses.cb.req {
					s.scheduleCallback(s.runCtx, rec)
				}
			}
		}
	}
	ses.phase = done
}

// callbackInterrupted ends a call-back session when the service stops:
// its channels are hung up, and a request being dialled goes back to
// pending in the store, so the next start (or another instance) dials it
// again; one not yet claimed never left pending.
func (ses *session) callbackInterrupted(ctx context.Context) {
	s := ses.s
	ses.log.Warn("service stopping: call-back interrupted", "request", ses.cb.req, "connected", ses.caller != "")
	if ses.cb.out != nil && ses.caller == "" {
		// An outbound call not connected yet: the agent back as it was.
		if l := ses.leg; l != nil && l.answered.IsZero() {
			ses.dropLeg(ctx)
			if err := s.center.Abandon(ses.id); err != nil && !ignorable(err) {
				ses.log.Error("withdrawing the outbound call", "error", err)
			}
			s.wake()
			ses.outboundOver(OutboundInterrupted)
			return
		}
		ses.outboundNotReached(ctx, ses.leg, OutboundInterrupted)
		return
	}
	if ses.cb.customer != "" && ses.caller == "" {
		_ = s.pbx.Hangup(ctx, ses.cb.customer, "normal")
	}
	ses.stopRecording(ctx, "system")
	ses.hangupCustomer(ctx)
	l := ses.leg
	ses.dropLeg(ctx)
	ses.endSupervisions(ctx)
	ses.tearDownBridge(ctx)
	if l != nil && !l.answered.IsZero() {
		if err := s.center.EndCall(ses.id); err != nil && !ignorable(err) {
			ses.log.Error("ending the call", "error", err)
		}
		ses.record(l, "system")
	}
	if ses.cb.claimed && ses.caller == "" {
		if _, err := s.cfg.Callbacks.Failed(ctx, ses.cb.req, "interrupted: the service stopped", s.clock.Now()); err != nil {
			ses.log.Error("returning the call-back to pending", "error", err)
		}
	}
	ses.phase = done
	ses.outboundOver(OutboundTalked)
}

func (ses *session) hangupCustomer(ctx context.Context) {
	if ses.cb == nil || ses.caller == "" {
		return
	}
	if err := ses.s.pbx.Hangup(ctx, ses.caller, "normal"); err != nil && ctx.Err() == nil {
		ses.log.Debug("hanging up the customer", "error", err)
	}
	ses.s.disown(ses.caller)
}

// --- in memory -------------------------------------------------------------

// MemoryCallbacks is a CallbackStore for a single instance without a
// database: requests do not survive a restart.
type MemoryCallbacks struct {
	clock clockwork.Clock
	mu    sync.Mutex
	recs  map[string]*memCallback
}

type memCallback struct {
	rec   CallbackRecord
	state string
}

// NewMemoryCallbacks returns an empty in-memory store.
func NewMemoryCallbacks(clock clockwork.Clock) *MemoryCallbacks {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &MemoryCallbacks{clock: clock, recs: map[string]*memCallback{}}
}

func (m *MemoryCallbacks) Add(_ context.Context, rec CallbackRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.recs[rec.ID]; dup {
		return fmt.Errorf("%w: %s", ErrCallbackExists, rec.ID)
	}
	rec.Skills = slices.Clone(rec.Skills)
	m.recs[rec.ID] = &memCallback{rec: rec, state: "pending"}
	return nil
}

func (m *MemoryCallbacks) Claim(_ context.Context, id, instance string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[id]
	if !ok || r.state != "pending" || r.rec.NotBefore.After(m.clock.Now()) {
		return 0, fmt.Errorf("%w: %s", ErrCallbackNotPending, id)
	}
	r.state, r.rec.Instance = "dialing", instance
	r.rec.Attempts++
	return r.rec.Attempts, nil
}

func (m *MemoryCallbacks) set(id, from, to string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[id]
	if !ok || !strings.Contains(from, r.state) {
		return fmt.Errorf("%w: %s", ErrCallbackNotPending, id)
	}
	r.state = to
	return nil
}

func (m *MemoryCallbacks) Connected(_ context.Context, id string) error {
	return m.set(id, "dialing", "connected")
}

func (m *MemoryCallbacks) Cancel(_ context.Context, id string) error {
	return m.set(id, "pending dialing", "cancelled")
}

func (m *MemoryCallbacks) Failed(_ context.Context, id, _ string, retryAt time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.recs[id]
	if !ok || r.state != "dialing" {
		return false, fmt.Errorf("%w: %s", ErrCallbackNotPending, id)
	}
	if r.rec.Attempts >= r.rec.MaxAttempts {
		r.state = "failed"
		return false, nil
	}
	r.state, r.rec.NotBefore = "pending", retryAt
	return true, nil
}

func (m *MemoryCallbacks) Pending(context.Context) ([]CallbackRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []CallbackRecord
	for _, r := range m.recs {
		if r.state == "pending" {
			out = append(out, r.rec)
		}
	}
	slices.SortFunc(out, func(a, b CallbackRecord) int {
		if a.Priority != b.Priority {
			return b.Priority - a.Priority
		}
		return a.Arrived.Compare(b.Arrived)
	})
	return out, nil
}

func (m *MemoryCallbacks) Recover(context.Context, string) (int, error) { return 0, nil }

// State is a request's state ("pending", "dialing", "connected", "failed",
// "cancelled"), for tests and diagnostics.
func (m *MemoryCallbacks) State(id string) (string, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.recs[id]; ok {
		return r.state, r.rec.Attempts
	}
	return "", 0
}
