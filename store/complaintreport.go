package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/hotline-ivr/hotline/complaints"
)

// How the complaints report groups complaints: the values of
// ComplaintReportQuery.GroupBy.
const (
	ComplaintsByTotal    = ""         // one row: the whole period
	ComplaintsByCategory = "category" // by the complaint's category
	ComplaintsByOwner    = "owner"    // by its owner (首问负责人)
	ComplaintsByTeam     = "team"     // by each responsible team: a complaint of two teams is in both rows
	ComplaintsByDay      = "day"      // by the local day of registration
	ComplaintsByWeek     = "week"     // by the local ISO week (Monday to Sunday) of registration, keyed like 2025-W10
	ComplaintsByMonth    = "month"    // by the local month of registration, keyed like 2025-03
)

// ComplaintReportQuery is what a complaints report covers.
type ComplaintReportQuery struct {
	// From and To are the period, [From, To): a complaint belongs to it
	// by its registration, and every figure is about the complaints
	// registered in it (their clocks and follow-ups included, whenever
	// those came).
	From, To time.Time
	// Location is the time zone of the days, weeks and months (nil: UTC).
	Location *time.Location
	// GroupBy is one of the ComplaintsBy constants.
	GroupBy string
	// Now is what the running clocks' deadlines are compared with: a
	// running clock whose deadline is not after Now is overdue, a later
	// one pending. Zero: the time the report is made.
	Now time.Time
	// Hotline, Category, Owner and Team, when not empty, keep only the
	// complaints of that hotline, category, owner, or with that team among
	// their responsible teams.
	Hotline, Category, Owner, Team string
}

// WithDefaults returns q with UTC for a nil Location.
func (q ComplaintReportQuery) WithDefaults() ComplaintReportQuery {
	if q.Location == nil {
		q.Location = time.UTC
	}
	return q
}

