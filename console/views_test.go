package console_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

func TestListsAreScopedByRole(t *testing.T) {
	e := newEnv(t)
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	e.acd.mustReady(t, "1002")
	e.acd.connect(t, "call-2", "support", "1002", "13900139000")

	type lists struct {
		Agents []console.AgentView `json:"agents"`
		Queues []console.QueueView `json:"queues"`
		Calls  []acd.CallView      `json:"calls"`
	}
	get := func(token string) lists {
		var l, part lists
		e.must(http.StatusOK, "GET", "/api/agents", token, "", &part)
		l.Agents = part.Agents
		e.must(http.StatusOK, "GET", "/api/queues", token, "", &part)
		l.Queues = part.Queues
		e.must(http.StatusOK, "GET", "/api/calls", token, "", &part)
		l.Calls = part.Calls
		return l
	}
	callIDs := func(cs []acd.CallView) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.CallID)
		}
		return out
	}

	tests := []struct {
		user       string
		wantAgents []string
		wantCalls  []string
	}{
		{"lilei", []string{"1001"}, []string{"call-1"}},
		{"hanmei", []string{"1002"}, []string{"call-2"}},
		{"wang", []string{"1001", "1002", "1003"}, []string{"call-1", "call-2"}},
		{"root", []string{"1001", "1002", "1003"}, []string{"call-1", "call-2"}},
		{"boss", []string{"1001", "1002", "1003"}, []string{"call-1", "call-2"}}, // a manager reads everything
		{"qiu", nil, nil}, // QA: the queue totals only
		{"zhou", []string{"1001", "1002", "1003"}, []string{"call-1", "call-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			l := get(e.login(tt.user))
			if got := agentIDs(l.Agents); !slices.Equal(got, tt.wantAgents) {
				t.Errorf("agents %v, want %v", got, tt.wantAgents)
			}
			if got := callIDs(l.Calls); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("calls %v, want %v", got, tt.wantCalls)
			}
			// Everyone sees the queue totals.
			if len(l.Queues) != 2 || l.Queues[0].Name != "support" || l.Queues[0].Answered != 2 {
				t.Errorf("queues %+v, want support (2 answered) and complaints", l.Queues)
			}
		})
	}
}

