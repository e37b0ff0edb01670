package acd_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/prompts"
	"github.com/hotline-ivr/hotline/ivr/recorder"
	"github.com/hotline-ivr/hotline/queue"
)

// testFlow sends callers to the after-sales queue, VIPs with priority;
// after the agent, a goodbye.
const testFlow = `
flow: acd-test
numbers: ["4008001000"]
languages: [zh, en]
lists:
  vip: ["13900000009"]
prompts:
  welcome: {zh: hotline/zh/demo/welcome, en: hotline/en/demo/welcome}
start: welcome
nodes:
  welcome:
    play: {prompts: [welcome], next: route}
  route:
    branch:
      when:
        - {caller_in: vip, goto: vip}
      default: repair
  repair:
    queue: {name: after-sales, priority: 0, next: thanks, on_fail: sorry}
  vip:
    queue: {name: after-sales, priority: 10, next: thanks, on_fail: sorry}
  thanks:
    hangup: {prompts: [goodbye]}
  sorry:
    hangup: {prompts: [sorry]}
`

const (
	hotline = "4008001000"
	vip     = "13900000009" // a caller on the VIP list
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// rig is the engine and the ACD service against an emulator on a fake
// clock, with a real queue.Center and agents on SIP endpoints.
type rig struct {
	t        *testing.T
	ctx      context.Context
	clk      *clockwork.FakeClock
	emu      *aritest.Server
	engine   *ivr.Engine
	acd      *acd.Service
	center   *queue.Center
	ari      ari.Client
	journeys chan *ivr.Journey
	records  *records
	cbs      *acd.MemoryCallbacks
	logs     *logLines
	down     chan struct{} // a value each time the events socket closes
	ups      chan struct{} // a value each time the handler is connected (reconnects too)
	// kill stops the ACD and its events connection at once, as when its
	// process dies: nothing is drained or hung up (its calls' sessions
	// live on, unheard); the cleanup drains them.
	kill func()
}

// logLines keeps the service's log messages (and prints them with -v).
type logLines struct {
	mu   sync.Mutex
	msgs []string
	out  slog.Handler
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) Handle(ctx context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.mu.Unlock()
	if l.out != nil {
		return l.out.Handle(ctx, r)
	}
	return nil
}
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logLines) WithGroup(string) slog.Handler      { return l }

func (l *logLines) has(msg string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Contains(l.msgs, msg)
}

type sink chan *ivr.Journey

func (s sink) RecordJourney(_ context.Context, j *ivr.Journey) { s <- j }

// records keeps what the service hands to the call records.
type records struct {
	mu     sync.Mutex
	states []queue.AgentStateChange
	calls  []acd.AgentCall

	dispositions []acd.Disposition
}

func (r *records) AgentStateChanges(c []queue.AgentStateChange) {
	r.mu.Lock()
	r.states = append(r.states, c...)
	r.mu.Unlock()
}

func (r *records) AgentCall(c acd.AgentCall) {
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
}

func (r *records) Disposition(d acd.Disposition) {
	r.mu.Lock()
	r.dispositions = append(r.dispositions, d)
	r.mu.Unlock()
}

func (r *records) stateChanges() []queue.AgentStateChange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]queue.AgentStateChange(nil), r.states...)
}

func (r *records) agentCalls() []acd.AgentCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]acd.AgentCall(nil), r.calls...)
}

