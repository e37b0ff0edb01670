package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// homeKinds are the events to an agent's home.
var homeKinds = []cluster.EventKind{cluster.EventHold, cluster.EventHoldAnswered, cluster.EventHoldNoAnswer,
	cluster.EventHoldAbandoned, cluster.EventHoldEnded, cluster.EventHoldLost}

func isHome(ev cluster.Event) bool { return slices.Contains(homeKinds, ev.Kind) }

// homeEvents waits until the instance has received n events to an agent's
// home and returns them in order (all it has: more than n fails).
func (in *inst) homeEvents(t *testing.T, n int) []cluster.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		in.mu.Lock()
		in.cond.Broadcast()
		in.mu.Unlock()
	})
	defer stop()
	in.mu.Lock()
	defer in.mu.Unlock()
	for {
		var got []cluster.Event
		for _, ev := range in.events {
			if isHome(ev) {
				got = append(got, ev)
			}
		}
		if len(got) >= n {
			return got
		}
		if ctx.Err() != nil {
			t.Fatalf("instance %s: %d home events, want %d: %+v", in.Instance(), len(got), n, got)
		}
		in.cond.Wait()
	}
}

// step is what a home event must say, in short.
func step(ev cluster.Event) string {
	if ev.Kind == cluster.EventHold {
		return fmt.Sprintf("%s %s %s %s from %s", ev.Kind, ev.Offer.CallID, ev.Offer.Agent, ev.Offer.Queue, ev.Offer.Instance)
	}
	c := ev.Call
	s := fmt.Sprintf("%s %s %s %s from %s: %s", ev.Kind, c.CallID, c.Agent, c.Queue, c.Instance, c.State)
	if c.Reason != "" {
		s += " " + c.Reason
	}
	if !c.WrapUpEnds.IsZero() {
		s += " until " + c.WrapUpEnds.Format("15:04:05")
	}
	if c.Disposition {
		s += " disposition"
	}
	return s
}

