package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/store"
)

// complaintReportFlags are the flags report --complaints takes, and those
// of --overdue.
var (
	complaintReportFlags = map[string]bool{"complaints": true, "from": true, "to": true, "tz": true, "by": true, "format": true,
		"hotline": true, "category": true, "owner": true, "team": true}
	overdueFlags = map[string]bool{"complaints": true, "overdue": true, "tz": true, "format": true,
		"hotline": true, "category": true, "owner": true, "team": true}
)

// complaintParams are a complaints report's parameters as typed, on the
// command line or in GET /api/complaints/report's query string.
type complaintParams struct {
	from, to, tz, by               string
	hotline, category, owner, team string
}

// now is what e's reports call now.
func (e *env) now() time.Time {
	if e.clock != nil {
		return e.clock.Now()
	}
	return time.Now()
}

// query turns p into a store query as of now, naming each parameter as
// name does, and reports every mistake.
func (p complaintParams) query(now time.Time, name func(string) string) (store.ComplaintReportQuery, error) {
	var problems []error
	bad := func(param, format string, args ...any) {
		problems = append(problems, fmt.Errorf("%s: %s", name(param), fmt.Sprintf(format, args...)))
	}
	q := store.ComplaintReportQuery{Now: now, Hotline: p.hotline, Category: p.category, Owner: p.owner, Team: p.team}
	loc, err := time.LoadLocation(p.tz)
	if err != nil || p.tz == "" {
		bad("tz", "unknown time zone %q: use a name like Asia/Shanghai or UTC", p.tz)
		loc = time.UTC
	}
	q.Location = loc
	var fromOK, toOK bool
	if q.From, fromOK = parseWhen(p.from, loc, false); !fromOK {
		bad("from", "%s", whenProblem(p.from))
	}
	if q.To, toOK = parseWhen(p.to, loc, true); !toOK {
		bad("to", "%s", whenProblem(p.to))
	}
	if fromOK && toOK && !q.From.Before(q.To) {
		bad("to", "the period ends (%s) before it starts (%s)", q.To.In(loc).Format(time.RFC3339), q.From.In(loc).Format(time.RFC3339))
	}
	switch p.by {
	case store.ComplaintsByTotal, store.ComplaintsByCategory, store.ComplaintsByOwner, store.ComplaintsByTeam,
		store.ComplaintsByDay, store.ComplaintsByWeek, store.ComplaintsByMonth:
		q.GroupBy = p.by
	default:
		bad("by", "%q is not a grouping of complaints: use category, owner, team, day, week or month", p.by)
	}
	if len(problems) == 0 {
		if err := q.Validate(); err != nil {
			problems = append(problems, errors.New(strings.TrimPrefix(err.Error(), store.ErrBadReportQuery.Error()+": ")))
		}
	}
	return q, errors.Join(problems...)
}

// overdueQuery is p's overdue list as of now: its filters, and the zone
// its times are shown in.
func (p complaintParams) overdueQuery(now time.Time, name func(string) string) (store.OverdueQuery, *time.Location, error) {
	loc, err := time.LoadLocation(p.tz)
	if err != nil || p.tz == "" {
		return store.OverdueQuery{}, nil, fmt.Errorf("%s: unknown time zone %q: use a name like Asia/Shanghai or UTC", name("tz"), p.tz)
	}
	return store.OverdueQuery{Now: now, Hotline: p.hotline, Category: p.category, Owner: p.owner, Team: p.team}, loc, nil
}

