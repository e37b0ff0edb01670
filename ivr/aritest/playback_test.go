package aritest_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/jonboulle/clockwork"
)

// TestPlaybackLastsAsLongAsItsFile: a 1 s prompt finishes exactly 1 s of
// emulated time after it starts, not before.
func TestPlaybackLastsAsLongAsItsFile(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	c := e.inbound(cl, ev, "1")
	pb, err := c.h.Play("pb-1", "sound:hello-world")
	if err != nil {
		t.Fatal(err)
	}
	if ps := ev.next("PlaybackStarted", nil).(*ari.PlaybackStarted); ps.Playback.State != "playing" || ps.Playback.TargetURI != "channel:"+c.h.ID() {
		t.Errorf("PlaybackStarted = %+v", ps.Playback)
	}
	e.advance(999 * time.Millisecond)
	if d, err := pb.Data(); err != nil || d.State != "playing" {
		t.Fatalf("after 999ms: %v %v, want playing", d, err)
	}
	e.advance(time.Millisecond)
	if pf := ev.next("PlaybackFinished", nil).(*ari.PlaybackFinished); pf.Playback.State != "done" {
		t.Errorf("finished state %q, want done", pf.Playback.State)
	}
	h := c.party.Heard()
	if len(h) != 1 || h[0].State != "done" || h[0].End.Sub(h[0].Start) != time.Second {
		t.Errorf("heard %+v, want one 1s done entry", h)
	}
	e.mustRest("GET", "/playbacks/pb-1", nil, 404)
}

func TestPlaybackLanguageAndSequence(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	c := e.inbound(cl, ev, "1")
	// zh/hello-world is 1.5 s; digits 1,2 are 0.3 s each.
	b := e.mustRest("POST", "/channels/"+c.h.ID()+"/play?lang=zh&media=sound:hello-world,digits:12", nil, 201)
	var pb struct{ ID, State string }
	_ = json.Unmarshal(b, &pb)
	if pb.State != "queued" {
		t.Errorf("play answered state %q, want queued", pb.State)
	}
	ev.next("PlaybackStarted", nil)
	e.advance(1500 * time.Millisecond)
	// As playback_final_update and playback_first_update publish them: the
	// item that ended continues to the next, which then starts.
	cont := ev.next("PlaybackContinuing", nil).(*ari.PlaybackContinuing)
	if cont.Playback.MediaURI != "sound:hello-world" {
		t.Errorf("continuing media %q, want sound:hello-world (the item that ended)", cont.Playback.MediaURI)
	}
	if next := ev.next("PlaybackStarted", nil).(*ari.PlaybackStarted); next.Playback.MediaURI != "digits:12" {
		t.Errorf("second PlaybackStarted media %q, want digits:12", next.Playback.MediaURI)
	}
	e.advance(599 * time.Millisecond)
	if st := playbackState(e, pb.ID); st != "playing" {
		t.Errorf("1 ms before the end: state %q, want playing", st)
	}
	e.advance(time.Millisecond)
	ev.next("PlaybackFinished", nil)
	if got := c.party.HeardMedia(); len(got) != 2 || got[0] != "sound:hello-world" || got[1] != "digits:12" {
		t.Errorf("heard %v", got)
	}
	if lang := c.party.Heard()[0].Language; lang != "zh" {
		t.Errorf("language %q, want zh", lang)
	}
}

func TestPlaybackMissingSoundFails(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	c := e.inbound(cl, ev, "1")
	if _, err := c.h.Play("pb-x", "sound:no-such-prompt"); err != nil {
		t.Fatal(err)
	}
	ev.next("PlaybackStarted", nil)
	if pf := ev.next("PlaybackFinished", nil).(*ari.PlaybackFinished); pf.Playback.State != "failed" {
		t.Errorf("state %q, want failed", pf.Playback.State)
	}
	if h := c.party.Heard(); len(h) != 1 || h[0].State != "failed" {
		t.Errorf("heard %+v, want one failed entry", h)
	}
}

// TestPlaybackStopAndQueue: DELETE stops a playback early; a second play
// waits in the queue and starts when the first ends; control pauses.
func TestPlaybackStopAndQueue(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	c := e.inbound(cl, ev, "1")
	e.mustRest("POST", "/channels/"+c.h.ID()+"/play/first?media=sound:welcome", nil, 201)
	e.mustRest("POST", "/channels/"+c.h.ID()+"/play/second?media=sound:hello-world", nil, 201)
	ev.next("PlaybackStarted", nil)
	var q struct{ State string }
	_ = json.Unmarshal(e.mustRest("GET", "/playbacks/second", nil, 200), &q)
	if q.State != "queued" {
		t.Errorf("second state %q, want queued", q.State)
	}
	e.advance(500 * time.Millisecond)
	e.mustRest("POST", "/playbacks/first/control?operation=pause", nil, 204)
	e.advance(10 * time.Second)
	if st := playbackState(e, "first"); st != "playing" {
		t.Errorf("paused playback: state %q, want playing (not finished)", st)
	}
	e.mustRest("POST", "/playbacks/first/control?operation=unpause", nil, 204)
	e.mustRest("POST", "/playbacks/first/control?operation=jump", nil, 400)
	e.mustRest("DELETE", "/playbacks/first", nil, 204)
	if pf := ev.next("PlaybackFinished", nil).(*ari.PlaybackFinished); pf.Playback.ID != "first" {
		t.Errorf("finished %q, want first", pf.Playback.ID)
	}
	if ps := ev.next("PlaybackStarted", nil).(*ari.PlaybackStarted); ps.Playback.ID != "second" {
		t.Errorf("started %q, want second", ps.Playback.ID)
	}
	e.advance(time.Second)
	ev.next("PlaybackFinished", nil)
	h := c.party.Heard()
	if len(h) != 2 || h[0].State != "stopped" || h[1].State != "done" {
		t.Errorf("heard %+v, want first stopped, second done", h)
	}
	e.mustRest("DELETE", "/playbacks/first", nil, 404)
	e.mustRest("POST", "/playbacks/first/control?operation=pause", nil, 404)
}

