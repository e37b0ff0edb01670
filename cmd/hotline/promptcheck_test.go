package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/prompts"
)

// TestServeChecksThePrompts: once ARI is connected, and after a reload of
// the flows, serve logs as an error the sounds Asterisk lacks, by language,
// with the fix; and says so when none is missing.
func TestServeChecksThePrompts(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	sounds := t.TempDir()
	if _, err := prompts.Install(sounds); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"hotline/zh/beep.wav", "hotline/en/queue/ahead.wav"} {
		if err := os.Remove(filepath.Join(sounds, gone)); err != nil {
			t.Fatal(err)
		}
	}
	emu, err := aritest.New(aritest.Config{Username: "hotline", Password: "secret", DefaultApp: "hotline", SoundsDir: sounds})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	flows := t.TempDir()
	write(t, filepath.Join(flows, "m.yaml"), `flow: m
numbers: ["4001"]
languages: [zh]
prompts:
  mine: {zh: custom/mine}
start: msg
nodes:
  msg:
    message: {prompt: mine, beep: true, next: bye}
  bye:
    hangup: {}
`)
	logs := newLogLines()
	log := slog.New(slog.NewJSONHandler(logs, nil))
	fs := &flowSet{reg: newFlowRegistry(config.Default(), nil), read: dirFlows(flows), log: log}
	if err := loadFlows(ctx, fs.reg, fs.read, log); err != nil {
		t.Fatal(err)
	}
	check := newSoundCheck(ivr.ConnConfig{URL: emu.URL(), Username: "hotline", Password: "secret", Application: "hotline"}, fs.reg, log)
	fs.reloaded = check.request
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { check.run(runCtx) })
	defer wg.Wait()
	defer stop()

	// The first connect asks for a check; later ones do not.
	if err := check.Connected(ctx); err != nil {
		t.Fatal(err)
	}
	logs.waitFor(t, ctx, `"language":"zh","count":2,"missing":["custom/mine","hotline/zh/beep"]`)
	logs.waitFor(t, ctx, `"language":"en","count":1,"missing":["hotline/en/queue/ahead"]`)
	for _, want := range []string{`"level":"ERROR","msg":"prompts missing in Asterisk`, `"fix":"hotline prompts install /var/lib/asterisk/sounds`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %s:\n%s", want, logs.String())
		}
	}

	// The sounds are installed, and the flows reloaded.
	if _, err := prompts.Install(sounds); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(sounds, "custom"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(sounds, "custom", "mine.wav"), "RIFF")
	if _, err := fs.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	logs.waitFor(t, ctx, `"msg":"Asterisk has every prompt the flows and queues play"`)
}