// runComplaintReport prints the complaints report (hotline report
// --complaints), or with overdue the overdue list, as GET
// /api/complaints/report gives them.
func runComplaintReport(ctx context.Context, e *env, fs *flag.FlagSet, p complaintParams, overdue bool, format string) error {
	allowed, what := complaintReportFlags, "--complaints (it takes --from, --to, --tz, --by, --format, --hotline, --category, --owner and --team)"
	if overdue {
		allowed, what = overdueFlags, "--overdue (it takes --tz, --format, --hotline, --category, --owner and --team)"
	}
	var problems []error
	fs.Visit(func(f *flag.Flag) {
		if !allowed[f.Name] {
			problems = append(problems, fmt.Errorf("--%s is not for %s", f.Name, what))
		}
	})
	if !slices.Contains([]string{"table", "csv", "json"}, format) {
		problems = append(problems, fmt.Errorf("--format: %q is not a format: use table, csv or json", format))
	}
	flagName := func(param string) string { return "--" + param }
	now := e.now()
	var (
		q   store.ComplaintReportQuery
		oq  store.OverdueQuery
		loc *time.Location
		err error
	)
	if overdue {
		oq, loc, err = p.overdueQuery(now, flagName)
	} else {
		q, err = p.query(now, flagName)
	}
	if err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return &usageError{msg: strings.ReplaceAll(errors.Join(problems...).Error(), "\n", "\nhotline: "), help: reportHelp}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := openDatabaseURL(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	if overdue {
		list, err := store.Overdue(ctx, db, oq)
		if err != nil {
			return explainComplaintReportError(err)
		}
		return overdueWriters[format](e.stdout, list, loc)
	}
	res, err := store.ComplaintReport(ctx, db, q)
	if err != nil {
		return explainComplaintReportError(err)
	}
	return complaintReportWriters[format](e.stdout, res)
}

// explainComplaintReportError adds what to do to the errors a user can
// fix: a database without the complaints' tables (or older than the
// deadlines kept with each change, migration 0012) needs migrating.
func explainComplaintReportError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "42P01" || pgErr.Code == "42703") { // undefined_table, undefined_column
		return fmt.Errorf("%w\nthe database's schema is older than the complaints report: run \"hotline migrate\" (or \"hotline serve\") on it first", err)
	}
	return err
}

// complaintReportWriters print a complaints report in each --format.
var complaintReportWriters = map[string]func(io.Writer, *store.ComplaintReportResult) error{
	"table": writeComplaintReportTable,
	"csv":   writeComplaintReportCSV,
	"json": func(w io.Writer, res *store.ComplaintReportResult) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(newComplaintReportJSON(res))
	},
}

// complaintGroupNames are the headers of the group column.
var complaintGroupNames = map[string]string{
	store.ComplaintsByTotal: "Period", store.ComplaintsByCategory: "Category", store.ComplaintsByOwner: "Owner",
	store.ComplaintsByTeam: "Team", store.ComplaintsByDay: "Day", store.ComplaintsByWeek: "Week", store.ComplaintsByMonth: "Month",
}

// writeComplaintReportTable prints a heading, a table (a row per group,
// then the totals) and what the columns mean. Shares are percentages to
// 0.1, times to the minute.
func writeComplaintReportTable(w io.Writer, res *store.ComplaintReportResult) error {
	q := res.Query
	heading := fmt.Sprintf("Complaints report %s to %s (%s)", q.From.In(q.Location).Format(reportTimeLayout),
		q.To.In(q.Location).Format(reportTimeLayout), q.Location)
	if q.GroupBy != store.ComplaintsByTotal {
		heading += ", by " + q.GroupBy
	}
	var filters []string
	for _, f := range [][2]string{{"hotline", q.Hotline}, {"category", q.Category}, {"owner", q.Owner}, {"team", q.Team}} {
		if f[1] != "" {
			filters = append(filters, f[0]+" "+f[1])
		}
	}
	if len(filters) > 0 {
		heading += "; only " + strings.Join(filters, ", ")
	}
	fmt.Fprintf(w, "%s\nComplaints registered in the period; their clocks as of %s.\n\n", heading, q.Now.In(q.Location).Format(reportTimeLayout))
	table := [][]string{{complaintGroupNames[q.GroupBy], "Received", "Reopened",
		"24h met", "24h late", "24h overdue", "24h pending", "24h rate",
		"Feedback", "3d met", "3d late", "3d overdue", "3d pending", "3d rate",
		"Resolve median", "Resolve mean", "Follow-ups", "Calls", "Reached", "Reach rate", "Satisfied", "Satisf. rate"}}
	cells := func(label string, r store.ComplaintRow) []string {
		f := r.FollowUps
		return []string{label, count(r.Received), count(r.Reopened),
			count(r.Resolve.Met), count(r.Resolve.Late), count(r.Resolve.Overdue), count(r.Resolve.Pending), percent(r.Resolve.Rate()),
			count(r.Feedback.Clocks()), count(r.Feedback.Met), count(r.Feedback.Late), count(r.Feedback.Overdue), count(r.Feedback.Pending),
			percent(r.Feedback.Rate()), median(r), span(r.TimeToResolve), count(f.Tasks), count(f.Attempts), count(f.Reached), percent(f.ReachRate()),
			count(f.Satisfied), percent(f.SatisfactionRate())}
	}
	for _, r := range res.Rows {
		table = append(table, cells(cmpOr(r.Key, "(none)"), r))
	}
	table = append(table, cells("Total", res.Total))
	if err := writeColumns(w, table); err != nil {
		return err
	}
	_, err := io.WriteString(w, complaintReportLegend)
	return err
}

