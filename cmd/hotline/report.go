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
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // --tz works where the system has no zone files (containers)

	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/text/width"

	"github.com/hotline-ivr/hotline/store"
)

// reportDefaults are the report parameters left out, for hotline report and
// GET /api/reports alike; the thresholds are the store's defaults.
var reportDefaults = reportParams{
	tz:           "Asia/Shanghai",
	serviceLevel: store.DefaultServiceLevel.String(),
	shortAbandon: store.DefaultShortAbandon.String(),
	fcrDays:      strconv.Itoa(int(store.DefaultFCRWindow / (24 * time.Hour))),
}

var reportHelp = fmt.Sprintf(`Usage: hotline report --from WHEN --to WHEN [flags]
       hotline report --qa --from WHEN --to WHEN [--tz ZONE] [--by agent|team]
                      [--config FILE] [--format FORMAT]
       hotline report --complaints --from WHEN --to WHEN [--tz ZONE]
                      [--by category|owner|team|day|week|month] [--format FORMAT]
                      [--hotline NUMBER] [--category CODE] [--owner ID] [--team NAME]
       hotline report --complaints --overdue [--tz ZONE] [--format FORMAT]
                      [--hotline NUMBER] [--category CODE] [--owner ID] [--team NAME]

Prints the contact-centre report of a period from the call records in the
PostgreSQL database in DATABASE_URL: calls offered, answered and abandoned,
service level, speed of answer, handle time, first-contact resolution, IVR
containment, satisfaction, transfers and holds; in total, or by hotline,
queue, agent, day or hour. A call counts in the period, day and hour of its
arrival (in --tz), even if it ended after midnight.

Flags:
  --from WHEN      start of the period (required): a date, 2025-03-01, or a
                   time, 2025-03-01T08:00 (in --tz) or RFC 3339 with an
                   offset, 2025-03-01T08:00:00+08:00
  --to WHEN        end of the period (required), not included; a date
                   includes that whole day: --from 2025-03-01 --to 2025-03-31
                   is March
  --tz ZONE        time zone of the dates, days and hours (default %s)
  --by GROUP       hotline, queue, agent, day or hour (default: totals only)
  --format FORMAT  table, csv or json (default table)
  --service-level DURATION
                   the answer-time target T (default %s)
  --short-abandon DURATION
                   callers who hang up this soon are short abandons, counted
                   apart (default %s; 0 counts every abandon)
  --fcr-days N     a repeat call from the same number within N days means
                   the first was not resolved (default %s)
  --hotline NUMBER, --queue NAME, --agent ID
                   only the calls to that number, that entered that queue,
                   or that that agent answered

Metrics (an agent's answer makes a call answered; its wait runs from queue
entry, or from arrival if it never queued):
  Offered        calls that arrived
  Answered       calls an agent answered
  Abandoned      the caller hung up before an agent answered, unless the call
                 had ended self-service, completed, with a message or
                 transferred: in the IVR (never queued, wait from arrival)
                 or in a queue (wait from queue entry)
  Short          abandons within --short-abandon; in no other metric
  Abandon rate   abandoned / (offered - short)
  SL             answered within T / answered
  SL+abandons    answered within T / (answered + queue abandons after T)
  ASA            mean wait of answered calls
  AHT            mean handle time: agent answer to hang-up (talk and hold),
                 plus wrap-up
  FCR            calls whose caller did not call again within --fcr-days /
                 calls with a caller number
  Contained      calls the IVR answered and that ended self-service or
                 completed without a queue, agent or transfer / calls the
                 IVR answered
  Cmpl. 24h      the complaint 24 h closure rate and Fdbk 3d the 3-day
                 feedback rate (as in --complaints) of the complaints
                 registered in the row's period: by hotline, the hotline's;
                 by agent, those the agent owns; by queue, those whose call
                 entered the queue first
  CSAT           mean post-call survey score (1-5); CSAT 4-5 the share of 4s
                 and 5s
  Transfers      transfers; Holds: times on hold
A "-" has nothing to measure: no calls of that kind.

The complaints report (--complaints; with --from, --to, --tz, --by,
--format and the filters --hotline, --category, --owner and --team only):
the complaints registered in the period, in total or by category, owner,
team (a complaint handed to several teams is in each team's row, once in
the total), day, week (ISO, Monday first) or month of registration; the
same as GET /api/complaints/report. A clock's deadline is the one kept when
it started (business hours or calendar time, as the hotline counted it):
  Received       complaints registered; Reopened: those reopened at least once
  24h            the 24 h clocks: one from the registration, one from each
                 reopening, stopped by the next resolution
  3d             the 3-day clocks from customers' feedback (feedback while one
                 runs joins it), stopped by the next resolution, follow-up or
                 closing
  met / late     stopped before the deadline / at or after it
  overdue        still running past the deadline (missed)
  pending        running, not due yet: neither met nor missed
  rate           met / (met + late + overdue)
  Resolve median, mean
                 from each 24 h clock's start to its resolution (calendar)
  Follow-ups     the follow-up tasks of the complaints (cancelled left out);
                 Calls their attempts; Reached; Reach rate reached / (reached
                 + unreached); Satisfied; Satisf. rate satisfied / those
                 reached who answered
--overdue lists instead the complaints whose running clock (24 h or 3 days)
is past its deadline now, most overdue first, with owner, teams, category,
the deadline and how late.

QA's report (--qa, with --from, --to, --tz, --by, --config and --format
only): per agent (--by agent, the default) or per team (--by team), and for
everyone (All), the evaluations submitted in the period outside
calibrations. The teams are the agents' team: in the config file (--config,
hotline.yaml by default, as serve reads it); the agents in none are the row
"(no team)". The figures: evaluations, mean_score, the count of each grade
(four_stars 90-100, three_stars 85-89, two_stars 80-84, one_star 70-79,
pass 60-69, fail below 60), auto_fails, failed_most (the items failed
most, item:count), disputes and their outcomes (upheld, rescored, open);
the same as GET /api/qa/report.

Environment:
  DATABASE_URL   the database, like postgres://hotline:PASSWORD@db:5432/hotline
                 (required)
`, reportDefaults.tz, reportDefaults.serviceLevel, reportDefaults.shortAbandon, reportDefaults.fcrDays)

