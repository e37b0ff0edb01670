package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// server is what serve runs: the ARI connection with its view of the
// application, the call engine and the ACD once attached, and the HTTP
// server for health, metrics, reports and the console's API.
type server struct {
	log             *slog.Logger
	conn            *ivr.Conn
	view            *appView
	handler         ivr.Handler // the view, and the ACD and engine once attached
	engine          *ivr.Engine
	acd             *acd.Service
	connCfg         ivr.ConnConfig
	mux             *http.ServeMux
	http            *http.Server
	shutdownTimeout time.Duration
	draining        atomic.Bool
	reports         *reportAPI // GET /api/reports; nil without a database
}

// newServer wires a server from a validated configuration. metrics serves
// /metrics; meter records the server's own gauges.
func newServer(cfg config.Config, log *slog.Logger, meter metric.Meter, metrics http.Handler) (*server, error) {
	connCfg := ivr.ConnConfig{
		URL:         cfg.ARI.URL,
		Username:    cfg.ARI.Username,
		Password:    cfg.ARI.Password,
		Application: cfg.ARI.Application,
		MinBackoff:  cfg.ARI.Reconnect.MinBackoff,
		MaxBackoff:  cfg.ARI.Reconnect.MaxBackoff,
		Logger:      log,
	}
	s := &server{
		log:             log,
		conn:            ivr.NewConn(connCfg),
		view:            newAppView(log, appChannels{apps: ivr.NewRESTClient(connCfg).Application(), name: cfg.ARI.Application}),
		shutdownTimeout: cfg.HTTP.ShutdownTimeout,
		connCfg:         connCfg,
	}
	s.handler = s.view
	if err := registerARIMetrics(meter, s.conn, s.view); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", &health{ari: s.conn, channels: s.view, draining: &s.draining})
	mux.Handle("GET /metrics", metrics)
	if cfg.Database.URL != "" {
		s.reports = newReportAPI(cfg.Database.URL, log)
		mux.Handle("GET /api/reports", s.reports)
	}
	s.mux = mux
	s.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// run serves HTTP on ln and keeps ARI connected until ctx ends, then drains:
// /healthz turns 503 so that load balancers move away, HTTP requests get
// the shutdown timeout to finish, and only then does the ARI connection
// close, so that calls in progress keep their events to the end. It returns
// nil after a drain, or what made the server stop otherwise.
func (s *server) run(ctx context.Context, ln net.Listener) error {
	ariCtx, stopARI := context.WithCancel(context.WithoutCancel(ctx))
	defer stopARI()
	var wg sync.WaitGroup
	ariDone := make(chan error, 1)
	httpDone := make(chan error, 1)
	// The ACD runs from before the first call to after the last: the
	// drain below stops it once the engine's calls are over.
	acdCtx, stopACD := context.WithCancel(context.WithoutCancel(ctx))
	defer stopACD()
	acdDone := make(chan struct{})
	if s.acd != nil {
		go func() {
			defer close(acdDone)
			_ = s.acd.Run(acdCtx) // it returns nil when acdCtx ends
		}()
	} else {
		close(acdDone)
	}
	wg.Go(func() { ariDone <- s.conn.Run(ariCtx, s.handler) })
	wg.Go(func() { httpDone <- s.http.Serve(ln) })
	s.log.Info("serving HTTP", "addr", ln.Addr().String())

	var failure error
	select {
	case <-ctx.Done():
		s.log.Info("draining: stop signal received")
	case err := <-httpDone:
		failure = fmt.Errorf("the HTTP server stopped: %w", err)
	case err := <-ariDone:
		failure = err // only a configuration that cannot work ends Run early
	}
	s.draining.Store(true)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.shutdownTimeout)
	defer cancel()
	if err := s.http.Shutdown(shutdownCtx); err != nil {
		s.log.Warn("HTTP requests still running when the drain timed out; closing them",
			"timeout", s.shutdownTimeout, "error", err)
		s.http.Close()
	}
	s.reports.close()
	if s.acd != nil {
		// Callers still queued when the drain times out stay in Asterisk
		// (conversations in their bridges) for the next instance.
		s.acd.Stopping()
	}
	if s.engine != nil {
		// Calls in progress finish (or are cut at the timeout) while the ARI
		// connection still brings their events; new calls meet the dialplan's
		// fallback once the application is gone.
		if err := s.engine.Drain(shutdownCtx); err != nil {
			s.log.Warn("calls still up when the drain timed out; they were ended", "calls", s.engine.Active(), "error", err)
		}
	}
	// Then the ACD: its Run returns once the call-backs under way are
	// over, which needs ARI's events (no new customer is dialled while
	// draining: see drainGate). One that outlasts the drain is left to end
	// with the process; if its customer was still being dialled, the next
	// start's recovery makes the request pending again.
	stopACD()
	select {
	case <-acdDone:
	case <-shutdownCtx.Done():
		s.log.Warn("call-backs still connected when the drain timed out; they end with the process", "timeout", s.shutdownTimeout)
	}
	stopARI()
	wg.Wait()
	if failure != nil && !errors.Is(failure, http.ErrServerClosed) {
		return failure
	}
	s.log.Info("drained")
	return nil
}

