package aritest_test

import (
	"testing"
	"time"
)

// TestDeadAir: a caller hears nothing between a prompt and the music that
// follows 6 s later, and again for 5 s after the other party of its
// bridge leaves; time with music, a prompt, or someone in the bridge is
// not dead air, and the ringing before the answer counts only as long as
// it lasted.
func TestDeadAir(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	p := e.upCall(ev)
	other := e.upCall(ev)
	e.mustRest("POST", "/channels/"+p.ID()+"/play?media=sound:welcome&playbackId=pb1", nil, 201)
	e.advance(2 * time.Second) // welcome plays out
	e.advance(6 * time.Second) // nothing
	e.mustRest("POST", "/channels/"+p.ID()+"/moh", nil, 204)
	e.advance(3 * time.Second)
	e.mustRest("DELETE", "/channels/"+p.ID()+"/moh", nil, 204)
	e.mustRest("POST", "/bridges/b1?type=mixing", nil, 200)
	e.mustRest("POST", "/bridges/b1/addChannel?channel="+p.ID()+","+other.ID(), nil, 204)
	e.advance(10 * time.Second) // a conversation
	e.mustRest("POST", "/bridges/b1/removeChannel?channel="+other.ID(), nil, 204)
	e.advance(5 * time.Second) // alone in the bridge
	if err := p.Hangup(); err != nil {
		t.Fatal(err)
	}

	got := p.DeadAir(time.Second)
	want := []time.Duration{6 * time.Second, 5 * time.Second}
	if len(got) != len(want) {
		t.Fatalf("dead air %v, want gaps of %v", got, want)
	}
	for i, g := range got {
		if g.Duration() != want[i] {
			t.Errorf("gap %d lasted %s, want %s", i, g.Duration(), want[i])
		}
	}
	if at := got[0].Start.Sub(start); at != 2*time.Second {
		t.Errorf("first gap starts %s after the call, want 2s (when the prompt ended)", at)
	}
	if n := len(p.DeadAir(6 * time.Second)); n != 1 {
		t.Errorf("gaps of 6 s or more: %d, want 1", n)
	}
}
