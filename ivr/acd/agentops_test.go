package acd_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
)

// connect dials a caller and puts it through to the agent on ep, who
// answers; it returns both parties once they are bridged.
func (r *rig) connect(ep *aritest.Endpoint, from string) (caller, agent *aritest.Party) {
	r.t.Helper()
	next := r.nextCall(ep)
	caller = r.dial(from)
	agent = next("the agent ringing")
	r.must(agent.Answer())
	r.until("caller and agent bridged", func() bool { return findBridge(r, caller.ID(), agent.ID()) != nil })
	return caller, agent
}

// TestHoldAndSupervise: the agent holds the caller (music, out of the
// bridge) and takes it back; a supervisor listens through a snoop on the
// agent's channel, switches to whisper, then barges in, each through a
// snoop of its own.
func TestHoldAndSupervise(t *testing.T) {
	r := newRig(t, rigOptions{})
	ep := r.agent("1001", aritest.ManualAnswer())
	boss := r.emu.AddEndpoint("PJSIP", "2001", aritest.AnswerAfter(time.Second))
	caller, agent := r.connect(ep, "13800000001")

	if err := r.acd.Unhold(r.ctx, "1001"); !errors.Is(err, acd.ErrNotHeld) {
		t.Errorf("unhold before hold: %v, want ErrNotHeld", err)
	}
	mohBefore := count(caller, "moh:default")
	r.must(r.acd.Hold(r.ctx, "1001"))
	if err := r.acd.Hold(r.ctx, "1001"); !errors.Is(err, acd.ErrHeld) {
		t.Errorf("hold twice: %v, want ErrHeld", err)
	}
	r.until("music on hold", func() bool { return count(caller, "moh:default") == mohBefore+1 })
	if findBridge(r, caller.ID(), agent.ID()) != nil {
		t.Error("the held caller is still in the bridge with the agent")
	}
	if v := r.acd.Snapshot().Calls; len(v) != 1 || !v[0].Held || v[0].Agent != "1001" {
		t.Errorf("calls %+v, want one held call of 1001", v)
	}
	r.clk.Advance(20 * time.Second)
	r.must(r.acd.Unhold(r.ctx, "1001"))
	r.until("back in the bridge", func() bool { return findBridge(r, caller.ID(), agent.ID()) != nil })

	// Listen: the supervisor's phone rings, and once answered it shares a
	// bridge with a snoop channel spying on the agent.
	next := r.nextCall(boss)
	sup, err := r.acd.Supervise(r.ctx, "1001", "PJSIP/2001", acd.Listen)
	r.must(err)
	bossParty := next("the supervisor's phone")
	var snoopBridge string
	r.until("the supervisor bridged with a snoop", func() bool {
		b := findBridge(r, bossParty.ID())
		if b == nil || len(b.ChannelIDs) != 2 || slices.Contains(b.ChannelIDs, caller.ID()) {
			return false
		}
		snoopBridge = b.ID
		return true
	})
	if findBridge(r, caller.ID(), agent.ID(), bossParty.ID()) != nil {
		t.Error("a listening supervisor sits in the conversation's bridge")
	}
	// Whisper, then barge: each a new snoop (the directions are fixed when
	// a snoop is made), never the conversation's own bridge.
	for _, mode := range []acd.Mode{acd.Whisper, acd.Barge} {
		r.must(r.acd.SetSupervision(r.ctx, sup, mode))
		r.until(string(mode)+" snoop", func() bool {
			b := findBridge(r, bossParty.ID())
			if b == nil || b.ID == snoopBridge || len(b.ChannelIDs) != 2 {
				return false
			}
			snoopBridge = b.ID
			return true
		})
		if findBridge(r, caller.ID(), agent.ID(), bossParty.ID()) != nil {
			t.Errorf("%s: the supervisor sits in the conversation's bridge", mode)
		}
	}
	r.must(r.acd.EndSupervision(r.ctx, sup))
	r.gone(bossParty)
	if err := r.acd.EndSupervision(r.ctx, sup); !errors.Is(err, acd.ErrNoSupervision) {
		t.Errorf("ending twice: %v, want ErrNoSupervision", err)
	}

	r.must(agent.Hangup())
	r.until("the agent's call recorded", func() bool { return len(r.records.agentCalls()) > 0 })
	calls := r.records.agentCalls()
	if len(calls) != 1 || calls[0].Holds != 1 || calls[0].HoldTime < 20*time.Second {
		t.Errorf("agent calls %+v, want one with a hold of 20 s", calls)
	}
}

