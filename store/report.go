package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
)

// ErrBadReportQuery means a ReportQuery cannot be run: an empty or
// backward period, an unknown grouping, a negative threshold. The error
// says which, in words a report's user can act on.
var ErrBadReportQuery = errors.New("bad report query")

// How a report groups calls: the values of ReportQuery.GroupBy.
const (
	GroupByTotal   = ""        // one row: the whole period
	GroupByHotline = "hotline" // by the dialled number
	GroupByQueue   = "queue"   // by the first queue entered
	GroupByAgent   = "agent"   // by the agent who answered first
	GroupByDay     = "day"     // by the local day of arrival
	GroupByHour    = "hour"    // by the local hour of arrival
)

// The report's defaults, applied by [ReportQuery.WithDefaults] to the
// thresholds a query leaves at zero.
const (
	DefaultServiceLevel = 20 * time.Second   // answered within it counts toward service level
	DefaultShortAbandon = 5 * time.Second    // abandons within it are counted apart
	DefaultFCRWindow    = 7 * 24 * time.Hour // a repeat call within it means not resolved
)

// NoShortAbandon, as ReportQuery.ShortAbandon, counts every abandon as one:
// no call is set apart as a short abandon. (Zero means the default.)
const NoShortAbandon time.Duration = -1

// maxReportPeriods bounds the rows of a report by day or hour: a little
// over two years by hour.
const maxReportPeriods = 20_000

// ReportQuery is what a report covers and how it measures.
type ReportQuery struct {
	// From and To are the period, [From, To): a call belongs to it by its
	// arrival.
	From, To time.Time
	// Location is the time zone of the days and hours of GroupByDay and
	// GroupByHour: a call counts on the local day (and hour) it arrived,
	// even if it ended after midnight. Nil means UTC.
	Location *time.Location
	// GroupBy is GroupByTotal, GroupByHotline, GroupByQueue, GroupByAgent,
	// GroupByDay or GroupByHour.
	GroupBy string
	// ServiceLevel is the answer-time target T (default 20 s).
	ServiceLevel time.Duration
	// ShortAbandon: a caller who hangs up this soon (after arrival in the
	// IVR, after queue entry in a queue) is a short abandon, counted apart
	// from the abandons (default 5 s; NoShortAbandon for none).
	ShortAbandon time.Duration
	// FCRWindow: a call is resolved at first contact if its caller does not
	// call again within it (default 7 days).
	FCRWindow time.Duration
	// Hotline, Queue and Agent, when not empty, keep only the calls to that
	// number, that entered that queue first, or that that agent answered
	// first; and the complaints of that hotline, whose call entered that
	// queue first, or that that agent owns.
	Hotline, Queue, Agent string
	// Now is what the complaints' running clocks are compared with (see
	// ComplaintReportQuery.Now). Zero: the time the report is made.
	Now time.Time
}

// WithDefaults returns q with the defaults in place of the zero
// thresholds and a nil Location.
func (q ReportQuery) WithDefaults() ReportQuery {
	if q.Location == nil {
		q.Location = time.UTC
	}
	if q.ServiceLevel == 0 {
		q.ServiceLevel = DefaultServiceLevel
	}
	if q.ShortAbandon == 0 {
		q.ShortAbandon = DefaultShortAbandon
	}
	if q.ShortAbandon < 0 {
		q.ShortAbandon = NoShortAbandon
	}
	if q.FCRWindow == 0 {
		q.FCRWindow = DefaultFCRWindow
	}
	return q
}

