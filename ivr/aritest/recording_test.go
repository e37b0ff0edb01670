package aritest_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/media"
)

func (e *env) wavOf(name string) []int16 {
	e.t.Helper()
	samples, err := media.ReadWAV(bytes.NewReader(e.mustRest("GET", "/recordings/stored/"+name+"/file", nil, 200)))
	if err != nil {
		e.t.Fatal(err)
	}
	return samples
}

// TestChannelRecordingPauseMute: paused time is left out, muted time is
// silent, and the file holds what the caller sent.
func TestChannelRecordingPauseMute(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	c := e.inbound(cl, ev, "1")
	e.mustRest("POST", "/channels/"+c.h.ID()+"/record?name=msg-1&format=wav&beep=true", nil, 201)
	// The beep (0.25 s) plays first; recording starts after it.
	e.advance(250 * time.Millisecond)
	started := ev.next("RecordingStarted", nil).(*ari.RecordingStarted)
	if started.Recording.State != "recording" || started.Recording.TargetURI != "channel:"+c.h.ID() {
		t.Errorf("RecordingStarted %+v", started.Recording)
	}
	if err := c.party.SendTone(3*time.Second, 500); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Second) // 1 s recorded
	e.mustRest("POST", "/recordings/live/msg-1/pause", nil, 204)
	var live struct{ State string }
	_ = json.Unmarshal(e.mustRest("GET", "/recordings/live/msg-1", nil, 200), &live)
	if live.State != "paused" {
		t.Errorf("live state %q, want paused", live.State)
	}
	e.advance(time.Second) // not recorded
	e.mustRest("DELETE", "/recordings/live/msg-1/pause", nil, 204)
	e.mustRest("POST", "/recordings/live/msg-1/mute", nil, 204)
	e.advance(500 * time.Millisecond) // recorded as silence
	e.mustRest("DELETE", "/recordings/live/msg-1/mute", nil, 204)
	e.advance(500 * time.Millisecond) // recorded tone
	e.mustRest("POST", "/recordings/live/msg-1/stop", nil, 204)
	fin := ev.next("RecordingFinished", nil).(*ari.RecordingFinished)
	if int(time.Duration(fin.Recording.Duration)/time.Second) != 2 {
		t.Errorf("duration %d, want 2 s", fin.Recording.Duration)
	}
	s := e.wavOf("msg-1")
	if got := media.DurationOf(len(s)); got != 2*time.Second {
		t.Fatalf("file length %v, want 2s (pause left out)", got)
	}
	sec := media.SampleRate
	if !media.HasTone(s[:sec], 500) {
		t.Error("first second lacks the caller's tone")
	}
	if !media.IsSilent(s[sec : sec+sec/2]) {
		t.Error("muted half second is not silent")
	}
	if !media.HasTone(s[sec+sec/2:], 500) {
		t.Error("last half second lacks the tone")
	}
	if h := c.party.Heard(); len(h) == 0 || h[0].Media != "sound:beep" {
		t.Errorf("caller did not hear the beep first: %+v", h)
	}
	e.mustRest("POST", "/recordings/live/msg-1/stop", nil, 404)
	e.mustRest("POST", "/recordings/live/msg-1/pause", nil, 404)
}

func TestRecordingStopsOnSilenceAndKeys(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		act     func(e *env, c call)
		seconds int
	}{
		{"max silence", "maxSilenceSeconds=2", func(e *env, c call) {
			_ = c.party.SendTone(time.Second, 700)
			e.advance(2999 * time.Millisecond) // sound until 1 s, silence 1.999 s
		}, 3},
		{"max duration", "maxDurationSeconds=4", func(e *env, c call) {
			_ = c.party.SendTone(10*time.Second, 700)
			e.advance(3999 * time.Millisecond)
		}, 4},
		{"terminate on #", "terminateOn=%23", func(e *env, c call) {
			e.advance(1500 * time.Millisecond)
			_ = c.party.Press("1") // not a terminator
			_ = c.party.Press("#")
		}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			cl := e.client("hotline")
			ev := watch(t, cl)
			c := e.inbound(cl, ev, "1")
			e.mustRest("POST", "/channels/"+c.h.ID()+"/record?name=r&format=wav&"+tt.query, nil, 201)
			ev.next("RecordingStarted", nil)
			tt.act(e, c)
			if tt.name != "terminate on #" {
				e.mustRest("GET", "/recordings/live/r", nil, 200) // still recording 1 ms before
				e.advance(time.Millisecond)
			}
			fin := ev.next("RecordingFinished", nil).(*ari.RecordingFinished)
			if int(time.Duration(fin.Recording.Duration)/time.Second) != tt.seconds {
				t.Errorf("duration %d, want %d", fin.Recording.Duration, tt.seconds)
			}
		})
	}
}