// TestTransfers: the agent blind-transfers the caller to a ready
// colleague, who answers and is announced; that colleague transfers it to
// another queue, where a third agent takes it. Each transferring agent is
// released to wrap-up.
func TestTransfers(t *testing.T) {
	r := newRig(t, rigOptions{queue: queue.QueueConfig{WrapUp: time.Minute}})
	if err := r.center.SetQueue(queue.QueueConfig{Name: "billing", Skills: []string{"billing"}}); err != nil {
		t.Fatal(err)
	}
	ep1 := r.agent("1001", aritest.ManualAnswer())
	caller, first := r.connect(ep1, "13800000001")
	ep2 := r.agent("1002", aritest.ManualAnswer())
	if err := r.acd.TransferToAgent(r.ctx, "1002", "1001"); !errors.Is(err, acd.ErrNoCall) {
		t.Errorf("transfer by an agent without a call: %v, want ErrNoCall", err)
	}
	next := r.nextCall(ep2)
	r.must(r.acd.TransferToAgent(r.ctx, "1001", "1002"))
	r.gone(first)
	second := next("1002 ringing")
	if st, _ := r.center.Agent("1001"); st.State != queue.WrapUp {
		t.Errorf("1001 is %s after transferring, want wrap-up", st.State)
	}
	r.must(second.Answer())
	r.until("the caller hears 1002", func() bool { return contains(caller.HeardMedia(), agentIDMedia("1002")) })
	r.until("caller and 1002 bridged", func() bool { return findBridge(r, caller.ID(), second.ID()) != nil })

	ep3 := r.agent("1003", aritest.ManualAnswer(), "billing")
	next = r.nextCall(ep3)
	r.must(r.acd.TransferToQueue(r.ctx, "1002", "billing"))
	r.gone(second)
	third := next("1003 ringing for billing")
	if st := r.state("1003", queue.Reserved); st.Queue != "billing" || st.CallID != caller.ID() {
		t.Errorf("1003 reserved for %s in %s", st.CallID, st.Queue)
	}
	r.must(third.Answer())
	r.until("caller and 1003 bridged", func() bool { return findBridge(r, caller.ID(), third.ID()) != nil })
	var transfers []string
	for _, c := range r.records.agentCalls() {
		if c.EndedBy == "transfer" {
			transfers = append(transfers, c.Agent)
		}
	}
	if !slices.Equal(transfers, []string{"1001", "1002"}) {
		t.Errorf("transfers recorded by %v, want 1001 then 1002", transfers)
	}
}

// TestAgentHangupLostWithTheSocket: the agent hangs up while the events
// socket is down; after the reconnect the service finds the agent's
// channel gone, ends the conversation, and the caller goes on in the flow.
func TestAgentHangupLostWithTheSocket(t *testing.T) {
	r := newRig(t, rigOptions{backoff: 300 * time.Millisecond})
	ep := r.agent("1001", aritest.ManualAnswer())
	caller, agent := r.connect(ep, "13800000001")
	r.emu.DropClients()
	r.must(agent.Hangup()) // well within the 300 ms before the reconnect
	r.heard(caller, sound("goodbye"))
	if !r.logs.has("a queue channel vanished while ARI was disconnected") {
		t.Error("the hang-up was not found by the reconnect's reconciliation")
	}
	r.state("1001", queue.Ready)
}

// TestDispositionAtWrapUp: a queue that requires a disposition keeps the
// agent in wrap-up past its time until the agent gives the call one of
// the centre's codes; the code and the note are recorded for the call.
func TestDispositionAtWrapUp(t *testing.T) {
	r := newRig(t, rigOptions{queue: queue.QueueConfig{WrapUp: 30 * time.Second, RequireDisposition: true},
		tune: func(c *acd.Config) { c.Dispositions = []string{"usage", "network-setup"} }})
	ep := r.agent("1001", aritest.ManualAnswer())
	caller, agent := r.connect(ep, "13800000001")
	r.must(caller.Hangup())
	r.gone(agent)
	r.state("1001", queue.WrapUp)
	if err := r.acd.Ready(r.ctx, "1001"); !errors.Is(err, queue.ErrNoDisposition) {
		t.Fatalf("ready before a disposition: %v, want ErrNoDisposition", err)
	}
	if err := r.acd.SetDisposition(r.ctx, "1001", "weather", ""); !errors.Is(err, acd.ErrBadDisposition) {
		t.Fatalf("an unknown code: %v, want ErrBadDisposition", err)
	}
	r.clk.Advance(time.Minute) // past the wrap-up time: still wrapping up
	if st, _ := r.center.Agent("1001"); st.State != queue.WrapUp || !st.NeedsDisposition {
		t.Fatalf("1001 past its wrap-up time without a disposition: %+v", st)
	}
	r.must(r.acd.SetDisposition(r.ctx, "1001", "network-setup", "  router reset  "))
	r.state("1001", queue.Ready)
	r.records.mu.Lock()
	got := slices.Clone(r.records.dispositions)
	r.records.mu.Unlock()
	if len(got) != 1 || got[0].CallID != caller.ID() || got[0].Code != "network-setup" || got[0].Note != "router reset" || got[0].Agent != "1001" {
		t.Errorf("dispositions recorded %+v", got)
	}
	if err := r.acd.SetDisposition(r.ctx, "1001", "usage", ""); !errors.Is(err, queue.ErrNoCallToDispose) {
		t.Errorf("a disposition while ready: %v, want ErrNoCallToDispose", err)
	}
}