// TestJSONShape pins the wire names and units: snake_case, durations in
// seconds.
func TestJSONShape(t *testing.T) {
	e := newEnv(t)
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	if _, err := e.acd.center.Enqueue(queue.Caller{CallID: "call-2", Queue: "complaints", Number: "13600136000"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(90 * time.Second)
	tok := e.login("wang")

	var agent map[string]any
	e.must(http.StatusOK, "GET", "/api/agents/1001", tok, "", &agent)
	for key, want := range map[string]any{"id": "1001", "name": "李雷", "state": "on_call", "in_state_seconds": 90.0, "call_id": "call-1", "queue": "support", "answered": 1.0} {
		if agent[key] != want {
			t.Errorf("agent[%q] = %v, want %v", key, agent[key], want)
		}
	}
	call, _ := agent["call"].(map[string]any)
	if call["caller"] != "13800138000" || call["hotline"] != "4008001234" {
		t.Errorf("agent's call = %v", call)
	}

	var qs struct{ Queues []map[string]any }
	e.must(http.StatusOK, "GET", "/api/queues", tok, "", &qs)
	q := qs.Queues[1]
	for key, want := range map[string]any{"name": "complaints", "waiting": 1.0, "longest_wait_seconds": 90.0, "waiting_callbacks": 0.0, "aht_seconds": 0.0} {
		if q[key] != want {
			t.Errorf("queue[%q] = %v, want %v", key, q[key], want)
		}
	}

	// An agent without skills has an empty object, not null.
	r := e.must(http.StatusOK, "GET", "/api/agents/1003", tok, "", nil)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw["skills"]) != "{}" || string(raw["queues"]) != `["support","complaints"]` {
		t.Errorf("skills %s, queues %s; want {} and both queues", raw["skills"], raw["queues"])
	}
	if _, ok := raw["call"]; ok {
		t.Errorf("an agent without a call has %s", raw["call"])
	}
}

// TestLoggedOutAgentTimeInState: an agent that never logged in has no
// since and 0 seconds in its state, not the zero time's saturated
// 9223372036.85; one that logged out counts from its logout.
func TestLoggedOutAgentTimeInState(t *testing.T) {
	e := newEnv(t)
	e.clock.Advance(time.Hour)
	tok := e.login("wang")
	var raw map[string]json.RawMessage
	e.must(http.StatusOK, "GET", "/api/agents/1003", tok, "", &raw)
	if string(raw["state"]) != `"logged_out"` || string(raw["in_state_seconds"]) != "0" {
		t.Errorf("never logged in: state %s, in_state_seconds %s; want logged_out, 0", raw["state"], raw["in_state_seconds"])
	}
	if s, ok := raw["since"]; ok {
		t.Errorf("never logged in: since %s, want none", s)
	}
	var list struct{ Agents []console.AgentView }
	e.must(http.StatusOK, "GET", "/api/agents", tok, "", &list)
	for _, a := range list.Agents {
		if a.InStateSeconds != 0 {
			t.Errorf("agent %s (never logged in) in_state_seconds = %v, want 0", a.ID, a.InStateSeconds)
		}
	}

	e.must(http.StatusOK, "POST", "/api/agents/1003/login", tok, "", nil)
	e.must(http.StatusOK, "POST", "/api/agents/1003/logout", tok, "", nil)
	e.clock.Advance(42 * time.Second)
	var a console.AgentView
	e.must(http.StatusOK, "GET", "/api/agents/1003", tok, "", &a)
	if a.State != queue.LoggedOut || a.InStateSeconds != 42 {
		t.Errorf("logged out 42 s ago: %s for %v s", a.State, a.InStateSeconds)
	}
}

// TestAbandonRate: the wallboard's abandon rate is the queue's abandoned
// callers over those answered or abandoned, 0 before any.
func TestAbandonRate(t *testing.T) {
	e := newEnv(t)
	tok := e.login("wang")
	rate := func() (support, complaints float64) {
		var qs struct{ Queues []console.QueueView }
		e.must(http.StatusOK, "GET", "/api/queues", tok, "", &qs)
		return qs.Queues[0].AbandonRate, qs.Queues[1].AbandonRate
	}
	if s, c := rate(); s != 0 || c != 0 {
		t.Errorf("no callers yet: abandon rates %v, %v, want 0", s, c)
	}
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	for _, id := range []string{"call-2", "call-3", "call-4"} {
		if _, err := e.acd.center.Enqueue(queue.Caller{CallID: id, Queue: "support", Number: "13600136000"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"call-2", "call-3"} {
		if err := e.acd.center.Abandon(id); err != nil {
			t.Fatal(err)
		}
	}
	// One answered, two abandoned, one still waiting.
	if s, c := rate(); s != 2.0/3 || c != 0 {
		t.Errorf("abandon rates %v, %v, want 2/3 and 0", s, c)
	}
}

// TestQueueTotalsOfToday: the wallboard's queue totals say their day and
// since when they count; past the centre's midnight they are the new
// day's, from 0.
func TestQueueTotalsOfToday(t *testing.T) {
	e := newEnv(t)
	tok := e.login("wang")
	support := func() map[string]any {
		var qs struct{ Queues []map[string]any }
		e.must(http.StatusOK, "GET", "/api/queues", tok, "", &qs)
		return qs.Queues[0]
	}
	st, err := e.acd.center.QueueStatus("support")
	if err != nil {
		t.Fatal(err)
	}
	q := support()
	if q["day"] != st.Day.Format(time.DateOnly) || q["since"] != st.Since.Format(time.RFC3339Nano) {
		t.Errorf("day %v since %v, want %s since %s", q["day"], q["since"], st.Day.Format(time.DateOnly), st.Since.Format(time.RFC3339Nano))
	}
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	if q := support(); q["answered"] != 1.0 {
		t.Fatalf("answered %v, want 1", q["answered"])
	}
	next := st.Day.AddDate(0, 0, 1)
	e.clock.Advance(next.Sub(e.clock.Now()))
	tok = e.login("wang") // the session has ended meanwhile
	q = support()
	if q["day"] != next.Format(time.DateOnly) || q["since"] != next.Format(time.RFC3339Nano) || q["answered"] != 0.0 || q["service_level"] != 0.0 {
		t.Errorf("after midnight: %v, want the totals of %s from 0", q, next.Format(time.DateOnly))
	}
}
