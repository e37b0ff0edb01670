package console_test

// Real browser tests: headless chromium (Debian's, installed by
// deploy/dev/deps.sh) drives the application over the DevTools protocol
// against a console served on loopback, on the real queue center. They
// skip when chromium is absent, except under CI (CI=true), where they
// fail instead. Screenshots of the agent desktop and the wallboard go to
// the test's artifact directory (go test -artifacts keeps them).

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// chromium finds the browser as chromedp would: Debian's chromium first.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium to run the browser tests with: deploy/dev/deps.sh installs Debian's chromium")
	}
	t.Skip("no chromium: deploy/dev/deps.sh installs Debian's chromium")
	return ""
}

// browser is one headless chromium tab.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	messages []chromedp.ConsoleMessage // errors and exceptions the page logged
}

// newBrowser starts chromium; it ends with the test, which fails if the
// page threw an exception or the browser reported an error other than a
// refused request (a policy violation, a missing module). extra adds
// flags (the softphone's fake microphone).
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(chromium(t)), chromedp.WindowSize(1400, 1000))
	opts = append(opts, extra...)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // chromium refuses root with its sandbox
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: ctx}
	// Start the browser on the tab's own context, so that it lives until
	// the cleanup, not until some action's deadline.
	if err := chromedp.Do(ctx); err != nil {
		cancelTab()
		cancelAlloc()
		t.Fatalf("starting chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError && m.Source != "network" {
				b.mu.Lock()
				b.messages = append(b.messages, m)
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		b.mu.Lock()
		for _, m := range b.messages {
			t.Errorf("the page logged %s (%s:%d)", m, m.URL, m.Line)
		}
		b.mu.Unlock()
		cancelTab()
		cancelAlloc()
		<-done
	})
	return b
}

// do runs actions, each bounded so that a broken page fails the test
// rather than hanging it.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression and decodes its value into T.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// until waits (in the page, frame by frame) for a JavaScript condition;
// on failure it reports what probe says then.
func (b *browser) until(what, cond, probe string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		b.t.Fatalf("%s: %v; now %s", what, err, eval[string](b, "String("+probe+")"))
	}
}

// tab opens a view with its tab (a click in the page: a mouse click at
// the tab's place can miss while the page still lays itself out after a
// sign-in), until the view's element sel is shown.
func (b *browser) tab(view, sel string) {
	b.t.Helper()
	b.until("the "+view+" tab", fmt.Sprintf(`(() => {
		const tab = document.querySelector('#tabs button[data-view=%q]');
		if (!tab || tab.hidden || tab.offsetParent === null) return false;
		tab.click();
		const el = document.querySelector(%q);
		return !!el && el.offsetParent !== null;
	})()`, view, sel), `document.body.dataset.view + " " + location.hash`)
}

// text is the text of the element sel finds, "" if none.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`document.querySelector(%q)?.textContent ?? ""`, sel))
}

// untilText waits for the element's text to be want.
func (b *browser) untilText(sel, want string) {
	b.t.Helper()
	b.until(fmt.Sprintf("%s reading %q", sel, want),
		fmt.Sprintf(`document.querySelector(%q)?.textContent === %q`, sel, want),
		fmt.Sprintf(`document.querySelector(%q)?.textContent`, sel))
}

// untilContains waits for the element's text to contain want.
func (b *browser) untilContains(sel, want string) {
	b.t.Helper()
	b.until(fmt.Sprintf("%s containing %q", sel, want),
		fmt.Sprintf(`(document.querySelector(%q)?.textContent ?? "").includes(%q)`, sel, want),
		fmt.Sprintf(`document.querySelector(%q)?.textContent`, sel))
}

// visible says whether the element is shown (it and no ancestor hidden).
func (b *browser) visible(sel string) bool {
	b.t.Helper()
	return eval[bool](b, fmt.Sprintf(`(() => { const el = document.querySelector(%q); return !!el && el.checkVisibility(); })()`, sel))
}

