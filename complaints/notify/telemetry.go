package notify

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
)

// instrumentation names the tracer and meter of this package.
const instrumentation = "github.com/hotline-ivr/hotline/complaints/notify"

// tracer and meter come from the global providers, which cmd/hotline
// sets; until it does they do nothing.
var (
	tracer = otel.Tracer(instrumentation)
	meter  = otel.Meter(instrumentation)
)

// attempts counts delivery attempts by channel and outcome (delivered,
// retry, refused, given_up); duration is the time an attempt took.
var attempts, duration = func() (metric.Int64Counter, metric.Float64Histogram) {
	c, _ := meter.Int64Counter("hotline.complaints.notify.attempts", metric.WithUnit("{attempt}"),
		metric.WithDescription("Attempts to deliver complaint notices, by channel and outcome."))
	h, _ := meter.Float64Histogram("hotline.complaints.notify.attempt.duration", metric.WithUnit("s"),
		metric.WithDescription("Time one attempt to deliver a complaint notice took."))
	return c, h
}()
