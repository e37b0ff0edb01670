package complaints

import (
	"fmt"
	"time"
)

// Span is one stretch of opening time within a day, as offsets from the
// day's midnight in the centre's zone: From < To <= 24 h.
type Span struct{ From, To time.Duration }

// Hours is how a hotline's clocks count: calendar time (the zero Hours,
// or one with no opening time at all) or business hours, the weekly
// opening hours in the centre's zone, when a deadline is that much open
// time later (closed days, like weekends, are skipped).
type Hours struct {
	Zone *time.Location // the centre's zone; nil: UTC
	Week [7][]Span      // by time.Weekday, each day's spans in order, not overlapping
}

// WeekdayHours is business hours from open to close on Monday to Friday
// (like 9 h to 18 h), in zone.
func WeekdayHours(zone *time.Location, open, close time.Duration) Hours {
	h := Hours{Zone: zone}
	for d := time.Monday; d <= time.Friday; d++ {
		h.Week[d] = []Span{{open, close}}
	}
	return h
}

// Calendar tells whether the hours count calendar time: no day has
// opening time.
func (h Hours) Calendar() bool {
	for _, day := range h.Week {
		for _, s := range day {
			if s.To > s.From {
				return false
			}
		}
	}
	return true
}

// check says what is wrong with the hours, if anything.
func (h Hours) check() error {
	for d, day := range h.Week {
		var end time.Duration
		for i, s := range day {
			if s.From < 0 || s.To > 24*time.Hour || s.From >= s.To || (i > 0 && s.From < end) {
				return fmt.Errorf("%w: the opening hours of %s: %v–%v is not a span within the day after the previous one", ErrInvalid, time.Weekday(d), s.From, s.To)
			}
			end = s.To
		}
	}
	return nil
}

// Add returns the time d after start as the hours count it: start+d for
// calendar time, else the moment when d of open time has passed since
// start (a deadline falls within opening hours, at the end of a span at
// the latest).
func (h Hours) Add(start time.Time, d time.Duration) time.Time {
	if d <= 0 || h.Calendar() {
		return start.Add(d)
	}
	zone := h.Zone
	if zone == nil {
		zone = time.UTC
	}
	t := start.In(zone)
	y, m, day := t.Date()
	for {
		for _, s := range h.Week[time.Date(y, m, day, 0, 0, 0, 0, zone).Weekday()] {
			from, to := at(y, m, day, s.From, zone), at(y, m, day, s.To, zone)
			if !t.Before(to) {
				continue
			}
			if t.Before(from) {
				t = from
			}
			if left := to.Sub(t); d <= left {
				return t.Add(d).In(start.Location())
			} else {
				d -= left
				t = to
			}
		}
		day++
		next := time.Date(y, m, day, 0, 0, 0, 0, zone)
		y, m, day = next.Date()
		if t.Before(next) {
			t = next
		}
	}
}

// at is the wall-clock time off after the midnight of a day in zone.
func at(y int, m time.Month, day int, off time.Duration, zone *time.Location) time.Time {
	return time.Date(y, m, day, int(off/time.Hour), int(off%time.Hour/time.Minute), int(off%time.Minute/time.Second), 0, zone)
}
