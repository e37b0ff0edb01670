package console

import (
	"context"
	"net/http"
	"net/url"
)

// ComplaintReports makes the complaints reports of GET
// /api/complaints/report: the Reports of Config.Reports serves them when
// it implements this too (else the route answers 503).
type ComplaintReports interface {
	// ComplaintReport answers the query's parameters with the complaints
	// report, or the overdue list, which the API sends as JSON; its errors
	// are those of Reports.Report.
	ComplaintReport(ctx context.Context, query url.Values) (any, error)
}

var errNoComplaintReports = httpErrorf(http.StatusServiceUnavailable, "complaints reports are not available on this server: it has no database")

// complaintReport handles GET /api/complaints/report, for the roles that
// read reports.
func (s *Server) complaintReport(w http.ResponseWriter, r *http.Request, _ session) error {
	reports, ok := s.reports.(ComplaintReports)
	if !ok {
		return errNoComplaintReports
	}
	return serveReport(w, r, reports.ComplaintReport)
}
