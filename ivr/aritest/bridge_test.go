package aritest_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/media"
)

// call is a caller in Stasis plus its ARI handle.
type call struct {
	party *aritest.Party
	h     *ari.ChannelHandle
}

func (e *env) inbound(cl ari.Client, ev *events, from string) call {
	e.t.Helper()
	p, err := e.emu.Dial(ctxT(e.t), aritest.Call{From: from, To: "4008001234"})
	if err != nil {
		e.t.Fatal(err)
	}
	st := ev.next("StasisStart", func(x ari.Event) bool { return x.(*ari.StasisStart).Channel.ID == p.ID() }).(*ari.StasisStart)
	h := cl.Channel().Get(st.Key(ari.ChannelKey, st.Channel.ID))
	if err := h.Answer(); err != nil {
		e.t.Fatal(err)
	}
	return call{party: p, h: h}
}

// agent originates a call to an agent phone that answers after 2 s and
// returns it once in Stasis.
func (e *env) agent(cl ari.Client, ev *events, ep *aritest.Endpoint) call {
	e.t.Helper()
	h, err := cl.Channel().Originate(nil, ari.OriginateRequest{Endpoint: "PJSIP/1001", App: "hotline", AppArgs: "agent", CallerID: `"Hotline" <4008001234>`})
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := ep.NextCall(ctxT(e.t))
	if err != nil {
		e.t.Fatal(err)
	}
	e.advance(2 * time.Second)
	ev.next("StasisStart", func(x ari.Event) bool { return x.(*ari.StasisStart).Channel.ID == h.ID() })
	return call{party: p, h: h}
}

func TestBridgeRecordingHoldsBothSides(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	ep := e.emu.AddEndpoint("PJSIP", "1001", aritest.AnswerAfter(2*time.Second))
	cust := e.inbound(cl, ev, "13800138000")
	ag := e.agent(cl, ev, ep)

	b, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, "call-1"), "mixing,dtmf_events", "call-1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []call{cust, ag} {
		if err := b.AddChannel(c.h.ID()); err != nil {
			t.Fatal(err)
		}
		ev.next("ChannelEnteredBridge", nil)
	}
	rec, err := b.Record("call-1", &ari.RecordingOptions{Format: "wav"})
	if err != nil {
		t.Fatal(err)
	}
	ev.next("RecordingStarted", nil)
	// Customer speaks (440 Hz) for 1 s, then the agent (620 Hz) for 1 s.
	if err := cust.party.SendTone(time.Second, 440); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Second)
	if err := ag.party.SendTone(time.Second, 620); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Second)
	// A digit in a dtmf_events bridge reaches the application.
	if err := cust.party.Press("1"); err != nil {
		t.Fatal(err)
	}
	ev.next("ChannelDtmfReceived", nil)
	if err := rec.Stop(); err != nil {
		t.Fatal(err)
	}
	fin := ev.next("RecordingFinished", nil).(*ari.RecordingFinished)
	if fin.Recording.State != "done" {
		t.Errorf("recording state %q, want done", fin.Recording.State)
	}
	// ari.md: the Go client cannot download; fetch the file directly.
	wav := e.mustRest("GET", "/recordings/stored/call-1/file", nil, 200)
	samples, err := media.ReadWAV(bytes.NewReader(wav))
	if err != nil {
		t.Fatal(err)
	}
	if got := media.DurationOf(len(samples)); got != 2*time.Second {
		t.Errorf("recording length %v, want 2s", got)
	}
	first, second := samples[:media.SampleRate], samples[media.SampleRate:]
	tests := []struct {
		name  string
		part  []int16
		freq  float64
		heard bool
	}{
		{"customer in first second", first, 440, true},
		{"agent not in first second", first, 620, false},
		{"agent in second second", second, 620, true},
		{"customer not in second second", second, 440, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := media.HasTone(tt.part, tt.freq); got != tt.heard {
				t.Errorf("HasTone(%v) = %v, want %v", tt.freq, got, tt.heard)
			}
		})
	}
	if err := b.Delete(); err != nil {
		t.Fatal(err)
	}
	ev.next("ChannelLeftBridge", nil)
	ev.next("ChannelLeftBridge", nil)
}

// TestDTMFInNativeBridge: a two-party mixing bridge of SIP legs goes native
// RTP on a real Asterisk and DTMF never reaches ARI; dtmf_events fixes it.
func TestDTMFInNativeBridge(t *testing.T) {
	tests := []struct {
		typ      string
		reported bool
	}{
		{"mixing", false},
		{"mixing,dtmf_events", true},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			e := newEnv(t)
			cl := e.client("hotline")
			ev := watch(t, cl)
			a := e.inbound(cl, ev, "1")
			c := e.inbound(cl, ev, "2")
			b, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, "b"), tt.typ, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range []call{a, c} {
				if err := b.AddChannel(x.h.ID()); err != nil {
					t.Fatal(err)
				}
				ev.next("ChannelEnteredBridge", nil)
			}
			if err := a.party.Press("7"); err != nil {
				t.Fatal(err)
			}
			// A marker event after the press tells us the press was processed.
			if err := c.h.SetVariable("MARK", "1"); err != nil {
				t.Fatal(err)
			}
			var got bool
			for {
				x := ev.next("*", func(ari.Event) bool { return true })
				if x.GetType() == "ChannelDtmfReceived" {
					got = true
				}
				if x.GetType() == "ChannelVarset" {
					break
				}
			}
			if got != tt.reported {
				t.Errorf("DTMF reported = %v, want %v", got, tt.reported)
			}
		})
	}
}
