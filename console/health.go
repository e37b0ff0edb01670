package console

import "net/http"

// Health is the server's state as GET /healthz reports it to load
// balancers and orchestrators.
type Health interface {
	Health() HealthStatus
}

// HealthStatus is what Health reports.
type HealthStatus struct {
	ARIConnected bool // the ARI events socket is up
	Calls        int  // calls the engine runs now
	Draining     bool // the server is stopping: send new work elsewhere
}

// HealthView is the body of GET /healthz.
type HealthView struct {
	Status       string `json:"status"` // ok, ari_disconnected or draining
	ARIConnected bool   `json:"ari_connected"`
	Calls        int    `json:"calls"`
}

// health handles GET /healthz: 200 while ARI is connected and the server
// is not draining, 503 otherwise, and the body says which. It needs no
// sign-in, and says nothing about callers.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	st := s.healthSrc.Health()
	v := HealthView{Status: "ok", ARIConnected: st.ARIConnected, Calls: st.Calls}
	code := http.StatusOK
	switch {
	case st.Draining:
		v.Status, code = "draining", http.StatusServiceUnavailable
	case !st.ARIConnected:
		v.Status, code = "ari_disconnected", http.StatusServiceUnavailable
	}
	writeJSON(w, code, v)
}
