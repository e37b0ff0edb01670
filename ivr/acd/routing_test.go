package acd_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
)

// joined is when a waiting caller joined its queue, by the center.
func (r *rig) joined(p *aritest.Party) time.Time {
	r.t.Helper()
	r.settle()
	pl, err := r.center.Position(p.ID())
	if err != nil {
		r.t.Fatal(err)
	}
	return r.clk.Now().Add(-pl.Waited)
}

// changeAt finds when an agent entered a state, the n-th time (from 1).
func (r *rig) changeAt(agent string, state queue.AgentState, n int) (queue.AgentStateChange, bool) {
	for _, c := range r.records.stateChanges() {
		if c.Agent == agent && c.State == state {
			if n--; n == 0 {
				return c, true
			}
		}
	}
	return queue.AgentStateChange{}, false
}

// TestRingNoAnswer: an agent who lets the phone ring out is rung for the
// queue's ring timeout, then made not ready ("missed"); the caller keeps
// waiting and goes to the next agent.
func TestRingNoAnswer(t *testing.T) {
	r := newRig(t, rigOptions{queue: queue.QueueConfig{RingTimeout: 10 * time.Second}})
	lazy := r.agent("1001", aritest.ManualAnswer())
	next := r.nextCall(lazy)
	caller := r.dial("13800000001")
	rang := next("1001 ringing")
	r.until("1001 missed", func() bool { _, ok := r.changeAt("1001", queue.NotReady, 2); return ok })
	r.gone(rang)
	reserved, _ := r.changeAt("1001", queue.Reserved, 1)
	missed, _ := r.changeAt("1001", queue.NotReady, 2) // the first is the login
	if d := missed.At.Sub(reserved.At); d < 10*time.Second || d > 10*time.Second+200*time.Millisecond {
		t.Errorf("rang for %v, want the 10 s ring timeout", d)
	}
	if missed.Reason != queue.ReasonMissed {
		t.Errorf("not ready for %q, want missed", missed.Reason)
	}
	good := r.agent("1002", aritest.ManualAnswer())
	agent := r.nextCall(good)("1002 ringing")
	if err := agent.Answer(); err != nil {
		t.Fatal(err)
	}
	r.heard(caller, sound("std/at-your-service"))
	if !contains(caller.HeardMedia(), agentIDMedia("1002")) {
		t.Errorf("caller heard %s, want agent 1002 announced", media(caller))
	}
}

// TestPriorityThenFIFO: callers who arrive together are served VIPs first,
// then in their order of arrival, one by one as the agent frees up.
func TestPriorityThenFIFO(t *testing.T) {
	r := newRig(t, rigOptions{})
	ep := r.agent("1001", aritest.ManualAnswer())
	r.must(r.acd.NotReady(r.ctx, "1001", "meeting"))
	numbers := []string{"13800000001", "13800000002", vip, "13800000003", "13800000004"}
	parties := make([]*aritest.Party, len(numbers))
	var wg sync.WaitGroup
	for i, n := range numbers {
		wg.Go(func() { parties[i] = r.dial(n) })
	}
	wg.Wait()
	r.until("all callers queued", func() bool {
		st, _ := r.center.QueueStatus("after-sales")
		return st.Waiting == len(numbers)
	})
	// The center's order: arrival within priority. Record it by position.
	byID := map[string]string{}
	type place struct {
		number string
		pos    int
	}
	var order []place
	for i, p := range parties {
		byID[p.ID()] = numbers[i]
		pl, err := r.center.Position(p.ID())
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, place{numbers[i], pl.Position})
	}
	slices.SortFunc(order, func(a, b place) int { return a.pos - b.pos })
	if order[0].number != vip {
		t.Fatalf("VIP is at position %v, want first: %v", order, order)
	}
	r.must(r.acd.Ready(r.ctx, "1001"))
	var served []string
	for range numbers {
		next := r.nextCall(ep)
		agent := next("the next call")
		st := r.state("1001", queue.Reserved)
		served = append(served, byID[st.CallID])
		if err := agent.Answer(); err != nil {
			t.Fatal(err)
		}
		r.state("1001", queue.OnCall)
		if err := agent.Hangup(); err != nil {
			t.Fatal(err)
		}
		r.until("1001 free", func() bool { st, _ := r.center.Agent("1001"); return st.State != queue.OnCall })
	}
	var want []string
	for _, p := range order {
		want = append(want, p.number)
	}
	if !slices.Equal(served, want) {
		t.Errorf("served %v, want %v", served, want)
	}
}

// TestAnnouncements: a waiting caller hears its position and estimated
// wait (from the queue's handle times) every period, on the clock.
func TestAnnouncements(t *testing.T) {
	r := newRig(t, rigOptions{queue: queue.QueueConfig{AnnounceEvery: 30 * time.Second, HandleTimeSeed: 2 * time.Minute}})
	ep := r.agent("1001", aritest.ManualAnswer())
	next := r.nextCall(ep)
	first := r.dial("13800000001")
	agent := next("the first caller's agent ringing")
	r.must(agent.Answer())
	r.heard(first, sound("std/at-your-service"))
	second := r.dial("13800000002")
	r.heard(second, "moh:default")
	third := r.dial("13800000003")
	r.heard(third, "moh:default")
	joined := r.joined(third)
	a1 := r.heard(third, sound("queue/ahead"))
	r.until("a second announcement", func() bool { return count(third, sound("queue/ahead")) == 2 })
	var starts []time.Time
	for _, h := range third.Heard() {
		if h.Media == sound("queue/ahead") {
			starts = append(starts, h.Start)
		}
	}
	if d := a1.Start.Sub(joined); d < 30*time.Second || d > 30*time.Second+300*time.Millisecond {
		t.Errorf("first announcement %v after joining, want 30 s", d)
	}
	if d := starts[1].Sub(starts[0]); d < 30*time.Second || d > 30*time.Second+300*time.Millisecond {
		t.Errorf("announcements %v apart, want 30 s", d)
	}
	// One caller ahead, 2 min × position 2 ÷ 1 agent = 4 minutes.
	want := []string{sound("queue/ahead"), sound("digits/1"), sound("queue/callers-waiting"),
		sound("queue/expected-wait"), sound("digits/4"), sound("queue/minutes"), "moh:default"}
	if !contains(third.HeardMedia(), want) {
		t.Errorf("third caller heard %s\nwant in order %v", media(third), want)
	}
	// The first in line hears that it is next, and 2 minutes.
	if !contains(second.HeardMedia(), []string{sound("queue/still-waiting"), sound("queue/expected-wait"), sound("digits/2"), sound("queue/minutes")}) {
		t.Errorf("second caller heard %s", media(second))
	}
}

