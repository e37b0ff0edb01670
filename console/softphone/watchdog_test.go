package softphone_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/console/softphone"
	"github.com/jonboulle/clockwork"
	"github.com/pion/webrtc/v4"
)

// reports collects the gateway's watchdog reports.
func reports(cfg *softphone.Config) <-chan softphone.Report {
	ch := make(chan softphone.Report, 16)
	cfg.OnDead = func(r softphone.Report) { ch <- r }
	return ch
}

func nextReport(t *testing.T, ch <-chan softphone.Report) softphone.Report {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(waitLimit):
		t.Fatalf("no watchdog report after %v", waitLimit)
		return softphone.Report{}
	}
}

// TestWatchdogBrowserStopsSending: with a call attached, a browser that
// stops sending is reported once NoMediaTimeout has passed (on the
// injected clock) since its last packet, and not while it talks.
func TestWatchdogBrowserStopsSending(t *testing.T) {
	clock := clockwork.NewFakeClock()
	cfg := softphone.Config{Clock: clock, NoMediaTimeout: 5 * time.Second, ICEGrace: 5 * time.Second}
	got := reports(&cfg)
	g := newGateway(t, cfg)
	b := newBrowser(t)
	s := b.dial(t, g, "agent-quiet")
	ast := newAsterisk(t)
	start := clock.Now()
	if err := s.Attach("call-1", ast.addr()); err != nil {
		t.Fatal(err)
	}
	stopMic := b.talk(600)
	defer stopMic()
	waitFor(t, "Asterisk hearing the browser", func() bool { return ast.got.count() >= 3 }, &ast.got.sig)
	clock.Advance(4 * time.Second) // talking all along: nothing to report
	heard := ast.got.count()
	waitFor(t, "Asterisk hearing the browser 4 s later", func() bool { return ast.got.count() >= heard+3 }, &ast.got.sig)
	stopMic() // its last packet was seen at start+4 s at the latest
	select {
	case r := <-got:
		t.Fatalf("reported while the browser talked: %+v", r)
	default:
	}
	for range 5 {
		clock.Advance(1250 * time.Millisecond) // the watchdog looks every NoMediaTimeout/4
	}
	r := nextReport(t, got)
	if r.Session != "agent-quiet" || r.Call != "call-1" || r.Reason != softphone.ReasonNoMedia {
		t.Fatalf("report %+v: want agent-quiet, call-1, no-media", r)
	}
	if since := r.At.Sub(start); since < 9*time.Second || since > 10250*time.Millisecond {
		t.Errorf("reported %v after the attach: want 5 s after the last packet (at 4 s), within one check period", since)
	}
	if _, err := g.Session("agent-quiet"); err != nil {
		t.Errorf("the session should stay open after a no-media report: %v", err)
	}
}

// TestWatchdogPeerConnectionClosed: the browser closing its peer
// connection (a closed tab) is reported at once, with the call attached,
// and the session is gone.
func TestWatchdogPeerConnectionClosed(t *testing.T) {
	cfg := softphone.Config{}
	got := reports(&cfg)
	g := newGateway(t, cfg)
	b := newBrowser(t)
	s := b.dial(t, g, "agent-tab")
	ast := newAsterisk(t)
	if err := s.Attach("call-9", ast.addr()); err != nil {
		t.Fatal(err)
	}
	if err := b.pc.Close(); err != nil {
		t.Fatal(err)
	}
	r := nextReport(t, got)
	if r.Session != "agent-tab" || r.Call != "call-9" || r.Reason != softphone.ReasonClosed {
		t.Fatalf("report %+v: want agent-tab, call-9, closed", r)
	}
	if _, err := g.Session("agent-tab"); !errors.Is(err, softphone.ErrNoSession) {
		t.Fatalf("after the report: %v, want ErrNoSession", err)
	}
	if err := s.Attach("call-10", ast.addr()); !errors.Is(err, softphone.ErrClosed) {
		t.Fatalf("Attach on a closed session: %v, want ErrClosed", err)
	}
}

