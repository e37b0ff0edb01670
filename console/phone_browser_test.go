package console_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pion/rtp"
	"golang.org/x/crypto/bcrypt"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/console/softphone"
	"github.com/hotline-ivr/hotline/ivr/media"
)

// fakeAsterisk plays Asterisk's side of an externalMedia channel on
// loopback: a UDP socket that sends a tone as PCMU RTP, 20 ms a packet,
// and keeps what it hears, decoded.
type fakeAsterisk struct {
	t    *testing.T
	conn *net.UDPConn

	mu      sync.Mutex
	heard   []int16
	packets int
	grew    chan struct{} // a value (coalescing) after each packet heard

	stop chan struct{}
	wg   sync.WaitGroup
}

func newFakeAsterisk(t *testing.T) *fakeAsterisk {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	a := &fakeAsterisk{t: t, conn: conn, grew: make(chan struct{}, 1), stop: make(chan struct{})}
	a.wg.Go(a.listen)
	t.Cleanup(func() {
		close(a.stop)
		conn.Close()
		a.wg.Wait()
	})
	return a
}

// addr is where the socket sends from: the channel's
// UNICASTRTP_LOCAL_ADDRESS and _PORT.
func (a *fakeAsterisk) addr() netip.AddrPort { return a.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (a *fakeAsterisk) listen() {
	buf := make([]byte, 1500)
	for {
		n, err := a.conn.Read(buf)
		if err != nil {
			return // closed
		}
		var p rtp.Packet
		if p.Unmarshal(buf[:n]) != nil || p.PayloadType != 0 {
			continue
		}
		a.mu.Lock()
		a.heard = media.DecodeULaw(a.heard, p.Payload)
		a.packets++
		a.mu.Unlock()
		select {
		case a.grew <- struct{}{}:
		default:
		}
	}
}

// play sends a 1 kHz tone to dst, one 20 ms PCMU packet at a time, until
// the test ends.
func (a *fakeAsterisk) play(dst netip.AddrPort) {
	tone := media.EncodeULaw(nil, media.Tone(time.Second, 0.5, 1000)) // a whole number of periods: it loops seamlessly
	a.wg.Go(func() {
		tick := time.NewTicker(20 * time.Millisecond) // the media's own pace
		defer tick.Stop()
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 0x5eed}}
		for i := 0; ; i++ {
			select {
			case <-a.stop:
				return
			case <-tick.C:
			}
			off := i * 160 % len(tone)
			p.SequenceNumber, p.Timestamp, p.Payload = uint16(i), uint32(i*160), tone[off:off+160]
			b, err := p.Marshal()
			if err != nil {
				a.t.Error(err)
				return
			}
			if _, err := a.conn.WriteToUDPAddrPort(b, dst); err != nil && !errors.Is(err, net.ErrClosed) {
				a.t.Errorf("sending RTP: %v", err)
				return
			}
		}
	})
}

// samples is how many samples the socket has heard so far.
func (a *fakeAsterisk) samples() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.heard)
}

// await waits until the socket has heard n samples, and returns those
// from from on.
func (a *fakeAsterisk) await(from, n int) []int16 {
	a.t.Helper()
	limit := time.After(20 * time.Second)
	for {
		a.mu.Lock()
		if len(a.heard) >= n {
			out := slices.Clone(a.heard[from:n])
			a.mu.Unlock()
			return out
		}
		got := len(a.heard)
		a.mu.Unlock()
		select {
		case <-a.grew:
		case <-limit:
			a.t.Fatalf("the Asterisk side heard %d samples, want %d", got, n)
		}
	}
}

// pageHears measures, in the page, the audio its <audio> element receives:
// a WebAudio AnalyserNode on the remote stream, 32768 samples, and the
// share of their energy at 1 kHz and at 600 Hz (Goertzel).
const pageHears = `(async () => {
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
  const out = { rate: ctx.sampleRate, rms: Math.sqrt(energy / buf.length), at1000: share(1000), at600: share(600) };
  await ctx.close();
  return JSON.stringify(out);
})()`

// playsAsterisk makes ast Asterisk's side of the calls the fake ACD
// answers: attached to the agent's gateway session, sending 1 kHz, and
// detached at the hang-up.
func playsAsterisk(e *env, g *softphone.Gateway, ast *fakeAsterisk) {
	e.acd.onPhone(func(agent, callID string) error {
		host, err := g.ExternalHost(agent)
		if err != nil {
			return err
		}
		dst, err := netip.ParseAddrPort(host)
		if err != nil {
			return err
		}
		if err := g.Attach(agent, "ext-"+callID, ast.addr()); err != nil {
			return err
		}
		ast.play(dst)
		return nil
	}, func(agent, callID string) { g.Detach(agent, "ext-"+callID) })
}

