package acd_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
)

// TestAnswered: the caller waits with music, the agent's phone rings, the
// agent hears the whisper while the caller hears 「工号1001为您服务」, the two
// meet in a mixing bridge that passes DTMF, and when the agent hangs up
// the caller goes on in the flow; the agent wraps up, then is ready.
func TestAnswered(t *testing.T) {
	r := newRig(t, rigOptions{queue: queue.QueueConfig{WrapUp: 30 * time.Second}})
	ep := r.agent("1001", aritest.ManualAnswer())
	next := r.nextCall(ep)
	caller := r.dial("13800000001")
	r.heard(caller, "moh:default")
	agent := next("the agent's phone ringing")
	if st := r.state("1001", queue.Reserved); st.CallID != caller.ID() {
		t.Fatalf("agent reserved for %q, want %q", st.CallID, caller.ID())
	}
	if err := agent.Answer(); err != nil {
		t.Fatal(err)
	}
	r.heard(caller, sound("std/at-your-service"))
	if !contains(caller.HeardMedia(), agentIDMedia("1001")) {
		t.Errorf("caller heard %s; want the agent ID announcement", media(caller))
	}
	r.heard(agent, sound("queues/after-sales"))
	if !contains(agent.HeardMedia(), []string{sound("agent/call-from"), sound("queues/after-sales"), sound("agent/caller-chose")}) {
		t.Errorf("agent heard %s; want the whisper with the queue and the path", media(agent))
	}
	// Bridged: one bridge, mixing with DTMF events, holding both channels.
	var bridge *ari.BridgeData
	r.until("the bridge", func() bool {
		bridge = findBridge(r, caller.ID(), agent.ID())
		return bridge != nil
	})
	if bridge.Type != "mixing" {
		t.Errorf("bridge %+v, want a mixing bridge", bridge)
	}
	st := r.state("1001", queue.OnCall)
	if st.CallID != caller.ID() {
		t.Errorf("on call with %q", st.CallID)
	}
	// dtmf_events: a key pressed in the conversation still reaches the
	// application (a plain two-party mixing bridge would swallow it).
	if err := caller.Press("5"); err != nil {
		t.Fatal(err)
	}
	r.settle()
	if err := agent.Hangup(); err != nil {
		t.Fatal(err)
	}
	r.heard(caller, sound("goodbye"))
	j := r.journey()
	if j.Outcome != ivr.OutcomeQueued {
		t.Errorf("journey outcome %q, want queued", j.Outcome)
	}
	var keys []string
	for _, ev := range j.Events {
		if ev.Kind == ivr.EventKey {
			keys = append(keys, fmt.Sprint(ev.Detail["key"]))
		}
	}
	if !slices.Contains(keys, "5") {
		t.Errorf("keys in the journey %v, want the 5 pressed while bridged", keys)
	}
	var wrapped, ready time.Time
	r.until("the wrap-up's end recorded", func() bool {
		wrapped, ready = time.Time{}, time.Time{}
		for _, c := range r.records.stateChanges() {
			if c.Agent != "1001" {
				continue
			}
			switch {
			case c.State == queue.WrapUp:
				wrapped = c.At
			case c.State == queue.Ready && !wrapped.IsZero():
				ready = c.At
			}
		}
		return !ready.IsZero()
	})
	if got := ready.Sub(wrapped); got < 30*time.Second || got > 30*time.Second+200*time.Millisecond {
		t.Errorf("wrap-up lasted %v (from %v to %v), want 30 s", got, wrapped, ready)
	}
	calls := r.records.agentCalls()
	if len(calls) != 1 || calls[0].Agent != "1001" || calls[0].EndedBy != "agent" || calls[0].CallID != caller.ID() {
		t.Errorf("agent calls recorded: %+v", calls)
	}
}

// TestAgentIDWithoutWhisper: with nothing to whisper (no prompt for the
// queue or the path), the caller still hears the agent's ID, and only
// then meets the agent.
func TestAgentIDWithoutWhisper(t *testing.T) {
	r := newRig(t, rigOptions{tune: func(c *acd.Config) {
		c.Whisper = func(string, string, []string) []string { return nil }
	}})
	ep := r.agent("1001", aritest.ManualAnswer())
	next := r.nextCall(ep)
	caller := r.dial("13800000001")
	agent := next("1001 ringing")
	r.must(agent.Answer())
	r.until("the bridge", func() bool { return findBridge(r, caller.ID(), agent.ID()) != nil })
	var announced []string
	done := true
	for _, h := range caller.Heard() {
		if slices.Contains(agentIDMedia("1001"), h.Media) {
			announced = append(announced, h.Media)
			done = done && h.State == "done"
		}
	}
	if !slices.Equal(announced, agentIDMedia("1001")) || !done {
		t.Errorf("before the bridge the caller heard %v (all played out: %v), want the whole agent ID %v",
			announced, done, agentIDMedia("1001"))
	}
}