func TestRecordingErrorsAndStoredRecordings(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	a := e.inbound(cl, ev, "1")
	b := e.inbound(cl, ev, "2")
	id := a.h.ID()
	e.mustRest("POST", "/channels/"+id+"/record?name=x&format=mp3", nil, 422)
	e.mustRest("POST", "/channels/"+id+"/record?format=wav", nil, 400)
	e.mustRest("POST", "/channels/"+id+"/record?name=../x&format=wav", nil, 400)
	e.mustRest("POST", "/channels/nope/record?name=x&format=wav", nil, 404)

	// A bridged channel cannot be recorded on its own (409).
	br, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, "br"), "mixing", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := br.AddChannel(b.h.ID()); err != nil {
		t.Fatal(err)
	}
	e.mustRest("POST", "/channels/"+b.h.ID()+"/record?name=y&format=wav", nil, 409)

	e.mustRest("POST", "/channels/"+id+"/record?name=keep&format=wav", nil, 201)
	e.mustRest("POST", "/channels/"+id+"/record?name=keep&format=wav", nil, 409) // in progress
	ev.next("RecordingStarted", nil)
	e.advance(time.Second)
	e.mustRest("POST", "/recordings/live/keep/stop", nil, 204)
	ev.next("RecordingFinished", nil)
	e.mustRest("POST", "/channels/"+id+"/record?name=keep&format=wav&ifExists=fail", nil, 409)

	// Stored recordings: list, get, copy, delete.
	var list []struct{ Name, Format string }
	_ = json.Unmarshal(e.mustRest("GET", "/recordings/stored", nil, 200), &list)
	if len(list) != 1 || list[0].Name != "keep" || list[0].Format != "wav" {
		t.Errorf("stored = %+v, want [keep wav]", list)
	}
	e.mustRest("GET", "/recordings/stored/keep", nil, 200)
	e.mustRest("POST", "/recordings/stored/keep/copy?destinationRecordingName=copy", nil, 200)
	e.mustRest("POST", "/recordings/stored/keep/copy?destinationRecordingName=copy", nil, 409)
	if got, want := len(e.wavOf("copy")), len(e.wavOf("keep")); got != want || got != media.SampleRate {
		t.Errorf("copy has %d samples, original %d, want %d", got, want, media.SampleRate)
	}
	e.mustRest("DELETE", "/recordings/stored/copy", nil, 204)
	e.mustRest("GET", "/recordings/stored/copy", nil, 404)
	e.mustRest("GET", "/recordings/stored/copy/file", nil, 404)
	e.mustRest("DELETE", "/recordings/stored/copy", nil, 404)

	// ifExists=append adds to the stored file.
	e.mustRest("POST", "/channels/"+id+"/record?name=keep&format=wav&ifExists=append", nil, 201)
	ev.next("RecordingStarted", nil)
	e.advance(time.Second)
	e.mustRest("POST", "/recordings/live/keep/stop", nil, 204)
	ev.next("RecordingFinished", nil)
	if got := media.DurationOf(len(e.wavOf("keep"))); got != 2*time.Second {
		t.Errorf("appended length %v, want 2s", got)
	}

	// Cancel discards; nothing is stored.
	e.mustRest("POST", "/channels/"+id+"/record?name=gone&format=wav", nil, 201)
	ev.next("RecordingStarted", nil)
	e.mustRest("DELETE", "/recordings/live/gone", nil, 204)
	if fin := ev.next("RecordingFinished", nil).(*ari.RecordingFinished); fin.Recording.State != "canceled" {
		t.Errorf("cancel state %q, want canceled", fin.Recording.State)
	}
	e.mustRest("GET", "/recordings/stored/gone", nil, 404)
	e.mustRest("DELETE", "/recordings/live/gone", nil, 404)
	e.mustRest("GET", "/recordings/live/gone", nil, 404)
}