// TestSendToSurvey: the agent ends its part without hanging up on the
// caller: its phone is hung up, it goes to wrap-up, and the caller goes on
// in its flow (here a goodbye), which ends the call; the agent's part is
// recorded as ended by "survey" and the call as ended by the system, not
// the agent.
func TestSendToSurvey(t *testing.T) {
	r := newRig(t, rigOptions{queue: queue.QueueConfig{WrapUp: time.Minute}})
	ep := r.agent("1001", aritest.ManualAnswer())
	if err := r.acd.SendToSurvey(r.ctx, "1001"); !errors.Is(err, acd.ErrNoCall) {
		t.Errorf("send to survey without a call: %v, want ErrNoCall", err)
	}
	caller, agent := r.connect(ep, "13800000001")
	r.must(r.acd.SendToSurvey(r.ctx, "1001"))
	r.gone(agent)
	r.heard(caller, "sound:hotline/zh/goodbye")
	r.state("1001", queue.WrapUp)
	j := r.journey()
	if j.Outcome != ivr.OutcomeQueued || j.HungUpBy != ivr.HungUpBySystem {
		t.Errorf("journey outcome %q by %q, want queued, by the system", j.Outcome, j.HungUpBy)
	}
	calls := r.records.agentCalls()
	if len(calls) != 1 || calls[0].EndedBy != ivr.EndedBySurvey || calls[0].CallID != caller.ID() {
		t.Errorf("agent calls %+v, want one ended by survey", calls)
	}
}

// TestPhrases: a phrase plays its standard prompt to the caller and the
// call goes on; the silent-caller script plays the standards' sequence
// with its 5 s waits and then ends the call as the agent's: the caller is
// hung up by the system for the agent, with no survey.
func TestPhrases(t *testing.T) {
	r := newRig(t, rigOptions{queue: queue.QueueConfig{WrapUp: time.Minute}})
	ep := r.agent("1001", aritest.ManualAnswer())
	caller, agent := r.connect(ep, "13800000001")
	if err := r.acd.Phrase(r.ctx, "1001", "sing"); !errors.Is(err, acd.ErrUnknownPhrase) {
		t.Errorf("an unknown phrase: %v, want ErrUnknownPhrase", err)
	}
	r.must(r.acd.Phrase(r.ctx, "1001", "mandarin"))
	r.heard(caller, "sound:hotline/zh/mandarin")

	r.must(r.acd.Phrase(r.ctx, "1001", "silent"))
	if err := r.acd.Phrase(r.ctx, "1001", "noise"); !errors.Is(err, acd.ErrScriptRunning) {
		t.Errorf("a second script: %v, want ErrScriptRunning", err)
	}
	r.hungUp(caller)
	var script []aritest.Heard
	for _, h := range caller.Heard() {
		if strings.HasPrefix(h.Media, "sound:hotline/zh/silence-") {
			script = append(script, h)
		}
	}
	if len(script) != 3 || script[0].Media != "sound:hotline/zh/silence-hello" || script[2].Media != "sound:hotline/zh/silence-bye" {
		t.Fatalf("the silent-caller script played %+v", script)
	}
	for i := 1; i < 3; i++ {
		if gap := script[i].Start.Sub(script[i-1].End); gap < 5*time.Second || gap > 5*time.Second+200*time.Millisecond {
			t.Errorf("wait before %s: %v, want 5 s", script[i].Media, gap)
		}
	}
	if end := caller.Snapshot(); end.HungUpBy != "asterisk" {
		t.Errorf("the caller's end %+v, want hung up by us", end)
	}
	r.gone(agent)
	j := r.journey()
	if j.HungUpBy != ivr.HungUpByAgent || j.Outcome != ivr.OutcomeQueued {
		t.Errorf("journey outcome %q by %q, want queued, by the agent", j.Outcome, j.HungUpBy)
	}
	for _, e := range j.Events {
		if e.Kind == ivr.EventNode && e.Node == "thanks" {
			t.Errorf("the flow went on after the script: %+v", e)
		}
	}
	calls := r.records.agentCalls()
	if len(calls) != 1 || calls[0].EndedBy != ivr.EndedByScript {
		t.Errorf("agent calls %+v, want one ended by the script", calls)
	}
}
