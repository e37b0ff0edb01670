package console

import (
	"context"
	"net/http"
	"net/url"
)

// maxReportQuery bounds the query string of GET /api/reports: its
// parameters are a few dates, durations and names.
const maxReportQuery = 2048

// Reports makes the contact-centre reports of GET /api/reports.
type Reports interface {
	// Report answers the query's parameters with the report, which the
	// API sends as JSON. A mistake in the parameters (a report too large
	// to make included) is an error matching ErrBadReportQuery whose
	// message is written for the user; a database that cannot answer,
	// ErrReportsUnavailable, likewise. Anything else is logged and
	// answered 500.
	Report(ctx context.Context, query url.Values) (any, error)
}

// report handles GET /api/reports.
func (s *Server) report(w http.ResponseWriter, r *http.Request, _ session) error {
	if s.reports == nil {
		return errNoReports
	}
	return serveReport(w, r, s.reports.Report)
}

// serveReport answers a report's GET with report's answer to the query's
// parameters, as JSON.
func serveReport(w http.ResponseWriter, r *http.Request, report func(context.Context, url.Values) (any, error)) error {
	if len(r.URL.RawQuery) > maxReportQuery {
		return httpErrorf(http.StatusBadRequest, "the query string is longer than %d bytes", maxReportQuery)
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return httpErrorf(http.StatusBadRequest, "the query string is not valid: %v", err)
	}
	v, err := report(r.Context(), q)
	if err != nil {
		if r.Context().Err() != nil {
			return nil // the client has gone
		}
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
