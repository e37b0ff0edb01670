package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// BenchmarkComplaintReport measures a month's complaints report over
// the 100,000 or so complaints registered in March 2025, among half a
// year's 600,000 (one every 26 s from 1 October 2024), 200
// owners, three teams (every tenth complaint handed to two), four
// categories: 90% resolved (at 0 to 29 h: some late), one in twenty of
// them reopened and resolved again, one in five given feedback and
// followed up, and a follow-up task with one to three calls for a third;
// the other 10% open, with running clocks. ns/op is one report.
func BenchmarkComplaintReport(b *testing.B) {
	const total = 600_000
	db := open(b, pgtest.New(b))
	start := time.Date(2024, 10, 1, 0, 0, 0, 0, shanghai)
	from := time.Date(2025, 3, 1, 0, 0, 0, 0, shanghai)
	to := from.AddDate(0, 1, 0)
	t0 := time.Now()
	for _, q := range []string{`
		INSERT INTO complaints (id, hotline, source, registered_at, complainant, contact, content, category, owner, teams, state, resolve_due)
		SELECT 'C' || i, CASE WHEN i % 2 = 0 THEN '400-biz' ELSE '400-cal' END, 'agent', $1::timestamptz + i * interval '26 seconds',
		       '张先生', '13800138000', '洗衣机漏水', (ARRAY['quality', 'damaged', 'wrong-item', 'attitude'])[i % 4 + 1], 'agent-' || (i % 200),
		       CASE WHEN i % 10 = 0 THEN ARRAY['quality-dept', 'logistics'] ELSE ARRAY[(ARRAY['quality-dept', 'logistics', 'after-sales'])[i % 3 + 1]] END,
		       CASE WHEN i % 10 < 9 THEN 'resolved' ELSE 'in_progress' END,
		       CASE WHEN i % 10 = 9 THEN $1::timestamptz + i * interval '26 seconds' + interval '24 hours' END
		FROM generate_series(1, $2::int) i`, `
		INSERT INTO complaint_changes (complaint_id, seq, at, actor, action, from_state, to_state, due)
		SELECT id, 1, registered_at, owner, 'register', '', 'registered', registered_at + interval '24 hours' FROM complaints`, `
		INSERT INTO complaint_changes (complaint_id, seq, at, actor, action, from_state, to_state)
		SELECT 'C' || i, 2, $1::timestamptz + i * interval '26 seconds' + (i % 30) * interval '1 hour', 'x', 'resolve', 'registered', 'resolved'
		FROM generate_series(1, $2::int) i WHERE i % 10 < 9`, `
		INSERT INTO complaint_changes (complaint_id, seq, at, actor, action, from_state, to_state, due)
		SELECT 'C' || i, 3, $1::timestamptz + i * interval '26 seconds' + (i % 30 + 1) * interval '1 hour', 'x', v.action, 'resolved', v.state,
		       $1::timestamptz + i * interval '26 seconds' + (i % 30 + 1) * interval '1 hour' + v.clock
		FROM generate_series(1, $2::int) i,
		     LATERAL (SELECT CASE WHEN i % 5 = 0 THEN 'feedback' ELSE 'reopen' END AS action,
		                     CASE WHEN i % 5 = 0 THEN 'resolved' ELSE 'in_progress' END AS state,
		                     CASE WHEN i % 5 = 0 THEN interval '72 hours' ELSE interval '24 hours' END AS clock) v
		WHERE i % 10 < 9 AND (i % 5 = 0 OR i % 20 = 1)`, `
		INSERT INTO complaint_changes (complaint_id, seq, at, actor, action, from_state, to_state)
		SELECT 'C' || i, 4, $1::timestamptz + i * interval '26 seconds' + (i % 30 + 1 + i % 90) * interval '1 hour', 'x',
		       CASE WHEN i % 5 = 0 THEN 'follow_up' ELSE 'resolve' END, 'in_progress', 'resolved'
		FROM generate_series(1, $2::int) i WHERE i % 10 < 9 AND (i % 5 = 0 OR i % 20 = 1)`, `
		INSERT INTO followups (id, source_key, reason, complaint_id, number, mode, state, created_at, not_before, attempts, max_attempts, reached, satisfied)
		SELECT 'F' || i, 'complaint:C' || i || ':2', 'complaint', 'C' || i, '13800138000', 'auto',
		       (ARRAY['done', 'unreached', 'pending'])[i % 9 / 3 + 1], $1::timestamptz, $1::timestamptz, i % 3 + 1, 3,
		       CASE i % 9 / 3 WHEN 0 THEN true WHEN 1 THEN false END, CASE WHEN i % 9 / 3 = 0 THEN i % 2 = 0 END
		FROM generate_series(1, $2::int) i WHERE i % 3 = 0 AND i % 10 < 9`, `
		INSERT INTO followup_attempts (followup_id, seq, number, started_at, by_whom, outcome)
		SELECT f.id, s, f.number, f.created_at, 'auto', 'no_answer' FROM followups f, generate_series(1, f.attempts) s`,
	} {
		var args []any
		if strings.Contains(q, "$2") {
			args = []any{start, total}
		}
		if _, err := db.Exec(b.Context(), q, args...); err != nil {
			b.Fatalf("%v in %s", err, q)
		}
	}
	if _, err := db.Exec(b.Context(), `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	var n int
	if err := db.QueryRow(b.Context(), `SELECT count(*) FROM complaints WHERE registered_at >= $1 AND registered_at < $2`, from, to).Scan(&n); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d complaints in %v, %d of them in the month", total, time.Since(t0).Round(time.Millisecond), n)
	now := to.Add(24 * time.Hour)

	for _, c := range []struct {
		name string
		run  func(b *testing.B) int
	}{
		{"month-by-team", func(b *testing.B) int {
			res, err := store.ComplaintReport(b.Context(), db, store.ComplaintReportQuery{From: from, To: to, Location: shanghai, Now: now, GroupBy: store.ComplaintsByTeam})
			if err != nil {
				b.Fatal(err)
			}
			return int(res.Total.Received)
		}},
		{"month-by-day", func(b *testing.B) int {
			res, err := store.ComplaintReport(b.Context(), db, store.ComplaintReportQuery{From: from, To: to, Location: shanghai, Now: now, GroupBy: store.ComplaintsByDay})
			if err != nil {
				b.Fatal(err)
			}
			return int(res.Total.Received)
		}},
		// The calls report by agent: its complaint rates (no calls here).
		{"calls-report-by-agent", func(b *testing.B) int {
			res, err := store.Report(b.Context(), db, store.ReportQuery{From: from, To: to, Location: shanghai, Now: now, GroupBy: store.GroupByAgent})
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Rows) != 200 {
				b.Fatalf("%d owners, want 200", len(res.Rows))
			}
			return n
		}},
		// The open tenth are all overdue at now: the first 500.
		{"overdue-500", func(b *testing.B) int {
			l, err := store.Overdue(b.Context(), db, store.OverdueQuery{Now: now, Limit: 500})
			if err != nil || len(l.Complaints) != 500 || l.Total != total/10 {
				b.Fatalf("%d of %d overdue, %v", len(l.Complaints), l.Total, err)
			}
			return n
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if got := c.run(b); got != n {
					b.Fatalf("got %d complaints, want %d", got, n)
				}
			}
		})
	}
}
