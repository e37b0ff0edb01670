package store

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// instrumentation names the tracer and meter of this package.
const instrumentation = "github.com/hotline-ivr/hotline/store"

// tracer comes from the global provider, which cmd/hotline sets; until it
// does it does nothing.
var tracer = otel.Tracer(instrumentation)

// meter is the global provider's meter of this package, looked up when a
// writer or pool is made: a meter kept from the package's start would
// report to the first provider set in the process only (the global one
// delegates once), not to the one of the server that made the writer.
func meter() metric.Meter { return otel.Meter(instrumentation) }

// writerMetrics are a Writer's instruments.
type writerMetrics struct {
	written  metric.Int64Counter
	dropped  metric.Int64Counter
	duration metric.Float64Histogram
	gauges   metric.Registration
}

func newWriterMetrics(w *Writer) (*writerMetrics, error) {
	m := &writerMetrics{}
	meter := meter()
	var errs [6]error
	m.written, errs[0] = meter.Int64Counter("hotline.store.writer.written",
		metric.WithUnit("{record}"), metric.WithDescription("Call records written to PostgreSQL."))
	m.dropped, errs[1] = meter.Int64Counter("hotline.store.writer.dropped",
		metric.WithUnit("{record}"), metric.WithDescription("Call records given up: invalid, or added after close."))
	m.duration, errs[2] = meter.Float64Histogram("hotline.store.writer.flush.duration",
		metric.WithUnit("s"), metric.WithDescription("Time to write one batch of call records."))
	queued, err3 := meter.Int64ObservableGauge("hotline.store.writer.queued",
		metric.WithUnit("{record}"), metric.WithDescription("Call records waiting in memory."))
	spooled, err4 := meter.Int64ObservableGauge("hotline.store.writer.spooled",
		metric.WithUnit("{record}"), metric.WithDescription("Call records waiting in the spool file."))
	errs[3], errs[4] = err3, err4
	m.gauges, errs[5] = meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		h := w.Health()
		o.ObserveInt64(queued, int64(h.Queued))
		o.ObserveInt64(spooled, h.Spooled)
		return nil
	}, queued, spooled)
	return m, errors.Join(errs[:]...)
}

// flushed records one batch's time.
func (m *writerMetrics) flushed(start time.Time, source string, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.duration.Record(context.Background(), time.Since(start).Seconds(), metric.WithAttributes(
		attribute.String("source", source), attribute.String("result", result)))
}

func (m *writerMetrics) close() { _ = m.gauges.Unregister() }
