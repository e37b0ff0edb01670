package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
)

// guard bounds waits in these tests; nothing sleeps on it.
const guard = 10 * time.Second

// logWatch is a slog.Handler that passes each message to the test.
type logWatch chan string

func (l logWatch) Enabled(context.Context, slog.Level) bool { return true }
func (l logWatch) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l logWatch) WithGroup(string) slog.Handler            { return l }
func (l logWatch) Handle(_ context.Context, r slog.Record) error {
	select {
	case l <- r.Message:
	default: // the test has what it needs; never block the server
	}
	return nil
}

// waitFor reads messages until msg arrives.
func (l logWatch) waitFor(t *testing.T, msg string) {
	t.Helper()
	timeout := time.After(guard)
	for {
		select {
		case got := <-l:
			if got == msg {
				return
			}
		case <-timeout:
			t.Fatalf("the server never logged %q", msg)
		}
	}
}

func TestServerServesHealthAndMetricsThenDrains(t *testing.T) {
	ari := newFakeARI(t, "pre-existing")
	cfg := config.Default()
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = ari.URL+"/ari", "hotline", "secret"
	logs := make(logWatch, 1024)
	log := slog.New(logs)

	tel, err := startTelemetry(t.Context(), cfg.Telemetry, "test", log)
	if err != nil {
		t.Fatal(err)
	}
	defer tel.shutdown(context.Background())
	s, err := newServer(cfg, log, tel.meter(), tel.metrics)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.run(ctx, ln) }()
	finished := false
	defer func() {
		if !finished { // a check failed before the drain: still wait for run
			stop()
			<-done
		}
	}()

	logs.waitFor(t, "ARI events connected")
	checkHealth(t, base, http.StatusOK, healthBody{Status: "ok", ARIConnected: true, Channels: 1})

	ari.events <- stasisEvent("StasisStart", "c1")
	logs.waitFor(t, "channel entered the application")
	checkHealth(t, base, http.StatusOK, healthBody{Status: "ok", ARIConnected: true, Channels: 2})
	checkMetrics(t, base, map[string]string{"hotline_ari_connected": "1", "hotline_ari_channels": "2"})

	ari.events <- stasisEvent("StasisEnd", "c1")
	logs.waitFor(t, "channel left the application")
	checkMetrics(t, base, map[string]string{"hotline_ari_channels": "1"})

	// Asterisk goes away: health turns 503 as soon as the socket drops.
	ari.shutdown()
	logs.waitFor(t, "ARI connection lost")
	checkHealth(t, base, http.StatusServiceUnavailable, healthBody{Status: "ari_disconnected", ARIConnected: false, Channels: 1})
	checkMetrics(t, base, map[string]string{"hotline_ari_connected": "0"})

	stop()
	select {
	case err := <-done:
		finished = true
		if err != nil {
			t.Fatalf("run after the stop signal: got %v, want nil", err)
		}
	case <-time.After(guard):
		t.Fatal("run did not return after the stop signal")
	}
	logs.waitFor(t, "drained")
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("the HTTP server still answers after the drain")
	}
}

func checkHealth(t *testing.T, base string, wantCode int, want healthBody) {
	t.Helper()
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got healthBody
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != wantCode || got != want {
		t.Fatalf("/healthz: got %d %+v, want %d %+v", resp.StatusCode, got, wantCode, want)
	}
}

func checkMetrics(t *testing.T, base string, want map[string]string) {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range want {
		re := regexp.MustCompile(`(?m)^` + name + `\{[^}]*\} (\S+)$`)
		m := re.FindSubmatch(body)
		if m == nil || string(m[1]) != value {
			t.Errorf("/metrics: %s = %q, want %s", name, m, value)
		}
	}
}
