package main

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
)

// health answers /healthz: 200 while the ARI events socket is up and the
// server is not draining, 503 otherwise, with a JSON body saying which.
type health struct {
	ari      interface{ Connected() bool }
	channels interface{ Channels() int }
	draining *atomic.Bool
}

type healthBody struct {
	Status       string `json:"status"` // ok, ari_disconnected or draining
	ARIConnected bool   `json:"ari_connected"`
	Channels     int    `json:"channels"`
}

func (h *health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body := healthBody{Status: "ok", ARIConnected: h.ari.Connected(), Channels: h.channels.Channels()}
	code := http.StatusOK
	switch {
	case h.draining.Load():
		body.Status, code = "draining", http.StatusServiceUnavailable
	case !body.ARIConnected:
		body.Status, code = "ari_disconnected", http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(body)
}
