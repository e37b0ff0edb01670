package aritest_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// TestLoadScriptedCallers runs a load of three callers, two at a time, on
// the fake clock: each hears welcome, thinks a second and presses 1 (the
// app stops welcome and plays hello-world), presses # as soon as it hears
// hello-world (the app hangs up), and counts as completed. The third
// caller dials in only once one of the first two has gone.
func TestLoadScriptedCallers(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	spec := aritest.LoadSpec{Calls: 3, Concurrency: 2, To: "4008001234", Steps: []aritest.LoadStep{
		{Hear: "sound:welcome", Think: time.Second, Press: "1"},
		{Hear: "sound:hello-world", Press: "#"},
	}}
	if err := e.emu.RunLoad(spec); err != nil {
		t.Fatal(err)
	}
	if err := e.emu.RunLoad(spec); err == nil {
		t.Error("a second load while one runs: no error")
	}

	// The load dials its callers while the app plays to others: a caller
	// may enter while the app waits for another's key, and a playback may
	// start before the next caller's StasisStart. Events of either kind
	// are taken as they come; a caller entering early waits in early.
	var early []*ari.StasisStart
	is := func(types ...string) func(ari.Event) bool {
		return func(x ari.Event) bool { return slices.Contains(types, x.GetType()) }
	}
	// app plays to n callers as the IVR would, until they are gone.
	app := func(n int) {
		play := func(ss *ari.StasisStart) {
			e.mustRest("POST", "/channels/"+ss.Channel.ID+"/play", map[string]any{"media": "sound:welcome", "playbackId": ss.Channel.ID + "-1"}, 201)
		}
		entered, started := len(early), 0
		for _, ss := range early {
			play(ss)
		}
		early = nil
		for entered < n || started < n {
			switch x := ev.next("*", is("StasisStart", "PlaybackStarted")).(type) {
			case *ari.StasisStart:
				entered++
				play(x)
			case *ari.PlaybackStarted:
				started++
			}
		}
		e.emu.Sync() // the callers have heard welcome and are thinking
		if st := e.emu.LoadStatus(); st.Active != int64(n) {
			t.Errorf("%d callers active, want %d", st.Active, n)
		}
		e.advance(999 * time.Millisecond)
		e.advance(time.Millisecond) // the think ends: each presses 1
		for gone := 0; gone < n; {
			x := ev.next("*", is("ChannelDtmfReceived", "StasisStart"))
			if ss, ok := x.(*ari.StasisStart); ok {
				early = append(early, ss)
				continue
			}
			d := x.(*ari.ChannelDtmfReceived)
			switch d.Digit {
			case "1":
				e.mustRest("DELETE", "/playbacks/"+d.Channel.ID+"-1", nil, 204)
				e.mustRest("POST", "/channels/"+d.Channel.ID+"/play", map[string]any{"media": "sound:hello-world", "playbackId": d.Channel.ID + "-2"}, 201)
			case "#":
				e.mustRest("DELETE", "/channels/"+d.Channel.ID, nil, 204)
				gone++
			default:
				t.Fatalf("pressed %q, want 1 then #", d.Digit)
			}
		}
	}
	app(2)
	app(1)
	st := e.emu.LoadStatus()
	if st.Completed != 3 || st.Failed != 0 || st.Active != 0 || st.LastError != "" {
		t.Errorf("status %+v, want 3 completed, none failed or active", st)
	}
	// A sample per key that led to a play: 1, not # (it led to a hangup).
	if st.Latencies != 3 {
		t.Errorf("%d latency samples, want 3", st.Latencies)
	}
}

// TestLoadCallerHungUpOn: a caller the IVR hangs up on before it heard
// what its script waits for fails at once, saying why.
func TestLoadCallerHungUpOn(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	spec := aritest.LoadSpec{Calls: 1, Concurrency: 1, To: "4008001234", Steps: []aritest.LoadStep{{Hear: "sound:welcome", Press: "1"}}}
	if err := e.emu.RunLoad(spec); err != nil {
		t.Fatal(err)
	}
	ss := ev.next("StasisStart", nil).(*ari.StasisStart)
	e.mustRest("DELETE", "/channels/"+ss.Channel.ID, nil, 204)
	ev.next("ChannelDestroyed", nil)
	e.emu.Sync()
	st := e.emu.LoadStatus()
	if st.Failed != 1 || !strings.Contains(st.LastError, "before hearing sound:welcome") {
		t.Errorf("status %+v, want 1 failed: hung up before hearing sound:welcome", st)
	}
}

// TestLoadRamp: with a ramp, the first callers arrive evenly spread over
// it rather than all at once.
func TestLoadRamp(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	spec := aritest.LoadSpec{Calls: 2, Concurrency: 2, To: "4008001234", Ramp: 10 * time.Second,
		Steps: []aritest.LoadStep{{Hear: "sound:welcome"}}}
	if err := e.emu.RunLoad(spec); err != nil {
		t.Fatal(err)
	}
	first := ev.next("StasisStart", nil).(*ari.StasisStart)
	// The load waits on the clock for the second arrival, the scheduler for
	// the first caller's step timeout.
	if err := e.clk.BlockUntilContext(ctxT(t), 2); err != nil {
		t.Fatal(err)
	}
	if st := e.emu.LoadStatus(); st.Started != 1 {
		t.Errorf("%d started before the ramp's second step, want 1", st.Started)
	}
	e.advance(5 * time.Second)
	second := ev.next("StasisStart", nil).(*ari.StasisStart)
	if gap := time.Time(second.Timestamp).Sub(time.Time(first.Timestamp)); gap != 5*time.Second {
		t.Errorf("second caller arrived %v after the first, want 5s", gap)
	}
	for _, ss := range []*ari.StasisStart{first, second} {
		e.mustRest("DELETE", "/channels/"+ss.Channel.ID, nil, 204)
	}
}

func TestLoadSpecRejected(t *testing.T) {
	e := newEnv(t)
	step := []aritest.LoadStep{{Hear: "sound:welcome", Press: "1"}}
	tests := []struct {
		name string
		spec aritest.LoadSpec
		want string
	}{
		{"no calls", aritest.LoadSpec{Concurrency: 1, To: "4008001234", Steps: step}, "calls > 0"},
		{"no number", aritest.LoadSpec{Calls: 1, Concurrency: 1, Steps: step}, "a number to dial"},
		{"not a key", aritest.LoadSpec{Calls: 1, Concurrency: 1, To: "4008001234",
			Steps: []aritest.LoadStep{{Hear: "sound:welcome", Press: "1x"}}}, `'x' is not a DTMF digit`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.emu.RunLoad(tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("RunLoad: got %v, want an error saying %q", err, tt.want)
			}
		})
	}
}
