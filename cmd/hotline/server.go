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
	"github.com/hotline-ivr/hotline/ivr"
)

// server is what serve runs: the ARI connection with its view of the
// application, and the HTTP server for health and metrics.
type server struct {
	log             *slog.Logger
	conn            *ivr.Conn
	view            *appView
	handler         ivr.Handler // the view, and the engine once attached
	engine          *ivr.Engine
	connCfg         ivr.ConnConfig
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
	if s.engine != nil {
		// Calls in progress finish (or are cut at the timeout) while the ARI
		// connection still brings their events; new calls meet the dialplan's
		// fallback once the application is gone.
		if err := s.engine.Drain(shutdownCtx); err != nil {
			s.log.Warn("calls still up when the drain timed out; they were ended", "calls", s.engine.Active(), "error", err)
		}
	}
	stopARI()
	wg.Wait()
	if failure != nil && !errors.Is(failure, http.ErrServerClosed) {
		return failure
	}
	s.log.Info("drained")
	return nil
}

// attachEngine runs calls on flows: the engine joins the channel view on
// the ARI connection.
func (s *server) attachEngine(flows ivr.Flows, journeys ivr.JourneySink) {
	rest := ivr.NewRESTClient(s.connCfg)
	s.engine = ivr.NewEngine(ivr.EngineConfig{
		Flows: flows, Media: ivr.NewMedia(rest), Journeys: journeys, Logger: s.log,
		Reconcile: func(context.Context) ([]string, error) {
			keys, err := appChannels{apps: rest.Application(), name: s.connCfg.Application}.List(nil)
			ids := make([]string, len(keys))
			for i, k := range keys {
				ids[i] = k.ID
			}
			return ids, err
		},
	})
	s.handler = fanout{s.view, s.engine}
}