// TestRecordingFailed: a recording whose file cannot be written fails
// with RecordingFailed and a cause.
func TestRecordingFailed(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "recs")
	e := newEnv(t, func(c *aritest.Config) { c.RecordingsDir = dir })
	cl := e.client("hotline")
	ev := watch(t, cl)
	c := e.inbound(cl, ev, "1")
	e.mustRest("POST", "/channels/"+c.h.ID()+"/record?name=doomed&format=wav", nil, 201)
	ev.next("RecordingStarted", nil)
	// The folder disappears under it (a full or unmounted disk).
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Second)
	e.mustRest("POST", "/recordings/live/doomed/stop", nil, 204)
	f := ev.next("RecordingFailed", nil).(*ari.RecordingFailed)
	if f.Recording.State != "failed" || f.Recording.Cause == "" {
		t.Errorf("RecordingFailed %+v, want state failed with a cause", f.Recording)
	}
}

// TestSnoopRecording: a supervisor's snoop channel spying both ways
// records what the agent's call carries (the base of listen-in).
func TestSnoopRecording(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	cust := e.inbound(cl, ev, "1")
	snoop, err := cust.h.Snoop("snoop-1", &ari.SnoopOptions{App: "hotline", Spy: ari.DirectionBoth})
	if err != nil {
		t.Fatal(err)
	}
	st := ev.next("StasisStart", func(x ari.Event) bool { return x.(*ari.StasisStart).Channel.ID == "snoop-1" }).(*ari.StasisStart)
	if st.Channel.Name[:6] != "Snoop/" {
		t.Errorf("snoop channel name %q", st.Channel.Name)
	}
	if _, err := snoop.Record("listen", &ari.RecordingOptions{Format: "wav"}); err != nil {
		t.Fatal(err)
	}
	ev.next("RecordingStarted", nil)
	// The caller speaks, and hears a prompt: both are in a "both" snoop.
	_ = cust.party.SendTone(time.Second, 440)
	if _, err := cust.h.Play("p", "sound:hello-world"); err != nil { // 300 Hz, 1 s
		t.Fatal(err)
	}
	e.advance(time.Second)
	e.mustRest("POST", "/recordings/live/listen/stop", nil, 204)
	ev.next("RecordingFinished", nil)
	s := e.wavOf("listen")
	if !media.HasTone(s, 440) || !media.HasTone(s, 300) {
		t.Errorf("snoop recording lacks caller audio (440: %v) or prompt audio (300: %v)", media.HasTone(s, 440), media.HasTone(s, 300))
	}
	// The snoop channel ends with the channel it spies on.
	_ = cust.party.Hangup()
	ev.next("ChannelDestroyed", func(x ari.Event) bool { return x.(*ari.ChannelDestroyed).Channel.ID == "snoop-1" })
}