// Validate reports every reason q, with its defaults, cannot be run; each
// wraps ErrBadReportQuery.
func (q ReportQuery) Validate() error {
	q = q.WithDefaults()
	var problems []error
	switch {
	case q.From.IsZero() || q.To.IsZero():
		problems = append(problems, errors.New("the period needs both a start and an end"))
	case !q.From.Before(q.To):
		problems = append(problems, fmt.Errorf("the period is empty: its end (%s) must come after its start (%s)",
			q.To.In(q.Location).Format(time.RFC3339), q.From.In(q.Location).Format(time.RFC3339)))
	}
	switch q.GroupBy {
	case GroupByTotal, GroupByHotline, GroupByQueue, GroupByAgent, GroupByDay, GroupByHour:
	default:
		problems = append(problems, fmt.Errorf("cannot group by %q: use hotline, queue, agent, day or hour, or nothing for totals", q.GroupBy))
	}
	if q.ServiceLevel < 0 {
		problems = append(problems, fmt.Errorf("the service-level target %s is negative", q.ServiceLevel))
	}
	if q.FCRWindow < 0 {
		problems = append(problems, fmt.Errorf("the first-contact-resolution window %s is negative", q.FCRWindow))
	}
	if len(problems) == 0 && (q.GroupBy == GroupByDay || q.GroupBy == GroupByHour) {
		if _, err := periods(q.From, q.To, q.Location, q.GroupBy); err != nil {
			problems = append(problems, err)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrBadReportQuery, errors.Join(problems...))
}

// Ratio is Num ÷ Den, kept as its two counts so that a report can show
// what a share is made of, and "nothing to measure" (Den 0) apart from 0 %.
type Ratio struct {
	Num, Den int64
}

// Value is Num ÷ Den; false when Den is 0.
func (r Ratio) Value() (float64, bool) {
	if r.Den == 0 {
		return 0, false
	}
	return float64(r.Num) / float64(r.Den), true
}

// MeanDuration is the mean of N durations that add up to Total.
type MeanDuration struct {
	Total time.Duration
	N     int64
}

// Value is Total ÷ N; false when N is 0.
func (m MeanDuration) Value() (time.Duration, bool) {
	if m.N == 0 {
		return 0, false
	}
	return m.Total / time.Duration(m.N), true
}

// ReportRow is the metrics of one group of calls: the calls of one hotline,
// queue, agent, day or hour, or all of them. Every metric of a row is about
// the row's calls, the calls that arrived in the period (and its part of
// the period, for a day or an hour) and pass the query's filters.
//
// Words used below: a call is answered when an agent answered it
// (agent_answered_at set). Its wait is from queue entry (from arrival if it
// was never queued) to the agent's answer or, for an abandon, to the end of
// the call. A call ended in a served outcome when it ended self_service,
// completed, message or transferred.
type ReportRow struct {
	// Key is the group: a hotline number, queue name or agent ID ("" for
	// calls without one), a local day "2006-01-02" or hour "2006-01-02
	// 15:04", or "" for the totals.
	Key string
	// Start and End are, for a day or an hour, the part of the period the
	// row covers (the first and last are cut to the period); zero
	// otherwise.
	Start, End time.Time

	Offered  int64 // every call
	Answered int64 // answered by an agent

	// Abandons: the caller hung up, no agent answered, and the call had not
	// ended in a served outcome. In the IVR: never queued, the wait counted
	// from arrival; in a queue: queued, counted from queue entry. An abandon
	// whose wait is within the short-abandon threshold (≤) is a short
	// abandon: counted in Short*, and in no other metric. An abandon whose
	// end is unknown is not short.
	AbandonedIVR, AbandonedQueue           int64
	ShortAbandonedIVR, ShortAbandonedQueue int64
	// AbandonRate is the abandons ÷ (offered − short abandons).
	AbandonRate Ratio

	// ServiceLevel is answered within T (wait ≤ T) ÷ answered.
	ServiceLevel Ratio
	// ServiceLevelAbandons is answered within T ÷ (answered + queue
	// abandons that waited longer than T).
	ServiceLevelAbandons Ratio
	// SpeedOfAnswer is the mean wait of answered calls (ASA).
	SpeedOfAnswer MeanDuration
	// HandleTime is the mean handle time of answered calls that ended
	// (AHT): from the agent's answer to the end of the call (talk and hold)
	// and on to the end of wrap-up, when there was one.
	HandleTime MeanDuration

	// FirstContact is the calls whose caller did not call again (any
	// hotline, in or after the period) within the FCR window after the
	// call's arrival (≤) ÷ the calls with a caller number.
	FirstContact Ratio
	// Containment is the calls contained in the IVR ÷ the calls the IVR
	// answered. Contained: answered by the IVR, ended self_service or
	// completed, never queued, answered by no agent, never transferred.
	Containment Ratio

	// CSAT is the sum of the csat survey scores from 1 to 5 ÷ the number of
	// them: the mean score. Satisfied is those scoring 4 or 5 ÷ that number.
	CSAT, Satisfied Ratio

	// Transfers counts transfers: per call, the calls row's transfers or
	// its successful transfer events, whichever is more. Holds adds up the
	// calls rows' holds.
	Transfers, Holds int64

	// Complaint24h is the complaint 24 h closure rate and Feedback3d the
	// 3-day feedback rate (ClockFigures.Rate: the clocks met ÷ those met,
	// late or overdue; pending ones in neither) of the complaints
	// registered in the row's period: by hotline, the complaints of the
	// hotline; by agent, those the agent owns; by queue, those whose call
	// entered the queue first ("": without a call or a queue); by day or
	// hour, those registered in it.
	Complaint24h, Feedback3d Ratio
}

// Abandoned is the abandons, in the IVR and in queues, short ones apart.
func (r ReportRow) Abandoned() int64 { return r.AbandonedIVR + r.AbandonedQueue }

// ShortAbandoned is the short abandons, in the IVR and in queues.
func (r ReportRow) ShortAbandoned() int64 { return r.ShortAbandonedIVR + r.ShortAbandonedQueue }

// ReportResult is a report: a row per group, and the totals.
type ReportResult struct {
	// Query is the query run, with its defaults in place (Now included).
	Query ReportQuery
	// Rows are the groups: hotlines, queues and agents in the order of
	// their names, with the calls that have none last; every day or hour
	// of the period in order, those without calls included. None for
	// GroupByTotal.
	Rows []ReportRow
	// Total is the whole period.
	Total ReportRow
}

// Report computes the contact-centre report q asks for from the call
// records in db, in one query that PostgreSQL aggregates. An invalid q
// returns an error wrapping ErrBadReportQuery before db is used.
func Report(ctx context.Context, db *pgxpool.Pool, q ReportQuery) (_ *ReportResult, err error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	q = q.WithDefaults()
	ctx, span := tracer.Start(ctx, "store.Report")
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
	if q.GroupBy == GroupByDay || q.GroupBy == GroupByHour {
		if ps, err = periods(q.From, q.To, q.Location, q.GroupBy); err != nil {
			return nil, err // checked by Validate already
		}
	}
	groups, total, err := queryReport(ctx, db, q, ps)
	if err != nil {
		return nil, fmt.Errorf("computing the report: %w", err)
	}
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	keys := map[string]string{
		GroupByTotal:   `ARRAY['']`,
		GroupByHotline: `ARRAY[c.hotline]`,
		GroupByQueue:   `ARRAY[coalesce((SELECT q.queue FROM calls q WHERE c.call_id <> '' AND q.id = c.call_id), '')]`,
		GroupByAgent:   `ARRAY[c.owner]`,
	}[q.GroupBy]
	if ps != nil {
		keys = periodKeys
	}
	cgroups, ctotal, err := queryComplaintFigures(ctx, db, complaintSpec{
		from: q.From, to: q.To, now: q.Now, keys: keys, periods: ps,
		hotline: q.Hotline, owner: q.Agent, queue: q.Queue,
	})
	if err != nil {
		return nil, fmt.Errorf("computing the report's complaint figures: %w", err)
	}
	for key, c := range cgroups {
		row, ok := groups[key]
		if !ok {
			row.Key = key // complaints but no calls
		}
		row.Complaint24h, row.Feedback3d = c.Resolve.Rate(), c.Feedback.Rate()
		groups[key] = row
	}
	total.Complaint24h, total.Feedback3d = ctotal.Resolve.Rate(), ctotal.Feedback.Rate()
	res := &ReportResult{Query: q, Total: total}
	switch {
	case q.GroupBy == GroupByTotal:
	case ps != nil:
		res.Rows = make([]ReportRow, len(ps))
		for i, p := range ps {
			row := groups[fmt.Sprint(i+1)] // width_bucket numbers from 1
			row.Key, row.Start, row.End = p.key, p.start, p.end
			res.Rows[i] = row
		}
	default:
		res.Rows = sortedGroups(groups)
	}
	span.SetAttributes(attribute.Int("hotline.report.rows", len(res.Rows)))
	return res, nil
}
