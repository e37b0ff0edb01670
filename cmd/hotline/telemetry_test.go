package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"

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
