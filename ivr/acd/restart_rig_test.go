package acd_test

import (
	"context"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/prompts"
	"github.com/hotline-ivr/hotline/ivr/recorder"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// restartRig is one emulated Asterisk and one PostgreSQL that instances
// of the ACD run against one after the other, as across an upgrade.
type restartRig struct {
	t    *testing.T
	ctx  context.Context
	clk  *clockwork.FakeClock
	emu  *aritest.Server
	url  string
	rest ari.Client
	cfg  ivr.ConnConfig
	// recorder, when set, makes each instance's conversations' recorder
	// (record_test.go); its Handler goes in front of the engine's.
	recorder func() *recorder.Recorder
	// softphones and devices, when set, are each instance's
	// Config.Softphones and its agents' devices (PJSIP/<id> otherwise).
	softphones acd.Softphones
	devices    map[string]string
}

func newRestartRig(t *testing.T) *restartRig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	sounds := t.TempDir()
	if _, err := prompts.Install(sounds); err != nil {
		t.Fatal(err)
	}
	clk := clockwork.NewFakeClockAt(t0)
	emu, err := aritest.New(aritest.Config{Clock: clk, SoundsDir: sounds, Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = emu.Close()
		http.DefaultClient.CloseIdleConnections()
	})
	cfg := ivr.ConnConfig{URL: emu.URL(), Username: "u", Password: "p", Application: "hotline",
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
	return &restartRig{t: t, ctx: ctx, clk: clk, emu: emu, url: pgtest.New(t), rest: ivr.NewRESTClient(cfg), cfg: cfg}
}

// instance is one Hotline's ACD: its center, service, LiveStore and the
// fake engine in front of which it runs.
type instance struct {
	r       *restartRig
	name    string
	center  *queue.Center
	svc     *acd.Service
	live    *store.ACDState
	records *records
	engine  *fakeEngine
	offset  int64 // events sent before it connected
	stop    func()
	stopped bool
}

// start runs an instance whose center knows the agents (logged out) and
// the after-sales queue.
func (r *restartRig) start(name string, q queue.QueueConfig, agents ...string) *instance {
	r.t.Helper()
	return r.startWith(name, q, false, agents...)
}

// startWith is start with an engine that resumes nobody when noResume.
func (r *restartRig) startWith(name string, q queue.QueueConfig, noResume bool, agents ...string) *instance {
	r.t.Helper()
	q.Name = "after-sales"
	center, err := queue.New(queue.Config{Clock: r.clk, Queues: []queue.QueueConfig{q}})
	if err != nil {
		r.t.Fatal(err)
	}
	for _, a := range agents {
		dev := "PJSIP/" + a
		if d, ok := r.devices[a]; ok {
			dev = d
		}
		if err := center.SetAgent(queue.AgentConfig{ID: a, Name: "Agent " + a, Device: dev}); err != nil {
			r.t.Fatal(err)
		}
	}
	db, err := store.Open(r.ctx, r.url, 2)
	if err != nil {
		r.t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(r.t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})).With("instance", name)
	}
	live := store.NewACDState(db, store.ACDStateConfig{Instance: "hotline-1", Logger: log,
		MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	reconcile := func(context.Context) ([]string, error) {
		d, err := r.rest.Application().Data(ari.NewKey(ari.ApplicationKey, "hotline"))
		if err != nil {
			return nil, err
		}
		return d.ChannelIDs, nil
	}
	recs := &records{}
	acfg := acd.Config{Center: center, PBX: acd.NewPBX(r.rest, "hotline"), Clock: r.clk, Records: recs,
		Instance: "hotline-1", Reconcile: reconcile, Live: live, Logger: log, AdoptWait: 10 * time.Second,
		Softphones: r.softphones}
	var rec *recorder.Recorder
	if r.recorder != nil {
		rec = r.recorder()
		acfg.Recorder = rec
	}
	svc, err := acd.New(acfg)
	if err != nil {
		r.t.Fatal(err)
	}
	in := &instance{r: r, name: name, center: center, svc: svc, live: live, records: recs, offset: r.emu.Stats().EventsSent}
	in.engine = &fakeEngine{svc: svc, rest: r.rest, calls: map[string]context.CancelFunc{}, results: map[string]enqueued{},
		noResume: noResume}
	runCtx, stop := context.WithCancel(r.ctx)
	done := make(chan error, 2)
	connected := make(chan struct{})
	go func() { done <- svc.Run(runCtx) }()
	var next ivr.Handler = in.engine
	if rec != nil {
		next = rec.Handler(in.engine)
	}
	go func() { done <- ivr.NewConn(r.cfg).Run(runCtx, signal{svc.Handler(next), connected, nil, nil}) }()
	<-connected
	<-acd.Started(svc)
	in.stop = func() {
		if in.stopped {
			return
		}
		in.stopped = true
		// As serve stops: the ACD hears it is stopping, the engine cancels
		// its calls' Enqueue, then the ACD and the connection end.
		svc.Stopping()
		in.engine.stopAll()
		stop()
		<-done
		<-done
		if rec != nil {
			if err := rec.Flush(r.ctx); err != nil {
				r.t.Errorf("%s's recordings: %v", name, err)
			}
		}
		if err := live.Close(r.ctx); err != nil {
			r.t.Errorf("closing %s's LiveStore: %v", name, err)
		}
		db.Close()
	}
	r.t.Cleanup(in.stop)
	return in
}

// settled says every event sent to the instance went through its handler
// and it has nothing in flight.
func (in *instance) settled() bool {
	return in.svc.EventsSeen() >= in.r.emu.Stats().EventsSent-in.offset && in.svc.Idle() && in.engine.starting.Load() == 0
}

// until moves the fake clock in 100 ms steps while the instance is idle,
// until cond holds.
func (in *instance) until(what string, cond func() bool) {
	in.r.t.Helper()
	for step := 0; step < 6000; step++ {
		for {
			if cond() {
				return
			}
			if in.settled() {
				break
			}
			if in.r.ctx.Err() != nil {
				in.r.t.Fatalf("%s: waiting for %s: %v", in.name, what, in.r.ctx.Err())
			}
			runtime.Gosched()
		}
		in.r.clk.Advance(100 * time.Millisecond)
		in.r.emu.Sync()
	}
	in.r.t.Fatalf("%s: %s did not happen within 600 s of call time", in.name, what)
}

func (in *instance) must(err error) {
	in.r.t.Helper()
	if err != nil {
		in.r.t.Fatal(err)
	}
}

// fakeEngine stands for the call engine: it answers each caller and hands
// it to the queue at once, and, at connect, gives back to the queue (with
// Resume) every caller the ACD says it was holding, as the engine does
// with its Resumer.
type fakeEngine struct {
	svc  *acd.Service
	rest ari.Client

	// noResume: the engine gives nobody back (it has no flow for them).
	noResume bool

	mu      sync.Mutex
	calls   map[string]context.CancelFunc
	results map[string]enqueued
	resumed []string
	wg      sync.WaitGroup
	// starting counts the Enqueues launched that have not yet reached the
	// service: the fake clock must not move on (an adopted caller's
	// AdoptWait) while the engine is still taking a caller back.
	starting atomic.Int32
}

type enqueued struct {
	res ivr.QueueResult
	err error
}

func (f *fakeEngine) Connected(ctx context.Context) error {
	d, err := f.rest.Application().Data(ari.NewKey(ari.ApplicationKey, "hotline"))
	if err != nil {
		return err
	}
	for _, id := range d.ChannelIDs {
		if strings.HasPrefix(id, "acd-") || f.running(id) {
			continue
		}
		st, ok, err := f.svc.Resumable(ctx, id)
		if err != nil || !ok || f.noResume {
			continue
		}
		f.mu.Lock()
		f.resumed = append(f.resumed, id)
		f.mu.Unlock()
		f.enqueue(ivr.QueueRequest{CallID: id, Caller: st.Caller, Hotline: st.Hotline, Language: st.Language,
			Queue: "after-sales", Path: st.Path, Vars: st.Vars, Flow: st.Flow, FlowVersion: st.FlowVersion, Node: st.Node,
			Arrived: st.QueueArrived, Resume: true})
	}
	return nil
}

func (f *fakeEngine) running(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.calls[id]
	return ok
}

func (f *fakeEngine) Event(_ context.Context, ev ari.Event) {
	switch ev := ev.(type) {
	case *ari.StasisStart:
		if strings.HasPrefix(ev.Channel.ID, "acd-") || f.running(ev.Channel.ID) {
			return
		}
		_ = f.rest.Channel().Answer(ari.NewKey(ari.ChannelKey, ev.Channel.ID))
		f.enqueue(ivr.QueueRequest{CallID: ev.Channel.ID, Caller: ev.Channel.Caller.Number, Hotline: hotline,
			Language: "zh", Queue: "after-sales", Flow: "acd-test", FlowVersion: 1, Node: "repair", Path: []string{"welcome"}})
	case *ari.StasisEnd:
		f.hungUp(ev.Channel.ID)
	case *ari.ChannelDestroyed:
		f.hungUp(ev.Channel.ID)
	}
}

func (f *fakeEngine) Disconnected(error) {}

func (f *fakeEngine) enqueue(req ivr.QueueRequest) {
	ctx, cancel := context.WithCancel(context.Background())
	f.mu.Lock()
	f.calls[req.CallID] = cancel
	f.mu.Unlock()
	f.wg.Add(1)
	f.starting.Add(1)
	go func() {
		defer f.wg.Done()
		f.starting.Add(-1)
		res, err := f.svc.Enqueue(ctx, req)
		f.mu.Lock()
		f.results[req.CallID] = enqueued{res, err}
		f.mu.Unlock()
	}()
}

func (f *fakeEngine) hungUp(id string) {
	f.mu.Lock()
	cancel := f.calls[id]
	f.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// result is how the caller's Enqueue ended, if it did.
func (f *fakeEngine) result(id string) (enqueued, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.results[id]
	return r, ok
}

// stopAll cancels every Enqueue, as the engine does while stopping, and
// waits for them.
func (f *fakeEngine) stopAll() {
	f.mu.Lock()
	for _, cancel := range f.calls {
		cancel()
	}
	f.mu.Unlock()
	f.wg.Wait()
}