// open loads the application and signs user in through its form.
func (b *browser) open(base, user string) {
	b.t.Helper()
	b.do("opening the console", chromedp.Navigate(base+"/"), chromedp.WaitVisible("#signin-form"))
	b.until("the application started", `document.body.dataset.ready === "true"`, `document.body.dataset.ready`)
	b.do("signing in",
		chromedp.SendKeys(`#signin-form input[name=user]`, user),
		chromedp.SendKeys(`#signin-form input[name=password]`, user+"-pw"),
		chromedp.Click(`#signin-form button[type=submit]`),
		chromedp.WaitNotVisible("#signin"),
	)
}

// setLanguage switches the UI's language with the page's switch.
func (b *browser) setLanguage(lang string) {
	b.t.Helper()
	b.do("switching the language", chromedp.SetValue("#lang", lang))
	// SetValue sets the value as a script would; a person's choice also
	// fires change.
	eval[bool](b, `document.getElementById("lang").dispatchEvent(new Event("change"))`)
}

// screenshot writes the page to the test's artifact directory.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(b.t.ArtifactDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// setPhase moves a connected call of the fake ACD to another phase.
func (f *centerACD) setPhase(callID string, p acd.CallPhase) {
	f.mu.Lock()
	f.calls[callID].Phase = p
	f.mu.Unlock()
	f.changed()
}

