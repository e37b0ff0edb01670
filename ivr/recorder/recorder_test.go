package recorder_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/ivr/recorder"
	"github.com/hotline-ivr/hotline/recordings"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// jobs collects what the recorder hands to storage.
type jobs chan recordings.Job

func (j jobs) Enqueue(_ context.Context, job recordings.Job) error {
	j <- job
	return nil
}

// events is the handler behind the recorder: it signals connects and
// disconnects and drops every other event (no engine runs here).
type events struct {
	up, down chan struct{}
}

func (e events) Connected(context.Context) error {
	select {
	case e.up <- struct{}{}:
	default:
	}
	return nil
}

func (e events) Disconnected(error) {
	select {
	case e.down <- struct{}{}:
	default:
	}
}

func (events) Event(context.Context, ari.Event) {}

// current puts whichever recorder is current in front of the events: an
// instance replaced by another, as across a restart.
type current struct {
	h    atomic.Pointer[ivr.Handler]
	next events
}

func (c *current) set(r *recorder.Recorder) { h := r.Handler(c.next); c.h.Store(&h) }
func (c *current) Connected(ctx context.Context) error {
	return (*c.h.Load()).Connected(ctx)
}
func (c *current) Disconnected(err error)                  { (*c.h.Load()).Disconnected(err) }
func (c *current) Event(ctx context.Context, ev ari.Event) { (*c.h.Load()).Event(ctx, ev) }

type rig struct {
	t    *testing.T
	ctx  context.Context
	clk  *clockwork.FakeClock
	emu  *aritest.Server
	jobs jobs
	h    *current
}

func newRig(t *testing.T) *rig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	clk := clockwork.NewFakeClockAt(t0)
	emu, err := aritest.New(aritest.Config{Clock: clk, Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, ctx: ctx, clk: clk, emu: emu, jobs: make(jobs, 16),
		h: &current{next: events{up: make(chan struct{}, 4), down: make(chan struct{}, 4)}}}
	r.h.set(r.recorder())
	conn := ivr.NewConn(ivr.ConnConfig{URL: emu.URL(), Username: "u", Password: "p", Application: "hotline",
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = conn.Run(runCtx, r.h)
	}()
	r.wait(r.h.next.up, "the events socket")
	t.Cleanup(func() {
		stop()
		<-done
		_ = emu.Close()
		http.DefaultClient.CloseIdleConnections()
	})
	return r
}

func (r *rig) recorder() *recorder.Recorder {
	rec, err := recorder.New(recorder.Config{URL: r.emu.URL(), Username: "u", Password: "p", Application: "hotline",
		Pipeline: r.jobs, Clock: r.clk})
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { _ = rec.Flush(context.Background()) })
	return rec
}

func (r *rig) wait(ch <-chan struct{}, what string) {
	r.t.Helper()
	select {
	case <-ch:
	case <-r.ctx.Done():
		r.t.Fatalf("waiting for %s: %v", what, r.ctx.Err())
	}
}

