package aritest_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/coder/websocket"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// This file covers the routes around calls: /asterisk, /applications (and
// their subscriptions), /endpoints, /sounds, authentication, and the
// ApplicationReplaced event. channelops_test.go covers /channels.

// ---- helpers shared with channelops_test.go ----

// decodeAs unmarshals a JSON body or fails the test.
func decodeAs[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	return v
}

// typesOf lists the types of events, for messages.
func typesOf(evs []ari.Event) []string {
	out := make([]string, len(evs))
	for i, x := range evs {
		out[i] = x.GetType()
	}
	return out
}

// fence proves that an application received nothing it should not have:
// the application subscribes to a spare endpoint, and flipping that
// endpoint's registration emits an EndpointStateChange. Events reach a
// client in the order the emulator emitted them, so whatever was emitted
// before the flip arrives before that marker.
type fence struct {
	ep *aritest.Endpoint
	on bool
}

func (e *env) newFence(app string) *fence {
	e.t.Helper()
	f := &fence{ep: e.emu.AddEndpoint("PJSIP", "fence-"+app, aritest.NeverAnswer()), on: true}
	e.mustRest("POST", "/applications/"+app+"/subscription?eventSource=endpoint:PJSIP/fence-"+app, nil, 200)
	return f
}

// drain returns every event ev received before the marker.
func (f *fence) drain(ev *events) []ari.Event {
	ev.t.Helper()
	if f.on {
		f.ep.Unregister()
	} else {
		f.ep.Register()
	}
	f.on = !f.on
	var before []ari.Event
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case x := <-ev.ch:
			if sc, isState := x.(*ari.EndpointStateChange); isState && strings.HasPrefix(sc.Endpoint.Resource, "fence-") {
				return before
			}
			before = append(before, x)
		case <-timeout.C:
			ev.t.Fatalf("fence marker never came; saw %v", typesOf(before))
			return nil
		}
	}
}

// quiet insists nothing reached ev before the marker.
func (f *fence) quiet(ev *events, what string) {
	ev.t.Helper()
	if got := f.drain(ev); len(got) > 0 {
		ev.t.Errorf("%s: got events %v, want none", what, typesOf(got))
	}
}

// rawEvents is an events websocket read by hand: the ari/v6 bus drops
// events that name no resource (ApplicationReplaced has no Keys), and this
// one never reconnects by itself.
type rawEvents struct {
	t    *testing.T
	conn *websocket.Conn
}

func (e *env) rawEvents(app string) *rawEvents {
	e.t.Helper()
	u := "ws" + strings.TrimPrefix(e.url, "http") + "/events?app=" + url.QueryEscape(app)
	h := http.Header{}
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPass)))
	conn, _, err := websocket.Dial(ctxT(e.t), u, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		e.t.Fatalf("events websocket for %s: %v", app, err)
	}
	e.t.Cleanup(func() { _ = conn.CloseNow() })
	return &rawEvents{t: e.t, conn: conn}
}

// read returns the next event, decoded.
func (r *rawEvents) read() map[string]any {
	r.t.Helper()
	_, msg, err := r.conn.Read(ctxT(r.t))
	if err != nil {
		r.t.Fatalf("reading events: %v", err)
	}
	return decodeAs[map[string]any](r.t, msg)
}

// ---- /asterisk ----