// TestBrowserAgentDesk: an agent signs in, logs in and goes ready with the
// page's buttons; a call put through to it appears in the call panel with
// its details and phase; while it connects the page says why hold waits;
// it holds and takes the caller back; the page switches to English.
func TestBrowserAgentDesk(t *testing.T) {
	var pci *pciACD
	e := newEnv(t, func(c *console.Config) {
		pci = &pciACD{centerACD: c.ACD.(*centerACD)}
		c.PCI = pci
	})
	b := newBrowser(t)
	b.open(e.ts.URL, "lilei")

	if !b.visible("#agent") || b.visible("#board") {
		t.Fatal("an agent does not land on the agent desktop")
	}
	b.untilText("#state-label", "未登录")
	if !b.visible("#softphone[data-softphone]") {
		t.Error("no place kept for the softphone")
	}
	b.do("logging in", chromedp.Click(`[data-act=login]`))
	b.untilText("#state-label", "未就绪")
	b.untilText("#state-reason", "刚签入")
	b.do("going ready", chromedp.Click(`[data-act=ready]`))
	b.untilText("#state-label", "就绪")
	if st := e.acd.agentState(t, "1001"); st.State != queue.Ready {
		t.Fatalf("the center has agent 1001 %s, want ready", st.State)
	}
	if b.visible("#call") || !b.visible("#no-call") {
		t.Error("a call panel with no call")
	}

	e.clock.Advance(5 * time.Second)
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	e.acd.setPhase("call-1", acd.CallConnecting)
	b.untilText("#call-caller", "13800138000")
	for sel, want := range map[string]string{
		"#call-hotline":  "4008001234",
		"#call-queue":    "support",
		"#call-path":     "main › support",
		"#call-vars":     "order: A123",
		"#call-language": "中文",
		"#call-wait":     "0:00",
		"#state-label":   "通话中",
	} {
		if got := b.text(sel); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	b.untilContains("#call-phase", "接通中")
	if !b.visible("#call-wait-hint") || !eval[bool](b, `document.getElementById("hold").disabled`) {
		t.Error("while the call connects, hold is not disabled with the reason shown")
	}

	e.acd.setPhase("call-1", acd.CallTalking)
	b.untilContains("#call-phase", "通话中")
	b.do("holding", chromedp.Click("#hold"))
	b.until("the phase held", `document.getElementById("call-phase").dataset.phase === "held"`, `document.getElementById("call-phase").dataset.phase`)
	if c, _ := e.acd.call("call-1"); !c.Held {
		t.Error("the hold button did not hold the call")
	}
	b.untilContains("#call-phase", "保持中")
	b.screenshot("agent-desktop-held.png")
	b.do("taking the caller back", chromedp.Click("#unhold"))
	b.until("the phase talking", `document.getElementById("call-phase").dataset.phase === "talking"`, `document.getElementById("call-phase").dataset.phase`)
	if c, _ := e.acd.call("call-1"); c.Held {
		t.Error("the unhold button did not take the call back")
	}

	// The recording's pause for card data, and its resumption.
	b.do("pausing the recording", chromedp.Click("#pci-pause"), chromedp.WaitVisible("#pci-state"), chromedp.WaitVisible("#pci-resume"))
	b.do("resuming the recording", chromedp.Click("#pci-resume"), chromedp.WaitNotVisible("#pci-state"), chromedp.WaitVisible("#pci-pause"))
	pci.mu.Lock()
	got := slices.Clone(pci.log)
	pci.mu.Unlock()
	if want := []string{"pause 1001: 客户提供银行卡信息", "resume 1001: 客户提供银行卡信息"}; !slices.Equal(got, want) {
		t.Errorf("recording pauses %q, want %q", got, want)
	}

	b.setLanguage("en")
	b.untilText("#state-label", "On a call")
	b.untilContains("#call-phase", "Talking")
	if got := b.text("#call-language"); got != "Chinese" {
		t.Errorf("the call's language in English reads %q", got)
	}
	if lang := eval[string](b, `document.documentElement.lang`); lang != "en" {
		t.Errorf("html lang = %q after switching to English", lang)
	}
	b.screenshot("agent-desktop.png")

	// The choice is kept across a reload, and the session too (its cookie).
	b.do("reloading", chromedp.Reload(), chromedp.WaitVisible("#agent"))
	b.untilText("#state-label", "On a call")

	// A blind transfer to another queue: the caller waits there, the agent
	// goes to wrap-up with its countdown, and ends it early.
	b.do("choosing the queue", chromedp.SetValue("#xfer-queue", "complaints"), chromedp.Click("#xfer-queue-go"))
	b.untilText("#state-label", "Wrap-up")
	// The countdown starts at the queue's 30 s and runs on the page's clock.
	b.until("the wrap-up countdown", `/^0:(30|2\d) left$/.test(document.getElementById("state-timer").textContent)`, `document.getElementById("state-timer").textContent`)
	if !b.visible("#no-call") {
		t.Error("the call panel still shows the transferred call")
	}
	if q, err := e.acd.center.QueueStatus("complaints"); err != nil || q.Waiting != 1 {
		t.Errorf("complaints: %+v, %v; want the transferred caller waiting", q, err)
	}
	b.do("ending wrap-up", chromedp.Click(`[data-act="wrap-up/end"]`))
	b.untilText("#state-label", "Ready")
}

// TestBrowserWallboard: a supervisor's wallboard shows every queue and
// agent and follows an agent's change of state through the event stream
// without redrawing the other rows; a call appears on its agent's row,
// and the listen button starts a supervision from the supervisor's own
// phone.
func TestBrowserWallboard(t *testing.T) {
	e := newEnv(t)
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	b := newBrowser(t)
	b.open(e.ts.URL, "wang")
	if !b.visible("#board") || b.visible("#agent") {
		t.Fatal("a supervisor does not land on the wallboard")
	}
	b.until("three agents", `document.querySelectorAll("#agents tbody tr").length === 3`, `document.querySelectorAll("#agents tbody tr").length`)
	if got := eval[[]string](b, `[...document.querySelectorAll("#queues tbody tr")].map(r => r.dataset.queue)`); !slices.Equal(got, []string{"support", "complaints"}) {
		t.Errorf("queue rows %v", got)
	}
	b.untilContains(`tr[data-agent="1001"] td:nth-child(6)`, "13800138000")
	if got := b.text(`tr[data-queue="support"] td:nth-child(6)`); got != "1" {
		t.Errorf("support answered %q, want 1", got)
	}
	st, _ := e.acd.center.QueueStatus("support")
	b.untilContains("#board h2 small", "今日统计（"+st.Day.Format(time.DateOnly)+"，自服务启动时 "+st.Since.Format("15:04")+" 起）")
	// Mark the rows: a keyed update keeps them.
	eval[bool](b, `[...document.querySelectorAll("#agents tbody tr")].every(r => (r.dataset.mark = "kept"))`)

	// Agent 1002 logs in and goes ready through the API, as its page does.
	hanmei := e.login("hanmei")
	e.must(http.StatusOK, "POST", "/api/agents/1002/login", hanmei, "", nil)
	b.untilContains(`tr[data-agent="1002"] td:nth-child(3)`, "未就绪")
	e.must(http.StatusOK, "POST", "/api/agents/1002/ready", hanmei, "", nil)
	b.until("1002 ready", `document.querySelector('tr[data-agent="1002"]').dataset.state === "ready"`, `document.querySelector('tr[data-agent="1002"]').dataset.state`)
	b.untilText(`tr[data-agent="1002"] td:nth-child(3)`, "就绪")
	if n := eval[int](b, `document.querySelectorAll('#agents tbody tr[data-mark="kept"]').length`); n != 3 {
		t.Errorf("%d of 3 rows kept after an update: the rows were redrawn", n)
	}
	if got := b.text(`tr[data-queue="support"] td:nth-child(8)`); got != "1 / 2" {
		t.Errorf("support ready / logged in %q, want 1 / 2", got)
	}

	// Listen to 1001's call, from the supervisor's own phone.
	if eval[bool](b, `document.querySelector('tr[data-agent="1002"] button[data-mode=listen]').disabled`) != true {
		t.Error("listen is offered on an agent without a call")
	}
	b.do("listening", chromedp.Click(`tr[data-agent="1001"] button[data-mode=listen]`), chromedp.WaitVisible("#sup-bar"))
	sups := e.acd.supervisions()
	if len(sups) != 1 {
		t.Fatalf("supervisions %+v, want one", sups)
	}
	for _, s := range sups {
		if s.agent != "1001" || s.device != "PJSIP/2001" || s.mode != acd.Listen {
			t.Errorf("supervision %+v, want 1001 listened from PJSIP/2001", s)
		}
	}
	b.do("whispering", chromedp.Click(`#sup-bar [data-sup-switch=whisper]`))
	b.untilContains("#sup-text", "耳语")
	b.screenshot("wallboard.png")
	b.do("ending the supervision", chromedp.Click("#sup-end"), chromedp.WaitNotVisible("#sup-bar"))
	if n := len(e.acd.supervisions()); n != 0 {
		t.Errorf("%d supervisions left after ending", n)
	}

	b.setLanguage("en")
	b.untilText(`tr[data-agent="1002"] td:nth-child(3)`, "Ready")
	b.untilText(`#agents thead th:nth-child(4)`, "Time in state")
	b.untilText(`#queues thead th:nth-child(4)`, "Service level today")
	b.untilContains("#board h2 small", "today's totals ("+st.Day.Format(time.DateOnly)+", since the server started at ")
}

// TestBrowserWallboardAtScale: 500 agents in 50 queues; a burst of state
// changes reaches the board, which updates the rows in place (the time of
// the slowest frame is logged).
func TestBrowserWallboardAtScale(t *testing.T) {
	const agents, queues = 500, 50
	clock := clockwork.NewFakeClockAt(start)
	big := newScaleACD(t, clock, agents, queues)
	e := newEnv(t, func(c *console.Config) { c.ACD = big; c.Clock = clock })
	b := newBrowser(t)
	b.open(e.ts.URL, "wang")
	b.until("every agent's row", fmt.Sprintf(`document.querySelectorAll("#agents tbody tr").length === %d && document.querySelectorAll("#queues tbody tr").length === %d`, agents, queues),
		`document.querySelectorAll("#agents tbody tr").length`)
	first := eval[float64](b, `window.hotlineBoard.maxMs`)
	eval[bool](b, `[...document.querySelectorAll("#agents tbody tr")].every(r => (r.dataset.mark = "kept")) && (window.hotlineBoard.maxMs = 0) === 0`)
	renders := eval[int](b, `window.hotlineBoard.renders`)

	// 100 agents log in and go ready, one change after another.
	for i := range 100 {
		id := fmt.Sprintf("%d", 5000+i)
		if err := big.center.Login(id); err != nil {
			t.Fatal(err)
		}
		big.changed()
		if err := big.center.SetReady(id); err != nil {
			t.Fatal(err)
		}
		big.changed()
	}
	b.until("the last change drawn", `document.querySelector('tr[data-agent="5099"]').dataset.state === "ready"`, `document.querySelector('tr[data-agent="5099"]').dataset.state`)
	if n := eval[int](b, `document.querySelectorAll('tr[data-state="ready"]').length`); n != 100 {
		t.Errorf("%d agents ready on the board, want 100", n)
	}
	if n := eval[int](b, `document.querySelectorAll('#agents tbody tr[data-mark="kept"]').length`); n != agents {
		t.Errorf("%d of %d rows kept: the board redrew rows", n, agents)
	}
	var st struct {
		Renders int     `json:"renders"`
		MaxMs   float64 `json:"maxMs"`
	}
	if err := json.Unmarshal([]byte(eval[string](b, `JSON.stringify(window.hotlineBoard)`)), &st); err != nil {
		t.Fatal(err)
	}
	// The figures are reported, not judged: the machines are shared and
	// a frame's time says as much about their load as about the board.
	t.Logf("%d agents, %d queues: first draw %.1f ms; 200 changes drawn in %d frames, the slowest %.1f ms", agents, queues, first, st.Renders-renders, st.MaxMs)
	if st.Renders-renders < 1 || st.Renders-renders > 200 {
		t.Errorf("200 changes drawn in %d frames: want at least one, and never more frames than changes", st.Renders-renders)
	}
	// The supervisor's queue totals follow: every agent is in every queue.
	b.untilText(`tr[data-queue="q49"] td:nth-child(8)`, "100 / 100")
}

// newScaleACD is a centerACD with n agents (IDs from 5000) in every one of
// q queues (q0...).
func newScaleACD(t *testing.T, clock clockwork.Clock, n, q int) *centerACD {
	t.Helper()
	var qs []queue.QueueConfig
	var names []string
	for i := range q {
		name := fmt.Sprintf("q%d", i)
		qs = append(qs, queue.QueueConfig{Name: name, WrapUp: 30 * time.Second})
		names = append(names, name)
	}
	c, err := queue.New(queue.Config{Clock: clock, Queues: qs})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		id := fmt.Sprintf("%d", 5000+i)
		if err := c.SetAgent(queue.AgentConfig{ID: id, Name: "坐席" + id, Device: "PJSIP/" + id}); err != nil {
			t.Fatal(err)
		}
	}
	return &centerACD{
		center: c, clock: clock, queues: names,
		calls: map[string]*acd.CallView{}, sups: map[string]supervision{},
		subs: map[int]chan struct{}{}, cancelled: make(chan struct{}, 64),
	}
}

