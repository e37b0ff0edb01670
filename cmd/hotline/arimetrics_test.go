package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
)

// TestARIRESTMetrics sends requests through the metered transport: those
// to the registered ARI are counted by method, resource and outcome, the
// 5xx and the unanswered ones among the errors too; a request elsewhere is
// not counted.
func TestARIRESTMetrics(t *testing.T) {
	tel, err := startTelemetry(t.Context(), config.Default().Telemetry, "test", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer tel.shutdown(context.Background())
	asterisk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ari/channels/gone/answer":
			http.Error(w, `{"message":"Channel not found"}`, http.StatusNotFound)
		case "/ari/bridges":
			http.Error(w, `{"message":"Internal Server Error"}`, http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	defer asterisk.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer other.Close()
	down := httptest.NewServer(nil)
	down.Close() // its port refuses connections
	if err := registerARIRESTMetrics(tel.meter(), asterisk.URL+"/ari/"); err != nil {
		t.Fatal(err)
	}
	if err := registerARIRESTMetrics(tel.meter(), down.URL+"/ari"); err != nil {
		t.Fatal(err)
	}
	defer ariRESTByURL.Delete(asterisk.URL + "/ari")
	defer ariRESTByURL.Delete(down.URL + "/ari")

	// A transport of its own under the metered one: http.DefaultTransport
	// is metered already once another test has run the server
	// (installHTTPTimeouts), and would count each request twice.
	plain := &http.Transport{}
	defer plain.CloseIdleConnections()
	client := &http.Client{Transport: meteredTransport{plain}}
	for _, r := range []struct{ method, url string }{
		{"POST", asterisk.URL + "/ari/channels/c1/answer"},
		{"POST", asterisk.URL + "/ari/channels/c2/moh?mohClass=default"},
		{"POST", asterisk.URL + "/ari/channels/gone/answer"},
		{"POST", asterisk.URL + "/ari/bridges"},
		{"GET", down.URL + "/ari/asterisk/info"},
		{"GET", other.URL + "/ari/channels"},
	} {
		req, _ := http.NewRequest(r.method, r.url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
		}
	}

	srv := httptest.NewServer(tel.metrics)
	defer srv.Close()
	m := scrape(t, srv.URL, "")
	for series, want := range map[string]float64{
		`hotline_ari_rest_duration_seconds_count{method="POST",outcome="ok",resource="channels"}`:           2,
		`hotline_ari_rest_duration_seconds_count{method="POST",outcome="client_error",resource="channels"}`: 1,
		`hotline_ari_rest_duration_seconds_count{method="POST",outcome="server_error",resource="bridges"}`:  1,
		`hotline_ari_rest_duration_seconds_count{method="GET",outcome="failed",resource="asterisk"}`:        1,
		`hotline_ari_rest_errors_total{outcome="server_error",resource="bridges"}`:                          1,
		`hotline_ari_rest_errors_total{outcome="failed",resource="asterisk"}`:                               1,
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("/metrics: %s = %v (present: %t), want %v", series, got, ok, want)
		}
	}
	var requests float64
	for series, v := range m {
		if strings.HasPrefix(series, "hotline_ari_rest_duration_seconds_count{") {
			requests += v
		}
	}
	if requests != 5 {
		t.Errorf("%v ARI requests counted, want 5 (not the one to another server)", requests)
	}
}
