package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/recordings"
)

// telemetryFlushTimeout bounds the last export of traces and metrics on exit.
const telemetryFlushTimeout = 5 * time.Second

const serveHelp = `Usage: hotline serve [--config FILE]

Connects to Asterisk ARI as configured in FILE (default hotline.yaml), keeps
the application's events socket up, reconnecting with backoff, and serves on
http.listen (HTTPS with http.tls):

  /healthz   200 while ARI is connected, 503 otherwise or while draining;
             JSON; open to anyone
  /metrics   Prometheus metrics, including hotline_ari_connected and
             hotline_ivr_calls_active: with the bearer token of
             HOTLINE_METRICS_TOKEN, or on http.metrics_listen
  /api/...   the console's API for console.users: POST /api/login, the
             live queues, agents and calls (/api/stream: server-sent
             events), the agents' states, hold and transfer, supervisors'
             listen-in from their own device, GET /api/reports (call
             reports as JSON, see "hotline report", when DATABASE_URL is
             set) and POST /api/admin/flows/reload; every request but
             sign-in needs a session whose role allows it

Calls reaching Stasis run on the flows of flows.dir (SIGHUP, or the admin
API, reloads them; a flow whose queue node names a queue queues: lacks is
not loaded); versions go by contents, kept in PostgreSQL when DATABASE_URL
is set, else in memory from 1 at every start. Once ARI is connected, and
after every reload, serve asks Asterisk for every sound the flows and
queues play and logs the missing ones with the fix ("hotline prompts
install DIR"); their queue nodes hand callers to the queues: agents
are rung at their devices, callers wait with music and announcements and
may book a call-back, dialled at callbacks.customer_endpoint. Journeys,
agents' states and call-back requests go to PostgreSQL when DATABASE_URL
is set; else journeys and states go to the log and call-backs are kept in
memory.

Environment:
  HOTLINE_ARI_PASSWORD  password of the ARI user (required)
  DATABASE_URL          PostgreSQL URL: call records and reports; migrated at start
  HOTLINE_METRICS_TOKEN bearer token a scraper sends for /metrics
  OTEL_*                standard OpenTelemetry exporter settings; OTLP is on
                        when telemetry.otlp_endpoint is set

SIGTERM or SIGINT drains: /healthz turns 503 ("status":"draining") while
HTTP keeps serving the console; calls in progress (and callers waiting in
queues) get http.shutdown_timeout to finish, no customer is dialled for a
call-back any more (the request waits for the next start); then HTTP stops
and the ARI connection closes. A second signal stops at once.

Flags:
  --config FILE   configuration file (default hotline.yaml); check it with
                  "hotline config check FILE"
`

var serveCommand = command{
	name:    "serve",
	summary: "run the IVR, queues and console API against Asterisk ARI",
	help:    serveHelp,
	run:     runServe,
}

func runServe(ctx context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("serve", flag.ContinueOnError)
	path := flags.String("config", "hotline.yaml", "")
	if err := parseFlags(flags, args, e, serveHelp); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("serve takes no arguments, got %q", flags.Args()), help: serveHelp}
	}
	cfg, err := loadServeConfig(*path, e.getenv)
	if err != nil {
		return err
	}
	return runServer(ctx, e, cfg, nil, dirFlows(cfg.Flows.Dir), "config", *path, nil)
}

// sidecar is work that runs beside the server for as long as it serves
// (the demo's simulated callers and agents); it returns when ctx ends.
type sidecar func(ctx context.Context, log *slog.Logger, centre *acd.Service)

