package acd_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	ivrmedia "github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/queue"
)

// outcomes collects what OutboundRequest.Ended learns.
type outcomes struct {
	mu  sync.Mutex
	got []string
}

func (o *outcomes) ended(outcome string) {
	o.mu.Lock()
	o.got = append(o.got, outcome)
	o.mu.Unlock()
}

func (o *outcomes) list() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.got)
}

// followUp is the request of a follow-up visit by agent to number.
func followUp(agent, number string, o *outcomes) acd.OutboundRequest {
	return acd.OutboundRequest{Agent: agent, Number: number, Hotline: hotline, Ref: "followup:F20261207-000001",
		LinkedCallID: "call-original", Ended: o.ended}
}

// outboundView is the agent's outbound call as the snapshot shows it.
func (r *rig) outboundView(agent string) (acd.CallView, bool) {
	for _, c := range r.acd.Snapshot().Calls {
		if c.Agent == agent && c.Outbound {
			return c, true
		}
	}
	return acd.CallView{}, false
}

// TestDialTalks: a SIP agent calls a customer out. The agent is reserved
// at once (a second Dial is refused, and a caller who arrives meanwhile
// is not offered to it), its phone rings first, then the customer is
// dialled with the hotline's number, hears the agent's ID and is bridged
// with the agent: the recording (linked to the original call) holds each
// side's tone, hold, DTMF and a supervisor's listening work, and after the customer hangs up the
// agent wraps up and is back to ready, where the waiting caller reaches
// it.
func TestDialTalks(t *testing.T) {
	// The customer's phone rings as long as the test needs (its waits
	// move the clock, by more when the machine is busy).
	r := newRecRig(t, rigOptions{queue: queue.QueueConfig{WrapUp: 10 * time.Second},
		tune: func(c *acd.Config) { c.CallbackRingTimeout = time.Hour }}, 0)
	trunk := r.emu.AddEndpoint("PJSIP", "trunk", aritest.ManualAnswer())
	dialled := r.collect(trunk)
	ep := r.agent("1001", aritest.ManualAnswer())
	boss := r.emu.AddEndpoint("PJSIP", "2001", aritest.ManualAnswer())
	next := r.nextCall(ep)
	var o outcomes
	id, err := r.acd.Dial(r.ctx, followUp("1001", "13800000001", &o))
	r.must(err)
	if st := r.stateNow("1001", queue.Reserved); st.CallID != id {
		t.Fatalf("agent reserved for %q, want the outbound call %q", st.CallID, id)
	}
	if _, err := r.acd.Dial(r.ctx, followUp("1001", "13800000002", &o)); !errors.Is(err, acd.ErrCannotDial) {
		t.Fatalf("a second Dial while the first rings: %v, want ErrCannotDial", err)
	}
	agent := next("the agent's own phone")
	if v, ok := r.outboundView("1001"); !ok || v.Phase != acd.CallRinging || v.Ref != "followup:F20261207-000001" || v.CallID != id || v.Caller != "13800000001" {
		t.Errorf("view %+v, want the outbound call ringing", v)
	}
	if n := len(dialled.list()); n != 0 {
		t.Fatalf("the customer was dialled before the agent answered (%d calls)", n)
	}
	r.must(agent.Answer())
	caller := r.dial("13900000001")
	r.heard(caller, "moh:default")
	r.until("the customer dialled", func() bool { return len(dialled.list()) == 1 })
	customer := dialled.list()[0]
	if customer.ID() != id || customer.Dialed() != "13800000001" {
		t.Errorf("dialled %s on channel %s, want 13800000001 on %s", customer.Dialed(), customer.ID(), id)
	}
	if v, _ := r.outboundView("1001"); v.Phase != acd.CallDialing {
		t.Errorf("view %+v while the customer rings, want dialing", v)
	}
	r.must(customer.Answer())
	r.heard(customer, sound("std/at-your-service"))
	r.until("customer and agent bridged", func() bool { return findBridge(r.rig, customer.ID(), agent.ID()) != nil })
	if v, _ := r.outboundView("1001"); v.Phase != acd.CallTalking {
		t.Errorf("view %+v once bridged, want talking", v)
	}
	if !contains(customer.HeardMedia(), agentIDMedia("1001")) || contains(customer.HeardMedia(), []string{sound("queue/callback-hello")}) {
		t.Errorf("customer heard %s, want the agent's ID only", media(customer))
	}
	if st := r.stateNow("1001", queue.OnCall); st.CallID != id {
		t.Errorf("agent on %q", st.CallID)
	}
	r.must(customer.SendTone(time.Minute, callerHz))
	r.must(agent.SendTone(time.Minute, agent1Hz))
	tTalk := r.clk.Now()
	r.advance(2 * time.Second)
	r.must(r.acd.SendDTMF(r.ctx, "1001", "5"))
	r.until("the customer hearing the agent's DTMF", func() bool { return count(customer, "dtmf:5") == 1 })
	r.must(r.acd.Hold(r.ctx, "1001"))
	r.until("music on hold", func() bool { return count(customer, "moh:default") == 1 })
	r.advance(3 * time.Second)
	r.must(r.acd.Unhold(r.ctx, "1001"))
	r.until("back in the bridge", func() bool { return findBridge(r.rig, customer.ID(), agent.ID()) != nil })
	// A supervisor listens in through a snoop, as on any conversation.
	sup, err := r.acd.Supervise(r.ctx, "1001", "PJSIP/2001", acd.Listen)
	r.must(err)
	bossParty := r.nextCall(boss)("the supervisor's phone")
	r.must(bossParty.Answer())
	r.until("the supervisor bridged with a snoop", func() bool {
		b := findBridge(r.rig, bossParty.ID())
		return b != nil && len(b.ChannelIDs) == 2 && !slices.Contains(b.ChannelIDs, customer.ID())
	})
	r.must(r.acd.EndSupervision(r.ctx, sup))
	r.gone(bossParty)
	if err := r.acd.TransferToQueue(r.ctx, "1001", "after-sales"); err == nil {
		t.Error("an outbound call was transferred to a queue")
	}
	r.advance(2 * time.Second)
	if st, _ := r.center.Agent("1001"); st.State != queue.OnCall {
		t.Fatalf("agent %s while talking; the waiting caller reached it?", st.State)
	}
	r.must(customer.Hangup())
	r.gone(agent)
	r.until("the outcome", func() bool { return len(o.list()) == 1 })
	if got := o.list(); got[0] != acd.OutboundTalked {
		t.Errorf("outcome %v, want talked", got)
	}
	if st := r.stateNow("1001", queue.WrapUp); st.CallID != id {
		t.Errorf("agent wrapping up %q", st.CallID)
	}
	calls := r.agentCallsOf("1001")
	if len(calls) != 1 || calls[0].CallID != id || calls[0].EndedBy != "caller" || calls[0].Holds != 1 || calls[0].Outbound == nil {
		t.Fatalf("agent calls %+v", calls)
	}
	if ob := calls[0].Outbound; ob.Ref != "followup:F20261207-000001" || ob.LinkedCallID != "call-original" || ob.Outcome != acd.OutboundTalked ||
		ob.Number != "13800000001" || ob.Hotline != hotline || !ob.Started.Equal(t0) || ob.Answered.IsZero() {
		t.Errorf("outbound record %+v", ob)
	}
	// The state log is drained after the change: wait for it (settled,
	// the clock still).
	var changes []string
	r.until("the wrap-up in the state log", func() bool {
		changes = changes[:0]
		for _, c := range r.records.stateChanges() {
			if c.Agent == "1001" && c.CallID == id {
				changes = append(changes, c.State.String())
			}
		}
		return slices.Contains(changes, "wrap-up")
	})
	if want := []string{"ringing", "on call", "wrap-up"}; !slices.Equal(changes[:min(3, len(changes))], want) {
		t.Errorf("agent changes with the call %v, want %v", changes, want)
	}

	// After the wrap-up the agent is ready again and the caller reaches it.
	next("the waiting caller offered to the agent")
	if st := r.stateNow("1001", queue.Reserved); st.CallID != caller.ID() {
		t.Errorf("agent reserved for %q, want the waiting caller", st.CallID)
	}
	if n := len(o.list()); n != 1 {
		t.Errorf("the outcome came %d times", n)
	}

	j, ms, left, right := r.stored(id)
	if j.LinkedCallID != "call-original" || j.Caller != "13800000001" || j.AgentID != "1001" || j.Hotline != hotline {
		t.Errorf("recording %+v, want the customer's, linked to the original call", j)
	}
	findMarker(t, ms, "hold", "1001", 0)
	findMarker(t, ms, "hangup", "caller", 0)
	expect(t, "customer", span(left, j.Start, tTalk.Add(edge), tTalk.Add(2*time.Second-edge)), false, []float64{callerHz}, agent1Hz)
	expect(t, "agent side", span(right, j.Start, tTalk.Add(edge), tTalk.Add(2*time.Second-edge)), false, []float64{agent1Hz}, callerHz)
}

