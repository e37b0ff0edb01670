package acd_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
)

// TestConversationSurvivesRestart: a caller talking with an agent when
// its instance stops is not cut: nobody is hung up and the bridge keeps
// both in Asterisk; the next instance adopts the conversation (the agent
// on call in its center, the engine's resumed Enqueue attached), and when
// the agent hangs up later the caller goes back to its flow (answered).
// The agent's part of the call is recorded once, by the instance that
// ends it.
func TestConversationSurvivesRestart(t *testing.T) {
	r := newRestartRig(t)
	ep := r.emu.AddEndpoint("PJSIP", "1001", aritest.ManualAnswer())
	a := r.start("A", queue.QueueConfig{WrapUp: 30 * time.Second}, "1001")
	a.must(a.svc.Login(r.ctx, "1001"))
	a.must(a.svc.Ready(r.ctx, "1001"))

	caller, err := r.emu.Dial(r.ctx, aritest.Call{From: "13800000001", To: hotline, Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	var agent *aritest.Party
	a.until("1001 ringing", func() bool { agent = pending(ep); return agent != nil })
	a.must(agent.Answer())
	a.until("the bridge", func() bool { return findBridgeOf(t, r, caller.ID(), agent.ID()) != "" })
	bridge := findBridgeOf(t, r, caller.ID(), agent.ID())

	a.stop()
	if caller.Snapshot().HungUp || agent.Snapshot().HungUp {
		t.Fatalf("after A stopped: caller hung up %v, agent hung up %v; want both still talking",
			caller.Snapshot().HungUp, agent.Snapshot().HungUp)
	}
	if got := findBridgeOf(t, r, caller.ID(), agent.ID()); got != bridge {
		t.Fatalf("after A stopped the conversation is in bridge %q, want %q still mixing both", got, bridge)
	}
	if calls := a.records.agentCalls(); len(calls) != 0 {
		t.Errorf("A recorded %+v for a conversation it did not end", calls)
	}

	b := r.start("B", queue.QueueConfig{WrapUp: 30 * time.Second}, "1001")
	b.until("1001 on call again", func() bool {
		st, _ := b.center.Agent("1001")
		return st.State == queue.OnCall && st.CallID == caller.ID()
	})
	b.engine.mu.Lock()
	resumed := slices.Clone(b.engine.resumed)
	b.engine.mu.Unlock()
	if !slices.Equal(resumed, []string{caller.ID()}) {
		t.Errorf("B's engine resumed %v, want the caller %s", resumed, caller.ID())
	}
	// Minutes later the agent hangs up: the caller goes on in its flow.
	r.clk.Advance(2 * time.Minute)
	a.r.emu.Sync()
	a.must(agent.Hangup())
	b.backInFlowAfter(caller, "1001")
	calls := b.records.agentCalls()
	if len(calls) != 1 || calls[0].CallID != caller.ID() || calls[0].Agent != "1001" || calls[0].EndedBy != "agent" {
		t.Fatalf("B recorded %+v, want one agent call of 1001 ended by the agent", calls)
	}
	if got := calls[0].Ended.Sub(calls[0].Answered); got < 2*time.Minute {
		t.Errorf("the agent's call lasted %v, want the whole conversation (over 2 minutes) across the restart", got)
	}
}

// TestWaitingCallersKeepTheirPlaces: callers waiting when the instance
// stops stay on hold music, and the next instance queues them again at
// their original arrival: they keep their order, ahead of anyone calling
// after the restart; the agent's state (on a break) is restored too.
func TestWaitingCallersKeepTheirPlaces(t *testing.T) {
	r := newRestartRig(t)
	ep := r.emu.AddEndpoint("PJSIP", "1001", aritest.ManualAnswer())
	a := r.start("A", queue.QueueConfig{}, "1001")
	a.must(a.svc.Login(r.ctx, "1001"))
	a.must(a.svc.NotReady(r.ctx, "1001", "break"))
	var callers []*aritest.Party
	for _, from := range []string{"13800000001", "13800000002", "13800000003"} {
		p, err := r.emu.Dial(r.ctx, aritest.Call{From: from, To: hotline, Language: "zh"})
		if err != nil {
			t.Fatal(err)
		}
		a.until(from+" on hold music", func() bool { return slices.Contains(p.HeardMedia(), "moh:default") })
		callers = append(callers, p)
		r.clk.Advance(time.Second)
	}
	a.stop()
	for _, p := range callers {
		if sn := p.Snapshot(); sn.HungUp {
			t.Fatalf("%s was hung up when A stopped", p.Name())
		}
	}

	b := r.start("B", queue.QueueConfig{}, "1001")
	b.until("the three callers queued again", func() bool {
		st, _ := b.center.QueueStatus("after-sales")
		return st.Waiting == 3
	})
	if st, _ := b.center.Agent("1001"); st.State != queue.NotReady || st.Reason != "break" {
		t.Errorf("1001 after the restart: %s %q, want not ready (break)", st.State, st.Reason)
	}
	late, err := r.emu.Dial(r.ctx, aritest.Call{From: "13800000004", To: hotline, Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	b.until("the late caller queued", func() bool {
		st, _ := b.center.QueueStatus("after-sales")
		return st.Waiting == 4
	})
	for i, p := range append(callers, late) {
		pl, err := b.center.Position(p.ID())
		if err != nil || pl.Position != i+1 {
			t.Errorf("%s: position %d (%v), want %d", p.Name(), pl.Position, err, i+1)
		}
	}
	b.must(b.svc.Ready(r.ctx, "1001"))
	var agent *aritest.Party
	b.until("1001 ringing", func() bool { agent = pending(ep); return agent != nil })
	if st, _ := b.center.Agent("1001"); st.CallID != callers[0].ID() {
		t.Errorf("1001 rings for %s, want the first caller %s", st.CallID, callers[0].ID())
	}
	for _, p := range callers {
		if p.Snapshot().HungUp {
			t.Errorf("%s was hung up", p.Name())
		}
	}
}

// findBridgeOf is the bridge holding all the channels, if any.
func findBridgeOf(t *testing.T, r *restartRig, channels ...string) string {
	t.Helper()
	keys, err := r.rest.Bridge().List(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		d, err := r.rest.Bridge().Data(k)
		if err != nil {
			continue
		}
		all := true
		for _, ch := range channels {
			all = all && slices.Contains(d.ChannelIDs, ch)
		}
		if all {
			return d.ID
		}
	}
	return ""
}

// TestConversationEndedWhileDown: the agent hangs up while no instance
// runs (its events are lost). The next instance finds the conversation
// missing a side: the caller goes back to its flow (answered) as soon as
// the engine resumes it, the agent goes to wrap-up, and the agent's part
// of the call is recorded once, ended by the agent.
func TestConversationEndedWhileDown(t *testing.T) {
	r := newRestartRig(t)
	ep := r.emu.AddEndpoint("PJSIP", "1001", aritest.ManualAnswer())
	a := r.start("A", queue.QueueConfig{WrapUp: 30 * time.Second}, "1001")
	a.must(a.svc.Login(r.ctx, "1001"))
	a.must(a.svc.Ready(r.ctx, "1001"))
	caller, err := r.emu.Dial(r.ctx, aritest.Call{From: "13800000001", To: hotline, Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	var agent *aritest.Party
	a.until("1001 ringing", func() bool { agent = pending(ep); return agent != nil })
	a.must(agent.Answer())
	a.until("the bridge", func() bool { return findBridgeOf(t, r, caller.ID(), agent.ID()) != "" })
	a.stop()
	a.must(agent.Hangup()) // nobody hears it

	b := r.start("B", queue.QueueConfig{WrapUp: 30 * time.Second}, "1001")
	b.backInFlowAfter(caller, "1001")
	calls := append(a.records.agentCalls(), b.records.agentCalls()...)
	if len(calls) != 1 || calls[0].EndedBy != "agent" || calls[0].CallID != caller.ID() {
		t.Errorf("agent calls recorded %+v, want one, ended by the agent", calls)
	}
}

// TestHangUpWhileStopping: while the instance drains, a caller who hangs
// up is still a hang-up, not a call left for the next instance: its agent
// is let go to wrap-up and the call is recorded as ended by the caller.
func TestHangUpWhileStopping(t *testing.T) {
	r := newRig(t, rigOptions{queue: queue.QueueConfig{WrapUp: 30 * time.Second}})
	ep := r.agent("1001", aritest.ManualAnswer())
	next := r.nextCall(ep)
	caller := r.dial("13800000001")
	agent := next("1001 ringing")
	r.must(agent.Answer())
	r.until("the bridge", func() bool { return findBridge(r, caller.ID(), agent.ID()) != nil })
	r.acd.Stopping()
	r.must(caller.Hangup())
	r.gone(agent)
	r.stateNow("1001", queue.WrapUp)
	r.until("the agent call recorded", func() bool { return len(r.records.agentCalls()) > 0 })
	if calls := r.records.agentCalls(); len(calls) != 1 || calls[0].EndedBy != "caller" {
		t.Errorf("agent calls %+v, want one ended by the caller", calls)
	}
}

// TestAdoptedCallerNotTakenBack: a waiting caller the next instance's
// engine never takes back (it has no flow for it) is not left on music
// for ever: once the adoption wait is over it hears the apology and is
// hung up, and leaves the queue without counting as an abandon.
func TestAdoptedCallerNotTakenBack(t *testing.T) {
	r := newRestartRig(t)
	a := r.start("A", queue.QueueConfig{}, "1001")
	caller, err := r.emu.Dial(r.ctx, aritest.Call{From: "13800000001", To: hotline, Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	a.until("on hold music", func() bool { return slices.Contains(caller.HeardMedia(), "moh:default") })
	a.stop()

	b := r.startWith("B", queue.QueueConfig{}, true, "1001")
	start := r.clk.Now()
	b.until("the caller hung up", func() bool { return caller.Snapshot().HungUp })
	if !slices.Contains(caller.HeardMedia(), "sound:hotline/zh/sorry") {
		t.Errorf("the caller heard %v, want the apology before the hang-up", caller.HeardMedia())
	}
	if waited := r.clk.Now().Sub(start); waited < 10*time.Second {
		t.Errorf("hung up %v after the restart, want after the 10 s adoption wait", waited)
	}
	st, _ := b.center.QueueStatus("after-sales")
	if st.Waiting != 0 || st.Abandoned != 0 {
		t.Errorf("queue: %d waiting, %d abandoned; want neither", st.Waiting, st.Abandoned)
	}
}

// TestRestartWithManyCalls: 100 callers are in the queues when the
// instance stops, half of them talking to agents. Nobody is hung up by the
// restart; the next instance adopts every conversation and queues every
// waiting caller again in its order; each conversation ends in the next
// instance with the caller back in its flow, recorded once.
func TestRestartWithManyCalls(t *testing.T) {
	const talking, waiting = 50, 50
	r := newRestartRig(t)
	var ids []string
	eps := map[string]*aritest.Endpoint{}
	for i := range talking {
		id := fmt.Sprintf("%d", 2001+i)
		ids = append(ids, id)
		eps[id] = r.emu.AddEndpoint("PJSIP", id, aritest.ManualAnswer())
	}
	a := r.start("A", queue.QueueConfig{}, ids...)
	for _, id := range ids {
		a.must(a.svc.Login(r.ctx, id))
		a.must(a.svc.Ready(r.ctx, id))
	}
	var callers []*aritest.Party
	agents := map[string]*aritest.Party{}
	for i := range talking + waiting {
		p, err := r.emu.Dial(r.ctx, aritest.Call{From: fmt.Sprintf("139%08d", i), To: hotline, Language: "zh"})
		if err != nil {
			t.Fatal(err)
		}
		callers = append(callers, p)
		r.clk.Advance(100 * time.Millisecond)
	}
	a.until("every agent rung", func() bool {
		for id, ep := range eps {
			if agents[id] == nil {
				agents[id] = pending(ep)
			}
		}
		return len(agents) == talking && !slices.Contains(slices.Collect(maps.Values(agents)), nil)
	})
	for _, p := range agents {
		a.must(p.Answer())
	}
	a.until("every conversation bridged", func() bool {
		for _, st := range a.center.Agents() {
			if st.State != queue.OnCall {
				return false
			}
		}
		return true
	})
	a.until("every agent in a bridge", func() bool {
		keys, _ := r.rest.Bridge().List(nil)
		return len(keys) == talking
	})
	places := map[string]int{} // the waiting callers' places before the restart
	for _, p := range callers {
		if pl, err := a.center.Position(p.ID()); err == nil {
			places[p.ID()] = pl.Position
		}
	}
	a.stop()

	b := r.start("B", queue.QueueConfig{}, ids...)
	b.until("the conversations and the queue taken over", func() bool {
		on := 0
		for _, st := range b.center.Agents() {
			if st.State == queue.OnCall {
				on++
			}
		}
		q, _ := b.center.QueueStatus("after-sales")
		return on == talking && q.Waiting == waiting
	})
	// The waiting callers keep their places.
	kept := 0
	for id, want := range places {
		pl, err := b.center.Position(id)
		if err != nil || pl.Position != want {
			t.Errorf("%s at position %d (%v) after the restart, %d before", id, pl.Position, err, want)
			continue
		}
		kept++
	}
	for _, p := range agents {
		b.must(p.Hangup())
	}
	answeredCalls := func() int {
		n := 0
		b.engine.mu.Lock()
		defer b.engine.mu.Unlock()
		for _, res := range b.engine.results {
			if res.err == nil && res.res.Outcome == ivr.QueueAnswered {
				n++
			}
		}
		return n
	}
	// Each conversation's Enqueue returns to the flow after its agent leg
	// is recorded: wait for both, or for the test's deadline.
	b.until("every conversation over and back in the flow", func() bool {
		return len(b.records.agentCalls()) == talking && answeredCalls() == talking
	})
	hungUp := 0
	for _, p := range callers {
		if p.Snapshot().HungUp {
			hungUp++
		}
	}
	answered := answeredCalls()
	t.Logf("restart with %d calls (%d talking): %d hung up by it, %d conversations adopted and recorded once, %d of %d waiting callers kept their places",
		talking+waiting, talking, hungUp, len(b.records.agentCalls()), kept, len(places))
	if hungUp != 0 || answered != talking || len(a.records.agentCalls()) != 0 || kept != waiting {
		t.Errorf("%d callers hung up (want 0), %d conversations back in the flow (want %d), A recorded %d (want 0), %d kept their places (want %d)",
			hungUp, answered, talking, len(a.records.agentCalls()), kept, waiting)
	}
}

// backInFlowAfter waits for caller's resumed Enqueue to return answered by
// agent, with the caller still up, and for the agent's wrap-up for the
// call to be recorded (the test's clock may since have run past its end;
// the changes are recorded in batches).
func (in *instance) backInFlowAfter(caller *aritest.Party, agent string) {
	t := in.r.t
	t.Helper()
	var res enqueued
	in.until("the caller back in its flow", func() bool {
		var ok bool
		res, ok = in.engine.result(caller.ID())
		return ok
	})
	if res.err != nil || res.res.Outcome != ivr.QueueAnswered || res.res.Agent != agent {
		t.Errorf("the resumed Enqueue returned %+v, %v; want answered by %s", res.res, res.err, agent)
	}
	if caller.Snapshot().HungUp {
		t.Errorf("the caller was hung up; want it back in its flow")
	}
	in.until(agent+"'s wrap-up for the call recorded", func() bool {
		return slices.ContainsFunc(in.records.stateChanges(), func(c queue.AgentStateChange) bool {
			return c.Agent == agent && c.State == queue.WrapUp && c.CallID == caller.ID()
		})
	})
}