// complaintReportLegend is the table's key, printed under it.
const complaintReportLegend = `
24h: the 24 h clocks (one from the registration, one from each reopening), as the hotline's hours count them;
3d: the 3-day clocks from customers' feedback (Feedback: how many). Met: stopped (resolved; for 3d also followed up or closed)
before the deadline; late: at or after it; overdue: still running past it; pending: running, not due yet,
neither met nor missed. Rate: met / (met + late + overdue). Resolve median and mean: from each 24 h clock's
start to its resolution, in calendar time. Follow-ups: the follow-up tasks (cancelled ones left out), their
calls, the customers reached, reach rate reached / (reached + unreached), satisfied / those who answered.
A complaint handed to several teams is in each team's row and once in the total.
`

// median is the row's median time to resolve, or "-".
func median(r store.ComplaintRow) string {
	if r.TimeToResolve.N == 0 {
		return noValue
	}
	return minutes(r.MedianToResolve)
}

// span is a mean time to the minute, or "-".
func span(m store.MeanDuration) string {
	d, ok := m.Value()
	if !ok {
		return noValue
	}
	return minutes(d)
}

// minutes is d to the nearest minute: 45m, 5h05m, 4d01h00m.
func minutes(d time.Duration) string {
	m := int64(d.Round(time.Minute) / time.Minute)
	switch {
	case m < 60:
		return fmt.Sprintf("%dm", m)
	case m < 24*60:
		return fmt.Sprintf("%dh%02dm", m/60, m%60)
	default:
		return fmt.Sprintf("%dd%02dh%02dm", m/(24*60), m/60%24, m%60)
	}
}

// writeComplaintReportCSV prints a header and a record per group, then
// the totals (group "Total"). Shares are percentages to 0.1, times
// seconds; an empty field has nothing to measure.
func writeComplaintReportCSV(w io.Writer, res *store.ComplaintReportResult) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"group", "start", "end", "received", "reopened",
		"resolve_met", "resolve_late", "resolve_overdue", "resolve_pending", "resolve_24h_pct",
		"feedback", "feedback_met", "feedback_late", "feedback_overdue", "feedback_pending", "feedback_3d_pct",
		"resolved", "resolve_median_seconds", "resolve_mean_seconds",
		"followups", "followup_calls", "followups_reached", "followups_unreached", "followups_open", "reach_pct",
		"satisfied", "unsatisfied", "satisfaction_pct"})
	q := res.Query
	record := func(group string, r store.ComplaintRow) {
		start, end := q.From, q.To
		if !r.Start.IsZero() {
			start, end = r.Start, r.End
		}
		med := ""
		if r.TimeToResolve.N > 0 {
			med = strconv.FormatFloat(r.MedianToResolve.Seconds(), 'f', 1, 64)
		}
		f := r.FollowUps
		cw.Write([]string{group, start.In(q.Location).Format(time.RFC3339), end.In(q.Location).Format(time.RFC3339),
			count(r.Received), count(r.Reopened),
			count(r.Resolve.Met), count(r.Resolve.Late), count(r.Resolve.Overdue), count(r.Resolve.Pending), csvPercent(r.Resolve.Rate()),
			count(r.Feedback.Clocks()), count(r.Feedback.Met), count(r.Feedback.Late), count(r.Feedback.Overdue), count(r.Feedback.Pending),
			csvPercent(r.Feedback.Rate()),
			count(r.TimeToResolve.N), med, csvSeconds(r.TimeToResolve),
			count(f.Tasks), count(f.Attempts), count(f.Reached), count(f.Unreached), count(f.Open), csvPercent(f.ReachRate()),
			count(f.Satisfied), count(f.Unsatisfied), csvPercent(f.SatisfactionRate())})
	}
	for _, r := range res.Rows {
		record(r.Key, r)
	}
	record("Total", res.Total)
	cw.Flush()
	return cw.Error()
}

