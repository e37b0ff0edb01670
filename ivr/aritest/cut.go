package aritest

import (
	"net/http"
	"slices"
	"time"
)

// CutEvents cuts the events websocket of app (every application when app
// is "") for d of emulated time, as a network outage between Asterisk and
// its client would: the connected websocket is dropped without a close
// frame, and every connection attempt for the application until the cut
// ends is dropped before the handshake completes. Meanwhile the
// application's channels and bridges stay in Stasis, calls go on, and
// their events are dropped ("Inactive Stasis app ... missed message"),
// never replayed. It returns when the cut ends. The REST interface keeps
// answering.
func (s *Server) CutEvents(app string, d time.Duration) time.Time {
	s.mu.Lock()
	until := s.clock.Now().Add(d)
	if s.cuts == nil {
		s.cuts = map[string]time.Time{}
	}
	if until.After(s.cuts[app]) {
		s.cuts[app] = until
	}
	var conns []*wsClient
	for name, a := range s.apps {
		if (app == "" || name == app) && a.client != nil {
			if !slices.Contains(conns, a.client) {
				conns = append(conns, a.client)
			}
			a.client = nil
		}
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.abrupt.Store(true)
		c.close()
	}
	return until
}

// isCut reports whether a connection for any of the applications falls in
// a cut. Callers hold s.mu.
func (s *Server) isCut(apps []string) bool {
	now := s.clock.Now()
	for name, until := range s.cuts {
		if !now.Before(until) {
			delete(s.cuts, name)
			continue
		}
		if name == "" || slices.Contains(apps, name) {
			return true
		}
	}
	return false
}

// dropConnection closes the client's connection without an answer, as a
// connection through a broken network ends.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // net/http drops the connection
}

// serveCut is POST /aritest/events/cut {"app": "hotline", "for": "10s"}.
func (s *Server) serveCut(w http.ResponseWriter, r *http.Request) {
	var req struct {
		App string `json:"app"`
		For string `json:"for"`
	}
	if err := decodeControl(r, &req); err != nil {
		controlError(w, http.StatusBadRequest, "%v", err)
		return
	}
	d, err := time.ParseDuration(req.For)
	if err != nil || d <= 0 {
		controlError(w, http.StatusBadRequest, "POST /aritest/events/cut: \"for\": want a positive duration such as \"10s\", got %q", req.For)
		return
	}
	until := s.CutEvents(req.App, d)
	writeJSON(w, http.StatusOK, map[string]string{"app": req.App, "until": ariTime(until)})
}
