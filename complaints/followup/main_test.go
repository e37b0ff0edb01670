package followup_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/complaints/followup"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/prompts"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var shanghai = time.FixedZone("Asia/Shanghai", 8*3600)

// at is a wall-clock time in Shanghai.
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

const flowNumber = "4008009999"

// Media of the follow-up flow's prompts, as the emulator reports them.
const (
	askProduct = "sound:hotline/zh/survey/resolved"
	askService = "sound:hotline/zh/survey/intro"
	thanks     = "sound:hotline/zh/survey/thanks"
)

func quiet() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// discard is the complaints' Notifier: the notices are not this
// package's concern.
type discard struct{}

func (discard) Notify(context.Context, complaints.Notice) error { return nil }

// base is a database, the complaints on it and the clock of the
// complaints' workflow.
type base struct {
	t     *testing.T
	ctx   context.Context
	db    *pgxpool.Pool
	clk   *clockwork.FakeClock
	cs    *complaints.Service
	store *store.Followups
}

func newBase(t *testing.T, start time.Time) *base {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	db, err := store.Open(ctx, pgtest.New(t), 16)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	clk := clockwork.NewFakeClockAt(start)
	cs, err := complaints.New(complaints.Config{
		Store: store.NewComplaints(db), Notifier: discard{},
		Categories: map[string]complaints.Category{"quality": {Team: "quality-dept"}},
		Zone:       shanghai, Clock: clk, Logger: quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &base{t: t, ctx: ctx, db: db, clk: clk, cs: cs, store: store.NewFollowups(db)}
}

// resolved registers a complaint of the customer at number, owned by
// agent 1001, and resolves it.
func (b *base) resolved(number string) complaints.Complaint {
	b.t.Helper()
	c, err := b.cs.Register(b.ctx, complaints.Registration{
		CallID: "call-" + number, Hotline: "4008001234", Source: "agent",
		Complainant: "张先生", Contact: number, Content: "洗衣机漏水", Category: "quality", Wants: "上门维修",
	}, "1001")
	if err != nil {
		b.t.Fatal(err)
	}
	if c, err = b.cs.Act(b.ctx, c.ID, "1001", complaints.ActResolve, "已上门更换水管", ""); err != nil {
		b.t.Fatal(err)
	}
	return c
}

// instance is one Hotline instance: an emulator (its Asterisk) with a
// trunk to the customers, the engine running the follow-up flow, and
// the follow-up Service, on its own clock.
type instance struct {
	b      *base
	name   string
	clk    *clockwork.FakeClock
	emu    *aritest.Server
	trunk  *aritest.Endpoint
	engine *ivr.Engine
	svc    *followup.Service
	seen   atomic.Int64 // events the handlers were given
	stop   func()       // cuts the events connection and stops the engine
	cut    atomic.Bool  // stopped: the events sent since are not delivered

	mu      sync.Mutex
	changed map[string]followup.Task // the last Changed of each task
	journal []followup.Task
}

// policy is the tests' follow-up policy: complaints followed up
// automatically, every day 09:00–20:00 in Shanghai.
func policy() followup.Policy {
	return followup.Policy{
		Complaint: followup.Auto, Attempts: 2, RetryAfter: 30 * time.Minute,
		PerNumberPerDay: 3, MinGap: 20 * time.Minute, MaxCalls: 5, RingTimeout: 30 * time.Second,
		FlowNumber: flowNumber, Endpoint: "PJSIP/%s@trunk", CallerID: "4008001234",
		Lease: 10 * time.Minute,
	}
}

func (b *base) instance(name string, clk *clockwork.FakeClock, trunk aritest.Behavior, tune func(*followup.Config)) *instance {
	t := b.t
	t.Helper()
	sounds := t.TempDir()
	if _, err := prompts.Install(sounds); err != nil {
		t.Fatal(err)
	}
	emu, err := aritest.New(aritest.Config{Clock: clk, SoundsDir: sounds, Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("testdata/followup.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var reg callflow.Registry
	if _, err := reg.Load(map[string][]byte{"followup.yaml": src}); err != nil {
		t.Fatal(err)
	}
	cfg := ivr.ConnConfig{URL: emu.URL(), Username: "u", Password: "p", Application: "hotline",
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
	rest := ivr.NewRESTClient(cfg)
	in := &instance{b: b, name: name, clk: clk, emu: emu, trunk: emu.AddEndpoint("PJSIP", "trunk", trunk), changed: map[string]followup.Task{}}
	fcfg := followup.Config{
		Store: b.store, Complaints: b.cs, Dialer: followup.NewARIDialer(rest, "hotline"), Instance: name,
		Policy: policy(), Zone: shanghai, Clock: clk, Logger: quiet().With("instance", name),
		Changed: func(t followup.Task) {
			in.mu.Lock()
			in.changed[t.ID] = t
			in.journal = append(in.journal, t)
			in.mu.Unlock()
		},
	}
	if tune != nil {
		tune(&fcfg)
	}
	svc, err := followup.New(fcfg)
	if err != nil {
		t.Fatal(err)
	}
	durations, err := ivr.SoundDurations(prompts.FS(), "hotline/")
	if err != nil {
		t.Fatal(err)
	}
	engine := ivr.NewEngine(ivr.EngineConfig{Flows: &reg, Media: ivr.NewMedia(rest), Journeys: svc.Journeys(nil),
		Clock: clk, Durations: durations, Reconcile: func(context.Context) ([]string, error) {
			d, err := rest.Application().Data(ari.NewKey(ari.ApplicationKey, "hotline"))
			if err != nil {
				return nil, err
			}
			return d.ChannelIDs, nil
		}})
	in.svc, in.engine = svc, engine
	conn := ivr.NewConn(cfg)
	runCtx, cancel := context.WithCancel(b.ctx)
	done := make(chan error, 1)
	up := make(chan struct{})
	go func() { done <- conn.Run(runCtx, &counted{Handler: svc.Handler(engine), n: &in.seen, up: up}) }()
	select {
	case <-up:
	case <-b.ctx.Done():
		t.Fatal("the instance did not connect")
	}
	var once sync.Once
	in.stop = func() {
		once.Do(func() {
			now, cancelNow := context.WithCancel(b.ctx)
			cancelNow()
			_ = engine.Drain(now)
			cancel()
			<-done
			emu.DropClients()
			in.cut.Store(true)
		})
	}
	t.Cleanup(func() {
		in.stop()
		_ = emu.Close()
		http.DefaultClient.CloseIdleConnections()
	})
	return in
}

// counted counts the events its handler was given and tells once it is
// connected.
type counted struct {
	ivr.Handler
	n    *atomic.Int64
	up   chan struct{}
	once sync.Once
}

func (c *counted) Event(ctx context.Context, ev ari.Event) {
	c.Handler.Event(ctx, ev)
	c.n.Add(1)
}

func (c *counted) Connected(ctx context.Context) error {
	err := c.Handler.Connected(ctx)
	c.once.Do(func() { close(c.up) })
	return err
}

// pass runs one pass of the instance's loop.
func (in *instance) pass() {
	in.b.t.Helper()
	if err := in.svc.Pass(in.b.ctx); err != nil {
		in.b.t.Fatal(err)
	}
}

// last is the last Changed of the task (zero if none).
func (in *instance) last(id string) followup.Task {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.changed[id]
}

// settled: every event the emulator sent went through the handlers.
func (in *instance) settled() bool {
	return in.cut.Load() || in.seen.Load() >= in.emu.Stats().EventsSent
}

// until moves the instance's clock in 100 ms steps, each once something
// waits on the clock and the events are handled, until cond holds.
func (in *instance) until(what string, cond func() bool) {
	t := in.b.t
	t.Helper()
	for step := 0; step < 6000; step++ {
		if in.waitBriefly(what, cond) {
			return
		}
		in.clk.Advance(100 * time.Millisecond)
		in.emu.Sync()
	}
	t.Fatalf("%s did not happen within 600 s", what)
}

// wait waits, moving no time, until cond holds.
func (in *instance) wait(what string, cond func() bool) {
	in.b.t.Helper()
	for !cond() {
		if in.b.ctx.Err() != nil {
			in.b.t.Fatalf("waiting for %s: %v", what, in.b.ctx.Err())
		}
		runtime.Gosched()
	}
}

// waitBriefly gives cond a chance to come true without time moving: it
// returns when cond holds, or once something waits on the clock and the
// events sent are handled.
func (in *instance) waitBriefly(what string, cond func() bool) bool {
	ctx, cancel := context.WithCancel(in.b.ctx)
	defer cancel()
	blocked := make(chan struct{})
	go func() {
		defer close(blocked)
		_ = in.clk.BlockUntilContext(ctx, 1)
	}()
	for {
		if cond() {
			return true
		}
		select {
		case <-blocked:
			for !in.settled() && in.b.ctx.Err() == nil {
				runtime.Gosched()
			}
			return cond()
		case <-in.b.ctx.Done():
			in.b.t.Fatalf("waiting for %s: %v", what, in.b.ctx.Err())
		default:
			runtime.Gosched()
		}
	}
}

// call waits for the next call the trunk rings.
func (in *instance) call() *aritest.Party {
	in.b.t.Helper()
	p, err := in.trunk.NextCall(in.b.ctx)
	if err != nil {
		in.b.t.Fatal(err)
	}
	return p
}

// heard waits, moving no time, until p hears media start.
func (in *instance) heard(p *aritest.Party, media string) {
	in.b.t.Helper()
	if _, err := p.WaitHeard(in.b.ctx, media); err != nil {
		in.b.t.Fatalf("%s did not hear %s: %v", p.Dialed(), media, err)
	}
}

func (in *instance) press(p *aritest.Party, keys string) {
	in.b.t.Helper()
	if err := p.Press(keys); err != nil {
		in.b.t.Fatal(err)
	}
}

// task reads a task from the database.
func (b *base) task(id string) followup.Task {
	b.t.Helper()
	t, err := b.store.Get(b.ctx, id)
	if err != nil {
		b.t.Fatal(err)
	}
	return t
}

// only returns the one task of a complaint.
func (b *base) only(svc *followup.Service, complaintID string) followup.Task {
	b.t.Helper()
	ts, err := svc.ForComplaint(b.ctx, complaintID)
	if err != nil {
		b.t.Fatal(err)
	}
	if len(ts) != 1 {
		b.t.Fatalf("complaint %s has %d follow-ups, want 1: %+v", complaintID, len(ts), ts)
	}
	return b.task(ts[0].ID)
}

func mustEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func mustTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s: got %v, want %v", what, got.In(shanghai), want.In(shanghai))
	}
}
