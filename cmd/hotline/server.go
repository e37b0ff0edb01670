package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/hotline-ivr/hotline/ivr/recorder"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/complaints/followup"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/console/softphone"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// server is what serve runs: the ARI connection, the call engine and the
// ACD once attached, and the one HTTP surface (console.Server) for health,
// metrics, reports and the console's API, on http.listen and, when set,
// /metrics and /healthz on http.metrics_listen too.
type server struct {
	log     *slog.Logger
	conn    *ivr.Conn
	handler ivr.Handler // ARI's hints, and the ACD and engine once attached
	engine  *ivr.Engine
	acd     *acd.Service
	// softphone is the browser softphones' media gateway (nil when
	// disabled); its watchdog tells the ACD in phoneACD once attached.
	softphone       *softphone.Gateway
	phoneACD        atomic.Pointer[acd.Service]
	connCfg         ivr.ConnConfig
	consoleCfg      console.Config // the parts that do not change once attached
	console         *console.Server
	http            *http.Server
	metricsHTTP     *http.Server // nil without http.metrics_listen
	metricsLn       net.Listener // http.metrics_listen's, set before run
	shutdownTimeout time.Duration
	draining        atomic.Bool
	reports         *reportAPI // GET /api/reports; nil without a database
	// recParts stores and serves the recordings, recorder makes them;
	// both nil without a database.
	recParts *recordingParts
	recorder *recorder.Recorder
	// followups are the follow-up visits (nil without complaints): their
	// calls' events and journeys pass through it.
	followups *followup.Service
	// cluster is this server's part in the centre's shared queues (nil:
	// alone; see clustersetup.go).
	cluster *clusterPart
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
		shutdownTimeout: cfg.HTTP.ShutdownTimeout,
		connCfg:         connCfg,
	}
	s.handler = ariHints{log: log}
	if err := registerARIMetrics(meter, s.conn); err != nil {
		return nil, err
	}
	if err := registerARIRESTMetrics(meter, cfg.ARI.URL); err != nil {
		return nil, err
	}
	if err := registerACDMetrics(meter, s.phoneACD.Load); err != nil {
		return nil, err
	}
	s.consoleCfg = console.Config{
		Users: cfg.ConsoleUsers(), SessionTTL: cfg.Console.SessionTTL, PasswordChecks: cfg.Console.PasswordChecks,
		Health: serverHealth{s}, Metrics: metrics, MetricsToken: cfg.HTTP.MetricsToken,
		TrustedProxies: cfg.HTTP.TrustedProxyPrefixes(), SecureCookies: cfg.HTTP.SecureCookies,
		Logger: log.With("component", "console"),
		// The centre's day: the agent's "today", QA's report's dates.
		Location: cfg.Location(),
	}
	if cfg.Database.URL != "" {
		s.reports = newReportAPI(cfg.Database.URL, log)
		s.consoleCfg.Reports = s.reports
	}
	s.http = &http.Server{
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.HTTP.TLS.Enabled() {
		certs, err := loadCertFiles(cfg.HTTP.TLS.CertFile, cfg.HTTP.TLS.KeyFile)
		if err != nil {
			return nil, err
		}
		s.http.TLSConfig = &tls.Config{GetCertificate: certs.GetCertificate, MinVersion: tls.VersionTLS12}
	}
	if cfg.HTTP.MetricsListen != "" {
		s.metricsHTTP = &http.Server{
			ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
			ReadTimeout:       cfg.HTTP.ReadTimeout,
			WriteTimeout:      cfg.HTTP.WriteTimeout,
			IdleTimeout:       cfg.HTTP.IdleTimeout,
			MaxHeaderBytes:    maxHeaderBytes,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
	}
	// Last, as it starts goroutines: whoever gets the server closes it
	// (closeSoftphone).
	gw, err := softphoneGateway(cfg.Softphone, log.With("component", "softphone"), &s.phoneACD)
	if err != nil {
		return nil, fmt.Errorf("the softphone gateway: %w", err)
	}
	if gw != nil {
		s.softphone, s.consoleCfg.Softphone = gw, gw
		if err := registerSoftphoneMetrics(meter, gw.Stats); err != nil {
			s.closeSoftphone()
			return nil, err
		}
	}
	if err := s.serveConsole(nil, nil); err != nil {
		s.closeSoftphone()
		return nil, err
	}
	return s, nil
}

// maxHeaderBytes bounds a request's headers: the API's are a cookie or a
// token and a few short fields.
const maxHeaderBytes = 64 << 10

// serveConsole makes the HTTP surface, with the queues and flows when
// attached (nil: their endpoints answer 503).
func (s *server) serveConsole(centre console.ACD, flows console.Flows) error {
	cfg := s.consoleCfg
	cfg.ACD, cfg.Flows = centre, flows
	con, err := console.New(cfg)
	if err != nil {
		return fmt.Errorf("the console: %w", err)
	}
	s.console = con
	s.http.Handler = con
	if s.metricsHTTP != nil {
		s.metricsHTTP.Handler = con.MetricsHandler()
	}
	return nil
}

// serverHealth is what /healthz reports: ARI's socket, the engine's calls
// and the drain.
type serverHealth struct{ s *server }

func (h serverHealth) Health() console.HealthStatus {
	st := console.HealthStatus{ARIConnected: h.s.conn.Connected(), Draining: h.s.draining.Load()}
	if h.s.engine != nil {
		st.Calls = h.s.engine.Active()
	}
	return st
}

// serve serves srv on ln, over TLS when srv has a certificate.
func serve(srv *http.Server, ln net.Listener) error {
	if srv.TLSConfig != nil {
		return srv.ServeTLS(ln, "", "")
	}
	return srv.Serve(ln)
}

// run serves HTTP on ln (and the metrics listener, if any) and keeps ARI
// connected until ctx ends, then drains: /healthz turns 503 with status
// draining so that load balancers move away, while HTTP keeps serving (the
// console's API and its event streams) and ARI keeps bringing events; the
// calls in progress and the ACD get the shutdown timeout to finish; only
// then do HTTP and the ARI connection close. It returns nil after a drain,
// or what made the server stop otherwise.
func (s *server) run(ctx context.Context, ln net.Listener) error {
	ariCtx, stopARI := context.WithCancel(context.WithoutCancel(ctx))
	defer stopARI()
	var wg sync.WaitGroup
	ariDone := make(chan error, 1)
	httpDone := make(chan error, 2)
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
	tlsOn := s.http.TLSConfig != nil // read before Serve, which writes it
	wg.Go(func() { httpDone <- serve(s.http, ln) })
	s.log.Info("serving HTTP", "addr", ln.Addr().String(), "tls", tlsOn)
	if s.metricsHTTP != nil && s.metricsLn != nil {
		wg.Go(func() { httpDone <- s.metricsHTTP.Serve(s.metricsLn) })
		s.log.Info("serving metrics", "addr", s.metricsLn.Addr().String())
	}

	var failure error
	select {
	case <-ctx.Done():
		s.draining.Store(true) // before the log line, which tests wait on
		s.log.Info("draining: stop signal received")
	case err := <-httpDone:
		failure = fmt.Errorf("the HTTP server stopped: %w", err)
	case err := <-ariDone:
		failure = err // only a configuration that cannot work ends Run early
	}
	s.draining.Store(true)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.shutdownTimeout)
	defer cancel()
	if s.acd != nil {
		// Callers still queued when the drain times out stay in Asterisk
		// (conversations in their bridges) for the next instance.
		s.acd.Stopping()
	}
	if s.engine != nil {
		// Calls in progress finish (or are cut at the timeout) while the ARI
		// connection still brings their events and HTTP still serves.
		if err := s.engine.Drain(shutdownCtx); err != nil {
			s.log.Warn("calls still up when the drain timed out are left to the next instance", "calls", s.engine.Active(), "error", err)
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
	// Only now HTTP: the event streams end, requests in flight get what is
	// left of the timeout, and the reports' pool closes after them.
	s.console.Close()
	for _, srv := range []*http.Server{s.http, s.metricsHTTP} {
		if srv == nil {
			continue
		}
		if err := srv.Shutdown(shutdownCtx); err != nil {
			s.log.Warn("HTTP requests still running when the drain timed out; closing them",
				"timeout", s.shutdownTimeout, "error", err)
			srv.Close()
		}
	}
	s.reports.close()
	// The browsers' connections end with the calls they carried.
	s.closeSoftphone()
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
	center, err := queue.New(queue.Config{Queues: cfg.QueueConfigs(), Location: cfg.Location(), SharedRouting: s.cluster != nil})
	if err != nil {
		return fmt.Errorf("the queues: %w", err)
	}
	for _, a := range cfg.Agents {
		if err := center.SetAgent(a.AgentConfig()); err != nil {
			return fmt.Errorf("the agents: %w", err)
		}
	}
	seedToday(center, rec.queueTotals, s.log)
	reconcile := func(context.Context) ([]string, error) {
		keys, err := appChannels{apps: rest.Application(), name: s.connCfg.Application}.List(nil)
		ids := make([]string, len(keys))
		for i, k := range keys {
			ids[i] = k.ID
		}
		return ids, err
	}
	var calls ivr.Recorder // nil: nothing is recorded
	if s.recParts != nil {
		r, err := recorder.New(recorder.Config{
			URL: cfg.ARI.URL, Username: cfg.ARI.Username, Password: cfg.ARI.Password, Application: s.connCfg.Application,
			Pipeline: s.recParts.pipeline, Logger: s.log.With("component", "recorder"),
		})
		if err != nil {
			return fmt.Errorf("the recorder: %w", err)
		}
		s.recorder, calls = r, r
	}
	var shared acd.Shared // nil: this server alone
	var centreTotals acd.CentreTotalsFunc
	if s.cluster != nil {
		shared = s.cluster.router
		if rec.queueTotals != nil {
			centreTotals = acd.CentreTotalsFunc(rec.queueTotals) // every server's calls are in the records
		}
	}
	svc, err := acd.New(acd.Config{
		Shared: shared, CentreTotals: centreTotals,
		Center: center, PBX: acd.NewPBX(rest, s.connCfg.Application), Logger: s.log.With("component", "acd"),
		CustomerEndpoint: cfg.Callbacks.CustomerEndpoint, CallerID: cfg.Callbacks.CallerID,
		Callbacks: drainGate{rec.callbacks, &s.draining}, Instance: cfg.Instance.Name,
		CallbackAttempts: cfg.Callbacks.Attempts, CallbackRetryDelay: cfg.Callbacks.RetryDelay,
		CallbackRingTimeout: cfg.Callbacks.RingTimeout,
		Records:             rec.agents,
		Dispositions:        cfg.DispositionCodes(),
		Reconcile:           reconcile,
		Live:                rec.live,
		Recorder:            conversationRecorder(cfg, calls),
		Softphones:          s.softphones(cfg),
	})
	if err != nil {
		return err
	}
	s.cluster.takeCallbacksWith(svc.TakeCallbacks)
	durations, err := promptDurations()
	if err != nil {
		return err
	}
	journeys := rec.journeys
	if s.followups != nil {
		journeys = s.followups.Journeys(journeys) // the follow-up calls' answers
	}
	s.engine = ivr.NewEngine(ivr.EngineConfig{
		Flows: flows.reg, Media: ivr.NewMedia(rest), Queues: svc, Journeys: journeys, Logger: s.log,
		Reconcile: reconcile, Durations: durations, Handoffs: rec.handoffs,
		Trunk:    ivr.TrunkConfig{Endpoint: cfg.Transfers.Endpoint, RingTimeout: cfg.Transfers.RingTimeout},
		Recorder: calls, RecordIVR: cfg.Recordings.RecordsIVR,
	})
	s.acd = svc
	s.phoneACD.Store(svc)
	var engine ivr.Handler = s.engine
	if s.recorder != nil {
		engine = s.recorder.Handler(engine) // the snoop channels' events go to the recorder
	}
	events := svc.Handler(engine)
	if s.followups != nil {
		events = s.followups.Handler(events) // sees its own channels first
	}
	hints := ariHints{log: s.log}
	if s.cluster != nil {
		hints.systemName = func() (string, error) {
			info, err := rest.Asterisk().Info(nil)
			if err != nil {
				return "", err
			}
			return info.ConfigInfo.Name, nil
		}
	}
	s.handler = fanout{hints, events}
	if s.recParts != nil {
		s.consoleCfg.PCI = svc
	}
	s.consoleCfg.Dispositioner = svc
	for _, d := range cfg.Dispositions {
		s.consoleCfg.Dispositions = append(s.consoleCfg.Dispositions, console.DispositionView{Code: d.Code, Kind: d.Kind, Zh: d.Zh, En: d.En})
	}

	if len(s.consoleCfg.Users) == 0 {
		s.log.Warn("console.users is empty: nobody can sign in to the console")
	}
	if err := s.serveConsole(svc, flows); err != nil {
		return err
	}
	s.log.Info("contact centre ready", "queues", len(cfg.Queues), "agents", len(cfg.Agents), "console_users", len(s.consoleCfg.Users))
	return nil
}

// conversationRecorder is the ACD's recorder: none when recordings.conversations
// is false (queues[].record turns it off per queue).
func conversationRecorder(cfg config.Config, r ivr.Recorder) ivr.Recorder {
	if !cfg.Recordings.Conversations {
		return nil
	}
	return r
}