type rigOptions struct {
	queue   queue.QueueConfig
	agents  []queue.AgentConfig
	tune    func(*acd.Config)
	backoff time.Duration // before reconnecting the events socket (default 10 ms)
	// record, when set, makes the conversations' recorder (see
	// record_test.go) for the emulator at url; its Handler goes in front
	// of the engine's.
	record func(url string, clk *clockwork.FakeClock) *recorder.Recorder
	// clock, when set, is the rig's (two rigs of one centre share one);
	// shared makes the Center route through a shared router (shared_test.go).
	clock  *clockwork.FakeClock
	shared bool
	// timeout bounds the rig's life, a guard against a test that hangs
	// (default 90 s; a stress test's length follows the machine's load).
	timeout time.Duration
	// systemName is the emulated Asterisk's systemname (its channel IDs'
	// prefix): two of one centre each have their own.
	systemName string
}

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	if o.timeout == 0 {
		o.timeout = 90 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	t.Cleanup(cancel)
	sounds := t.TempDir()
	if _, err := prompts.Install(sounds); err != nil {
		t.Fatal(err)
	}
	clk := o.clock
	if clk == nil {
		clk = clockwork.NewFakeClockAt(t0)
	}
	emu, err := aritest.New(aritest.Config{Clock: clk, SoundsDir: sounds, Username: "u", Password: "p", SystemName: o.systemName})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	var reg callflow.Registry
	if _, err := reg.Load(map[string][]byte{"acd.yaml": []byte(testFlow)}); err != nil {
		t.Fatal(err)
	}
	if o.queue.Name == "" {
		o.queue.Name = "after-sales"
	}
	center, err := queue.New(queue.Config{Clock: clk, Queues: []queue.QueueConfig{o.queue}, SharedRouting: o.shared})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range o.agents {
		if err := center.SetAgent(a); err != nil {
			t.Fatal(err)
		}
	}
	cfg := ivr.ConnConfig{URL: emu.URL(), Username: "u", Password: "p", Application: "hotline",
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
	if o.backoff > 0 {
		cfg.MinBackoff, cfg.MaxBackoff = o.backoff, o.backoff
	}
	cl := ivr.NewRESTClient(cfg)
	reconcile := func(context.Context) ([]string, error) {
		d, err := cl.Application().Data(ari.NewKey(ari.ApplicationKey, "hotline"))
		if err != nil {
			return nil, err
		}
		return d.ChannelIDs, nil
	}
	recs := &records{}
	cbs := acd.NewMemoryCallbacks(clk)
	acfg := acd.Config{Center: center, PBX: acd.NewPBX(cl, "hotline"), Clock: clk, Records: recs,
		Callbacks: cbs, CallerID: hotline, Instance: "test", Reconcile: reconcile}
	logs := &logLines{}
	acfg.Logger = slog.New(logs)
	if testing.Verbose() {
		logs.out = slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	var rec *recorder.Recorder
	if o.record != nil {
		rec = o.record(emu.URL(), clk)
		acfg.Recorder = rec
	}
	if o.tune != nil {
		o.tune(&acfg)
	}
	svc, err := acd.New(acfg)
	if err != nil {
		t.Fatal(err)
	}
	journeys := make(sink, 4096) // room for every call a test leaves up at its end
	engine := ivr.NewEngine(ivr.EngineConfig{Flows: &reg, Media: ivr.NewMedia(cl), Queues: svc, Journeys: journeys, Clock: clk, Reconcile: reconcile})
	conn := ivr.NewConn(cfg)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 2)
	connected := make(chan struct{})
	down := make(chan struct{}, 16)
	ups := make(chan struct{}, 16)
	go func() { done <- svc.Run(runCtx) }()
	var next ivr.Handler = engine
	if rec != nil {
		next = rec.Handler(engine)
	}
	go func() { done <- conn.Run(runCtx, signal{svc.Handler(next), connected, down, ups}) }()
	<-connected
	<-acd.Started(svc) // Run may not have begun yet on a loaded machine: Dial would refuse
	var killed sync.Once
	kill := func() { killed.Do(func() { stop(); <-done; <-done }) }
	t.Cleanup(func() {
		// Calls still up end now: the drain cancels them at once.
		now, cancelNow := context.WithCancel(ctx)
		cancelNow()
		_ = engine.Drain(now)
		kill()
		if rec != nil {
			_ = rec.Flush(ctx)
		}
		_ = emu.Close()
		http.DefaultClient.CloseIdleConnections()
	})
	return &rig{t: t, ctx: ctx, clk: clk, emu: emu, engine: engine, acd: svc, center: center, ari: cl,
		journeys: journeys, records: recs, cbs: cbs, logs: logs, down: down, ups: ups, kill: kill}
}

// signal tells the test once the handler is connected.
type signal struct {
	ivr.Handler
	up   chan struct{}
	down chan struct{} // nil: not told
	ups  chan struct{} // nil: not told
}

func (s signal) Disconnected(err error) {
	s.Handler.Disconnected(err)
	if s.down != nil {
		select {
		case s.down <- struct{}{}:
		default:
		}
	}
}

func (s signal) Connected(ctx context.Context) error {
	defer func() {
		select {
		case <-s.up:
		default:
			close(s.up)
		}
		if s.ups != nil {
			select {
			case s.ups <- struct{}{}:
			default:
			}
		}
	}()
	return s.Handler.Connected(ctx)
}

// agent adds an agent on a SIP endpoint with a behaviour, logged in and
// ready.
func (r *rig) agent(id string, b aritest.Behavior, skills ...string) *aritest.Endpoint {
	r.t.Helper()
	sk := map[string]int{}
	for _, s := range skills {
		sk[s] = 5
	}
	if err := r.center.SetAgent(queue.AgentConfig{ID: id, Name: "Agent " + id, Device: "PJSIP/" + id, Skills: sk}); err != nil {
		r.t.Fatal(err)
	}
	ep := r.emu.AddEndpoint("PJSIP", id, b)
	r.must(r.acd.Login(r.ctx, id))
	r.must(r.acd.Ready(r.ctx, id))
	return ep
}

func (r *rig) must(err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatal(err)
	}
}

