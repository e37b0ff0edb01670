package softphone_test

import (
	"context"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/stun/v4"
	"github.com/pion/webrtc/v4"

	"github.com/hotline-ivr/hotline/console/softphone"
	"github.com/hotline-ivr/hotline/ivr/media"
)

// dialMangled is dial with the offer changed by mangle on its way to the
// gateway; it returns the session and the answer without waiting for
// the connection.
func (b *browser) dialMangled(t *testing.T, g *softphone.Gateway, id string, mangle func(string) string) (*softphone.Session, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	s, answer, err := g.Open(ctx, id, mangle(b.offer(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	return s, answer
}

// bothWays attaches a call to s and waits until each side hears the
// other's tone, checked by frequency.
func bothWays(t *testing.T, s *softphone.Session, b *browser) {
	t.Helper()
	ast := newAsterisk(t)
	if err := s.Attach("call-1", ast.addr()); err != nil {
		t.Fatal(err)
	}
	stopMic := b.talk(600)
	defer stopMic()
	stopAst := ast.talk(s.LocalRTP(), 1000)
	defer stopAst()
	waitFor(t, "both sides hearing", func() bool { return ast.got.count() >= 25 && b.heard.count() >= 25 }, &ast.got.sig, &b.heard.sig)
	if got := audio(ast.got.all()); media.Power(got, 600) < 10*media.Power(got, 1000) {
		t.Errorf("Asterisk: want the browser's 600 Hz (power 600 Hz %.2f, 1 kHz %.2f)", media.Power(got, 600), media.Power(got, 1000))
	}
	if got := audio(b.heard.all()); media.Power(got, 1000) < 10*media.Power(got, 600) {
		t.Errorf("browser: want Asterisk's 1 kHz (power 1 kHz %.2f, 600 Hz %.2f)", media.Power(got, 1000), media.Power(got, 600))
	}
}

// TestOfferChecks: an offer the gateway cannot take is refused with what
// is missing, and nothing is left open.
func TestOfferChecks(t *testing.T) {
	g := newGateway(t, softphone.Config{})
	offer := newBrowser(t).offer(t)
	drop := func(prefix string) func(string) string {
		return func(o string) string {
			var keep []string
			for _, l := range strings.SplitAfter(o, "\n") {
				if !strings.HasPrefix(l, prefix) {
					keep = append(keep, l)
				}
			}
			return strings.Join(keep, "")
		}
	}
	for _, c := range []struct {
		name   string
		mangle func(string) string
		want   string
	}{
		{"no fingerprint", drop("a=fingerprint:"), "no SHA-256 certificate fingerprint"},
		{"no ICE credentials", drop("a=ice-pwd:"), "no ICE credentials"},
		{"no rtcp-mux", drop("a=rtcp-mux"), "does not multiplex RTCP"},
		{"plain RTP", func(o string) string { return strings.ReplaceAll(o, "UDP/TLS/RTP/SAVPF", "RTP/AVP") }, "not DTLS-SRTP"},
		{"bad setup", func(o string) string { return strings.ReplaceAll(o, "a=setup:actpass", "a=setup:sideways") }, "a=setup:sideways"},
	} {
		_, _, err := g.Open(context.Background(), "agent-"+c.name, c.mangle(offer))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
	if n := g.Sessions(); n != 0 {
		t.Errorf("%d sessions open after refused offers, want 0", n)
	}
}

// TestOtherMLinesRejected: a browser that offers a data channel and
// video beside its audio gets them refused (port 0, in order, their mids
// kept), and its audio goes through.
func TestOtherMLinesRejected(t *testing.T) {
	g := newGateway(t, softphone.Config{})
	b := newBrowser(t)
	if _, err := b.pc.CreateDataChannel("chat", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := b.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	s, answer := b.dialMangled(t, g, "agent-dc", func(o string) string { return o })
	ms := regexp.MustCompile(`(?m)^m=(\w+) (\d+) `).FindAllStringSubmatch(answer, -1)
	if len(ms) != 3 || ms[0][1] != "audio" || ms[0][2] == "0" || ms[1][2] != "0" || ms[2][2] != "0" {
		t.Fatalf("answer's m-lines %v: want audio with a port, then two refused (port 0)\n%s", ms, answer)
	}
	if !strings.Contains(answer, "a=ice-lite") || strings.Count(answer, "a=mid:") != 3 {
		t.Errorf("answer: want a=ice-lite and the three mids\n%s", answer)
	}
	waitFor(t, "the browser connected", func() bool {
		select {
		case <-b.connected:
			return true
		default:
			return false
		}
	}, &b.state)
	bothWays(t, s, b)
}

// TestGatewayAsDTLSClient: an offer with a=setup:passive makes the
// gateway the DTLS client (it answers active and starts the handshake
// once ICE is up), and media flows.
func TestGatewayAsDTLSClient(t *testing.T) {
	g := newGateway(t, softphone.Config{})
	b := newBrowser(t)
	s, answer := b.dialMangled(t, g, "agent-passive", func(o string) string {
		return strings.ReplaceAll(o, "a=setup:actpass", "a=setup:passive")
	})
	if !strings.Contains(answer, "a=setup:active") {
		t.Fatalf("answer to a passive offer: want a=setup:active\n%s", answer)
	}
	<-b.connected
	bothWays(t, s, b)
}

// TestForeignCertificate: a browser whose DTLS certificate is not the one
// its offer's fingerprint names fails the handshake: the session is
// reported closed, and no media passes.
func TestForeignCertificate(t *testing.T) {
	cfg := softphone.Config{}
	got := reports(&cfg)
	g := newGateway(t, cfg)
	b := newBrowser(t)
	fp := regexp.MustCompile(`(?m)^a=fingerprint:sha-256 (\S+)`)
	s, _ := b.dialMangled(t, g, "agent-mitm", func(o string) string {
		return fp.ReplaceAllString(o, "a=fingerprint:sha-256 "+strings.Repeat("AB:", 31)+"AB")
	})
	ast := newAsterisk(t)
	if err := s.Attach("call-1", ast.addr()); err != nil {
		t.Fatal(err)
	}
	r := nextReport(t, got)
	if r.Session != "agent-mitm" || r.Reason != softphone.ReasonClosed || !strings.Contains(r.Detail, "not the one its offer announced") {
		t.Fatalf("report %+v: want agent-mitm closed, its certificate not the one announced", r)
	}
	if softphone.SRTPUp(s) {
		t.Error("SRTP keys from a handshake with a foreign certificate")
	}
	if n := ast.got.count(); n != 0 {
		t.Errorf("Asterisk got %d packets from a browser that failed DTLS", n)
	}
}

// TestChecksNeedThePassword: a connectivity check signed with another
// password is not answered (and its address gets nothing), one signed
// with the session's is, with the address it came from.
func TestChecksNeedThePassword(t *testing.T) {
	g := newGateway(t, softphone.Config{})
	b := newBrowser(t)
	offer := b.offer(t)
	_, answer, err := g.Open(context.Background(), "agent-stun", offer)
	if err != nil {
		t.Fatal(err)
	}
	attr := func(sdp, key string) string {
		m := regexp.MustCompile(`(?m)^a=` + key + `:(\S+)`).FindStringSubmatch(sdp)
		if m == nil {
			t.Fatalf("no a=%s in\n%s", key, sdp)
		}
		return m[1]
	}
	cand := regexp.MustCompile(`(?m)^a=candidate:\S+ 1 udp \d+ (127\.0\.0\.1) (\d+) typ host`).FindStringSubmatch(answer)
	if cand == nil {
		t.Fatalf("no IPv4 loopback candidate in\n%s", answer)
	}
	port, _ := strconv.Atoi(cand[2])
	to := &net.UDPAddr{IP: net.ParseIP(cand[1]), Port: port}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	user := stun.NewUsername(attr(answer, "ice-ufrag") + ":" + attr(offer, "ice-ufrag"))
	check := func(pwd string) *stun.Message {
		m, err := stun.Build(stun.TransactionID, stun.BindingRequest, user,
			stun.RawAttribute{Type: stun.AttrICEControlling, Value: make([]byte, 8)},
			stun.NewShortTermIntegrity(pwd), stun.Fingerprint)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.WriteToUDP(m.Raw, to); err != nil {
			t.Fatal(err)
		}
		return m
	}
	check("not-the-password-at-all")
	good := check(attr(answer, "ice-pwd"))
	buf := make([]byte, 1500)
	if err := conn.SetReadDeadline(time.Now().Add(waitLimit)); err != nil { // a hang guard
		t.Fatal(err)
	}
	n, _, err := conn.ReadFromUDP(buf)
	if err != nil {
		t.Fatal(err)
	}
	res := &stun.Message{Raw: buf[:n]}
	if err := res.Decode(); err != nil {
		t.Fatal(err)
	}
	if res.TransactionID != good.TransactionID || res.Type != stun.BindingSuccess {
		t.Fatalf("first answer: %v (transaction %x); want the success of the signed check (%x): the other was answered", res.Type, res.TransactionID, good.TransactionID)
	}
	if err := stun.NewShortTermIntegrity(attr(answer, "ice-pwd")).Check(res); err != nil {
		t.Errorf("the answer is not signed with the session's password: %v", err)
	}
	var mapped stun.XORMappedAddress
	if err := mapped.GetFrom(res); err != nil {
		t.Fatal(err)
	}
	if want := conn.LocalAddr().(*net.UDPAddr).AddrPort(); netip.AddrPortFrom(netip.MustParseAddr(mapped.IP.String()), uint16(mapped.Port)) != want {
		t.Errorf("XOR-MAPPED-ADDRESS %v, want %v", mapped, want)
	}
}
