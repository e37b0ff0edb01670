package store_test

import (
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestCallerHistoryAndAgentDay: a caller's earlier calls newest first with
// their outcome, agent, disposition and CSAT; an agent's day sums up the
// calls it answered: count, mean handle time (to the later of the call's
// end and its wrap-up's end), mean CSAT.
func TestCallerHistoryAndAgentDay(t *testing.T) {
	db := open(t, pgtest.New(t))
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Exec(t.Context(), sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	call := func(id, caller string, arrived time.Time, agent string, talk, wrap time.Duration, outcome, disposition string) {
		t.Helper()
		var answered, ended, wrapEnded any
		if agent != "" {
			answered = arrived.Add(time.Minute)
			ended = arrived.Add(time.Minute + talk)
			if wrap > 0 {
				wrapEnded = arrived.Add(time.Minute + talk + wrap)
			}
		} else {
			ended = arrived.Add(30 * time.Second)
		}
		exec(`INSERT INTO calls (id, hotline, caller, arrived_at, queue, agent_id, agent_answered_at, ended_at, outcome, disposition, wrap_up_ended_at)
			VALUES ($1, '4008001234', $2, $3, 'support', nullif($4, ''), $5, $6, $7, nullif($8, ''), $9)`,
			id, caller, arrived, agent, answered, ended, outcome, disposition, wrapEnded)
	}
	call("c1", "13800138000", t0, "1001", 4*time.Minute, time.Minute, "queued", "usage")
	call("c2", "13800138000", t0.Add(time.Hour), "", 0, 0, "abandoned", "")
	call("c3", "13900139000", t0.Add(2*time.Hour), "1001", 2*time.Minute, 0, "queued", "quality")
	call("c4", "13800138000", t0.Add(3*time.Hour), "1002", time.Minute, 0, "queued", "")
	exec(`INSERT INTO survey_answers (call_id, question, score, at, agent_id) VALUES ('c1', 'csat', 5, $1, '1001'), ('c3', 'csat', 2, $1, '1001')`, t0)

	got, err := store.CallerHistory(t.Context(), db, "13800138000", t0.Add(3*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].CallID != "c2" || got[0].Outcome != "abandoned" || got[0].AgentID != "" ||
		got[1].CallID != "c1" || got[1].AgentID != "1001" || got[1].Disposition != "usage" || got[1].CSAT != 5 || !got[1].Arrived.Equal(t0) {
		t.Errorf("history before c4: %+v", got)
	}
	if one, _ := store.CallerHistory(t.Context(), db, "13800138000", t0.Add(4*time.Hour), 1); len(one) != 1 || one[0].CallID != "c4" {
		t.Errorf("history limited to 1: %+v", one)
	}

	day, err := store.AgentDaySummary(t.Context(), db, "1001", t0.Add(-time.Hour), t0.Add(23*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// c1: 4 min talk + 1 min wrap-up; c3: 2 min talk: mean 3.5 min.
	if day.Answered != 2 || day.Handled != 2 || day.HandleTime != 210*time.Second || day.CSATAnswers != 2 || day.CSAT != 3.5 {
		t.Errorf("1001's day %+v, want 2 calls, 3m30s mean handle time, CSAT 3.5 of 2", day)
	}
	if none, err := store.AgentDaySummary(t.Context(), db, "1003", t0, t0.Add(time.Hour)); err != nil || none != (store.AgentDay{}) {
		t.Errorf("a day without calls: %+v %v", none, err)
	}
}
