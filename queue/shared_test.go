package queue_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/queue"
)

// newSharedEnv is newEnv for a center with shared routing, on clk (two
// instances of one centre share their clock in these tests).
func newSharedEnv(t *testing.T, clk *clockwork.FakeClock, queues ...queue.QueueConfig) *env {
	t.Helper()
	c, err := queue.New(queue.Config{Clock: clk, Queues: queues, SharedRouting: true})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{t: t, clk: clk, c: c}
}

// states renders the drained state changes of agent id as
// "from>to:call".
func states(c *queue.Center, id string) []string {
	changes, _ := c.DrainStateChanges()
	var out []string
	for _, ch := range changes {
		if ch.Agent == id {
			out = append(out, ch.From.String()+">"+ch.State.String()+":"+ch.CallID)
		}
	}
	return out
}

// TestSharedNextMakesNoOffers: with shared routing the center offers
// nobody by itself; an offer the router makes (Assign) rings and rings out
// as one of Next's would, and the caller goes back to its place.
func TestSharedNextMakesNoOffers(t *testing.T) {
	e := newSharedEnv(t, clockwork.NewFakeClockAt(t0), queue.QueueConfig{Name: "service", RingTimeout: 15 * time.Second})
	e.agent("1001", nil)
	e.ready("1001")
	e.enqueue("c1", "service", 0)
	e.advance(time.Second)
	e.enqueue("c2", "service", 0)
	if d := e.next(); len(d.Offers) != 0 {
		t.Fatalf("offers %v with shared routing", pairs(d.Offers))
	}
	o, err := e.c.Assign("c1", "1001")
	e.must(err)
	if o.CallID != "c1" || o.Agent != "1001" || o.Device != "PJSIP/1001" || o.Attempt != 1 || !o.Deadline.Equal(t0.Add(16*time.Second)) {
		t.Fatalf("offer %+v", o)
	}
	if st, _ := e.state("1001"); st != queue.Reserved {
		t.Fatalf("agent 1001 is %s, want ringing", st)
	}
	e.advance(15 * time.Second)
	d := e.next()
	if got := pairs(d.RingTimeouts); !slices.Equal(got, []string{"c1>1001"}) {
		t.Fatalf("ring timeouts %v, want c1>1001", got)
	}
	if st, reason := e.state("1001"); st != queue.NotReady || reason != queue.ReasonMissed {
		t.Fatalf("agent 1001 is %s (%s) after ringing out, want not ready (missed)", st, reason)
	}
	if p, err := e.c.Position("c1"); err != nil || p.Position != 1 {
		t.Fatalf("c1 at %+v, %v after its offer rang out; want first again", p, err)
	}
	qs, _ := e.c.QueueStatus("service")
	if qs.Missed != 1 || qs.Waiting != 2 {
		t.Errorf("queue status %+v, want 1 missed and 2 waiting", qs)
	}
}

// TestSharedAssignRefuses: the router's offer is checked against what
// this center knows, and refused saying why.
func TestSharedAssignRefuses(t *testing.T) {
	e := newSharedEnv(t, clockwork.NewFakeClockAt(t0),
		queue.QueueConfig{Name: "service"}, queue.QueueConfig{Name: "vip", Skills: []string{"vip"}})
	e.agent("1001", nil)
	e.agent("1002", nil)
	e.ready("1001")
	e.enqueue("c1", "service", 0)
	e.enqueue("v1", "vip", 0)
	for _, tt := range []struct {
		call, agent string
		want        error
	}{
		{"c1", "1002", queue.ErrAgentNotReady}, // logged out
		{"v1", "1001", queue.ErrNotServing},    // no vip skill
		{"c9", "1001", queue.ErrUnknownCall},
		{"c1", "9999", queue.ErrUnknownAgent},
	} {
		if _, err := e.c.Assign(tt.call, tt.agent); !errors.Is(err, tt.want) {
			t.Errorf("Assign(%s, %s): %v, want %v", tt.call, tt.agent, err, tt.want)
		}
	}
	_, err := e.c.Assign("c1", "1001")
	e.must(err)
	if _, err := e.c.Assign("c1", "1001"); !errors.Is(err, queue.ErrCallState) {
		t.Errorf("assigning a ringing call again: %v, want ErrCallState", err)
	}
	if _, err := e.c.AssignRemote("c1", queue.RemoteAgent{ID: "2001"}); !errors.Is(err, queue.ErrCallState) {
		t.Errorf("assigning a ringing call to a remote agent: %v, want ErrCallState", err)
	}
	if _, err := e.c.AssignRemote("v1", queue.RemoteAgent{ID: "1001"}); !errors.Is(err, queue.ErrInvalidAgent) {
		t.Errorf("assigning to a remote agent who is signed in here: %v, want ErrInvalidAgent", err)
	}
	// 1002 is known here but logged out: another instance's to offer.
	if o, err := e.c.AssignRemote("v1", queue.RemoteAgent{ID: "1002", Device: "PJSIP/1002"}); err != nil || o.Agent != "1002" {
		t.Errorf("assigning to a remote agent this center knows, logged out here: %+v, %v", o, err)
	}
	e.check()
	if _, err := e.c.AssignRemote("v1", queue.RemoteAgent{}); !errors.Is(err, queue.ErrInvalidAgent) {
		t.Errorf("assigning to a remote agent without an ID: %v, want ErrInvalidAgent", err)
	}
}

