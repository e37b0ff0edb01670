package recordings

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// instrumentation names the tracer and meter of this package.
const instrumentation = "github.com/hotline-ivr/hotline/recordings"

// tracer and meter come from the global providers, which cmd/hotline
// sets; until it does they do nothing.
var (
	tracer = otel.Tracer(instrumentation)
	meter  = otel.Meter(instrumentation)
)

// instruments are the package's metrics; an instrument the provider
// refuses is left a no-op (the error goes to otel's handler).
var instruments = func() (m struct {
	jobs     metric.Int64Counter
	duration metric.Float64Histogram
	bytes    metric.Int64Counter
	deleted  metric.Int64Counter
}) {
	m.jobs, _ = meter.Int64Counter("hotline.recordings.jobs",
		metric.WithUnit("{job}"), metric.WithDescription("Recording jobs ended by a worker, by result: stored, retry, failed, lost, stopped."))
	m.duration, _ = meter.Float64Histogram("hotline.recordings.job.duration",
		metric.WithUnit("s"), metric.WithDescription("Time a worker spent on one recording job."))
	m.bytes, _ = meter.Int64Counter("hotline.recordings.stored.bytes",
		metric.WithUnit("By"), metric.WithDescription("Bytes of stereo recordings written to blob storage."))
	m.deleted, _ = meter.Int64Counter("hotline.recordings.retention.deleted",
		metric.WithUnit("{recording}"), metric.WithDescription("Recordings whose audio the retention job deleted."))
	return m
}()

// startJob starts the span of one job's work.
func startJob(ctx context.Context, j Job) (context.Context, trace.Span) {
	return tracer.Start(ctx, "recordings.job", trace.WithAttributes(
		attribute.String("hotline.recording.id", j.ID),
		attribute.String("hotline.call.id", j.CallID),
		attribute.String("hotline.recording.state", string(j.State)),
		attribute.Int("hotline.recording.attempt", j.Attempts),
	))
}

// endJob ends the span and counts the job's result.
func endJob(ctx context.Context, span trace.Span, result string, started time.Time, err error) {
	attrs := metric.WithAttributes(attribute.String("result", result))
	instruments.jobs.Add(ctx, 1, attrs)
	instruments.duration.Record(ctx, time.Since(started).Seconds(), attrs)
	span.SetAttributes(attribute.String("hotline.recording.result", result))
	if err != nil && result != "stored" {
		span.RecordError(err)
		if result == "failed" || result == "retry" {
			span.SetStatus(codes.Error, err.Error())
		}
	}
	span.End()
}
