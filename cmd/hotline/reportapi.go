package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hotline-ivr/hotline/console"
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

// maxReportPeriods bounds the rows of a report by hour or by day, so that
// one request cannot make a report of megabytes (a year by hour was
// 5.6 MB): a 31-day month by hour fits, and nearly three years by day.
const maxReportPeriods = 1000

// reportAPI makes the reports of GET /api/reports?from=&to=&by=&tz=
// &service-level=&short-abandon=&fcr-days=&hotline=&queue=&agent= for the
// console, which serves them to the roles that may read them (it is a
// console.Reports): the report of hotline report, with the same parameters
// and defaults, as its JSON. It opens its own small pool on the database
// at the first request, and close closes it.
type reportAPI struct {
	log  *slog.Logger
	open func(context.Context) (*pgxpool.Pool, error)
	now  func() time.Time // nil: time.Now; the complaints' clocks are compared with it

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

// reportError is an error of a report meant for its user, matching one of
// the console's report sentinels.
type reportError struct {
	kind error // console.ErrBadReportQuery or console.ErrReportsUnavailable
	err  error
}

func (e reportError) Error() string        { return e.err.Error() }
func (e reportError) Unwrap() error        { return e.err }
func (e reportError) Is(target error) bool { return target == e.kind }

// Report implements console.Reports. A mistake in the parameters, or a
// report of more than maxReportPeriods periods, is a bad query that lists
// every mistake; an unreachable database, or a server that is stopping,
// makes reports unavailable.
func (a *reportAPI) Report(ctx context.Context, values url.Values) (any, error) {
	q, err := reportQueryFromURL(values)
	if err != nil {
		return nil, reportError{console.ErrBadReportQuery, err}
	}
	if n := reportPeriods(q); n > maxReportPeriods {
		return nil, reportError{console.ErrBadReportQuery, fmt.Errorf(
			"by: a report by %s from %s to %s has %d periods, more than the %d one report may have: ask for a shorter period, or group by a longer one",
			q.GroupBy, q.From.In(q.Location).Format(time.RFC3339), q.To.In(q.Location).Format(time.RFC3339), n, maxReportPeriods)}
	}
	db, err := a.pool(ctx)
	if err != nil {
		return nil, a.unavailable(err)
	}
	q.Now = a.clock()
	res, err := store.Report(ctx, db, q)
	if err != nil {
		return nil, a.unavailable(err)
	}
	return newReportJSON(res), nil
}

// reportPeriods is how many rows a report by hour or by day of q has, at
// most; 0 for the other groupings, whose rows are the hotlines, queues or
// agents there are.
func reportPeriods(q store.ReportQuery) int {
	var period time.Duration
	switch q.GroupBy {
	case store.GroupByHour:
		period = time.Hour
	case store.GroupByDay:
		period = 24 * time.Hour
	default:
		return 0
	}
	return int((q.To.Sub(q.From) + period - 1) / period)
}

// reportQueryFromURL reads the report's parameters from a query string.
// Unknown and repeated parameters are mistakes too.
func reportQueryFromURL(values url.Values) (store.ReportQuery, error) {
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

// unavailable turns what kept a report from being made into what the
// console answers. The user sees what to do; the log gets the detail,
// which may name hosts and users.
func (a *reportAPI) unavailable(err error) error {
	var connectErr *pgconn.ConnectError
	switch {
	case errors.Is(err, errReportsClosed):
		return reportError{console.ErrReportsUnavailable, errors.New("the server is shutting down; ask another instance")}
	case errors.As(err, &connectErr):
		a.log.Warn("report: the database is unreachable", "error", err)
		return reportError{console.ErrReportsUnavailable, errors.New("the call-records database is unreachable; try again later")}
	}
	return err // the console logs it and answers 500
}