// complaintReportJSON is a complaints report as hotline report
// --complaints --format json prints it and GET /api/complaints/report
// serves it.
type complaintReportJSON struct {
	From     time.Time          `json:"from"`
	To       time.Time          `json:"to"`
	TimeZone string             `json:"time_zone"`
	GroupBy  string             `json:"group_by"` // "" for totals only
	Now      time.Time          `json:"now"`      // the running clocks are compared with it
	Hotline  string             `json:"hotline,omitempty"`
	Category string             `json:"category,omitempty"`
	Owner    string             `json:"owner,omitempty"`
	Team     string             `json:"team,omitempty"`
	Rows     []complaintRowJSON `json:"rows"`
	Total    complaintRowJSON   `json:"total"`
}

// complaintRowJSON is one ComplaintRow; a rate is null when there is
// nothing to measure.
type complaintRowJSON struct {
	Group         string            `json:"group"`
	Start         *time.Time        `json:"start,omitempty"`
	End           *time.Time        `json:"end,omitempty"`
	Received      int64             `json:"received"`
	Reopened      int64             `json:"reopened"`
	Resolve24h    clockJSON         `json:"resolve_24h"`
	Feedback3d    clockJSON         `json:"feedback_3d"`
	TimeToResolve timeToResolveJSON `json:"time_to_resolve"`
	FollowUps     followUpsJSON     `json:"followups"`
}

type clockJSON struct {
	Clocks  int64     `json:"clocks"`
	Met     int64     `json:"met"`
	Late    int64     `json:"late"`
	Overdue int64     `json:"overdue"`
	Pending int64     `json:"pending"`
	Rate    ratioJSON `json:"rate"` // met / (met + late + overdue)
}

type timeToResolveJSON struct {
	Resolved      int64    `json:"resolved"` // 24 h clocks stopped by a resolution
	MedianSeconds *float64 `json:"median_seconds"`
	MeanSeconds   *float64 `json:"mean_seconds"`
}

type followUpsJSON struct {
	Tasks            int64     `json:"tasks"`
	Calls            int64     `json:"calls"`
	Reached          int64     `json:"reached"`
	Unreached        int64     `json:"unreached"`
	Open             int64     `json:"open"`
	Satisfied        int64     `json:"satisfied"`
	Unsatisfied      int64     `json:"unsatisfied"`
	ReachRate        ratioJSON `json:"reach_rate"`
	SatisfactionRate ratioJSON `json:"satisfaction_rate"`
}

func newClockJSON(c store.ClockFigures) clockJSON {
	return clockJSON{Clocks: c.Clocks(), Met: c.Met, Late: c.Late, Overdue: c.Overdue, Pending: c.Pending, Rate: newRatioJSON(c.Rate())}
}

func newComplaintReportJSON(res *store.ComplaintReportResult) complaintReportJSON {
	q := res.Query
	out := complaintReportJSON{
		From: q.From.In(q.Location), To: q.To.In(q.Location), TimeZone: q.Location.String(), GroupBy: q.GroupBy,
		Now: q.Now.In(q.Location), Hotline: q.Hotline, Category: q.Category, Owner: q.Owner, Team: q.Team,
		Rows: make([]complaintRowJSON, len(res.Rows)), Total: newComplaintRowJSON(res.Total, q.Location),
	}
	for i, r := range res.Rows {
		out.Rows[i] = newComplaintRowJSON(r, q.Location)
	}
	return out
}

func newComplaintRowJSON(r store.ComplaintRow, loc *time.Location) complaintRowJSON {
	f := r.FollowUps
	out := complaintRowJSON{
		Group: r.Key, Received: r.Received, Reopened: r.Reopened,
		Resolve24h: newClockJSON(r.Resolve), Feedback3d: newClockJSON(r.Feedback),
		TimeToResolve: timeToResolveJSON{Resolved: r.TimeToResolve.N, MeanSeconds: meanJSON(r.TimeToResolve)},
		FollowUps: followUpsJSON{Tasks: f.Tasks, Calls: f.Attempts, Reached: f.Reached, Unreached: f.Unreached, Open: f.Open,
			Satisfied: f.Satisfied, Unsatisfied: f.Unsatisfied, ReachRate: newRatioJSON(f.ReachRate()), SatisfactionRate: newRatioJSON(f.SatisfactionRate())},
	}
	if r.TimeToResolve.N > 0 {
		s := r.MedianToResolve.Seconds()
		out.TimeToResolve.MedianSeconds = &s
	}
	if !r.Start.IsZero() {
		start, end := r.Start.In(loc), r.End.In(loc)
		out.Start, out.End = &start, &end
	}
	return out
}

