package aritest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/CyCoreSystems/ari/v6/ext/play"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

func TestInboundCallLifecycle(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	ctx := ctxT(t)

	caller, err := e.emu.Dial(ctx, aritest.Call{From: "13800138000", Name: "张三", To: "4008001234"})
	if err != nil {
		t.Fatal(err)
	}
	start := ev.next("StasisStart", nil).(*ari.StasisStart)
	if got, want := start.Args, []string{"4008001234"}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("StasisStart args = %v, want %v", got, want)
	}
	if got := start.Channel.Caller.Number; got != "13800138000" {
		t.Errorf("caller number = %q, want 13800138000", got)
	}
	if got := start.Channel.State; got != "Ring" {
		t.Errorf("state at StasisStart = %q, want Ring", got)
	}
	h := cl.Channel().Get(start.Key(ari.ChannelKey, start.Channel.ID))
	if err := h.Answer(); err != nil {
		t.Fatal(err)
	}
	if sc := ev.next("ChannelStateChange", nil).(*ari.ChannelStateChange); sc.Channel.State != "Up" {
		t.Errorf("state after answer = %q, want Up", sc.Channel.State)
	}
	if err := caller.Press("5#"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"5", "#"} {
		d := ev.next("ChannelDtmfReceived", nil).(*ari.ChannelDtmfReceived)
		if d.Digit != want || d.DurationMs != 100 {
			t.Errorf("DTMF = %q/%dms, want %q/100ms", d.Digit, d.DurationMs, want)
		}
	}
	if err := caller.Hangup(); err != nil {
		t.Fatal(err)
	}
	seq := ev.sequence("ChannelHangupRequest", "StasisEnd", "ChannelDestroyed")
	if hr := seq[0].(*ari.ChannelHangupRequest); hr.Cause != 16 || hr.Soft {
		t.Errorf("hangup request cause=%d soft=%v, want 16 and not soft", hr.Cause, hr.Soft)
	}
	if d := seq[2].(*ari.ChannelDestroyed); d.Cause != 16 || d.CauseTxt != "Normal Clearing" {
		t.Errorf("destroyed cause=%d %q, want 16 Normal Clearing", d.Cause, d.CauseTxt)
	}
	if sn := caller.Snapshot(); !sn.HungUp || sn.HungUpBy != "party" || sn.Cause != 16 {
		t.Errorf("caller snapshot = %+v, want hung up by party with 16", sn)
	}
	if n := e.emu.ChannelCount(); n != 0 {
		t.Errorf("channels left = %d, want 0", n)
	}
}

func TestHangupReasons(t *testing.T) {
	tests := []struct {
		reason   string
		cause    int
		causeTxt string
	}{
		{"normal", 16, "Normal Clearing"},
		{"busy", 17, "User busy"},
		{"congestion", 34, "Circuit/channel congestion"},
		{"no_answer", 19, "User alerting, no answer"},
		{"rejected", 21, "Call Rejected"},
		{"unallocated", 1, "Unallocated (unassigned) number"},
	}
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			caller, err := e.emu.Dial(ctxT(t), aritest.Call{From: "1", To: "4008001234"})
			if err != nil {
				t.Fatal(err)
			}
			ev.next("StasisStart", nil)
			e.mustRest("DELETE", "/channels/"+caller.ID()+"?reason="+tt.reason, nil, 204)
			seq := ev.sequence("ChannelHangupRequest", "StasisEnd", "ChannelDestroyed")
			if !seq[0].(*ari.ChannelHangupRequest).Soft {
				t.Errorf("hangup request by ARI not soft")
			}
			d := seq[2].(*ari.ChannelDestroyed)
			if d.Cause != tt.cause || d.CauseTxt != tt.causeTxt {
				t.Errorf("cause = %d %q, want %d %q", d.Cause, d.CauseTxt, tt.cause, tt.causeTxt)
			}
			if cause, _ := caller.WaitHangup(ctxT(t)); cause != tt.cause {
				t.Errorf("party saw cause %d, want %d", cause, tt.cause)
			}
			if by := caller.Snapshot().HungUpBy; by != "asterisk" {
				t.Errorf("hung up by %q, want asterisk", by)
			}
		})
	}
	t.Run("bad reason", func(t *testing.T) {
		caller, err := e.emu.Dial(ctxT(t), aritest.Call{From: "1", To: "4008001234"})
		if err != nil {
			t.Fatal(err)
		}
		ev.next("StasisStart", nil)
		e.mustRest("DELETE", "/channels/"+caller.ID()+"?reason=sleepy", nil, 400)
		e.mustRest("DELETE", "/channels/"+caller.ID()+"?reason_code=17", nil, 204)
		if d := ev.next("ChannelDestroyed", nil).(*ari.ChannelDestroyed); d.Cause != 17 {
			t.Errorf("reason_code cause = %d, want 17", d.Cause)
		}
	})
}