func TestAsteriskInfo(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		query string
		want  []string // top-level parts, sorted
	}{
		{"", []string{"build", "config", "status", "system"}},
		{"?only=system", []string{"system"}},
		{"?only=build,status", []string{"build", "status"}},
		{"?only=config", []string{"config"}},
	}
	for _, tt := range tests {
		t.Run("only="+strings.TrimPrefix(tt.query, "?only="), func(t *testing.T) {
			info := decodeAs[map[string]json.RawMessage](t, e.mustRest("GET", "/asterisk/info"+tt.query, nil, 200))
			var got []string
			for k := range info {
				got = append(got, k)
			}
			sort.Strings(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("parts = %v, want %v", got, tt.want)
			}
			if raw, has := info["system"]; has {
				sys := decodeAs[struct{ Version, Entity_ID string }](t, raw)
				if sys.Entity_ID != e.emu.EntityID() {
					t.Errorf("system.entity_id = %q, want %q", sys.Entity_ID, e.emu.EntityID())
				}
				if !strings.HasPrefix(sys.Version, "22.") {
					t.Errorf("system.version = %q, want Asterisk 22", sys.Version)
				}
			}
			if raw, has := info["status"]; has {
				st := decodeAs[struct{ Startup_Time string }](t, raw)
				if want := start.Format("2006-01-02T15:04:05.000-0700"); st.Startup_Time != want {
					t.Errorf("status.startup_time = %q, want %q (the clock at New)", st.Startup_Time, want)
				}
			}
		})
	}
	t.Run("ari client", func(t *testing.T) {
		cl := e.client("hotline")
		info, err := cl.Asterisk().Info(nil)
		if err != nil {
			t.Fatal(err)
		}
		if info.SystemInfo.EntityID != "02:42:ac:11:00:02" || info.SystemInfo.EntityID != e.emu.EntityID() {
			t.Errorf("entity id = %q, want the configured 02:42:ac:11:00:02", info.SystemInfo.EntityID)
		}
	})
}

func TestAsteriskPing(t *testing.T) {
	e := newEnv(t)
	type ping struct{ Ping, Asterisk_ID, Timestamp string }
	check := func(want time.Time) {
		t.Helper()
		got := decodeAs[ping](t, e.mustRest("GET", "/asterisk/ping", nil, 200))
		w := ping{Ping: "pong", Asterisk_ID: e.emu.EntityID(), Timestamp: want.Format("2006-01-02T15:04:05.000-0700")}
		if got != w {
			t.Errorf("ping = %+v, want %+v", got, w)
		}
	}
	check(start)
	e.advance(90*time.Second + 250*time.Millisecond)
	check(start.Add(90*time.Second + 250*time.Millisecond))
}