// TestBrowserRecordings: a QA reviewer goes to the recordings, searches
// by queue, sees the callers masked and no caller field to search by, and
// plays one in the page's player from the API's audio.
func TestBrowserRecordings(t *testing.T) {
	r := newRecEnv(t)
	searchFixture(r)
	b := newBrowser(t)
	b.open(r.ts.URL, "qiu")
	if !b.visible("#review") || b.visible("#board") || b.visible("#agent") {
		t.Fatal("a QA reviewer does not land on the review page")
	}
	b.tab("recordings", "#recordings")
	if b.visible(`#rec-form input[name=caller]`) {
		t.Error("QA may not search by caller, yet the form offers it")
	}
	b.do("searching", chromedp.SendKeys(`#rec-form input[name=queue]`, "support"), chromedp.Click(`#rec-form button[type=submit]`))
	b.until("four recordings", `document.querySelectorAll("#rec-table tbody tr").length === 4`, `document.querySelectorAll("#rec-table tbody tr").length`)
	if got := eval[[]string](b, `[...document.querySelectorAll("#rec-table tbody tr")].map(r => r.dataset.recording)`); !slices.Equal(got, []string{"r5", "r4", "r3", "r1"}) {
		t.Errorf("rows %v, want r5 r4 r3 r1", got)
	}
	if got := b.text(`tr[data-recording="r1"] td:nth-child(5)`); got == "13800138001" || !strings.HasSuffix(got, "8001") {
		t.Errorf("QA sees the caller as %q, want it masked to its last 4 digits", got)
	}
	b.do("playing r1", chromedp.Click(`tr[data-recording="r1"] button[data-play]`), chromedp.WaitVisible("#rec-audio"))
	b.until("the audio loaded", `document.getElementById("rec-audio").readyState >= 1`, `document.getElementById("rec-audio").error?.message ?? document.getElementById("rec-audio").readyState`)
	if d := eval[float64](b, `document.getElementById("rec-audio").duration`); d < 1.9 || d > 2.1 {
		t.Errorf("the player has %v s of audio, want the recording's 2 s", d)
	}
	if src := eval[string](b, `new URL(document.getElementById("rec-audio").src).pathname`); src != "/api/recordings/r1/audio" {
		t.Errorf("the player plays %s", src)
	}
}