// TestBridgePlayback: everyone in the bridge hears a bridge playback.
func TestBridgePlayback(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	a := e.inbound(cl, ev, "1")
	b2 := e.inbound(cl, ev, "2")
	br, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, "conf"), "mixing", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []call{a, b2} {
		if err := br.AddChannel(c.h.ID()); err != nil {
			t.Fatal(err)
		}
	}
	e.mustRest("POST", "/bridges/conf/play?media=sound:beep", nil, 201)
	e.mustRest("POST", "/bridges/conf/play/ann-2?media=number:120", nil, 201)
	e.advance(250 * time.Millisecond)
	// number:120 = digits/hundred? no: "one hundred twenty" = digits/1 digits/hundred digits/20.
	e.advance(time.Second)
	for _, c := range []call{a, b2} {
		if got := c.party.HeardMedia(); len(got) != 2 || got[0] != "sound:beep" || got[1] != "number:120" {
			t.Errorf("%s heard %v", c.party.Name(), got)
		}
	}
	e.mustRest("POST", "/bridges/conf/moh?mohClass=default", nil, 204)
	e.mustRest("DELETE", "/bridges/conf/moh", nil, 204)
	e.mustRest("POST", "/bridges/nope/play?media=sound:beep", nil, 404)
}

// TestChannelLanguagePicksSounds: setting CHANNEL(language) makes later
// playbacks use that language's folder, as on Asterisk.
func TestChannelLanguagePicksSounds(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	c := e.inbound(cl, ev, "1")
	if err := c.h.SetVariable("CHANNEL(language)", "zh"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.h.Play("zh-1", "sound:hello-world"); err != nil {
		t.Fatal(err)
	}
	ev.next("PlaybackStarted", nil)
	e.advance(time.Second) // en/hello-world would end here; zh lasts 1.5 s
	if st := playbackState(e, "zh-1"); st != "playing" {
		t.Errorf("after 1 s: state %q, want playing", st)
	}
	e.advance(500 * time.Millisecond)
	if pf := ev.next("PlaybackFinished", nil).(*ari.PlaybackFinished); pf.Playback.Language != "zh" {
		t.Errorf("playback language %q, want zh", pf.Playback.Language)
	}
}

// playbackState reads a playback's state over REST ("" once it is gone).
func playbackState(e *env, id string) string {
	e.t.Helper()
	code, b := e.rest("GET", "/playbacks/"+id, nil)
	if code == 404 {
		return ""
	}
	var p struct{ State string }
	_ = json.Unmarshal(b, &p)
	return p.State
}

// clockMovingWriter records an answer and moves the fake clock as soon as
// the answer is flushed, as a test's clock may move between a REST answer
// and what follows it.
type clockMovingWriter struct {
	*httptest.ResponseRecorder
	clk *clockwork.FakeClock
	by  time.Duration
}

func (w *clockMovingWriter) Flush() {
	w.ResponseRecorder.Flush()
	w.clk.Advance(w.by)
}

// TestAfterWorkAtRequestInstant: what follows a REST answer (here the
// playback's start) happens at the request's instant of emulated time,
// even when a fake clock moved between the answer and that work.
func TestAfterWorkAtRequestInstant(t *testing.T) {
	e := newEnv(t)
	ws := e.rawEvents("hotline")
	p := e.dialRaw(ws, "13800138000")
	asked := e.clk.Now()
	req := httptest.NewRequest("POST", "/ari/channels/"+p.ID()+"/play?media=sound:welcome&playbackId=pb-1", nil)
	req.SetBasicAuth(testUser, testPass)
	w := &clockMovingWriter{ResponseRecorder: httptest.NewRecorder(), clk: e.clk, by: 500 * time.Millisecond}
	e.emu.ServeHTTP(w, req)
	if w.Code != 201 {
		t.Fatalf("play: %d %s", w.Code, w.Body)
	}
	started, _ := ws.until("PlaybackStarted", nil)
	if want := asked.Format("2006-01-02T15:04:05.000-0700"); started["timestamp"] != want {
		t.Errorf("PlaybackStarted at %v, want the request's instant %s", started["timestamp"], want)
	}
	if h := p.Heard(); len(h) != 1 || !h[0].Start.Equal(asked) {
		t.Fatalf("heard %+v, want welcome from %v", h, asked)
	}
	e.advance(2*time.Second - 500*time.Millisecond) // welcome lasts 2 s from the request
	finished, _ := ws.until("PlaybackFinished", nil)
	if want := asked.Add(2 * time.Second).Format("2006-01-02T15:04:05.000-0700"); finished["timestamp"] != want {
		t.Errorf("PlaybackFinished at %v, want %s", finished["timestamp"], want)
	}
}