// instances are the two centers of one call across instances: a, where
// the caller waits, and b, the agent's home.
type instances struct{ a, b *env }

func newInstances(t *testing.T, q queue.QueueConfig) instances {
	clk := clockwork.NewFakeClockAt(t0)
	in := instances{newSharedEnv(t, clk, q), newSharedEnv(t, clk, q)}
	in.b.agent("1001", nil)
	in.b.ready("1001")
	states(in.b.c, "1001") // the login's changes
	in.a.enqueue("c1", q.Name, 0)
	return in
}

// offer is the router's decision, as both instances take it.
func (in instances) offer(t *testing.T) {
	t.Helper()
	o, err := in.a.c.AssignRemote("c1", queue.RemoteAgent{ID: "1001", Name: "王芳", Device: "PJSIP/1001@kamailio"})
	in.a.must(err)
	if o.Agent != "1001" || o.AgentName != "王芳" || o.Device != "PJSIP/1001@kamailio" || o.CallID != "c1" {
		t.Fatalf("remote offer %+v", o)
	}
	h, err := in.b.c.Hold("c1", "1001", "service")
	in.b.must(err)
	if h.CallID != "c1" || h.Agent != "1001" || h.Queue != "service" {
		t.Fatalf("hold %+v", h)
	}
}

// TestSharedRemoteCall: a caller of instance a talks with an agent of
// instance b. a counts the call in the queue's totals and keeps no state
// of the agent; b keeps the agent's states (and logs them, with the call)
// and counts nothing in the queue's totals.
func TestSharedRemoteCall(t *testing.T) {
	in := newInstances(t, queue.QueueConfig{Name: "service", WrapUp: 30 * time.Second, ServiceLevel: 20 * time.Second})
	in.a.advance(5 * time.Second)
	in.offer(t)
	if st, _ := in.b.state("1001"); st != queue.Reserved {
		t.Fatalf("agent 1001 is %s at its home, want ringing", st)
	}
	if _, err := in.a.c.Agent("1001"); !errors.Is(err, queue.ErrUnknownAgent) {
		t.Errorf("the caller's instance knows the remote agent: %v", err)
	}
	if d := in.b.next(); len(d.Offers)+len(d.RingTimeouts) != 0 {
		t.Errorf("the home decided %+v about another instance's call", d)
	}
	in.a.must(in.a.c.Answered("c1", "1001"))
	in.b.must(in.b.c.Answered("c1", "1001"))
	if st, _ := in.b.state("1001"); st != queue.OnCall {
		t.Fatalf("agent 1001 is %s at its home, want on call", st)
	}
	if id, _, err := in.b.c.Dispose("1001"); err != nil || id != "c1" {
		t.Errorf("disposition at the home: %q, %v", id, err)
	}
	if _, err := in.b.c.Transfer("c1", "service"); !errors.Is(err, queue.ErrForeignCall) {
		t.Errorf("the home transferring another instance's call: %v, want ErrForeignCall", err)
	}
	if _, err := in.b.c.TransferToAgent("c1", "1001"); !errors.Is(err, queue.ErrForeignCall) {
		t.Errorf("the home transferring another instance's call to an agent: %v, want ErrForeignCall", err)
	}
	in.a.advance(3 * time.Minute)
	in.a.must(in.a.c.EndCall("c1"))
	in.b.must(in.b.c.EndCall("c1"))
	if st, _ := in.b.state("1001"); st != queue.WrapUp {
		t.Fatalf("agent 1001 is %s after the call, want wrap-up", st)
	}
	in.a.advance(30 * time.Second)
	in.a.next()
	in.b.next()
	if st, _ := in.b.state("1001"); st != queue.Ready {
		t.Fatalf("agent 1001 is %s after its wrap-up, want ready", st)
	}
	want := []string{"ready>ringing:c1", "ringing>on call:c1", "on call>wrap-up:c1", "wrap-up>ready:c1"}
	if got := states(in.b.c, "1001"); !slices.Equal(got, want) {
		t.Errorf("the home logged %v, want %v", got, want)
	}
	if got := states(in.a.c, "1001"); len(got) != 0 {
		t.Errorf("the caller's instance logged %v for the remote agent", got)
	}
	qa, _ := in.a.c.QueueStatus("service")
	if qa.Answered != 1 || qa.AnsweredInSL != 1 || qa.AHT != 3*time.Minute+30*time.Second {
		t.Errorf("the caller's instance counts %+v, want 1 answered within the SL, AHT 3m30s", qa)
	}
	qb, _ := in.b.c.QueueStatus("service")
	if qb.Answered != 0 || qb.Missed != 0 || qb.Abandoned != 0 {
		t.Errorf("the home counts %+v of another instance's call", qb)
	}
	if st, _ := in.b.c.Agent("1001"); st.Answered != 1 {
		t.Errorf("agent 1001 answered %d calls, want 1", st.Answered)
	}
}

