package ivr_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// persistentQueues is a Queues that persists its callers, as the ACD
// does: a caller stays resumable from Enqueue until it leaves the queue,
// and a caller whose Enqueue ends with ivr.ErrStopping is kept, not hung
// up.
type persistentQueues struct {
	requests chan ivr.QueueRequest
	mu       sync.Mutex
	held     map[string]ivr.CallState
	stopped  []string // callers whose Enqueue ended with ErrStopping
}

func newPersistentQueues() *persistentQueues {
	return &persistentQueues{requests: make(chan ivr.QueueRequest, 8), held: map[string]ivr.CallState{}}
}

func (q *persistentQueues) Enqueue(ctx context.Context, req ivr.QueueRequest) (ivr.QueueResult, error) {
	arrived := req.Arrived
	if arrived.IsZero() {
		arrived = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) // the rig's clock at start
	}
	q.mu.Lock()
	q.held[req.CallID] = ivr.CallState{CallID: req.CallID, Caller: req.Caller, Hotline: req.Hotline, Language: req.Language,
		Flow: req.Flow, FlowVersion: req.FlowVersion, Node: req.Node, Path: req.Path, Vars: req.Vars,
		Arrived: arrived, QueueArrived: arrived}
	q.mu.Unlock()
	q.requests <- req
	<-ctx.Done()
	q.mu.Lock()
	defer q.mu.Unlock()
	if errors.Is(context.Cause(ctx), ivr.ErrStopping) {
		q.stopped = append(q.stopped, req.CallID)
	} else {
		delete(q.held, req.CallID)
	}
	return ivr.QueueResult{}, ctx.Err()
}

func (q *persistentQueues) Resumable(_ context.Context, id string) (ivr.CallState, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	st, ok := q.held[id]
	return st, ok, nil
}

// memHandoffs keeps handoffs in memory, as store.Handoffs does in
// PostgreSQL.
type memHandoffs struct {
	mu     sync.Mutex
	states map[string]ivr.CallState
	saves  int
}

func (h *memHandoffs) Save(_ context.Context, states []ivr.CallState) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.saves++
	for _, st := range states {
		h.states[st.CallID] = st
	}
	return nil
}

func (h *memHandoffs) Take(_ context.Context, id string) (ivr.CallState, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st, ok := h.states[id]
	delete(h.states, id)
	return st, ok, nil
}