// ---- authentication ----

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		auth func(*http.Request)
		path string
		want int
	}{
		{"no credentials", func(*http.Request) {}, "/asterisk/info", 401},
		{"wrong password", func(r *http.Request) { r.SetBasicAuth(testUser, "guess") }, "/asterisk/info", 401},
		{"wrong user", func(r *http.Request) { r.SetBasicAuth("admin", testPass) }, "/channels", 401},
		{"no credentials on a channel op", func(*http.Request) {}, "/channels/nope/answer", 401},
		{"basic auth", func(r *http.Request) { r.SetBasicAuth(testUser, testPass) }, "/asterisk/info", 200},
		{"api_key", func(*http.Request) {}, "/asterisk/info?api_key=" + testUser + ":" + testPass, 200},
		{"bad api_key", func(*http.Request) {}, "/asterisk/info?api_key=" + testUser + ":nope", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := "GET"
			if strings.HasSuffix(tt.path, "/answer") {
				method = "POST"
			}
			req, err := http.NewRequest(method, e.url+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			tt.auth(req)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("WWW-Authenticate = %q, want a Basic challenge", resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("events websocket", func(t *testing.T) {
		u := "ws" + strings.TrimPrefix(e.url, "http") + "/events?app=hotline"
		_, resp, err := websocket.Dial(ctxT(t), u, nil)
		if err == nil {
			t.Fatal("websocket without credentials was accepted")
		}
		if resp == nil || resp.StatusCode != 401 {
			t.Fatalf("websocket without credentials: %v, want a 401 answer", err)
		}
		// Nothing registered: a call to the application is declined.
		if _, err := e.emu.Dial(ctxT(t), aritest.Call{From: "1", To: "4008001234"}); err == nil {
			t.Error("call reached an application whose websocket was refused")
		}
	})
}

// ---- /applications ----

type appJSON struct {
	Name        string   `json:"name"`
	ChannelIDs  []string `json:"channel_ids"`
	BridgeIDs   []string `json:"bridge_ids"`
	EndpointIDs []string `json:"endpoint_ids"`
	DeviceNames []string `json:"device_names"`
}

func TestApplications(t *testing.T) {
	e := newEnv(t)
	if got := decodeAs[[]appJSON](t, e.mustRest("GET", "/applications", nil, 200)); len(got) != 0 {
		t.Errorf("applications before any client = %+v, want none", got)
	}
	e.mustRest("GET", "/applications/hotline", nil, 404)

	cl := e.client("hotline")
	ev := watch(t, cl)
	_ = e.client("agents")
	list := decodeAs[[]appJSON](t, e.mustRest("GET", "/applications", nil, 200))
	var names []string
	for _, a := range list {
		names = append(names, a.Name)
		if a.ChannelIDs == nil || a.BridgeIDs == nil || a.EndpointIDs == nil || a.DeviceNames == nil {
			t.Errorf("application %+v: id lists must be present, even empty", a)
		}
	}
	if want := []string{"agents", "hotline"}; !slices.Equal(names, want) {
		t.Errorf("applications = %v, want %v", names, want)
	}

	p, err := e.emu.Dial(ctxT(t), aritest.Call{From: "13800138000", To: "4008001234"})
	if err != nil {
		t.Fatal(err)
	}
	ev.next("StasisStart", nil)
	got := decodeAs[appJSON](t, e.mustRest("GET", "/applications/hotline", nil, 200))
	if got.Name != "hotline" || !slices.Equal(got.ChannelIDs, []string{p.ID()}) {
		t.Errorf("GET /applications/hotline = %+v, want hotline with channel %s", got, p.ID())
	}
	if other := decodeAs[appJSON](t, e.mustRest("GET", "/applications/agents", nil, 200)); len(other.ChannelIDs) != 0 {
		t.Errorf("agents follows channels %v, want none", other.ChannelIDs)
	}
	e.mustRest("GET", "/applications/nobody", nil, 404)
	// Originating to an application nobody registered is accepted (Asterisk
	// only fails the call when it answers) but registers nothing.
	e.emu.AddEndpoint("PJSIP", "1001", aritest.NeverAnswer())
	e.mustRest("POST", "/channels", map[string]any{"endpoint": "PJSIP/1001", "app": "nobody"}, 200)
	if n := len(decodeAs[[]appJSON](t, e.mustRest("GET", "/applications", nil, 200))); n != 2 {
		t.Errorf("%d applications after an originate to nobody, want 2", n)
	}
	e.mustRest("GET", "/applications/nobody", nil, 404)

	// The ari/v6 client lists the same.
	keys, err := cl.Application().List(nil)
	if err != nil {
		t.Fatal(err)
	}
	names = names[:0]
	for _, k := range keys {
		names = append(names, k.ID)
	}
	sort.Strings(names)
	if want := []string{"agents", "hotline"}; !slices.Equal(names, want) {
		t.Errorf("client List = %v, want %v", names, want)
	}
	if err := p.Hangup(); err != nil {
		t.Fatal(err)
	}
	ev.next("ChannelDestroyed", nil)
	if got := decodeAs[appJSON](t, e.mustRest("GET", "/applications/hotline", nil, 200)); len(got.ChannelIDs) != 0 {
		t.Errorf("hotline still follows %v after the hangup", got.ChannelIDs)
	}
}

func TestApplicationSubscriptions(t *testing.T) {
	e := newEnv(t, func(c *aritest.Config) {
		c.Dialplan = func(ctx, exten string) (aritest.Route, bool) {
			if exten == "200" {
				return aritest.Route{App: "agents", Args: []string{exten}}, true
			}
			return aritest.Route{App: "hotline", Args: []string{exten}}, true
		}
	})
	cl := e.client("hotline")
	ev := watch(t, cl)
	agents := e.client("agents")
	agentEv := watch(t, agents)
	ep := e.emu.AddEndpoint("PJSIP", "1001", aritest.AnswerAfter(2*time.Second))
	f := e.newFence("hotline")

	// A channel in the other application's Stasis, and a bridge nobody owns.
	other, err := e.emu.Dial(ctxT(t), aritest.Call{From: "13800138000", To: "200"})
	if err != nil {
		t.Fatal(err)
	}
	agentEv.next("StasisStart", nil)
	bridgeID := decodeAs[struct{ ID string }](t, e.mustRest("POST", "/bridges?type=mixing", nil, 200)).ID
	f.quiet(ev, "hotline before subscribing")

	sub := func(method, source string, want int) appJSON {
		t.Helper()
		q := ""
		if source != "" {
			q = "?eventSource=" + url.QueryEscape(source)
		}
		b := e.mustRest(method, "/applications/hotline/subscription"+q, nil, want)
		if want != 200 {
			return appJSON{}
		}
		return decodeAs[appJSON](t, b)
	}

	t.Run("channel", func(t *testing.T) {
		a := sub("POST", "channel:"+other.ID(), 200)
		if !slices.Contains(a.ChannelIDs, other.ID()) {
			t.Fatalf("channel_ids = %v, want %s", a.ChannelIDs, other.ID())
		}
		// hotline now sees what happens to the agents' channel...
		e.mustRest("POST", "/channels/"+other.ID()+"/variable?variable=QUEUE&value=sales", nil, 204)
		vs := ev.next("ChannelVarset", nil).(*ari.ChannelVarset)
		if vs.Channel.ID != other.ID() || vs.Variable != "QUEUE" || vs.Value != "sales" || vs.Application != "hotline" {
			t.Errorf("ChannelVarset = %s=%s on %s for %s, want QUEUE=sales on %s for hotline", vs.Variable, vs.Value, vs.Channel.ID, vs.Application, other.ID())
		}
		// ...until it unsubscribes.
		a = sub("DELETE", "channel:"+other.ID(), 200)
		if slices.Contains(a.ChannelIDs, other.ID()) {
			t.Errorf("channel_ids = %v after unsubscribing", a.ChannelIDs)
		}
		e.mustRest("POST", "/channels/"+other.ID()+"/variable?variable=QUEUE&value=support", nil, 204)
		f.quiet(ev, "hotline after unsubscribing the channel")
		agentEv.next("ChannelVarset", func(x ari.Event) bool { return x.(*ari.ChannelVarset).Value == "support" })
		// The agents application keeps its own (Stasis) subscription.
		if a := decodeAs[appJSON](t, e.mustRest("GET", "/applications/agents", nil, 200)); !slices.Equal(a.ChannelIDs, []string{other.ID()}) {
			t.Errorf("agents channel_ids = %v, want [%s]", a.ChannelIDs, other.ID())
		}
	})

	t.Run("bridge", func(t *testing.T) {
		a := sub("POST", "bridge:"+bridgeID, 200)
		if !slices.Equal(a.BridgeIDs, []string{bridgeID}) {
			t.Fatalf("bridge_ids = %v, want [%s]", a.BridgeIDs, bridgeID)
		}
		e.mustRest("DELETE", "/bridges/"+bridgeID, nil, 204)
		if d := ev.next("BridgeDestroyed", nil).(*ari.BridgeDestroyed); d.Bridge.ID != bridgeID {
			t.Errorf("BridgeDestroyed for %s, want %s", d.Bridge.ID, bridgeID)
		}
	})

	t.Run("endpoint", func(t *testing.T) {
		a := sub("POST", "endpoint:PJSIP/1001", 200)
		if !slices.Contains(a.EndpointIDs, "PJSIP/1001") {
			t.Fatalf("endpoint_ids = %v, want PJSIP/1001", a.EndpointIDs)
		}
		for _, tt := range []struct {
			flip  func()
			state string
		}{{ep.Unregister, "offline"}, {ep.Register, "online"}} {
			tt.flip()
			sc := ev.next("EndpointStateChange", func(x ari.Event) bool {
				return x.(*ari.EndpointStateChange).Endpoint.Resource == "1001"
			}).(*ari.EndpointStateChange)
			if sc.Endpoint.Technology != "PJSIP" || sc.Endpoint.State != tt.state {
				t.Errorf("EndpointStateChange = %+v, want PJSIP/1001 %s", sc.Endpoint, tt.state)
			}
		}
		a = sub("DELETE", "endpoint:PJSIP/1001", 200)
		if slices.Contains(a.EndpointIDs, "PJSIP/1001") {
			t.Errorf("endpoint_ids = %v after unsubscribing", a.EndpointIDs)
		}
		ep.Unregister()
		f.quiet(ev, "hotline after unsubscribing the endpoint")
		ep.Register()
	})

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name, method, source string
			want                 int
		}{
			{"missing eventSource", "POST", "", 400},
			{"missing eventSource on delete", "DELETE", "", 400},
			{"unknown channel", "POST", "channel:no-such-channel", 422},
			{"unknown bridge", "POST", "bridge:no-such-bridge", 422},
			{"unknown endpoint", "POST", "endpoint:PJSIP/9999", 422},
			{"endpoint without resource", "POST", "endpoint:", 422},
			{"bad scheme", "POST", "mailbox:1001", 400},
			{"bad scheme on delete", "DELETE", "mailbox:1001", 400},
			// Asterisk's res_ari answers 422 "Event source was not
			// subscribed to"; the 409 its API description lists is never
			// sent (resource_applications.c).
			{"channel not subscribed", "DELETE", "channel:" + other.ID(), 422},
			{"endpoint not subscribed", "DELETE", "endpoint:PJSIP/1001", 422},
			{"deleted bridge", "DELETE", "bridge:" + bridgeID, 422},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { sub(tt.method, tt.source, tt.want) })
		}
		t.Run("unknown application", func(t *testing.T) {
			e.mustRest("POST", "/applications/nobody/subscription?eventSource=endpoint:PJSIP/1001", nil, 404)
			e.mustRest("DELETE", "/applications/nobody/subscription?eventSource=endpoint:PJSIP/1001", nil, 404)
		})
		// A failed request left nothing behind.
		if a := decodeAs[appJSON](t, e.mustRest("GET", "/applications/hotline", nil, 200)); len(a.ChannelIDs) != 0 || len(a.BridgeIDs) != 0 || !slices.Equal(a.EndpointIDs, []string{"PJSIP/fence-hotline"}) {
			t.Errorf("hotline after failed requests = %+v, want only the fence endpoint", a)
		}
	})

	t.Run("ari client", func(t *testing.T) {
		key := ari.NewKey(ari.ApplicationKey, "hotline")
		if err := cl.Application().Subscribe(key, "endpoint:PJSIP/1001"); err != nil {
			t.Fatal(err)
		}
		ep.Unregister()
		if sc := ev.next("EndpointStateChange", nil).(*ari.EndpointStateChange); sc.Endpoint.Resource != "1001" || sc.Endpoint.State != "offline" {
			t.Errorf("EndpointStateChange = %+v, want 1001 offline", sc.Endpoint)
		}
		if err := cl.Application().Unsubscribe(key, "endpoint:PJSIP/1001"); err != nil {
			t.Fatal(err)
		}
		if err := cl.Application().Unsubscribe(key, "endpoint:PJSIP/1001"); err == nil {
			t.Error("second Unsubscribe succeeded, want an error (422)")
		}
	})
}