// TestSharedRemoteRingsOut: the caller's instance times the ring; the
// caller goes back to its place there, and the home, told, makes the agent
// not ready (missed) and forgets the call.
func TestSharedRemoteRingsOut(t *testing.T) {
	in := newInstances(t, queue.QueueConfig{Name: "service", RingTimeout: 20 * time.Second})
	in.offer(t)
	in.a.advance(20 * time.Second)
	if got := pairs(in.a.next().RingTimeouts); !slices.Equal(got, []string{"c1>1001"}) {
		t.Fatalf("ring timeouts %v at the caller's instance, want c1>1001", got)
	}
	if d := in.b.next(); len(d.RingTimeouts) != 0 {
		t.Fatalf("the home timed the ring out itself: %v", pairs(d.RingTimeouts))
	}
	in.b.must(in.b.c.NoAnswer("c1", "1001"))
	if st, reason := in.b.state("1001"); st != queue.NotReady || reason != queue.ReasonMissed {
		t.Fatalf("agent 1001 is %s (%s), want not ready (missed)", st, reason)
	}
	if _, err := in.b.c.Position("c1"); !errors.Is(err, queue.ErrUnknownCall) {
		t.Errorf("the home keeps another instance's caller after the ring out: %v", err)
	}
	if p, err := in.a.c.Position("c1"); err != nil || p.Position != 1 {
		t.Errorf("c1 at %+v, %v at its instance; want first again", p, err)
	}
	qa, _ := in.a.c.QueueStatus("service")
	qb, _ := in.b.c.QueueStatus("service")
	if qa.Missed != 1 || qb.Missed != 0 {
		t.Errorf("missed: %d at the caller's instance, %d at the home; want 1 and 0", qa.Missed, qb.Missed)
	}
	// The caller's next offer is a new one, to anyone.
	in.b.ready("1001")
	in.offer(t)
}