// Validate reports every reason q cannot be run; each wraps
// ErrBadReportQuery.
func (q ComplaintReportQuery) Validate() error {
	q = q.WithDefaults()
	var problems []error
	switch {
	case q.From.IsZero() || q.To.IsZero():
		problems = append(problems, errors.New("the period needs both a start and an end"))
	case !q.From.Before(q.To):
		problems = append(problems, fmt.Errorf("the period is empty: its end (%s) must come after its start (%s)",
			q.To.In(q.Location).Format(time.RFC3339), q.From.In(q.Location).Format(time.RFC3339)))
	}
	if !slices.Contains(complaintGroupings, q.GroupBy) {
		problems = append(problems, fmt.Errorf("cannot group complaints by %q: use category, owner, team, day, week or month, or nothing for totals", q.GroupBy))
	}
	if len(problems) == 0 && isPeriodGrouping(q.GroupBy) {
		if _, err := periods(q.From, q.To, q.Location, q.GroupBy); err != nil {
			problems = append(problems, err)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrBadReportQuery, errors.Join(problems...))
}

var complaintGroupings = []string{ComplaintsByTotal, ComplaintsByCategory, ComplaintsByOwner, ComplaintsByTeam, ComplaintsByDay, ComplaintsByWeek, ComplaintsByMonth}

func isPeriodGrouping(by string) bool {
	return by == GroupByDay || by == GroupByHour || by == ComplaintsByWeek || by == ComplaintsByMonth
}

// ClockFigures count one kind of clock of a row's complaints: the 24 h
// resolution clocks or the 3-day feedback clocks. A clock is started by a
// change that keeps its deadline (complaint_changes.due, set when it
// started, as the hotline's hours counted it: business hours or calendar
// time; never computed again here): the registration and every reopening
// start a 24 h clock, a customer's feedback while no feedback clock runs
// starts a 3-day clock (feedback given while one runs joins it: the
// running clock keeps the earliest deadline). A 24 h clock stops at the
// next resolution; a 3-day clock at the next resolution, follow-up or
// closing. Every clock is exactly one of:
type ClockFigures struct {
	Met     int64 // stopped before its deadline
	Late    int64 // stopped at or after its deadline
	Overdue int64 // still running, its deadline not after Now: missed already
	Pending int64 // still running, its deadline after Now: neither met nor missed yet
}

// Clocks is every clock counted.
func (c ClockFigures) Clocks() int64 { return c.Met + c.Late + c.Overdue + c.Pending }

// Rate is the clocks met ÷ the clocks decided (met, late or overdue); the
// pending ones are in neither.
func (c ClockFigures) Rate() Ratio { return Ratio{c.Met, c.Met + c.Late + c.Overdue} }

// FollowUpFigures count the follow-up visits (电话回访, table followups,
// reason complaint) of a row's complaints; cancelled tasks are left out.
type FollowUpFigures struct {
	Tasks       int64 // tasks, but the cancelled
	Attempts    int64 // their calls (followup_attempts), whatever the outcome
	Reached     int64 // done: the customer was reached
	Unreached   int64 // every attempt failed
	Open        int64 // not finished: pending, dialling or offered
	Satisfied   int64 // reached, and said satisfied
	Unsatisfied int64 // reached, and said not satisfied (reached without saying: neither)
}

// ReachRate is reached ÷ (reached + unreached): of the finished tasks.
func (f FollowUpFigures) ReachRate() Ratio { return Ratio{f.Reached, f.Reached + f.Unreached} }

// SatisfactionRate is satisfied ÷ (satisfied + unsatisfied): of the
// customers reached who answered.
func (f FollowUpFigures) SatisfactionRate() Ratio {
	return Ratio{f.Satisfied, f.Satisfied + f.Unsatisfied}
}

// ComplaintRow is the figures of one group of complaints: a category,
// owner, team, day, week or month's, or all of them. Its complaints are
// those registered in the period (its part of the period, for a day, week
// or month) that pass the query's filters.
type ComplaintRow struct {
	// Key is the category, owner or team, the local day "2006-01-02",
	// week "2006-W01" or month "2006-01", or "" for the totals.
	Key string
	// Start and End are, for a day, week or month, the part of the period
	// the row covers; zero otherwise.
	Start, End time.Time

	Received int64 // complaints registered
	Reopened int64 // of them, those reopened at least once

	// Resolve is the 24 h clocks (a reopened complaint has one per
	// opening); Resolve.Rate() is the 24 h closure rate.
	Resolve ClockFigures
	// Feedback is the 3-day clocks; Feedback.Rate() is the 3-day feedback
	// rate.
	Feedback ClockFigures

	// TimeToResolve is the mean, and MedianToResolve the median (of an
	// even number, the mean of the middle two), of the time from each 24 h
	// clock's start (registration or reopening) to the resolution that
	// stopped it, in calendar time, over the clocks stopped
	// (TimeToResolve.N); MedianToResolve is 0 when there are none.
	TimeToResolve   MeanDuration
	MedianToResolve time.Duration

	FollowUps FollowUpFigures
}

// ComplaintReportResult is a complaints report: a row per group, and the
// totals, in which a complaint counts once however many teams it has.
type ComplaintReportResult struct {
	// Query is the query run, with its defaults (Now included).
	Query ComplaintReportQuery
	// Rows are the groups: categories, owners and teams in the order of
	// their names; every day, week or month of the period in order, those
	// without complaints included. None for ComplaintsByTotal.
	Rows  []ComplaintRow
	Total ComplaintRow
}

// ComplaintReport computes the complaints report q asks for, in one query
// that PostgreSQL aggregates. An invalid q returns an error wrapping
// ErrBadReportQuery before db is used.
func ComplaintReport(ctx context.Context, db *pgxpool.Pool, q ComplaintReportQuery) (_ *ComplaintReportResult, err error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	q = q.WithDefaults()
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	ctx, span := tracer.Start(ctx, "store.ComplaintReport")
	span.SetAttributes(
		attribute.String("hotline.report.group_by", q.GroupBy),
		attribute.String("hotline.report.from", q.From.Format(time.RFC3339)),
		attribute.String("hotline.report.to", q.To.Format(time.RFC3339)),
	)
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}()
	var ps []period
	if isPeriodGrouping(q.GroupBy) {
		if ps, err = periods(q.From, q.To, q.Location, q.GroupBy); err != nil {
			return nil, err
		}
	}
	keys := map[string]string{
		ComplaintsByTotal:    `ARRAY['']`,
		ComplaintsByCategory: `ARRAY[c.category]`,
		ComplaintsByOwner:    `ARRAY[c.owner]`,
		ComplaintsByTeam:     `c.teams`,
	}[q.GroupBy]
	if ps != nil {
		keys = periodKeys
	}
	groups, total, err := queryComplaintFigures(ctx, db, complaintSpec{
		from: q.From, to: q.To, now: q.Now, keys: keys, periods: ps,
		hotline: q.Hotline, category: q.Category, owner: q.Owner, team: q.Team,
	})
	if err != nil {
		return nil, fmt.Errorf("computing the complaints report: %w", err)
	}
	res := &ComplaintReportResult{Query: q, Total: total}
	switch {
	case q.GroupBy == ComplaintsByTotal:
	case ps != nil:
		res.Rows = make([]ComplaintRow, len(ps))
		for i, p := range ps {
			row := groups[fmt.Sprint(i+1)]
			row.Key, row.Start, row.End = p.key, p.start, p.end
			res.Rows[i] = row
		}
	default:
		res.Rows = make([]ComplaintRow, 0, len(groups))
		for _, r := range groups {
			res.Rows = append(res.Rows, r)
		}
		slices.SortFunc(res.Rows, func(a, b ComplaintRow) int { return compareKeys(a.Key, b.Key) })
	}
	span.SetAttributes(attribute.Int("hotline.report.rows", len(res.Rows)))
	return res, nil
}