// attachCalls runs calls on the flows, and puts the ACD (the queues and
// agents of cfg) between ARI and the engine, and the console's API on the
// HTTP server. rec keeps what the calls and agents leave behind.
func (s *server) attachCalls(cfg config.Config, flows *flowSet, rec records) error {
	rest := ivr.NewRESTClient(s.connCfg)
	center, err := queue.New(queue.Config{Queues: cfg.QueueConfigs()})
	if err != nil {
		return fmt.Errorf("the queues: %w", err)
	}
	for _, a := range cfg.Agents {
		if err := center.SetAgent(a.AgentConfig()); err != nil {
			return fmt.Errorf("the agents: %w", err)
		}
	}
	reconcile := func(context.Context) ([]string, error) {
		keys, err := appChannels{apps: rest.Application(), name: s.connCfg.Application}.List(nil)
		ids := make([]string, len(keys))
		for i, k := range keys {
			ids[i] = k.ID
		}
		return ids, err
	}
	svc, err := acd.New(acd.Config{
		Center: center, PBX: acd.NewPBX(rest, s.connCfg.Application), Logger: s.log.With("component", "acd"),
		CustomerEndpoint: cfg.Callbacks.CustomerEndpoint, CallerID: cfg.Callbacks.CallerID,
		Callbacks: drainGate{rec.callbacks, &s.draining}, Instance: cfg.Instance.Name,
		CallbackAttempts: cfg.Callbacks.Attempts, CallbackRetryDelay: cfg.Callbacks.RetryDelay,
		CallbackRingTimeout: cfg.Callbacks.RingTimeout,
		Records:             rec.agents,
		Reconcile:           reconcile,
		Live:                rec.live,
	})
	if err != nil {
		return err
	}
	s.engine = ivr.NewEngine(ivr.EngineConfig{
		Flows: flows.reg, Media: ivr.NewMedia(rest), Queues: svc, Journeys: rec.journeys, Logger: s.log,
		Reconcile: reconcile,
	})
	s.acd = svc
	s.handler = fanout{s.view, svc.Handler(s.engine)}

	users := cfg.ConsoleUsers()
	if len(users) == 0 {
		s.log.Warn("console.users is empty: nobody can sign in to the console")
	}
	con, err := console.New(console.Config{
		Users: users, ACD: svc, Flows: flows, SessionTTL: cfg.Console.SessionTTL,
		Logger: s.log.With("component", "console"),
	})
	if err != nil {
		return fmt.Errorf("the console: %w", err)
	}
	s.mux.Handle("/api/", con)
	s.http.RegisterOnShutdown(con.Close)
	s.log.Info("contact centre ready", "queues", len(cfg.Queues), "agents", len(cfg.Agents), "console_users", len(users))
	return nil
}
