package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/store"
)

// flowFiles reads the complete set of flow files: name -> contents.
type flowFiles func() (map[string][]byte, error)

// dirFlows reads every *.yaml and *.yml file of dir.
func dirFlows(dir string) flowFiles {
	return func() (map[string][]byte, error) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("reading flows.dir: %w", err)
		}
		files := map[string][]byte{}
		for _, e := range entries {
			if e.IsDir() || !(strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
				continue
			}
			path := filepath.Join(dir, e.Name())
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			files[path] = b
		}
		return files, nil
	}
}

// loadFlows (re)loads the flows into reg and logs what changed. Invalid
// files never replace valid versions; their problems are logged.
func loadFlows(reg *callflow.Registry, read flowFiles, log *slog.Logger) error {
	report, err := reloadFlows(reg, read, log)
	if err != nil && len(report.Problems) == 0 {
		return err
	}
	return nil
}

// reloadFlows reads the flow files, loads them into reg and logs what
// changed; it returns what Registry.Load does, or why the files could not
// be read.
func reloadFlows(reg *callflow.Registry, read flowFiles, log *slog.Logger) (callflow.Report, error) {
	files, err := read()
	if err != nil {
		return callflow.Report{}, err
	}
	report, err := reg.Load(files)
	for _, f := range report.Loaded {
		log.Info("flow loaded", "flow", f.Name, "version", f.Version, "file", f.File, "numbers", f.Numbers)
	}
	for _, p := range report.Problems {
		log.Error("flow problem; the previous version (if any) stays in use", "problem", p.Error())
	}
	if len(reg.Flows()) == 0 {
		log.Warn("no valid flow is loaded: calls will be hung up as unallocated numbers")
	}
	return report, err
}

// flowSet is the call flows as serve runs them: the registry the engine
// reads and the files it is loaded from. SIGHUP and the console's reload
// both go through Reload, one at a time, so they do the same thing.
type flowSet struct {
	reg  *callflow.Registry
	read flowFiles
	log  *slog.Logger
	mu   sync.Mutex // one reload at a time
}

// Reload reads the flow files again; see Registry.Load. It implements
// console.Flows.
func (f *flowSet) Reload(context.Context) (callflow.Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return reloadFlows(f.reg, f.read, f.log)
}

// List returns the active flows.
func (f *flowSet) List() []*callflow.Flow { return f.reg.Flows() }

// reloadOnHUP reloads the flows on every SIGHUP until ctx ends. Calls in
// progress keep the version they started with.
func reloadOnHUP(ctx context.Context, flows *flowSet, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			log.Info("SIGHUP: reloading flows")
			if rep, err := flows.Reload(ctx); err != nil && len(rep.Problems) == 0 {
				log.Error("reloading flows", "error", err)
			}
		}
	}
}

// records is where serve keeps what calls leave behind.
type records struct {
	journeys  ivr.JourneySink   // each call's journey
	agents    acd.Records       // agents' state changes and legs
	callbacks acd.CallbackStore // call-back requests
	live      acd.LiveStore     // agents' states and queued callers across restarts; nil without a database
	close     func(context.Context)
}

// openRecords connects to PostgreSQL, migrates it and starts the
// call-records writer; without a database URL journeys and agents' records
// are only logged, and call-back requests kept in memory.
func openRecords(ctx context.Context, cfg config.Database, log *slog.Logger) (records, error) {
	if cfg.URL == "" {
		log.Warn("DATABASE_URL is not set: call journeys and agents' states are logged, not stored; call-backs are kept in memory")
		return records{
			journeys: logJourneys{log}, agents: acd.LogRecords{Logger: log},
			callbacks: acd.NewMemoryCallbacks(nil), close: func(context.Context) {},
		}, nil
	}
	pool, err := store.Open(ctx, cfg.URL, cfg.MaxConns)
	if err != nil {
		return records{}, fmt.Errorf("opening DATABASE_URL: %w", err)
	}
	// PostgreSQL down is no reason not to take calls: the schema is
	// migrated once it answers, and the writer spools meanwhile.
	migrated := make(chan error, 1)
	if err := store.Migrate(ctx, pool); err == nil {
		migrated <- nil
	} else if !store.Unreachable(err) {
		pool.Close()
		return records{}, fmt.Errorf("migrating the database: %w", err)
	}
	wcfg := store.DefaultWriterConfig()
	wcfg.SpoolDir, wcfg.Logger = cfg.SpoolDir, log
	w, err := store.NewWriter(pool, wcfg)
	if err != nil {
		pool.Close()
		return records{}, err
	}
	callbacks := store.NewCallbacks(pool, nil)
	cbSpool, err := store.OpenCallbackSpool(cfg.SpoolDir, callbacks, log)
	if err != nil {
		_ = w.Close(ctx)
		pool.Close()
		return records{}, err
	}
	live := store.NewACDState(pool, store.ACDStateConfig{Logger: log})
	stopMigrating := func() {}
	if len(migrated) == 0 {
		mctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		stopMigrating = cancel
		go func() {
			migrated <- store.MigrateWhenReachable(mctx, pool, log, wcfg.MinBackoff, wcfg.MaxBackoff)
		}()
	}
	closeFn := func(ctx context.Context) {
		// The schema first (while ctx allows), so the writer can empty its
		// spool into it.
		select {
		case err := <-migrated:
			if err != nil && !errors.Is(err, context.Canceled) {
				log.Error("migrating the database", "error", err)
			}
		case <-ctx.Done():
			stopMigrating()
			<-migrated
		}
		stopMigrating()
		cbSpool.Close()
		if err := live.Close(ctx); err != nil {
			log.Warn("the ACD's last state changes were not written", "error", err)
		}
		if err := w.Close(ctx); err != nil {
			log.Warn("call records left in the spool for the next start", "error", err)
		}
		pool.Close()
	}
	return records{
		journeys: w, agents: store.NewAgentRecords(w, log),
		callbacks: store.NewACDCallbacks(callbacks, cbSpool), live: live, close: closeFn,
	}, nil
}

// logJourneys logs each finished call when there is no database.
type logJourneys struct{ log *slog.Logger }

func (l logJourneys) RecordJourney(_ context.Context, j *ivr.Journey) {
	l.log.Info("call journey", "call", j.CallID, "hotline", j.Hotline, "caller", j.Caller, "flow", j.Flow,
		"outcome", j.Outcome, "hung_up_by", j.HungUpBy, "steps", len(j.Events))
}

// fanout hands ARI events to the channel view and to the call engine.
type fanout []ivr.Handler

func (f fanout) Connected(ctx context.Context) error {
	for _, h := range f {
		if err := h.Connected(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (f fanout) Event(ctx context.Context, ev ari.Event) {
	for _, h := range f {
		h.Event(ctx, ev)
	}
}

func (f fanout) Disconnected(err error) {
	for _, h := range f {
		h.Disconnected(err)
	}
}