// TestSnoopRecordingDirections: the capture side's recording of a call, as
// Asterisk does it. Two snoop channels on the caller: spy=in records what
// the caller sends and nothing it hears, spy=out what it hears (the agent
// across the bridge, prompts, music on hold) and nothing it sends. The
// bridged caller channel itself cannot be recorded (409). A muted
// recording writes silence of the muted length; RecordingStarted carries
// the moment it started (the emulator's clock, to the millisecond); and
// the recordings end, with their files, when the caller hangs up (the
// snoops end with the channel they spy on).
func TestSnoopRecordingDirections(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	ep := e.emu.AddEndpoint("PJSIP", "1001", aritest.AnswerAfter(2*time.Second))
	cust := e.inbound(cl, ev, "1")
	ag := e.agent(cl, ev, ep)
	br, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, "b1"), "mixing", "b1")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{cust.h.ID(), ag.h.ID()} {
		if err := br.AddChannel(id); err != nil {
			t.Fatal(err)
		}
	}
	e.mustRest("POST", "/channels/"+cust.h.ID()+"/record?name=direct&format=wav", nil, 409)
	for _, spy := range []string{"in", "out"} {
		e.mustRest("POST", "/channels/"+cust.h.ID()+"/snoop/sn-"+spy+"?spy="+spy+"&app=hotline", nil, 200)
		ev.next("StasisStart", func(x ari.Event) bool { return x.(*ari.StasisStart).Channel.ID == "sn-"+spy })
	}
	var started []time.Time
	for i, spy := range []string{"in", "out"} {
		if i == 1 {
			e.advance(35 * time.Millisecond) // the second request comes a little later
		}
		e.mustRest("POST", "/channels/sn-"+spy+"/record?name=side-"+spy+"&format=wav", nil, 201)
		st := ev.next("RecordingStarted", nil).(*ari.RecordingStarted)
		if st.Recording.Name != "side-"+spy || st.Recording.TargetURI != "channel:sn-"+spy {
			t.Fatalf("RecordingStarted %+v", st.Recording)
		}
		started = append(started, time.Time(st.Timestamp))
	}
	if lead := started[1].Sub(started[0]); lead != 35*time.Millisecond {
		t.Errorf("RecordingStarted timestamps %v apart, want 35ms", lead)
	}
	if !started[0].Equal(e.clk.Now().Add(-35 * time.Millisecond)) {
		t.Errorf("first RecordingStarted at %v, want the emulator's clock %v", started[0], e.clk.Now().Add(-35*time.Millisecond))
	}
	// 1 s: the caller says 440 Hz, the agent 1400 Hz.
	_ = cust.party.SendTone(time.Second, 440)
	_ = ag.party.SendTone(time.Second, 1400)
	e.advance(time.Second)
	// 1 s: the caller is held (out of the bridge, music on hold) and the
	// agent side muted for half of it.
	if err := br.RemoveChannel(cust.h.ID()); err != nil {
		t.Fatal(err)
	}
	if err := cust.h.MOH("default"); err != nil {
		t.Fatal(err)
	}
	e.advance(500 * time.Millisecond)
	e.mustRest("POST", "/recordings/live/side-out/mute", nil, 204)
	e.advance(500 * time.Millisecond)
	e.mustRest("DELETE", "/recordings/live/side-out/mute", nil, 204)
	if err := cust.h.StopMOH(); err != nil {
		t.Fatal(err)
	}
	// 1 s: a prompt to the caller (hello-world: 300 Hz).
	if _, err := cust.h.Play("p1", "sound:hello-world"); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Second)
	_ = cust.party.Hangup()
	for range 2 {
		fin := ev.next("RecordingFinished", nil).(*ari.RecordingFinished)
		if fin.Recording.State != "done" {
			t.Errorf("RecordingFinished %+v, want done", fin.Recording)
		}
	}
	in, out := e.wavOf("side-in"), e.wavOf("side-out")
	sec := media.SampleRate
	part := func(s []int16, from, to float64) []int16 {
		return s[int(from*float64(sec)):min(len(s), int(to*float64(sec)))]
	}
	// Everything happened once both recorded: the in side, started 35 ms
	// earlier, holds it 35 ms later into its file.
	const lag = 0.035
	for _, c := range []struct {
		what    string
		s       []int16
		from    float64
		to      float64
		has     []float64
		hasNot  []float64
		silence bool
	}{
		{"in, before the out side", in, 0, lag, nil, nil, true},
		{"in, talking", in, lag, 1 + lag, []float64{440}, []float64{1400}, false},
		{"in, held", in, 1.01 + lag, 2 + lag, nil, []float64{440, 1400, 349.23}, true},
		{"in, prompt", in, 2.01 + lag, 3 + lag, nil, []float64{300}, true},
		{"out, talking", out, 0, 1, []float64{1400}, []float64{440}, false},
		{"out, music", out, 1.01, 1.5, []float64{349.23, 523.25}, []float64{1400}, false},
		{"out, muted", out, 1.5, 2, nil, nil, true},
		{"out, prompt", out, 2.01, 3, []float64{300}, []float64{349.23}, false},
	} {
		s := part(c.s, c.from, c.to)
		for _, f := range c.has {
			if !media.HasTone(s, f) {
				t.Errorf("%s: no %v Hz", c.what, f)
			}
		}
		for _, f := range c.hasNot {
			if media.HasTone(s, f) {
				t.Errorf("%s: %v Hz, which it must not hold", c.what, f)
			}
		}
		if c.silence != media.IsSilent(s) {
			t.Errorf("%s: silent %v, want %v", c.what, media.IsSilent(s), c.silence)
		}
	}
	if got, want := media.DurationOf(len(in))-media.DurationOf(len(out)), 35*time.Millisecond; got != want {
		t.Errorf("the in side is %v longer than the out side, want %v", got, want)
	}
}