// TestHomeEvents: the agent's home (b) hears, on its own channel and in
// order, every step of the calls of another instance (a) that reserve its
// agents, whoever applies them (a's Answered, NoAnswer, Abandon, EndCall;
// routing at either instance; a ring-out found by routing), and nothing of
// the calls it carries itself; a hears nothing of them for its own agent.
func TestHomeEvents(t *testing.T) {
	e := newEnv(t)
	a, b := e.instance("a"), e.instance("b")
	e.queue(a, queue.QueueConfig{Name: "sales", RingTimeout: 20 * time.Second, WrapUp: 30 * time.Second})
	e.queue(a, queue.QueueConfig{Name: "care", RingTimeout: 20 * time.Second, WrapUp: 10 * time.Second, RequireDisposition: true})
	for _, id := range []string{"1001", "1002", "1003"} {
		e.must(b.SetAgent(e.ctx, queue.AgentConfig{ID: id, Name: "agent " + id, Device: "PJSIP/" + id}))
		e.must(b.Login(e.ctx, id))
	}
	e.must(a.SetAgent(e.ctx, queue.AgentConfig{ID: "2001", Device: "PJSIP/2001"}))
	e.must(a.Login(e.ctx, "2001"))
	t1 := e.clk.Now()
	at := func(d time.Duration) string { return t1.Add(d).Format("15:04:05") }

	// c1 (a's caller, with a screen pop) to b's 1001: answered, ended.
	pop := json.RawMessage(`{"number": "+8613800138000", "ivr": ["main", "billing"], "lang": "zh"}`)
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "c1", Queue: "sales", Details: pop}))
	e.must(b.SetReady(e.ctx, "1001"))
	d := e.route(a)
	if len(d.Offers) != 1 || d.Offers[0].CallID != "c1" || d.Offers[0].Agent != "1001" || d.Offers[0].Home != "b" {
		t.Fatalf("a's offers: %+v", d.Offers)
	}
	e.must(a.Answered(e.ctx, "c1", "1001"))
	e.must(a.EndCall(e.ctx, "c1"))

	// c2 (a's) to b's 1002, decided by b's own Route: no answer.
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "c2", Queue: "sales"}))
	e.must(b.SetReady(e.ctx, "1002"))
	if d := e.route(b); len(d.Offers) != 0 {
		t.Fatalf("b got offers for a's caller: %+v", d.Offers)
	}
	a.waitEvent(t, "offer of c2", func(ev cluster.Event) bool { return ev.Kind == cluster.EventOffer && ev.Offer.CallID == "c2" })
	e.must(a.NoAnswer(e.ctx, "c2", "1002"))

	// c2 again, to b's 1003: the caller hangs up while it rings.
	e.must(b.SetReady(e.ctx, "1003"))
	e.route(a)
	e.must(a.Abandon(e.ctx, "c2"))

	// c3 (a's) to 1002 again, rings out: found by b's Route.
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "c3", Queue: "care"}))
	e.must(b.SetNotReady(e.ctx, "1003", "break"))
	e.must(b.SetReady(e.ctx, "1002"))
	e.route(a)
	e.clk.Advance(20 * time.Second)
	e.route(b)
	a.waitEvent(t, "ring-out of c3", func(ev cluster.Event) bool { return ev.Kind == cluster.EventRingTimeout && ev.Offer.CallID == "c3" })

	// b's own caller to b's own agent, a's caller to a's own agent: no
	// home events anywhere.
	e.must(b.Enqueue(e.ctx, cluster.Caller{CallID: "b1", Queue: "sales"}))
	e.must(b.SetReady(e.ctx, "1003"))
	if d := e.route(b); len(d.Offers) != 0 {
		t.Fatalf("b's offers: %+v", d.Offers) // c3 waited longest: a's, so none for b
	}
	e.route(b) // b1 to nobody: 1003 is taken by c3
	e.must(a.Answered(e.ctx, "c3", "1003"))
	e.must(a.EndCall(e.ctx, "c3"))
	e.must(a.SetReady(e.ctx, "2001"))
	if d := e.route(b); len(d.Offers) != 1 || d.Offers[0].CallID != "b1" || d.Offers[0].Agent != "2001" {
		t.Fatalf("b's offers: %+v", d.Offers)
	}
	e.must(b.Answered(e.ctx, "b1", "2001")) // a's agent, b's caller: a hears of it
	e.must(b.EndCall(e.ctx, "b1"))
	e.must(b.SetReady(e.ctx, "1003")) // hold: its home ends it
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "a1", Queue: "sales"}))
	e.must(b.SetNotReady(e.ctx, "1003", "break"))
	e.must(b.SetNotReady(e.ctx, "1002", "break"))
	e.must(a.SetReady(e.ctx, "2001"))
	if d := e.route(a); len(d.Offers) != 1 || d.Offers[0].CallID != "a1" || d.Offers[0].Agent != "2001" {
		t.Fatalf("a's offers: %+v", d.Offers)
	}
	e.must(a.Answered(e.ctx, "a1", "2001"))
	e.must(a.EndCall(e.ctx, "a1"))
	// The last of b's: a call-back of a's to b's 1001, after 1001's
	// wrap-up ended by time.
	e.clk.Advance(30 * time.Second)
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "cb1", Queue: "sales", Callback: true, Number: "+861"}))
	e.route(a)
	e.must(a.Abandon(e.ctx, "cb1"))

	want := []string{
		"hold c1 1001 sales from a",
		"hold-answered c1 1001 sales from a: on call",
		"hold-ended c1 1001 sales from a: wrap-up until " + at(30*time.Second),
		"hold c2 1002 sales from a",
		"hold-no-answer c2 1002 sales from a: not ready missed",
		"hold c2 1003 sales from a",
		"hold-abandoned c2 1003 sales from a: ready abandoned",
		"hold c3 1002 care from a",
		"hold-no-answer c3 1002 care from a: not ready missed",
		"hold c3 1003 care from a",
		"hold-answered c3 1003 care from a: on call",
		"hold-ended c3 1003 care from a: wrap-up until " + at(30*time.Second) + " disposition",
		"hold cb1 1001 sales from a",
		"hold-abandoned cb1 1001 sales from a: ready abandoned",
	}
	evs := b.homeEvents(t, len(want))
	var got []string
	for _, ev := range evs {
		got = append(got, step(ev))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("b's home events:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	o := evs[0].Offer
	if o.Home != "b" || o.AgentName != "agent 1001" || o.Device != "PJSIP/1001" || o.Attempt != 1 ||
		!o.Deadline.Equal(t1.Add(20*time.Second)) || o.DetailsOmitted {
		t.Fatalf("hold offer: %+v", o)
	}
	var gotPop, wantPop any
	e.must(json.Unmarshal(o.Details, &gotPop))
	e.must(json.Unmarshal(pop, &wantPop))
	if fmt.Sprint(gotPop) != fmt.Sprint(wantPop) {
		t.Fatalf("hold offer's details: %s, want %s", o.Details, pop)
	}
	if cb := evs[12].Offer; !cb.Callback || cb.Number != "+861" || cb.Details != nil {
		t.Fatalf("call-back's hold offer: %+v", cb)
	}
	// a's events for its agent 2001 on b's call: b1's steps, and only
	// those.
	wantA := []string{
		"hold b1 2001 sales from b",
		"hold-answered b1 2001 sales from b: on call",
		"hold-ended b1 2001 sales from b: wrap-up until " + at(50*time.Second),
	}
	var gotA []string
	for _, ev := range a.homeEvents(t, len(wantA)) {
		gotA = append(gotA, step(ev))
	}
	if !slices.Equal(gotA, wantA) {
		t.Fatalf("a's home events:\n got %s\nwant %s", strings.Join(gotA, "\n     "), strings.Join(wantA, "\n     "))
	}
	// The disposition's wrap-up did not end by time; 1003 is Ready since
	// its home said so.
	ag := e.agents(a)
	if g := ag["1003"]; g.State != queue.NotReady {
		t.Fatalf("1003: %+v", g)
	}
}

// TestDispositionWrapUp: after a call of a queue that requires a
// disposition the agent stays in wrap-up past its time, through routing,
// until its home says (SetReady, SetNotReady or Logout); without it the
// wrap-up ends by time, as before.
func TestDispositionWrapUp(t *testing.T) {
	e := newEnv(t)
	a, b := e.instance("a"), e.instance("b")
	e.queue(a, queue.QueueConfig{Name: "care", RingTimeout: 20 * time.Second, WrapUp: 10 * time.Second, RequireDisposition: true})
	e.queue(a, queue.QueueConfig{Name: "quick", RingTimeout: 20 * time.Second, RequireDisposition: true})
	e.queue(a, queue.QueueConfig{Name: "sales", RingTimeout: 20 * time.Second, WrapUp: 10 * time.Second})
	for _, id := range []string{"1001", "1002", "1003"} {
		e.readyAgent(b, queue.AgentConfig{ID: id, Queues: []string{map[string]string{"1001": "care", "1002": "quick", "1003": "sales"}[id]}})
	}
	for i, q := range []string{"care", "quick", "sales"} {
		id := fmt.Sprint("c", i)
		e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: id, Queue: q}))
		d := e.route(a)
		if len(d.Offers) != 1 {
			t.Fatalf("offers for %s: %+v", id, d.Offers)
		}
		e.must(a.Answered(e.ctx, id, d.Offers[0].Agent))
		e.must(a.EndCall(e.ctx, id))
	}
	ag := e.agents(a)
	for id, want := range map[string]bool{"1001": true, "1002": true, "1003": false} {
		if g := ag[id]; g.State != queue.WrapUp || g.Disposition != want {
			t.Fatalf("agent %s after the call: %s, disposition %v; want WrapUp, %v", id, g.State, g.Disposition, want)
		}
	}
	if at, ok, err := a.Wake(e.ctx); err != nil || !ok || !at.Equal(ag["1003"].WrapUpEnds) {
		t.Fatalf("Wake: %v %v %v, want only sales' wrap-up end %v", at, ok, err, ag["1003"].WrapUpEnds)
	}
	e.clk.Advance(time.Hour)
	e.route(a)
	e.route(b)
	ag = e.agents(a)
	if ag["1001"].State != queue.WrapUp || ag["1002"].State != queue.WrapUp || ag["1003"].State != queue.Ready {
		t.Fatalf("an hour later: 1001 %s, 1002 %s, 1003 %s; want WrapUp, WrapUp, Ready", ag["1001"].State, ag["1002"].State, ag["1003"].State)
	}
	if _, ok, err := a.Wake(e.ctx); err != nil || ok {
		t.Fatalf("Wake with only held wrap-ups: %v %v", ok, err)
	}
	e.must(b.SetReady(e.ctx, "1001"))
	e.must(b.Logout(e.ctx, "1002"))
	ag = e.agents(a)
	if ag["1001"].State != queue.Ready || ag["1001"].Disposition || ag["1002"].State != queue.LoggedOut || ag["1002"].Disposition {
		t.Fatalf("after the home's word: %+v %+v", ag["1001"], ag["1002"])
	}
}

