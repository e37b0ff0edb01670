package store_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/complaints/notify"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// The complaints fixture's hotlines: one counting business hours (Monday
// to Friday, 9:00 to 18:00 in Shanghai), one calendar time.
const (
	bizHotline = "400-biz"
	calHotline = "400-cal"
)

// mar is a time in March 2025 in Shanghai. 7 March 2025 is a Friday.
func mar(d, h, m int) time.Time { return time.Date(2025, 3, d, h, m, 0, 0, shanghai) }

// The complaints report's period, [Fri 7 March, Mon 17 March) in
// Shanghai, and the time the clocks are compared with, Mon 17 March 10:00.
var (
	cmpFrom = mar(7, 0, 0)
	cmpTo   = mar(17, 0, 0)
	cmpNow  = mar(17, 10, 0)
)

// complaintFixture registers and works the fixture's complaints with the
// real complaints.Service on a fake clock (categories quality, of team
// quality-dept, and damaged, of team logistics; 24 h and 3-day clocks),
// a second Service taking over after the first "restarts", and inserts
// their follow-up tasks. It returns the complaints' IDs by name. The
// deadlines below are the Services' (kept in complaint_changes.due):
//
//	K0 400-cal quality 1002  Wed 5 Mar 10:00, never resolved: due Thu 6 Mar 10:00 (before the period)
//	K1 400-biz quality 1001  Fri 7 Mar 16:00; business hours: Fri 2 h + Mon 9 h + Tue 9 h + Wed 4 h:
//	                         due Wed 12 Mar 13:00; resolved Tue 11 Mar 17:00 by the second Service: met, took 97h
//	K2 400-biz quality 1002  Fri 7 Mar 16:30: due Wed 12 Mar 13:30 (1.5 + 9 + 9 + 4.5 h); handed off to
//	                         logistics Fri 17:00; resolved Wed 14:00: late, took 4d21h30m = 117h30m
//	K3 400-cal damaged 1001  Sat 8 Mar 10:00: due Sun 9 Mar 10:00; resolved Sun 10:05 (second Service):
//	                         late by 5 minutes, took 24h05m; feedback Mon 10 Mar 09:30: due Thu 13 Mar
//	                         09:30, never answered: overdue
//	K4 400-cal quality 1002  Mon 10 Mar 09:00: due Tue 09:00; resolved Mon 15:00: met, took 6h; reopened
//	                         Tue 11 Mar 10:00: a second clock due Wed 12 Mar 10:00; resolved Wed 11:00:
//	                         late, took 25h
//	K5 400-cal damaged 1001  Mon 10 Mar 10:00: due Tue 10:00; feedback Mon 12:00 (due Thu 13 Mar 12:00);
//	                         resolved Tue 09:00: both met (the feedback answered on its day 2), took 23h
//	K6 400-cal quality 1002  Mon 10 Mar 11:00: due Tue 11:00; resolved Mon 14:00: met, took 3h; feedback
//	                         Tue 11 Mar 08:00 (due Fri 14 Mar 08:00); followed up Fri 10:00 (its day 4):
//	                         late; closed Fri 10:05
//	K7 400-biz damaged 1001  Wed 12 Mar 09:00: Wed 9 h + Thu 9 h + Fri 6 h: due Fri 14 Mar 15:00; open:
//	                         overdue at Now
//	K8 400-cal quality 1002  Sun 16 Mar 12:00: due Mon 17 Mar 12:00, after Now: pending; feedback Sun 13:00
//	                         (due Wed 19 Mar 13:00): pending
//
// K1's call is c06 (queue support, agent 1001, of reportCalls). The
// scan runs at Now (its warnings and breaches are changes of their own).
// Follow-ups (inserted as the follow-up package keeps them):
//
//	F1 K1 auto     done, reached, satisfied      2 calls: no_answer, answered
//	F2 K2 preview  done, reached, not satisfied  1 call: answered (agent 1002)
//	F3 K4 auto     unreached                     3 calls: no_answer, busy, no_answer
//	F4 K5 auto     pending                       no call yet
//	F5 K6 auto     cancelled                     1 call: failed (left out)
func complaintFixture(t *testing.T, db *pgxpool.Pool) map[string]string {
	t.Helper()
	ctx := t.Context()
	clock := clockwork.NewFakeClockAt(mar(5, 10, 0))
	to := func(at time.Time) {
		t.Helper()
		if d := at.Sub(clock.Now()); d < 0 {
			t.Fatalf("the fixture goes back in time: %v to %v", clock.Now(), at)
		} else {
			clock.Advance(d)
		}
	}
	quiet := slog.New(slog.DiscardHandler)
	// The teams' notices are queued in the outbox for a webhook (not
	// delivered: the notifier does not run here).
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(hook.Close)
	notifier, err := notify.New(store.NewNotices(db, clock), notify.Config{Instance: "report-test", Clock: clock, Logger: quiet,
		Default: notify.Route{Webhook: hook.URL}, WebhookSecret: "report-test-key"})
	if err != nil {
		t.Fatal(err)
	}
	service := func() *complaints.Service {
		s, err := complaints.New(complaints.Config{
			Store: store.NewComplaints(db), Notifier: notifier,
			Categories: map[string]complaints.Category{"quality": {Team: "quality-dept"}, "damaged": {Team: "logistics"}},
			Hours:      map[string]complaints.Hours{bizHotline: complaints.WeekdayHours(shanghai, 9*time.Hour, 18*time.Hour)},
			Zone:       shanghai, Clock: clock, Logger: quiet,
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	svc := service()
	ids := map[string]string{}
	register := func(name string, at time.Time, hotline, category, owner, call string) {
		t.Helper()
		to(at)
		c, err := svc.Register(ctx, complaints.Registration{CallID: call, Hotline: hotline, Source: "agent", Complainant: "客户 " + name,
			Contact: "1380000000" + name[1:], Content: "投诉 " + name, Category: category}, owner)
		if err != nil {
			t.Fatalf("registering %s: %v", name, err)
		}
		ids[name] = c.ID
	}
	act := func(name string, at time.Time, actor string, a complaints.Action, note, team string) {
		t.Helper()
		to(at)
		if _, err := svc.Act(ctx, ids[name], actor, a, note, team); err != nil {
			t.Fatalf("%s %s: %v", a, name, err)
		}
	}
	register("K0", mar(5, 10, 0), calHotline, "quality", "1002", "")
	register("K1", mar(7, 16, 0), bizHotline, "quality", "1001", "c06")
	register("K2", mar(7, 16, 30), bizHotline, "quality", "1002", "")
	act("K2", mar(7, 17, 0), "1002", complaints.ActHandOff, "", "logistics")
	register("K3", mar(8, 10, 0), calHotline, "damaged", "1001", "")

	svc = service() // the first instance "restarted": a new one on the same database takes over
	act("K3", mar(9, 10, 5), "1001", complaints.ActResolve, "补发配件", "")
	register("K4", mar(10, 9, 0), calHotline, "quality", "1002", "")
	act("K3", mar(10, 9, 30), "1001", complaints.ActFeedback, "配件还没收到", "")
	register("K5", mar(10, 10, 0), calHotline, "damaged", "1001", "")
	register("K6", mar(10, 11, 0), calHotline, "quality", "1002", "")
	act("K5", mar(10, 12, 0), "1001", complaints.ActFeedback, "想知道进度", "")
	act("K6", mar(10, 14, 0), "1002", complaints.ActResolve, "已换货", "")
	act("K4", mar(10, 15, 0), "1002", complaints.ActResolve, "已维修", "")
	act("K6", mar(11, 8, 0), "1002", complaints.ActFeedback, "新机也有划痕", "")
	act("K5", mar(11, 9, 0), "1001", complaints.ActResolve, "已退款", "")
	act("K4", mar(11, 10, 0), "1002", complaints.ActReopen, "又坏了", "")
	act("K1", mar(11, 17, 0), "1001", complaints.ActResolve, "已上门维修", "")
	register("K7", mar(12, 9, 0), bizHotline, "damaged", "1001", "")
	act("K4", mar(12, 11, 0), "1002", complaints.ActResolve, "换新机", "")
	act("K2", mar(12, 14, 0), "1002", complaints.ActResolve, "已赔偿", "")
	act("K6", mar(14, 10, 0), "1002", complaints.ActFollowUp, "客户接受", "")
	act("K6", mar(14, 10, 5), "1002", complaints.ActClose, "", "")
	register("K8", mar(16, 12, 0), calHotline, "quality", "1002", "")
	act("K8", mar(16, 13, 0), "1002", complaints.ActFeedback, "催促", "")
	to(cmpNow)
	if _, err := svc.Scan(ctx); err != nil {
		t.Fatal(err)
	}

	type attempt struct {
		outcome, by string
	}
	for i, f := range []struct {
		complaint, mode, state string
		reached, satisfied     any
		attempts               []attempt
	}{
		{"K1", "auto", "done", true, true, []attempt{{"no_answer", "auto"}, {"answered", "auto"}}},
		{"K2", "preview", "done", true, false, []attempt{{"answered", "1002"}}},
		{"K4", "auto", "unreached", false, nil, []attempt{{"no_answer", "auto"}, {"busy", "auto"}, {"no_answer", "auto"}}},
		{"K5", "auto", "pending", nil, nil, nil},
		{"K6", "auto", "cancelled", nil, nil, []attempt{{"failed", "auto"}}},
	} {
		id := fmt.Sprintf("F20250312-%06d", i+1)
		if _, err := db.Exec(ctx, `INSERT INTO followups (id, source_key, reason, complaint_id, number, mode, state, created_at, not_before,
			attempts, max_attempts, reached, satisfied, result_at)
			VALUES ($1, $2, 'complaint', $3, '13800000000', $4, $5, $6, $6, $7, 3, $8, $9, CASE WHEN $8::boolean IS NOT NULL THEN $6::timestamptz END)`,
			id, "complaint:"+ids[f.complaint]+":1", ids[f.complaint], f.mode, f.state, mar(12, 9, 0), len(f.attempts), f.reached, f.satisfied); err != nil {
			t.Fatalf("inserting follow-up %s: %v", id, err)
		}
		for j, a := range f.attempts {
			if _, err := db.Exec(ctx, `INSERT INTO followup_attempts (followup_id, seq, number, started_at, ended_at, by_whom, outcome)
				VALUES ($1, $2, '13800000000', $3, $3, $4, $5)`, id, j+1, mar(12, 9+j, 0), a.by, a.outcome); err != nil {
				t.Fatalf("inserting follow-up %s's attempt: %v", id, err)
			}
		}
	}
	return ids
}

// cl is a ClockFigures; h is hours and minutes.
func cl(met, late, overdue, pending int64) store.ClockFigures {
	return store.ClockFigures{Met: met, Late: late, Overdue: overdue, Pending: pending}
}
func h(hours, minutes int) time.Duration {
	return time.Duration(hours)*time.Hour + time.Duration(minutes)*time.Minute
}

// ttr is a TimeToResolve of n clocks adding up to total.
func ttr(total time.Duration, n int64) store.MeanDuration {
	return store.MeanDuration{Total: total, N: n}
}

// Hand-computed rows of complaintFixture over [cmpFrom, cmpTo) at cmpNow
// (K0 is before the period: in no row).
var (
	// K1-K8. 24 h clocks (K4 has two): met K1, K4's first, K5, K6; late
	// K2, K3, K4's second; overdue K7; pending K8: rate 4 ÷ (4 + 3 + 1).
	// 3-day clocks: met K5; late K6; overdue K3; pending K8: 1 ÷ 3.
	// Resolved: K1 97h, K2 117h30m, K3 24h05m, K4 6h and 25h, K5 23h, K6
	// 3h: 295h35m over 7; the median, the 4th of 3h 6h 23h 24h05m 25h 97h
	// 117h30m, 24h05m. Follow-ups: F1-F4 (F5 cancelled); calls 2 + 1 + 3 +
	// 0; reached F1 F2, unreached F3 (2 ÷ 3); open F4; satisfied F1, not
	// F2 (1 ÷ 2).
	cmpTotal = store.ComplaintRow{
		Received: 8, Reopened: 1, Resolve: cl(4, 3, 1, 1), Feedback: cl(1, 1, 1, 1),
		TimeToResolve: ttr(h(295, 35), 7), MedianToResolve: h(24, 5),
		FollowUps: store.FollowUpFigures{Tasks: 4, Attempts: 6, Reached: 2, Unreached: 1, Open: 1, Satisfied: 1, Unsatisfied: 1},
	}
	// Team logistics: K2 (handed off to it), K3, K5, K7. 24 h: met K5,
	// late K2 K3, overdue K7. 3 days: met K5, overdue K3. Resolved 117h30m
	// + 24h05m + 23h = 164h35m over 3, median 24h05m. F2 (1 call, reached,
	// not satisfied), F4 (open).
	logisticsRow = store.ComplaintRow{
		Key: "logistics", Received: 4, Resolve: cl(1, 2, 1, 0), Feedback: cl(1, 0, 1, 0),
		TimeToResolve: ttr(h(164, 35), 3), MedianToResolve: h(24, 5),
		FollowUps: store.FollowUpFigures{Tasks: 2, Attempts: 1, Reached: 1, Open: 1, Unsatisfied: 1},
	}
	// Team quality-dept (and category quality): K1, K2, K4, K6, K8. 24 h:
	// met K1, K4's first, K6; late K2, K4's second; pending K8. 3 days:
	// late K6, pending K8. Resolved 97h + 117h30m + 6h + 25h + 3h = 248h30m
	// over 5, median 25h. F1 (2 calls), F2 (1), F3 (3).
	qualityRow = store.ComplaintRow{
		Key: "quality-dept", Received: 5, Reopened: 1, Resolve: cl(3, 2, 0, 1), Feedback: cl(0, 1, 0, 1),
		TimeToResolve: ttr(h(248, 30), 5), MedianToResolve: h(25, 0),
		FollowUps: store.FollowUpFigures{Tasks: 3, Attempts: 6, Reached: 2, Unreached: 1, Satisfied: 1, Unsatisfied: 1},
	}
	// Category damaged: K3, K5, K7. Resolved 24h05m + 23h = 47h05m over 2,
	// median their mean, 23h32m30s. F4.
	damagedRow = store.ComplaintRow{
		Key: "damaged", Received: 3, Resolve: cl(1, 1, 1, 0), Feedback: cl(1, 0, 1, 0),
		TimeToResolve: ttr(h(47, 5), 2), MedianToResolve: h(23, 32) + 30*time.Second,
		FollowUps: store.FollowUpFigures{Tasks: 1, Open: 1},
	}
	// Owner 1001: K1, K3, K5, K7. 24 h: met K1 K5, late K3, overdue K7.
	// 3 days: met K5, overdue K3. Resolved 97h + 24h05m + 23h = 144h05m
	// over 3, median 24h05m. F1, F4.
	owner1001Row = store.ComplaintRow{
		Key: "1001", Received: 4, Resolve: cl(2, 1, 1, 0), Feedback: cl(1, 0, 1, 0),
		TimeToResolve: ttr(h(144, 5), 3), MedianToResolve: h(24, 5),
		FollowUps: store.FollowUpFigures{Tasks: 2, Attempts: 2, Reached: 1, Open: 1, Satisfied: 1},
	}
	// Owner 1002: K2, K4, K6, K8. 24 h: met K4's first, K6; late K2, K4's
	// second; pending K8. 3 days: late K6, pending K8. Resolved 117h30m +
	// 6h + 25h + 3h = 151h30m over 4, median (6h + 25h) ÷ 2 = 15h30m. F2,
	// F3.
	owner1002Row = store.ComplaintRow{
		Key: "1002", Received: 4, Reopened: 1, Resolve: cl(2, 2, 0, 1), Feedback: cl(0, 1, 0, 1),
		TimeToResolve: ttr(h(151, 30), 4), MedianToResolve: h(15, 30),
		FollowUps: store.FollowUpFigures{Tasks: 2, Attempts: 4, Reached: 1, Unreached: 1, Unsatisfied: 1},
	}
	// Week 10 (from Fri 7 March, the period's start, to Mon 10 March): K1,
	// K2, K3. 24 h: met K1, late K2 K3. 3 days: overdue K3. Resolved 97h +
	// 117h30m + 24h05m = 238h35m over 3, median 97h. F1, F2.
	week10Row = store.ComplaintRow{
		Key: "2025-W10", Start: mar(7, 0, 0), End: mar(10, 0, 0),
		Received: 3, Resolve: cl(1, 2, 0, 0), Feedback: cl(0, 0, 1, 0),
		TimeToResolve: ttr(h(238, 35), 3), MedianToResolve: h(97, 0),
		FollowUps: store.FollowUpFigures{Tasks: 2, Attempts: 3, Reached: 2, Satisfied: 1, Unsatisfied: 1},
	}
	// Week 11 (Mon 10 to Mon 17 March): K4-K8. 24 h: met K4's first, K5,
	// K6; late K4's second; overdue K7; pending K8. 3 days: met K5, late
	// K6, pending K8. Resolved 6h + 25h + 23h + 3h = 57h over 4, median
	// (6h + 23h) ÷ 2 = 14h30m. F3, F4.
	week11Row = store.ComplaintRow{
		Key: "2025-W11", Start: mar(10, 0, 0), End: mar(17, 0, 0),
		Received: 5, Reopened: 1, Resolve: cl(3, 1, 1, 1), Feedback: cl(1, 1, 0, 1),
		TimeToResolve: ttr(h(57, 0), 4), MedianToResolve: h(14, 30),
		FollowUps: store.FollowUpFigures{Tasks: 2, Attempts: 3, Unreached: 1, Open: 1},
	}
)

// keyed is row under another key.
func keyed(row store.ComplaintRow, key string) store.ComplaintRow {
	row.Key = key
	return row
}

// dayRows are the ten days of the period: the hand-computed rows of the
// days with complaints, empty rows for the others.
func dayRows() []store.ComplaintRow {
	busy := map[int]store.ComplaintRow{
		// K1 (met, 97h, F1), K2 (late, 117h30m, F2): median 107h15m.
		7: {Received: 2, Resolve: cl(1, 1, 0, 0), TimeToResolve: ttr(h(214, 30), 2), MedianToResolve: h(107, 15),
			FollowUps: store.FollowUpFigures{Tasks: 2, Attempts: 3, Reached: 2, Satisfied: 1, Unsatisfied: 1}},
		// K3: late, 24h05m; its feedback overdue.
		8: {Received: 1, Resolve: cl(0, 1, 0, 0), Feedback: cl(0, 0, 1, 0), TimeToResolve: ttr(h(24, 5), 1), MedianToResolve: h(24, 5)},
		// K4 (met 6h, late 25h; F3), K5 (met 23h, feedback met; F4), K6 (met
		// 3h, feedback late): 57h over 4, median 14h30m.
		10: {Received: 3, Reopened: 1, Resolve: cl(3, 1, 0, 0), Feedback: cl(1, 1, 0, 0), TimeToResolve: ttr(h(57, 0), 4), MedianToResolve: h(14, 30),
			FollowUps: store.FollowUpFigures{Tasks: 2, Attempts: 3, Unreached: 1, Open: 1}},
		// K7: overdue.
		12: {Received: 1, Resolve: cl(0, 0, 1, 0)},
		// K8: both clocks pending.
		16: {Received: 1, Resolve: cl(0, 0, 0, 1), Feedback: cl(0, 0, 0, 1)},
	}
	rows := make([]store.ComplaintRow, 10)
	for i := range rows {
		row := busy[7+i]
		row.Key, row.Start, row.End = mar(7+i, 0, 0).Format("2006-01-02"), mar(7+i, 0, 0), mar(8+i, 0, 0)
		rows[i] = row
	}
	return rows
}

func TestComplaintReport(t *testing.T) {
	db := open(t, pgtest.New(t))
	ids := complaintFixture(t, db)
	period := store.ComplaintReportQuery{From: cmpFrom, To: cmpTo, Location: shanghai, Now: cmpNow}
	with := func(change func(*store.ComplaintReportQuery)) store.ComplaintReportQuery {
		q := period
		change(&q)
		return q
	}
	tests := []struct {
		name      string
		q         store.ComplaintReportQuery
		wantRows  []store.ComplaintRow
		wantTotal store.ComplaintRow
	}{
		{name: "totals", q: period, wantTotal: cmpTotal},
		// K2 is in both teams' rows, once in the total.
		{name: "by team", q: with(func(q *store.ComplaintReportQuery) { q.GroupBy = store.ComplaintsByTeam }),
			wantRows: []store.ComplaintRow{logisticsRow, qualityRow}, wantTotal: cmpTotal},
		{name: "by category", q: with(func(q *store.ComplaintReportQuery) { q.GroupBy = store.ComplaintsByCategory }),
			wantRows: []store.ComplaintRow{damagedRow, keyed(qualityRow, "quality")}, wantTotal: cmpTotal},
		{name: "by owner", q: with(func(q *store.ComplaintReportQuery) { q.GroupBy = store.ComplaintsByOwner }),
			wantRows: []store.ComplaintRow{owner1001Row, owner1002Row}, wantTotal: cmpTotal},
		{name: "by week", q: with(func(q *store.ComplaintReportQuery) { q.GroupBy = store.ComplaintsByWeek }),
			wantRows: []store.ComplaintRow{week10Row, week11Row}, wantTotal: cmpTotal},
		{name: "by day", q: with(func(q *store.ComplaintReportQuery) { q.GroupBy = store.ComplaintsByDay }),
			wantRows: dayRows(), wantTotal: cmpTotal},
		{name: "by month", q: with(func(q *store.ComplaintReportQuery) { q.GroupBy = store.ComplaintsByMonth }),
			wantRows: []store.ComplaintRow{func() store.ComplaintRow {
				r := keyed(cmpTotal, "2025-03")
				r.Start, r.End = cmpFrom, cmpTo
				return r
			}()}, wantTotal: cmpTotal},
		// A team filter keeps K2 (quality-dept's too) whole.
		{name: "team filter", q: with(func(q *store.ComplaintReportQuery) { q.Team = "logistics" }), wantTotal: keyed(logisticsRow, "")},
		{name: "owner and category filters by team", q: with(func(q *store.ComplaintReportQuery) {
			q.Owner, q.Category, q.GroupBy = "1001", "damaged", store.ComplaintsByTeam
		}),
			// K3, K5, K7, all logistics'.
			wantRows:  []store.ComplaintRow{keyed(damagedRow, "logistics")},
			wantTotal: keyed(damagedRow, "")},
		// The business-hour hotline: K1 (met), K2 (late), K7 (overdue).
		{name: "hotline filter", q: with(func(q *store.ComplaintReportQuery) { q.Hotline = bizHotline }),
			wantTotal: store.ComplaintRow{Received: 3, Resolve: cl(1, 1, 1, 0), TimeToResolve: ttr(h(214, 30), 2), MedianToResolve: h(107, 15),
				FollowUps: store.FollowUpFigures{Tasks: 2, Attempts: 3, Reached: 2, Satisfied: 1, Unsatisfied: 1}}},
		// The same complaints a day earlier, at Sun 16 March 10:00: K8 is
		// not registered yet (its registration is in the period, so it
		// counts; its clocks are after this Now, still pending). The other
		// figures do not change: their clocks stopped, or K7's and K3's
		// feedback's deadlines had passed already.
		{name: "earlier now", q: with(func(q *store.ComplaintReportQuery) { q.Now = mar(16, 10, 0) }), wantTotal: cmpTotal},
		// At Fri 14 March 12:00, K7's deadline (15:00) is ahead: pending.
		{name: "now before a deadline", q: with(func(q *store.ComplaintReportQuery) { q.Now = mar(14, 12, 0) }),
			wantTotal: func() store.ComplaintRow { r := cmpTotal; r.Resolve = cl(4, 3, 0, 2); return r }()},
		// Before the period: K0 alone, overdue.
		{name: "K0's week", q: store.ComplaintReportQuery{From: mar(3, 0, 0), To: mar(7, 0, 0), Location: shanghai, Now: cmpNow},
			wantTotal: store.ComplaintRow{Received: 1, Resolve: cl(0, 0, 1, 0)}},
		{name: "empty period by team", q: store.ComplaintReportQuery{From: mar(1, 0, 0), To: mar(2, 0, 0), GroupBy: store.ComplaintsByTeam, Now: cmpNow},
			wantRows: []store.ComplaintRow{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := store.ComplaintReport(t.Context(), db, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Rows) != len(tt.wantRows) {
				t.Errorf("rows: got %d, want %d: %+v", len(got.Rows), len(tt.wantRows), got.Rows)
			}
			for i := range min(len(got.Rows), len(tt.wantRows)) {
				for _, d := range complaintRowDiff(got.Rows[i], tt.wantRows[i]) {
					t.Errorf("row %d (%q): %s", i, tt.wantRows[i].Key, d)
				}
			}
			for _, d := range complaintRowDiff(got.Total, tt.wantTotal) {
				t.Errorf("total: %s", d)
			}
		})
	}
	t.Run("rates", func(t *testing.T) {
		for _, c := range []struct {
			name      string
			got, want store.Ratio
		}{
			{"24 h", cmpTotal.Resolve.Rate(), r(4, 8)}, {"3 days", cmpTotal.Feedback.Rate(), r(1, 3)},
			{"reach", cmpTotal.FollowUps.ReachRate(), r(2, 3)}, {"satisfaction", cmpTotal.FollowUps.SatisfactionRate(), r(1, 2)},
		} {
			if c.got != c.want {
				t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
			}
		}
		if n := cmpTotal.Resolve.Clocks(); n != 9 {
			t.Errorf("24 h clocks: got %d, want 9", n)
		}
	})

	// The overdue list at Now: K0 (24 h, due Thu 6 March 10:00: 11 days
	// late), K3 (its feedback, due Thu 13 March 09:30: 4 days 30 minutes),
	// K7 (24 h, due Fri 14 March 15:00: 2 days 19 hours). K8 is not due yet.
	t.Run("overdue", func(t *testing.T) {
		type entry struct {
			id    string
			clock complaints.ClockName
			due   string // RFC 3339 in Shanghai
			late  time.Duration
			teams string
			state complaints.State
		}
		k0 := entry{ids["K0"], complaints.ResolveClock, rfc(mar(6, 10, 0)), 11 * 24 * time.Hour, "quality-dept", complaints.Notified}
		k3 := entry{ids["K3"], complaints.FeedbackClock, rfc(mar(13, 9, 30)), h(96, 30), "logistics", complaints.Resolved}
		k7 := entry{ids["K7"], complaints.ResolveClock, rfc(mar(14, 15, 0)), h(67, 0), "logistics", complaints.Notified}
		for _, c := range []struct {
			name      string
			q         store.OverdueQuery
			want      []entry
			wantTotal int
		}{
			{"all", store.OverdueQuery{Now: cmpNow}, []entry{k0, k3, k7}, 3},
			{"limit", store.OverdueQuery{Now: cmpNow, Limit: 2}, []entry{k0, k3}, 3},
			{"team", store.OverdueQuery{Now: cmpNow, Team: "logistics"}, []entry{k3, k7}, 2},
			{"owner", store.OverdueQuery{Now: cmpNow, Owner: "1002"}, []entry{k0}, 1},
			{"category and hotline", store.OverdueQuery{Now: cmpNow, Category: "damaged", Hotline: bizHotline}, []entry{k7}, 1},
			// Sun 16 March 12:00: K7 had been due 45 hours; K8 had just
			// been registered.
			{"earlier", store.OverdueQuery{Now: mar(16, 12, 0), Hotline: bizHotline}, []entry{{k7.id, k7.clock, k7.due, h(45, 0), k7.teams, k7.state}}, 1},
		} {
			t.Run(c.name, func(t *testing.T) {
				got, err := store.Overdue(t.Context(), db, c.q)
				if err != nil {
					t.Fatal(err)
				}
				var gotEntries []entry
				for _, o := range got.Complaints {
					gotEntries = append(gotEntries, entry{o.ID, o.Clock, rfc(o.Due), o.Late, strings.Join(o.Teams, ","), o.State})
				}
				if fmt.Sprint(gotEntries) != fmt.Sprint(c.want) || got.Total != c.wantTotal {
					t.Errorf("got %d: %v\nwant %d: %v", got.Total, gotEntries, c.wantTotal, c.want)
				}
			})
		}
	})
}

func rfc(t time.Time) string { return t.In(shanghai).Format(time.RFC3339) }

// TestComplaintReportBadQuery needs no database.
func TestComplaintReportBadQuery(t *testing.T) {
	for _, c := range []struct {
		name string
		q    store.ComplaintReportQuery
		want []string
	}{
		{"no period", store.ComplaintReportQuery{}, []string{"the period needs both a start and an end"}},
		{"backwards", store.ComplaintReportQuery{From: cmpTo, To: cmpFrom, Location: shanghai},
			[]string{"the period is empty: its end (2025-03-07T00:00:00+08:00) must come after its start (2025-03-17T00:00:00+08:00)"}},
		{"grouping", store.ComplaintReportQuery{From: cmpFrom, To: cmpTo, GroupBy: "hour"},
			[]string{`cannot group complaints by "hour": use category, owner, team, day, week or month, or nothing for totals`}},
		{"too many days", store.ComplaintReportQuery{From: cmpFrom, To: cmpFrom.AddDate(60, 0, 0), GroupBy: "day"},
			[]string{"a report by day of this period would have more than 20000 rows"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := store.ComplaintReport(t.Context(), nil, c.q)
			if !errors.Is(err, store.ErrBadReportQuery) {
				t.Fatalf("got %v, %v; want ErrBadReportQuery", got, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q: want it to say %q", err, w)
				}
			}
		})
	}
	if _, err := store.Overdue(t.Context(), nil, store.OverdueQuery{Limit: -1}); !errors.Is(err, store.ErrBadReportQuery) {
		t.Errorf("a negative limit: got %v, want ErrBadReportQuery", err)
	}
}

// complaintRowDiff lists the fields where got and want differ.
func complaintRowDiff(got, want store.ComplaintRow) []string {
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	var diffs []string
	for i := range g.NumField() {
		gf, wf := g.Field(i).Interface(), w.Field(i).Interface()
		if gt, ok := gf.(time.Time); ok {
			if !gt.Equal(wf.(time.Time)) {
				diffs = append(diffs, fmt.Sprintf("%s: got %v, want %v", g.Type().Field(i).Name, gt, wf))
			}
			continue
		}
		if gf != wf {
			diffs = append(diffs, fmt.Sprintf("%s: got %+v, want %+v", g.Type().Field(i).Name, gf, wf))
		}
	}
	return diffs
}

// TestComplaintClockAtItsDeadline: a clock stopped exactly at its
// deadline is late (the scan breaches it then), one stopped a microsecond
// before is met; the 3-day clock likewise, answered by a follow-up.
func TestComplaintClockAtItsDeadline(t *testing.T) {
	db := open(t, pgtest.New(t))
	ctx := t.Context()
	start := mar(3, 9, 0)
	clock := clockwork.NewFakeClockAt(start)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(hook.Close)
	quiet := slog.New(slog.DiscardHandler)
	notifier, err := notify.New(store.NewNotices(db, clock), notify.Config{Instance: "deadline-test", Clock: clock, Logger: quiet,
		Default: notify.Route{Webhook: hook.URL}, WebhookSecret: "deadline-test-key"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := complaints.New(complaints.Config{Store: store.NewComplaints(db), Notifier: notifier,
		Categories: map[string]complaints.Category{"quality": {Team: "quality-dept"}}, Clock: clock, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	reg := complaints.Registration{Hotline: calHotline, Source: "api", Complainant: "客户", Contact: "13800000000", Content: "投诉", Category: "quality"}
	onTime, err := svc.Register(ctx, reg, "1001")
	if err != nil {
		t.Fatal(err)
	}
	atDeadline, err := svc.Register(ctx, reg, "1002")
	if err != nil {
		t.Fatal(err)
	}
	step := func(c complaints.Complaint, a complaints.Action, note string, at time.Time) {
		t.Helper()
		clock.Advance(at.Sub(clock.Now()))
		if _, err := svc.Act(ctx, c.ID, "1001", a, note, ""); err != nil {
			t.Fatalf("%s %s: %v", a, c.ID, err)
		}
	}
	// 24 h clocks due Tue 4 March 09:00; 3-day clocks from Mon 10:00 due
	// Thu 6 March 10:00.
	step(onTime, complaints.ActFeedback, "进度?", mar(3, 10, 0))
	step(atDeadline, complaints.ActFeedback, "进度?", mar(3, 10, 0))
	step(onTime, complaints.ActResolve, "已处理", mar(4, 9, 0).Add(-time.Microsecond))
	step(atDeadline, complaints.ActResolve, "已处理", mar(4, 9, 0))
	// The resolution answered both feedback clocks, before their deadline.
	got, err := store.ComplaintReport(ctx, db, store.ComplaintReportQuery{From: mar(3, 0, 0), To: mar(4, 0, 0), Now: mar(10, 0, 0), GroupBy: store.ComplaintsByOwner})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.ComplaintRow{
		{Key: "1001", Received: 1, Resolve: cl(1, 0, 0, 0), Feedback: cl(1, 0, 0, 0), TimeToResolve: ttr(24*time.Hour-time.Microsecond, 1), MedianToResolve: 24*time.Hour - time.Microsecond},
		{Key: "1002", Received: 1, Resolve: cl(0, 1, 0, 0), Feedback: cl(1, 0, 0, 0), TimeToResolve: ttr(24*time.Hour, 1), MedianToResolve: 24 * time.Hour},
	}
	for i := range want {
		for _, d := range complaintRowDiff(got.Rows[i], want[i]) {
			t.Errorf("%s: %s", want[i].Key, d)
		}
	}
	// Feedback again on the resolved complaint, due Sun 9 March 09:00,
	// followed up exactly then: late.
	step(atDeadline, complaints.ActFeedback, "又坏了?", mar(6, 9, 0))
	step(atDeadline, complaints.ActFollowUp, "客户满意", mar(9, 9, 0))
	got, err = store.ComplaintReport(ctx, db, store.ComplaintReportQuery{From: mar(3, 0, 0), To: mar(4, 0, 0), Now: mar(10, 0, 0), Owner: "1002"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Total.Feedback != cl(1, 1, 0, 0) {
		t.Errorf("1002's feedback clocks: got %+v, want one met, one late", got.Total.Feedback)
	}
}
