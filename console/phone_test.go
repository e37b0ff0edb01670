package console_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/console/softphone"
	"github.com/hotline-ivr/hotline/queue"
)

// newGateway starts a softphone gateway on loopback, closed with the test.
func newGateway(t *testing.T, interfaces func(string) bool) *softphone.Gateway {
	t.Helper()
	// BusyRate 1: the gateway reads its sockets on its busy timer as soon
	// as media flows, so the browser tests here go through that path (the
	// cmd/hotline ones through the readers that wake for each datagram).
	busy := new(atomic.Bool)
	g, err := softphone.New(softphone.Config{ICELoopback: true, ICEInterfaces: interfaces, BusyRate: 1, OnBusy: func(on bool) {
		if on {
			busy.Store(true)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	wentBusy.Store(g, busy)
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Errorf("closing the gateway: %v", err)
		}
	})
	return g
}

func loopbackOnly(name string) bool { return name == "lo" }

// wentBusy has, by gateway, whether it has read on its busy timer.
var wentBusy sync.Map // *softphone.Gateway → *atomic.Bool

// readOnTimer reports whether g has gone busy (read its sockets on its
// timer) at some point.
func readOnTimer(g *softphone.Gateway) bool {
	b, ok := wentBusy.Load(g)
	return ok && b.(*atomic.Bool).Load()
}

// phoneEnv is a console with a softphone gateway, and a supervisor, "li",
// whose phone is the browser.
func phoneEnv(t *testing.T) (*env, *softphone.Gateway) {
	t.Helper()
	g := newGateway(t, loopbackOnly)
	hash, err := bcrypt.GenerateFromPassword([]byte("li-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *console.Config) {
		c.Softphone = g
		c.Users = append(c.Users, console.User{Name: "li", Role: console.RoleSupervisor, Device: "WebRTC/li", PasswordHash: string(hash)})
	})
	return e, g
}

// pionOffer is a real SDP offer with one audio m-line, from a pion peer
// connection offering the codecs register puts in its media engine.
func pionOffer(t *testing.T, register func(*webrtc.MediaEngine) error) string {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := register(m); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	o, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return pc.LocalDescription().SDP
}

func defaultCodecs(m *webrtc.MediaEngine) error { return m.RegisterDefaultCodecs() }

func opusOnly(m *webrtc.MediaEngine) error {
	return m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2},
		PayloadType:        111,
	}, webrtc.RTPCodecTypeAudio)
}