// TestDetails: a caller's screen pop is stored and carried in its offer as
// given (to the caller's instance and the agent's home), in HeldCalls; a
// non-object or one over MaxDetails is refused with a clear error.
func TestDetails(t *testing.T) {
	e := newEnv(t)
	a, b := e.instance("a"), e.instance("b")
	e.queue(a, queue.QueueConfig{Name: "sales", RingTimeout: 20 * time.Second})
	big := `{"ivr": "` + strings.Repeat("<&>", cluster.MaxDetails/3) + `"}`
	err := a.Enqueue(e.ctx, cluster.Caller{CallID: "c1", Queue: "sales", Details: json.RawMessage(big)})
	wantErr(t, err, cluster.ErrDetailsTooBig)
	if !strings.Contains(err.Error(), "c1") || !strings.Contains(err.Error(), fmt.Sprint(cluster.MaxDetails)) {
		t.Fatalf("error %q names neither the call nor the limit", err)
	}
	for _, bad := range []string{`[1, 2]`, `"x"`, `{"a": `} {
		wantErr(t, a.Enqueue(e.ctx, cluster.Caller{CallID: "c1", Queue: "sales", Details: json.RawMessage(bad)}), cluster.ErrDetailsInvalid)
	}
	// The largest allowed, of characters JSON could escape: it still fits
	// a notification with the rest of the offer.
	most := `{"ivr":"` + strings.Repeat("<&>", (cluster.MaxDetails-len(`{"ivr":""}`))/3) + `"}`
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "c1", Queue: "sales", Details: json.RawMessage(most)}))
	e.readyAgent(b, queue.AgentConfig{ID: "1001", Device: "PJSIP/1001"})
	e.route(b)
	ev := a.waitEvent(t, "offer", func(ev cluster.Event) bool { return ev.Kind == cluster.EventOffer })
	if string(ev.Offer.Details) != most || ev.Offer.DetailsOmitted {
		t.Fatalf("offer's details at the caller's instance: %d bytes, omitted %v", len(ev.Offer.Details), ev.Offer.DetailsOmitted)
	}
	hold := b.waitEvent(t, "hold", func(ev cluster.Event) bool { return ev.Kind == cluster.EventHold })
	if string(hold.Offer.Details) != most {
		t.Fatalf("hold's details: %d bytes", len(hold.Offer.Details))
	}
	held, err := b.HeldCalls(e.ctx)
	if err != nil || len(held) != 1 || string(held[0].Offer.Details) != most || held[0].State != "offered" {
		t.Fatalf("HeldCalls: %+v, %v", held, err)
	}
	// A call ID so long that the offer and its details do not fit one
	// notification: the offer goes without them, and says so.
	long := strings.Repeat("x", 4000)
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: long, Queue: "sales", Details: json.RawMessage(most)}))
	e.readyAgent(b, queue.AgentConfig{ID: "1002", Device: "PJSIP/1002"})
	e.route(b)
	ev = a.waitEvent(t, "offer", func(ev cluster.Event) bool { return ev.Kind == cluster.EventOffer })
	hold = b.waitEvent(t, "hold", func(ev cluster.Event) bool { return ev.Kind == cluster.EventHold })
	for _, o := range []cluster.Offer{ev.Offer, hold.Offer} {
		if o.CallID != long || o.Details != nil || !o.DetailsOmitted {
			t.Fatalf("offer of the long call ID: details %d bytes, omitted %v", len(o.Details), o.DetailsOmitted)
		}
	}
	held, err = b.HeldCalls(e.ctx)
	if err != nil || len(held) != 2 || held[1].Offer.CallID != long || string(held[1].Offer.Details) != most {
		t.Fatalf("HeldCalls: %d calls, %v", len(held), err)
	}
}