var reportCommand = command{
	name:     "report",
	synopsis: "report --from --to",
	summary:  "print the contact-centre report of a period (table, CSV or JSON)",
	help:     reportHelp,
	run:      runReport,
}

// reportParams are a report's parameters as typed, on the command line or
// in the API's query string.
type reportParams struct {
	from, to, tz, by                    string
	serviceLevel, shortAbandon, fcrDays string
	hotline, queue, agent               string
}

// query turns p into a store query, and reports every mistake, naming each
// parameter as name does ("--from" on the command line, "from" in a URL).
func (p reportParams) query(name func(string) string) (store.ReportQuery, error) {
	var problems []error
	bad := func(param, format string, args ...any) {
		problems = append(problems, fmt.Errorf("%s: %s", name(param), fmt.Sprintf(format, args...)))
	}
	q := store.ReportQuery{Hotline: p.hotline, Queue: p.queue, Agent: p.agent}

	loc, err := time.LoadLocation(p.tz)
	if err != nil || p.tz == "" {
		bad("tz", "unknown time zone %q: use a name like Asia/Shanghai or UTC", p.tz)
		loc = time.UTC
	}
	q.Location = loc
	var fromOK, toOK bool
	q.From, fromOK = parseWhen(p.from, loc, false)
	if !fromOK {
		bad("from", "%s", whenProblem(p.from))
	}
	q.To, toOK = parseWhen(p.to, loc, true)
	if !toOK {
		bad("to", "%s", whenProblem(p.to))
	}
	if fromOK && toOK && !q.From.Before(q.To) {
		bad("to", "the period ends (%s) before it starts (%s)", q.To.In(loc).Format(time.RFC3339), q.From.In(loc).Format(time.RFC3339))
	}
	switch p.by {
	case store.GroupByTotal, store.GroupByHotline, store.GroupByQueue, store.GroupByAgent, store.GroupByDay, store.GroupByHour:
		q.GroupBy = p.by
	default:
		bad("by", "%q is not a grouping: use hotline, queue, agent, day or hour", p.by)
	}
	if d, ok := parseSeconds(p.serviceLevel); !ok || d <= 0 {
		bad("service-level", "%q is not a duration above 0, like 20s", p.serviceLevel)
	} else {
		q.ServiceLevel = d
	}
	if d, ok := parseSeconds(p.shortAbandon); !ok || d < 0 {
		bad("short-abandon", "%q is not a duration, like 5s (0 for none)", p.shortAbandon)
	} else if q.ShortAbandon = d; d == 0 {
		q.ShortAbandon = store.NoShortAbandon
	}
	if n, err := strconv.Atoi(p.fcrDays); err != nil || n < 1 || n > 366 {
		bad("fcr-days", "%q is not a number of days from 1 to 366", p.fcrDays)
	} else {
		q.FCRWindow = time.Duration(n) * 24 * time.Hour
	}
	if len(problems) == 0 {
		if err := q.Validate(); err != nil { // in the store's words, without its "bad report query: "
			problems = append(problems, errors.New(strings.TrimPrefix(err.Error(), store.ErrBadReportQuery.Error()+": ")))
		}
	}
	return q, errors.Join(problems...)
}

