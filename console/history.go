package console

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/hotline-ivr/hotline/ivr/acd"
)

// History reads the call records for the agent desktop (PostgreSQL in
// production): the caller's earlier calls for the screen pop, and the
// agent's own day.
type History interface {
	// CallerHistory returns caller's calls that arrived before before,
	// newest first, at most limit.
	CallerHistory(ctx context.Context, caller string, before time.Time, limit int) ([]PastCallView, error)
	// AgentDay sums up the calls agent answered that arrived in [from, to).
	AgentDay(ctx context.Context, agent string, from, to time.Time) (AgentDayView, error)
}

// PastCallView is one of the caller's earlier calls.
type PastCallView struct {
	CallID      string    `json:"call_id"`
	Arrived     time.Time `json:"arrived_at"`
	Hotline     string    `json:"hotline"`
	Queue       string    `json:"queue,omitempty"`
	Outcome     string    `json:"outcome"`
	Agent       string    `json:"agent,omitempty"`
	Disposition string    `json:"disposition,omitempty"`
	CSAT        int       `json:"csat,omitempty"` // 1 to 5
}

// AgentDayView is an agent's day so far: the calls it answered, their mean
// handle time (answer to the end of the call or of its wrap-up), and their
// mean satisfaction answer.
type AgentDayView struct {
	From              time.Time `json:"from"`
	To                time.Time `json:"to"`
	Answered          int       `json:"answered"`
	HandleTimeSeconds float64   `json:"handle_time_seconds"` // mean, of the calls that are over
	CSAT              float64   `json:"csat,omitempty"`      // mean, 1 to 5
	CSATAnswers       int       `json:"csat_answers"`
}

// ScreenPopView is GET /api/agents/{id}/screen-pop: the agent's call (the
// one ringing it or the one it is on) and its caller's earlier calls.
type ScreenPopView struct {
	Call    acd.CallView   `json:"call"`
	History []PastCallView `json:"history"`
}

// historyLength is how many earlier calls the screen pop shows by default.
const historyLength = 10

// errNoHistory answers on a server without call records.
var errNoHistory = httpErrorf(http.StatusServiceUnavailable, "call records are not available on this server")

// screenPop handles GET /api/agents/{id}/screen-pop[?limit=N].
func (s *Server) screenPop(w http.ResponseWriter, r *http.Request, _ session) error {
	if s.history == nil {
		return errNoHistory
	}
	limit := historyLength
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return httpErrorf(http.StatusBadRequest, "limit: %q is not a number from 1 to 100", v)
		}
		limit = n
	}
	a, err := agentWithCall(s.acd.Snapshot(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if a.Call == nil {
		return httpErrorf(http.StatusNotFound, "agent %s has no call ringing or connected", a.ID)
	}
	past, err := s.history.CallerHistory(r.Context(), a.Call.Caller, a.Call.Arrived, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ScreenPopView{Call: *a.Call, History: append([]PastCallView{}, past...)})
	return nil
}

// agentToday handles GET /api/agents/{id}/today: the agent's day since
// midnight in the server's time zone.
func (s *Server) agentToday(w http.ResponseWriter, r *http.Request, _ session) error {
	if s.history == nil {
		return errNoHistory
	}
	now := s.clock.Now().In(s.location)
	from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.location)
	day, err := s.history.AgentDay(r.Context(), r.PathValue("id"), from, now)
	if err != nil {
		return err
	}
	day.From, day.To = from, now
	writeJSON(w, http.StatusOK, day)
	return nil
}
