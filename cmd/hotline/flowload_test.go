package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
)

// queueFlowFile hands every caller of 4001 to queue.
func queueFlowFile(queue string) string {
	return fmt.Sprintf("flow: q\nnumbers: [\"4001\"]\nlanguages: [zh]\nstart: q\nnodes:\n  q:\n    queue: {name: %s, next: bye}\n  bye: {hangup: {}}\n", queue)
}

// TestServeFlowsNameConfiguredQueues: serve loads no flow whose queue node
// names a queue the configuration lacks, at start or on a reload, logs the
// problem with its file and line, and keeps the version in use.
func TestServeFlowsNameConfiguredQueues(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "q.yaml")
	cfg := config.Default()
	q := config.DefaultQueue()
	q.Name = "after-sales"
	cfg.Queues = []config.Queue{q}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	problem := file + `:7: nodes.q.queue.name: there is no queue \"aftersales\" (did you mean after-sales? queues in the configuration: after-sales)`

	// At start: the flow is not loaded, and the log says why.
	write(t, file, queueFlowFile("aftersales"))
	start := &flowSet{reg: newFlowRegistry(cfg, nil), read: dirFlows(dir), log: log}
	if err := loadFlows(t.Context(), start.reg, start.read, log); err != nil {
		t.Fatal(err)
	}
	if _, ok := start.reg.ForNumber("4001"); ok {
		t.Error("a flow naming an unknown queue was loaded at start")
	}
	if !strings.Contains(logs.String(), problem) {
		t.Errorf("the start's log lacks %s:\n%s", problem, logs.String())
	}

	// On a reload: the version in use stays.
	write(t, file, queueFlowFile("after-sales"))
	running := &flowSet{reg: newFlowRegistry(cfg, nil), read: dirFlows(dir), log: log}
	if err := loadFlows(t.Context(), running.reg, running.read, log); err != nil {
		t.Fatal(err)
	}
	write(t, file, queueFlowFile("aftersales"))
	logs.Reset()
	rep, err := running.Reload(t.Context())
	if err == nil || !slices.Equal(rep.Kept, []string{"q"}) {
		t.Errorf("reload: kept %v, error %v; want q kept and its problem", rep.Kept, err)
	}
	if f, ok := running.reg.ForNumber("4001"); !ok || f.Version != 1 || f.Node("q").Queue.Name != "after-sales" {
		t.Errorf("after the reload 4001 has %+v, want version 1 with after-sales", f)
	}
	if !strings.Contains(logs.String(), problem) {
		t.Errorf("the reload's log lacks %s:\n%s", problem, logs.String())
	}
}

// downVersions is a VersionStore whose database does not answer: it
// reports whether the load bounded its wait.
type downVersions struct{ bounded bool }

func (d *downVersions) Version(ctx context.Context, _ string, _ [32]byte) (int, error) {
	deadline, ok := ctx.Deadline()
	d.bounded = ok && time.Until(deadline) <= flowNumberingTimeout
	return 0, errors.New("connection refused")
}

// TestServeFlowsWhileTheDatabaseCannotNumberThem: a load waits a bounded
// time for the database to number versions; past it, or when numbering
// fails, the flows still answer calls, at version 0, and the log says so.
func TestServeFlowsWhileTheDatabaseCannotNumberThem(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "q.yaml"), "flow: q\nnumbers: [\"4001\"]\nlanguages: [zh]\nstart: bye\nnodes:\n  bye: {hangup: {}}\n")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	store := &downVersions{}
	reg := newFlowRegistry(config.Default(), store)
	if err := loadFlows(t.Context(), reg, dirFlows(dir), log); err != nil {
		t.Fatal(err)
	}
	if !store.bounded {
		t.Errorf("numbering had no deadline within %s", flowNumberingTimeout)
	}
	if f, ok := reg.ForNumber("4001"); !ok || f.Version != 0 {
		t.Errorf("ForNumber: got %+v, want flow q at version 0", f)
	}
	if !strings.Contains(logs.String(), "flows in use at version 0") || !strings.Contains(logs.String(), "connection refused") {
		t.Errorf("the log does not say the flows are unnumbered:\n%s", logs.String())
	}
}
