package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

type fixedConn bool

func (c fixedConn) Connected() bool { return bool(c) }

type fixedCount int

func (c fixedCount) Channels() int { return int(c) }

func TestHealth(t *testing.T) {
	tests := []struct {
		name      string
		connected bool
		draining  bool
		channels  int
		wantCode  int
		wantBody  string
	}{
		{"connected", true, false, 3, http.StatusOK, `{"status":"ok","ari_connected":true,"channels":3}`},
		{"ARI down", false, false, 0, http.StatusServiceUnavailable, `{"status":"ari_disconnected","ari_connected":false,"channels":0}`},
		{"draining while connected", true, true, 2, http.StatusServiceUnavailable, `{"status":"draining","ari_connected":true,"channels":2}`},
		{"draining and down", false, true, 0, http.StatusServiceUnavailable, `{"status":"draining","ari_connected":false,"channels":0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var draining atomic.Bool
			draining.Store(tt.draining)
			h := &health{ari: fixedConn(tt.connected), channels: fixedCount(tt.channels), draining: &draining}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
			if rec.Code != tt.wantCode {
				t.Errorf("status: got %d, want %d", rec.Code, tt.wantCode)
			}
			if got := strings.TrimSpace(rec.Body.String()); got != tt.wantBody {
				t.Errorf("body: got %s, want %s", got, tt.wantBody)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type: got %q, want application/json", ct)
			}
		})
	}
}