// TestHomeLost: the caller's instance dies with one of the home's agents
// ringing and another on a call of a queue requiring a disposition; the
// reaper tells the home what became of each (hold-lost), and the second
// stays in wrap-up until its home says.
func TestHomeLost(t *testing.T) {
	e := newEnv(t)
	a, b, c := e.instance("a"), e.instance("b"), e.instance("c")
	e.queue(a, queue.QueueConfig{Name: "care", RingTimeout: time.Hour, WrapUp: 10 * time.Second, RequireDisposition: true})
	e.readyAgent(b, queue.AgentConfig{ID: "1001"})
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "c1", Queue: "care"}))
	e.route(a)
	e.must(a.Answered(e.ctx, "c1", "1001"))
	e.readyAgent(b, queue.AgentConfig{ID: "1002"})
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "c2", Queue: "care"}))
	e.route(a)
	b.homeEvents(t, 3)
	a.stop()
	e.clk.Advance(11 * time.Second)
	e.must(b.Heartbeat(e.ctx))
	r, err := c.Reap(e.ctx)
	if err != nil || !slices.Equal(r.Instances, []string{"a"}) || len(r.Ended) != 1 || len(r.Lost) != 1 {
		t.Fatalf("reaped: %+v, %v", r, err)
	}
	now := e.clk.Now()
	evs := b.homeEvents(t, 5)
	var got []string
	for _, ev := range evs[3:] {
		got = append(got, step(ev))
	}
	want := []string{
		"hold-lost c1 1001 care from a: wrap-up instance lost until " + now.Add(10*time.Second).Format("15:04:05") + " disposition",
		"hold-lost c2 1002 care from a: ready instance lost",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("b's events after the reap:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	if c.has(cluster.EventHoldLost) {
		t.Fatal("the reaper heard b's events")
	}
	e.clk.Advance(time.Minute)
	e.route(c)
	if g := e.agents(c)["1001"]; g.State != queue.WrapUp || !g.Disposition {
		t.Fatalf("1001 after the lost call's wrap-up time: %+v", g)
	}
	e.must(b.SetReady(e.ctx, "1001"))
}

