package complaints_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
)

// counter is a Notifier that counts.
type counter struct{ n atomic.Int64 }

func (c *counter) Notify(context.Context, complaints.Notice) error { c.n.Add(1); return nil }

// seed stores n open complaints in progress, one a second: complaint i
// warns at at+i s and breaks 4 h later.
func seed(b *testing.B, r *rig, at time.Time, n int) {
	b.Helper()
	t0 := time.Now()
	if _, err := r.db.Exec(b.Context(), `
		INSERT INTO complaints (id, call_id, hotline, source, registered_at, complainant, contact, content, category, wants,
		                        owner, teams, state, resolve_due, resolve_warn_at)
		SELECT 'C20261205-' || lpad(i::text, 7, '0'), 'call-' || i, '400-cal', 'agent', $1::timestamptz - interval '20 hours' + i * interval '1 second',
		       '张先生', '13800138000', '洗衣机漏水', 'quality', '换新机',
		       'agent-' || (i % 200), ARRAY['quality-dept'], 'in_progress',
		       $1::timestamptz + i * interval '1 second' + interval '4 hours', $1::timestamptz + i * interval '1 second'
		FROM generate_series(1, $2::int) i`, at, n); err != nil {
		b.Fatal(err)
	}
	if _, err := r.db.Exec(b.Context(), `ANALYZE complaints`); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d open complaints in %v", n, time.Since(t0).Round(time.Millisecond))
}

// BenchmarkScan measures one scan pass over 1,000,000 open complaints in
// PostgreSQL: "due" passes each claim the 1,000 warnings that came due
// since the last pass and, from the 15th pass on, 1,000 breaches too
// (each notice sent); an "idle" pass finds nothing due. The figure to
// compare with the 1 s target is ns/op (one pass). "list-overdue" is the
// console's overdue list (the newest 50) over the same complaints.
func BenchmarkScan(b *testing.B) {
	const open = 1_000_000
	at := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	r := newRig(b, at)
	seed(b, r, at, open)
	notices := &counter{}
	s, err := complaints.New(complaints.Config{
		Store: storeOf(r), Notifier: notices, Categories: categories, Clock: r.clock,
		Logger: quiet(),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("due", func(b *testing.B) {
		claimed := 0
		for b.Loop() {
			b.StopTimer()
			r.clock.Advance(1000 * time.Second)
			b.StartTimer()
			n, err := s.Scan(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			claimed += n
		}
		b.ReportMetric(float64(claimed)/float64(b.N), "claimed/op")
	})
	b.Run("idle", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Scan(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("list-overdue", func(b *testing.B) {
		for b.Loop() {
			cs, err := s.List(b.Context(), complaints.Filter{Overdue: true, Limit: 50})
			if err != nil || len(cs) != 50 {
				b.Fatalf("%d overdue, %v", len(cs), err)
			}
		}
	})
	b.Logf("notices sent: %d", notices.n.Load())
}
