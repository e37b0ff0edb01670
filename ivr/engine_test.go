package ivr_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/prompts"
)

// testFlow exercises menus, the silent-caller default, collect, say,
// lookup and survey; ${LOOKUP} is replaced by a test server's URL.
const testFlow = `
flow: test-hotline
numbers: ["4008001234"]
languages: [zh, en]
timezone: Asia/Shanghai
prompts:
  welcome: {zh: hotline/zh/demo/welcome, en: hotline/en/demo/welcome}
  main-menu: {zh: hotline/zh/demo/main-menu, en: hotline/en/demo/main-menu}
  setup: {zh: hotline/zh/demo/setup-answer, en: hotline/en/demo/setup-answer}
  serial: {zh: hotline/zh/demo/serial, en: hotline/en/demo/serial}
  serial-invalid: {zh: hotline/zh/demo/serial-invalid, en: hotline/en/demo/serial-invalid}
  booked: {zh: hotline/zh/demo/repair-booked, en: hotline/en/demo/repair-booked}
  lookup-failed: {zh: hotline/zh/demo/lookup-failed, en: hotline/en/demo/lookup-failed}
  survey: {zh: hotline/zh/survey/intro, en: hotline/en/survey/intro}
  survey-thanks: {zh: hotline/zh/survey/thanks, en: hotline/en/survey/thanks}
start: welcome
nodes:
  welcome:
    play: {prompts: [welcome], barge_in: true, next: main}
  main:
    menu:
      prompt: main-menu
      options: {"1": setup, "2": serial, "9": english}
      timeout: 5s
      retries: 1
      invalid: invalid-key
  english:
    set: {vars: {lang: en}, next: main}
  setup:
    hangup: {prompts: [setup, anything-else, goodbye]}
  serial:
    collect:
      prompt: serial
      min_digits: 4
      max_digits: 16
      terminator: "#"
      first_timeout: 5s
      inter_digit_timeout: 3s
      check: luhn
      retries: 1
      invalid: serial-invalid
      into: serial
      sensitive: true
      next: check
      on_fail: sorry
  check:
    lookup:
      method: GET
      url: "${LOOKUP}/warranty/${serial}"
      timeout: 2s
      fields: {ticket: ticket}
      next: booked
      on_fail: failed
  booked:
    play: {prompts: [booked], next: ticket}
  ticket:
    say: {digits: ticket, next: survey}
  failed:
    play: {prompts: [lookup-failed], next: survey}
  survey:
    survey:
      questions: [{prompt: survey, into: csat}]
      thanks: survey-thanks
      timeout: 5s
      next: bye
  bye:
    hangup: {}
  sorry:
    hangup: {prompts: [sorry]}
`

// rig is the engine under test, connected to an emulator on a fake clock.
type rig struct {
	t        *testing.T
	clk      *clockwork.FakeClock
	emu      *aritest.Server
	engine   *ivr.Engine
	journeys chan *ivr.Journey
	ctx      context.Context
	connCfg  ivr.ConnConfig
	base     ivr.EngineConfig // the engine's configuration before the test's adjustments
	cut      func()           // stops the events connection (the emulator keeps the application)
	// lost counts events the emulator sent that no connection delivered
	// (they were in flight at a cut).
	lost atomic.Int64
	// front, when set, is put between the connection and the engine (the
	// ACD's handler); frontSeen counts the events it was given, since it
	// may keep some of its own from the engine.
	front     func(ivr.Handler) ivr.Handler
	frontSeen atomic.Int64
}

// seenEvents counts the events delivered by the connection and handled.
func (r *rig) seenEvents() int64 {
	if r.front != nil {
		return r.frontSeen.Load()
	}
	return r.engine.EventsSeen()
}

// counting counts the events its handler has handled.
type counting struct {
	ivr.Handler
	n *atomic.Int64
}

func (c counting) Event(ctx context.Context, ev ari.Event) {
	c.Handler.Event(ctx, ev)
	c.n.Add(1)
}

type sink chan *ivr.Journey

func (s sink) RecordJourney(_ context.Context, j *ivr.Journey) { s <- j }

// flowsFunc adapts a function to ivr.Flows.
type flowsFunc func(string) (*callflow.Flow, bool)

func (f flowsFunc) ForNumber(n string) (*callflow.Flow, bool) { return f(n) }

