package main

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/metric"
)

// registerARIMetrics adds the gauges hotline.ari.connected and
// hotline.ari.channels, read when metrics are collected.
func registerARIMetrics(meter metric.Meter, conn interface{ Connected() bool }, view interface{ Channels() int }) error {
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
	_, err = meter.Int64ObservableGauge("hotline.ari.channels",
		metric.WithDescription("Channels in the ARI application, as this server sees them."),
		metric.WithUnit("{channel}"),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(int64(view.Channels()))
			return nil
		}))
	if err != nil {
		return fmt.Errorf("registering hotline.ari.channels: %w", err)
	}
	return nil
}
