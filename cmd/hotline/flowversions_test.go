package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestServeKeepsFlowVersionsAcrossRestarts starts serve three times on one
// database: the same flow file keeps its version through a restart, an
// edited one gets the next, and the first text its first version again.
func TestServeKeepsFlowVersionsAcrossRestarts(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	dbURL := pgtest.New(t)
	emu, err := aritest.New(aritest.Config{Username: "hotline", Password: "secret", DefaultApp: "hotline"})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	flows := t.TempDir()
	file := filepath.Join(flows, "v.yaml")
	text := func(timeout string) string {
		return fmt.Sprintf("flow: v\nnumbers: [\"4001\"]\nlanguages: [zh]\nstart: main\nnodes:\n  main:\n    menu: {prompt: anything-else, options: {\"1\": bye}, timeout: %s}\n  bye: {hangup: {}}\n", timeout)
	}
	cfg := config.Default()
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = emu.URL(), "hotline", "secret"
	cfg.Database.URL, cfg.Database.SpoolDir, cfg.Recordings.Storage = dbURL, t.TempDir(), t.TempDir()
	cfg.Instance.Name = "test"

	serve := func(timeout string, wantVersion int) {
		t.Helper()
		write(t, file, text(timeout))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		logs := newLogLines()
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- runServer(runCtx, &env{stdout: io.Discard, stderr: logs, getenv: func(string) string { return "" }},
				cfg, ln, dirFlows(flows), "mode", "test", nil)
		}()
		logs.waitFor(t, ctx, fmt.Sprintf(`"msg":"flow loaded","flow":"v","version":%d,`, wantVersion))
		logs.waitFor(t, ctx, `"msg":"ARI events connected"`)
		stop()
		if err := <-done; err != nil {
			t.Fatalf("serve: %v\n%s", err, logs.String())
		}
	}
	serve("5s", 1)
	serve("5s", 1) // restarted, same file
	serve("6s", 2) // restarted, edited file
	serve("5s", 1) // the first text back
}