func count(p *aritest.Party, m string) int {
	n := 0
	for _, h := range p.HeardMedia() {
		if h == m {
			n++
		}
	}
	return n
}

// TestCallerHangsUpWhileRinging: the agent's phone stops ringing and the
// agent is ready again; the journey is an abandon.
func TestCallerHangsUpWhileRinging(t *testing.T) {
	r := newRig(t, rigOptions{})
	ep := r.agent("1001", aritest.ManualAnswer())
	next := r.nextCall(ep)
	caller := r.dial("13800000001")
	agent := next("1001 ringing")
	r.must(caller.Hangup())
	r.gone(agent)
	st := r.stateNow("1001", queue.Ready)
	if st.Reason != queue.ReasonAbandoned {
		t.Errorf("ready for %q, want abandoned", st.Reason)
	}
	if j := r.journey(); j.Outcome != ivr.OutcomeAbandoned || j.HungUpBy != ivr.HungUpByCaller {
		t.Errorf("journey %s by %s, want abandoned by the caller", j.Outcome, j.HungUpBy)
	}
}

// TestOverflowMaxWait: past the queue's maximum wait the caller hears the
// overflow prompt and the flow's on_fail path takes it.
func TestOverflowMaxWait(t *testing.T) {
	r := newRig(t, rigOptions{queue: queue.QueueConfig{MaxWait: 45 * time.Second,
		Overflow: queue.Action{Kind: queue.ActionHangup, Prompt: "queue/overflow"}}})
	caller := r.dial("13800000001")
	r.heard(caller, "moh:default")
	joined := r.joined(caller)
	over := r.heard(caller, sound("queue/overflow"))
	if d := over.Start.Sub(joined); d < 45*time.Second || d > 45*time.Second+300*time.Millisecond {
		t.Errorf("overflowed after %v, want 45 s", d)
	}
	r.heard(caller, sound("sorry"))
	j := r.journey()
	var results []string
	for _, ev := range j.Events {
		if ev.Kind == ivr.EventQueue {
			results = append(results, fmt.Sprint(ev.Detail["result"]))
		}
	}
	if !slices.Contains(results, ivr.QueueOverflow) {
		t.Errorf("queue events %v, want an overflow", results)
	}
}

// TestSkillRelaxation: an agent below the queue's first skill level gets
// the caller only once the wait relaxes the requirement.
func TestSkillRelaxation(t *testing.T) {
	r := newRig(t, rigOptions{queue: queue.QueueConfig{Skills: []string{"repair"},
		Levels: []queue.LevelStep{{After: 0, MinLevel: 8}, {After: 30 * time.Second, MinLevel: 1}}}})
	ep := r.agent("1001", aritest.ManualAnswer(), "repair")
	r.must(r.center.SetAgent(queue.AgentConfig{ID: "1001", Name: "junior", Device: "PJSIP/1001", Skills: map[string]int{"repair": 3}}))
	next := r.nextCall(ep)
	caller := r.dial("13800000001")
	r.heard(caller, "moh:default")
	joined := r.joined(caller)
	next("the junior agent rung after the relaxation")
	reserved := r.state("1001", queue.Reserved)
	if d := reserved.Since.Sub(joined); d < 30*time.Second || d > 30*time.Second+300*time.Millisecond {
		t.Errorf("offered after %v, want when the level relaxes at 30 s", d)
	}
}

// TestCallbackOfferAtAFullQueue: a caller turned away by a full queue
// whose overflow offers a call-back books one and keeps its turn.
func TestCallbackOfferAtAFullQueue(t *testing.T) {
	r := newRig(t, rigOptions{queue: queue.QueueConfig{MaxLength: 1,
		Overflow: queue.Action{Kind: queue.ActionCallbackOffer}}})
	first := r.dial("13800000001")
	r.heard(first, "moh:default")
	second := r.dial("13800000002")
	r.heard(second, sound("queue/callback-offer"))
	r.must(second.Press("1"))
	r.heard(second, sound("queue/callback-number"))
	r.must(second.Press("2")) // another number
	r.heard(second, sound("queue/callback-enter"))
	r.must(second.Press("13912345678#"))
	r.heard(second, sound("queue/callback-booked"))
	r.hungUp(second)
	st, _ := r.center.QueueStatus("after-sales")
	if st.Waiting != 2 || st.WaitingCallbacks != 1 {
		t.Errorf("queue %+v, want the live caller and the call-back", st)
	}
	pending, err := r.cbs.Pending(r.ctx)
	r.must(err)
	if len(pending) != 1 || pending[0].Number != "13912345678" {
		t.Errorf("pending call-backs %+v, want one to 13912345678", pending)
	}
}
