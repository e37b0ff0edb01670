package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/prompts"
	"github.com/hotline-ivr/hotline/store"
)

// flowNumberingTimeout bounds the wait for the database to number the
// versions of the flows at a load.
const flowNumberingTimeout = 5 * time.Second

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

// newFlowRegistry returns the registry serve loads the flows into: it
// knows the configured queues and complaint categories, so that a flow
// naming another is not loaded, and numbers versions with versions (nil: in memory, from 1 at
// every start).
func newFlowRegistry(cfg config.Config, versions callflow.VersionStore) *callflow.Registry {
	reg := &callflow.Registry{}
	names := make([]string, len(cfg.Queues))
	for i, q := range cfg.Queues {
		names[i] = q.Name
	}
	reg.SetQueues(names)
	// A complaint node's category must be a configured one (when the
	// complaints are: else its complaints wait in the journeys).
	reg.SetComplaintCategories(slices.Sorted(maps.Keys(cfg.ComplaintCategories())))
	if versions != nil {
		reg.SetVersions(versions)
	}
	return reg
}

// loadFlows (re)loads the flows into reg and logs what changed. Invalid
// files never replace valid versions; their problems are logged.
func loadFlows(ctx context.Context, reg *callflow.Registry, read flowFiles, log *slog.Logger) error {
	report, err := reloadFlows(ctx, reg, read, log)
	if err != nil && len(report.Problems) == 0 {
		return err
	}
	return nil
}

// reloadFlows reads the flow files, loads them into reg and logs what
// changed; it returns what Registry.Load does, or why the files could not
// be read.
func reloadFlows(ctx context.Context, reg *callflow.Registry, read flowFiles, log *slog.Logger) (callflow.Report, error) {
	files, err := read()
	if err != nil {
		return callflow.Report{}, err
	}
	// PostgreSQL numbers new versions; a database that does not answer
	// must not keep the flows from calls: past the timeout they are used
	// at version 0, numbered at the next reload.
	numberCtx, cancel := context.WithTimeout(ctx, flowNumberingTimeout)
	defer cancel()
	report, err := reg.LoadContext(numberCtx, files)
	for _, f := range report.Loaded {
		log.Info("flow loaded", "flow", f.Name, "version", f.Version, "file", f.File, "numbers", f.Numbers)
	}
	if report.VersionErr != nil {
		log.Warn("flows in use at version 0: their versions could not be numbered; the next reload numbers them",
			"flows", report.Unnumbered, "error", report.VersionErr)
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
	reg      *callflow.Registry
	read     flowFiles
	log      *slog.Logger
	reloaded func()     // after every reload, when not nil: checks the prompts
	mu       sync.Mutex // one reload at a time
}

// Reload reads the flow files again; see Registry.Load. It implements
// console.Flows.
func (f *flowSet) Reload(ctx context.Context) (callflow.Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rep, err := reloadFlows(ctx, f.reg, f.read, f.log)
	if f.reloaded != nil {
		f.reloaded()
	}
	return rep, err
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
	handoffs  ivr.Handoffs      // calls left by a stopped instance; nil without a database
	live      acd.LiveStore     // agents' states and queued callers across restarts; nil without a database
	// flowVersions numbers the flows' versions; nil without a database
	// (versions are then kept in memory, from 1 at every start).
	flowVersions callflow.VersionStore
	// recordings holds the recordings' rows, markers and audit; nil
	// without a database (nothing is recorded then).
	recordings *store.Recordings
	// history reads the call records for the console's screen pop and
	// agent day; nil without a database.
	history console.History
	// qa keeps quality assurance's work; nil without a database.
	qa *store.QA
	// complaints keeps the complaints, notices their notices' outbox;
	// nil without a database.
	complaints *store.Complaints
	notices    *store.Notices
	// ping asks PostgreSQL whether it answers (hotline.store.up); nil
	// without a database.
	ping func(context.Context) error
	// followups keeps the follow-up visits; nil without a database.
	followups *store.Followups
	// pool is the database's (the cluster shares the queues through it);
	// nil without a database.
	pool  *pgxpool.Pool
	close func(context.Context)

	// queueTotals reads the queues' totals of a period (seedToday); nil
	// without a database.
	queueTotals queueTotalsFunc
}

// handoffAge is how long a call's handoff is kept for the next instance:
// older ones are of calls that ended while no instance ran.
const handoffAge = time.Hour

// openRecords connects to PostgreSQL, migrates it and starts the
// call-records writer; without a database URL journeys and agents' records
// are only logged, and call-back requests kept in memory.
func openRecords(ctx context.Context, cfg config.Database, instance string, log *slog.Logger) (records, error) {
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
	handoffs := store.NewHandoffs(pool, instance, nil)
	if len(migrated) > 0 { // PostgreSQL answers: tidy up now; else at the next start
		if n, err := handoffs.Expire(ctx, handoffAge); err != nil {
			log.Warn("expiring old call handoffs", "error", err)
		} else if n > 0 {
			log.Info("call handoffs nobody adopted were expired", "calls", n)
		}
	}
	return records{
		journeys: w, agents: store.NewAgentRecords(w, log),
		callbacks: store.NewACDCallbacks(callbacks, cbSpool), live: live, handoffs: handoffs, close: closeFn,
		flowVersions: store.NewFlowVersions(pool), recordings: store.NewRecordings(pool, nil), history: storeHistory{pool},
		queueTotals: storeQueueTotals(pool), qa: store.NewQA(pool, nil),
		complaints: store.NewComplaints(pool), notices: store.NewNotices(pool, nil), followups: store.NewFollowups(pool),
		ping: func(ctx context.Context) error { return store.Ping(ctx, pool) }, pool: pool,
	}, nil
}

// promptDurations is how long each shipped prompt plays, from its WAV
// data: the engine bounds its waits for the end of a prompt with it.
func promptDurations() (ivr.Durations, error) {
	return ivr.SoundDurations(prompts.FS(), "hotline/")
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