func TestCallDeclinedWithoutClient(t *testing.T) {
	e := newEnv(t)
	p, err := e.emu.Dial(ctxT(t), aritest.Call{From: "13800138000", To: "4008001234"})
	if !errors.Is(err, aritest.ErrDeclined) {
		t.Fatalf("Dial err = %v, want ErrDeclined", err)
	}
	if cause, _ := p.WaitHangup(ctxT(t)); cause != aritest.CauseCallRejected {
		t.Errorf("cause = %d, want 21 (SIP 603)", cause)
	}
	// Once a client connects, calls go through.
	cl := e.client("hotline")
	ev := watch(t, cl)
	if _, err := e.emu.Dial(ctxT(t), aritest.Call{From: "13800138000", To: "4008001234"}); err != nil {
		t.Fatalf("Dial with client: %v", err)
	}
	ev.next("StasisStart", nil)
}

func TestUnallocatedNumber(t *testing.T) {
	e := newEnv(t, func(c *aritest.Config) {
		c.Dialplan = func(ctx, exten string) (aritest.Route, bool) {
			if exten == "4008001234" {
				return aritest.Route{App: "hotline", Args: []string{exten, "zh"}}, true
			}
			return aritest.Route{}, false
		}
	})
	cl := e.client("hotline")
	ev := watch(t, cl)
	if _, err := e.emu.Dial(ctxT(t), aritest.Call{From: "1", To: "999"}); !errors.Is(err, aritest.ErrUnallocated) {
		t.Errorf("Dial 999 err = %v, want ErrUnallocated", err)
	}
	if _, err := e.emu.Dial(ctxT(t), aritest.Call{From: "1", To: "4008001234"}); err != nil {
		t.Fatal(err)
	}
	if got := ev.next("StasisStart", nil).(*ari.StasisStart).Args; len(got) != 2 || got[1] != "zh" {
		t.Errorf("args = %v, want [4008001234 zh]", got)
	}
}

// TestPromptCollectsDTMF drives ext/play's prompt: a key pressed during the
// prompt stops it (barge-in) and the digits come back.
func TestPromptCollectsDTMF(t *testing.T) {
	if raceDetector {
		// ext/play's Stop reads the cancel func its sequence's goroutine
		// writes in Play, with nothing ordering the two (a data race of the
		// library's own; ari.md lists its races): a key during the prompt
		// trips the race detector now and then. Hotline does not use
		// ext/play; this checks the emulator against it, and
		// deploy/dev/test runs it without -race.
		t.Skip("ext/play races with itself under -race; deploy/dev/test runs this test without -race")
	}
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	ctx := ctxT(t)
	caller, err := e.emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008001234"})
	if err != nil {
		t.Fatal(err)
	}
	st := ev.next("StasisStart", nil).(*ari.StasisStart)
	h := cl.Channel().Get(st.Key(ari.ChannelKey, st.Channel.ID))
	if err := h.Answer(); err != nil {
		t.Fatal(err)
	}
	type result struct {
		res *play.Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		// One key: ext/play reads the digits it collects without its lock
		// while its DTMF listener appends to them, a data race of the
		// library's own whenever a second key arrives mid-check (ari.md
		// lists its races); a single key is ordered by its channel send.
		res, err := play.Prompt(ctx, h, play.URI("sound:welcome"), play.MatchAny(), play.DigitTimeouts(10*time.Second, 10*time.Second, 30*time.Second)).Result()
		done <- result{res, err}
	}()
	if _, err := caller.WaitHeard(ctx, "sound:welcome"); err != nil {
		t.Fatal(err)
	}
	if err := caller.Press("4"); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.res.DTMF != "4" {
		t.Errorf("prompt DTMF = %q, want 4", r.res.DTMF)
	}
	heard, err := caller.Wait(ctx, func(sn aritest.Snapshot) bool { return len(sn.Heard) > 0 && sn.Heard[0].State != "playing" })
	if err != nil {
		t.Fatal(err)
	}
	if h := heard.Heard[0]; h.Media != "sound:welcome" || h.State != "stopped" {
		t.Errorf("heard %+v, want sound:welcome stopped by barge-in", h)
	}
}
