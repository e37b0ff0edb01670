package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestFactsAndCandidates: call records written by hand (a call with two
// holds, a transfer, a survey of 2, a complaint code, the agent's ID
// announced in its recording, and the caller calling again 3 days
// later), read back as the facts of the standard card's suggestions and
// as sampling's candidates.
func TestFactsAndCandidates(t *testing.T) {
	ctx := t.Context()
	db := open(t, pgtest.New(t))
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	qa := store.NewQA(db, clockwork.NewFakeClockAt(t0))
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	call := `INSERT INTO calls (id, caller, arrived_at, queue, queued_at, agent_id, agent_answered_at, ended_at, hung_up_by, holds, hold_time, transfers, disposition, wrap_up_ended_at)
		VALUES ($1, $2, $3, 'support', $3, $4, $3::timestamptz + $5::interval, $3::timestamptz + interval '5 minutes', $6, $7, $8::interval, $9, $10, $3::timestamptz + interval '6 minutes')`
	exec(call, "c1", "13800138000", t0, "1001", "12 seconds", "agent", 2, "200 seconds", 1, "quality")
	exec(call, "c2", "13800138000", t0.Add(72*time.Hour), "1002", "5 seconds", "caller", 0, "0 seconds", 0, "usage")
	exec(call, "c3", "13900139000", t0.Add(time.Hour), "1001", "8 seconds", "caller", 0, "0 seconds", 0, nil)
	exec(`INSERT INTO survey_answers (call_id, question, score, at) VALUES ('c1', 'csat', 2, $1)`, t0)
	exec(`INSERT INTO recordings (id, call_id, layout, sources, call_started_at, call_ended_at, duration, agent_id, expires_at, not_before, created_at)
		VALUES ('r1', 'c1', 'split', '{a,b}', $1, $1, interval '5 minutes', '1001', $1, $1, $1)`, t0)
	exec(`INSERT INTO recording_markers (recording_id, seq, at, kind, detail) VALUES ('r1', 1, $1, 'agent_id', '{"actor": "1001"}')`, t0)
	// c1's complaint leaves out what the caller wants.
	exec(`INSERT INTO complaints (id, call_id, hotline, source, registered_at, complainant, contact, content, category, wants, owner, teams, state)
		VALUES ('C20261201-000001', 'c1', '4008001234', 'agent', $1, '张先生', '13800138000', '漏水', 'quality', '', '1001', '{}', 'registered')`, t0)

	sl := func(q string) (time.Duration, bool) { return 10 * time.Second, q == "support" }
	f, err := qa.Facts(ctx, "c1", "1001", t0.Add(10*24*time.Hour), sl)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range evaluation.Suggest(scorecard.Standard(), f) {
		got[s.Item] = s.Answer
	}
	want := map[string]string{"agent_id": "yes", "caller_hung_up_first": "no", "holds": "no", "hold_time": "no",
		"transfers": "yes", "first_contact": "no", "satisfaction": "2", "complaint_registered": "no"}
	for item, answer := range want {
		if got[item] != answer {
			t.Errorf("%s: %q, want %q (facts %+v)", item, got[item], answer, f)
		}
	}
	if f.WithinSL == nil || *f.WithinSL || f.WrapUp == nil || *f.WrapUp != time.Minute || f.Disposition != "quality" {
		t.Errorf("facts %+v: want answered after the service level, a minute of wrap-up, disposition quality", f)
	}
	// No recording: the agent ID is unknown; no later call, no survey.
	f3, err := qa.Facts(ctx, "c3", "1001", t0.Add(2*time.Hour), sl)
	if err != nil || f3.AgentIDAnnounced != nil || f3.NextCall != nil || f3.CSAT != nil || !*f3.WithinSL {
		t.Errorf("c3's facts %+v, %v", f3, err)
	}
	if f.Complaint == nil || !slices.Equal(f.Complaint.Missing, []string{"wants"}) || f3.Complaint != nil {
		t.Errorf("the complaints' facts: c1 %+v, c3 %+v; want c1's lacking wants, none for c3", f.Complaint, f3.Complaint)
	}
	if _, err := qa.Facts(ctx, "nope", "1001", t0, sl); !errors.Is(err, store.ErrNoCall) {
		t.Errorf("an unknown call: %v", err)
	}

	cands, err := qa.Candidates(ctx, t0, t0.Add(24*time.Hour), []string{"quality", "damaged"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cands {
		ids = append(ids, c.CallID)
	}
	if !slices.Equal(ids, []string{"c1", "c3"}) || !cands[0].Complaint || cands[0].CSAT != 2 || cands[0].Transfers != 1 ||
		cands[0].HoldTime != 200*time.Second || cands[1].Complaint {
		t.Errorf("candidates %+v", cands)
	}
}