// parseWhen reads a date or a time in loc. A date is the start of that day,
// or, for the end of a period, the start of the next.
func parseWhen(s string, loc *time.Location, end bool) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), true
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func whenProblem(s string) string {
	if s == "" {
		return "is required: a date like 2025-03-01 or a time like 2025-03-01T08:00"
	}
	return fmt.Sprintf("%q is not a date like 2025-03-01 or a time like 2025-03-01T08:00 or 2025-03-01T08:00:00+08:00", s)
}

// parseSeconds reads a Go duration (20s, 1m30s) or a number of seconds.
func parseSeconds(s string) (time.Duration, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Second, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil
}

func runReport(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	p := reportDefaults
	fs.StringVar(&p.from, "from", "", "")
	fs.StringVar(&p.to, "to", "", "")
	fs.StringVar(&p.tz, "tz", p.tz, "")
	fs.StringVar(&p.by, "by", "", "")
	fs.StringVar(&p.serviceLevel, "service-level", p.serviceLevel, "")
	fs.StringVar(&p.shortAbandon, "short-abandon", p.shortAbandon, "")
	fs.StringVar(&p.fcrDays, "fcr-days", p.fcrDays, "")
	fs.StringVar(&p.hotline, "hotline", "", "")
	fs.StringVar(&p.queue, "queue", "", "")
	fs.StringVar(&p.agent, "agent", "", "")
	format := fs.String("format", "table", "")
	qa := fs.Bool("qa", false, "")
	configPath := fs.String("config", "", "")
	complaintsReport := fs.Bool("complaints", false, "")
	overdue := fs.Bool("overdue", false, "")
	category := fs.String("category", "", "")
	owner := fs.String("owner", "", "")
	team := fs.String("team", "", "")
	if err := parseFlags(fs, args, e, reportHelp); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("report takes no arguments, got %q", fs.Args()), help: reportHelp}
	}
	if *qa && *complaintsReport {
		return &usageError{msg: "--qa and --complaints are two reports: ask for one", help: reportHelp}
	}
	if *qa {
		return runQAReport(ctx, e, fs, p, *configPath, *format)
	}
	if *complaintsReport {
		return runComplaintReport(ctx, e, fs, complaintParams{from: p.from, to: p.to, tz: p.tz, by: p.by,
			hotline: p.hotline, category: *category, owner: *owner, team: *team}, *overdue, *format)
	}
	q, err := p.query(func(param string) string { return "--" + param })
	q.Now = e.now()
	if *configPath != "" {
		err = errors.Join(err, errors.New("--config is only for --qa (the agents' teams)"))
	}
	for _, f := range []string{"overdue", "category", "owner", "team"} {
		if flagSet(fs, f) {
			err = errors.Join(err, fmt.Errorf("--%s is only for --complaints", f))
		}
	}
	write, ok := reportWriters[*format]
	if !ok {
		err = errors.Join(err, fmt.Errorf("--format: %q is not a format: use table, csv or json", *format))
	}
	if err != nil {
		return &usageError{msg: strings.ReplaceAll(err.Error(), "\n", "\nhotline: "), help: reportHelp}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := openDatabaseURL(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := store.Report(ctx, db, q)
	if err != nil {
		return explainReportError(err)
	}
	return write(e.stdout, res)
}

// flagSet says whether the command line set flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// explainReportError adds what to do to the errors a user can fix.
func explainReportError(err error) error {
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42P01": // undefined_table
		return fmt.Errorf("%w\nthe database has no call records yet: run \"hotline migrate\" (or \"hotline serve\") on it first", err)
	case errors.As(err, &pgErr) && pgErr.Code == "42703": // undefined_column: an older schema (the deadlines the complaints' changes keep)
		return fmt.Errorf("%w\nthe database's schema is older than this hotline: run \"hotline migrate\" (or \"hotline serve\") on it first", err)
	}
	return err
}