// TestRestartResumesCalls: instance A drains with calls in the menu and
// in a queue; a call that arrives during the drain is answered; when the
// drain times out nobody is hung up, the IVR callers hear hold music, A
// writes no journey and saves the IVR calls' states. Instance B connects
// to the same Asterisk and resumes each call where it stood: the menu
// caller hears the resume apology and the menu again, the queued caller goes
// back to its queue with its place; each call gets exactly one journey,
// with its history from A.
func TestRestartResumesCalls(t *testing.T) {
	queues := newPersistentQueues()
	handoffs := &memHandoffs{states: map[string]ivr.CallState{}}
	configure := func(c *ivr.EngineConfig) { c.Queues, c.Handoffs = queues, handoffs }
	r := newRouteRigWith(t, configure)

	menu := r.dial("13900000001")
	r.heard(menu, sound("zh", "demo/main-menu"))
	queued := r.dial("13900000002")
	r.heard(queued, sound("zh", "demo/main-menu"))
	r.press(queued, "2")
	first := <-queues.requests
	if first.Flow != "routes" || first.FlowVersion != 1 || first.Node != "agent" || first.Resume {
		t.Errorf("queue request says flow %q v%d node %q resume %t, want routes v1 agent, not resumed",
			first.Flow, first.FlowVersion, first.Node, first.Resume)
	}

	drainCtx, timeout := context.WithCancel(r.ctx)
	drained := make(chan error, 1)
	go func() { drained <- r.engine.Drain(drainCtx) }()
	late := r.dial("13900000003") // arrives while draining: served, not ignored
	r.heard(late, sound("zh", "demo/main-menu"))
	timeout()
	if err := <-drained; !errors.Is(err, context.Canceled) {
		t.Fatalf("Drain: %v, want the drain's own timeout", err)
	}
	for _, p := range []*aritest.Party{menu, queued, late} {
		if p.Snapshot().HungUp {
			t.Fatalf("%s was hung up by the stopping instance", p.Name())
		}
	}
	for _, p := range []*aritest.Party{menu, late} {
		if h := p.Heard(); h[len(h)-1].Media != "moh:default" || h[len(h)-1].State != "playing" {
			t.Errorf("%s left in the IVR hears %+v, want hold music", p.Name(), h[len(h)-1])
		}
	}
	select {
	case j := <-r.journeys:
		t.Fatalf("the stopping instance wrote a journey for %s", j.CallID)
	default:
	}
	// The queued caller's place is the queues', but its journey so far is
	// handed over too: the next instance writes its one record whole.
	if handoffs.saves != 1 || len(handoffs.states) != 3 {
		t.Fatalf("handoffs saved %d times with %d states, want once with the 3 calls", handoffs.saves, len(handoffs.states))
	}
	if st := handoffs.states[queued.ID()]; st.Node != "agent" || st.Journey == nil {
		t.Errorf("queued caller's state: node %q journey %v", st.Node, st.Journey != nil)
	}
	if st := handoffs.states[menu.ID()]; st.Node != "main" || st.Journey == nil || st.Flow != "routes" {
		t.Errorf("menu caller's state: node %q flow %q journey %v", st.Node, st.Flow, st.Journey != nil)
	}
	if !slices.Equal(queues.stopped, []string{queued.ID()}) {
		t.Errorf("queues told to keep %v, want the queued caller", queues.stopped)
	}
	r.cut()

	// Instance B.
	r.restart(configure)
	r.heard(menu, sound("zh", "resume-sorry"))
	r.until(menu, "the menu again", func(sn aritest.Snapshot) bool {
		return sn.Heard[len(sn.Heard)-1].Media == sound("zh", "demo/main-menu")
	})
	again := <-queues.requests
	if again.CallID != queued.ID() || !again.Resume || again.Node != "agent" ||
		!again.Arrived.Equal(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("resumed queue request %+v, want the queued caller resumed at agent with its place", again)
	}
	r.heard(late, sound("zh", "resume-sorry"))
	for _, p := range []*aritest.Party{menu, queued, late} {
		_ = p.Hangup()
	}
	got := map[string]*ivr.Journey{}
	for range 3 {
		j := r.journey()
		if got[j.CallID] != nil {
			t.Fatalf("two journeys for %s", j.CallID)
		}
		got[j.CallID] = j
	}
	j := got[menu.ID()]
	if j == nil {
		t.Fatal("no journey for the menu caller")
	}
	var kinds []string
	for _, e := range j.Events {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Contains(kinds, ivr.EventArrived) || !slices.Contains(kinds, ivr.EventHandoff) || !slices.Contains(kinds, ivr.EventResumed) {
		t.Errorf("menu caller's journey %v, want its arrival, the handoff and the resumption", kinds)
	}
	if !j.Arrived.Equal(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("menu caller arrived %v by its journey, want its first arrival", j.Arrived)
	}
	if j.Outcome != ivr.OutcomeAbandoned {
		t.Errorf("menu caller's outcome %q, want abandoned", j.Outcome)
	}
	// The queued caller's record holds its IVR part too (before: only
	// what followed its resumption).
	kinds = nil
	for _, e := range got[queued.ID()].Events {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Contains(kinds, ivr.EventArrived) || !slices.Contains(kinds, ivr.EventKey) || !slices.Contains(kinds, ivr.EventResumed) {
		t.Errorf("queued caller's journey %v, want its arrival, its key and the resumption", kinds)
	}
	select {
	case extra := <-r.journeys:
		t.Errorf("an extra journey for %s", extra.CallID)
	default:
	}
}

// TestRestartWithoutStateStartsAgainWithApology: with no handoff store
// (or a crash that saved nothing), the next instance finds the caller in
// the application and starts its flow again after a short apology: never
// silence, and one journey.
func TestRestartWithoutStateStartsAgainWithApology(t *testing.T) {
	r := newRig(t, "http://127.0.0.1:1", nil)
	p := r.dial("13800138000")
	r.heard(p, sound("zh", "demo/main-menu"))
	ctx, timeout := context.WithCancel(r.ctx)
	timeout()
	if err := r.engine.Drain(ctx); err == nil {
		t.Fatal("a drain that timed out with a call up returned nil")
	}
	r.cut()
	r.restart(nil)
	r.heard(p, sound("zh", "resume-sorry"))
	sn := r.until(p, "the flow again", func(sn aritest.Snapshot) bool {
		return sn.Heard[len(sn.Heard)-1].Media == sound("zh", "demo/welcome")
	})
	if n := len(sn.Heard); sn.Heard[n-2].Media != sound("zh", "resume-sorry") {
		t.Errorf("heard %v, want the apology right before the welcome", sn.Heard[n-2:])
	}
	for _, h := range sn.Heard {
		if h.Media == "moh:default" && h.State == "playing" {
			t.Error("the hold music of the stopped instance still plays under the flow")
		}
	}
	_ = p.Hangup()
	j := r.journey()
	if j.CallID != p.ID() || j.Caller != "13800138000" || j.Hotline != "4008001234" || j.Flow != "test-hotline" {
		t.Errorf("journey of the adopted call: %+v", j)
	}
	select {
	case extra := <-r.journeys:
		t.Errorf("a second journey for %s", extra.CallID)
	default:
	}
}