func newRig(t *testing.T, lookup string, flows ivr.Flows) *rig {
	t.Helper()
	if flows == nil {
		var reg callflow.Registry
		src := strings.ReplaceAll(testFlow, "${LOOKUP}", lookup)
		if _, err := reg.Load(map[string][]byte{"test.yaml": []byte(src)}); err != nil {
			t.Fatal(err)
		}
		flows = &reg
	}
	return newRigWith(t, flows, nil)
}

// newRigWith starts the emulator and an engine on flows; mutate adjusts
// the engine's configuration (queues, transfers).
func newRigWith(t *testing.T, flows ivr.Flows, mutate func(*ivr.EngineConfig)) *rig {
	t.Helper()
	return newRigFront(t, flows, func(c *ivr.EngineConfig, _ ari.Client) func(ivr.Handler) ivr.Handler {
		if mutate != nil {
			mutate(c)
		}
		return nil
	})
}

// newRigFront is newRigWith whose mutate also gets the REST client, and
// may return what to put in front of the engine (the ACD's handler).
func newRigFront(t *testing.T, flows ivr.Flows, mutate func(*ivr.EngineConfig, ari.Client) func(ivr.Handler) ivr.Handler) *rig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second) // a guard against a hang; the 100-call tests take seconds
	t.Cleanup(cancel)
	sounds := t.TempDir()
	if _, err := prompts.Install(sounds); err != nil {
		t.Fatal(err)
	}
	clk := clockwork.NewFakeClockAt(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	emu, err := aritest.New(aritest.Config{Clock: clk, SoundsDir: sounds, Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	cfg := ivr.ConnConfig{URL: emu.URL(), Username: "u", Password: "p", Application: "hotline",
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
	journeys := make(sink, 256)
	durations, err := ivr.SoundDurations(prompts.FS(), "hotline/")
	if err != nil {
		t.Fatal(err)
	}
	rest := ivr.NewRESTClient(cfg)
	ecfg := ivr.EngineConfig{Flows: flows, Media: ivr.NewMedia(rest), Journeys: journeys, Clock: clk,
		Durations: durations, Reconcile: appChannels(rest)}
	base := ecfg
	var front func(ivr.Handler) ivr.Handler
	if mutate != nil {
		front = mutate(&ecfg, rest)
	}
	engine := ivr.NewEngine(ecfg)
	r := &rig{t: t, clk: clk, emu: emu, engine: engine, journeys: journeys, ctx: ctx, connCfg: cfg, base: base, front: front}
	r.connect()
	t.Cleanup(func() {
		_ = r.engine.Drain(ctx)
		r.cut()
		_ = emu.Close()
		// The REST client and the lookups share the default transport: close
		// its keep-alive connections now rather than when the peer's close
		// is noticed, so the package's leak check sees no stray goroutine.
		http.DefaultClient.CloseIdleConnections()
	})
	return r
}

// restart starts another engine (the next instance) on the same emulator
// and connects it; the previous one must have been drained and cut.
func (r *rig) restart(mutate func(*ivr.EngineConfig)) {
	r.t.Helper()
	cfg := r.base
	if mutate != nil {
		mutate(&cfg)
	}
	r.engine = ivr.NewEngine(cfg)
	r.frontSeen.Store(0)
	r.lost.Store(r.emu.Stats().EventsSent) // the new engine has seen none of them
	r.connect()
}

// connect runs an events connection for the engine and waits until its
// Connected has returned; r.cut stops it.
func (r *rig) connect() {
	r.t.Helper()
	conn := ivr.NewConn(r.connCfg)
	runCtx, stop := context.WithCancel(r.ctx)
	done := make(chan error, 1)
	connected := make(chan struct{})
	var h ivr.Handler = connectedSignal{r.engine, connected}
	if r.front != nil {
		h = connectedSignal{counting{r.front(r.engine), &r.frontSeen}, connected}
	}
	go func() { done <- conn.Run(runCtx, h) }()
	select {
	case <-connected:
	case <-r.ctx.Done():
		r.t.Fatal("the engine did not connect")
	}
	var once sync.Once
	r.cut = func() {
		once.Do(func() {
			stop()
			<-done
			// Detach at once what the emulator may not have noticed yet,
			// so that nothing more counts as sent to this connection.
			r.emu.DropClients()
			r.lost.Store(r.emu.Stats().EventsSent - r.seenEvents())
		})
	}
}

// appChannels lists the application's channels, as cmd/hotline does.
func appChannels(rest ari.Client) func(context.Context) ([]string, error) {
	return func(context.Context) ([]string, error) {
		d, err := rest.Application().Data(ari.NewKey(ari.ApplicationKey, "hotline"))
		if err != nil {
			return nil, err
		}
		return d.ChannelIDs, nil
	}
}

// connectedSignal tells the test once the engine is connected.
type connectedSignal struct {
	ivr.Handler
	up chan struct{}
}

func (c connectedSignal) Connected(ctx context.Context) error {
	defer func() {
		select {
		case <-c.up:
		default:
			close(c.up)
		}
	}()
	return c.Handler.Connected(ctx)
}

// dial places a call and waits until the engine answered it.
func (r *rig) dial(from string) *aritest.Party {
	r.t.Helper()
	p, err := r.emu.Dial(r.ctx, aritest.Call{From: from, To: "4008001234"})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := p.WaitState(r.ctx, "Up"); err != nil {
		r.t.Fatal(err)
	}
	return p
}

// until moves the fake clock in 100 ms steps, each only once something is
// blocked on the clock (the engine on a timeout, or the emulator on a
// playback), until cond holds for the party. It waits on both at once, so
// a change of the party (a hang-up) ends the wait even when nothing is left
// on the clock. A 5 s timeout costs no wall time, and time never jumps past
// work still in flight.
func (r *rig) until(p *aritest.Party, what string, cond func(aritest.Snapshot) bool) aritest.Snapshot {
	r.t.Helper()
	for step := 0; step < 3000; step++ {
		ctx, cancel := context.WithCancel(r.ctx)
		blocked := make(chan struct{})
		go func() {
			defer close(blocked)
			if r.clk.BlockUntilContext(ctx, 1) == nil && r.quiesce(ctx) {
				cancel() // something waits on the clock: stop waiting on the party
			}
		}()
		sn, err := p.Wait(ctx, cond)
		cancel()
		<-blocked
		if err == nil {
			return sn
		}
		if r.ctx.Err() != nil {
			r.t.Fatalf("waiting for %s: %v", what, err)
		}
		r.clk.Advance(100 * time.Millisecond)
		r.emu.Sync()
	}
	r.t.Fatalf("%s did not happen within 300 s of call time", what)
	return aritest.Snapshot{}
}

// quiesce waits until the engine has routed every event the emulator sent
// and each call waits with nothing to do (the engine's own bounds are on
// the clock too, so a timer on the clock no longer means the engine is
// parked); false when ctx ends first.
func (r *rig) quiesce(ctx context.Context) bool {
	for r.seenEvents()+r.lost.Load() < r.emu.Stats().EventsSent || !r.engine.Quiet() {
		if ctx.Err() != nil {
			return false
		}
		runtime.Gosched()
	}
	return true
}

// heard waits until the party has heard (started) media.
func (r *rig) heard(p *aritest.Party, media string) aritest.Heard {
	r.t.Helper()
	sn := r.until(p, "hearing "+media, func(sn aritest.Snapshot) bool { return indexOf(sn.Heard, media) >= 0 })
	return sn.Heard[indexOf(sn.Heard, media)]
}

func indexOf(hs []aritest.Heard, media string) int {
	for i, h := range hs {
		if h.Media == media {
			return i
		}
	}
	return -1
}

// press sends keys, then waits, without moving time, for the engine to
// react (the prompt that was playing stops, or a new one starts): the key
// is in flight on the events socket until then, and time must not pass
// under it.
func (r *rig) press(p *aritest.Party, keys string) {
	r.t.Helper()
	before := p.Snapshot().Heard
	if err := p.Press(keys); err != nil {
		r.t.Fatal(err)
	}
	_, err := p.Wait(r.ctx, func(sn aritest.Snapshot) bool {
		if len(sn.Heard) > len(before) || sn.HungUp {
			return true
		}
		last := len(before) - 1
		return last >= 0 && before[last].State == "playing" && sn.Heard[last].State != "playing"
	})
	if err != nil {
		r.t.Fatalf("the engine did not react to %q: %v", keys, err)
	}
	r.settle()
}

// settle waits until the engine has routed every event the emulator sent,
// so no key is left in flight when time moves next. Both counters are
// plain numbers; it yields the processor between looks, bounded by ctx.
func (r *rig) settle() {
	r.t.Helper()
	for r.seenEvents()+r.lost.Load() < r.emu.Stats().EventsSent {
		if r.ctx.Err() != nil {
			r.t.Fatalf("the engine saw %d events of %d sent", r.seenEvents(), r.emu.Stats().EventsSent)
		}
		runtime.Gosched()
	}
}

// hungUp waits until the party's call has ended.
func (r *rig) hungUp(p *aritest.Party) aritest.Snapshot {
	r.t.Helper()
	return r.until(p, "hang-up", func(sn aritest.Snapshot) bool { return sn.HungUp })
}

func (r *rig) journey() *ivr.Journey {
	r.t.Helper()
	select {
	case j := <-r.journeys:
		return j
	case <-r.ctx.Done():
		r.t.Fatal("no journey was recorded")
		return nil
	}
}

func sound(lang, name string) string { return "sound:hotline/" + lang + "/" + name }

// TestSilentCaller: a caller who says nothing hears the menu, then the
// script of the service standards: greeting, 5 s, greeting, 5 s, apology,
// 5 s, hang-up; the journey says no input and that we hung up.
func TestSilentCaller(t *testing.T) {
	r := newRig(t, "http://127.0.0.1:1", nil)
	p := r.dial("13800138000")
	if p.Snapshot().HungUp {
		t.Fatal("hung up before the clock moved")
	}
	r.hungUp(p)
	var got []string
	for _, h := range p.Heard() {
		got = append(got, h.Media)
	}
	want := []string{sound("zh", "demo/welcome"), sound("zh", "demo/main-menu"),
		sound("zh", "silence-hello"), sound("zh", "silence-hello"), sound("zh", "silence-bye")}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("heard %v\nwant %v", got, want)
	}
	h := p.Heard()
	for i, wait := range []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second} {
		// menu timeout, then the script's waits between its prompts.
		if gap := h[i+2].Start.Sub(h[i+1].End); gap < wait || gap > wait+200*time.Millisecond {
			t.Errorf("silence before %s: %v, want %v", h[i+2].Media, gap, wait)
		}
	}
	sn := p.Snapshot()
	if end := sn.Heard[4].End; sn.HungUpBy != "asterisk" {
		t.Errorf("hung up by %q after %v, want the IVR", sn.HungUpBy, end)
	}
	j := r.journey()
	if j.Outcome != ivr.OutcomeNoInput || j.HungUpBy != ivr.HungUpBySystem {
		t.Errorf("journey outcome %q hung up by %q, want no_input by system", j.Outcome, j.HungUpBy)
	}
}

// TestMenuBargeInAndChoice: a key during the menu prompt stops it and
// chooses; the call plays the answer and the closing phrases, then hangs
// up after them.
func TestMenuBargeInAndChoice(t *testing.T) {
	r := newRig(t, "http://127.0.0.1:1", nil)
	p := r.dial("13800138000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "1")
	r.heard(p, sound("zh", "demo/setup-answer"))
	r.hungUp(p)
	h := p.Heard()
	if h[1].State != "stopped" {
		t.Errorf("menu prompt ended %q, want stopped by the key; heard %+v", h[1].State, h)
	}
	tail := []string{sound("zh", "demo/setup-answer"), sound("zh", "anything-else"), sound("zh", "goodbye")}
	for i, m := range tail {
		if got := h[len(h)-3+i]; got.Media != m || got.State != "done" {
			t.Errorf("closing %d: %s %s, want %s done", i, got.Media, got.State, m)
		}
	}
	j := r.journey()
	// The flow answered the caller's choice and ended the call: the IVR
	// served it (see OutcomeSelfService).
	if j.HungUpBy != ivr.HungUpBySystem || j.Outcome != ivr.OutcomeSelfService {
		t.Errorf("journey %s by %s, want self_service by system", j.Outcome, j.HungUpBy)
	}
}

// TestInvalidKeyThenLanguage: a wrong key plays invalid-key and the menu
// again; 9 switches to English prompts.
func TestInvalidKeyThenLanguage(t *testing.T) {
	r := newRig(t, "http://127.0.0.1:1", nil)
	p := r.dial("13800138000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "7")
	r.heard(p, sound("zh", "invalid-key"))
	r.press(p, "9")
	r.heard(p, sound("en", "demo/main-menu"))
	_ = p.Hangup()
	j := r.journey()
	if j.Outcome != ivr.OutcomeAbandoned || j.HungUpBy != ivr.HungUpByCaller || j.Language != "en" {
		t.Errorf("journey %s by %s in %s, want abandoned by caller in en", j.Outcome, j.HungUpBy, j.Language)
	}
	var invalid int
	for _, e := range j.Events {
		if e.Kind == ivr.EventInvalid {
			invalid++
		}
	}
	if invalid != 1 {
		t.Errorf("%d invalid events, want 1", invalid)
	}
}

// TestCollectLookupSayAndSurvey: a serial number is collected (luhn),
// looked up, the ticket is said digit by digit, and the survey answer is
// kept; the serial is masked in the journey.
func TestCollectLookupSayAndSurvey(t *testing.T) {
	lookups := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/warranty/79927398713" {
			http.NotFound(w, req)
			return
		}
		fmt.Fprint(w, `{"ticket": "42"}`)
	}))
	defer lookups.Close()
	defer lookups.CloseClientConnections()
	r := newRig(t, lookups.URL, nil)
	p := r.dial("13800138000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "2")
	r.heard(p, sound("zh", "demo/serial"))
	r.press(p, "1234#") // fails luhn
	r.heard(p, sound("zh", "demo/serial-invalid"))
	r.press(p, "79927398713#")
	r.heard(p, sound("zh", "demo/repair-booked"))
	r.heard(p, sound("zh", "digits/4"))
	r.heard(p, sound("zh", "digits/2"))
	r.heard(p, sound("zh", "survey/intro"))
	r.press(p, "5")
	r.heard(p, sound("zh", "survey/thanks"))
	r.hungUp(p)
	j := r.journey()
	if j.Outcome != ivr.OutcomeSelfService {
		t.Errorf("a call served by a lookup ended %q, want self_service", j.Outcome)
	}
	if got := j.Vars["serial"]; got != "***********" {
		t.Errorf("serial in journey %q, want every character masked", got)
	}
	if j.Vars["csat"] != "5" || j.Vars["ticket"] != "42" {
		t.Errorf("vars %v, want csat 5 and ticket 42", j.Vars)
	}
	var lookup map[string]any
	for _, e := range j.Events {
		if e.Kind == ivr.EventLookup {
			lookup = e.Detail
		}
	}
	if lookup == nil || lookup["error"] != nil {
		t.Errorf("lookup event %v, want a success", lookup)
	}
}