// TestDialNotReached: a customer who is busy, does not answer or rejects
// the call is not reached: the agent's leg ends and the agent is back in
// the state it had (ready, or not ready with its reason), the outcome says
// why, and the agent's part is recorded with it.
func TestDialNotReached(t *testing.T) {
	tests := []struct {
		name     string
		customer aritest.Behavior
		notReady string // the agent's not-ready reason before it calls; "": ready
		want     string
	}{
		{"busy", aritest.Busy(), "", acd.OutboundBusy},
		{"no answer", aritest.NeverAnswer(), "follow-ups", acd.OutboundNoAnswer},
		{"rejected", aritest.Reject(3 * time.Second), "follow-ups", acd.OutboundRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, rigOptions{tune: func(c *acd.Config) { c.CallbackRingTimeout = 20 * time.Second }})
			trunk := r.emu.AddEndpoint("PJSIP", "trunk", tt.customer)
			dialled := r.collect(trunk)
			ep := r.agent("1001", aritest.AnswerAfter(time.Second))
			if tt.notReady != "" {
				r.must(r.acd.NotReady(r.ctx, "1001", tt.notReady))
			}
			rung := r.collect(ep)
			var o outcomes
			id, err := r.acd.Dial(r.ctx, followUp("1001", "13800000001", &o))
			r.must(err)
			r.until("the outcome", func() bool { return len(o.list()) == 1 })
			if got := o.list()[0]; got != tt.want {
				t.Errorf("outcome %q, want %q", got, tt.want)
			}
			want, reason := queue.Ready, ""
			if tt.notReady != "" {
				want, reason = queue.NotReady, tt.notReady
			}
			st := r.stateNow("1001", want)
			if st.Reason != reason {
				t.Errorf("agent %s (%s), want %s (%s)", st.State, st.Reason, want, reason)
			}
			agent := rung.list()
			if len(agent) != 1 || len(dialled.list()) != 1 {
				t.Fatalf("agent rung %d times, customer dialled %d times; want once each", len(agent), len(dialled.list()))
			}
			r.gone(agent[0])
			calls := r.agentCallsOf("1001")
			if len(calls) != 1 || calls[0].CallID != id || calls[0].EndedBy != "system" || calls[0].Outbound == nil ||
				calls[0].Outbound.Outcome != tt.want || !calls[0].Outbound.Answered.IsZero() {
				t.Errorf("agent calls %+v", calls)
			}
			if _, ok := r.outboundView("1001"); ok {
				t.Error("the call is still in the snapshot")
			}
		})
	}
}

