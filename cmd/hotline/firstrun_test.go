package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// TestFirstRunAsTheREADMESays runs the commands of the README's "Running
// against Asterisk" from the top of a checkout, with the ARI emulator as
// the Asterisk: install the prompts, copy the example configuration and set
// ari.url, check it, and serve. A caller of the demo hotline hears its
// welcome.
func TestFirstRunAsTheREADMESays(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	t.Chdir("../..") // where the README's commands run
	work := t.TempDir()
	sounds := filepath.Join(work, "sounds")
	emu, err := aritest.New(aritest.Config{Username: "hotline", Password: "secret", DefaultApp: "hotline",
		SoundsDir: sounds, RecordingsDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	command := func(args []string, wantCode int, wantStdout string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		e := &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
		if code := run(ctx, args, e); code != wantCode || !strings.Contains(stdout.String(), wantStdout) {
			t.Fatalf("hotline %s: exit %d, want %d\nstdout (want %q):\n%s\nstderr:\n%s",
				strings.Join(args, " "), code, wantCode, wantStdout, stdout.String(), stderr.String())
		}
	}

	// sudo ./hotline prompts install /var/lib/asterisk/sounds
	command([]string{"prompts", "install", sounds}, 0, "installed")

	// cp deploy/hotline.example.yaml hotline.yaml   # then set ari.url and ari.username
	example, err := os.ReadFile("deploy/hotline.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(example)
	for old, repl := range map[string]string{
		"url: http://127.0.0.1:8088/ari": "url: " + emu.URL(),
		`listen: ":8080"`:                `listen: "127.0.0.1:0"`, // a port of the test's own
	} {
		if !strings.Contains(text, old) {
			t.Fatalf("the example configuration has no %q", old)
		}
		text = strings.Replace(text, old, repl, 1)
	}
	cfg := filepath.Join(work, "hotline.yaml")
	write(t, cfg, text)

	// ./hotline config check hotline.yaml
	command([]string{"config", "check", cfg}, 0, cfg+": ok (flows of cmd/hotline/flows: followup, smart-home)")

	// HOTLINE_ARI_PASSWORD=... ./hotline serve --config hotline.yaml
	logs := newLogLines()
	defer func() {
		if t.Failed() {
			t.Logf("the server's log:\n%s", logs.String())
		}
	}()
	serveCtx, stop := context.WithCancel(ctx)
	done := make(chan int, 1)
	go func() {
		e := &env{stdout: logs, stderr: logs, getenv: func(k string) string {
			if k == "HOTLINE_ARI_PASSWORD" {
				return "secret"
			}
			return ""
		}}
		done <- run(serveCtx, []string{"serve", "--config", cfg}, e)
	}()
	stopped := false
	defer func() {
		if !stopped {
			stop()
			<-done
		}
	}()
	logs.waitFor(t, ctx, `"msg":"ARI events connected"`)
	// serve asks Asterisk for every prompt the flows and queues play.
	logs.waitFor(t, ctx, `"msg":"Asterisk has every prompt the flows and queues play"`)
	caller, err := emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008001234", Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	h, err := caller.WaitHeard(ctx, "sound:hotline/zh/demo/welcome")
	if err != nil {
		t.Fatalf("the caller never heard the welcome: %v (heard %v)", err, caller.HeardMedia())
	}
	if h.State == "failed" {
		t.Errorf("the welcome failed to play: %+v", h)
	}
	if err := caller.Hangup(); err != nil {
		t.Fatal(err)
	}
	stop()
	stopped = true
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d after SIGTERM, want 0", code)
	}
}
