package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// ariRESTMetrics are the instruments of one server's ARI REST requests.
type ariRESTMetrics struct {
	base     string // the ARI URL, without a trailing slash
	duration metric.Float64Histogram
	errors   metric.Int64Counter
}

// ariRESTByURL maps each server's ARI URL to its instruments. The ARI
// REST client sends through http.DefaultTransport and takes no transport
// of its own (see ivr.NewRESTClient), so the metered transport that
// installHTTPTimeouts installs there finds a request's server by its URL;
// requests to anything else pass unmetered.
var ariRESTByURL sync.Map // string → *ariRESTMetrics

// registerARIRESTMetrics adds hotline.ari.rest.duration (every request to
// the ARI at ariURL, by method, resource and outcome) and
// hotline.ari.rest.errors (those that failed: no answer, or a 5xx).
func registerARIRESTMetrics(meter metric.Meter, ariURL string) error {
	m := &ariRESTMetrics{base: strings.TrimSuffix(ariURL, "/")}
	var err error
	m.duration, err = meter.Float64Histogram("hotline.ari.rest.duration", metric.WithUnit("s"),
		metric.WithDescription("ARI REST requests' time to the response's headers, by method, resource (channels, bridges, …) and outcome (ok, client_error, server_error, failed)."))
	if err != nil {
		return fmt.Errorf("registering hotline.ari.rest.duration: %w", err)
	}
	m.errors, err = meter.Int64Counter("hotline.ari.rest.errors", metric.WithUnit("{request}"),
		metric.WithDescription("ARI REST requests that got no response (outcome failed) or a 5xx (server_error), by resource."))
	if err != nil {
		return fmt.Errorf("registering hotline.ari.rest.errors: %w", err)
	}
	ariRESTByURL.Store(m.base, m)
	return nil
}

// meteredTransport records the ARI REST requests it sends in their
// server's instruments.
type meteredTransport struct{ next http.RoundTripper }

func (t meteredTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	m, resource := ariRESTFor(req)
	if m == nil {
		return t.next.RoundTrip(req)
	}
	started := time.Now()
	resp, err := t.next.RoundTrip(req)
	outcome := "ok"
	switch {
	case err != nil:
		outcome = "failed"
	case resp.StatusCode >= 500:
		outcome = "server_error"
	case resp.StatusCode >= 400:
		outcome = "client_error"
	}
	ctx := req.Context()
	m.duration.Record(ctx, time.Since(started).Seconds(), metric.WithAttributes(
		attribute.String("method", req.Method), attribute.String("resource", resource), attribute.String("outcome", outcome)))
	if outcome == "failed" || outcome == "server_error" {
		m.errors.Add(ctx, 1, metric.WithAttributes(attribute.String("resource", resource), attribute.String("outcome", outcome)))
	}
	return resp, err
}

// ariRESTFor finds the instruments of the ARI that req goes to, and the
// resource it asks for: the first segment of its path under the ARI URL
// (channels, bridges, playbacks, recordings, …); nil when req goes
// elsewhere. A resource's ids are left out, to keep the series few.
func ariRESTFor(req *http.Request) (*ariRESTMetrics, string) {
	u := *req.URL
	u.RawQuery, u.Fragment, u.User = "", "", nil
	target := u.String()
	var found *ariRESTMetrics
	var rest string
	ariRESTByURL.Range(func(_, v any) bool {
		m := v.(*ariRESTMetrics)
		if r, ok := strings.CutPrefix(target, m.base+"/"); ok {
			found, rest = m, r
			return false
		}
		return true
	})
	if found == nil {
		return nil, ""
	}
	resource, _, _ := strings.Cut(rest, "/")
	return found, resource
}

// CloseIdleConnections closes the idle connections of the transport
// underneath, as http.Client.CloseIdleConnections expects.
func (t meteredTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