// TestDialAgentDoesNotAnswer: an agent who rejects its own call out
// (or whose phone rings out) is back as it was; nobody is dialled.
func TestDialAgentDoesNotAnswer(t *testing.T) {
	r := newRig(t, rigOptions{})
	trunk := r.emu.AddEndpoint("PJSIP", "trunk", aritest.ManualAnswer())
	dialled := r.collect(trunk)
	r.agent("1001", aritest.Reject(2*time.Second))
	r.must(r.acd.NotReady(r.ctx, "1001", "follow-ups"))
	var o outcomes
	_, err := r.acd.Dial(r.ctx, followUp("1001", "13800000001", &o))
	r.must(err)
	r.until("the outcome", func() bool { return len(o.list()) == 1 })
	if got := o.list(); got[0] != acd.OutboundAgentNoAnswer {
		t.Errorf("outcome %v", got)
	}
	if st := r.stateNow("1001", queue.NotReady); st.Reason != "follow-ups" {
		t.Errorf("agent not ready for %q, want follow-ups (not missed)", st.Reason)
	}
	if n := len(dialled.list()); n != 0 {
		t.Errorf("the customer was dialled %d times", n)
	}
	if n := len(r.agentCallsOf("1001")); n != 0 {
		t.Errorf("%d agent calls recorded for a call nobody answered", n)
	}
}