// TestLookupTimeoutFallsBack: a lookup that does not answer in time takes
// on_fail; the caller hears the fallback, not silence.
func TestLookupTimeoutFallsBack(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select {
		case <-release:
		case <-req.Context().Done():
		}
	}))
	defer slow.Close()
	defer slow.CloseClientConnections()
	defer once.Do(func() { close(release) })
	r := newRig(t, slow.URL, nil)
	p := r.dial("13800138000")
	r.heard(p, sound("zh", "demo/main-menu"))
	r.press(p, "2")
	r.heard(p, sound("zh", "demo/serial"))
	r.press(p, "79927398713#")
	// The lookup's 2 s timeout is a context deadline on the real clock.
	if _, err := p.WaitHeard(r.ctx, sound("zh", "demo/lookup-failed")); err != nil {
		t.Fatal(err)
	}
	_ = p.Hangup()
	j := r.journey()
	var failed bool
	for _, e := range j.Events {
		if e.Kind == ivr.EventLookup && e.Detail["error"] != nil {
			failed = true
		}
	}
	if !failed {
		t.Error("journey has no failed lookup")
	}
}

// TestPanicIsContained: a call whose flow source panics gets the apology
// and a hang-up; a call on a good flow at the same time is unharmed.
func TestPanicIsContained(t *testing.T) {
	var reg callflow.Registry
	if _, err := reg.Load(map[string][]byte{"t.yaml": []byte(strings.ReplaceAll(testFlow, "${LOOKUP}", "http://127.0.0.1:1"))}); err != nil {
		t.Fatal(err)
	}
	flows := flowsFunc(func(n string) (*callflow.Flow, bool) {
		if n == "4008001234" {
			return reg.ForNumber(n)
		}
		panic("broken flow source")
	})
	r := newRig(t, "", flows)
	good := r.dial("13800138000")
	bad, err := r.emu.Dial(r.ctx, aritest.Call{From: "13900000000", To: "4009999999"})
	if err != nil {
		t.Fatal(err)
	}
	if cause, err := bad.WaitHangup(r.ctx); err != nil || cause != aritest.CauseNormalClearing {
		t.Fatalf("bad call: cause %d, err %v", cause, err)
	}
	if j := r.journey(); j.Outcome != ivr.OutcomeError {
		t.Errorf("bad call outcome %q, want error", j.Outcome)
	}
	r.heard(good, sound("zh", "demo/main-menu"))
	_ = good.Hangup()
	if j := r.journey(); j.Outcome != ivr.OutcomeAbandoned {
		t.Errorf("good call outcome %q, want abandoned", j.Outcome)
	}
}