// TestBrowserSessionEnds: when the session has ended, the event stream's
// reconnection is refused, and the page goes back to the sign-in instead
// of waiting on a dead stream.
func TestBrowserSessionEnds(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t)
	b.open(e.ts.URL, "lilei")
	b.untilText("#state-label", "未登录")
	e.clock.Advance(console.DefaultSessionTTL + time.Minute)
	e.srv.Close() // the open streams end; the browser reconnects
	b.do("back at the sign-in", chromedp.WaitVisible("#signin-form"))
	if b.visible("#agent") {
		t.Error("the agent desktop is still shown after the session ended")
	}
}

// phraseACD notes the phrases the test center's agents play.
type phraseACD struct {
	*centerACD
	mu   sync.Mutex
	said []string
}

func (p *phraseACD) Phrase(ctx context.Context, agent, name string) error {
	if err := p.centerACD.Phrase(ctx, agent, name); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.said = append(p.said, agent+" "+name)
	return nil
}

// TestBrowserPhrasesAndDisposition: on a call, the agent's page shows the
// caller's earlier calls and the agent's day, offers every scripted phrase
// as a button (those that end the call marked) and plays one; it gives the
// call a disposition, from the codes in the page's language, with a note;
// and sends the caller to the survey, which ends the agent's part.
func TestBrowserPhrasesAndDisposition(t *testing.T) {
	codes := []console.DispositionView{
		{Code: "usage", Kind: "inquiry", Zh: "产品使用方法", En: "How to use the product"},
		{Code: "quality", Kind: "complaint", Zh: "产品质量", En: "Product quality"},
	}
	var phrases *phraseACD
	var d *dispositionACD
	e := newEnv(t, func(c *console.Config) {
		center := c.ACD.(*centerACD)
		phrases = &phraseACD{centerACD: center}
		d = &dispositionACD{centerACD: center, codes: []string{"usage", "quality"}}
		c.ACD, c.Dispositions, c.Dispositioner = phrases, codes, d
		c.History = &fakeHistory{}
	})
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	b := newBrowser(t)
	b.open(e.ts.URL, "lilei")
	b.untilText("#call-caller", "13800138000")
	b.until("the caller's earlier calls", `document.querySelectorAll("#history-rows tr").length === 2`, `document.querySelectorAll("#history-rows tr").length`)
	if got := b.text(`#history-rows tr[data-call="old-1"]`); !strings.Contains(got, "usage") || !strings.Contains(got, "1002") || !strings.HasSuffix(got, "4") {
		t.Errorf("the earlier call old-1 reads %q, want its agent, disposition and CSAT", got)
	}
	b.untilText("#today", "今日：接听 12 通 · 平均处理时长 4:05 · 满意度 4.5")
	b.until("the phrases", fmt.Sprintf(`document.querySelectorAll("#phrases button").length === %d`, len(acd.Phrases())), `document.querySelectorAll("#phrases button").length`)
	if got := eval[[]string](b, `[...document.querySelectorAll("#phrases button.ends")].map(b => b.dataset.phrase)`); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"noise", "silent", "too-quiet"}) {
		t.Errorf("phrases marked as ending the call: %v", got)
	}
	b.do("playing a phrase", chromedp.Click(`#phrases button[data-phrase="louder"]`))
	b.until("the phrase's answer", `document.body.dataset.lastAction === "phrase"`, `document.body.dataset.lastAction`)
	b.do("choosing a disposition",
		chromedp.WaitVisible("#dispo-form"),
		chromedp.SetValue("#dispo-code", "quality"),
		chromedp.SendKeys("#dispo-note", "screen cracked"),
		chromedp.Click(`#dispo-form button[type=submit]`),
		chromedp.WaitVisible("#dispo-saved"),
	)
	b.screenshot("agent-desktop-screen-pop.png")
	phrases.mu.Lock()
	said := slices.Clone(phrases.said)
	phrases.mu.Unlock()
	if !slices.Equal(said, []string{"1001 louder"}) {
		t.Errorf("phrases played %q, want 1001 louder", said)
	}
	d.mu.Lock()
	given := slices.Clone(d.given)
	d.mu.Unlock()
	if !slices.Equal(given, []string{"1001 quality screen cracked"}) {
		t.Errorf("dispositions %q", given)
	}
	if got := eval[[]string](b, `[...document.querySelectorAll("#dispo-code option")].map(o => o.textContent)`); !slices.Equal(got, []string{"产品使用方法", "产品质量"}) {
		t.Errorf("disposition codes shown %v", got)
	}
	b.setLanguage("en")
	b.untilText(`#phrases button[data-phrase="louder"]`, "Louder, please")
	if got := eval[[]string](b, `[...document.querySelectorAll("#dispo-code option")].map(o => o.textContent)`); !slices.Equal(got, []string{"How to use the product", "Product quality"}) {
		t.Errorf("disposition codes in English %v", got)
	}
	b.untilText("#today", "Today: 12 calls · average handle time 4:05 · CSAT 4.5")

	b.do("sending the caller to the survey", chromedp.Click("#survey"))
	b.untilText("#state-label", "Wrap-up")
	if _, ok := e.acd.call("call-1"); ok {
		t.Error("the call is still the agent's after sending it to the survey")
	}
	if !b.visible("#dispo-form") || !b.visible("#dispo-saved") {
		t.Error("in wrap-up, the disposition given is not shown")
	}
}

