package store_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestTelemetry checks the spans of a flush and its queries, and the
// writer's and pool's metrics, through the global providers that
// cmd/hotline sets.
func TestTelemetry(t *testing.T) {
	spans, reader := telemetry()
	before := collect(t, reader)

	db := open(t, pgtest.New(t))
	reg, err := store.ObservePool(db)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister()
	w := newWriter(t, db, t.TempDir(), store.WriterConfig{})
	for _, e := range events(2, 1, 5) {
		w.Add(e)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}

	var names []string
	for _, s := range spans.Ended() {
		names = append(names, s.Name())
	}
	for _, want := range []string{"store.Writer.flush", "postgresql COPY", "postgresql INSERT", "postgresql COMMIT"} {
		if !slices.Contains(names, want) {
			t.Errorf("spans: got %v, want one named %q", names, want)
		}
	}

	after := collect(t, reader)
	tests := []struct {
		metric string
		want   func(int64) bool
		about  string
	}{
		{"hotline.store.writer.written", func(n int64) bool { return n == 10 }, "10 more"},
		{"hotline.store.writer.flush.duration", func(n int64) bool { return n >= 1 }, "at least 1 more flush"},
		{"hotline.store.pool.connections", func(n int64) bool { return n >= 1 }, "at least 1 connection"},
		{"hotline.store.pool.connections.max", func(n int64) bool { return n >= 1 }, "at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.metric, func(t *testing.T) {
			n, ok := after[tt.metric]
			if strings.HasPrefix(tt.metric, "hotline.store.writer.") { // cumulative
				n -= before[tt.metric]
			}
			if !ok || !tt.want(n) {
				t.Errorf("got %d (reported: %v), want %s", n, ok, tt.about)
			}
		})
	}
}

// The global providers can be set only once: the package's tracer and
// meter delegate to the first ones.
var telemetry = sync.OnceValues(func() (*tracetest.SpanRecorder, *sdkmetric.ManualReader) {
	spans := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	return spans, reader
})

// collect sums each metric's points (histograms: their counts).
func collect(t *testing.T, reader *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(t.Context(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					got[m.Name] += p.Value
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					got[m.Name] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					got[m.Name] += int64(p.Count)
				}
			}
		}
	}
	return got
}
