package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// chromiumPath finds Debian's chromium; missing, the test is skipped,
// except under CI (CI=true), where it fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium to run the browser test with: deploy/dev/deps.sh installs Debian's chromium")
	}
	t.Skip("no chromium: deploy/dev/deps.sh installs Debian's chromium")
	return ""
}

// fakeMicrophone writes a WAV of a 600 Hz tone for chromium's fake
// microphone, which plays it in a loop.
func fakeMicrophone(t *testing.T) string {
	t.Helper()
	mic := filepath.Join(t.TempDir(), "mic-600hz.wav")
	if err := media.WriteWAVFile(mic, media.Tone(2*time.Second, 0.5, 600)); err != nil {
		t.Fatal(err)
	}
	return mic
}

// browserWithMicrophone starts headless chromium with a fake microphone
// playing wav, media permission granted and audio that plays unasked.
func browserWithMicrophone(t *testing.T, wav string) context.Context {
	t.Helper()
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]), chromedp.ExecPath(chromiumPath(t)), chromedp.WindowSize(1400, 1000),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", wav),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // chromium refuses root with its sandbox
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	return actx
}

// tab opens a tab: on parent, an allocator, the browser's first; on
// parent, a tab, another one in a browser context of its own (its own
// cookies: another user).
func tab(t *testing.T, parent context.Context, first bool) context.Context {
	t.Helper()
	var opts []chromedp.ContextOption
	if !first {
		opts = append(opts, chromedp.WithNewBrowserContext())
	}
	ctx, cancel := chromedp.NewContext(parent, opts...)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // start it on the tab's own context
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

func doIn(t *testing.T, tab context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(tab, time.Minute)
	defer cancel()
	if err := chromedp.Do(c, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func signIn(t *testing.T, tab context.Context, base, user, password, shown string) {
	t.Helper()
	doIn(t, tab, "signing in as "+user,
		chromedp.Navigate(base),
		chromedp.WaitVisible("#signin-form"),
		chromedp.SendKeys(`#signin-form input[name=user]`, user),
		chromedp.SendKeys(`#signin-form input[name=password]`, password),
		chromedp.Click(`#signin-form button[type=submit]`),
		chromedp.WaitVisible(shown),
		chromedp.Poll[chromedp.Void](`document.getElementById("sp-status")?.dataset.state === "connected"`, chromedp.WithPollingTimeout(time.Minute)),
	)
}

// pageHearsJS measures, in the page, what its softphone's <audio>
// element receives: 32768 samples through a WebAudio AnalyserNode, and
// the share of their energy at 1 kHz and at 600 Hz (Goertzel).
const pageHearsJS = `(async () => {
  const audio = document.getElementById("sp-audio");
  const ctx = new AudioContext();
  await ctx.resume();
  const an = ctx.createAnalyser();
  an.fftSize = 32768;
  ctx.createMediaStreamSource(audio.srcObject).connect(an);
  await new Promise((done) => setTimeout(done, 1000 * an.fftSize / ctx.sampleRate + 300));
  const buf = new Float32Array(an.fftSize);
  an.getFloatTimeDomainData(buf);
  let energy = 0;
  for (const x of buf) energy += x * x;
  const share = (f) => {
    const c = 2 * Math.cos(2 * Math.PI * f / ctx.sampleRate);
    let s1 = 0, s2 = 0;
    for (const x of buf) { const s0 = x + c * s1 - s2; s2 = s1; s1 = s0; }
    return energy ? 2 * (s1 * s1 + s2 * s2 - c * s1 * s2) / buf.length / energy : 0;
  };
  const out = { rms: Math.sqrt(energy / buf.length), at1000: share(1000), at600: share(600) };
  await ctx.close();
  return JSON.stringify(out);
})()`

type heard struct {
	RMS    float64 `json:"rms"`
	At1000 float64 `json:"at1000"`
	At600  float64 `json:"at600"`
}

func pageHears(t *testing.T, tab context.Context) heard {
	t.Helper()
	c, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(c, chromedp.Evaluate[string](pageHearsJS, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("measuring what the page hears: %v", err)
	}
	var h heard
	if err := json.Unmarshal([]byte(s), &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestSoftphoneInTheBrowser runs the server as serve does (the real ACD,
// the softphone gateway, recordings in PostgreSQL) on the ARI emulator,
// and an agent takes a call in headless chromium on the browser softphone:
// the page's (fake) microphone sends 600 Hz, the emulated caller 1 kHz.
// The agent answers in the ringing panel; the page hears the caller's
// 1 kHz (measured in the page); a key of the page's keypad reaches the
// caller as DTMF through ARI; a supervisor listens in from the wallboard's
// own browser softphone and hears the call; the agent hangs up in the
// page; and the conversation's recording holds the caller's 1 kHz on the
// left and the page's 600 Hz on the right: the caller heard the agent.
func TestSoftphoneInTheBrowser(t *testing.T) {
	mic := fakeMicrophone(t)
	actx := browserWithMicrophone(t, mic)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	dbURL := pgtest.New(t)
	emu := startEmulator(t)
	flows := t.TempDir()
	write(t, filepath.Join(flows, "support.yaml"), fmt.Sprintf(supportFlow, ""))

	cfg := supportCentre(
		config.User{Name: "li.na", Role: "agent", Agent: "1001", PasswordHash: quickHash(t, "pw-li")},
		config.User{Name: "wang", Role: "supervisor", Device: acd.SoftphonePrefix + "wang", PasswordHash: quickHash(t, "pw-wang")},
	)
	cfg.Agents[0].Device = acd.SoftphonePrefix + "1001"
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = emu.URL(), "hotline", "secret"
	cfg.Database.URL, cfg.Database.SpoolDir, cfg.Recordings.Storage = dbURL, t.TempDir(), t.TempDir()
	cfg.Instance.Name = "test"
	cfg.Log.Level = "debug"
	cfg.HTTP.MetricsToken = "scraper-token"
	cfg.Softphone.ICELoopback = true // chromium is on this machine

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String() + "/"
	logs := newLogLines()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- runServer(runCtx, &env{stdout: io.Discard, stderr: logs, getenv: func(string) string { return "" }},
			cfg, ln, dirFlows(flows), "mode", "test", func(ctx context.Context, _ *slog.Logger, _ *acd.Service) { <-ctx.Done() })
	}()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if t.Failed() {
			t.Logf("the server's log:\n%s", logs.String())
		}
	}()
	logs.waitFor(t, ctx, `"msg":"ARI events connected"`)

	// The agent signs in; its softphone connects; it logs in and goes ready.
	agent := tab(t, actx, true)
	signIn(t, agent, base, "li.na", "pw-li", "#agent")
	doIn(t, agent, "logging in and going ready",
		chromedp.Click(`[data-act=login]`),
		chromedp.WaitEnabled(`[data-act=ready]`),
		chromedp.Click(`[data-act=ready]`),
		chromedp.Poll[chromedp.Void](`document.getElementById("agent-state").dataset.state === "ready"`))

	// A caller dials in, talking 1 kHz all along; the page rings.
	caller, err := emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008009999", Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	if err := caller.SendTone(2*time.Minute, 1000); err != nil {
		t.Fatal(err)
	}
	answerInPage(t, agent, "the incoming call", "8000")
	answered := time.Now()

	h := pageHears(t, agent)
	t.Logf("the agent's page hears: 1 kHz %.2f, 600 Hz %.2f of the energy, RMS %.3f", h.At1000, h.At600, h.RMS)
	if h.RMS < 0.01 || h.At1000 < 0.5 {
		t.Errorf("the agent's page does not hear the caller's 1 kHz: %+v", h)
	}
	// /metrics counts the gateway's session and the media it forwarded.
	m := scrape(t, strings.TrimSuffix(base, "/"), cfg.HTTP.MetricsToken)
	toAst, toBr := m[`hotline_softphone_packets_total{direction="to_asterisk"}`], m[`hotline_softphone_packets_total{direction="to_browser"}`]
	if m[`hotline_softphone_sessions`] != 1 || toAst < 1 || toBr < 1 {
		t.Errorf("/metrics with the page talking: hotline_softphone_sessions %v, packets to Asterisk %v, to the browser %v: want 1 session and media both ways",
			m[`hotline_softphone_sessions`], toAst, toBr)
	}

	// DTMF from the page's keypad reaches the caller through ARI.
	doIn(t, agent, "pressing 5", chromedp.Click(`#sp-keypad button[data-digit="5"]`))
	if _, err := caller.WaitHeard(ctx, "dtmf:5"); err != nil {
		t.Fatalf("the caller never got the page's 5: %v", err)
	}

	// The supervisor listens in from the wallboard's browser softphone.
	sup := tab(t, agent, false)
	signIn(t, sup, base, "wang", "pw-wang", "#board")
	doIn(t, sup, "listening in", chromedp.Click(`button[data-mode=listen][data-agent="1001"]`))
	var sh heard
	for range 20 { // until the listen-in's audio flows (its channel joins a moment after the click)
		if sh = pageHears(t, sup); sh.At1000 > 0.5 && sh.At600 > 0.005 {
			break
		}
	}
	t.Logf("the supervisor's page hears: 1 kHz %.2f, 600 Hz %.2f of the energy, RMS %.3f", sh.At1000, sh.At600, sh.RMS)
	// The caller's tone is loud (the emulator's, at half scale); the page's
	// microphone comes through chromium's gain control about 18 dB lower,
	// so its share of the energy is small, but it is there (nothing of it
	// would be well under 0.001).
	if sh.At1000 < 0.5 || sh.At600 < 0.005 {
		t.Errorf("the supervisor does not hear both sides (the caller's 1 kHz and the agent's 600 Hz): %+v", sh)
	}

	// The agent hangs up in the page; the call's recording is stored.
	doIn(t, agent, "hanging up", chromedp.Click("#sp-hangup"), chromedp.WaitNotVisible("#sp-incall"))
	talked := time.Since(answered)
	if _, err := caller.WaitHangup(ctx); err != nil {
		t.Fatal(err)
	}
	logs.waitForCount(t, ctx, `"msg":"recordings: stored"`, 1)

	api := &apiClient{t: t, ctx: ctx, base: strings.TrimSuffix(base, "/")}
	var lr console.LoginResponse
	api.do(http.StatusOK, "POST", "/api/login", "", console.LoginRequest{User: "wang", Password: "pw-wang"}, &lr)
	var page console.RecordingPage
	api.do(http.StatusOK, "GET", "/api/recordings", lr.Token, nil, &page)
	if len(page.Recordings) != 1 || page.Recordings[0].Agent != "1001" {
		t.Fatalf("recordings %+v, want the conversation with 1001", page.Recordings)
	}
	wav := api.get(t, "/api/recordings/"+page.Recordings[0].ID+"/download", lr.Token)
	left, right := stereoPCM(t, wav)
	// The conversation after the agent ID's announcement and the whisper
	// (the recording starts at the answer): the time the page showed it
	// talking, but for its first and last half second.
	from, to := len(left)-int(talked.Seconds()*8000)+4000, len(left)-4000
	customer, agentSide := left[from:to], right[from:to]
	t.Logf("recording of %.1f s (talked %.1f s): the caller's side 1 kHz %.2f; what the caller heard 600 Hz %.2f, 1 kHz %.2f",
		float64(len(left))/8000, talked.Seconds(), media.Power(customer, 1000), media.Power(agentSide, 600), media.Power(agentSide, 1000))
	if !media.HasTone(customer, 1000) {
		t.Errorf("the recording's caller side has no 1 kHz")
	}
	if !media.HasTone(agentSide, 600) || media.Power(agentSide, 600) < 0.5 {
		t.Errorf("what the caller heard has no 600 Hz from the page's microphone (%.2f)", media.Power(agentSide, 600))
	}
}

// answerInPage waits for the page's incoming-call panel (what names it),
// checks it shows the caller's number (ending in digits), answers, and
// waits for the call to be talking.
func answerInPage(t *testing.T, agent context.Context, what, digits string) {
	t.Helper()
	doIn(t, agent, what, chromedp.WaitVisible("#sp-ring"))
	c, cancelRead := context.WithTimeout(agent, 10*time.Second)
	shownCaller, err := chromedp.Run(c, chromedp.TextContent("#sp-caller"))
	cancelRead()
	if err != nil || !strings.Contains(shownCaller, digits) {
		t.Errorf("the ringing panel shows caller %q (%v)", shownCaller, err)
	}
	doIn(t, agent, "answering", chromedp.Click("#sp-answer"), chromedp.WaitVisible("#sp-incall"),
		chromedp.Poll[chromedp.Void](`document.getElementById("call-phase").dataset.phase === "talking"`, chromedp.WithPollingTimeout(time.Minute)))
}
