package ivr_test

import (
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// doneHearing waits until the party heard media to its end.
func (r *rig) doneHearing(p *aritest.Party, media string) aritest.Heard {
	r.t.Helper()
	sn := r.until(p, media+" ending", func(sn aritest.Snapshot) bool {
		i := indexOf(sn.Heard, media)
		return i >= 0 && sn.Heard[i].State != "playing"
	})
	return sn.Heard[indexOf(sn.Heard, media)]
}

// TestPromptEndMissedWhileDisconnected: the events socket is down when a
// prompt ends, so its PlaybackFinished is lost. At the reconnect the engine
// asks Asterisk about the playback it waits on and the call goes on at
// once: the caller hears the menu without waiting.
func TestPromptEndMissedWhileDisconnected(t *testing.T) {
	r := newRig(t, "http://127.0.0.1:1", nil)
	p := r.dial("13800138000")
	r.heard(p, sound("zh", "demo/welcome"))
	r.cut()
	welcome := r.doneHearing(p, sound("zh", "demo/welcome"))
	if n := len(p.Heard()); n != 1 {
		t.Fatalf("heard %d prompts while disconnected, want only the welcome", n)
	}
	r.connect()
	menu := r.heard(p, sound("zh", "demo/main-menu"))
	if gap := menu.Start.Sub(welcome.End); gap > 200*time.Millisecond {
		t.Errorf("silence between the welcome and the menu: %v, want none after the reconnect", gap)
	}
	_ = p.Hangup()
	if j := r.journey(); j.Outcome != ivr.OutcomeAbandoned {
		t.Errorf("outcome %q, want abandoned", j.Outcome)
	}
}

// TestPromptEndMissedIsBounded: a PlaybackFinished that never comes (the
// socket stays down) holds the caller no longer than the prompt's length
// plus the margin: then the engine asks Asterisk, learns the playback is
// over, and goes on.
func TestPromptEndMissedIsBounded(t *testing.T) {
	r := newRig(t, "http://127.0.0.1:1", nil)
	p := r.dial("13800138000")
	r.heard(p, sound("zh", "demo/welcome"))
	r.cut()
	welcome := r.doneHearing(p, sound("zh", "demo/welcome"))
	menu := r.heard(p, sound("zh", "demo/main-menu"))
	if gap := menu.Start.Sub(welcome.End); gap > 2*time.Second+100*time.Millisecond {
		t.Errorf("the caller waited %v after the welcome, want at most the 2 s margin", gap)
	}
	r.connect()
	_ = p.Hangup()
	j := r.journey()
	var unseen bool
	for _, e := range j.Events {
		if e.Kind == ivr.EventPrompt && e.Detail["state"] == "ended_unseen" {
			unseen = true
		}
	}
	if !unseen {
		t.Error("the journey does not say the prompt's end was not seen")
	}
}

// TestCallLostWhileDisconnected: a caller who hangs up while the socket
// is down is recorded as lost by the system, ended when the socket
// dropped, not as an abandon at the reconnect.
func TestCallLostWhileDisconnected(t *testing.T) {
	r := newRig(t, "http://127.0.0.1:1", nil)
	p := r.dial("13800138000")
	r.heard(p, sound("zh", "demo/main-menu"))
	cutAt := r.clk.Now()
	r.cut()
	if err := p.Hangup(); err != nil {
		t.Fatal(err)
	}
	r.clk.Advance(time.Second)
	r.emu.Sync()
	r.connect()
	j := r.journey()
	if j.Outcome != ivr.OutcomeLost || j.HungUpBy != ivr.HungUpBySystem {
		t.Errorf("journey %s by %s, want lost by system", j.Outcome, j.HungUpBy)
	}
	if !j.Ended.Equal(cutAt) {
		t.Errorf("ended at %v, want %v (when the socket dropped)", j.Ended, cutAt)
	}
}

// TestCallLostWhileDisconnectedMidFlow: the caller hangs up while the
// socket is down and the engine, unaware, moves on to the next prompt:
// Asterisk answers 404, and the call is lost (by the system, at the
// drop), not failed with the apology.
func TestCallLostWhileDisconnectedMidFlow(t *testing.T) {
	r := newRig(t, "http://127.0.0.1:1", nil)
	p := r.dial("13800138000")
	r.heard(p, sound("zh", "demo/welcome"))
	cutAt := r.clk.Now()
	r.cut()
	if err := p.Hangup(); err != nil {
		t.Fatal(err)
	}
	// The welcome's bound passes; Asterisk says its playback is over (the
	// channel is gone) and the engine tries the menu.
	for range 600 {
		r.clk.Advance(100 * time.Millisecond)
		r.emu.Sync()
		r.quiesce(r.ctx)
		if r.engine.Active() == 0 {
			break
		}
	}
	j := r.journey()
	if j.Outcome != ivr.OutcomeLost || j.HungUpBy != ivr.HungUpBySystem || !j.Ended.Equal(cutAt) {
		t.Errorf("journey %s by %s ended %v, want lost by system at %v", j.Outcome, j.HungUpBy, j.Ended, cutAt)
	}
	r.connect()
}