// dial places a call to the hotline.
func (r *rig) dial(from string) *aritest.Party {
	r.t.Helper()
	p, err := r.emu.Dial(r.ctx, aritest.Call{From: from, To: hotline, Language: "zh"})
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

// settle waits until every event the emulator sent went through the
// handler and the service has handled all it was given, so nothing is in
// flight when time moves. The emulator's work that follows an answer (a
// playback's start) comes after the service went idle: Sync waits for it,
// and what it sent is waited for in turn.
func (r *rig) settle() {
	r.t.Helper()
	for {
		for r.acd.EventsSeen() < r.emu.Stats().EventsSent || !r.acd.Idle() {
			if r.ctx.Err() != nil {
				r.t.Fatalf("the handler saw %d events of %d sent", r.acd.EventsSeen(), r.emu.Stats().EventsSent)
			}
			runtime.Gosched()
		}
		r.emu.Sync()
		if r.acd.EventsSeen() >= r.emu.Stats().EventsSent && r.acd.Idle() {
			return
		}
	}
}

// until moves the fake clock in 100 ms steps, each only once something
// waits on the clock and the events socket is drained, until cond holds.
func (r *rig) until(what string, cond func() bool) {
	r.t.Helper()
	for step := 0; step < 6000; step++ {
		if r.waitBriefly(what, cond) {
			return
		}
		r.settle()
		if cond() {
			return
		}
		r.clk.Advance(100 * time.Millisecond)
		r.emu.Sync()
	}
	r.t.Fatalf("%s did not happen within 600 s of call time", what)
}

// waitBriefly gives cond a chance to come true without time moving: it
// returns when cond holds or once something is blocked on the clock and
// the handler has caught up.
func (r *rig) waitBriefly(what string, cond func() bool) bool {
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	blocked := make(chan struct{})
	go func() {
		defer close(blocked)
		_ = r.clk.BlockUntilContext(ctx, 1)
	}()
	for {
		if cond() {
			return true
		}
		select {
		case <-blocked:
			return cond()
		case <-r.ctx.Done():
			r.t.Fatalf("waiting for %s with nothing on the clock: %v\nagents: %+v\nqueues: %+v\nidle %v", what, r.ctx.Err(),
				r.center.Agents(), r.center.Queues(), r.acd.Idle())
		default:
			runtime.Gosched()
		}
	}
}

// heard waits until p has heard media start (time moves meanwhile).
func (r *rig) heard(p *aritest.Party, media string) aritest.Heard {
	r.t.Helper()
	var h aritest.Heard
	r.until(p.Name()+" hearing "+media, func() bool {
		for _, x := range p.Heard() {
			if x.Media == media {
				h = x
				return true
			}
		}
		return false
	})
	return h
}

// nextCall returns a function that waits (time moving) for the next call
// to ring an endpoint and returns it. It looks at the endpoint's queue of
// calls synchronously, so time never moves between the ring and the test
// seeing it.
func (r *rig) nextCall(ep *aritest.Endpoint) func(what string) *aritest.Party {
	r.t.Helper()
	return func(what string) *aritest.Party {
		r.t.Helper()
		var p *aritest.Party
		r.until(what, func() bool {
			p = pending(ep)
			return p != nil
		})
		return p
	}
}

// pending takes the oldest call ringing ep that nobody took yet, if any.
func pending(ep *aritest.Endpoint) *aritest.Party {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, err := ep.NextCall(ctx)
	if err != nil {
		return nil
	}
	return p
}

// state waits for an agent to reach a state.
func (r *rig) state(agent string, want queue.AgentState) queue.AgentStatus {
	r.t.Helper()
	var st queue.AgentStatus
	r.until(fmt.Sprintf("agent %s %s", agent, want), func() bool {
		st, _ = r.center.Agent(agent)
		return st.State == want
	})
	return st
}

func (r *rig) journey() *ivr.Journey {
	r.t.Helper()
	var j *ivr.Journey
	r.until("a journey", func() bool {
		select {
		case j = <-r.journeys:
			return true
		default:
			return false
		}
	})
	return j
}

func sound(name string) string { return "sound:hotline/zh/" + name }

// media lists what p heard, as URIs.
func media(p *aritest.Party) string { return strings.Join(p.HeardMedia(), " ") }

// agentIDMedia is the announcement 「工号 1001 为您服务」.
func agentIDMedia(id string) []string {
	m := []string{sound("std/agent-id")}
	for _, d := range id {
		m = append(m, sound("digits/"+string(d)))
	}
	return append(m, sound("std/at-your-service"))
}

// contains says whether seq occurs in order (not necessarily adjacent)
// within heard.
func contains(heard []string, seq []string) bool {
	i := 0
	for _, h := range heard {
		if i < len(seq) && h == seq[i] {
			i++
		}
	}
	return i == len(seq)
}

// findBridge returns the bridge holding all the channels, if any.
func findBridge(r *rig, channels ...string) *ari.BridgeData {
	keys, err := r.ari.Bridge().List(nil)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, k := range keys {
		d, err := r.ari.Bridge().Data(k)
		if err != nil {
			continue
		}
		all := true
		for _, ch := range channels {
			if !slices.Contains(d.ChannelIDs, ch) {
				all = false
			}
		}
		if all {
			return d
		}
	}
	return nil
}

// hungUp waits (time moving) until p's channel is gone.
func (r *rig) hungUp(p *aritest.Party) {
	r.t.Helper()
	r.until(p.Name()+" hung up", func() bool { return p.Snapshot().HungUp })
}

// gone waits, without moving time, until p's channel is gone: for a
// hang-up that needs no time to pass. Time must not move under it: the
// engine's reaction to an event is not counted as work in flight, so
// moving time could let a timer (a ring timeout) overtake it.
func (r *rig) gone(p *aritest.Party) {
	r.t.Helper()
	if _, err := p.WaitHangup(r.ctx); err != nil {
		r.t.Fatalf("%s did not hang up: %v", p.Name(), err)
	}
}

// stateNow waits, without moving time, for an agent to reach a state that
// needs no time to pass.
func (r *rig) stateNow(agent string, want queue.AgentState) queue.AgentStatus {
	r.t.Helper()
	for {
		st, err := r.center.Agent(agent)
		if err != nil {
			r.t.Fatal(err)
		}
		if st.State == want {
			return st
		}
		if r.ctx.Err() != nil {
			r.t.Fatalf("agent %s is %s, want %s", agent, st.State, want)
		}
		runtime.Gosched()
	}
}
