package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/coder/websocket"
)

// fakeARI serves what serve uses of ARI: the events websocket, and the
// application's channel_ids (GET /applications/hotline) and GET /channels. Events queued with send go to the open socket.
type fakeARI struct {
	*httptest.Server
	channels []string
	events   chan string
	quit     chan struct{}
	once     sync.Once
}

func newFakeARI(t *testing.T, channels ...string) *fakeARI {
	t.Helper()
	f := &fakeARI{channels: channels, events: make(chan string, 16), quit: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ari/channels", f.listChannels)
	mux.HandleFunc("GET /ari/applications/hotline", f.application)
	mux.HandleFunc("GET /ari/events", f.eventsSocket)
	f.Server = httptest.NewServer(f.auth(mux))
	t.Cleanup(f.shutdown)
	return f
}

func (f *fakeARI) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "hotline" || p != "secret" {
			http.Error(w, `{"message":"Authentication required"}`, http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (f *fakeARI) listChannels(w http.ResponseWriter, _ *http.Request) {
	list := []map[string]string{}
	for _, id := range f.channels {
		list = append(list, map[string]string{"id": id})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(list)
}

func (f *fakeARI) application(w http.ResponseWriter, _ *http.Request) {
	ids := append([]string{}, f.channels...)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"name": "hotline", "channel_ids": ids,
		"bridge_ids": []string{}, "endpoint_ids": []string{}, "device_names": []string{}})
}

func (f *fakeARI) eventsSocket(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	ctx := ws.CloseRead(r.Context())
	for {
		select {
		case ev := <-f.events:
			if err := ws.Write(ctx, websocket.MessageText, []byte(ev)); err != nil {
				return
			}
		case <-ctx.Done():
			return
		case <-f.quit:
			return
		}
	}
}

func (f *fakeARI) shutdown() {
	f.once.Do(func() { close(f.quit) })
	f.Close()
}

// stasisEvent renders a StasisStart or StasisEnd as Asterisk sends it.
func stasisEvent(typ, channel string) string {
	b, _ := json.Marshal(map[string]any{
		"type": typ, "application": "hotline", "timestamp": "2025-01-02T03:04:05.000+0000",
		"asterisk_id": "00:11:22:33:44:55", "args": []string{"4008001234"},
		"channel": map[string]any{"id": channel, "name": "PJSIP/" + channel, "state": "Up",
			"caller": map[string]any{"name": "", "number": "13800138000"}},
	})
	return string(b)
}
