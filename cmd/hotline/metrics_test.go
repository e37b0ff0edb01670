package main

import (
	"cmp"
	"context"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestMetricsOfAWaitingCaller runs the server as serve does, with agent
// 1001 logged in but not ready and a caller waiting in the support queue,
// and scrapes /metrics: the queue's gauges and the agents' counts by
// state are the centre's, by value. Once the caller hangs up, the queue
// node's time is in hotline_ivr_node_duration_seconds, whose buckets are
// seconds'.
func TestMetricsOfAWaitingCaller(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cfg := supportCentre(config.User{Name: "wang", Role: "supervisor", Device: "PJSIP/2001", PasswordHash: quickHash(t, "pw")})
	cfg.HTTP.MetricsToken = "scraper-token"
	s := serveOnEmulator(t, ctx, cfg, nil)

	wang := s.login("wang", "pw")
	stream := s.api.stream(wang)
	defer stream.close()
	var a console.AgentView
	s.api.do(http.StatusOK, "POST", "/api/agents/1001/login", wang, nil, &a)
	started := time.Now()
	caller, err := s.emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008009999", Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	stream.until(func(v console.SnapshotView) bool { return len(v.Queues) == 1 && v.Queues[0].Waiting == 1 })

	m := scrape(t, s.base, cfg.HTTP.MetricsToken)
	for series, want := range map[string]float64{
		`hotline_ari_connected`:                               1,
		`hotline_queue_waiting{queue="support"}`:              1,
		`hotline_queue_waiting_callbacks{queue="support"}`:    0,
		`hotline_queue_agents_ready{queue="support"}`:         0,
		`hotline_queue_agents_staffed{queue="support"}`:       0,
		`hotline_queue_answered_today{queue="support"}`:       0,
		`hotline_queue_abandoned_today{queue="support"}`:      0,
		`hotline_queue_service_level_ratio{queue="support"}`:  0,
		`hotline_agents{state="logged_out"}`:                  0,
		`hotline_agents{state="not_ready"}`:                   1,
		`hotline_agents{state="ready"}`:                       0,
		`hotline_agents{state="ringing"}`:                     0,
		`hotline_agents{state="on_call"}`:                     0,
		`hotline_agents{state="wrap_up"}`:                     0,
		`hotline_ivr_calls_active`:                            1,
		`hotline_queue_answered_in_sl_today{queue="support"}`: 0,
		// The softphone gateway, no browser connected.
		`hotline_softphone_sessions`:                               0,
		`hotline_softphone_packets_total{direction="to_asterisk"}`: 0,
		`hotline_softphone_packets_total{direction="to_browser"}`:  0,
		`hotline_softphone_dropped_total`:                          0,
		`hotline_softphone_pump_busy`:                              0,
		`hotline_softphone_pump_realtime`:                          0,
		`hotline_softphone_pump_realtime_refused`:                  0,
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("/metrics: %s = %v (present: %t), want %v", series, got, ok, want)
		}
	}
	// The call's answer and music went to ARI, and were counted.
	if n := m[`hotline_ari_rest_duration_seconds_count{method="POST",outcome="ok",resource="channels"}`]; n < 2 {
		t.Errorf("/metrics: %v ARI requests on channels counted, want the answer and the music at least", n)
	}
	// The caller has waited since the dial, at most as long as the test.
	waited := m[`hotline_queue_longest_wait_seconds{queue="support"}`]
	if waited <= 0 || waited > time.Since(started).Seconds() {
		t.Errorf("/metrics: hotline_queue_longest_wait_seconds = %v, want in (0, %v]", waited, time.Since(started).Seconds())
	}

	// The caller gives up: the queue node ends and its time is recorded.
	if err := caller.Hangup(); err != nil {
		t.Fatal(err)
	}
	stream.until(func(v console.SnapshotView) bool { return len(v.Queues) == 1 && v.Queues[0].Abandoned == 1 })
	s.logs.waitFor(t, ctx, `"msg":"call journey"`)
	m = scrape(t, s.base, cfg.HTTP.MetricsToken)
	for series, want := range map[string]float64{
		`hotline_queue_waiting{queue="support"}`:              0,
		`hotline_queue_abandoned_today{queue="support"}`:      1,
		`hotline_queue_longest_wait_seconds{queue="support"}`: 0,
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("/metrics: %s = %v (present: %t), want %v", series, got, ok, want)
		}
	}
	var bounds []string
	for series := range m {
		if b, ok := strings.CutPrefix(series, `hotline_ivr_node_duration_seconds_bucket{`); ok && strings.Contains(b, `kind="queue"`) {
			bounds = append(bounds, regexp.MustCompile(`le="([^"]*)"`).FindStringSubmatch(b)[1])
		}
	}
	want := "0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 30 60 120 300 600 +Inf"
	if got := strings.Join(sortedBounds(bounds), " "); got != want {
		t.Errorf("hotline_ivr_node_duration_seconds buckets of the queue node: %s, want %s", got, want)
	}
}

