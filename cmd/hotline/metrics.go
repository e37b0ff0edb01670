package main

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/metric"
)

// registerARIMetrics adds the gauge hotline.ari.connected, read when
// metrics are collected. The calls in progress are the engine's own
// hotline.ivr.calls.active.
func registerARIMetrics(meter metric.Meter, conn interface{ Connected() bool }) error {
	_, err := meter.Int64ObservableGauge("hotline.ari.connected",
		metric.WithDescription("1 while the ARI events websocket is up and the channel view rebuilt, else 0."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			var up int64
			if conn.Connected() {
				up = 1
			}
			o.Observe(up)
			return nil
		}))
	if err != nil {
		return fmt.Errorf("registering hotline.ari.connected: %w", err)
	}
	return nil
}
