package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// unreachable is a pool on a server that is not there: every write fails
// at once, as when PostgreSQL is down.
func unreachable(t testing.TB) string {
	return "postgres://postgres@/hotline?host=" + t.TempDir() + "&sslmode=disable"
}

func TestWriterWritesRecords(t *testing.T) {
	ctx := t.Context()
	db := open(t, pgtest.New(t))
	at := time.Date(2025, 3, 1, 23, 58, 0, 0, time.UTC)

	w := newWriter(t, db, t.TempDir(), store.WriterConfig{})
	w.Add(store.CallEvent{CallID: "c1", Seq: 1, At: at, Kind: "arrived"})
	w.Add(store.CallEvent{CallID: "c1", Seq: 2, At: at.Add(time.Second), Kind: "key", Node: "menu", Detail: map[string]any{"digits": "1"}})
	w.Add(store.CallEvent{CallID: "c1", Seq: 2, At: at.Add(time.Second), Kind: "key", Node: "menu", Detail: map[string]any{"digits": "1"}}) // a replay
	w.Add(store.Call{ID: "c1", Hotline: "4008001234", Caller: "13800000000", ArrivedAt: at, AnsweredAt: at.Add(time.Second)})
	w.Add(store.Call{ID: "c1", Queue: "support", QueuedAt: at.Add(time.Minute), AgentID: "1001", AgentAnsweredAt: at.Add(90 * time.Second),
		EndedAt: at.Add(5 * time.Minute), Outcome: "queued", HungUpBy: store.HungUpByCaller, Language: "zh", Flow: "main", FlowVersion: 3,
		EndNode: "to-queue", Holds: 2, HoldTime: 45 * time.Second, Transfers: 1})
	w.Add(store.AgentStateChange{AgentID: "1001", At: at, State: "ready"})
	w.Add(store.AgentStateChange{AgentID: "1001", At: at.Add(90 * time.Second), State: "on_call", CallID: "c1"})
	w.Add(store.AgentStateChange{AgentID: "1001", At: at.Add(90 * time.Second), State: "on_call", CallID: "c1"}) // a replay
	w.Add(store.SurveyAnswer{CallID: "c1", Question: "csat", Score: 5, At: at.Add(6 * time.Minute), AgentID: "1001"})
	w.Add(store.SurveyAnswer{CallID: "c1", Question: "csat", Score: 1, At: at.Add(7 * time.Minute)}) // the first answer stands
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Wrap-up ends after the call: a late update that sets two fields and
	// blanks none, from another Writer (another batch, another process).
	late := newWriter(t, db, t.TempDir(), store.WriterConfig{})
	late.Add(store.Call{ID: "c1", Disposition: "inquiry.usage", WrapUpEndedAt: at.Add(6 * time.Minute)})
	if err := late.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if h := late.Health(); h.Written != 1 || h.Dropped != 0 {
		t.Errorf("late writer health: got %+v, want 1 written, 0 dropped", h)
	}

	tests := []struct {
		name, sql, want string
	}{
		{"events", `SELECT string_agg(seq || ' ' || kind || ' ' || coalesce(node, '-') || ' ' || coalesce(detail::text, '-'), '; ' ORDER BY seq) FROM call_events`,
			`1 arrived - -; 2 key menu {"digits": "1"}`},
		{"call", `SELECT concat_ws(' ', id, hotline, caller, queue, agent_id, outcome, hung_up_by, language, flow, flow_version, end_node, holds, hold_time, transfers, disposition) FROM calls`,
			"c1 4008001234 13800000000 support 1001 queued caller zh main 3 to-queue 2 00:00:45 1 inquiry.usage"},
		{"call times", `SELECT concat_ws(' ', to_char(arrived_at AT TIME ZONE 'UTC', 'MM-DD HH24:MI:SS'), to_char(answered_at AT TIME ZONE 'UTC', 'HH24:MI:SS'),
			to_char(queued_at AT TIME ZONE 'UTC', 'HH24:MI:SS'), to_char(agent_answered_at AT TIME ZONE 'UTC', 'HH24:MI:SS'),
			to_char(ended_at AT TIME ZONE 'UTC', 'MM-DD HH24:MI:SS'), to_char(wrap_up_ended_at AT TIME ZONE 'UTC', 'HH24:MI:SS')) FROM calls`,
			"03-01 23:58:00 23:58:01 23:59:00 23:59:30 03-02 00:03:00 00:04:00"},
		{"agent states", `SELECT string_agg(state || ' ' || coalesce(call_id, '-'), '; ' ORDER BY at) FROM agent_state_changes`, "ready -; on_call c1"},
		{"survey", `SELECT string_agg(question || ' ' || score || ' ' || coalesce(agent_id, '-'), '; ') FROM survey_answers`, "csat 5 1001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			if err := db.QueryRow(ctx, tt.sql).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestWriterSurvivesPostgresRestart stops PostgreSQL in the middle of a
// load and starts it again: every record is stored exactly once.
func TestWriterSurvivesPostgresRestart(t *testing.T) {
	ctx := t.Context()
	srv := pgtest.NewServer(t)
	db := open(t, migratedDatabase(t, srv))
	w := newWriter(t, db, t.TempDir(), store.WriterConfig{BatchSize: 1000})

	all := events(300, 1, 60) // 18,000 events of 300 calls
	before, during, after := all[:6000], all[6000:12000], all[12000:]
	for _, e := range before {
		w.Add(e)
	}
	// The writer is still at it: stop PostgreSQL under it.
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for _, e := range during {
		w.Add(e)
	}
	for c := range 300 {
		w.Add(store.Call{ID: fmt.Sprintf("call-%04d", c), Hotline: "4008001234", Outcome: "self_service"})
	}
	waitFor(t, w, "the writer to find PostgreSQL gone and spool", func(h store.Health) bool { return !h.Connected && h.Spooled > 0 })

	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	for _, e := range after {
		w.Add(e)
	}
	for _, e := range before[:500] { // replays of what was written already
		w.Add(e)
	}
	waitFor(t, w, "the writer to reconnect and drain the spool", func(h store.Health) bool {
		return h.Connected && h.Spooled == 0 && h.Queued == 0
	})
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}

	if got, want := storedEvents(t, db), wantEvents(all); got != want {
		t.Errorf("call_events: got %+v, want %+v", got, want)
	}
	var calls int
	if err := db.QueryRow(ctx, "SELECT count(*) FROM calls WHERE outcome = 'self_service'").Scan(&calls); err != nil {
		t.Fatal(err)
	}
	if calls != 300 {
		t.Errorf("calls: got %d, want 300", calls)
	}
	if h := w.Health(); h.Dropped != 0 {
		t.Errorf("dropped: got %d, want 0", h.Dropped)
	}
}

// TestWriterReplaysLeftoverSpool is a process that ends while PostgreSQL
// is down, and the next one, on the same spool directory, that writes
// what it left.
func TestWriterReplaysLeftoverSpool(t *testing.T) {
	dir := t.TempDir()
	evs := events(20, 1, 10)
	leaveSpool(t, dir, evs)

	db := open(t, pgtest.New(t))
	w := newWriter(t, db, dir, store.WriterConfig{})
	if got := w.Health().Spooled; got != int64(len(evs)) {
		t.Errorf("spooled at start: got %d, want %d", got, len(evs))
	}
	later := events(1, 100, 5)
	for _, e := range later {
		w.Add(e)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := storedEvents(t, db), wantEvents(append(evs, later...)); got != want {
		t.Errorf("call_events: got %+v, want %+v", got, want)
	}
	if h := w.Health(); h.Spooled != 0 {
		t.Errorf("spooled after Close: got %d, want 0", h.Spooled)
	}
	// The spool is emptied: a third writer has nothing to replay.
	again := newWriter(t, db, dir, store.WriterConfig{})
	if got := again.Health().Spooled; got != 0 {
		t.Errorf("spooled for the next writer: got %d, want 0", got)
	}
}

// leaveSpool writes evs with PostgreSQL unreachable and closes the Writer
// before it returns: they are left in dir's spool.
func leaveSpool(t *testing.T, dir string, evs []store.CallEvent) {
	t.Helper()
	w := newWriter(t, open(t, unreachable(t)), dir, store.WriterConfig{})
	for _, e := range evs {
		w.Add(e)
	}
	waitFor(t, w, "the writer to spool everything", func(h store.Health) bool {
		return !h.Connected && h.Spooled == int64(len(evs))
	})
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // the process ends now
	if err := w.Close(ctx); !errors.Is(err, store.ErrSpooled) {
		t.Fatalf("Close with PostgreSQL down: got %v, want ErrSpooled", err)
	}
}

func TestWriterConfig(t *testing.T) {
	dir := t.TempDir()
	db := open(t, unreachable(t))
	newWriter(t, db, dir, store.WriterConfig{})
	tests := []struct {
		name string
		cfg  store.WriterConfig
		want error
	}{
		{"no spool directory", store.WriterConfig{}, store.ErrNoSpoolDir},
		{"spool in use", store.WriterConfig{SpoolDir: dir}, store.ErrSpoolInUse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := store.NewWriter(db, tt.cfg)
			if w != nil {
				w.Close(t.Context())
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestWriterAddAfterClose(t *testing.T) {
	w := newWriter(t, open(t, pgtest.New(t)), t.TempDir(), store.WriterConfig{})
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	w.Add(store.CallEvent{CallID: "late", Seq: 1, At: time.Now(), Kind: "node"})
	if got := w.Health().Dropped; got != 1 {
		t.Errorf("dropped: got %d, want 1", got)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}
}