// runServer sets up logging, telemetry and the HTTP timeouts, then serves
// cfg until SIGTERM/SIGINT (or ctx) and drains. source names where cfg came
// from, for the start-up log line. ln, when not nil, is the HTTP listener
// to serve on instead of http.listen; flows reads the call flows (again on
// SIGHUP).
func runServer(ctx context.Context, e *env, cfg config.Config, ln net.Listener, flows flowFiles, sourceKey, source string, side sidecar) error {
	log := newLogger(cfg.Log, e.stderr)
	installHTTPTimeouts(cfg.ARI.RequestTimeout)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, the default action returns: a second one
	// stops the process without waiting for the drain.
	defer context.AfterFunc(ctx, stop)()

	tel, err := startTelemetry(ctx, cfg.Telemetry, moduleVersion(), log)
	if err != nil {
		return err
	}
	defer func() {
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), telemetryFlushTimeout)
		defer cancel()
		if err := tel.shutdown(flushCtx); err != nil {
			log.Warn("telemetry did not flush on exit", "error", err)
		}
	}()

	s, err := newServer(cfg, log, tel.meter(), tel.metrics)
	if err != nil {
		return err
	}
	defer s.closeSoftphone() // when run never comes
	rec, err := openRecords(ctx, cfg.Database, cfg.Instance.Name, log)
	if err != nil {
		return err
	}
	defer func() {
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.HTTP.ShutdownTimeout)
		defer cancel()
		rec.close(flushCtx)
	}()
	if rec.ping != nil {
		if err := registerStoreMetrics(tel.meter(), rec.ping); err != nil {
			return err
		}
	}
	if rec.recordings != nil {
		if err := registerRecordingMetrics(tel.meter(), rec.recordings.Backlog); err != nil {
			return err
		}
	}
	recParts, err := openRecordingParts(ctx, cfg, rec, log)
	if err != nil {
		return err
	}
	s.consoleCfg.History = rec.history
	if recParts != nil {
		s.consoleCfg.Recordings = recParts.archive
		s.recParts = recParts
	}
	// The recordings' pipeline runs until the drain is over, so that the
	// conversations that end during it are stored too.
	var recWG sync.WaitGroup
	recCtx, stopRec := context.WithCancel(context.WithoutCancel(ctx))
	recWG.Go(func() { recParts.run(recCtx) })
	defer recWG.Wait()
	defer stopRec()
	var archive *recordings.Archive
	if recParts != nil {
		archive = recParts.archive
	}
	qa, err := openQA(cfg, rec, archive, log)
	if err != nil {
		return err
	}
	if qa != nil {
		s.consoleCfg.QA = qa
		// The sampler picks the week's calls for review until the drain
		// ends, with the recordings' pipeline.
		recWG.Go(func() { qa.Run(recCtx, cfg.QA.SampleEvery) })
	}
	// The complaint workflow's notices also tell the console of the
	// moment (attachCalls makes a new one), so that its pages update; the
	// notices come once attachCalls is done (the scan starts after it,
	// the API is served after it).
	cmp, err := openComplaints(cfg, rec, complaintMessages(recParts), func() *console.Server { return s.console }, e.clock, log)
	if err != nil {
		return err
	}
	if cmp != nil {
		s.consoleCfg.Complaints = cmp.svc
	}
	fs := &flowSet{reg: newFlowRegistry(cfg, rec.flowVersions), read: flows, log: log}
	if err := loadFlows(ctx, fs.reg, flows, log); err != nil {
		return err
	}
	// The follow-up visits dial customers through ARI and hear of their
	// calls from the engine (attachCalls wraps its events and journeys).
	fu, err := openFollowups(cfg, rec, cmp, fs, ivr.NewRESTClient(s.connCfg), func() *console.Server { return s.console }, e.clock, log)
	if err != nil {
		return fmt.Errorf("followup: %w", err)
	}
	if fu != nil {
		s.followups, s.consoleCfg.FollowUps = fu, fu
	}
	s.consoleCfg.AgentTeams = cfg.AgentTeams()
	// With other servers of the centre, the queues are shared: joined
	// before the ACD starts, left once it has stopped (after run).
	if s.cluster, err = openCluster(ctx, cfg, rec.pool, e.clock, log); err != nil {
		return err
	}
	defer func() {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		s.cluster.close(lctx)
	}()
	if err := s.attachCalls(cfg, fs, rec); err != nil {
		return err
	}
	if fu != nil {
		// No customer is dialled once the drain starts (ctx ends); the
		// calls under way end in the engine, their results kept.
		recWG.Go(func() {
			if err := fu.Run(ctx); err != nil {
				log.Error("followup: the follow-up visits stopped", "error", err)
			}
		})
	}
	if cmp != nil {
		// The clocks are scanned and the notices delivered until the drain
		// ends, with the recordings' pipeline.
		recWG.Go(func() { cmp.run(recCtx, cfg.Complaints.ScanEvery, log) })
	}
	sounds := newSoundCheck(s.connCfg, fs.reg, log)
	s.handler, fs.reloaded = fanout{s.handler, sounds}, sounds.request
	var soundsWG sync.WaitGroup
	soundsCtx, stopSounds := context.WithCancel(ctx)
	soundsWG.Go(func() { sounds.run(soundsCtx) })
	defer soundsWG.Wait()
	defer stopSounds()
	var hupWG sync.WaitGroup
	hupCtx, stopHUP := context.WithCancel(ctx)
	hupWG.Go(func() { reloadOnHUP(hupCtx, fs, log) })
	defer hupWG.Wait()
	defer stopHUP()
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.HTTP.Listen); err != nil {
			return fmt.Errorf("cannot listen on http.listen %q: %w", cfg.HTTP.Listen, err)
		}
	}
	if cfg.HTTP.MetricsListen != "" {
		if s.metricsLn, err = net.Listen("tcp", cfg.HTTP.MetricsListen); err != nil {
			ln.Close()
			return fmt.Errorf("cannot listen on http.metrics_listen %q: %w", cfg.HTTP.MetricsListen, err)
		}
	} else if cfg.HTTP.MetricsToken == "" {
		log.Info("/metrics is not served: set http.metrics_listen to a private address, or " + config.EnvMetricsToken + " for a scraper's bearer token")
	}
	log.Info("hotline starting", "version", moduleVersion(), sourceKey, source, "http", ln.Addr().String(),
		slog.Group("ari", "url", cfg.ARI.URL, "username", cfg.ARI.Username, "application", cfg.ARI.Application))
	if side != nil {
		var wg sync.WaitGroup
		sideCtx, stopSide := context.WithCancel(ctx)
		wg.Go(func() { side(sideCtx, log, s.acd) })
		defer wg.Wait()
		defer stopSide()
	}
	err = s.run(ctx, ln)
	if s.recorder != nil {
		// The recordings of the last calls go to the pipeline before it stops.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.HTTP.ShutdownTimeout)
		if ferr := s.recorder.Flush(fctx); ferr != nil {
			log.Warn("recordings not handed to storage at exit: their files stay on Asterisk", "error", ferr)
		}
		cancel()
	}
	return err
}

