package store_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestOutboundCallRecords: an agent's outbound call has a calls row of
// its own, written through the Writer: the customer's history shows it,
// the agent's day counts it once the customer was reached (not one that
// was not), its wrap-up end and disposition land on it, and its call
// event keeps what it was for.
func TestOutboundCallRecords(t *testing.T) {
	ctx := t.Context()
	db := open(t, pgtest.New(t))
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	w := newWriter(t, db, t.TempDir(), store.WriterConfig{})
	r := store.NewAgentRecords(w, slog.New(slog.DiscardHandler))
	r.AgentCall(acd.AgentCall{CallID: "acd-out1", Agent: "1001", Queue: "support", Answered: t0.Add(5 * time.Second),
		Ended: t0.Add(3 * time.Minute), Holds: 1, HoldTime: 10 * time.Second, EndedBy: "caller",
		Outbound: &acd.OutboundCall{Ref: "followup:F1", LinkedCallID: "c-orig", Hotline: "4008001000", Number: "13800000001",
			Started: t0, Answered: t0.Add(20 * time.Second), Outcome: acd.OutboundTalked}})
	r.AgentStateChanges([]queue.AgentStateChange{
		{Agent: "1001", At: t0.Add(4 * time.Minute), From: queue.WrapUp, State: queue.Ready, CallID: "acd-out1", Queue: "support"},
	})
	r.Disposition(acd.Disposition{CallID: "acd-out1", Agent: "1001", Code: "usage", Note: "works again", At: t0.Add(3 * time.Minute)})
	r.AgentCall(acd.AgentCall{CallID: "acd-out2", Agent: "1001", Queue: "support", Answered: t0.Add(time.Hour + 5*time.Second),
		Ended: t0.Add(time.Hour + 40*time.Second), EndedBy: "system",
		Outbound: &acd.OutboundCall{Ref: "followup:F2", Hotline: "4008001000", Number: "13800000001",
			Started: t0.Add(time.Hour), Outcome: acd.OutboundNoAnswer}})
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}

	past, err := store.CallerHistory(ctx, db, "13800000001", t0.Add(2*time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(past) != 2 || past[0].CallID != "acd-out2" || past[0].Outcome != "outbound_no_answer" ||
		past[1].CallID != "acd-out1" || past[1].Outcome != "outbound_talked" || past[1].AgentID != "1001" ||
		past[1].Disposition != "usage" || !past[1].Arrived.Equal(t0) || past[1].Hotline != "4008001000" {
		t.Errorf("the customer's history %+v", past)
	}
	day, err := store.AgentDaySummary(ctx, db, "1001", t0.Add(-time.Hour), t0.Add(10*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// From the agent's answer to the end of its wrap-up: 3m55s.
	if day.Answered != 1 || day.Handled != 1 || day.HandleTime != 235*time.Second {
		t.Errorf("the agent's day %+v, want the one conversation of 3m55s", day)
	}
	var ref, linked, outcome, hungUp string
	var holds int
	err = db.QueryRow(ctx, `SELECT e.detail->>'ref', coalesce(e.detail->>'linked_call_id', ''), e.detail->>'outcome', c.hung_up_by, c.holds
		FROM call_events e JOIN calls c ON c.id = e.call_id WHERE e.call_id = 'acd-out1' AND e.kind = 'outbound'`).
		Scan(&ref, &linked, &outcome, &hungUp, &holds)
	if err != nil {
		t.Fatal(err)
	}
	if ref != "followup:F1" || linked != "c-orig" || outcome != "talked" || hungUp != "caller" || holds != 1 {
		t.Errorf("the outbound call's event and row: ref %q linked %q outcome %q hung up by %q holds %d", ref, linked, outcome, hungUp, holds)
	}
}