// TestDialRefused: only a logged-in agent with no call may call out.
func TestDialRefused(t *testing.T) {
	r := newRig(t, rigOptions{queue: queue.QueueConfig{WrapUp: time.Minute}})
	ep := r.agent("1001", aritest.ManualAnswer())
	var o outcomes
	if _, err := r.acd.Dial(r.ctx, followUp("1001", "138-0000", &o)); !errors.Is(err, acd.ErrBadNumber) {
		t.Errorf("a bad number: %v, want ErrBadNumber", err)
	}
	if _, err := r.acd.Dial(r.ctx, followUp("9999", "13800000001", &o)); !errors.Is(err, acd.ErrCannotDial) || !errors.Is(err, queue.ErrUnknownAgent) {
		t.Errorf("an unknown agent: %v, want ErrCannotDial (unknown agent)", err)
	}
	caller := r.dial("13900000001")
	agent := r.nextCall(ep)("the agent rung for a caller")
	if _, err := r.acd.Dial(r.ctx, followUp("1001", "13800000001", &o)); !errors.Is(err, acd.ErrCannotDial) {
		t.Errorf("ringing: %v, want ErrCannotDial", err)
	}
	r.must(agent.Answer())
	r.until("talking", func() bool { return findBridge(r, caller.ID(), agent.ID()) != nil })
	if _, err := r.acd.Dial(r.ctx, followUp("1001", "13800000001", &o)); !errors.Is(err, acd.ErrCannotDial) {
		t.Errorf("on a call: %v, want ErrCannotDial", err)
	}
	r.must(agent.Hangup())
	r.stateNow("1001", queue.WrapUp)
	if _, err := r.acd.Dial(r.ctx, followUp("1001", "13800000001", &o)); !errors.Is(err, acd.ErrCannotDial) {
		t.Errorf("in wrap-up: %v, want ErrCannotDial", err)
	}
	r.must(r.acd.Logout(r.ctx, "1001"))
	if _, err := r.acd.Dial(r.ctx, followUp("1001", "13800000001", &o)); !errors.Is(err, acd.ErrCannotDial) {
		t.Errorf("logged out: %v, want ErrCannotDial", err)
	}
	if n := len(o.list()); n != 0 {
		t.Errorf("outcomes %v for calls never made", o.list())
	}
}