func (r *rig) call() *aritest.Party {
	r.t.Helper()
	p, err := r.emu.Dial(r.ctx, aritest.Call{From: "13800000001", To: "4008001000"})
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

func (r *rig) advance(d time.Duration) {
	r.clk.Advance(d)
	r.emu.Sync()
}

// job waits for the next job handed to storage, moving the fake clock
// whenever the recorder waits on it.
func (r *rig) job() recordings.Job {
	r.t.Helper()
	for {
		select {
		case j := <-r.jobs:
			return j
		case <-r.ctx.Done():
			r.t.Fatal("no recording handed to storage")
		default:
		}
		ctx, cancel := context.WithTimeout(r.ctx, 50*time.Millisecond)
		if r.clk.BlockUntilContext(ctx, 1) == nil {
			r.advance(time.Second)
		}
		cancel()
	}
}

func (r *rig) file(name string) []int16 {
	r.t.Helper()
	a, err := recordings.NewAsterisk(r.emu.URL(), "u", "p", nil, 0)
	if err != nil {
		r.t.Fatal(err)
	}
	b, err := a.Download(r.ctx, name)
	if err != nil {
		r.t.Fatal(err)
	}
	s, err := media.ReadWAV(bytes.NewReader(b))
	if err != nil {
		r.t.Fatal(err)
	}
	return s
}

func request(p *aritest.Party) ivr.RecordingRequest {
	return ivr.RecordingRequest{Kind: ivr.RecordConversation, CallID: p.ID(), ChannelID: p.ID(),
		Hotline: "4008001000", Caller: "13800000001", Queue: "after-sales", AgentID: "1001"}
}

// TestMutesCompose: a PCI pause silences both sides, a hold only what the
// caller hears; resuming the pause during a hold leaves the agent side
// silent until the hold ends. Each side's file keeps the call's length.
func TestMutesCompose(t *testing.T) {
	r := newRig(t)
	rec := r.recorder()
	r.h.set(rec)
	p := r.call()
	start, err := rec.Start(r.ctx, request(p))
	if err != nil {
		t.Fatal(err)
	}
	rc := start.(*recorder.Recording)
	// What the caller hears: music on hold, all along.
	rest := ivr.NewRESTClient(ivr.ConnConfig{URL: r.emu.URL(), Username: "u", Password: "p", Application: "hotline"})
	if err := rest.Channel().MOH(ari.NewKey(ari.ChannelKey, p.ID()), "default"); err != nil {
		t.Fatal(err)
	}
	if err := p.SendTone(time.Minute, 700); err != nil {
		t.Fatal(err)
	}
	r.advance(time.Second) // 0-1: both sides
	if err := rc.Pause(r.ctx, "1001", "card"); err != nil {
		t.Fatal(err)
	}
	r.advance(time.Second) // 1-2: paused
	if err := rc.MuteAgentSide(r.ctx, true); err != nil {
		t.Fatal(err)
	}
	if err := rc.Resume(r.ctx, "1001", "done"); err != nil {
		t.Fatal(err)
	}
	r.advance(time.Second) // 2-3: held
	if err := rc.MuteAgentSide(r.ctx, false); err != nil {
		t.Fatal(err)
	}
	r.advance(time.Second) // 3-4: both sides
	if err := rc.Stop(r.ctx, "agent"); err != nil {
		t.Fatal(err)
	}
	j := r.job()
	if j.PCIPauses != 1 || j.Length() != 4*time.Second {
		t.Errorf("job %+v", j)
	}
	var kinds []string
	for _, m := range j.Markers {
		kinds = append(kinds, m.Kind+"/"+m.Actor+"/"+m.Reason)
	}
	if got := strings.Join(kinds, " "); got != "pci_pause/1001/card pci_resume/1001/done hangup/agent/" {
		t.Errorf("markers %s", got)
	}
	in, out := r.file(j.Customer), r.file(j.Agent)
	sec := media.SampleRate
	for _, c := range []struct {
		what   string
		s      []int16
		second int
		hz     float64 // 0: silent
	}{
		{"customer 0-1", in, 0, 700}, {"customer 1-2", in, 1, 0}, {"customer 2-3", in, 2, 700}, {"customer 3-4", in, 3, 700},
		{"agent side 0-1", out, 0, aritest.MOHTones[0]}, {"agent side 1-2", out, 1, 0}, {"agent side 2-3", out, 2, 0},
		{"agent side 3-4", out, 3, aritest.MOHTones[0]},
	} {
		s := c.s[c.second*sec+sec/50 : (c.second+1)*sec-sec/50]
		if c.hz == 0 && !media.IsSilent(s) || c.hz != 0 && !media.HasTone(s, c.hz) {
			t.Errorf("%s: want %v Hz (0: silence)", c.what, c.hz)
		}
	}
	if len(in) != 4*sec || len(out) != 4*sec {
		t.Errorf("sides of %d and %d samples, want %d: muting keeps the length", len(in), len(out), 4*sec)
	}
}

// TestLostRecordingFinished: the events socket is cut when the recording
// stops, so its RecordingFinished events never come; after its bounded
// wait the recorder asks Asterisk, finds the stored files and hands the
// recording over all the same.
func TestLostRecordingFinished(t *testing.T) {
	r := newRig(t)
	rec := r.recorder()
	r.h.set(rec)
	p := r.call()
	started, err := rec.Start(r.ctx, request(p))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SendTone(time.Minute, 700); err != nil {
		t.Fatal(err)
	}
	r.advance(2 * time.Second)
	var cut sync.WaitGroup
	cut.Go(func() { r.emu.CutEvents("hotline", 30*time.Second) })
	r.wait(r.h.next.down, "the events socket cut")
	if err := started.Stop(r.ctx, "caller"); err != nil {
		t.Fatal(err)
	}
	j := r.job()
	cust, ag := started.(*recorder.Recording).Names()
	if j.Customer != cust || j.Agent != ag || j.Length() != 2*time.Second || j.CallID != p.ID() {
		t.Errorf("job %+v", j)
	}
	if in := r.file(j.Customer); !media.HasTone(in, 700) || media.DurationOf(len(in)) != 2*time.Second {
		t.Errorf("the customer side's file is not the 2 s of the call")
	}
	for r.clk.Since(t0) < time.Minute {
		r.advance(5 * time.Second) // let the cut end
	}
	cut.Wait()
}

// TestRecoverAfterACrash: an instance started a recording and stopped
// without stopping it (a crash): the snoops keep recording in Asterisk.
// The instance that adopts the call finds them by the call's id, stops
// them and hands them over with the start their id carries, then records
// the rest itself.
func TestRecoverAfterACrash(t *testing.T) {
	r := newRig(t)
	old := r.recorder()
	r.h.set(old)
	p := r.call()
	r.advance(500 * time.Millisecond)
	began := r.clk.Now()
	if _, err := old.Start(r.ctx, request(p)); err != nil {
		t.Fatal(err)
	}
	if err := p.SendTone(time.Minute, 700); err != nil {
		t.Fatal(err)
	}
	r.advance(3 * time.Second)
	// The old instance is gone; the new one takes the events.
	next := r.recorder()
	r.h.set(next)
	n, err := next.Recover(r.ctx, request(p))
	if err != nil || n != 1 {
		t.Fatalf("recovered %d recordings (%v), want 1", n, err)
	}
	j := r.job()
	if !j.Start.Equal(began) || j.Length() != 3*time.Second || len(j.Markers) != 1 || j.Markers[0].Kind != "restart" {
		t.Errorf("recovered job from %s lasting %s with markers %+v; want from %s, 3s", j.Start, j.Length(), j.Markers, began)
	}
	if in := r.file(j.Customer); media.DurationOf(len(in)) != 3*time.Second || !media.HasTone(in, 700) {
		t.Errorf("the recovered customer side is not the 3 s recorded")
	}
	if n, err := next.Recover(r.ctx, request(p)); err != nil || n != 0 {
		t.Errorf("a second Recover found %d (%v), want none", n, err)
	}
	rest, err := next.Start(r.ctx, request(p))
	if err != nil {
		t.Fatal(err)
	}
	r.advance(time.Second)
	if err := rest.Stop(r.ctx, "caller"); err != nil {
		t.Fatal(err)
	}
	if j2 := r.job(); j2.ID == j.ID || j2.Length() != time.Second {
		t.Errorf("the rest of the call: %+v", j2)
	}
}