// TestSharedRemoteAbandonAndLost: a caller who hangs up while the remote
// agent rings frees the agent (ready, "abandoned"); a call lost with the
// caller's Asterisk sends a talking agent to wrap-up ("lost").
func TestSharedRemoteAbandonAndLost(t *testing.T) {
	in := newInstances(t, queue.QueueConfig{Name: "service", WrapUp: 10 * time.Second})
	in.offer(t)
	in.a.must(in.a.c.Abandon("c1"))
	in.b.must(in.b.c.Abandon("c1"))
	if st, reason := in.b.state("1001"); st != queue.Ready || reason != queue.ReasonAbandoned {
		t.Fatalf("agent 1001 is %s (%s), want ready (abandoned)", st, reason)
	}
	qa, _ := in.a.c.QueueStatus("service")
	qb, _ := in.b.c.QueueStatus("service")
	if qa.Abandoned != 1 || qb.Abandoned != 0 {
		t.Errorf("abandoned: %d at the caller's instance, %d at the home; want 1 and 0", qa.Abandoned, qb.Abandoned)
	}

	in.a.enqueue("c1b", "service", 0)
	if _, err := in.a.c.AssignRemote("c1b", queue.RemoteAgent{ID: "1001", Device: "PJSIP/1001"}); err != nil {
		t.Fatal(err)
	}
	_, err := in.b.c.Hold("c1b", "1001", "service")
	in.b.must(err)
	in.b.must(in.b.c.Answered("c1b", "1001"))
	in.b.must(in.b.c.Lost("c1b"))
	if st, reason := in.b.state("1001"); st != queue.WrapUp || reason != queue.ReasonLost {
		t.Fatalf("agent 1001 is %s (%s) after its call was lost, want wrap-up (lost)", st, reason)
	}
}

// TestSharedHoldRefuses: the home reserves only a free agent of its own
// who serves the queue, once per call.
func TestSharedHoldRefuses(t *testing.T) {
	e := newSharedEnv(t, clockwork.NewFakeClockAt(t0), queue.QueueConfig{Name: "service"}, queue.QueueConfig{Name: "vip", Skills: []string{"vip"}})
	e.agent("1001", nil)
	e.agent("1002", nil)
	e.ready("1001", "1002")
	e.enqueue("c1", "service", 0) // one of this center's own callers
	for _, tt := range []struct {
		call, agent, queue string
		want               error
	}{
		{"r1", "1001", "vip", queue.ErrNotServing},
		{"r1", "1001", "sales", queue.ErrUnknownQueue},
		{"r1", "9999", "service", queue.ErrUnknownAgent},
		{"c1", "1001", "service", queue.ErrDuplicateCall},
		{"", "1001", "service", queue.ErrMissingID},
	} {
		if _, err := e.c.Hold(tt.call, tt.agent, tt.queue); !errors.Is(err, tt.want) {
			t.Errorf("Hold(%q, %s, %s): %v, want %v", tt.call, tt.agent, tt.queue, err, tt.want)
		}
	}
	_, err := e.c.Hold("r1", "1001", "service")
	e.must(err)
	if _, err := e.c.Hold("r2", "1001", "service"); !errors.Is(err, queue.ErrAgentNotReady) {
		t.Errorf("holding a ringing agent for a second call: %v, want ErrAgentNotReady", err)
	}
	if _, err := e.c.Assign("c1", "1001"); !errors.Is(err, queue.ErrAgentNotReady) {
		t.Errorf("assigning a held agent to a caller of this center: %v, want ErrAgentNotReady", err)
	}
	if err := e.c.Answered("r1", "1002"); !errors.Is(err, queue.ErrNotOffered) {
		t.Errorf("answer by another agent: %v, want ErrNotOffered", err)
	}
}

// TestSharedNoAgentsHereDoesNotTurnAway: under NoAgentsOverflow, a queue
// with none of this center's agents logged in still takes callers with
// shared routing (other instances' agents may staff it); without, it
// turns them away as before.
func TestSharedNoAgentsHereDoesNotTurnAway(t *testing.T) {
	q := queue.QueueConfig{Name: "service", WhenNoAgents: queue.NoAgentsOverflow, Overflow: queue.Action{Kind: queue.ActionHangup}}
	shared := newSharedEnv(t, clockwork.NewFakeClockAt(t0), q)
	if ad := shared.enqueue("c1", "service", 0); !ad.Queued {
		t.Errorf("shared: admission %+v, want queued", ad)
	}
	alone := newEnv(t, q)
	if ad := alone.enqueue("c1", "service", 0); ad.Queued {
		t.Errorf("alone: admission %+v, want turned away", ad)
	}
}