// reportWriters print a report in each --format.
var reportWriters = map[string]func(io.Writer, *store.ReportResult) error{
	"table": writeReportTable,
	"csv":   writeReportCSV,
	"json":  writeReportJSON,
}

// reportGroupNames are the headers of the group column.
var reportGroupNames = map[string]string{
	store.GroupByTotal: "", store.GroupByHotline: "Hotline", store.GroupByQueue: "Queue",
	store.GroupByAgent: "Agent", store.GroupByDay: "Day", store.GroupByHour: "Hour",
}

const (
	reportTimeLayout = "2006-01-02 15:04"
	noValue          = "-" // nothing to measure, in a table
)

// writeReportTable prints a heading and a table: a row per group, then the
// totals. Counts are whole, shares percentages to 0.1, times whole seconds,
// CSAT to 0.01.
func writeReportTable(w io.Writer, res *store.ReportResult) error {
	q := res.Query
	heading := fmt.Sprintf("Hotline report %s to %s (%s)", q.From.In(q.Location).Format(reportTimeLayout),
		q.To.In(q.Location).Format(reportTimeLayout), q.Location)
	if q.GroupBy != store.GroupByTotal {
		heading += ", by " + q.GroupBy
	}
	var filters []string
	for _, f := range [][2]string{{"hotline", q.Hotline}, {"queue", q.Queue}, {"agent", q.Agent}} {
		if f[1] != "" {
			filters = append(filters, f[0]+" "+f[1])
		}
	}
	if len(filters) > 0 {
		heading += "; only " + strings.Join(filters, ", ")
	}
	short := "short abandons within " + q.ShortAbandon.String()
	if q.ShortAbandon < 0 {
		short = "no short abandons"
	}
	sl := seconds(q.ServiceLevel)
	fmt.Fprintf(w, "%s\nService level target %s; %s; FCR over %s days.\n\n", heading, sl, short, fcrDays(q.FCRWindow))

	table := [][]string{{cmpOr(reportGroupNames[q.GroupBy], "Period"), "Offered", "Answered", "Aband. IVR", "Aband. queue", "Short aband.",
		"Aband. rate", "SL " + sl, "SL+aband. " + sl, "ASA", "AHT", "FCR", "Contained", "Cmpl. 24h", "Fdbk 3d", "CSAT", "CSAT 4-5", "Transfers", "Holds"}}
	cells := func(label string, r store.ReportRow) []string {
		return []string{label, count(r.Offered), count(r.Answered), count(r.AbandonedIVR), count(r.AbandonedQueue),
			count(r.ShortAbandoned()), percent(r.AbandonRate), percent(r.ServiceLevel), percent(r.ServiceLevelAbandons),
			meanSeconds(r.SpeedOfAnswer), meanSeconds(r.HandleTime), percent(r.FirstContact), percent(r.Containment),
			percent(r.Complaint24h), percent(r.Feedback3d), mean(r.CSAT), percent(r.Satisfied), count(r.Transfers), count(r.Holds)}
	}
	for _, r := range res.Rows {
		table = append(table, cells(cmpOr(r.Key, "(none)"), r))
	}
	table = append(table, cells("Total", res.Total))
	return writeColumns(w, table)
}

func cmpOr(s, or string) string {
	if s == "" {
		return or
	}
	return s
}

