package store

import (
	"fmt"
	"time"
)

// period is one day or hour of a report: the part [start, end) of the
// report's period that falls in the local day or hour key.
type period struct {
	key        string
	start, end time.Time
}

// periods splits [from, to) at every local midnight (by GroupByDay), hour
// (GroupByHour), Monday's midnight (ComplaintsByWeek: ISO weeks, keyed
// like "2025-W10") or first of the month (ComplaintsByMonth: "2025-03")
// of loc, from Go's own zone data, so that PostgreSQL needs to know no
// zone: a call's (or complaint's) period is found by its instant.
// Days of 23 or 25 hours and repeated or skipped hours follow loc's rules.
func periods(from, to time.Time, loc *time.Location, by string) ([]period, error) {
	key, next := dayKey, nextDay
	switch by {
	case GroupByHour:
		key, next = func(t time.Time) string { return t.Format("2006-01-02 15:04") }, nextHour
	case ComplaintsByWeek:
		key, next = weekKey, nextWeek
	case ComplaintsByMonth:
		key, next = func(t time.Time) string { return t.Format("2006-01") }, nextMonth
	}
	var ps []period
	for cur := from; cur.Before(to); {
		start, end := next(cur, loc)
		ps = append(ps, period{key: key(start.In(loc)), start: cur, end: minTime(end, to)})
		if len(ps) > maxReportPeriods {
			return nil, fmt.Errorf("a report by %s of this period would have more than %d rows: shorten the period or report by day", by, maxReportPeriods)
		}
		cur = end
	}
	return ps, nil
}

// nextDay returns the start of t's local day and the start of the next.
func nextDay(t time.Time, loc *time.Location) (time.Time, time.Time) {
	y, m, d := t.In(loc).Date()
	start, end := time.Date(y, m, d, 0, 0, 0, 0, loc), time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	if start.After(t) { // midnight skipped by a clock change: the day starts later
		start = t
	}
	return start, end
}

func dayKey(t time.Time) string { return t.Format("2006-01-02") }

// weekKey is t's ISO week, like 2025-W10.
func weekKey(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// nextWeek returns the start of t's local ISO week (Monday) and the start
// of the next.
func nextWeek(t time.Time, loc *time.Location) (time.Time, time.Time) {
	l := t.In(loc)
	back := (int(l.Weekday()) + 6) % 7 // days since Monday
	y, m, d := l.Date()
	start, end := time.Date(y, m, d-back, 0, 0, 0, 0, loc), time.Date(y, m, d-back+7, 0, 0, 0, 0, loc)
	if start.After(t) {
		start = t
	}
	return start, end
}

// nextMonth returns the start of t's local month and the start of the
// next.
func nextMonth(t time.Time, loc *time.Location) (time.Time, time.Time) {
	y, m, _ := t.In(loc).Date()
	start, end := time.Date(y, m, 1, 0, 0, 0, 0, loc), time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
	if start.After(t) {
		start = t
	}
	return start, end
}

// nextHour returns the start of t's local hour and the start of the next.
func nextHour(t time.Time, loc *time.Location) (time.Time, time.Time) {
	start := truncateHour(t, loc)
	end := truncateHour(start.Add(time.Hour), loc)
	if !end.After(t) { // a zone whose offset moves by part of an hour
		end = start.Add(time.Hour)
	}
	return start, end
}

// truncateHour is the instant t's local clock last read a whole hour.
func truncateHour(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return t.Add(-(time.Duration(l.Minute())*time.Minute + time.Duration(l.Second())*time.Second + time.Duration(l.Nanosecond())))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