// TestHeldCallsAfterResync: the home's LISTEN connection is lost while the
// caller's instance answers one call and ends another; the home misses
// those events, gets EventResync, and HeldCalls says where each call is.
func TestHeldCallsAfterResync(t *testing.T) {
	ctx := t.Context()
	srv := pgtest.NewServer(t)
	if err := srv.CreateDatabase(ctx, "hotline"); err != nil {
		t.Fatal(err)
	}
	url := srv.DatabaseURL("hotline")
	if err := store.Migrate(ctx, openPool(t, url)); err != nil {
		t.Fatal(err)
	}
	e := newEnvAt(t, url)
	a, b := e.instance("a"), e.instance("b")
	e.queue(a, queue.QueueConfig{Name: "care", RingTimeout: time.Hour, WrapUp: 10 * time.Second, RequireDisposition: true})
	pop := json.RawMessage(`{"number":"+8613800138000"}`)
	e.readyAgent(b, queue.AgentConfig{ID: "1001", Name: "Li Lei", Device: "PJSIP/1001"})
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "c1", Queue: "care", Details: pop}))
	e.route(a)
	e.must(a.Answered(e.ctx, "c1", "1001"))
	e.readyAgent(b, queue.AgentConfig{ID: "1002"})
	e.must(a.Enqueue(e.ctx, cluster.Caller{CallID: "c2", Queue: "care", Priority: 3}))
	e.route(a)
	b.homeEvents(t, 3)
	held, err := b.HeldCalls(e.ctx)
	if err != nil || len(held) != 2 || held[0].Offer.CallID != "c1" || held[0].State != "connected" || string(held[0].Offer.Details) != string(pop) ||
		held[0].Offer.AgentName != "Li Lei" || held[0].Offer.Instance != "a" || held[0].Offer.Home != "b" ||
		held[1].Offer.CallID != "c2" || held[1].State != "offered" || held[1].Offer.Priority != 3 || held[1].Offer.Attempt != 1 {
		t.Fatalf("HeldCalls before: %+v, %v", held, err)
	}
	if own, err := a.HeldCalls(e.ctx); err != nil || len(own) != 0 {
		t.Fatalf("a's HeldCalls: %+v, %v", own, err)
	}

	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	// b's listener waits for the clock to reconnect: what a does now, b
	// does not hear.
	e.must(a.EndCall(e.ctx, "c1"))
	e.must(a.Answered(e.ctx, "c2", "1002"))
	e.advanceUntil(func() bool { return b.has(cluster.EventResync) }, 3, time.Second, a, b)
	if evs := b.homeEvents(t, 3); len(evs) != 3 {
		t.Fatalf("b heard what was sent while it was away: %+v", evs[3:])
	}
	held, err = b.HeldCalls(e.ctx)
	if err != nil || len(held) != 2 || held[0].Offer.CallID != "c1" || held[0].State != "ended" || !held[0].Disposition ||
		held[0].WrapUpEnds.IsZero() || held[1].Offer.CallID != "c2" || held[1].State != "connected" {
		t.Fatalf("HeldCalls after the resync: %+v, %v", held, err)
	}
}