// TestWatchdogICELost: the network path to the browser goes dead (no
// DTLS close: a cable pulled, a laptop lid shut); after pion calls ICE
// disconnected and the grace passes, it is reported.
func TestWatchdogICELost(t *testing.T) {
	cfg := softphone.Config{ICEDisconnectedTimeout: 600 * time.Millisecond, ICEGrace: 200 * time.Millisecond}
	got := reports(&cfg)
	g := newGateway(t, cfg)
	b := newBrowser(t)
	r := newRelay(t)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	s, answer, err := g.Open(ctx, "agent-lid", r.offer(t, b.offer(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: r.answer(t, answer)}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.connected:
	case <-ctx.Done():
		t.Fatal("browser not connected through the relay")
	}
	ast := newAsterisk(t)
	if err := s.Attach("call-3", ast.addr()); err != nil {
		t.Fatal(err)
	}
	r.cut.Store(true)
	rep := nextReport(t, got)
	if rep.Session != "agent-lid" || rep.Call != "call-3" || rep.Reason != softphone.ReasonICE {
		t.Fatalf("report %+v: want agent-lid, call-3, ice", rep)
	}
}

// relay carries the ICE (and so all) traffic between a browser and the
// gateway on loopback, until cut: each side is told, in the SDP it gets,
// that the other is at one of the relay's sockets.
type relay struct {
	toGateway, toBrowser *net.UDPConn // the browser's and the gateway's stand-ins
	browser, gateway     atomic.Pointer[netip.AddrPort]
	cut                  atomic.Bool
}

func newRelay(t *testing.T) *relay {
	r := &relay{}
	for _, c := range []**net.UDPConn{&r.toGateway, &r.toBrowser} {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		*c = conn
		t.Cleanup(func() { _ = conn.Close() })
	}
	pipe := func(from, to *net.UDPConn, dest *atomic.Pointer[netip.AddrPort]) {
		buf := make([]byte, 1500)
		for {
			n, _, err := from.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if d := dest.Load(); d != nil && !r.cut.Load() {
				_, _ = to.WriteToUDPAddrPort(buf[:n], *d)
			}
		}
	}
	go pipe(r.toGateway, r.toBrowser, &r.browser) // what the gateway sends the browser
	go pipe(r.toBrowser, r.toGateway, &r.gateway)
	return r
}

var hostCandidate = regexp.MustCompile(`(?m)^a=candidate:(\S+) (\d+) (?i:udp) (\d+) (\S+) (\d+) typ host(.*)\r?\n`)

// swap keeps sdp's first IPv4 UDP host candidate, pointed at stand, and
// returns its real address in real.
func swap(t *testing.T, sdp string, stand *net.UDPConn, real *atomic.Pointer[netip.AddrPort]) string {
	t.Helper()
	kept := false
	out := hostCandidate.ReplaceAllStringFunc(sdp, func(line string) string {
		m := hostCandidate.FindStringSubmatch(line)
		addr, err := netip.ParseAddr(m[4])
		if kept || err != nil || !addr.Is4() {
			return ""
		}
		port, _ := strconv.Atoi(m[5])
		ap := netip.AddrPortFrom(addr, uint16(port))
		real.Store(&ap)
		kept = true
		s := stand.LocalAddr().(*net.UDPAddr)
		return "a=candidate:" + m[1] + " " + m[2] + " udp " + m[3] + " " + s.IP.String() + " " + strconv.Itoa(s.Port) + " typ host" + strings.TrimRight(m[6], "\r") + "\r\n"
	})
	if !kept {
		t.Fatalf("no IPv4 UDP host candidate in\n%s", sdp)
	}
	return out
}

func (r *relay) offer(t *testing.T, sdp string) string {
	return swap(t, sdp, r.toGateway, &r.browser)
}

func (r *relay) answer(t *testing.T, sdp string) string {
	return swap(t, sdp, r.toBrowser, &r.gateway)
}