// TestApplicationReplaced: a second websocket for an application takes it
// over. The first is told so and gets no more of that application's
// events, but stays open for its other applications, as on Asterisk.
func TestApplicationReplaced(t *testing.T) {
	e := newEnv(t, func(c *aritest.Config) {
		c.Dialplan = func(ctx, exten string) (aritest.Route, bool) {
			if exten == "300" {
				return aritest.Route{App: "spare", Args: []string{exten}}, true
			}
			return aritest.Route{App: "hotline", Args: []string{exten}}, true
		}
	})
	first := e.rawEvents("hotline,spare")
	second := e.client("hotline")
	ev := watch(t, second)

	got := first.read()
	if got["type"] != "ApplicationReplaced" || got["application"] != "hotline" || got["asterisk_id"] != e.emu.EntityID() {
		t.Fatalf("first event on the old socket = %v, want ApplicationReplaced for hotline from %s", got, e.emu.EntityID())
	}
	// The application's calls now go to the second client...
	p, err := e.emu.Dial(ctxT(t), aritest.Call{From: "13800138000", To: "4008001234"})
	if err != nil {
		t.Fatalf("call after the takeover: %v", err)
	}
	if st := ev.next("StasisStart", nil).(*ari.StasisStart); st.Channel.ID != p.ID() {
		t.Errorf("StasisStart for %s, want %s", st.Channel.ID, p.ID())
	}
	// ...and the old socket, still open, has only its other application's.
	sp, err := e.emu.Dial(ctxT(t), aritest.Call{From: "13800138000", To: "300"})
	if err != nil {
		t.Fatalf("call to the old socket's other application: %v", err)
	}
	got = first.read()
	ch, _ := got["channel"].(map[string]any)
	if got["type"] != "StasisStart" || got["application"] != "spare" || ch["id"] != sp.ID() {
		t.Errorf("next event on the old socket = %s for %s on %v, want StasisStart for spare on %s", got["type"], got["application"], ch["id"], sp.ID())
	}
	var names []string
	for _, a := range decodeAs[[]appJSON](t, e.mustRest("GET", "/applications", nil, 200)) {
		names = append(names, a.Name)
	}
	if want := []string{"hotline", "spare"}; !slices.Equal(names, want) {
		t.Errorf("applications = %v, want %v", names, want)
	}
	// The ari/v6 bus could not have shown the event to the first client:
	// ApplicationReplaced has no keys, and the bus delivers an event only to
	// subscriptions that match one of its keys.
	if keys := (&ari.ApplicationReplaced{}).Keys(); len(keys) != 0 {
		t.Logf("ari/v6 now gives ApplicationReplaced keys %v: its bus may deliver it", keys)
	}
}