// writeColumns prints rows as columns two spaces apart: the first aligned
// left, the others right.
func writeColumns(w io.Writer, rows [][]string) error {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	var b strings.Builder
	for _, row := range rows {
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-displayWidth(c))
			switch {
			case i == 0:
				b.WriteString(c + pad)
			default:
				b.WriteString("  " + pad + c)
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// displayWidth is how many columns a terminal gives s: two for each wide
// character (Chinese names: 售后), one for the others.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

func count(n int64) string { return strconv.FormatInt(n, 10) }

func percent(r store.Ratio) string {
	v, ok := r.Value()
	if !ok {
		return noValue
	}
	return strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
}

func mean(r store.Ratio) string {
	v, ok := r.Value()
	if !ok {
		return noValue
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func meanSeconds(m store.MeanDuration) string {
	d, ok := m.Value()
	if !ok {
		return noValue
	}
	return seconds(d)
}

// seconds is d to the nearest second: 45s, 4m08s, 1h02m03s.
func seconds(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%dh%02dm%02ds", s/3600, s/60%60, s%60)
	}
}

func fcrDays(d time.Duration) string {
	return strconv.FormatFloat(d.Hours()/24, 'f', -1, 64)
}

// writeReportCSV prints a header and a record per group, then the totals
// (group "Total"). Shares are percentages and times seconds, both to 0.1;
// an empty field has nothing to measure.
func writeReportCSV(w io.Writer, res *store.ReportResult) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"group", "start", "end", "offered", "answered", "abandoned_ivr", "abandoned_queue",
		"short_abandoned_ivr", "short_abandoned_queue", "abandon_rate_pct", "service_level_pct", "service_level_with_abandons_pct",
		"asa_seconds", "aht_seconds", "fcr_pct", "containment_pct", "csat_mean", "csat_4_5_pct", "csat_responses", "transfers", "holds",
		"complaint_24h_pct", "complaint_24h_decided", "feedback_3d_pct", "feedback_3d_decided"})
	q := res.Query
	record := func(group string, r store.ReportRow) {
		start, end := q.From, q.To
		if !r.Start.IsZero() {
			start, end = r.Start, r.End
		}
		cw.Write([]string{group, start.In(q.Location).Format(time.RFC3339), end.In(q.Location).Format(time.RFC3339),
			count(r.Offered), count(r.Answered), count(r.AbandonedIVR), count(r.AbandonedQueue),
			count(r.ShortAbandonedIVR), count(r.ShortAbandonedQueue), csvPercent(r.AbandonRate), csvPercent(r.ServiceLevel),
			csvPercent(r.ServiceLevelAbandons), csvSeconds(r.SpeedOfAnswer), csvSeconds(r.HandleTime), csvPercent(r.FirstContact),
			csvPercent(r.Containment), csvMean(r.CSAT), csvPercent(r.Satisfied), count(r.CSAT.Den), count(r.Transfers), count(r.Holds),
			csvPercent(r.Complaint24h), count(r.Complaint24h.Den), csvPercent(r.Feedback3d), count(r.Feedback3d.Den)})
	}
	for _, r := range res.Rows {
		record(r.Key, r)
	}
	record("Total", res.Total)
	cw.Flush()
	return cw.Error()
}

func csvPercent(r store.Ratio) string {
	v, ok := r.Value()
	if !ok {
		return ""
	}
	return strconv.FormatFloat(100*v, 'f', 1, 64)
}