// TestBrowserSoftphone: an agent whose phone is the browser signs in; the
// page connects its softphone to a real gateway with a fake microphone
// playing 600 Hz. A ringing call shows the incoming-call panel with its
// ring; Reject refuses it. The next one is answered, and the Asterisk
// side (a socket attached to the session, sending 1 kHz) and the page
// each hear the other's tone, measured by frequency; Mute makes the
// socket hear silence; the keypad sends DTMF; Hang up ends the call; and
// signing out closes the gateway's session.
func TestBrowserSoftphone(t *testing.T) {
	g := newGateway(t, nil) // every interface, loopback too: chromium's candidates are its host's
	mic := fakeMic(t)
	e := newEnv(t, func(c *console.Config) { c.Softphone = g })
	ast := newFakeAsterisk(t)
	playsAsterisk(e, g, ast)
	e.acd.setDevice(t, "1001", "WebRTC/1001")

	b := newBrowser(t, softphoneFlags(mic)...)
	b.open(e.ts.URL, "lilei")
	b.until("the softphone connected", `document.getElementById("sp-status").dataset.state === "connected"`,
		`document.getElementById("sp-status").dataset.state + ": " + document.getElementById("sp-status").textContent`)
	if b.text("#sp-status") != "已连接" {
		t.Errorf("the softphone's state reads %q", b.text("#sp-status"))
	}
	if g.Sessions() != 1 {
		t.Fatalf("%d gateway sessions, want the page's one", g.Sessions())
	}
	if n := eval[int](b, `performance.getEntriesByType("resource").filter((r) => new URL(r.name).pathname === "/api/softphone/candidate").length`); n == 0 {
		t.Error("the page trickled no ICE candidate")
	}
	lilei := e.login("lilei")
	e.must(http.StatusOK, "POST", "/api/agents/1001/login", lilei, "", nil)
	e.must(http.StatusOK, "POST", "/api/agents/1001/ready", lilei, "", nil)

	// A call rings: the panel, its ring; Reject refuses it.
	e.acd.ring(t, "call-1", "support", "1001", "13800138001")
	b.do("the incoming call", chromedp.WaitVisible("#sp-ring"))
	b.until("the ring sound", `document.body.dataset.ringing === "true" && window.hotlinePhone.ring.ctx?.state === "running"`,
		`document.body.dataset.ringing + " " + window.hotlinePhone.ring.ctx?.state`)
	for sel, want := range map[string]string{"#sp-caller": "13800138001", "#sp-queue": "support", "#sp-wait": "0:00"} {
		if got := b.text(sel); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if !b.visible("#sp-answer") || !b.visible("#sp-reject") {
		t.Error("the incoming call offers no answer and reject")
	}
	b.screenshot("softphone-ringing.png")
	b.do("rejecting", chromedp.Click("#sp-reject"), chromedp.WaitNotVisible("#sp-ring"))
	b.until("the ring stopped", `document.body.dataset.ringing === undefined`, `document.body.dataset.ringing`)
	if got := e.acd.phoneActions(); !slices.Equal(got, []string{"reject 1001"}) {
		t.Fatalf("the center was asked %q, want reject 1001", got)
	}
	if err := e.acd.center.Abandon("call-1"); err != nil { // the caller, waiting again, hangs up
		t.Fatal(err)
	}

	// The next one is answered in the page.
	e.must(http.StatusOK, "POST", "/api/agents/1001/ready", lilei, "", nil)
	e.acd.ring(t, "call-2", "support", "1001", "13800138002")
	b.do("answering", chromedp.WaitVisible("#sp-answer"), chromedp.Click("#sp-answer"), chromedp.WaitVisible("#sp-incall"))
	b.untilText("#state-label", "通话中")

	// Both directions, by frequency: 1 s heard by the socket...
	from := ast.samples()
	heard := ast.await(from, from+8000)
	t.Logf("the Asterisk side hears: 600 Hz %.2f, 1 kHz %.2f of the energy, RMS %.0f",
		media.Power(heard, 600), media.Power(heard, 1000), media.RMS(heard))
	if runtime.GOOS == "linux" && !readOnTimer(g) {
		t.Error("the gateway never read on its busy timer (BusyRate 1): the media went the other way")
	}
	if !media.HasTone(heard, 600) || media.Power(heard, 600) < 0.5 {
		t.Errorf("the Asterisk side does not hear the page's 600 Hz: %.2f of the energy", media.Power(heard, 600))
	}
	// ... and in the page.
	var page struct {
		Rate   float64 `json:"rate"`
		RMS    float64 `json:"rms"`
		At1000 float64 `json:"at1000"`
		At600  float64 `json:"at600"`
	}
	if err := json.Unmarshal([]byte(evalAwait[string](b, pageHears)), &page); err != nil {
		t.Fatal(err)
	}
	t.Logf("the page hears (at %.0f Hz): 1 kHz %.2f, 600 Hz %.2f of the energy, RMS %.3f", page.Rate, page.At1000, page.At600, page.RMS)
	if page.RMS < 0.01 || page.At1000 < 0.5 || page.At600 > 0.05 {
		t.Errorf("the page does not hear the caller's 1 kHz: %+v", page)
	}
	b.screenshot("softphone-call.png")

	// Mute: the socket hears silence, from the packets sent after it.
	b.do("muting", chromedp.Click("#sp-mute"), chromedp.WaitVisible("#sp-muted"))
	if eval[string](b, `document.getElementById("sp-mute").getAttribute("aria-pressed")`) != "true" {
		t.Error("the mute button is not shown pressed")
	}
	from = ast.samples() + 4*160 // packets under way when it answered
	if muted := ast.await(from, from+4000); !media.IsSilent(muted) {
		t.Errorf("muted, the Asterisk side still hears RMS %.0f, 600 Hz %.2f", media.RMS(muted), media.Power(muted, 600))
	}
	b.do("unmuting", chromedp.Click("#sp-mute"), chromedp.WaitNotVisible("#sp-muted"))
	from = ast.samples() + 4*160
	if back := ast.await(from, from+4000); !media.HasTone(back, 600) {
		t.Errorf("unmuted, the Asterisk side does not hear 600 Hz again (%.2f)", media.Power(back, 600))
	}

	// The keypad.
	for _, d := range []string{"5", "#"} {
		eval[bool](b, `delete document.body.dataset.lastAction`)
		b.do("pressing "+d, chromedp.Click(`#sp-keypad button[data-digit="`+d+`"]`))
		b.until("the digit sent", `document.body.dataset.lastAction === "dtmf"`, `document.body.dataset.lastAction`)
	}

	// Hang up: wrap-up.
	b.do("hanging up", chromedp.Click("#sp-hangup"), chromedp.WaitNotVisible("#sp-incall"))
	b.untilText("#state-label", "话后处理")
	if got, want := e.acd.phoneActions(), []string{"reject 1001", "answer 1001", "dtmf 1001 5", "dtmf 1001 #", "hangup 1001"}; !slices.Equal(got, want) {
		t.Errorf("the center was asked %q, want %q", got, want)
	}
	if ps, err := g.Session("1001"); err != nil || ps.Call() != "" {
		t.Errorf("after the hang-up the session is %v (%v), want it open with no call", ps, err)
	}

	b.setLanguage("en")
	b.untilText("#sp-status", "Connected")

	// Signing out closes the gateway's session.
	b.do("signing out", chromedp.Click("#signout"), chromedp.WaitVisible("#signin-form"))
	if n := g.Sessions(); n != 0 {
		t.Errorf("%d gateway sessions after signing out, want none", n)
	}
}

// evalAwait evaluates a JavaScript expression whose value is a promise,
// and decodes what it resolves to into T.
func evalAwait[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// fakeMic writes the 600 Hz tone chromium's fake microphone plays.
func fakeMic(t *testing.T) string {
	t.Helper()
	mic := filepath.Join(t.TempDir(), "mic-600hz.wav")
	if err := media.WriteWAVFile(mic, media.Tone(2*time.Second, 0.5, 600)); err != nil {
		t.Fatal(err)
	}
	return mic
}

// softphoneFlags are chromium's flags for a page with a phone: the
// microphone allowed without asking, a fake one playing wav, and audio
// that plays without a click.
func softphoneFlags(wav string) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-audio-capture", wav),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	}
}

// TestBrowserSoftphoneReconnects: when the server's end of the page's
// connection goes (closed, as by a restart), the page connects again with
// a new offer by itself.
func TestBrowserSoftphoneReconnects(t *testing.T) {
	g := newGateway(t, nil)
	mic := fakeMic(t)
	e := newEnv(t, func(c *console.Config) { c.Softphone = g })
	e.acd.setDevice(t, "1001", "WebRTC/1001")
	b := newBrowser(t, softphoneFlags(mic)...)
	b.open(e.ts.URL, "lilei")
	connected := `document.getElementById("sp-status").dataset.state === "connected"`
	status := `document.getElementById("sp-status").dataset.state + ": " + document.getElementById("sp-status").textContent`
	b.until("the softphone connected", connected, status)
	first, err := g.Session("1001")
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	b.until("the page noticed", `document.getElementById("sp-status").dataset.state !== "connected"`, status)
	b.until("the softphone connected again", connected, status)
	if again, err := g.Session("1001"); err != nil || again == first {
		t.Errorf("after reconnecting: session %p (%v), want a new one", again, err)
	}
}

// TestBrowserSoftphoneRejoinsItsCall: the page's connection to the
// server ends in the middle of a call (the server restarted under it);
// the page connects again by itself, the console asks the ACD to join
// the new connection to the agent's call (Reconnect), and the page hears
// the caller again.
func TestBrowserSoftphoneRejoinsItsCall(t *testing.T) {
	g := newGateway(t, nil)
	mic := fakeMic(t)
	e := newEnv(t, func(c *console.Config) { c.Softphone = g })
	ast := newFakeAsterisk(t)
	playsAsterisk(e, g, ast)
	e.acd.mu.Lock()
	e.acd.onRejoin = func(agent, callID string) error { return g.Attach(agent, "ext2-"+callID, ast.addr()) }
	e.acd.mu.Unlock()
	e.acd.setDevice(t, "1001", "WebRTC/1001")
	b := newBrowser(t, softphoneFlags(mic)...)
	b.open(e.ts.URL, "lilei")
	connected := `document.getElementById("sp-status").dataset.state === "connected"`
	status := `document.getElementById("sp-status").dataset.state + ": " + document.getElementById("sp-status").textContent`
	b.until("the softphone connected", connected, status)
	lilei := e.login("lilei")
	e.must(http.StatusOK, "POST", "/api/agents/1001/login", lilei, "", nil)
	e.must(http.StatusOK, "POST", "/api/agents/1001/ready", lilei, "", nil)
	e.acd.ring(t, "call-1", "support", "1001", "13800138001")
	b.do("answering", chromedp.WaitVisible("#sp-answer"), chromedp.Click("#sp-answer"), chromedp.WaitVisible("#sp-incall"))
	hears := func(when string) {
		t.Helper()
		var page struct {
			RMS    float64 `json:"rms"`
			At1000 float64 `json:"at1000"`
		}
		// Each measure is 0.75 s of what the page received; the first after
		// a reconnection may still hold the silence of the gap.
		for range 10 {
			if err := json.Unmarshal([]byte(evalAwait[string](b, pageHears)), &page); err != nil {
				t.Fatal(err)
			}
			if page.RMS >= 0.01 && page.At1000 >= 0.5 {
				return
			}
		}
		t.Errorf("%s, the page does not hear the caller's 1 kHz: %+v", when, page)
	}
	hears("answered")

	first, err := g.Session("1001")
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil { // the server's end goes
		t.Fatal(err)
	}
	b.until("the page noticed", `document.getElementById("sp-status").dataset.state !== "connected"`, status)
	b.until("the softphone connected again", connected, status)
	if got := e.acd.phoneActions(); !slices.Equal(got, []string{"answer 1001", "reconnect 1001"}) {
		t.Errorf("the center was asked %q, want the answer, then to join the new connection", got)
	}
	hears("reconnected")
	from := ast.samples()
	if back := ast.await(from, from+4000); !media.HasTone(back, 600) {
		t.Errorf("reconnected, the caller's side does not hear the page's 600 Hz (%.2f)", media.Power(back, 600))
	}
}

// TestBrowserSoftphoneSIPAndSupervisor: for an agent on a SIP phone the
// panel says to answer on the phone and offers Reject only, then Hang up
// only; a supervisor whose phone is the browser has it on the wallboard.
func TestBrowserSoftphoneSIPAndSupervisor(t *testing.T) {
	g := newGateway(t, nil)
	mic := fakeMic(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("li-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *console.Config) {
		c.Softphone = g
		c.Users = append(c.Users, console.User{Name: "li", Role: console.RoleSupervisor, Device: "WebRTC/li", PasswordHash: string(hash)})
	})
	e.acd.mustReady(t, "1001")
	b := newBrowser(t, softphoneFlags(mic)...)
	b.open(e.ts.URL, "lilei")
	b.untilText("#sp-status", "请在话机 PJSIP/1001 上接听")
	e.acd.ring(t, "call-1", "support", "1001", "13800138001")
	b.do("the incoming call", chromedp.WaitVisible("#sp-ring"))
	if b.visible("#sp-answer") || !b.visible("#sp-reject") {
		t.Error("for a SIP phone the panel must offer reject and not answer")
	}
	if eval[string](b, `document.body.dataset.ringing ?? ""`) != "" {
		t.Error("the page rings for a SIP phone, which rings itself")
	}
	if err := e.acd.center.Answered("call-1", "1001"); err != nil { // answered on the phone
		t.Fatal(err)
	}
	e.acd.setPhase("call-1", "talking")
	b.do("the call", chromedp.WaitVisible("#sp-hangup"))
	if b.visible("#sp-mute") || b.visible("#sp-keypad") {
		t.Error("mute and the keypad are offered for a SIP phone")
	}
	b.do("hanging up", chromedp.Click("#sp-hangup"), chromedp.WaitNotVisible("#sp-incall"))
	if got := e.acd.phoneActions(); !slices.Equal(got, []string{"hangup 1001"}) {
		t.Errorf("the center was asked %q, want hangup 1001", got)
	}
	if g.Sessions() != 0 {
		t.Errorf("a SIP agent's page opened %d softphone sessions", g.Sessions())
	}
	b.do("signing out", chromedp.Click("#signout"), chromedp.WaitVisible("#signin-form"))

	// The supervisor's browser phone, on the wallboard.
	b.open(e.ts.URL, "li")
	b.do("the wallboard's phone", chromedp.WaitVisible("#board-phone"))
	b.until("the supervisor's softphone connected", `document.getElementById("sp-status").dataset.state === "connected"`,
		`document.getElementById("sp-status").textContent`)
	ps, err := g.Session("li")
	if err != nil {
		t.Fatalf("the supervisor's session: %v", err)
	}
	if b.visible("#sp-keypad") || b.visible("#sp-hangup") {
		t.Error("the supervisor's phone offers the agent's keypad or hang-up")
	}
	b.do("muting the supervisor", chromedp.Click("#sp-mute"), chromedp.WaitVisible("#sp-muted"))
	if !ps.Muted() {
		t.Error("the supervisor's mute did not mute its session")
	}
	b.screenshot("wallboard-softphone.png")
}

// TestBrowserSoftphoneTwoTabs: a second tab of the same agent takes the
// phone; the first stands aside, says so, and takes it back on a click,
// rather than the two replacing each other's session all day.
func TestBrowserSoftphoneTwoTabs(t *testing.T) {
	g := newGateway(t, nil)
	mic := fakeMic(t)
	e := newEnv(t, func(c *console.Config) { c.Softphone = g })
	e.acd.setDevice(t, "1001", "WebRTC/1001")
	one := newBrowser(t, softphoneFlags(mic)...)
	one.open(e.ts.URL, "lilei")
	state := func(want string) string {
		return `document.getElementById("sp-status").dataset.state === "` + want + `"`
	}
	const status = `document.getElementById("sp-status").dataset.state + ": " + document.getElementById("sp-status").textContent`
	one.until("the first tab connected", state("connected"), status)

	// The second tab: the same browser, so the same sign-in.
	ctx, cancel := chromedp.NewContext(one.ctx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // the tab on its own context, not an action's
		t.Fatal(err)
	}
	two := &browser{t: t, ctx: ctx}
	two.do("opening a second tab", chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible("#agent"))
	two.until("the second tab connected", state("connected"), status)
	one.until("the first tab standing aside", state("elsewhere"), status)
	if !one.visible("#sp-take") || one.text("#sp-status") != "软电话正在您的另一个页面中使用" {
		t.Errorf("the first tab reads %q and offers no way to take the phone back", one.text("#sp-status"))
	}
	if n := g.Sessions(); n != 1 {
		t.Errorf("%d sessions, want one", n)
	}
	one.do("taking the phone back", chromedp.Click("#sp-take"))
	one.until("the first tab connected again", state("connected"), status)
	two.until("the second tab standing aside", state("elsewhere"), status)
}
