package acd_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// TestCallPhases: the call's view says where it stands, from the agent's
// phone ringing through the agent ID and whisper to talking and held; an
// action before the call is bridged is ErrNoCall naming the phase, not a
// bare "no connected call".
func TestCallPhases(t *testing.T) {
	r := newRig(t, rigOptions{})
	ep := r.agent("1001", aritest.ManualAnswer())
	phase := func() acd.CallPhase {
		for _, c := range r.acd.Snapshot().Calls {
			if c.Agent == "1001" {
				return c.Phase
			}
		}
		return ""
	}
	next := r.nextCall(ep)
	r.dial("13800000001")
	agent := next("the agent ringing")
	r.until("the view says ringing", func() bool { return phase() == acd.CallRinging })
	err := r.acd.Hold(r.ctx, "1001")
	if !errors.Is(err, acd.ErrNoCall) || !strings.Contains(err.Error(), "ringing") {
		t.Errorf("hold while ringing: %v, want ErrNoCall naming the phase ringing", err)
	}

	r.must(agent.Answer())
	r.until("the view says connecting", func() bool { return phase() == acd.CallConnecting })
	err = r.acd.Hold(r.ctx, "1001")
	if !errors.Is(err, acd.ErrNoCall) || !strings.Contains(err.Error(), "connecting") || !strings.Contains(err.Error(), "whisper") {
		t.Errorf("hold during the agent ID: %v, want ErrNoCall naming the phase connecting", err)
	}
	if _, err := r.acd.Supervise(r.ctx, "1001", "PJSIP/2001", acd.Listen); !errors.Is(err, acd.ErrNoCall) || !strings.Contains(err.Error(), "connecting") {
		t.Errorf("supervise during the agent ID: %v, want ErrNoCall naming the phase connecting", err)
	}

	r.until("the view says talking", func() bool { return phase() == acd.CallTalking })
	r.must(r.acd.Hold(r.ctx, "1001"))
	if p := phase(); p != acd.CallHeld {
		t.Errorf("after hold the phase is %q, want held", p)
	}
	r.must(r.acd.Unhold(r.ctx, "1001"))
	if p := phase(); p != acd.CallTalking {
		t.Errorf("after unhold the phase is %q, want talking", p)
	}
	r.must(agent.Hangup())
	r.until("the call gone from the view", func() bool { return phase() == "" })
}
