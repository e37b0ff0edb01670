package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// TestDemo runs "hotline demo" in-process: the emulator and the server come
// up together, a simulated caller's call reaches the server's application,
// /healthz reports ARI connected, the supervisor signs in with the printed
// password and sees a simulated agent take a simulated call, and Ctrl-C
// drains it cleanly. It waits on the demo's own output lines and on the
// console's event stream, not on time.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	code := make(chan int, 1)
	go func() {
		c := run(runCtx, []string{"demo", "--listen", "127.0.0.1:0", "--call-every", "20ms"},
			&env{stdout: outW, stderr: errW, getenv: func(string) string { return "" }})
		outW.Close()
		errW.Close()
		code <- c
	}()

	health := regexp.MustCompile(`health\s+(http://\S+/healthz)`)
	metrics := regexp.MustCompile(`metrics\s+(http://\S+/metrics) \(Authorization: Bearer (\S+)\)`)
	var metricsURL, metricsToken string
	consoleURL := regexp.MustCompile(`console\s+(http://[^/\s]+)/ in a browser`)
	supervisor := regexp.MustCompile(`^\s+supervisor\s+password (\S+)`)
	var healthURL, base, password string
	out := bufio.NewScanner(outR)
	for (healthURL == "" || base == "" || password == "") && out.Scan() {
		if m := health.FindStringSubmatch(out.Text()); m != nil {
			healthURL = m[1]
		}
		if m := metrics.FindStringSubmatch(out.Text()); m != nil {
			metricsURL, metricsToken = m[1], m[2]
		}
		if m := consoleURL.FindStringSubmatch(out.Text()); m != nil {
			base = m[1]
		}
		if m := supervisor.FindStringSubmatch(out.Text()); m != nil {
			password = m[1]
		}
	}
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	if healthURL == "" || base == "" || password == "" {
		t.Fatalf("demo printed health URL %q, console %q, supervisor's password %q", healthURL, base, password)
	}
	// A simulated caller dials; the supervisor's stream below shows the
	// call reach an agent.
	logs := bufio.NewScanner(errR)
	// The first caller may dial while the server is still rebuilding its
	// state after connecting (its events wait in the socket): /healthz
	// says connected once that is done.
	var dialled, connected bool
	for !(dialled && connected) && logs.Scan() {
		dialled = dialled || strings.Contains(logs.Text(), "simulated caller dialled")
		connected = connected || strings.Contains(logs.Text(), `msg="ARI events connected"`)
	}
	go func() { _, _ = io.Copy(io.Discard, errR) }()
	if !dialled || !connected {
		t.Fatalf("simulated caller dialled: %v; ARI events connected: %v", dialled, connected)
	}
	resp, err := http.Get(healthURL)
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %d %v, want 200 while ARI is connected", resp.StatusCode, h)
	}
	// The printed metrics URL and token work.
	if metricsURL == "" {
		t.Fatal("the demo printed no metrics URL with its token")
	}
	checkMetrics(t, strings.TrimSuffix(metricsURL, "/metrics"), metricsToken, map[string]string{"hotline_ari_connected": "1"})

	// The supervisor signs in with the printed password and watches the
	// demo's queues until a simulated agent has answered a simulated
	// caller.
	api := &apiClient{t: t, ctx: ctx, base: base}
	var me console.LoginResponse
	api.do(http.StatusOK, "POST", "/api/login", "", console.LoginRequest{User: "supervisor", Password: password}, &me)
	stream := api.stream(me.Token)
	snap := stream.until(func(v console.SnapshotView) bool {
		return slices.ContainsFunc(v.Calls, func(c acd.CallView) bool { return !c.Answered.IsZero() && c.Agent != "" })
	})
	stream.close()
	var queues []string
	for _, q := range snap.Queues {
		queues = append(queues, q.Name)
	}
	if want := []string{"vip", "complaints", "after-sales"}; !slices.Equal(queues, want) {
		t.Errorf("the demo's queues %v, want %v", queues, want)
	}
	if st := agentState(snap, "1001"); st != queue.LoggedOut {
		t.Errorf("agent 1001 is %s, want logged out for a person to sign in as", st)
	}
	stop()
	if c := <-code; c != 0 {
		t.Errorf("demo exit code %d, want 0 after a drain", c)
	}
}