// scrape reads /metrics into a map from series, as `name{labels}` without
// the labels naming the instrumentation scope (or `name` when no other
// label is left), to value.
func scrape(t *testing.T, base, token string) map[string]float64 {
	t.Helper()
	body := getMetrics(t, base, token)
	line := regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	label := regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
	out := map[string]float64{}
	for _, l := range strings.Split(string(body), "\n") {
		p := line.FindStringSubmatch(l)
		if p == nil {
			continue
		}
		var kept []string
		for _, lv := range label.FindAllStringSubmatch(p[2], -1) {
			if !strings.HasPrefix(lv[1], "otel_scope_") {
				kept = append(kept, lv[0])
			}
		}
		series := p[1]
		if len(kept) > 0 {
			series += "{" + strings.Join(kept, ",") + "}"
		}
		v, err := strconv.ParseFloat(p[3], 64)
		if err != nil {
			t.Fatalf("/metrics: %q: %v", l, err)
		}
		out[series] = v
	}
	return out
}

// sortedBounds sorts bucket bounds by value, +Inf last.
func sortedBounds(bs []string) []string {
	vals := make([]float64, len(bs))
	for i, b := range bs {
		vals[i], _ = strconv.ParseFloat(b, 64) // "+Inf" parses as +Inf
	}
	idx := make([]int, len(bs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(vals[a], vals[b]) })
	out := make([]string, len(bs))
	for i, j := range idx {
		out[i] = bs[j]
	}
	return out
}

// TestMetricsOfTheStoreAndDeploy runs the server on PostgreSQL: with it
// answering, hotline_store_up is 1, nothing is spooled and no recording
// is in the pipeline. After a caller
// has waited and hung up, every metric that deploy/grafana's dashboard and
// deploy/prometheus's alert rules name is served, but those that appear
// only once their event happens (eventOnly; their own tests show them).
func TestMetricsOfTheStoreAndDeploy(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cfg := supportCentre(config.User{Name: "wang", Role: "supervisor", Device: "PJSIP/2001", PasswordHash: quickHash(t, "pw")})
	cfg.Database.URL = pgtest.New(t)
	cfg.HTTP.MetricsToken = "scraper-token"
	s := serveOnEmulator(t, ctx, cfg, nil)
	m := scrape(t, s.base, cfg.HTTP.MetricsToken)
	for series, want := range map[string]float64{
		`hotline_store_up`:                             1,
		`hotline_store_writer_spooled`:                 0,
		`hotline_agents{state="logged_out"}`:           1,
		`hotline_recordings_backlog{state="pending"}`:  0,
		`hotline_recordings_backlog{state="fetched"}`:  0,
		`hotline_recordings_backlog{state="stored"}`:   0,
		`hotline_recordings_backlog{state="deleting"}`: 0,
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("/metrics: %s = %v (present: %t), want %v", series, got, ok, want)
		}
	}

	wang := s.login("wang", "pw")
	stream := s.api.stream(wang)
	defer stream.close()
	caller, err := s.emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008009999", Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	stream.until(func(v console.SnapshotView) bool { return len(v.Queues) == 1 && v.Queues[0].Waiting == 1 })
	if err := caller.Hangup(); err != nil {
		t.Fatal(err)
	}
	stream.until(func(v console.SnapshotView) bool { return len(v.Queues) == 1 && v.Queues[0].Abandoned == 1 })
	served := map[string]bool{}
	for series := range scrape(t, s.base, cfg.HTTP.MetricsToken) {
		name, _, _ := strings.Cut(series, "{")
		served[name] = true
	}
	eventOnly := map[string]string{
		"hotline_ari_rest_errors_total":                  "a failed ARI request (TestARIRESTMetrics)",
		"hotline_recordings_jobs_total":                  "a recording job's end (package recordings)",
		"hotline_recordings_job_duration_seconds_bucket": "a recording job's end (package recordings)",
	}
	name := regexp.MustCompile(`\bhotline_[a-z_]+`)
	for _, file := range []string{"../../deploy/grafana/hotline.json", "../../deploy/prometheus/alerts.yml"} {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		names := name.FindAllString(string(text), -1)
		if len(names) == 0 {
			t.Errorf("%s names no metric", file)
		}
		for _, n := range names {
			if !served[n] && eventOnly[n] == "" {
				t.Errorf("%s names %s, which the server does not serve", file, n)
			}
		}
	}
}

// TestMetricsWhilePostgreSQLIsDown: the alert "PostgreSQL unreachable"
// (deploy/prometheus/alerts.yml) reads hotline_store_up, so it must fall to
// 0 while the database is stopped, the scrape itself still answering, and
// come back to 1 once it answers again.
func TestMetricsWhilePostgreSQLIsDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	srv := pgtest.NewServer(t)
	if err := srv.CreateDatabase(ctx, "hotline"); err != nil {
		t.Fatal(err)
	}
	cfg := supportCentre()
	cfg.Database.URL = srv.DatabaseURL("hotline")
	cfg.HTTP.MetricsToken = "scraper-token"
	s := serveOnEmulator(t, ctx, cfg, nil)
	up := func() float64 {
		t.Helper()
		v, ok := scrape(t, s.base, cfg.HTTP.MetricsToken)["hotline_store_up"]
		if !ok {
			t.Fatal("/metrics: no hotline_store_up")
		}
		return v
	}
	if got := up(); got != 1 {
		t.Fatalf("hotline_store_up = %v with PostgreSQL running, want 1", got)
	}
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if got := up(); got != 0 {
		t.Errorf("hotline_store_up = %v with PostgreSQL stopped, want 0", got)
	}
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	// The pool's connections died with the server, and the one the
	// last scrape used is handed out again unchecked: its ping fails, and
	// the next connection is a new one.
	if got := up(); got != 1 {
		t.Errorf("hotline_store_up = %v once PostgreSQL is back, want 1", got)
	}
}
