package aritest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/coder/websocket"
)

func TestBridgeOperations(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	a := e.inbound(cl, ev, "1")
	c := e.inbound(cl, ev, "2")

	b := e.mustRest("POST", "/bridges?type=mixing,dtmf_events&name=queue-1", nil, 200)
	var br struct {
		ID         string   `json:"id"`
		BridgeType string   `json:"bridge_type"`
		Name       string   `json:"name"`
		Channels   []string `json:"channels"`
		Technology string   `json:"technology"`
	}
	if err := json.Unmarshal(b, &br); err != nil || br.ID == "" || br.BridgeType != "mixing" || br.Name != "queue-1" {
		t.Fatalf("created bridge %s (%v)", b, err)
	}
	e.mustRest("POST", "/bridges?type=mixing,holding", nil, 400)
	e.mustRest("POST", "/bridges?type=teleport", nil, 400)
	e.mustRest("POST", "/bridges?bridgeId="+br.ID, nil, 409)
	e.mustRest("POST", "/bridges/hold-1?type=holding", nil, 200)

	tests := []struct {
		name, path string
		status     int
	}{
		{"unknown channel", "/bridges/" + br.ID + "/addChannel?channel=nope", 400},
		{"unknown bridge", "/bridges/nope/addChannel?channel=" + a.h.ID(), 404},
		{"missing channel", "/bridges/" + br.ID + "/addChannel", 400},
		{"add both", "/bridges/" + br.ID + "/addChannel?channel=" + a.h.ID() + "," + c.h.ID() + "&role=participant", 204},
		{"remove unknown", "/bridges/" + br.ID + "/removeChannel?channel=nope", 400},
		{"remove from other bridge", "/bridges/hold-1/removeChannel?channel=" + a.h.ID(), 422},
		{"remove one", "/bridges/" + br.ID + "/removeChannel?channel=" + c.h.ID(), 204},
		{"move into holding", "/bridges/hold-1/addChannel?channel=" + c.h.ID() + "&role=announcer", 204},
		{"remove from unknown", "/bridges/nope/removeChannel?channel=" + a.h.ID(), 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.mustRest("POST", tt.path, nil, tt.status)
		})
	}
	ev.next("ChannelLeftBridge", func(x ari.Event) bool { return x.(*ari.ChannelLeftBridge).Channel.ID == c.h.ID() })

	var got struct {
		Channels   []string `json:"channels"`
		Technology string   `json:"technology"`
		BridgeType string   `json:"bridge_type"`
	}
	_ = json.Unmarshal(e.mustRest("GET", "/bridges/"+br.ID, nil, 200), &got)
	if len(got.Channels) != 1 || got.Channels[0] != a.h.ID() {
		t.Errorf("bridge channels %v, want [%s]", got.Channels, a.h.ID())
	}
	_ = json.Unmarshal(e.mustRest("GET", "/bridges/hold-1", nil, 200), &got)
	if got.BridgeType != "holding" || got.Technology != "holding_bridge" {
		t.Errorf("holding bridge is %s/%s", got.BridgeType, got.Technology)
	}
	var list []struct{ ID string }
	_ = json.Unmarshal(e.mustRest("GET", "/bridges", nil, 200), &list)
	if len(list) != 2 {
		t.Errorf("GET /bridges lists %d, want 2", len(list))
	}
	e.mustRest("GET", "/bridges/nope", nil, 404)
	e.mustRest("DELETE", "/bridges/hold-1", nil, 204)
	if d := ev.next("BridgeDestroyed", nil).(*ari.BridgeDestroyed); d.Bridge.ID != "hold-1" {
		t.Errorf("destroyed %s, want hold-1", d.Bridge.ID)
	}
	e.mustRest("DELETE", "/bridges/hold-1", nil, 404)
	// A channel hung up in a bridge leaves it first.
	_ = a.party.Hangup()
	ev.sequence("ChannelHangupRequest", "ChannelLeftBridge", "StasisEnd", "ChannelDestroyed")
}

// TestSubscribeAll: an application subscribed to everything sees channels
// and bridges it does not own from their creation, but not other
// applications' StasisStart.
func TestSubscribeAll(t *testing.T) {
	e := newEnv(t)
	_ = e.client("hotline")
	ctx := ctxT(t)
	ws := "ws" + strings.TrimPrefix(e.url, "http") + "/events?app=monitor&subscribeAll=true"
	h := http.Header{}
	h.Set("Authorization", "Basic "+basic(testUser, testPass))
	conn, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	e.mustRest("POST", "/bridges/watched", nil, 200)
	if _, err := e.emu.Dial(ctx, callTo("4008001234")); err != nil {
		t.Fatal(err)
	}
	e.mustRest("DELETE", "/bridges/watched", nil, 204)
	// StasisStart goes only to the application the channel entered.
	want := []string{"BridgeCreated", "ChannelCreated", "BridgeDestroyed"}
	var seen []string
	for len(seen) < len(want) {
		_, msg, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("after %v: %v", seen, err)
		}
		var m struct{ Type, Application string }
		_ = json.Unmarshal(msg, &m)
		if m.Application != "monitor" {
			t.Errorf("%s for application %q, want monitor", m.Type, m.Application)
		}
		seen = append(seen, m.Type)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("events %v, want %v", seen, want)
		}
	}
}