// ---- /endpoints ----

type endpointJSON struct {
	Technology string   `json:"technology"`
	Resource   string   `json:"resource"`
	State      string   `json:"state"`
	ChannelIDs []string `json:"channel_ids"`
}

func TestEndpoints(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	e.emu.AddEndpoint("PJSIP", "1001", aritest.AnswerAfter(2*time.Second))
	e.emu.AddEndpoint("PJSIP", "1002", aritest.NeverAnswer()).Unregister()

	want := []endpointJSON{
		{"PJSIP", "1001", "online", []string{}},
		{"PJSIP", "1002", "offline", []string{}},
	}
	for _, path := range []string{"/endpoints", "/endpoints/PJSIP"} {
		if got := decodeAs[[]endpointJSON](t, e.mustRest("GET", path, nil, 200)); !reflect.DeepEqual(got, want) {
			t.Errorf("GET %s = %+v, want %+v", path, got, want)
		}
	}
	if got := decodeAs[endpointJSON](t, e.mustRest("GET", "/endpoints/PJSIP/1002", nil, 200)); !reflect.DeepEqual(got, want[1]) {
		t.Errorf("GET /endpoints/PJSIP/1002 = %+v, want %+v", got, want[1])
	}
	// A ringing call shows on its endpoint.
	ch := decodeAs[struct{ ID string }](t, e.mustRest("POST", "/channels", map[string]any{"endpoint": "PJSIP/1001", "app": "hotline"}, 200))
	ev.next("Dial", func(x ari.Event) bool { return x.(*ari.Dial).Dialstatus == "RINGING" })
	if got := decodeAs[endpointJSON](t, e.mustRest("GET", "/endpoints/PJSIP/1001", nil, 200)); !slices.Equal(got.ChannelIDs, []string{ch.ID}) || got.State != "online" {
		t.Errorf("GET /endpoints/PJSIP/1001 while ringing = %+v, want online with channel %s", got, ch.ID)
	}
	e.mustRest("DELETE", "/channels/"+ch.ID, nil, 204)
	ev.next("ChannelDestroyed", nil)
	if got := decodeAs[endpointJSON](t, e.mustRest("GET", "/endpoints/PJSIP/1001", nil, 200)); len(got.ChannelIDs) != 0 {
		t.Errorf("channel_ids after the hangup = %v, want none", got.ChannelIDs)
	}

	for _, tt := range []struct{ path string }{
		{"/endpoints/PJSIP/9999"},
		{"/endpoints/IAX2/1001"},
		{"/endpoints/IAX2"},
	} {
		t.Run("404 "+tt.path, func(t *testing.T) { e.mustRest("GET", tt.path, nil, 404) })
	}

	keys, err := cl.Endpoint().List(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Errorf("client Endpoint().List = %v, want 2 endpoints", keys)
	}
}

