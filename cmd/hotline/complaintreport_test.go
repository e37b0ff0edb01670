package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/complaints/notify"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// mar is a time in March 2025 in Shanghai; 7 March 2025 is a Friday.
func mar(t testing.TB, d, h, m int) time.Time {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(2025, 3, d, h, m, 0, 0, sh)
}

// complaintReportFixture adds to the database at url (reportFixture's)
// complaints made by the real complaints.Service on a fake clock, a
// second Service taking over after the first "restarts", and their
// follow-ups; the clocks are read at Mon 17 March 10:00. Hotline 400-biz
// counts business hours (Monday to Friday, 9:00 to 18:00), 400-cal
// calendar time; category quality goes to team quality-dept, damaged to
// logistics. (The same complaints as store's TestComplaintReport, whose
// comments compute every figure by hand.)
//
//	K0 400-cal quality 1002  Wed 5 Mar 10:00, due Thu 6 Mar 10:00, never resolved (before the period)
//	K1 400-biz quality 1001  Fri 7 Mar 16:00, due Wed 12 Mar 13:00 (2 + 9 + 9 + 4 open hours); resolved
//	                         Tue 11 Mar 17:00 by the second Service: met, 97h (4d01h00m); its call a1 (queue support)
//	K2 400-biz quality 1002  Fri 7 Mar 16:30, due Wed 13:30; handed off to logistics; resolved Wed 14:00: late, 117h30m
//	K3 400-cal damaged 1001  Sat 8 Mar 10:00, due Sun 10:00; resolved Sun 10:05: late, 24h05m; feedback Mon 10 Mar
//	                         09:30 (due Thu 13 Mar 09:30) never answered: overdue
//	K4 400-cal quality 1002  Mon 10 Mar 09:00: resolved Mon 15:00 (met, 6h); reopened Tue 10:00 (due Wed 10:00);
//	                         resolved Wed 11:00 (late, 25h)
//	K5 400-cal damaged 1001  Mon 10 Mar 10:00; feedback Mon 12:00; resolved Tue 09:00: both met, 23h
//	K6 400-cal quality 1002  Mon 10 Mar 11:00; resolved Mon 14:00 (met, 3h); feedback Tue 08:00 (due Fri 08:00);
//	                         followed up Fri 10:00 (late), closed
//	K7 400-biz damaged 1001  Wed 12 Mar 09:00, due Fri 14 Mar 15:00 (9 + 9 + 6 h): overdue
//	K8 400-cal quality 1002  Sun 16 Mar 12:00, due Mon 17 Mar 12:00: pending; feedback Sun 13:00: pending
//
//	follow-ups: K1 done, reached, satisfied (2 calls); K2 done, reached, not satisfied (1 call);
//	K4 unreached (3 calls); K5 pending; K6 cancelled (1 call; left out)
func complaintReportFixture(t *testing.T, url string) map[string]string {
	t.Helper()
	ctx := t.Context()
	db, err := store.Open(ctx, url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	clock := clockwork.NewFakeClockAt(mar(t, 5, 10, 0))
	to := func(at time.Time) {
		t.Helper()
		if d := at.Sub(clock.Now()); d < 0 {
			t.Fatalf("the fixture goes back in time: %v to %v", clock.Now(), at)
		} else {
			clock.Advance(d)
		}
	}
	quiet := slog.New(slog.DiscardHandler)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(hook.Close)
	notifier, err := notify.New(store.NewNotices(db, clock), notify.Config{Instance: "report-test", Clock: clock, Logger: quiet,
		Default: notify.Route{Webhook: hook.URL}, WebhookSecret: "report-test-key"})
	if err != nil {
		t.Fatal(err)
	}
	shanghai := mar(t, 1, 0, 0).Location()
	service := func() *complaints.Service {
		s, err := complaints.New(complaints.Config{
			Store: store.NewComplaints(db), Notifier: notifier,
			Categories: map[string]complaints.Category{"quality": {Team: "quality-dept"}, "damaged": {Team: "logistics"}},
			Hours:      map[string]complaints.Hours{"400-biz": complaints.WeekdayHours(shanghai, 9*time.Hour, 18*time.Hour)},
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
	at := func(d, h, m int) time.Time { return mar(t, d, h, m) }
	register("K0", at(5, 10, 0), "400-cal", "quality", "1002", "")
	register("K1", at(7, 16, 0), "400-biz", "quality", "1001", "a1")
	register("K2", at(7, 16, 30), "400-biz", "quality", "1002", "")
	act("K2", at(7, 17, 0), "1002", complaints.ActHandOff, "", "logistics")
	register("K3", at(8, 10, 0), "400-cal", "damaged", "1001", "")
	svc = service() // the first instance "restarted"
	act("K3", at(9, 10, 5), "1001", complaints.ActResolve, "补发配件", "")
	register("K4", at(10, 9, 0), "400-cal", "quality", "1002", "")
	act("K3", at(10, 9, 30), "1001", complaints.ActFeedback, "配件还没收到", "")
	register("K5", at(10, 10, 0), "400-cal", "damaged", "1001", "")
	register("K6", at(10, 11, 0), "400-cal", "quality", "1002", "")
	act("K5", at(10, 12, 0), "1001", complaints.ActFeedback, "想知道进度", "")
	act("K6", at(10, 14, 0), "1002", complaints.ActResolve, "已换货", "")
	act("K4", at(10, 15, 0), "1002", complaints.ActResolve, "已维修", "")
	act("K6", at(11, 8, 0), "1002", complaints.ActFeedback, "新机也有划痕", "")
	act("K5", at(11, 9, 0), "1001", complaints.ActResolve, "已退款", "")
	act("K4", at(11, 10, 0), "1002", complaints.ActReopen, "又坏了", "")
	act("K1", at(11, 17, 0), "1001", complaints.ActResolve, "已上门维修", "")
	register("K7", at(12, 9, 0), "400-biz", "damaged", "1001", "")
	act("K4", at(12, 11, 0), "1002", complaints.ActResolve, "换新机", "")
	act("K2", at(12, 14, 0), "1002", complaints.ActResolve, "已赔偿", "")
	act("K6", at(14, 10, 0), "1002", complaints.ActFollowUp, "客户接受", "")
	act("K6", at(14, 10, 5), "1002", complaints.ActClose, "", "")
	register("K8", at(16, 12, 0), "400-cal", "quality", "1002", "")
	act("K8", at(16, 13, 0), "1002", complaints.ActFeedback, "催促", "")
	to(at(17, 10, 0))
	if _, err := svc.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	for i, f := range []struct {
		complaint, mode, state string
		reached, satisfied     any
		outcomes               []string
	}{
		{"K1", "auto", "done", true, true, []string{"no_answer", "answered"}},
		{"K2", "preview", "done", true, false, []string{"answered"}},
		{"K4", "auto", "unreached", false, nil, []string{"no_answer", "busy", "no_answer"}},
		{"K5", "auto", "pending", nil, nil, nil},
		{"K6", "auto", "cancelled", nil, nil, []string{"failed"}},
	} {
		id := fmt.Sprintf("F20250312-%06d", i+1)
		if _, err := db.Exec(ctx, `INSERT INTO followups (id, source_key, reason, complaint_id, number, mode, state, created_at, not_before,
			attempts, max_attempts, reached, satisfied)
			VALUES ($1, $2, 'complaint', $3, '13800000000', $4, $5, $6, $6, $7, 3, $8, $9)`,
			id, "complaint:"+ids[f.complaint]+":1", ids[f.complaint], f.mode, f.state, at(12, 9, 0), len(f.outcomes), f.reached, f.satisfied); err != nil {
			t.Fatalf("inserting follow-up %s: %v", id, err)
		}
		for j, o := range f.outcomes {
			if _, err := db.Exec(ctx, `INSERT INTO followup_attempts (followup_id, seq, number, started_at, ended_at, by_whom, outcome)
				VALUES ($1, $2, '13800000000', $3, $3, 'auto', $4)`, id, j+1, at(12, 9+j, 0), o); err != nil {
				t.Fatalf("inserting follow-up %s's attempt: %v", id, err)
			}
		}
	}
	return ids
}

// reportAt runs hotline with args on the database at url, at now.
func reportAt(t *testing.T, url string, now time.Time, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, clock: clockwork.NewFakeClockAt(now), getenv: func(k string) string {
		if k == "DATABASE_URL" {
			return url
		}
		return ""
	}}
	code := run(t.Context(), args, e)
	return code, stdout.String(), stderr.String()
}

// The complaints report of complaintReportFixture, 7 to 16 March, at Mon
// 17 March 10:00, as computed by hand in store's TestComplaintReport:
//
//	team logistics (K2 K3 K5 K7): 24 h met K5, late K2 K3, overdue K7: 1/4 = 25.0%; 2 feedback clocks:
//	  met K5, overdue K3: 1/2; resolve median 24h05m, mean (117h30m + 24h05m + 23h) / 3 = 54h51m40s = 2d06h52m;
//	  follow-ups K2 (1 call, reached, not satisfied), K5 (open): reach 1/1, satisfied 0/1
//	team quality-dept (K1 K2 K4 K6 K8): met K1 K4 K6, late K2 K4, pending K8: 3/5 = 60.0%; 2 feedback clocks:
//	  late K6, pending K8: 0/1; median 25h; mean (97h + 117h30m + 6h + 25h + 3h) / 5 = 49h42m; follow-ups
//	  K1 (2 calls), K2 (1), K4 (3, unreached): reach 2/3 = 66.7%, satisfied 1/2
//	total (K2 once): 24 h 4/8 = 50.0%, 1 pending; 3 days 1/3 = 33.3%, 1 pending; median 24h05m, mean
//	  295h35m / 7 = 42h13m34s = 1d18h14m; follow-ups 4 tasks, 6 calls, reach 2/3, satisfied 1/2
//	owner 1001 (K1 K3 K5 K7): 24 h 2/4, 3 days 1/2; median 24h05m = 86700 s, mean 144h05m / 3 = 172900 s
//	owner 1002 (K2 K4 K6 K8): 24 h 2/4 (K8 pending), 3 days 0/1; median (6h + 25h) / 2 = 55800 s, mean
//	  151h30m / 4 = 136350 s; follow-ups K2 (reached, not satisfied), K4 (unreached)
const (
	wantComplaintsByTeam = `Complaints report 2025-03-07 00:00 to 2025-03-17 00:00 (Asia/Shanghai), by team
Complaints registered in the period; their clocks as of 2025-03-17 10:00.

Team          Received  Reopened  24h met  24h late  24h overdue  24h pending  24h rate  Feedback  3d met  3d late  3d overdue  3d pending  3d rate  Resolve median  Resolve mean  Follow-ups  Calls  Reached  Reach rate  Satisfied  Satisf. rate
logistics            4         0        1         2            1            0     25.0%         2       1        0           1           0    50.0%        1d00h05m      2d06h52m           2      1        1      100.0%          0          0.0%
quality-dept         5         1        3         2            0            1     60.0%         2       0        1           0           1     0.0%        1d01h00m      2d01h42m           3      6        2       66.7%          1         50.0%
Total                8         1        4         3            1            1     50.0%         4       1        1           1           1    33.3%        1d00h05m      1d18h14m           4      6        2       66.7%          1         50.0%
` + complaintReportLegend
	wantComplaintsByOwnerCSV = `group,start,end,received,reopened,resolve_met,resolve_late,resolve_overdue,resolve_pending,resolve_24h_pct,feedback,feedback_met,feedback_late,feedback_overdue,feedback_pending,feedback_3d_pct,resolved,resolve_median_seconds,resolve_mean_seconds,followups,followup_calls,followups_reached,followups_unreached,followups_open,reach_pct,satisfied,unsatisfied,satisfaction_pct
1001,2025-03-07T00:00:00+08:00,2025-03-17T00:00:00+08:00,4,0,2,1,1,0,50.0,2,1,0,1,0,50.0,3,86700.0,172900.0,2,2,1,0,1,100.0,1,0,100.0
1002,2025-03-07T00:00:00+08:00,2025-03-17T00:00:00+08:00,4,1,2,2,0,1,50.0,2,0,1,0,1,0.0,4,55800.0,136350.0,2,4,1,1,0,50.0,0,1,0.0
Total,2025-03-07T00:00:00+08:00,2025-03-17T00:00:00+08:00,8,1,4,3,1,1,50.0,4,1,1,1,1,33.3,7,86700.0,152014.3,4,6,2,1,1,66.7,1,1,50.0
`
	wantComplaintsJSON = `{
  "from": "2025-03-07T00:00:00+08:00",
  "to": "2025-03-17T00:00:00+08:00",
  "time_zone": "Asia/Shanghai",
  "group_by": "",
  "now": "2025-03-17T10:00:00+08:00",
  "rows": [],
  "total": {
    "group": "",
    "received": 8,
    "reopened": 1,
    "resolve_24h": {
      "clocks": 9,
      "met": 4,
      "late": 3,
      "overdue": 1,
      "pending": 1,
      "rate": {
        "value": 0.5,
        "num": 4,
        "den": 8
      }
    },
    "feedback_3d": {
      "clocks": 4,
      "met": 1,
      "late": 1,
      "overdue": 1,
      "pending": 1,
      "rate": {
        "value": 0.3333333333333333,
        "num": 1,
        "den": 3
      }
    },
    "time_to_resolve": {
      "resolved": 7,
      "median_seconds": 86700,
      "mean_seconds": 152014.285714285
    },
    "followups": {
      "tasks": 4,
      "calls": 6,
      "reached": 2,
      "unreached": 1,
      "open": 1,
      "satisfied": 1,
      "unsatisfied": 1,
      "reach_rate": {
        "value": 0.6666666666666666,
        "num": 2,
        "den": 3
      },
      "satisfaction_rate": {
        "value": 0.5,
        "num": 1,
        "den": 2
      }
    }
  }
}
`
	// The overdue list at Mon 17 March 10:00: K0's 24 h clock (due Thu 6
	// March 10:00: 11 days late), K3's feedback clock (due Thu 13 March
	// 09:30: 4 days 30 minutes; K3 itself is resolved), K7's 24 h clock
	// (due Fri 14 March 15:00 by business hours: 2 days 19 hours). K8's
	// clocks are not due.
	wantOverdue = `Overdue complaints at 2025-03-17 10:00 (Asia/Shanghai): 3, most overdue first.

Complaint               Registered  Hotline  Category  Owner         Teams     State  Clock               Due       Late
C20250305-000001  2025-03-05 10:00  400-cal   quality   1002  quality-dept  notified    24h  2025-03-06 10:00  11d00h00m
C20250308-000001  2025-03-08 10:00  400-cal   damaged   1001     logistics  resolved     3d  2025-03-13 09:30   4d00h30m
C20250312-000001  2025-03-12 09:00  400-biz   damaged   1001     logistics  notified    24h  2025-03-14 15:00   2d19h00m
`
	wantOverdueCSV = `complaint,registered_at,hotline,category,owner,teams,state,clock,due,late_seconds
C20250305-000001,2025-03-05T10:00:00+08:00,400-cal,quality,1002,quality-dept,notified,resolve,2025-03-06T10:00:00+08:00,950400
C20250308-000001,2025-03-08T10:00:00+08:00,400-cal,damaged,1001,logistics,resolved,feedback,2025-03-13T09:30:00+08:00,347400
C20250312-000001,2025-03-12T09:00:00+08:00,400-biz,damaged,1001,logistics,notified,resolve,2025-03-14T15:00:00+08:00,241200
`
	// The one report of §6 from 1 to 16 March: reportFixture's calls
	// (agent 1001's a1; a2, a3, a4 without an agent) and every complaint
	// registered from 1 March, K0 included. 1001: K1 met, K3 late, K5
	// met, K7 overdue: 2/4; feedback K5 met, K3 overdue: 1/2. 1002: K0
	// overdue, K2 late, K4 met and late, K6 met, K8 pending: 2/5 = 40.0%;
	// feedback K6 late, K8 pending: 0/1. Total 4/9 = 44.4%, 1/3 = 33.3%.
	// The calls' figures are reportFixture's.
	wantSection6 = `Hotline report 2025-03-01 00:00 to 2025-03-17 00:00 (Asia/Shanghai), by agent
Service level target 20s; short abandons within 5s; FCR over 7 days.

Agent   Offered  Answered  Aband. IVR  Aband. queue  Short aband.  Aband. rate  SL 20s  SL+aband. 20s  ASA    AHT     FCR  Contained  Cmpl. 24h  Fdbk 3d  CSAT  CSAT 4-5  Transfers  Holds
1001          1         1           0             0             0         0.0%  100.0%         100.0%  15s  6m00s    0.0%       0.0%      50.0%    50.0%  5.00    100.0%          0      1
1002          0         0           0             0             0            -       -              -    -      -       -          -      40.0%     0.0%     -         -          0      0
(none)        3         0           0             1             1        50.0%       -           0.0%    -      -  100.0%      33.3%          -        -     -         -          0      0
Total         4         1           0             1             1        33.3%  100.0%          50.0%  15s  6m00s   75.0%      25.0%      44.4%    33.3%  5.00    100.0%          0      1
`
	wantSection6CSV = `group,start,end,offered,answered,abandoned_ivr,abandoned_queue,short_abandoned_ivr,short_abandoned_queue,abandon_rate_pct,service_level_pct,service_level_with_abandons_pct,asa_seconds,aht_seconds,fcr_pct,containment_pct,csat_mean,csat_4_5_pct,csat_responses,transfers,holds,complaint_24h_pct,complaint_24h_decided,feedback_3d_pct,feedback_3d_decided
Total,2025-03-01T00:00:00+08:00,2025-03-17T00:00:00+08:00,4,1,0,1,1,0,33.3,100.0,50.0,15.0,360.0,75.0,25.0,5.00,100.0,1,0,1,44.4,9,33.3,3
`
)

func TestComplaintReportCommand(t *testing.T) {
	url := reportFixture(t)
	complaintReportFixture(t, url)
	now := mar(t, 17, 10, 0)
	period := []string{"report", "--complaints", "--from", "2025-03-07", "--to", "2025-03-16"}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		want       string   // the exact stdout, when wantCode is 0
		wantStderr []string // in order
	}{
		{name: "by team", args: append(period, "--by", "team"), want: wantComplaintsByTeam},
		{name: "by owner, CSV", args: append(period, "--by", "owner", "--format", "csv"), want: wantComplaintsByOwnerCSV},
		{name: "JSON", args: append(period, "--format", "json"), want: wantComplaintsJSON},
		{name: "overdue", args: []string{"report", "--complaints", "--overdue"}, want: wantOverdue},
		{name: "overdue, CSV", args: []string{"report", "--complaints", "--overdue", "--format", "csv"}, want: wantOverdueCSV},
		// By week, only category damaged (K3 K5 K7): week 10 has K3 (late,
		// feedback overdue), week 11 K5 (met, feedback met) and K7
		// (overdue).
		{name: "by week, one category", args: append(period, "--by", "week", "--category", "damaged", "--format", "csv"),
			want: `group,start,end,received,reopened,resolve_met,resolve_late,resolve_overdue,resolve_pending,resolve_24h_pct,feedback,feedback_met,feedback_late,feedback_overdue,feedback_pending,feedback_3d_pct,resolved,resolve_median_seconds,resolve_mean_seconds,followups,followup_calls,followups_reached,followups_unreached,followups_open,reach_pct,satisfied,unsatisfied,satisfaction_pct
2025-W10,2025-03-07T00:00:00+08:00,2025-03-10T00:00:00+08:00,1,0,0,1,0,0,0.0,1,0,0,1,0,0.0,1,86700.0,86700.0,0,0,0,0,0,,0,0,
2025-W11,2025-03-10T00:00:00+08:00,2025-03-17T00:00:00+08:00,2,0,1,0,1,0,50.0,1,1,0,0,0,100.0,1,82800.0,82800.0,1,0,0,0,1,,0,0,
Total,2025-03-07T00:00:00+08:00,2025-03-17T00:00:00+08:00,3,0,1,1,1,0,33.3,2,1,0,1,0,50.0,2,84750.0,84750.0,1,0,0,0,1,,0,0,
`},
		{name: "the section 6 report", args: []string{"report", "--from", "2025-03-01", "--to", "2025-03-16", "--by", "agent"}, want: wantSection6},
		{name: "the section 6 report, CSV", args: []string{"report", "--from", "2025-03-01", "--to", "2025-03-16", "--format", "csv"}, want: wantSection6CSV},

		{name: "mistakes", args: []string{"report", "--complaints", "--from", "2025-03-07", "--to", "x", "--by", "queue", "--service-level", "10s", "--format", "xml"},
			wantCode: 2, wantStderr: []string{"hotline: --service-level is not for --complaints", `hotline: --format: "xml" is not a format`,
				`hotline: --to: "x" is not a date`, `hotline: --by: "queue" is not a grouping of complaints: use category, owner, team, day, week or month`}},
		{name: "overdue takes no period", args: []string{"report", "--complaints", "--overdue", "--from", "2025-03-07", "--by", "team"}, wantCode: 2,
			wantStderr: []string{"hotline: --by is not for --overdue", "hotline: --from is not for --overdue"}},
		{name: "two reports", args: []string{"report", "--complaints", "--qa"}, wantCode: 2, wantStderr: []string{"--qa and --complaints are two reports"}},
		{name: "complaint flags on the calls report", args: []string{"report", "--from", "2025-03-01", "--to", "2025-03-02", "--team", "x", "--overdue"}, wantCode: 2,
			wantStderr: []string{"hotline: --overdue is only for --complaints", "hotline: --team is only for --complaints"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := reportAt(t, url, now, tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, errOut)
			}
			if tt.wantCode == 0 && out != tt.want {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, tt.want)
			}
			containsInOrder(t, "stderr", errOut, tt.wantStderr)
		})
	}
}

// TestComplaintReportNoSchema: a database without the schema is told to
// be migrated.
func TestComplaintReportNoSchema(t *testing.T) {
	code, _, errOut := reportAt(t, pgtest.NewEmpty(t), time.Now(), "report", "--complaints", "--overdue")
	if code != 1 || !strings.Contains(errOut, `run "hotline migrate"`) {
		t.Errorf("exit %d, stderr %s; want 1 and what to do", code, errOut)
	}
}
