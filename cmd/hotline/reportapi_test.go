package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric/noop"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
)

// TestReportAPI serves reportFixture's database: the JSON is hotline
// report's, and mistakes are 400s that list every one.
func TestReportAPI(t *testing.T) {
	url := reportFixture(t)
	nowhere := "postgres://hotline:s3cret@/hotline?host=" + t.TempDir() + "&sslmode=disable"
	log := slog.New(slog.DiscardHandler)
	api := newReportAPI(url, log)
	t.Cleanup(api.close)
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	down := newReportAPI(nowhere, log)
	t.Cleanup(down.close)
	downSrv := httptest.NewServer(down)
	t.Cleanup(downSrv.Close)

	tests := []struct {
		name     string
		base     string
		query    string
		wantCode int
		// wantSameAs are hotline report's arguments whose --format json
		// output the body must equal; wantBody are substrings otherwise.
		wantSameAs []string
		wantBody   []string
	}{
		{name: "by day", base: srv.URL, query: "from=2025-03-01&to=2025-03-02&by=day", wantCode: http.StatusOK,
			wantSameAs: []string{"--from", "2025-03-01", "--to", "2025-03-02", "--by", "day"}},
		{name: "every parameter", base: srv.URL,
			query:    "from=2025-03-01T09:00&to=2025-03-02T12:00:00%2B08:00&tz=UTC&by=hour&service-level=10s&short-abandon=0&fcr-days=1&hotline=4008001234&queue=support&agent=1001",
			wantCode: http.StatusOK,
			wantSameAs: []string{"--from", "2025-03-01T09:00", "--to", "2025-03-02T12:00:00+08:00", "--tz", "UTC", "--by", "hour", "--service-level", "10s",
				"--short-abandon", "0", "--fcr-days", "1", "--hotline", "4008001234", "--queue", "support", "--agent", "1001"}},
		{name: "empty period", base: srv.URL, query: "from=2024-01-01&to=2024-01-01", wantCode: http.StatusOK,
			wantBody: []string{`"rows": []`, `"offered": 0`, `"service_level": {"value": null, "num": 0, "den": 0}`, `"asa_seconds": null`}},
		{name: "nothing given", base: srv.URL, wantCode: http.StatusBadRequest,
			wantBody: []string{`"error": "from: is required: a date like 2025-03-01 or a time like 2025-03-01T08:00\nto: is required`}},
		{name: "every mistake", base: srv.URL, query: "from=x&to=2025-03-01&by=week&tz=Nowhere&service-level=-1s&short-abandon=soon&fcr-days=999", wantCode: http.StatusBadRequest,
			wantBody: []string{`tz: unknown time zone \"Nowhere\"`, `from: \"x\" is not a date`, `by: \"week\" is not a grouping`,
				`service-level: \"-1s\" is not a duration above 0`, `short-abandon: \"soon\" is not a duration`, `fcr-days: \"999\" is not a number of days`}},
		{name: "unknown and repeated", base: srv.URL, query: "from=2025-03-01&from=2025-03-02&to=2025-03-02&format=csv", wantCode: http.StatusBadRequest,
			wantBody: []string{`format: unknown parameter (use from, to, tz, by, service-level, short-abandon, fcr-days, hotline, queue, agent)\nfrom: given 2 times`}},
		{name: "database down", base: downSrv.URL, query: "from=2025-03-01&to=2025-03-02", wantCode: http.StatusServiceUnavailable,
			wantBody: []string{`"error": "the call-records database is unreachable; try again later"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(tt.base + "/api/reports?" + tt.query)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantCode {
				t.Errorf("status: got %d, want %d: %s", resp.StatusCode, tt.wantCode, body)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type: got %q, want application/json", got)
			}
			if bytes.Contains(body, []byte("s3cret")) {
				t.Errorf("the body shows the password: %s", body)
			}
			if tt.wantSameAs != nil {
				want := reportOutput(t, url, append(append([]string{"report"}, tt.wantSameAs...), "--format", "json"))
				if show(decode(t, body)) != show(decode(t, want)) {
					t.Errorf("body:\n%s\nwant what hotline report prints:\n%s", body, want)
				}
			}
			// Compare without the encoder's layout.
			var compact bytes.Buffer
			if err := json.Compact(&compact, body); err != nil {
				t.Fatalf("%v in %s", err, body)
			}
			flat := strings.NewReplacer(`":`, `": `, `,"`, `, "`).Replace(compact.String())
			containsInOrder(t, "body", flat, tt.wantBody)
		})
	}
}

// TestReportAPIClosed: once the server has drained, reports are refused.
func TestReportAPIClosed(t *testing.T) {
	api := newReportAPI(reportFixture(t), slog.New(slog.DiscardHandler))
	get := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, httptest.NewRequest("GET", "/api/reports?from=2025-03-01&to=2025-03-02", nil))
		return rec
	}
	if rec := get(); rec.Code != http.StatusOK {
		t.Fatalf("before close: got %d, want 200: %s", rec.Code, rec.Body)
	}
	api.close()
	rec := get()
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "the server is shutting down") {
		t.Errorf("after close: got %d %s, want 503 saying the server is shutting down", rec.Code, rec.Body)
	}
}

// TestServerServesReports checks the wiring in newServer and run: GET
// /api/reports exists only with a database, and the drain closes its pool
// (the package's leak check fails if it does not).
func TestServerServesReports(t *testing.T) {
	url := reportFixture(t)
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name     string
		dbURL    string
		wantCode int
	}{
		{"with a database", url, http.StatusOK},
		{"without", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = "http://127.0.0.1:1/ari", "hotline", "secret"
			cfg.Database.URL = tt.dbURL
			s, err := newServer(cfg, log, noop.NewMeterProvider().Meter("test"), http.NotFoundHandler())
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, stop := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- s.run(ctx, ln) }()

			resp, err := http.Get("http://" + ln.Addr().String() + "/api/reports?from=2025-03-01&to=2025-03-02")
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode {
				t.Errorf("GET /api/reports: got %d, want %d", resp.StatusCode, tt.wantCode)
			}
			stop()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("run: %v", err)
				}
			case <-time.After(guard):
				t.Fatal("run did not return after the stop")
			}
			if s.reports != nil {
				if _, err := s.reports.pool(t.Context()); err != errReportsClosed {
					t.Errorf("the reports' pool after the drain: got %v, want errReportsClosed", err)
				}
			}
		})
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