// ---- /sounds ----

type formatLang struct {
	Language string `json:"language"`
	Format   string `json:"format"`
}

type soundJSON struct {
	ID      string       `json:"id"`
	Formats []formatLang `json:"formats"`
}

func TestSounds(t *testing.T) {
	e := newEnv(t)
	en, zh := formatLang{"en", "wav"}, formatLang{"zh", "wav"}

	all := decodeAs[[]soundJSON](t, e.mustRest("GET", "/sounds", nil, 200))
	byID := map[string][]formatLang{}
	for _, s := range all {
		if strings.HasPrefix(s.ID, "en/") || strings.HasPrefix(s.ID, "zh/") {
			t.Errorf("sound id %q keeps its language folder", s.ID)
		}
		if _, dup := byID[s.ID]; dup {
			t.Errorf("sound %q listed twice", s.ID)
		}
		byID[s.ID] = s.Formats
	}
	// hello-world is at the top (English), in en/ and in zh/: English once.
	if got, want := byID["hello-world"], []formatLang{en, zh}; !slices.Equal(got, want) {
		t.Errorf("hello-world formats = %v, want %v", got, want)
	}
	for d := 0; d <= 19; d++ {
		id := fmt.Sprintf("digits/%d", d)
		if got := byID[id]; !slices.Equal(got, []formatLang{en}) {
			t.Errorf("%s formats = %v, want [en wav]", id, got)
		}
	}

	tests := []struct {
		query string
		check func(t *testing.T, got []soundJSON)
	}{
		{"?lang=zh", func(t *testing.T, got []soundJSON) {
			want := []soundJSON{{"hello-world", []formatLang{zh}}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		}},
		{"?lang=en", func(t *testing.T, got []soundJSON) {
			if len(got) != len(all) {
				t.Errorf("%d English sounds, want all %d", len(got), len(all))
			}
			for _, s := range got {
				if !slices.Equal(s.Formats, []formatLang{en}) {
					t.Errorf("%s formats = %v, want only [en wav]", s.ID, s.Formats)
				}
			}
		}},

		{"?format=wav&lang=zh", func(t *testing.T, got []soundJSON) {
			if len(got) != 1 || got[0].ID != "hello-world" {
				t.Errorf("got %+v, want hello-world", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			tt.check(t, decodeAs[[]soundJSON](t, e.mustRest("GET", "/sounds"+tt.query, nil, 200)))
		})
	}

	gets := []struct {
		path string
		want soundJSON
	}{
		{"/sounds/hello-world", soundJSON{"hello-world", []formatLang{en, zh}}},
		{"/sounds/welcome", soundJSON{"welcome", []formatLang{en}}},
		{"/sounds/digits%2F1", soundJSON{"digits/1", []formatLang{en}}},
		{"/sounds/digits%2F19", soundJSON{"digits/19", []formatLang{en}}},
		{"/sounds/letters%2Fa", soundJSON{"letters/a", []formatLang{en}}},
	}
	for _, tt := range gets {
		t.Run(tt.path, func(t *testing.T) {
			if got := decodeAs[soundJSON](t, e.mustRest("GET", tt.path, nil, 200)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	// Nothing found is a 404 on Asterisk (resource_sounds.c), although its
	// API description declares no error for either operation.
	missing := []struct{ path, message string }{
		{"/sounds?lang=fr", "No sounds found that matched the query"},
		{"/sounds?format=gsm", "No sounds found that matched the query"},
		{"/sounds/no-such-prompt", "Sound not found"},
		{"/sounds/digits%2F99", "Sound not found"},
	}
	for _, tt := range missing {
		t.Run(tt.path, func(t *testing.T) {
			if msg := decodeAs[struct{ Message string }](t, e.mustRest("GET", tt.path, nil, 404)).Message; msg != tt.message {
				t.Errorf("message %q, want %q", msg, tt.message)
			}
		})
	}

	t.Run("ari client", func(t *testing.T) {
		cl := e.client("hotline")
		keys, err := cl.Sound().List(map[string]string{"lang": "zh"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		// One sound. (ari/v6 reads each sound's "name", where Asterisk's
		// Sound model has "id": its keys come back without an ID.)
		if len(keys) != 1 || (keys[0].ID != "" && keys[0].ID != "hello-world") {
			t.Errorf("Sound().List(lang=zh) = %v, want one sound, hello-world", keys)
		}
	})
}
