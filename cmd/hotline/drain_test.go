package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/prompts"
)

// TestDrainKeepsHTTP runs the server as serve does, with a caller waiting
// in a queue, and stops it: while the call is still up, /healthz answers
// 503 "draining" (today the listener was closed first: connection
// refused) and a signed-in supervisor's console still works; HTTP stops
// only once the call has ended.
func TestDrainKeepsHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	sounds := t.TempDir()
	if _, err := prompts.Install(sounds); err != nil {
		t.Fatal(err)
	}
	emu, err := aritest.New(aritest.Config{Username: "hotline", Password: "secret", DefaultApp: "hotline",
		SoundsDir: sounds, RecordingsDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	flowDir := t.TempDir()
	write(t, filepath.Join(flowDir, "support.yaml"), fmt.Sprintf(supportFlow, ""))

	cfg := config.Default()
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = emu.URL(), "hotline", "secret"
	cfg.Database.SpoolDir = t.TempDir()
	cfg.HTTP.ShutdownTimeout = time.Minute // longer than the test: the caller's hang-up ends the drain
	support := config.DefaultQueue()
	support.Name = "support" // nobody is logged in: the caller waits
	cfg.Queues = []config.Queue{support}
	cfg.Agents = []config.Agent{{ID: "1001", Name: "Li Na", Device: "PJSIP/1001", Skills: map[string]int{"zh": 8}}}
	cfg.Console.Users = []config.User{{Name: "wang", Role: "supervisor", Device: "PJSIP/2001", PasswordHash: quickHash(t, "pw")}}
	cfg.Instance.Name = "test"

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	logs := newLogLines()
	defer func() {
		if t.Failed() {
			t.Logf("the server's log:\n%s", logs.String())
		}
	}()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- runServer(runCtx, &env{stdout: io.Discard, stderr: logs, getenv: func(string) string { return "" }},
			cfg, ln, dirFlows(flowDir), "mode", "test", nil)
	}()
	stopped := false
	defer func() {
		if !stopped {
			stop()
			<-done
		}
	}()
	logs.waitFor(t, ctx, `"msg":"ARI events connected"`)

	api := &apiClient{t: t, ctx: ctx, base: base}
	var wang console.LoginResponse
	api.do(http.StatusOK, "POST", "/api/login", "", console.LoginRequest{User: "wang", Password: "pw"}, &wang)
	stream := api.stream(wang.Token)
	defer stream.close()
	caller, err := emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008009999", Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	waiting := func(v console.SnapshotView) bool { return len(v.Queues) == 1 && v.Queues[0].Waiting == 1 }
	stream.until(waiting)

	stop() // SIGTERM
	logs.waitFor(t, ctx, `"msg":"draining: stop signal received"`)
	checkHealth(t, base, http.StatusServiceUnavailable, console.HealthView{Status: "draining", ARIConnected: true, Calls: 1})
	var queues struct{ Queues []console.QueueView }
	api.do(http.StatusOK, "GET", "/api/queues", wang.Token, nil, &queues)
	if len(queues.Queues) != 1 || queues.Queues[0].Waiting != 1 {
		t.Errorf("GET /api/queues during the drain: %+v, want the caller still waiting", queues.Queues)
	}
	select {
	case err := <-done:
		stopped = true
		t.Fatalf("runServer returned (%v) with a call still up", err)
	default:
	}

	// The caller gives up: the drain ends, and HTTP with it.
	if err := caller.Hangup(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		stopped = true
		if err != nil {
			t.Fatalf("runServer after the drain: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("runServer did not return after the last call ended")
	}
	if resp, err := http.Get(base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Error("the HTTP server still answers after the drain")
	}
}
