package console

import (
	"context"
	"crypto/sha256"
	"log/slog"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/crypto/bcrypt"

	"github.com/hotline-ivr/hotline/console/softphone"
	"github.com/hotline-ivr/hotline/recordings"
)

// Server is the hotline's HTTP surface. Create one with New; it is an
// http.Handler, and MetricsHandler serves a private metrics listener. Call
// its Close before http.Server.Shutdown (or register it with
// RegisterOnShutdown), so that the event streams end and a graceful
// shutdown does not wait on them.
type Server struct {
	acd        ACD        // nil: not on this server
	streams    streamHub  // the event streams' shared snapshots
	flows      Flows      // nil: not on this server
	reports    Reports    // nil: not on this server
	recordings Recordings // nil: not on this server
	pci        PCIControl // nil: not on this server
	// phone is the browser softphones' media plane (nil: none here).
	phone *softphone.Gateway
	// dispositions takes the agents' wrap-up codes (nil: not on this
	// server); dispositionCodes lists them.
	dispositions     Dispositioner
	dispositionCodes []DispositionView
	history          History    // nil: not on this server
	qa               QA         // nil: not on this server
	complaints       Complaints // nil: not on this server
	complaintEvents  complaintHub
	followUps        FollowUps         // nil: not on this server
	teams            map[string]string // each agent's team (工号 -> team)
	lastCalls        callMemo          // each agent's last call, for its complaints
	location         *time.Location
	healthSrc        Health // nil: no /healthz
	metricsSrc       http.Handler
	metricsToken     []byte // sha256 of Config.MetricsToken; nil: none
	proxies          []netip.Prefix
	secureCookies    bool
	clock            clockwork.Clock
	log              *slog.Logger
	users            map[string]User // by name
	dummy            []byte          // a bcrypt hash to check unknown users' passwords against
	auth             *sessions
	guard            *throttle
	checks           chan struct{}                     // one token per password check running
	compare          func(hash, password []byte) error // bcrypt's; tests count the checks
	app              http.Handler                      // the browser application (package web)
	routes           http.Handler
	patterns         []string // routes' patterns, in the order handler registers them
	metricsRoutes    http.Handler

	closeOnce sync.Once
	done      chan struct{} // closed by Close
}

// New returns a Server for cfg, or every problem with cfg.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{
		acd:        cfg.ACD,
		flows:      cfg.Flows,
		reports:    cfg.Reports,
		recordings: cfg.Recordings,
		pci:        cfg.PCI,
		phone:      cfg.Softphone,

		dispositions: cfg.Dispositioner, dispositionCodes: cfg.Dispositions,
		history: cfg.History, location: cfg.Location, qa: cfg.QA, complaints: cfg.Complaints,
		followUps: cfg.FollowUps, teams: maps.Clone(cfg.AgentTeams),
		healthSrc:     cfg.Health,
		metricsSrc:    cfg.Metrics,
		proxies:       slices.Clone(cfg.TrustedProxies),
		secureCookies: cfg.SecureCookies,
		clock:         cfg.Clock,
		log:           cfg.Logger,
		users:         map[string]User{},
		auth:          newSessions(cfg.Clock, cfg.SessionTTL),
		guard:         newThrottle(cfg.Clock),
		checks:        make(chan struct{}, cfg.PasswordChecks),
		compare:       bcrypt.CompareHashAndPassword,
		done:          make(chan struct{}),
	}
	if cfg.MetricsToken != "" {
		h := sha256.Sum256([]byte(cfg.MetricsToken))
		s.metricsToken = h[:]
	}
	cost := bcrypt.DefaultCost
	for i, u := range cfg.Users {
		s.users[u.Name] = u
		if c, _ := bcrypt.Cost([]byte(u.PasswordHash)); i == 0 || c > cost {
			cost = c
		}
	}
	// Unknown names are checked against this hash, at the users' highest
	// cost, so that a wrong name takes as long to refuse as a wrong
	// password.
	dummy, err := bcrypt.GenerateFromPassword([]byte("no such user"), cost)
	if err != nil {
		return nil, err
	}
	s.dummy = dummy
	s.auth.expired = s.signedOut
	s.streams.seen = s.lastCalls.rememberCalls
	if s.app, err = newApp(); err != nil {
		return nil, err
	}
	s.routes = s.handler()
	s.metricsRoutes = s.metricsHandler()
	return s, nil
}

