package aritest_test

import (
	"encoding/base64"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/media"
)

// This file covers what Asterisk does while no client is connected for an
// application (ari.md, "Behaviour seen on a real Asterisk 22.10.1"): the
// application's channels and bridges stay in Stasis and go on (playbacks
// end, recordings record, audio in a bridge flows), their events are
// dropped, and nothing is replayed to the client that connects again: no
// missed event and no new StasisStart for channels already in the app.

// until reads raw events until one of type typ ("*": any) whose fields
// satisfy pred (nil: any), and returns it with the types read before it.
func (r *rawEvents) until(typ string, pred func(map[string]any) bool) (map[string]any, []string) {
	r.t.Helper()
	var before []string
	for {
		ev := r.read()
		if (typ == "*" || ev["type"] == typ) && (pred == nil || pred(ev)) {
			return ev, before
		}
		before = append(before, ev["type"].(string))
	}
}

// channelID is the id of an event's channel.
func channelID(ev map[string]any) string {
	ch, _ := ev["channel"].(map[string]any)
	id, _ := ch["id"].(string)
	return id
}

// rawMarker proves that nothing reached r before it: flipping the
// registration of an endpoint the application is subscribed to emits an
// EndpointStateChange, and events reach a client in the order they were
// emitted. It returns the types of the events read before the marker.
type rawMarker struct {
	e  *env
	ep *aritest.Endpoint
	on bool
}

func (e *env) rawMarker(app string) *rawMarker {
	e.t.Helper()
	m := &rawMarker{e: e, ep: e.emu.AddEndpoint("PJSIP", "marker-"+app, aritest.NeverAnswer()), on: true}
	e.mustRest("POST", "/applications/"+app+"/subscription?eventSource=endpoint:PJSIP/marker-"+app, nil, 200)
	return m
}

func (m *rawMarker) before(r *rawEvents) []string {
	r.t.Helper()
	if m.on {
		m.ep.Unregister()
	} else {
		m.ep.Register()
	}
	m.on = !m.on
	_, before := r.until("EndpointStateChange", func(ev map[string]any) bool {
		ep, _ := ev["endpoint"].(map[string]any)
		return strings.HasPrefix(ep["resource"].(string), "marker-")
	})
	return before
}

// dialRaw places a call and waits for its StasisStart on r.
func (e *env) dialRaw(r *rawEvents, from string) *aritest.Party {
	e.t.Helper()
	p, err := e.emu.Dial(ctxT(e.t), aritest.Call{From: from, To: "4008001234"})
	if err != nil {
		e.t.Fatal(err)
	}
	r.until("StasisStart", func(ev map[string]any) bool { return channelID(ev) == p.ID() })
	e.mustRest("POST", "/channels/"+p.ID()+"/answer", nil, 204)
	return p
}

func (e *env) eventsURL(app string) string {
	return "ws" + strings.TrimPrefix(e.url, "http") + "/events?app=" + url.QueryEscape(app)
}

func (e *env) dialEvents(app string) error {
	h := http.Header{}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPass)))
	conn, _, err := websocket.Dial(ctxT(e.t), e.eventsURL(app), &websocket.DialOptions{HTTPHeader: h})
	if err == nil {
		_ = conn.CloseNow()
	}
	return err
}