// compareKeys orders group keys bytewise, "" (none) last.
func compareKeys(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	case a < b:
		return -1
	}
	return 1
}

// OverdueQuery selects the overdue list.
type OverdueQuery struct {
	// Now is what the deadlines are compared with (zero: the time of the
	// query).
	Now time.Time
	// Hotline, Category, Owner and Team, when not empty, keep only those
	// complaints, as in ComplaintReportQuery.
	Hotline, Category, Owner, Team string
	// Limit bounds the list (0: no bound); Total still counts them all.
	Limit int
}

// OverdueComplaint is a complaint with a running clock past its deadline.
type OverdueComplaint struct {
	ID         string
	Hotline    string
	Registered time.Time
	Category   string
	Owner      string
	Teams      []string
	State      complaints.State
	// Clock is the clock most overdue (ResolveClock, FeedbackClock), Due
	// its deadline and Late how long ago that was.
	Clock complaints.ClockName
	Due   time.Time
	Late  time.Duration
	// ResolveDue and FeedbackDue are the running clocks' deadlines, past
	// or not (zero: not running).
	ResolveDue, FeedbackDue time.Time
}

// OverdueList is the overdue list: the complaints whose running clock (24
// h or 3 days) reached its deadline by Now, most overdue first.
type OverdueList struct {
	Now        time.Time
	Complaints []OverdueComplaint
	Total      int // all the overdue complaints, beyond a Limit too
}

// overdueSQL lists the complaints with a running clock due by $1, found
// through the running clocks' indexes (the fence, OFFSET 0, keeps the
// planner from walking every complaint in deadline order instead).
const overdueSQL = `
SELECT id, hotline, registered_at, category, owner, teams, state, resolve_due, feedback_due, count(*) OVER ()
FROM (
	SELECT * FROM complaints c
	WHERE (c.resolve_due <= $1 OR c.feedback_due <= $1)
		AND ($2 = '' OR c.hotline = $2) AND ($3 = '' OR c.category = $3)
		AND ($4 = '' OR c.owner = $4) AND ($5 = '' OR c.teams @> ARRAY[$5]::text[])
	OFFSET 0
) c
ORDER BY least(CASE WHEN resolve_due <= $1 THEN resolve_due END, CASE WHEN feedback_due <= $1 THEN feedback_due END), id
LIMIT $6`

// Overdue returns the overdue list q selects.
func Overdue(ctx context.Context, db *pgxpool.Pool, q OverdueQuery) (*OverdueList, error) {
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	if q.Limit < 0 {
		return nil, fmt.Errorf("%w: the limit %d is negative", ErrBadReportQuery, q.Limit)
	}
	var limit *int
	if q.Limit > 0 {
		limit = &q.Limit
	}
	rows, err := db.Query(ctx, overdueSQL, q.Now, q.Hotline, q.Category, q.Owner, q.Team, limit)
	if err != nil {
		return nil, fmt.Errorf("listing the overdue complaints: %w", err)
	}
	defer rows.Close()
	out := &OverdueList{Now: q.Now, Complaints: []OverdueComplaint{}}
	for rows.Next() {
		var c OverdueComplaint
		var rd, fd *time.Time
		if err := rows.Scan(&c.ID, &c.Hotline, &c.Registered, &c.Category, &c.Owner, &c.Teams, &c.State, &rd, &fd, &out.Total); err != nil {
			return nil, fmt.Errorf("listing the overdue complaints: %w", err)
		}
		c.ResolveDue, c.FeedbackDue = deref(rd), deref(fd)
		c.Clock, c.Due = complaints.ResolveClock, c.ResolveDue
		if !c.FeedbackDue.IsZero() && !c.FeedbackDue.After(q.Now) && (c.Due.IsZero() || c.Due.After(q.Now) || c.FeedbackDue.Before(c.Due)) {
			c.Clock, c.Due = complaints.FeedbackClock, c.FeedbackDue
		}
		c.Late = q.Now.Sub(c.Due)
		out.Complaints = append(out.Complaints, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing the overdue complaints: %w", err)
	}
	return out, nil
}