func csvMean(r store.Ratio) string {
	v, ok := r.Value()
	if !ok {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func csvSeconds(m store.MeanDuration) string {
	d, ok := m.Value()
	if !ok {
		return ""
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64)
}

// reportJSON is a report as hotline report --format json prints it and
// GET /api/reports serves it.
type reportJSON struct {
	From                time.Time `json:"from"`
	To                  time.Time `json:"to"`
	TimeZone            string    `json:"time_zone"`
	GroupBy             string    `json:"group_by"` // "" for totals only
	ServiceLevelSeconds float64   `json:"service_level_seconds"`
	ShortAbandonSeconds float64   `json:"short_abandon_seconds"` // 0: none
	FCRDays             float64   `json:"fcr_days"`
	Hotline             string    `json:"hotline,omitempty"`
	Queue               string    `json:"queue,omitempty"`
	Agent               string    `json:"agent,omitempty"`
	Rows                []rowJSON `json:"rows"`
	Total               rowJSON   `json:"total"`
}

// rowJSON is one ReportRow. A share's value is a fraction from 0 to 1, and
// null (like a mean) when there is nothing to measure.
type rowJSON struct {
	Group                    string     `json:"group"` // "" for calls without a hotline, queue or agent
	Start                    *time.Time `json:"start,omitempty"`
	End                      *time.Time `json:"end,omitempty"`
	Offered                  int64      `json:"offered"`
	Answered                 int64      `json:"answered"`
	Abandoned                int64      `json:"abandoned"`
	AbandonedIVR             int64      `json:"abandoned_ivr"`
	AbandonedQueue           int64      `json:"abandoned_queue"`
	ShortAbandoned           int64      `json:"short_abandoned"`
	ShortAbandonedIVR        int64      `json:"short_abandoned_ivr"`
	ShortAbandonedQueue      int64      `json:"short_abandoned_queue"`
	AbandonRate              ratioJSON  `json:"abandon_rate"`
	ServiceLevel             ratioJSON  `json:"service_level"`
	ServiceLevelWithAbandons ratioJSON  `json:"service_level_with_abandons"`
	ASASeconds               *float64   `json:"asa_seconds"`
	AHTSeconds               *float64   `json:"aht_seconds"`
	FirstContactResolution   ratioJSON  `json:"first_contact_resolution"`
	Containment              ratioJSON  `json:"containment"`
	CSAT                     csatJSON   `json:"csat"`
	Transfers                int64      `json:"transfers"`
	Holds                    int64      `json:"holds"`
	// The complaints registered in the row: their 24 h clocks and 3-day
	// feedback clocks met / decided (met, late or overdue).
	Complaint24h ratioJSON `json:"complaint_24h_closure"`
	Feedback3d   ratioJSON `json:"feedback_3d"`
}

type ratioJSON struct {
	Value *float64 `json:"value"`
	Num   int64    `json:"num"`
	Den   int64    `json:"den"`
}

type csatJSON struct {
	Responses int64     `json:"responses"`
	Mean      *float64  `json:"mean"`
	Satisfied ratioJSON `json:"satisfied"` // scores of 4 and 5
}

func newReportJSON(res *store.ReportResult) reportJSON {
	q := res.Query
	out := reportJSON{
		From: q.From.In(q.Location), To: q.To.In(q.Location), TimeZone: q.Location.String(), GroupBy: q.GroupBy,
		ServiceLevelSeconds: q.ServiceLevel.Seconds(), ShortAbandonSeconds: max(q.ShortAbandon, 0).Seconds(),
		FCRDays: q.FCRWindow.Hours() / 24, Hotline: q.Hotline, Queue: q.Queue, Agent: q.Agent,
		Rows: make([]rowJSON, len(res.Rows)), Total: newRowJSON(res.Total, q.Location),
	}
	for i, r := range res.Rows {
		out.Rows[i] = newRowJSON(r, q.Location)
	}
	return out
}

func newRowJSON(r store.ReportRow, loc *time.Location) rowJSON {
	out := rowJSON{
		Group: r.Key, Offered: r.Offered, Answered: r.Answered,
		Abandoned: r.Abandoned(), AbandonedIVR: r.AbandonedIVR, AbandonedQueue: r.AbandonedQueue,
		ShortAbandoned: r.ShortAbandoned(), ShortAbandonedIVR: r.ShortAbandonedIVR, ShortAbandonedQueue: r.ShortAbandonedQueue,
		AbandonRate: newRatioJSON(r.AbandonRate), ServiceLevel: newRatioJSON(r.ServiceLevel),
		ServiceLevelWithAbandons: newRatioJSON(r.ServiceLevelAbandons),
		ASASeconds:               meanJSON(r.SpeedOfAnswer), AHTSeconds: meanJSON(r.HandleTime),
		FirstContactResolution: newRatioJSON(r.FirstContact), Containment: newRatioJSON(r.Containment),
		CSAT:      csatJSON{Responses: r.CSAT.Den, Mean: newRatioJSON(r.CSAT).Value, Satisfied: newRatioJSON(r.Satisfied)},
		Transfers: r.Transfers, Holds: r.Holds,
		Complaint24h: newRatioJSON(r.Complaint24h), Feedback3d: newRatioJSON(r.Feedback3d),
	}
	if !r.Start.IsZero() {
		start, end := r.Start.In(loc), r.End.In(loc)
		out.Start, out.End = &start, &end
	}
	return out
}

func newRatioJSON(r store.Ratio) ratioJSON {
	out := ratioJSON{Num: r.Num, Den: r.Den}
	if v, ok := r.Value(); ok {
		out.Value = &v
	}
	return out
}

func meanJSON(m store.MeanDuration) *float64 {
	d, ok := m.Value()
	if !ok {
		return nil
	}
	s := d.Seconds()
	return &s
}

func writeReportJSON(w io.Writer, res *store.ReportResult) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(newReportJSON(res))
}