// offerBody is POST /api/softphone's body for sdp.
func offerBody(t *testing.T, sdp string) string {
	t.Helper()
	b, err := json.Marshal(console.SoftphoneOffer{SDP: sdp})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantError checks an answer's status and that its message says want.
func wantError(t *testing.T, r response, status int, want string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if msg := r.errorMessage(t); !strings.Contains(msg, want) {
		t.Errorf("error %q does not say %q", msg, want)
	}
}

// TestSoftphoneOpen: the page's offer opens the user's session, named
// by its 工号 (a supervisor's: its user name) and answered with the
// gateway's SDP; a second offer replaces the session; a phone that is
// not the browser, a bad offer and a role without a phone are refused
// with what is wrong.
func TestSoftphoneOpen(t *testing.T) {
	e, g := phoneEnv(t)
	offer := pionOffer(t, defaultCodecs)
	lilei := e.login("lilei")

	wantError(t, e.do("POST", "/api/softphone", lilei, offerBody(t, offer)), http.StatusConflict, "your phone is PJSIP/1001")
	e.acd.setDevice(t, "1001", "WebRTC/1001")
	var ans console.SoftphoneAnswer
	e.must(http.StatusOK, "POST", "/api/softphone", lilei, offerBody(t, offer), &ans)
	if ans.Session != "1001" || !strings.Contains(ans.SDP, "a=candidate:") || !strings.Contains(ans.SDP, "PCMU/8000") {
		t.Errorf("answer %+v: want session 1001 and an SDP answer with PCMU and its candidates", ans)
	}
	first, err := g.Session("1001")
	if err != nil {
		t.Fatal(err)
	}
	// A reloaded page: the new offer replaces the session.
	e.must(http.StatusOK, "POST", "/api/softphone", lilei, offerBody(t, pionOffer(t, defaultCodecs)), &ans)
	if again, err := g.Session("1001"); err != nil || again == first || g.Sessions() != 1 {
		t.Errorf("after a second offer: session %p (first %p), %v, %d open; want a new one alone", again, first, err, g.Sessions())
	}

	for _, c := range []struct {
		body   string
		status int
		want   string
	}{
		{`{}`, http.StatusBadRequest, "sdp is required"},
		{`{"sdp":"hello"}`, http.StatusBadRequest, "sdp is not an SDP offer"},
		{offerBody(t, pionOffer(t, opusOnly)), http.StatusBadRequest, "PCMU/8000"},
		{`{"offer":"x"}`, http.StatusBadRequest, "unknown field"},
	} {
		wantError(t, e.do("POST", "/api/softphone", lilei, c.body), c.status, c.want)
	}

	// A supervisor whose phone is the browser: its session is its name.
	e.must(http.StatusOK, "POST", "/api/softphone", e.login("li"), offerBody(t, offer), &ans)
	if ans.Session != "li" {
		t.Errorf("li's session is %q, want li", ans.Session)
	}
	wantError(t, e.do("POST", "/api/softphone", e.login("wang"), offerBody(t, offer)), http.StatusConflict, "your phone is PJSIP/2001")
	wantError(t, e.do("POST", "/api/softphone", e.login("zhou"), offerBody(t, offer)), http.StatusConflict, "you have no phone configured")
	for _, who := range []string{"qiu", "boss"} {
		wantError(t, e.do("POST", "/api/softphone", e.login(who), offerBody(t, offer)), http.StatusForbidden, "has no phone")
	}
	wantError(t, e.do("POST", "/api/softphone", "", offerBody(t, offer)), http.StatusUnauthorized, "not signed in")
	// A refused offer has closed 1001's session all the same: the page
	// sends one only to replace its connection.
	if _, err := g.Session("1001"); err == nil || g.Sessions() != 1 {
		t.Errorf("%d sessions open, 1001's among them (%v); want li's alone", g.Sessions(), err)
	}

	// No gateway on the server: every softphone route says so.
	plain := newEnv(t)
	tok := plain.login("lilei")
	for _, r := range [][2]string{{"POST", "/api/softphone"}, {"POST", "/api/softphone/candidate"}, {"POST", "/api/softphone/mute"}, {"DELETE", "/api/softphone"}} {
		wantError(t, plain.do(r[0], r[1], tok, ""), http.StatusNotFound, "this server has no softphone")
	}
}

// TestSoftphoneSession: trickled candidates, mute and closing act on the
// user's own open session; signing out, or the sign-in expiring, closes
// it.
func TestSoftphoneSession(t *testing.T) {
	e, g := phoneEnv(t)
	e.acd.setDevice(t, "1001", "WebRTC/1001")
	lilei := e.login("lilei")
	const cand = `{"candidate":"candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host","sdpMid":"0","sdpMLineIndex":0}`

	// Nothing open yet.
	wantError(t, e.do("POST", "/api/softphone/candidate", lilei, cand), http.StatusConflict, "your softphone is not connected")
	wantError(t, e.do("POST", "/api/softphone/mute", lilei, `{"on":true}`), http.StatusConflict, "your softphone is not connected")
	wantError(t, e.do("DELETE", "/api/softphone", lilei, ""), http.StatusConflict, "your softphone is not connected")

	e.must(http.StatusOK, "POST", "/api/softphone", lilei, offerBody(t, pionOffer(t, defaultCodecs)), nil)
	e.must(http.StatusNoContent, "POST", "/api/softphone/candidate", lilei, cand, nil)
	e.must(http.StatusNoContent, "POST", "/api/softphone/candidate", lilei, `{"candidate":""}`, nil) // the end of candidates
	wantError(t, e.do("POST", "/api/softphone/candidate", lilei, `{"candidate":"candidate:nonsense","sdpMid":"0"}`), http.StatusBadRequest, "the candidate was refused")

	wantError(t, e.do("POST", "/api/softphone/mute", lilei, `{}`), http.StatusBadRequest, "on is required")
	wantError(t, e.do("POST", "/api/softphone/mute", lilei, `{"on":"yes"}`), http.StatusBadRequest, `field "on" must be true or false`)
	var m console.MuteState
	e.must(http.StatusOK, "POST", "/api/softphone/mute", lilei, `{"on":true}`, &m)
	ps, err := g.Session("1001")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Muted || !ps.Muted() {
		t.Errorf("muted: answer %v, session %v; want both true", m.Muted, ps.Muted())
	}
	e.must(http.StatusOK, "POST", "/api/softphone/mute", lilei, `{"on":false}`, &m)
	if m.Muted || ps.Muted() {
		t.Errorf("unmuted: answer %v, session %v; want both false", m.Muted, ps.Muted())
	}

	e.must(http.StatusNoContent, "DELETE", "/api/softphone", lilei, "", nil)
	if g.Sessions() != 0 {
		t.Error("DELETE /api/softphone left the session open")
	}

	// Signing out closes it.
	e.must(http.StatusOK, "POST", "/api/softphone", lilei, offerBody(t, pionOffer(t, defaultCodecs)), nil)
	e.must(http.StatusNoContent, "POST", "/api/logout", lilei, "", nil)
	if g.Sessions() != 0 {
		t.Error("signing out left the softphone open")
	}

	// So does the sign-in's expiry, when the console notices it.
	lilei = e.login("lilei")
	e.must(http.StatusOK, "POST", "/api/softphone", lilei, offerBody(t, pionOffer(t, defaultCodecs)), nil)
	e.clock.Advance(console.DefaultSessionTTL + time.Minute)
	wantError(t, e.do("POST", "/api/softphone/mute", lilei, `{"on":true}`), http.StatusUnauthorized, "not signed in")
	if g.Sessions() != 0 {
		t.Error("the expired sign-in's softphone is still open")
	}
}

// TestSoftphoneCalls: answer, reject, hang-up and DTMF act on the agent's
// own call, each in the call's right phase, and say what is wrong
// otherwise.
func TestSoftphoneCalls(t *testing.T) {
	e, _ := phoneEnv(t)
	lilei := e.login("lilei")
	hanmei := e.login("hanmei")
	path := func(act string) string { return "/api/agents/1001/" + act }

	e.acd.mustReady(t, "1001")
	for _, act := range []string{"answer", "reject"} {
		wantError(t, e.do("POST", path(act), lilei, ""), http.StatusConflict, "agent 1001 has no ringing call")
	}
	wantError(t, e.do("POST", path("hangup"), lilei, ""), http.StatusConflict, "agent 1001 has no call to hang up")
	wantError(t, e.do("POST", path("dtmf"), lilei, `{"digits":"1"}`), http.StatusConflict, "agent 1001 has no call to send digits to")

	// A SIP phone rings: the page cannot answer it, but rejects it.
	e.acd.ring(t, "call-1", "support", "1001", "13800138000")
	wantError(t, e.do("POST", path("answer"), lilei, ""), http.StatusConflict, "answers on its phone, PJSIP/1001")
	wantError(t, e.do("POST", path("reject"), hanmei, ""), http.StatusForbidden, "only on your own agent")
	var a console.AgentView
	e.must(http.StatusOK, "POST", path("reject"), lilei, "", &a)
	if a.Call != nil || a.State == queue.Reserved {
		t.Errorf("after reject: %+v, want no call ringing", a)
	}
	if err := e.acd.center.Abandon("call-1"); err != nil { // the caller, waiting again, hangs up
		t.Fatal(err)
	}

	// The browser rings.
	e.acd.setDevice(t, "1001", "WebRTC/1001")
	e.must(http.StatusOK, "POST", path("ready"), lilei, "", nil)
	e.acd.ring(t, "call-2", "support", "1001", "13800138002")
	wantError(t, e.do("POST", path("answer"), lilei, ""), http.StatusConflict, "your softphone is not connected")
	e.must(http.StatusOK, "POST", "/api/softphone", lilei, offerBody(t, pionOffer(t, defaultCodecs)), nil)
	wantError(t, e.do("POST", path("dtmf"), lilei, `{"digits":"1"}`), http.StatusConflict, "is ringing: digits go only to a call in conversation")
	e.must(http.StatusOK, "POST", path("answer"), lilei, "", &a)
	if a.State != queue.OnCall || a.Call == nil || a.Call.Phase != "talking" {
		t.Errorf("after answer: %+v, want on a call, talking", a)
	}
	wantError(t, e.do("POST", path("answer"), lilei, ""), http.StatusConflict, "its call call-2 is talking")

	for _, c := range []struct{ body, want string }{
		{`{}`, "digits is required"},
		{`{"digits":"12x"}`, `which is not a DTMF digit`},
		{`{"digits":"` + strings.Repeat("1", 33) + `"}`, "at most 32"},
	} {
		wantError(t, e.do("POST", path("dtmf"), lilei, c.body), http.StatusBadRequest, c.want)
	}
	e.must(http.StatusOK, "POST", path("dtmf"), lilei, `{"digits":"123#"}`, nil)
	// Roles: a manager and QA act on no agent's call.
	for _, who := range []string{"boss", "qiu"} {
		wantError(t, e.do("POST", path("hangup"), e.login(who), ""), http.StatusForbidden, "acts on no agent")
	}
	e.must(http.StatusOK, "POST", path("hangup"), lilei, "", &a)
	if a.State != queue.WrapUp {
		t.Errorf("after hang-up: %s, want wrap-up", a.State)
	}
	wantError(t, e.do("POST", path("hangup"), lilei, ""), http.StatusConflict, "has no call to hang up")
	if got, want := e.acd.phoneActions(), []string{"reject 1001", "answer 1001", "dtmf 1001 123#", "hangup 1001"}; !slices.Equal(got, want) {
		t.Errorf("the center was asked %q, want %q", got, want)
	}

	// A browser phone on a server without a softphone cannot answer.
	plain := newEnv(t)
	plain.acd.setDevice(t, "1001", "WebRTC/1001")
	plain.acd.mustReady(t, "1001")
	plain.acd.ring(t, "call-3", "support", "1001", "13800138003")
	wantError(t, plain.do("POST", path("answer"), plain.login("lilei"), ""), http.StatusNotFound, "this server has no softphone")
}

// TestSoftphoneICEServers: the page makes its peer connection with the
// configured STUN/TURN servers (the gateway, a lite ICE agent, uses none
// itself), and with none when none are configured.
func TestSoftphoneICEServers(t *testing.T) {
	e, _ := phoneEnv(t)
	var got console.SoftphoneConfig
	e.must(http.StatusOK, "GET", "/api/softphone", e.login("lilei"), "", &got)
	if got.ICEServers == nil || len(got.ICEServers) != 0 {
		t.Errorf("no servers configured: got %+v, want an empty list", got)
	}

	turn := softphone.ICEServer{URLs: []string{"turn:turn.example.com:443?transport=tcp"}, Username: "hotline", Credential: "s3cret"}
	g, err := softphone.New(softphone.Config{ICELoopback: true, ICEInterfaces: loopbackOnly, ICEServers: []softphone.ICEServer{turn}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	e2 := newEnv(t, func(c *console.Config) { c.Softphone = g })
	wantError(t, e2.do("GET", "/api/softphone", "", ""), http.StatusUnauthorized, "")
	e2.must(http.StatusOK, "GET", "/api/softphone", e2.login("lilei"), "", &got)
	if len(got.ICEServers) != 1 || got.ICEServers[0].URLs[0] != turn.URLs[0] || got.ICEServers[0].Username != "hotline" || got.ICEServers[0].Credential != "s3cret" {
		t.Errorf("ICE servers: got %+v, want %+v", got.ICEServers, turn)
	}

	// A TURN server sharing a secret: each signed-in user gets credentials
	// of their own, for their name; the secret never leaves the server.
	shared := softphone.ICEServer{URLs: []string{"turn:turn.example.com:3478"}, Secret: "shared-secret", TTL: 24 * time.Hour}
	g3, err := softphone.New(softphone.Config{ICELoopback: true, ICEInterfaces: loopbackOnly, ICEServers: []softphone.ICEServer{shared}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g3.Close() })
	e3 := newEnv(t, func(c *console.Config) { c.Softphone = g3 })
	creds := map[string]softphone.ICEServer{}
	for _, user := range []string{"lilei", "hanmei"} {
		rec := e3.do("GET", "/api/softphone", e3.login(user), "")
		if rec.status != http.StatusOK || strings.Contains(string(rec.body), "shared-secret") {
			t.Fatalf("GET /api/softphone as %s: %d %s (want 200, without the secret)", user, rec.status, rec.body)
		}
		var got console.SoftphoneConfig
		if err := json.Unmarshal(rec.body, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.ICEServers) != 1 || !strings.HasSuffix(got.ICEServers[0].Username, ":"+user) || got.ICEServers[0].Credential == "" {
			t.Fatalf("ICE servers for %s: %+v, want a TURN username of theirs and a credential", user, got.ICEServers)
		}
		creds[user] = got.ICEServers[0]
	}
	if creds["lilei"].Credential == creds["hanmei"].Credential {
		t.Errorf("two users got one TURN credential: %+v", creds)
	}
}
