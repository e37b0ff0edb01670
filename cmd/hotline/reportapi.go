package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hotline-ivr/hotline/store"
)

// reportConns bounds the connections reports take, apart from the
// call-records writer's: a long report never holds up the writes.
const reportConns = 2

// errReportsClosed answers a report asked for while the server drains.
var errReportsClosed = errors.New("the server is shutting down")

// reportParamNames are the query parameters of GET /api/reports: the flags
// of hotline report, but --format (always JSON).
var reportParamNames = []string{"from", "to", "tz", "by", "service-level", "short-abandon", "fcr-days", "hotline", "queue", "agent"}

// reportAPI serves GET /api/reports?from=&to=&by=&tz=&service-level=
// &short-abandon=&fcr-days=&hotline=&queue=&agent=: the report of hotline
// report, with the same parameters and defaults, as its JSON. A mistake in
// the parameters is a 400 that lists them all; an unreachable database a
// 503. It opens its own small pool on the database at the first request,
// and close closes it.
type reportAPI struct {
	log  *slog.Logger
	open func(context.Context) (*pgxpool.Pool, error)

	mu     sync.Mutex
	db     *pgxpool.Pool // nil until the first report
	closed bool
}

// newReportAPI serves reports from the database at url.
func newReportAPI(url string, log *slog.Logger) *reportAPI {
	return &reportAPI{log: log, open: func(ctx context.Context) (*pgxpool.Pool, error) {
		return store.Open(ctx, url, reportConns)
	}}
}

func (a *reportAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q, err := reportQueryFromURL(r)
	if err != nil {
		writeReportError(w, http.StatusBadRequest, err.Error())
		return
	}
	db, err := a.pool(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := store.Report(r.Context(), db, q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(newReportJSON(res))
}

// reportQueryFromURL reads the report's parameters from r's query string.
// Unknown and repeated parameters are mistakes too.
func reportQueryFromURL(r *http.Request) (store.ReportQuery, error) {
	values := r.URL.Query()
	var problems []error
	for name, vs := range values {
		switch {
		case !slices.Contains(reportParamNames, name):
			problems = append(problems, fmt.Errorf("%s: unknown parameter (use %s)", name, strings.Join(reportParamNames, ", ")))
		case len(vs) > 1:
			problems = append(problems, fmt.Errorf("%s: given %d times", name, len(vs)))
		}
	}
	if len(problems) > 0 {
		slices.SortFunc(problems, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return store.ReportQuery{}, errors.Join(problems...)
	}
	p := reportDefaults
	for name, dst := range map[string]*string{
		"from": &p.from, "to": &p.to, "tz": &p.tz, "by": &p.by, "service-level": &p.serviceLevel,
		"short-abandon": &p.shortAbandon, "fcr-days": &p.fcrDays, "hotline": &p.hotline, "queue": &p.queue, "agent": &p.agent,
	} {
		if values.Has(name) {
			*dst = values.Get(name)
		}
	}
	return p.query(func(name string) string { return name })
}

// pool returns the reports' pool, opening it the first time.
func (a *reportAPI) pool(ctx context.Context) (*pgxpool.Pool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, errReportsClosed
	}
	if a.db == nil {
		db, err := a.open(ctx)
		if err != nil {
			return nil, err
		}
		a.db = db
	}
	return a.db, nil
}

// close closes the pool, once the HTTP server has stopped; later requests
// get a 503. A nil reportAPI (no database) has nothing to close.
func (a *reportAPI) close() {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	if a.db != nil {
		a.db.Close()
	}
}

// fail answers a report that could not be made. The user sees what to do;
// the log gets the detail, which may name hosts and users.
func (a *reportAPI) fail(w http.ResponseWriter, r *http.Request, err error) {
	var connectErr *pgconn.ConnectError
	switch {
	case r.Context().Err() != nil:
		return // the client has gone
	case errors.Is(err, errReportsClosed):
		writeReportError(w, http.StatusServiceUnavailable, "the server is shutting down; ask another instance")
	case errors.As(err, &connectErr):
		a.log.Warn("report: the database is unreachable", "error", err)
		writeReportError(w, http.StatusServiceUnavailable, "the call-records database is unreachable; try again later")
	default:
		a.log.Error("report failed", "query", r.URL.RawQuery, "error", err)
		writeReportError(w, http.StatusInternalServerError, "the report could not be made; the server log says why")
	}
}

func writeReportError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
