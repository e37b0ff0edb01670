package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
)

func TestTelemetryExportsOverOTLPWhenConfigured(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()

	cfg := config.Default().Telemetry
	cfg.OTLPEndpoint = collector.URL + "/otlp"
	tel, err := startTelemetry(t.Context(), cfg, "test", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	_, span := otel.Tracer("test").Start(context.Background(), "call")
	span.End()
	counter, err := tel.meter().Int64Counter("hotline.test.calls")
	if err != nil {
		t.Fatal(err)
	}
	counter.Add(context.Background(), 1)

	// Shutdown flushes both signals.
	if err := tel.shutdown(t.Context()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"POST /otlp/v1/traces", "POST /otlp/v1/metrics"} {
		if !slices.Contains(paths, want) {
			t.Errorf("the collector got %v, want %s among them", paths, want)
		}
	}
}

func TestTelemetryWithoutOTLPServesPrometheus(t *testing.T) {
	tel, err := startTelemetry(t.Context(), config.Default().Telemetry, "test", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer tel.shutdown(context.Background())
	if tel.tracers != nil {
		t.Fatal("a tracer provider was set up with OTLP off")
	}
	if err := registerARIMetrics(tel.meter(), fixedConn(true)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(tel.metrics)
	defer srv.Close()
	checkMetrics(t, srv.URL, "", map[string]string{"hotline_ari_connected": "1"})
}

type fixedConn bool

func (c fixedConn) Connected() bool { return bool(c) }

// TestTelemetrySecondsHaveSecondBuckets: a Hotline histogram in seconds
// that gives no bounds of its own (the store's, the recordings', ARI's
// REST requests') is exposed with secondBuckets, not the SDK's
// millisecond-like defaults.
func TestTelemetrySecondsHaveSecondBuckets(t *testing.T) {
	tel, err := startTelemetry(t.Context(), config.Default().Telemetry, "test", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer tel.shutdown(context.Background())
	h, err := tel.meter().Float64Histogram("hotline.test.duration", metric.WithUnit("s"))
	if err != nil {
		t.Fatal(err)
	}
	h.Record(context.Background(), 0.3)
	srv := httptest.NewServer(tel.metrics)
	defer srv.Close()
	m := scrape(t, srv.URL, "")
	var bounds []string
	for series, v := range m {
		if b, ok := strings.CutPrefix(series, `hotline_test_duration_seconds_bucket{le="`); ok {
			bounds = append(bounds, strings.TrimSuffix(b, `"}`))
			if le, _ := strconv.ParseFloat(strings.TrimSuffix(b, `"}`), 64); (le >= 0.3) != (v == 1) {
				t.Errorf("%s = %v after one 0.3 s", series, v)
			}
		}
	}
	want := "0.001 0.0025 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 30 60 +Inf"
	if got := strings.Join(sortedBounds(bounds), " "); got != want {
		t.Errorf("hotline_test_duration_seconds buckets: %s, want %s", got, want)
	}
}
