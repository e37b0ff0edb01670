package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// reportFixture makes a database with four calls on hotline 4008001234,
// in Asia/Shanghai:
//
//	a1  caller …01  1 March 09:00:00  queued 09:00:10, agent 1001 answered 09:00:25 (wait 15 s),
//	                ended 09:05:25, wrap-up to 09:06:25: handle 6m00s; 1 hold; csat 5
//	a2  caller …02  1 March 23:59:30  queued 23:59:40, the caller hung up at 2 March 00:00:40:
//	                a queue abandon after 60 s, counted on 1 March
//	a3  caller …03  2 March 07:59:50  (1 March in UTC) self-service: contained
//	a4  caller …01  2 March 10:00:00  hung up in the IVR after 3 s: a short abandon;
//	                a repeat of a1 within 7 days
//
// By hand, for the two days:
//
//	offered 4, answered 1 (a1), abandoned in queue 1 (a2), short 1 (a4):
//	abandon rate 1 / (4 - 1) = 33.3%; SL 1/1 = 100.0%; SL with abandons
//	1 / (1 + a2) = 50.0%; ASA 15s; AHT 6m00s; FCR 3/4 = 75.0% (a1 repeats);
//	contained 1 (a3) of 4 = 25.0%; CSAT 5.00, 4-5 100.0%; 0 transfers; 1 hold
//
//	1 March: a1, a2. rate 1/2 = 50.0%, SL 100.0%, SL+ 50.0%, FCR 1/2 = 50.0%,
//	contained 0/2 = 0.0%
//	2 March: a3, a4. short 1, rate 0/1 = 0.0%, no answers (SL, ASA, AHT
//	"-"), FCR 2/2, contained 1/2 = 50.0%, no CSAT
func reportFixture(t *testing.T) string {
	t.Helper()
	url := pgtest.New(t)
	db, err := store.Open(t.Context(), url, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := func(d, h, m, s int) time.Time { return time.Date(2025, 3, d, h, m, s, 0, sh) }
	_, err = db.Exec(t.Context(), `INSERT INTO calls (id, hotline, caller, arrived_at, answered_at, queue, queued_at, agent_id, agent_answered_at,
		ended_at, wrap_up_ended_at, holds, outcome, hung_up_by) VALUES
		('a1', '4008001234', '13800000001', $1, $2, 'support', $3, '1001', $4, $5, $6, 1, 'queued', 'caller'),
		('a2', '4008001234', '13800000002', $7, $8, 'support', $9, NULL, NULL, $10, NULL, NULL, 'abandoned', 'caller'),
		('a3', '4008001234', '13800000003', $11, $12, NULL, NULL, NULL, NULL, $13, NULL, NULL, 'self_service', 'system'),
		('a4', '4008001234', '13800000001', $14, $15, NULL, NULL, NULL, NULL, $16, NULL, NULL, 'abandoned', 'caller');
		`,
		at(1, 9, 0, 0), at(1, 9, 0, 1), at(1, 9, 0, 10), at(1, 9, 0, 25), at(1, 9, 5, 25), at(1, 9, 6, 25),
		at(1, 23, 59, 30), at(1, 23, 59, 31), at(1, 23, 59, 40), at(2, 0, 0, 40),
		at(2, 7, 59, 50), at(2, 7, 59, 51), at(2, 8, 1, 0),
		at(2, 10, 0, 0), at(2, 10, 0, 1), at(2, 10, 0, 3))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(t.Context(), `INSERT INTO survey_answers (call_id, question, score, at) VALUES ('a1', 'csat', 5, $1)`, at(1, 9, 5, 20)); err != nil {
		t.Fatal(err)
	}
	return url
}

const (
	wantDayTable = `Hotline report 2025-03-01 00:00 to 2025-03-03 00:00 (Asia/Shanghai), by day
Service level target 20s; short abandons within 5s; FCR over 7 days.

Day         Offered  Answered  Aband. IVR  Aband. queue  Short aband.  Aband. rate  SL 20s  SL+aband. 20s  ASA    AHT     FCR  Contained  Cmpl. 24h  Fdbk 3d  CSAT  CSAT 4-5  Transfers  Holds
2025-03-01        2         1           0             1             0        50.0%  100.0%          50.0%  15s  6m00s   50.0%       0.0%          -        -  5.00    100.0%          0      1
2025-03-02        2         0           0             0             1         0.0%       -              -    -      -  100.0%      50.0%          -        -     -         -          0      0
Total             4         1           0             1             1        33.3%  100.0%          50.0%  15s  6m00s   75.0%      25.0%          -        -  5.00    100.0%          0      1
`
	wantTotalCSV = `group,start,end,offered,answered,abandoned_ivr,abandoned_queue,short_abandoned_ivr,short_abandoned_queue,abandon_rate_pct,service_level_pct,service_level_with_abandons_pct,asa_seconds,aht_seconds,fcr_pct,containment_pct,csat_mean,csat_4_5_pct,csat_responses,transfers,holds,complaint_24h_pct,complaint_24h_decided,feedback_3d_pct,feedback_3d_decided
Total,2025-03-01T00:00:00+08:00,2025-03-03T00:00:00+08:00,4,1,0,1,1,0,33.3,100.0,50.0,15.0,360.0,75.0,25.0,5.00,100.0,1,0,1,,0,,0
`
)

func TestReportCommand(t *testing.T) {
	url := reportFixture(t)
	empty := pgtest.NewEmpty(t) // no schema
	nowhere := "postgres://hotline:s3cret@/hotline?host=" + t.TempDir() + "&sslmode=disable"
	period := []string{"report", "--from", "2025-03-01", "--to", "2025-03-02"}

	tests := []struct {
		name       string
		args       []string
		dbURL      string
		wantCode   int
		wantStdout []string // in order; exact when wantExact
		wantExact  bool
		wantStderr []string
	}{
		{name: "listed", args: []string{"help"}, wantStdout: []string{"report --from --to", "print the contact-centre report of a period"}},
		{name: "help", args: []string{"help", "report"}, wantStdout: []string{"Usage: hotline report --from WHEN --to WHEN",
			"default Asia/Shanghai", "default 20s", "default 5s", "default 7", "SL+abandons", "DATABASE_URL"}},
		{name: "-h", args: []string{"report", "-h"}, wantStdout: []string{"Usage: hotline report"}},

		{name: "table by day", args: append(period, "--by", "day"), dbURL: url, wantStdout: []string{wantDayTable}, wantExact: true},
		{name: "csv totals", args: append(period, "--format", "csv"), dbURL: url, wantStdout: []string{wantTotalCSV}, wantExact: true},
		// 1 March only, in UTC: a1, a2 and a3 (07:59:50 in Shanghai is
		// 23:59:50Z); a4 is on 2 March.
		{name: "UTC day", args: []string{"report", "--from", "2025-03-01", "--to", "2025-03-01", "--tz", "UTC", "--format", "csv"}, dbURL: url,
			wantStdout: []string{"\nTotal,2025-03-01T00:00:00Z,2025-03-02T00:00:00Z,3,1,0,1,0,0,33.3,"}},
		// RFC 3339 and local times; filters; no short abandons: a4 counts.
		{name: "times and filters", args: []string{"report", "--from", "2025-03-02T00:00:00+08:00", "--to", "2025-03-02 12:00",
			"--hotline", "4008001234", "--short-abandon", "0", "--by", "hour"}, dbURL: url,
			wantStdout: []string{"Hotline report 2025-03-02 00:00 to 2025-03-02 12:00 (Asia/Shanghai), by hour; only hotline 4008001234\n",
				"no short abandons", "\n2025-03-02 00:00 ", "\n2025-03-02 07:00        1 ", "\n2025-03-02 10:00        1         0           1 ",
				"\n2025-03-02 11:00 ", "\nTotal                   2 "}},
		{name: "agent filter", args: append(period, "--agent", "1001", "--by", "agent", "--service-level", "10"), dbURL: url,
			wantStdout: []string{"; only agent 1001\nService level target 10s;", "\n1001         1         1 ", "  0.0%  "}},
		{name: "empty period", args: []string{"report", "--from", "2024-01-01", "--to", "2024-01-01"}, dbURL: url,
			wantStdout: []string{"\nPeriod  Offered  Answered  Aband. IVR", "\nTotal         0         0           0             0             0            -       -              -    -    -    -          -          -        -     -         -          0      0\n"}},

		{name: "nothing given", args: []string{"report"}, wantCode: 2,
			wantStderr: []string{"hotline: --from: is required", "hotline: --to: is required", "Usage: hotline report"}},
		{name: "every mistake", args: []string{"report", "--from", "2025-13-01", "--to", "yesterday", "--tz", "Mars/Olympus", "--by", "week",
			"--service-level", "0", "--short-abandon", "-1s", "--fcr-days", "0", "--format", "xml"}, wantCode: 2,
			wantStderr: []string{`hotline: --tz: unknown time zone "Mars/Olympus"`, `hotline: --from: "2025-13-01" is not a date`,
				`hotline: --to: "yesterday" is not a date`, `hotline: --by: "week" is not a grouping`,
				`hotline: --service-level: "0" is not a duration above 0`, `hotline: --short-abandon: "-1s" is not a duration`,
				`hotline: --fcr-days: "0" is not a number of days`, `hotline: --format: "xml" is not a format: use table, csv or json`}},
		{name: "backwards", args: []string{"report", "--from", "2025-03-02", "--to", "2025-03-01T12:00"}, wantCode: 2,
			wantStderr: []string{"hotline: --to: the period ends (2025-03-01T12:00:00+08:00) before it starts (2025-03-02T00:00:00+08:00)"}},
		{name: "too long by hour", args: []string{"report", "--from", "2020-01-01", "--to", "2025-01-01", "--by", "hour"}, wantCode: 2,
			wantStderr: []string{"hotline: a report by hour of this period would have more than 20000 rows"}},
		{name: "unknown flag", args: []string{"report", "--week", "1"}, wantCode: 2, wantStderr: []string{"flag provided but not defined: -week"}},
		{name: "extra argument", args: append(period, "now"), wantCode: 2, wantStderr: []string{`report takes no arguments, got ["now"]`}},
		{name: "no DATABASE_URL", args: period, wantCode: 1, wantStderr: []string{"hotline: DATABASE_URL is not set"}},
		{name: "no schema", args: period, dbURL: empty, wantCode: 1,
			wantStderr: []string{`relation "calls" does not exist`, `run "hotline migrate"`}},
		{name: "unreachable", args: period, dbURL: nowhere, wantCode: 1, wantStderr: []string{"hotline: computing the report: failed to connect"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			e := &env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string {
				if k == "DATABASE_URL" {
					return tt.dbURL
				}
				return ""
			}}
			code := run(t.Context(), tt.args, e)
			if code != tt.wantCode {
				t.Errorf("exit code: got %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			if tt.wantExact {
				if got := stdout.String(); got != tt.wantStdout[0] {
					t.Errorf("stdout:\ngot\n%s\nwant\n%s", got, tt.wantStdout[0])
				}
			} else {
				containsInOrder(t, "stdout", stdout.String(), tt.wantStdout)
			}
			containsInOrder(t, "stderr", stderr.String(), tt.wantStderr)
			if len(tt.wantStdout) == 0 && stdout.Len() > 0 {
				t.Errorf("stdout: got %q, want nothing", stdout.String())
			}
			if len(tt.wantStderr) == 0 && stderr.Len() > 0 {
				t.Errorf("stderr: got %q, want nothing", stderr.String())
			}
			if strings.Contains(stderr.String(), "s3cret") {
				t.Errorf("stderr shows the password: %s", stderr.String())
			}
		})
	}
}

// TestReportCommandJSON checks the JSON's numbers and its nulls: a share
// or mean with nothing to measure is null, not 0.
func TestReportCommandJSON(t *testing.T) {
	url := reportFixture(t)
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string {
		if k == "DATABASE_URL" {
			return url
		}
		return ""
	}}
	if code := run(t.Context(), []string{"report", "--from", "2025-03-01", "--to", "2025-03-02", "--by", "day", "--format", "json"}, e); code != 0 {
		t.Fatalf("exit code %d: %s", code, stderr.String())
	}
	var got reportJSON
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("%v in:\n%s", err, stdout.String())
	}
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name      string
		got, want any
	}{
		{"period", [2]string{got.From.Format(time.RFC3339), got.To.Format(time.RFC3339)}, [2]string{"2025-03-01T00:00:00+08:00", "2025-03-03T00:00:00+08:00"}},
		{"settings", [4]any{got.TimeZone, got.GroupBy, got.ServiceLevelSeconds, got.ShortAbandonSeconds}, [4]any{"Asia/Shanghai", "day", 20.0, 5.0}},
		{"fcr days", got.FCRDays, 7.0},
		{"days", len(got.Rows), 2},
		{"day keys", [2]string{got.Rows[0].Group, got.Rows[1].Group}, [2]string{"2025-03-01", "2025-03-02"}},
		{"day start", got.Rows[1].Start.Format(time.RFC3339), "2025-03-02T00:00:00+08:00"},
		{"total counts", [6]int64{got.Total.Offered, got.Total.Answered, got.Total.Abandoned, got.Total.AbandonedQueue, got.Total.ShortAbandoned, got.Total.Holds},
			[6]int64{4, 1, 1, 1, 1, 1}},
		{"total SL", deref(got.Total.ServiceLevel), ratioJSON{Value: f(1), Num: 1, Den: 1}},
		{"total SL with abandons", deref(got.Total.ServiceLevelWithAbandons), ratioJSON{Value: f(0.5), Num: 1, Den: 2}},
		{"total ASA", *got.Total.ASASeconds, 15.0},
		{"total AHT", *got.Total.AHTSeconds, 360.0},
		{"total FCR", deref(got.Total.FirstContactResolution), ratioJSON{Value: f(0.75), Num: 3, Den: 4}},
		{"total containment", deref(got.Total.Containment), ratioJSON{Value: f(0.25), Num: 1, Den: 4}},
		{"total CSAT", [2]any{got.Total.CSAT.Responses, *got.Total.CSAT.Mean}, [2]any{int64(1), 5.0}},
		{"2 March SL", deref(got.Rows[1].ServiceLevel), ratioJSON{}},
		{"2 March ASA", got.Rows[1].ASASeconds, (*float64)(nil)},
		{"2 March CSAT", got.Rows[1].CSAT.Mean, (*float64)(nil)},
		{"null in the JSON", strings.Contains(stdout.String(), `"service_level": {
        "value": null,
        "num": 0,
        "den": 0
      }`), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !jsonEqual(tt.got, tt.want) {
				t.Errorf("got %s, want %s", show(tt.got), show(tt.want))
			}
		})
	}
}

// deref makes a ratioJSON comparable by value: its Value as a number.
type ratioValue struct {
	Value    float64
	HasValue bool
	Num, Den int64
}

func deref(r ratioJSON) ratioValue {
	out := ratioValue{Num: r.Num, Den: r.Den}
	if r.Value != nil {
		out.Value, out.HasValue = *r.Value, true
	}
	return out
}

// jsonEqual compares got and want, following pointers and turning want's
// ratioJSON into a ratioValue.
func jsonEqual(got, want any) bool {
	if r, ok := want.(ratioJSON); ok {
		want = deref(r)
	}
	return show(got) == show(want)
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