// ServeHTTP serves every HTTP route of the server: the console's API, the
// reports, /healthz and (with the metrics token) /metrics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.routes.ServeHTTP(w, r) }

// MetricsHandler serves GET /metrics, and GET /healthz, for a second
// listener on a private address: there the metrics need the metrics token
// only when one is set. Nothing else is served on it.
func (s *Server) MetricsHandler() http.Handler { return s.metricsRoutes }

// Close ends the open event streams; requests still work.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
}

// handler routes every request. Who may use each route is said where it is
// registered, by its wrapper: none for /healthz and sign-in, the metrics
// token for /metrics, and for the rest a session whose role (roles.go) has
// the capability the wrapper names.
func (s *Server) handler() http.Handler {
	mux := newRouteMux()
	defer func() { s.patterns = mux.patterns }()
	if s.healthSrc != nil {
		mux.HandleFunc("GET /healthz", s.health)
	}
	if s.metricsSrc != nil {
		mux.Handle("GET /metrics", s.metrics(true))
	}
	// The browser application: its page and its files, open to all (it
	// holds no data; the API it calls checks the session).
	mux.Handle("GET /{$}", s.app)
	mux.Handle("GET /assets/", s.app)

	// The API's OpenAPI document (openapi.go), open to all like the page.
	mux.HandleFunc("GET /api/openapi.json", s.openAPI)

	mux.HandleFunc("POST /api/login", s.login)
	mux.Handle("POST /api/logout", s.signedIn(s.logout))
	mux.Handle("GET /api/me", s.signedIn(s.me))

	mux.Handle("GET /api/reports", s.reporter(s.report))

	mux.Handle("GET /api/agents", s.withACD(s.listAgents))
	mux.Handle("GET /api/agents/{id}", s.readAgent(s.getAgent))
	mux.Handle("GET /api/queues", s.withACD(s.listQueues))
	mux.Handle("GET /api/calls", s.withACD(s.listCalls))
	mux.Handle("GET /api/stream", s.withACD(s.stream))

	mux.Handle("POST /api/agents/{id}/login", s.forAgent(s.agentLogin))
	mux.Handle("POST /api/agents/{id}/logout", s.forAgent(s.agentLogout))
	mux.Handle("POST /api/agents/{id}/ready", s.forAgent(s.agentReady))
	mux.Handle("POST /api/agents/{id}/not-ready", s.forAgent(s.agentNotReady))
	mux.Handle("POST /api/agents/{id}/wrap-up/end", s.forAgent(s.agentEndWrapUp))
	mux.Handle("POST /api/agents/{id}/hold", s.forAgent(s.agentHold))
	mux.Handle("POST /api/agents/{id}/unhold", s.forAgent(s.agentUnhold))
	mux.Handle("POST /api/agents/{id}/transfer", s.forAgent(s.agentTransfer))
	mux.Handle("POST /api/agents/{id}/survey", s.forAgent(s.agentSurvey))
	mux.Handle("GET /api/phrases", s.signedIn(s.listPhrases))
	mux.Handle("POST /api/agents/{id}/phrase", s.forAgent(s.agentPhrase))

	mux.Handle("GET /api/softphone", s.withPhone(s.phoneConfig))
	mux.Handle("POST /api/softphone", s.withPhone(s.phoneOpen))
	mux.Handle("POST /api/softphone/candidate", s.withPhone(s.phoneCandidate))
	mux.Handle("POST /api/softphone/mute", s.withPhone(s.phoneMute))
	mux.Handle("DELETE /api/softphone", s.withPhone(s.phoneClose))
	mux.Handle("POST /api/agents/{id}/answer", s.forAgent(s.agentAnswer))
	mux.Handle("POST /api/agents/{id}/reject", s.forAgent(s.agentReject))
	mux.Handle("POST /api/agents/{id}/hangup", s.forAgent(s.agentHangup))
	mux.Handle("POST /api/agents/{id}/dtmf", s.forAgent(s.agentDTMF))

	mux.Handle("POST /api/agents/{id}/supervise", s.supervisor(s.supervise))
	mux.Handle("POST /api/supervision/{session}", s.supervisor(s.setSupervision))
	mux.Handle("DELETE /api/supervision/{session}", s.supervisor(s.endSupervision))

	mux.Handle("POST /api/agents/{id}/recording/pause", s.forAgentRecording(s.pciPause))
	mux.Handle("POST /api/agents/{id}/recording/resume", s.forAgentRecording(s.pciResume))
	mux.Handle("GET /api/dispositions", s.signedIn(s.listDispositions))
	mux.Handle("POST /api/agents/{id}/disposition", s.forAgent(s.agentDisposition))
	mux.Handle("GET /api/agents/{id}/screen-pop", s.readAgent(s.screenPop))
	mux.Handle("GET /api/agents/{id}/today", s.readAgent(s.agentToday))

	mux.Handle("GET /api/recordings", s.withRecordings(s.searchRecordings))
	mux.Handle("GET /api/recordings/{id}", s.withRecordings(s.getRecording))
	mux.Handle("GET /api/recordings/{id}/audio", s.withRecordings(s.recordingAudio(false)))
	mux.Handle("GET /api/recordings/{id}/download", s.withRecordings(s.recordingAudio(true)))
	mux.Handle("GET /api/recordings/{id}/timeline", s.withRecordings(s.recordingTimeline))
	mux.Handle("POST /api/recordings/{id}/legal-hold", s.withRecordings(s.retention("legal hold", func(ctx context.Context, id string, who recordings.Actor, reason string) error {
		return s.recordings.SetLegalHold(ctx, id, true, who, reason)
	})))
	mux.Handle("POST /api/recordings/{id}/legal-hold/release", s.withRecordings(s.retention("legal hold release", func(ctx context.Context, id string, who recordings.Actor, reason string) error {
		return s.recordings.SetLegalHold(ctx, id, false, who, reason)
	})))
	mux.Handle("DELETE /api/recordings/{id}", s.withRecordings(s.retention("delete", func(ctx context.Context, id string, who recordings.Actor, reason string) error {
		return s.recordings.Delete(ctx, id, who, reason)
	})))
	mux.Handle("GET /api/audit/recordings", s.withRecordings(s.auditJSON))
	mux.Handle("GET /api/audit/recordings.csv", s.withRecordings(s.auditCSV))

	mux.Handle("GET /api/recordings/{id}/comments", s.withRecordings(s.listComments))
	mux.Handle("POST /api/recordings/{id}/comments", s.withRecordings(s.addComment))

	mux.Handle("GET /api/qa/card", s.withQA(s.getCard))
	mux.Handle("GET /api/qa/cards/{name}/{version}", s.withQA(s.getCardVersion))
	mux.Handle("GET /api/qa/queue", s.reviewer(s.reviewQueue))
	mux.Handle("POST /api/qa/queue/{call}/{agent}/start", s.reviewer(s.startReview))
	mux.Handle("POST /api/qa/queue/{call}/{agent}/release", s.reviewer(s.releaseReview))
	mux.Handle("GET /api/qa/evaluations", s.withQA(s.listEvaluations))
	mux.Handle("GET /api/qa/evaluations/{id}", s.withQA(s.getEvaluation))
	mux.Handle("POST /api/qa/evaluations/{id}/{action}", s.withQA(s.actOnEvaluation))
	mux.Handle("GET /api/qa/calibrations", s.reviewer(s.listCalibrations))
	mux.Handle("POST /api/qa/calibrations", s.qaSupervisor(s.newCalibration))
	mux.Handle("POST /api/qa/calibrations/{id}/start", s.reviewer(s.startCalibration))
	mux.Handle("GET /api/qa/calibrations/{id}/report", s.reviewer(s.calibrationReport))
	mux.Handle("GET /api/qa/report", s.qaSupervisor(s.qaReport))

	mux.Handle("POST /api/complaints", s.withComplaints(s.registerComplaint))
	mux.Handle("GET /api/complaints", s.withComplaints(s.listComplaints))
	mux.Handle("GET /api/complaints/stream", s.withComplaints(s.complaintStream))
	mux.Handle("GET /api/complaints/report", s.reporter(s.complaintReport))
	mux.Handle("GET /api/complaints/{id}", s.withComplaints(s.getComplaint))
	mux.Handle("GET /api/complaints/{id}/message", s.withComplaints(s.complaintMessage)) // complaint_message.go
	mux.Handle("POST /api/complaints/{id}/{action}", s.withComplaints(s.actOnComplaint))
	mux.Handle("GET /api/agents/{id}/caller-complaints", s.readAgent(s.callerComplaints))

	mux.Handle("GET /api/followups", s.withFollowUps(s.listFollowUps))
	mux.Handle("GET /api/followups/{id}", s.withFollowUps(s.getFollowUp))
	mux.Handle("POST /api/followups/{id}/take", s.withFollowUps(s.takeFollowUp))
	mux.Handle("POST /api/followups/{id}/dial", s.withFollowUps(s.dialFollowUp))
	mux.Handle("POST /api/followups/{id}/result", s.withFollowUps(s.recordFollowUp))

	mux.Handle("POST /api/admin/flows/reload", s.admin(s.reloadFlows))
	mux.Handle("GET /api/admin/flows", s.admin(s.listFlows))

	// Cookies are SameSite=Strict already; refusing cross-origin writes by
	// the browser's Sec-Fetch-Site and Origin headers as well costs nothing.
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, "cross-origin requests are refused")
	}))
	return withSecurityHeaders(csrf.Handler(jsonMisses(mux.ServeMux)))
}