// overdueWriters print the overdue list in each --format, its times in
// loc.
var overdueWriters = map[string]func(io.Writer, *store.OverdueList, *time.Location) error{
	"table": writeOverdueTable,
	"csv":   writeOverdueCSV,
	"json": func(w io.Writer, l *store.OverdueList, loc *time.Location) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(newOverdueJSON(l, loc))
	},
}

// clockNames are the clocks as the overdue list names them.
var clockNames = map[complaints.ClockName]string{complaints.ResolveClock: "24h", complaints.FeedbackClock: "3d"}

func writeOverdueTable(w io.Writer, l *store.OverdueList, loc *time.Location) error {
	fmt.Fprintf(w, "Overdue complaints at %s (%s): %d, most overdue first.\n\n", l.Now.In(loc).Format(reportTimeLayout), loc, l.Total)
	table := [][]string{{"Complaint", "Registered", "Hotline", "Category", "Owner", "Teams", "State", "Clock", "Due", "Late"}}
	for _, c := range l.Complaints {
		table = append(table, []string{c.ID, c.Registered.In(loc).Format(reportTimeLayout), c.Hotline, c.Category, c.Owner,
			strings.Join(c.Teams, ","), string(c.State), clockNames[c.Clock], c.Due.In(loc).Format(reportTimeLayout), minutes(c.Late)})
	}
	return writeColumns(w, table)
}

func writeOverdueCSV(w io.Writer, l *store.OverdueList, loc *time.Location) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"complaint", "registered_at", "hotline", "category", "owner", "teams", "state", "clock", "due", "late_seconds"})
	for _, c := range l.Complaints {
		cw.Write([]string{c.ID, c.Registered.In(loc).Format(time.RFC3339), c.Hotline, c.Category, c.Owner,
			strings.Join(c.Teams, ";"), string(c.State), string(c.Clock), c.Due.In(loc).Format(time.RFC3339),
			strconv.FormatFloat(c.Late.Seconds(), 'f', 0, 64)})
	}
	cw.Flush()
	return cw.Error()
}

// overdueJSON is the overdue list as hotline report --complaints --overdue
// --format json prints it and GET /api/complaints/report?overdue=true
// serves it.
type overdueJSON struct {
	Now        time.Time          `json:"now"`
	TimeZone   string             `json:"time_zone"`
	Total      int                `json:"total"` // every overdue complaint, beyond a limit too
	Complaints []overdueEntryJSON `json:"complaints"`
}

type overdueEntryJSON struct {
	ID          string           `json:"id"`
	Registered  time.Time        `json:"registered_at"`
	Hotline     string           `json:"hotline"`
	Category    string           `json:"category"`
	Owner       string           `json:"owner"`
	Teams       []string         `json:"teams"`
	State       complaints.State `json:"state"`
	Clock       string           `json:"clock"` // the clock most overdue: resolve or feedback
	Due         time.Time        `json:"due"`
	LateSeconds float64          `json:"late_seconds"`
	ResolveDue  *time.Time       `json:"resolve_due"`  // the running 24 h clock's deadline; null: not running
	FeedbackDue *time.Time       `json:"feedback_due"` // the running 3-day clock's
}

func newOverdueJSON(l *store.OverdueList, loc *time.Location) overdueJSON {
	out := overdueJSON{Now: l.Now.In(loc), TimeZone: loc.String(), Total: l.Total, Complaints: make([]overdueEntryJSON, len(l.Complaints))}
	at := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		t = t.In(loc)
		return &t
	}
	for i, c := range l.Complaints {
		out.Complaints[i] = overdueEntryJSON{ID: c.ID, Registered: c.Registered.In(loc), Hotline: c.Hotline, Category: c.Category,
			Owner: c.Owner, Teams: c.Teams, State: c.State, Clock: string(c.Clock), Due: c.Due.In(loc), LateSeconds: c.Late.Seconds(),
			ResolveDue: at(c.ResolveDue), FeedbackDue: at(c.FeedbackDue)}
	}
	return out
}
