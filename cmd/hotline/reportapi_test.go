package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	neturl "net/url"
	"strings"
	"testing"

	"github.com/hotline-ivr/hotline/console"
)

// TestReportAPI makes reports from reportFixture's database as the
// console asks for them: the JSON is hotline report's, and mistakes are
// bad queries that list every one.
func TestReportAPI(t *testing.T) {
	url := reportFixture(t)
	nowhere := "postgres://hotline:s3cret@/hotline?host=" + t.TempDir() + "&sslmode=disable"
	log := slog.New(slog.DiscardHandler)
	api := newReportAPI(url, log)
	t.Cleanup(api.close)
	down := newReportAPI(nowhere, log)
	t.Cleanup(down.close)

	tests := []struct {
		name    string
		api     *reportAPI
		query   string
		wantErr error // nil, console.ErrBadReportQuery or console.ErrReportsUnavailable
		// wantSameAs are hotline report's arguments whose --format json
		// output the report must equal; wantBody are substrings otherwise.
		wantSameAs []string
		wantBody   []string
	}{
		{name: "by day", api: api, query: "from=2025-03-01&to=2025-03-02&by=day",
			wantSameAs: []string{"--from", "2025-03-01", "--to", "2025-03-02", "--by", "day"}},
		{name: "every parameter", api: api,
			query: "from=2025-03-01T09:00&to=2025-03-02T12:00:00%2B08:00&tz=UTC&by=hour&service-level=10s&short-abandon=0&fcr-days=1&hotline=4008001234&queue=support&agent=1001",
			wantSameAs: []string{"--from", "2025-03-01T09:00", "--to", "2025-03-02T12:00:00+08:00", "--tz", "UTC", "--by", "hour", "--service-level", "10s",
				"--short-abandon", "0", "--fcr-days", "1", "--hotline", "4008001234", "--queue", "support", "--agent", "1001"}},
		{name: "empty period", api: api, query: "from=2024-01-01&to=2024-01-01",
			wantBody: []string{`"rows": []`, `"offered": 0`, `"service_level": {"value": null, "num": 0, "den": 0}`, `"asa_seconds": null`}},
		{name: "nothing given", api: api, wantErr: console.ErrBadReportQuery,
			wantBody: []string{`from: is required: a date like 2025-03-01 or a time like 2025-03-01T08:00\nto: is required`}},
		{name: "every mistake", api: api, query: "from=x&to=2025-03-01&by=week&tz=Nowhere&service-level=-1s&short-abandon=soon&fcr-days=999", wantErr: console.ErrBadReportQuery,
			wantBody: []string{`tz: unknown time zone \"Nowhere\"`, `from: \"x\" is not a date`, `by: \"week\" is not a grouping`,
				`service-level: \"-1s\" is not a duration above 0`, `short-abandon: \"soon\" is not a duration`, `fcr-days: \"999\" is not a number of days`}},
		{name: "unknown and repeated", api: api, query: "from=2025-03-01&from=2025-03-02&to=2025-03-02&format=csv", wantErr: console.ErrBadReportQuery,
			wantBody: []string{`format: unknown parameter (use from, to, tz, by, service-level, short-abandon, fcr-days, hotline, queue, agent)\nfrom: given 2 times`}},
		{name: "too many periods", api: api, query: "from=2025-01-01&to=2025-02-11&by=hour", wantErr: console.ErrBadReportQuery,
			wantBody: []string{`by: a report by hour from 2025-01-01T00:00:00+08:00 to 2025-02-12T00:00:00+08:00 has 1008 periods, more than the 1000 one report may have`}},
		{name: "database down", api: down, query: "from=2025-03-01&to=2025-03-02", wantErr: console.ErrReportsUnavailable,
			wantBody: []string{`the call-records database is unreachable; try again later`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, err := neturl.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			v, err := tt.api.Report(t.Context(), values)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("error %v, want one matching %v", err, tt.wantErr)
			}
			var body []byte
			if err != nil {
				body, _ = json.Marshal(map[string]string{"error": err.Error()})
			} else if body, err = json.Marshal(v); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(body, []byte("s3cret")) {
				t.Errorf("the answer shows the password: %s", body)
			}
			if tt.wantSameAs != nil {
				want := reportOutput(t, url, append(append([]string{"report"}, tt.wantSameAs...), "--format", "json"))
				if show(decode(t, body)) != show(decode(t, want)) {
					t.Errorf("report:\n%s\nwant what hotline report prints:\n%s", body, want)
				}
			}
			flat := strings.NewReplacer(`":`, `": `, `,"`, `, "`).Replace(string(body))
			containsInOrder(t, "body", flat, tt.wantBody)
		})
	}
}

// TestReportAPIClosed: once the server has drained, reports are refused.
func TestReportAPIClosed(t *testing.T) {
	api := newReportAPI(reportFixture(t), slog.New(slog.DiscardHandler))
	q := neturl.Values{"from": {"2025-03-01"}, "to": {"2025-03-02"}}
	if _, err := api.Report(t.Context(), q); err != nil {
		t.Fatalf("before close: %v", err)
	}
	api.close()
	_, err := api.Report(t.Context(), q)
	if !errors.Is(err, console.ErrReportsUnavailable) || err.Error() != "the server is shutting down; ask another instance" {
		t.Errorf("after close: %v, want reports unavailable as the server is shutting down", err)
	}
}

// reportOutput is what hotline report args prints on the database at url.
func reportOutput(t *testing.T, url string, args []string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string {
		if k == "DATABASE_URL" {
			return url
		}
		return ""
	}}
	if code := run(t.Context(), args, e); code != 0 {
		t.Fatalf("hotline %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
	}
	return stdout.Bytes()
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	return v
}
