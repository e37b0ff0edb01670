package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
)

// instrumentation names the meter and tracer of this command.
const instrumentation = "github.com/hotline-ivr/hotline/cmd/hotline"

// telemetry is the OpenTelemetry SDK of the process: metrics always (served
// to Prometheus, and pushed over OTLP when an endpoint is configured), traces
// only over OTLP.
type telemetry struct {
	meters  *sdkmetric.MeterProvider
	tracers *sdktrace.TracerProvider // nil when OTLP is off
	metrics http.Handler             // serves /metrics
}

// startTelemetry sets up the SDK and installs it as the global providers,
// which the libraries reach through the OpenTelemetry API.
func startTelemetry(ctx context.Context, cfg config.Telemetry, version string, log *slog.Logger) (*telemetry, error) {
	res, err := resource.Merge(resource.Default(), resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(cfg.ServiceName),
		semconv.ServiceVersion(version),
	))
	if err != nil {
		return nil, fmt.Errorf("describing this service for telemetry: %w", err)
	}

	reg := promclient.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	prom, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("setting up the Prometheus exporter: %w", err)
	}
	meterOpts := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(prom), sdkmetric.WithView(secondsView)}

	t := &telemetry{metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{})}
	if cfg.OTLPEndpoint != "" {
		tracesURL, _ := url.JoinPath(cfg.OTLPEndpoint, "v1/traces")
		metricsURL, _ := url.JoinPath(cfg.OTLPEndpoint, "v1/metrics")
		spans, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(tracesURL))
		if err != nil {
			return nil, fmt.Errorf("setting up the OTLP trace exporter for %s: %w", tracesURL, err)
		}
		points, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(metricsURL))
		if err != nil {
			return nil, fmt.Errorf("setting up the OTLP metric exporter for %s: %w", metricsURL, err)
		}
		meterOpts = append(meterOpts, sdkmetric.WithReader(sdkmetric.NewPeriodicReader(points)))
		t.tracers = sdktrace.NewTracerProvider(
			sdktrace.WithResource(res),
			sdktrace.WithBatcher(spans),
			sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.TraceSampleRatio))),
		)
		otel.SetTracerProvider(t.tracers)
	}
	t.meters = sdkmetric.NewMeterProvider(meterOpts...)
	otel.SetMeterProvider(t.meters)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		log.Warn("telemetry export failed", "error", err)
	}))
	return t, nil
}

// secondBuckets are the bucket bounds of the durations in seconds whose
// instruments give none of their own (the store's flushes, the
// recordings' jobs, the notices' attempts, ARI's REST requests): the SDK's
// default bounds (0, 5, 10, 25, … 10000) suit milliseconds, and put every
// one of these in the first two buckets.
var secondBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// secondsView gives Hotline's histograms in seconds secondBuckets, unless
// the instrument advises bounds of its own (hotline.ivr.node.duration).
func secondsView(i sdkmetric.Instrument) (sdkmetric.Stream, bool) {
	if i.Kind != sdkmetric.InstrumentKindHistogram || i.Unit != "s" || !strings.HasPrefix(i.Name, "hotline.") ||
		i.Name == "hotline.ivr.node.duration" { // a view's bounds would replace the instrument's own

		return sdkmetric.Stream{}, false
	}
	return sdkmetric.Stream{Name: i.Name, Description: i.Description, Unit: i.Unit,
		Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: secondBuckets}}, true
}

// meter returns the meter of this command.
func (t *telemetry) meter() metric.Meter { return t.meters.Meter(instrumentation) }

// shutdown flushes and stops the providers.
func (t *telemetry) shutdown(ctx context.Context) error {
	var errs []error
	if t.tracers != nil {
		errs = append(errs, t.tracers.Shutdown(ctx))
	}
	errs = append(errs, t.meters.Shutdown(ctx))
	return errors.Join(errs...)
}