// TestBrowserTransferToColleague: the agent types a colleague's 工号 and
// transfers the call; the colleague has it, the agent is in wrap-up, and a
// refused transfer (to a colleague who is not ready) shows the server's
// reason.
func TestBrowserTransferToColleague(t *testing.T) {
	e := newEnv(t)
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	b := newBrowser(t)
	b.open(e.ts.URL, "lilei")
	b.untilText("#call-caller", "13800138000")

	b.do("transferring to 1003, who is logged out",
		chromedp.SendKeys("#xfer-agent", "1003"), chromedp.Click("#xfer-agent-go"), chromedp.WaitVisible("#flash"))
	if msg := b.text("#flash"); !strings.Contains(msg, "1003") {
		t.Errorf("the refused transfer reads %q, want the server's reason naming 1003", msg)
	}
	e.acd.mustReady(t, "1002")
	eval[string](b, `document.getElementById("xfer-agent").value = ""`) // the person clears the field
	b.do("transferring to 1002", chromedp.SendKeys("#xfer-agent", "1002"), chromedp.Click("#xfer-agent-go"))
	b.until("1001 in wrap-up", `document.getElementById("agent-state").dataset.state === "wrap_up"`,
		`document.getElementById("agent-state").dataset.state + " " + document.getElementById("flash").textContent`)
	if c, _ := e.acd.call("call-1"); c.Agent != "1002" {
		t.Errorf("the call is %s's, want 1002's", c.Agent)
	}
	if b.visible("#flash") {
		t.Errorf("an error is still shown after the transfer: %q", b.text("#flash"))
	}
}