// TestEventsCut: CutEvents drops the application's websocket as a broken
// network does (no close frame), refuses every reconnection until the cut
// ends, and meanwhile the calls go on: a playback and a recording finish,
// keys are pressed, and every event of it is dropped. The client that
// connects after the cut gets none of them and no StasisStart for the
// channels already in the application; it must ask for their state.
func TestEventsCut(t *testing.T) {
	var logged logLines
	e := newEnv(t, func(c *aritest.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	ws := e.rawEvents("hotline")
	marker := e.rawMarker("hotline")
	player := e.dialRaw(ws, "13800138001")
	recorded := e.dialRaw(ws, "13800138002")
	e.mustRest("POST", "/channels/"+player.ID()+"/play", map[string]any{"media": "sound:welcome", "playbackId": "pb-1"}, 201)
	e.mustRest("POST", "/channels/"+recorded.ID()+"/record", map[string]any{"name": "msg-1", "format": "wav", "maxDurationSeconds": 3}, 201)
	ws.until("PlaybackStarted", nil)
	ws.until("RecordingStarted", nil)
	if got := marker.before(ws); len(got) != 0 {
		t.Fatalf("events before the cut left over: %v", got)
	}
	dropped := e.emu.Stats().EventsDropped

	until := e.emu.CutEvents("hotline", 10*time.Second)
	if want := start.Add(10 * time.Second); !until.Equal(want) {
		t.Errorf("cut until %v, want %v", until, want)
	}
	_, _, err := ws.conn.Read(ctxT(t))
	if err == nil {
		t.Fatal("the websocket still reads after the cut")
	}
	if status := websocket.CloseStatus(err); status != -1 {
		t.Errorf("the cut websocket ended with close status %d; a broken network sends no close frame", status)
	}
	if err := e.dialEvents("hotline"); err == nil {
		t.Fatal("a reconnection during the cut succeeded")
	}
	// Asterisk still knows the inactive application and what it follows.
	during := decodeAs[struct {
		ChannelIDs []string `json:"channel_ids"`
	}](t, e.mustRest("GET", "/applications/hotline", nil, 200))
	if len(during.ChannelIDs) != 2 {
		t.Errorf("the application's channels during the cut: %v, want the two calls", during.ChannelIDs)
	}
	if all := decodeAs[[]struct{ Name string }](t, e.mustRest("GET", "/applications", nil, 200)); len(all) != 1 || all[0].Name != "hotline" {
		t.Errorf("applications during the cut: %+v, want hotline", all)
	}
	if _, err := e.emu.Dial(ctxT(t), aritest.Call{From: "13800138003", To: "4008001234"}); !errors.Is(err, aritest.ErrDeclined) {
		t.Errorf("a new call during the cut: %v, want ErrDeclined (no client for the application)", err)
	}

	e.advance(3 * time.Second) // welcome (2 s) and the 3 s recording end
	if err := player.Press("5"); err != nil {
		t.Fatal(err)
	}
	if err := e.dialEvents("hotline"); err == nil {
		t.Fatal("a reconnection 3 s into a 10 s cut succeeded")
	}
	if got := e.emu.Stats().EventsDropped - dropped; got < 3 {
		t.Errorf("%d events dropped during the cut, want at least PlaybackFinished, RecordingFinished and ChannelDtmfReceived", got)
	}
	for _, typ := range []string{"PlaybackFinished", "RecordingFinished", "ChannelDtmfReceived"} {
		if want := `"Inactive Stasis app 'hotline' missed message" type=` + typ; !strings.Contains(logged.String(), want) {
			t.Errorf("the log does not say %s", want)
		}
	}

	e.advance(7 * time.Second)
	ws2 := e.rawEvents("hotline")
	if got := marker.before(ws2); len(got) != 0 {
		t.Errorf("after the cut the client got %v before anything new; Asterisk replays nothing", got)
	}
	// What happened meanwhile is there to be asked for.
	e.mustRest("GET", "/playbacks/pb-1", nil, 404)
	e.mustRest("GET", "/recordings/live/msg-1", nil, 404)
	e.mustRest("GET", "/recordings/stored/msg-1", nil, 200)
	if got := len(e.wavOf("msg-1")); got != 3*media.SampleRate {
		t.Errorf("the recording made during the cut has %d samples, want 3 s", got)
	}
	for _, p := range []*aritest.Party{player, recorded} {
		ch := decodeAs[struct{ State string }](t, e.mustRest("GET", "/channels/"+p.ID(), nil, 200))
		if ch.State != "Up" {
			t.Errorf("channel %s after the cut: state %s, want Up", p.ID(), ch.State)
		}
	}
	apps := decodeAs[struct {
		ChannelIDs []string `json:"channel_ids"`
	}](t, e.mustRest("GET", "/applications/hotline", nil, 200))
	if len(apps.ChannelIDs) != 2 {
		t.Errorf("the application's channels after the cut: %v, want the two calls", apps.ChannelIDs)
	}
	// And the calls go on with the new client.
	if err := player.Press("7"); err != nil {
		t.Fatal(err)
	}
	dtmf, _ := ws2.until("ChannelDtmfReceived", nil)
	if dtmf["digit"] != "7" || channelID(dtmf) != player.ID() {
		t.Errorf("first key after the cut: %v, want 7 on %s", dtmf["digit"], player.ID())
	}
}

// TestBridgeOutlivesClient: while no client is connected, a bridge keeps
// mixing its callers and a recording of it keeps recording what they say.
func TestBridgeOutlivesClient(t *testing.T) {
	e := newEnv(t)
	ws := e.rawEvents("hotline")
	marker := e.rawMarker("hotline")
	customer := e.dialRaw(ws, "13800138000")
	agent := e.dialRaw(ws, "13900139000")
	e.mustRest("POST", "/bridges/call-1?type=mixing,dtmf_events", nil, 200)
	e.mustRest("POST", "/bridges/call-1/addChannel", map[string]any{"channel": customer.ID() + "," + agent.ID()}, 204)
	e.mustRest("POST", "/bridges/call-1/record", map[string]any{"name": "call-1", "format": "wav"}, 201)
	ws.until("RecordingStarted", nil)
	marker.before(ws)

	e.advance(time.Second)
	e.emu.CutEvents("", 10*time.Second) // every application
	e.advance(2 * time.Second)
	if err := customer.SendTone(time.Second, 600); err != nil {
		t.Fatal(err)
	}
	e.advance(3 * time.Second)
	if err := agent.SendTone(time.Second, 900); err != nil {
		t.Fatal(err)
	}
	e.advance(5 * time.Second) // the cut ends

	ws2 := e.rawEvents("hotline")
	if got := marker.before(ws2); len(got) != 0 {
		t.Errorf("after the cut the client got %v; Asterisk replays nothing", got)
	}
	b := decodeAs[struct{ Channels []string }](t, e.mustRest("GET", "/bridges/call-1", nil, 200))
	if len(b.Channels) != 2 {
		t.Errorf("bridge after the cut holds %v, want both callers", b.Channels)
	}
	rec := decodeAs[struct{ State string }](t, e.mustRest("GET", "/recordings/live/call-1", nil, 200))
	if rec.State != "recording" {
		t.Errorf("bridge recording after the cut: %s, want recording", rec.State)
	}
	e.mustRest("POST", "/recordings/live/call-1/stop", nil, 204)
	ws2.until("RecordingFinished", nil)

	wav := e.wavOf("call-1")
	if got, want := len(wav), 11*media.SampleRate; got != want {
		t.Fatalf("recording has %d samples, want %d (11 s)", got, want)
	}
	// Recording started at 0 s and the cut at 1 s; the customer spoke at
	// 3-4 s and the agent at 6-7 s, both during the cut; the rest is
	// silence.
	tests := []struct {
		name     string
		from, to float64
		loud     bool
	}{
		{"before", 0.5, 2.5, false},
		{"customer during the cut", 3.1, 3.9, true},
		{"between", 4.2, 5.8, false},
		{"agent during the cut", 6.1, 6.9, true},
		{"after", 7.2, 10.8, false},
	}
	for _, tt := range tests {
		if got := rms(wav[int(tt.from*media.SampleRate):int(tt.to*media.SampleRate)]); (got > 1000) != tt.loud {
			t.Errorf("%s (%.1f-%.1f s): RMS %.0f, want loud=%v", tt.name, tt.from, tt.to, got, tt.loud)
		}
	}
}

// logLines collects the emulator's log.
type logLines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func rms(samples []int16) float64 {
	var sum float64
	for _, s := range samples {
		sum += float64(s) * float64(s)
	}
	return math.Sqrt(sum / float64(max(len(samples), 1)))
}
