package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestWriterOverflowKeepsOrder blocks the writer inside PostgreSQL (a lock
// on calls) while records keep coming: Add keeps returning, the queue
// overflows into the spool, and once the lock goes every record is written
// in the order it was added: the last update of a call's row wins.
func TestWriterOverflowKeepsOrder(t *testing.T) {
	ctx := t.Context()
	db := open(t, pgtest.New(t))
	lock, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback(ctx)
	if _, err := lock.Exec(ctx, "LOCK TABLE calls IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}

	w := newWriter(t, db, t.TempDir(), store.WriterConfig{QueueSize: 100, BatchSize: 50, WriteTimeout: time.Minute})
	const n = 2000
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		w.Add(store.Call{ID: "c1", Outcome: fmt.Sprintf("v%04d", i)})
		w.Add(store.CallEvent{CallID: "c1", Seq: i, At: at.Add(time.Duration(i) * time.Millisecond), Kind: "node"})
	}
	if h := w.Health(); h.Spooled == 0 || h.Written != 0 {
		t.Errorf("health while PostgreSQL is blocked: got %+v, want records spooled and none written", h)
	}
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}

	var outcome string
	var events int
	if err := db.QueryRow(ctx, "SELECT outcome, (SELECT count(*) FROM call_events) FROM calls WHERE id = 'c1'").Scan(&outcome, &events); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("v%04d", n); outcome != want {
		t.Errorf("outcome: got %q, want %q (the last one added)", outcome, want)
	}
	if events != n {
		t.Errorf("events: got %d, want %d", events, n)
	}
}

// TestWriterDropsInvalidRecords checks that records PostgreSQL would
// refuse are dropped, and counted, without holding up the others in their
// batch.
func TestWriterDropsInvalidRecords(t *testing.T) {
	ctx := t.Context()
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		rec    store.Record
		table  string // where a kept record is, by call_id
		wantIn bool
	}{
		{"valid event", store.CallEvent{CallID: "ok-event", Seq: 1, At: at, Kind: "node"}, "call_events", true},
		{"event without a call", store.CallEvent{Seq: 1, At: at, Kind: "node"}, "", false},
		{"event without a kind", store.CallEvent{CallID: "no-kind", Seq: 1, At: at}, "call_events", false},
		{"event without a time", store.CallEvent{CallID: "no-time", Seq: 1, Kind: "node"}, "call_events", false},
		{"NUL in a node", store.CallEvent{CallID: "nul-node", Seq: 1, At: at, Kind: "node", Node: "a\x00b"}, "call_events", false},
		{"bad UTF-8", store.CallEvent{CallID: "bad-utf8", Seq: 1, At: at, Kind: "node", Node: "\xff"}, "call_events", false},
		{"seq out of range", store.CallEvent{CallID: "big-seq", Seq: 1 << 40, At: at, Kind: "node"}, "call_events", false},
		{"detail not JSON", store.CallEvent{CallID: "func-detail", Seq: 1, At: at, Kind: "node", Detail: map[string]any{"f": func() {}}}, "call_events", false},
		{"NUL in detail (jsonb refuses it)", store.CallEvent{CallID: "nul-detail", Seq: 1, At: at, Kind: "node", Detail: map[string]any{"s": "a\x00b"}}, "call_events", false},
		{"valid event after them", store.CallEvent{CallID: "ok-event-2", Seq: 1, At: at, Kind: "node"}, "call_events", true},
		{"unknown hung_up_by (kept without it)", store.Call{ID: "odd-hangup", HungUpBy: "nobody", Outcome: "completed"}, "calls", true},
		{"call without an id", store.Call{Outcome: "completed"}, "", false},
		{"score out of range", store.SurveyAnswer{CallID: "big-score", Question: "csat", Score: 40000, At: at}, "survey_answers", false},
		{"valid score", store.SurveyAnswer{CallID: "ok-score", Question: "csat", Score: 4, At: at}, "survey_answers", true},
		{"agent without a state", store.AgentStateChange{AgentID: "1001", At: at, CallID: "no-state"}, "agent_state_changes", false},
	}
	db := open(t, pgtest.New(t))
	w := newWriter(t, db, t.TempDir(), store.WriterConfig{})
	wantDropped := 0
	for _, tt := range tests {
		w.Add(tt.rec)
		if !tt.wantIn {
			wantDropped++
		}
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := w.Health().Dropped; got != uint64(wantDropped) {
		t.Errorf("dropped: got %d, want %d", got, wantDropped)
	}
	for _, tt := range tests {
		if tt.table == "" {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			key := "call_id"
			if tt.table == "calls" {
				key = "id"
			}
			var in bool
			if err := db.QueryRow(ctx, fmt.Sprintf("SELECT EXISTS (SELECT 1 FROM %s WHERE %s = $1)", tt.table, key), callID(tt.rec)).Scan(&in); err != nil {
				t.Fatal(err)
			}
			if in != tt.wantIn {
				t.Errorf("stored: got %v, want %v", in, tt.wantIn)
			}
		})
	}
	var hungUpBy *string
	if err := db.QueryRow(ctx, "SELECT hung_up_by FROM calls WHERE id = 'odd-hangup'").Scan(&hungUpBy); err != nil {
		t.Fatal(err)
	}
	if hungUpBy != nil {
		t.Errorf("hung_up_by: got %q, want NULL", *hungUpBy)
	}
}

func callID(r store.Record) string {
	switch r := r.(type) {
	case store.CallEvent:
		return r.CallID
	case store.Call:
		return r.ID
	case store.SurveyAnswer:
		return r.CallID
	case store.AgentStateChange:
		return r.CallID
	}
	return ""
}
