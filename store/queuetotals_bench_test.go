package store_test

import (
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// BenchmarkQueueTotals measures the read of today's totals the consoles
// of a centre of several servers make every 10 s (acd shared_totals.go):
// at 18:00 of a busy day, 30,000 calls to two queues since midnight (one
// every 2.9 s), over three such days of records; each call has ten events
// besides its two of the queue (joined; answered, 80% within 20 s, or
// abandoned), 12 events a call, 1.08 million rows. ns/op is one read.
//
//	go test -run '^$' -bench QueueTotals ./store/
func BenchmarkQueueTotals(b *testing.B) {
	const perDay, days = 30_000, 3
	db := open(b, pgtest.New(b))
	first := time.Date(2026, 12, 4, 0, 0, 0, 0, shanghai)
	t0 := time.Now()
	if _, err := db.Exec(b.Context(), `
		INSERT INTO call_events (call_id, seq, at, kind, node, detail)
		SELECT 'c' || i, s,
		       $1::timestamptz + (i % $2::int) * interval '2.88 seconds' + (i / $2::int) * interval '1 day' + s * interval '1 second',
		       CASE s WHEN 4 THEN 'queue' WHEN 5 THEN 'queue' ELSE 'prompt' END,
		       CASE WHEN s IN (4, 5) THEN 'to-queue' ELSE 'menu' END,
		       CASE s
		         WHEN 4 THEN jsonb_build_object('queue', q.name, 'priority', 0)
		         WHEN 5 THEN CASE WHEN i % 10 < 9
		           THEN jsonb_build_object('queue', q.name, 'result', 'answered', 'agent', '1001',
		                'answered_at', $1::timestamptz + (i % $2::int) * interval '2.88 seconds' + (i / $2::int) * interval '1 day' + interval '4 seconds' + (i % 25) * interval '1 second')
		           ELSE jsonb_build_object('queue', q.name, 'result', 'abandoned') END
		         ELSE jsonb_build_object('prompt', 'welcome') END
		FROM generate_series(0, $2::int * $3::int - 1) i, generate_series(1, 12) s,
		     LATERAL (SELECT CASE WHEN i % 3 = 0 THEN 'vip' ELSE 'support' END AS name) q`, first, perDay, days); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(b.Context(), `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	day := first.AddDate(0, 0, days-1)
	now := day.Add(18 * time.Hour)
	levels := map[string]time.Duration{"support": 20 * time.Second, "vip": 20 * time.Second}
	got, err := store.QueueTotals(b.Context(), db, day, now, levels)
	if err != nil {
		b.Fatal(err)
	}
	s, v := got["support"], got["vip"]
	b.Logf("seeded %d days of %d calls in %v; today until 18:00: support %+v, vip %+v", days, perDay, time.Since(t0).Round(time.Millisecond), s, v)
	if n := s.Answered + s.Abandoned + v.Answered + v.Abandoned; n < perDay*7/10 || n > perDay*8/10 {
		b.Fatalf("%d callers counted until 18:00, want 3/4 of the day's %d", n, perDay)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := store.QueueTotals(b.Context(), db, day, now, levels); err != nil {
			b.Fatal(err)
		}
	}
}