// loadServeConfig loads the file and the secrets from the environment, and
// says what to do when either is missing or wrong.
func loadServeConfig(path string, getenv func(string) string) (config.Config, error) {
	cfg, data, err := readConfigFile(path, "pass --config FILE, or start from deploy/hotline.example.yaml")
	if err != nil {
		return cfg, err
	}
	// What "config check" says of flows.dir, serve says too.
	if ps := config.CheckFlowsDir(path, data, cfg); len(ps) > 0 {
		return cfg, fmt.Errorf("the config file has %d problem(s):\n%w", len(ps), ps)
	}
	card, ps := config.LoadScorecard(path, data, cfg)
	if len(ps) > 0 {
		return cfg, fmt.Errorf("qa.scorecard has %d problem(s):\n%w", len(ps), ps)
	}
	cfg.QA.Card = card
	if err := cfg.ApplyEnv(getenv); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// readConfigFile reads and parses the config file at path; missing says
// what to do when there is none.
func readConfigFile(path, missing string) (config.Config, []byte, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return config.Config{}, nil, fmt.Errorf("no config file at %s: %s", path, missing)
	case err != nil:
		return config.Config{}, nil, fmt.Errorf("cannot read the config file: %w", err)
	}
	cfg, err := config.Parse(path, data)
	var problems config.Problems
	switch {
	case errors.As(err, &problems):
		return cfg, data, fmt.Errorf("the config file has %d problem(s):\n%w", len(problems), err)
	case err != nil:
		return cfg, data, fmt.Errorf("cannot read the config file: %w", err)
	}
	return cfg, data, nil
}