// metricsHandler routes the metrics listener's requests.
func (s *Server) metricsHandler() http.Handler {
	mux := http.NewServeMux()
	if s.healthSrc != nil {
		mux.HandleFunc("GET /healthz", s.health)
	}
	if s.metricsSrc != nil {
		mux.Handle("GET /metrics", s.metrics(false))
	}
	return withSecurityHeaders(jsonMisses(mux))
}

// jsonMisses answers what mux has no route for (404, or 405 for a known
// path with another method) with a JSON error, like every other error.
func jsonMisses(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r) // it, not h, sets the path's values
			return
		}
		// Let the mux decide the status (and set Allow), then write our body.
		rec := &statusRecorder{header: w.Header()}
		h.ServeHTTP(rec, r)
		switch rec.status {
		case http.StatusMethodNotAllowed:
			writeError(w, rec.status, "%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, w.Header().Get("Allow"))
		case http.StatusNotFound:
			writeError(w, rec.status, "no such endpoint: %s %s", r.Method, r.URL.Path)
		default: // a redirect to the clean path
			w.WriteHeader(rec.status)
		}
	})
}

// statusRecorder keeps the status a handler answers and drops its body.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return len(b), nil
}
func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

// fail answers err: with its own status and message when it is meant for
// users, else with a generic 500 after logging it.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg, internal := publicError(err)
	if internal {
		s.log.ErrorContext(r.Context(), "console: request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	writeError(w, status, "%s", msg)
}

// The answers of the endpoints of a part this server does not run.
var (
	errNoACD     = httpErrorf(http.StatusServiceUnavailable, "the queues and agents are not available on this server")
	errNoFlows   = httpErrorf(http.StatusServiceUnavailable, "flow management is not available on this server")
	errNoReports = httpErrorf(http.StatusServiceUnavailable, "reports are not available on this server: it has no call-records database")
)
