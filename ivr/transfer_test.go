package ivr_test

import (
	"strings"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// newTrunkRig is the route flow with the engine's own transfers through
// PJSIP/%s@trunk, the emulator's trunk endpoint behaving as b.
func newTrunkRig(t *testing.T, b aritest.Behavior) (*rig, *aritest.Endpoint) {
	t.Helper()
	r := newRouteRigWith(t, func(c *ivr.EngineConfig) {
		c.Trunk = ivr.TrunkConfig{Endpoint: "PJSIP/%s@trunk", RingTimeout: 30 * time.Second}
	})
	return r, r.emu.AddEndpoint("PJSIP", "trunk", b)
}

// transferDetail is the detail of the journey's last transfer event.
func transferDetail(j *ivr.Journey) map[string]any {
	var d map[string]any
	for _, e := range j.Events {
		if e.Kind == ivr.EventTransfer {
			d = e.Detail
		}
	}
	return d
}

// TestTransferAnsweredAndBridged: the transfer node dials the number
// through the trunk; on answer caller and callee share a mixing bridge
// until the callee hangs up, which ends the call; the outcome is
// transferred.
func TestTransferAnsweredAndBridged(t *testing.T) {
	r, trunk := newTrunkRig(t, aritest.AnswerAfter(2*time.Second))
	p := r.dial("13900000000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "3")
	callee, err := trunk.NextCall(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := callee.Dialed(); got != "4008889999" {
		t.Errorf("dialled %q, want the node's number", got)
	}
	r.until(callee, "the callee answering", func(sn aritest.Snapshot) bool { return sn.State == "Up" })
	if typ := r.bridged(p); typ != "mixing" {
		t.Errorf("bridge type %q, want mixing", typ)
	}
	if err := callee.Hangup(); err != nil {
		t.Fatal(err)
	}
	r.hungUp(p)
	j := r.journey()
	if j.Outcome != ivr.OutcomeTransferred {
		t.Errorf("outcome %q, want transferred", j.Outcome)
	}
	if d := transferDetail(j); d["result"] != "answered" || d["number"] != "4008889999" {
		t.Errorf("transfer event %v", d)
	}
}

// TestTransferCallerHangsUpEndsTheCallee: the caller hanging up in the
// conversation hangs the callee up.
func TestTransferCallerHangsUpEndsTheCallee(t *testing.T) {
	r, trunk := newTrunkRig(t, aritest.AnswerAfter(0))
	p := r.dial("13900000000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "3")
	callee, err := trunk.NextCall(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.until(callee, "the callee answering", func(sn aritest.Snapshot) bool { return sn.State == "Up" })
	r.bridged(p)
	_ = p.Hangup()
	if _, err := callee.WaitHangup(r.ctx); err != nil {
		t.Fatal(err)
	}
	if j := r.journey(); j.Outcome != ivr.OutcomeTransferred || j.HungUpBy != ivr.HungUpByCaller {
		t.Errorf("journey %s by %s, want transferred by the caller: %+v", j.Outcome, j.HungUpBy, j.Events)
	}
}

// TestTransferFailures: a number that never answers (rings out at the
// node's timeout) or is busy takes the node's on_fail, with the cause in
// the journey; the caller is not left in silence.
func TestTransferFailures(t *testing.T) {
	for _, tt := range []struct {
		name    string
		b       aritest.Behavior
		offline bool
		cause   string
	}{
		{"never answers", aritest.NeverAnswer(), false, "noanswer"},
		{"busy", aritest.Busy(), false, "busy"},
		{"rejects", aritest.Reject(time.Second), false, "busy"},
		{"unreachable", aritest.AnswerAfter(0), true, "chanunavail"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, trunk := newTrunkRig(t, tt.b)
			if tt.offline {
				trunk.Unregister()
			}
			p := r.dial("13900000000")
			r.heard(p, sound("zh", "demo/main-menu"))
			pressed := r.clk.Now()
			r.press(p, "3")
			if !tt.offline {
				if _, err := trunk.NextCall(r.ctx); err != nil {
					t.Fatal(err)
				}
			}
			leave := r.heard(p, sound("zh", "message/leave"))
			waited := leave.Start.Sub(pressed)
			if tt.cause == "noanswer" && (waited < 20*time.Second || waited > 21*time.Second) {
				t.Errorf("the caller waited %v for a number that never answers, want the node's 20 s", waited)
			}
			_ = p.Hangup()
			j := r.journey()
			d := transferDetail(j)
			if e, _ := d["error"].(string); !strings.Contains(strings.ToLower(e), tt.cause) {
				t.Errorf("transfer event %v, want an error naming %q", d, tt.cause)
			}
			if j.Outcome == ivr.OutcomeTransferred {
				t.Errorf("a failed transfer recorded as %q", j.Outcome)
			}
		})
	}
}

// bridged waits, without moving time, until the caller and the far end of
// its transfer share their bridge, and returns the bridge's type.
func (r *rig) bridged(p *aritest.Party) string {
	r.t.Helper()
	rest := ivr.NewRESTClient(r.connCfg)
	for {
		d, err := rest.Bridge().Data(ari.NewKey(ari.BridgeKey, "xfer-"+p.ID()))
		if err == nil && len(d.ChannelIDs) == 2 {
			return d.Type
		}
		if r.ctx.Err() != nil {
			r.t.Fatalf("caller and callee never shared a bridge: %v", err)
		}
		r.settle()
	}
}

// TestTransferCallerHangsUpWhileRinging: a caller who gives up while the
// number rings ends the far end's channel too.
func TestTransferCallerHangsUpWhileRinging(t *testing.T) {
	r, trunk := newTrunkRig(t, aritest.NeverAnswer())
	p := r.dial("13900000000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "3")
	callee, err := trunk.NextCall(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.settle()
	_ = p.Hangup()
	if _, err := callee.WaitHangup(r.ctx); err != nil {
		t.Fatal(err)
	}
	if j := r.journey(); j.Outcome != ivr.OutcomeAbandoned || j.HungUpBy != ivr.HungUpByCaller {
		t.Errorf("journey %s by %s, want abandoned by the caller", j.Outcome, j.HungUpBy)
	}
}
