package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/store"
)

// complaintReportParams are the query parameters of GET
// /api/complaints/report: the flags of hotline report --complaints, and
// overdue=true for the overdue list (with limit, its length).
var (
	complaintReportParams = []string{"from", "to", "tz", "by", "hotline", "category", "owner", "team", "overdue"}
	overdueParams         = []string{"overdue", "tz", "hotline", "category", "owner", "team", "limit"}
)

// The overdue list's length through the API: by default, and at most.
const (
	defaultOverdueLimit = 500
	maxOverdueLimit     = 5000
)

var _ console.ComplaintReports = (*reportAPI)(nil)

// clock is what the reports call now.
func (a *reportAPI) clock() time.Time {
	if a.now != nil {
		return a.now()
	}
	return time.Now()
}

// ComplaintReport implements console.ComplaintReports: the complaints
// report of hotline report --complaints, with the same parameters and
// defaults, as its JSON; with overdue=true, the overdue list (at most
// limit, 500 unless asked, up to 5000; its total counts them all).
// Mistakes are bad queries listing every one.
func (a *reportAPI) ComplaintReport(ctx context.Context, values url.Values) (any, error) {
	overdue := false
	if values.Has("overdue") {
		switch v := values.Get("overdue"); v {
		case "true", "1":
			overdue = true
		case "false", "0":
		default:
			return nil, reportError{console.ErrBadReportQuery, fmt.Errorf("overdue: %q is not true or false", v)}
		}
	}
	allowed := complaintReportParams
	if overdue {
		allowed = overdueParams
	}
	var problems []error
	for name, vs := range values {
		switch {
		case !slices.Contains(allowed, name):
			problems = append(problems, fmt.Errorf("%s: unknown parameter (use %s)", name, strings.Join(allowed, ", ")))
		case len(vs) > 1:
			problems = append(problems, fmt.Errorf("%s: given %d times", name, len(vs)))
		}
	}
	p := complaintParams{tz: reportDefaults.tz}
	for name, dst := range map[string]*string{"from": &p.from, "to": &p.to, "tz": &p.tz, "by": &p.by,
		"hotline": &p.hotline, "category": &p.category, "owner": &p.owner, "team": &p.team} {
		if values.Has(name) {
			*dst = values.Get(name)
		}
	}
	name := func(param string) string { return param }
	now := a.clock()
	var (
		q   store.ComplaintReportQuery
		oq  store.OverdueQuery
		loc *time.Location
		err error
	)
	if overdue {
		oq, loc, err = p.overdueQuery(now, name)
		oq.Limit = defaultOverdueLimit
		if values.Has("limit") {
			n, lerr := strconv.Atoi(values.Get("limit"))
			if lerr != nil || n < 1 || n > maxOverdueLimit {
				problems = append(problems, fmt.Errorf("limit: %q is not a number from 1 to %d", values.Get("limit"), maxOverdueLimit))
			}
			oq.Limit = n
		}
	} else {
		q, err = p.query(now, name)
		if err == nil {
			if n := reportPeriods(store.ReportQuery{From: q.From, To: q.To, GroupBy: q.GroupBy}); n > maxReportPeriods {
				err = fmt.Errorf("by: a report by day from %s to %s has %d days, more than the %d one report may have: ask for a shorter period, or group by week or month",
					q.From.In(q.Location).Format(time.RFC3339), q.To.In(q.Location).Format(time.RFC3339), n, maxReportPeriods)
			}
		}
	}
	if err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		slices.SortFunc(problems, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return nil, reportError{console.ErrBadReportQuery, errors.Join(problems...)}
	}
	db, err := a.pool(ctx)
	if err != nil {
		return nil, a.unavailable(err)
	}
	if overdue {
		list, err := store.Overdue(ctx, db, oq)
		if err != nil {
			return nil, a.unavailable(err)
		}
		return newOverdueJSON(list, loc), nil
	}
	res, err := store.ComplaintReport(ctx, db, q)
	if err != nil {
		return nil, a.unavailable(err)
	}
	return newComplaintReportJSON(res), nil
}
