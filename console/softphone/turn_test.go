package softphone_test

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/pion/logging"
	"github.com/pion/turn/v5"
	"github.com/pion/webrtc/v4"

	"github.com/hotline-ivr/hotline/console/softphone"
)

// turnServer starts a TURN server on loopback that checks credentials
// the TURN REST way with secret (pion's, as coturn's use-auth-secret
// does), and returns its URL.
func turnServer(t *testing.T, secret string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	quiet := logging.NewDefaultLoggerFactory()
	quiet.DefaultLogLevel = logging.LogLevelDisabled // the refusals below are expected
	s, err := turn.NewServer(turn.ServerConfig{
		Realm:         "hotline.test",
		LoggerFactory: quiet,
		AuthHandler:   turn.LongTermTURNRESTAuthHandler(secret, quiet.NewLogger("turn")),
		PacketConnConfigs: []turn.PacketConnConfig{{
			PacketConn:            pc,
			RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{RelayAddress: net.IPv4(127, 0, 0, 1), Address: "127.0.0.1"},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return "turn:" + pc.LocalAddr().String() + "?transport=udp"
}

// TestTURNCredentialsOfTheirOwn: with a TURN server's shared secret, each
// page gets a username and credential of its own, valid for the TTL from
// the gateway's clock; a browser allowed to reach the gateway through the
// relay alone (iceTransportPolicy relay) connects with them, and the call
// goes both ways through the TURN server. Made with another secret, or
// expired, the TURN server refuses them: no relay, no candidate.
func TestTURNCredentialsOfTheirOwn(t *testing.T) {
	const secret = "shared-with-the-turn-server"
	url := turnServer(t, secret)
	clock := clockwork.NewFakeClockAt(time.Now())
	turnOf := func(secret string, ttl time.Duration, clock clockwork.Clock) softphone.Config {
		return softphone.Config{Clock: clock, ICEServers: []softphone.ICEServer{
			{URLs: []string{"stun:stun.example.com:3478"}},
			{URLs: []string{url}, Secret: secret, TTL: ttl},
		}}
	}
	g := newGateway(t, turnOf(secret, time.Hour, clock))
	servers := g.ICEServersFor("lilei")
	if len(servers) != 2 || servers[0].Username != "" || servers[0].Credential != "" {
		t.Fatalf("ICE servers %+v: want the STUN server as configured, then the TURN server", servers)
	}
	user, cred := servers[1].Username, servers[1].Credential
	if want := strconv.FormatInt(clock.Now().Add(time.Hour).Unix(), 10) + ":lilei"; user != want || cred == "" {
		t.Fatalf("TURN username %q (credential %q), want %q and a credential", user, cred, want)
	}
	if other := g.ICEServersFor("hanmeimei")[1]; other.Username == user || other.Credential == cred {
		t.Errorf("two users got the same TURN credentials: %+v", other)
	}

	relayed := func(servers []softphone.ICEServer) *browser {
		conf := webrtc.Configuration{ICETransportPolicy: webrtc.ICETransportPolicyRelay}
		for _, s := range servers {
			conf.ICEServers = append(conf.ICEServers, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
		}
		return newBrowserWith(t, conf)
	}
	b := relayed(g.ICEServersFor("李雷")) // a user name in Chinese: the TURN username is UTF-8
	s := b.dial(t, g, "agent-turn")
	pair, err := b.pc.GetSenders()[0].Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Local.Typ != webrtc.ICECandidateTypeRelay {
		t.Fatalf("the browser's selected pair %v (%v): want its relay candidate", pair, err)
	}
	bothWays(t, s, b) // through the relay

	for what, cfg := range map[string]softphone.Config{
		"another secret": turnOf("not-the-server's", time.Hour, clock),
		"expired":        turnOf(secret, time.Minute, clockwork.NewFakeClockAt(time.Now().Add(-time.Hour))), // made an hour ago
	} {
		g := newGateway(t, cfg)
		if offer := relayed(g.ICEServersFor("lilei")).offer(t); strings.Contains(offer, "typ relay") {
			t.Errorf("%s: the TURN server gave a relay:\n%s", what, offer)
		}
	}

	for _, bad := range []softphone.ICEServer{
		{URLs: []string{url}, Secret: secret},
		{URLs: []string{url}, Secret: secret, TTL: time.Hour, Username: "hotline"},
	} {
		if g, err := softphone.New(withLoopback(softphone.Config{ICEServers: []softphone.ICEServer{bad}})); err == nil {
			_ = g.Close()
			t.Errorf("a gateway with ICE server %+v: want an error", bad)
		} else if !strings.Contains(err.Error(), "a Secret wants a TTL over 0, and no Username or Credential") {
			t.Errorf("a gateway with ICE server %+v: %v", bad, err)
		}
	}
}
