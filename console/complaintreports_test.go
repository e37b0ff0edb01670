package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hotline-ivr/hotline/console"
)

// complaintReports is a Reports that makes complaints reports too: it
// answers the query it was given (the real one is cmd/hotline's, tested
// there on PostgreSQL).
type complaintReports struct {
	fakeReports
	err error
}

func (c *complaintReports) ComplaintReport(_ context.Context, q url.Values) (any, error) {
	if c.err != nil {
		return nil, c.err
	}
	return map[string]any{"by": q.Get("by"), "overdue": q.Get("overdue")}, nil
}

// TestComplaintReportRoute: GET /api/complaints/report is a report (the
// roles that read reports; not the complaint of ID "report"), served by
// Reports when it makes complaints reports, else 503.
func TestComplaintReportRoute(t *testing.T) {
	reports := &complaintReports{}
	e := newEnv(t, func(c *console.Config) { c.Reports = reports })
	const q = "/api/complaints/report?from=2026-11-01&to=2026-11-30&by=team"
	if r := e.do("GET", q, "", ""); r.status != http.StatusUnauthorized {
		t.Errorf("without a session: %d, want 401", r.status)
	}
	if r := e.do("GET", q, e.login("lilei"), ""); r.status != http.StatusForbidden {
		t.Errorf("an agent: %d %s, want 403", r.status, r.body)
	}
	for _, u := range []string{"boss", "qiu", "wang", "root"} {
		var body struct{ By, Overdue string }
		e.must(http.StatusOK, "GET", q, e.login(u), "", &body)
		if body.By != "team" {
			t.Errorf("%s: got by %q, want the query's", u, body.By)
		}
	}
	boss := e.login("boss")
	var body struct{ Overdue string }
	e.must(http.StatusOK, "GET", "/api/complaints/report?overdue=true", boss, "", &body)
	if body.Overdue != "true" {
		t.Errorf("the overdue list's query: got %q", body.Overdue)
	}
	reports.err = fmt.Errorf("%w: by: %q is not a grouping", console.ErrBadReportQuery, "queue")
	if r := e.do("GET", "/api/complaints/report?by=queue", boss, ""); r.status != 400 || !strings.Contains(r.errorMessage(t), `by: "queue" is not a grouping`) {
		t.Errorf("a bad query: %d %s, want 400", r.status, r.body)
	}
	if r := e.do("GET", "/api/complaints/report?from="+strings.Repeat("9", 3000), boss, ""); r.status != 400 {
		t.Errorf("a long query: %d, want 400", r.status)
	}

	// Reports that make only the calls report.
	e = newEnv(t, func(c *console.Config) { c.Reports = &fakeReports{} })
	if r := e.do("GET", q, e.login("boss"), ""); r.status != 503 || !strings.Contains(r.errorMessage(t), "complaints reports are not available") {
		t.Errorf("without complaints reports: %d %s, want 503", r.status, r.body)
	}
}
