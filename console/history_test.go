package console_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/console"
)

// fakeHistory answers the screen pop's and the agent day's questions and
// keeps what it was asked.
type fakeHistory struct {
	mu    sync.Mutex
	asked []string
}

func (h *fakeHistory) CallerHistory(_ context.Context, caller string, before time.Time, limit int) ([]console.PastCallView, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.asked = append(h.asked, caller+" before "+before.UTC().Format(time.RFC3339))
	past := []console.PastCallView{
		{CallID: "old-2", Arrived: before.Add(-time.Hour), Hotline: "4008001234", Outcome: "abandoned"},
		{CallID: "old-1", Arrived: before.Add(-48 * time.Hour), Hotline: "4008001234", Outcome: "queued", Agent: "1002", Disposition: "usage", CSAT: 4},
	}
	return past[:min(limit, len(past))], nil
}

func (h *fakeHistory) AgentDay(_ context.Context, agent string, from, to time.Time) (console.AgentDayView, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.asked = append(h.asked, agent+" from "+from.Format(time.RFC3339)+" to "+to.Format(time.RFC3339))
	return console.AgentDayView{Answered: 12, HandleTimeSeconds: 245.5, CSAT: 4.5, CSATAnswers: 6}, nil
}

// TestScreenPopAndAgentDay: an agent with a call sees it with its caller's
// earlier calls; without a call 404; another agent's 403 (a supervisor may);
// the agent's day runs from midnight in the configured time zone.
func TestScreenPopAndAgentDay(t *testing.T) {
	h := &fakeHistory{}
	shanghai := time.FixedZone("CST", 8*3600)
	e := newEnv(t, func(c *console.Config) { c.History, c.Location = h, shanghai })
	lilei, hanmei, wang := e.login("lilei"), e.login("hanmei"), e.login("wang")

	e.must(http.StatusNotFound, "GET", "/api/agents/1001/screen-pop", lilei, "", nil)
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	var pop console.ScreenPopView
	e.must(http.StatusOK, "GET", "/api/agents/1001/screen-pop", lilei, "", &pop)
	if pop.Call.CallID != "call-1" || pop.Call.Caller != "13800138000" || len(pop.History) != 2 || pop.History[1].Disposition != "usage" || pop.History[1].CSAT != 4 {
		t.Errorf("screen pop %+v", pop)
	}
	e.must(http.StatusOK, "GET", "/api/agents/1001/screen-pop?limit=1", wang, "", &pop)
	if len(pop.History) != 1 {
		t.Errorf("screen pop with limit=1: %d earlier calls", len(pop.History))
	}
	e.must(http.StatusBadRequest, "GET", "/api/agents/1001/screen-pop?limit=0", lilei, "", nil)
	e.must(http.StatusForbidden, "GET", "/api/agents/1001/screen-pop", hanmei, "", nil)

	var day console.AgentDayView
	e.must(http.StatusOK, "GET", "/api/agents/1001/today", lilei, "", &day)
	now := e.clock.Now().In(shanghai)
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, shanghai)
	if day.Answered != 12 || day.HandleTimeSeconds != 245.5 || !day.From.Equal(midnight) || !day.To.Equal(now) {
		t.Errorf("1001's day %+v, want 12 calls from %v", day, midnight)
	}
	e.must(http.StatusForbidden, "GET", "/api/agents/1001/today", hanmei, "", nil)
	h.mu.Lock()
	if len(h.asked) != 3 || h.asked[0] != "13800138000 before "+e.clock.Now().UTC().Format(time.RFC3339) {
		t.Errorf("history asked %q", h.asked)
	}
	h.mu.Unlock()

	plain := newEnv(t)
	plain.must(http.StatusServiceUnavailable, "GET", "/api/agents/1001/today", plain.login("lilei"), "", nil)
}