// TestDialSoftphone: an agent on the browser softphone calls out: the
// call rings in its console (outbound, ringing), Answer joins the
// browser, then the customer is dialled and bridged with it; the
// softphone hears the customer. The agent hangs up from the console.
func TestDialSoftphone(t *testing.T) {
	ps := newPhones(t)
	r := newRig(t, rigOptions{tune: func(c *acd.Config) { c.Softphones = ps }})
	trunk := r.emu.AddEndpoint("PJSIP", "trunk", aritest.ManualAnswer())
	dialled := r.collect(trunk)
	p := ps.open("1001")
	r.softAgent("1001")
	var o outcomes
	id, err := r.acd.Dial(r.ctx, followUp("1001", "13800000001", &o))
	r.must(err)
	v := r.ringing("1001")
	if !v.Outbound || v.CallID != id || v.Ref != "followup:F20261207-000001" {
		t.Errorf("ringing %+v, want the outbound call", v)
	}
	if n := len(dialled.list()); n != 0 {
		t.Fatalf("the customer was dialled before the agent answered")
	}
	r.must(r.acd.Answer(r.ctx, "1001"))
	ch := r.attached(ps, "1001")
	r.until("the customer dialled", func() bool { return len(dialled.list()) == 1 })
	customer := dialled.list()[0]
	r.must(customer.Answer())
	r.talking("1001")
	if findBridge(r, customer.ID(), ch) == nil {
		t.Fatal("the customer and the softphone are not bridged")
	}
	r.must(customer.SendTone(10*time.Minute, callerTone))
	r.frames(100, p)
	if s := p.last(time.Second); !ivrmedia.HasTone(s, callerTone) {
		t.Errorf("the softphone heard RMS %.0f, 1 kHz share %.2f; want the customer", ivrmedia.RMS(s), ivrmedia.Power(s, callerTone))
	}
	r.must(r.acd.Hangup(r.ctx, "1001"))
	r.gone(customer)
	r.until("the outcome", func() bool { return len(o.list()) == 1 })
	if got := o.list(); got[0] != acd.OutboundTalked {
		t.Errorf("outcome %v", got)
	}
	if calls := r.agentCallsOf("1001"); len(calls) != 1 || calls[0].EndedBy != "agent" {
		t.Errorf("agent calls %+v, want one ended by the agent", calls)
	}
	if want := []string{"attach 1001 " + ch, "detach 1001 " + ch}; !slices.Equal(ps.calls(), want) {
		t.Errorf("softphone calls %v, want %v", ps.calls(), want)
	}
}

// TestDialAgentCancels: the agent hangs up while the customer's phone
// rings: the customer's phone stops ringing and the agent is back.
func TestDialAgentCancels(t *testing.T) {
	r := newRig(t, rigOptions{})
	trunk := r.emu.AddEndpoint("PJSIP", "trunk", aritest.ManualAnswer())
	dialled := r.collect(trunk)
	ep := r.agent("1001", aritest.ManualAnswer())
	var o outcomes
	_, err := r.acd.Dial(r.ctx, followUp("1001", "13800000001", &o))
	r.must(err)
	agent := r.nextCall(ep)("the agent's phone")
	r.must(agent.Answer())
	r.until("the customer dialled", func() bool { return len(dialled.list()) == 1 })
	r.must(agent.Hangup())
	r.gone(dialled.list()[0])
	r.until("the outcome", func() bool { return len(o.list()) == 1 })
	if got := o.list(); got[0] != acd.OutboundCancelled {
		t.Errorf("outcome %v", got)
	}
	r.stateNow("1001", queue.Ready)
}

// TestDialTwiceAtOnce: two Dials for one agent at the same moment (a
// double click) make one call: the other is refused, and the agent's
// phone rings once.
func TestDialTwiceAtOnce(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.emu.AddEndpoint("PJSIP", "trunk", aritest.ManualAnswer())
	ep := r.agent("1001", aritest.ManualAnswer())
	rung := r.collect(ep)
	var o outcomes
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for _, n := range []string{"13800000001", "13800000002"} {
		wg.Go(func() {
			_, err := r.acd.Dial(r.ctx, followUp("1001", n, &o))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	made, refused := 0, 0
	for err := range errs {
		switch {
		case err == nil:
			made++
		case errors.Is(err, acd.ErrCannotDial):
			refused++
		default:
			t.Errorf("Dial: %v", err)
		}
	}
	if made != 1 || refused != 1 {
		t.Fatalf("%d calls made, %d refused; want one of each", made, refused)
	}
	r.until("the agent's phone ringing", func() bool { return len(rung.list()) > 0 })
	r.settle()
	if n := len(rung.list()); n != 1 {
		t.Errorf("the agent's phone rang %d times", n)
	}
}
