package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// benchEvent is the i-th of a load of calls with 50 events each, like an
// IVR journey's.
func benchEvent(ids []string, at time.Time, i int) store.CallEvent {
	return store.CallEvent{
		CallID: ids[i/50],
		Seq:    i%50 + 1,
		At:     at.Add(time.Duration(i) * time.Millisecond),
		Kind:   "key",
		Node:   "main-menu",
		Detail: map[string]any{"digits": "1", "latency_ms": 12},
	}
}

func callIDs(n int) []string {
	ids := make([]string, n/50+1)
	for i := range ids {
		ids[i] = fmt.Sprintf("1700000000.%d", i)
	}
	return ids
}

// BenchmarkIngest measures call-event rows per second through the Writer:
// Add, batching, COPY into staging, INSERT ... ON CONFLICT, until Close has
// written them all. The rows come faster than PostgreSQL takes them: in
// "queue" the queue holds them all; in "overflow" it has its default size
// and most rows go through the spool file, as in a burst.
func BenchmarkIngest(b *testing.B) {
	for _, bb := range []struct {
		name  string
		queue func(n int) int
	}{
		{"queue", func(n int) int { return n + 1 }},
		{"overflow", func(int) int { return 0 }},
	} {
		b.Run(bb.name, func(b *testing.B) {
			db := open(b, pgtest.New(b))
			ids := callIDs(b.N)
			at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
			w := newWriter(b, db, b.TempDir(), store.WriterConfig{QueueSize: bb.queue(b.N)})
			b.ResetTimer()
			for i := range b.N {
				w.Add(benchEvent(ids, at, i))
			}
			if err := w.Close(b.Context()); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			if got := storedEvents(b, db).Rows; got != b.N {
				b.Fatalf("rows: got %d, want %d", got, b.N)
			}
		})
	}
}

// BenchmarkSingleInsert is the baseline: one INSERT statement per row.
func BenchmarkSingleInsert(b *testing.B) {
	db := open(b, pgtest.New(b))
	ids := callIDs(b.N)
	at := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := range b.N {
		e := benchEvent(ids, at, i)
		_, err := db.Exec(b.Context(), `INSERT INTO call_events (call_id, seq, at, kind, node, detail)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, e.CallID, e.Seq, e.At, e.Kind, e.Node, e.Detail)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
