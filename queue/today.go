package queue

import (
	"fmt"
	"time"
)

// The queues' totals (QueueStatus's Answered, Abandoned, ServiceLevel...)
// are the centre's day's: they count from local midnight in
// Config.Location. Nothing runs at midnight: the first event or status
// after it finds the day over, sets every queue's totals to 0 and counts
// on in the new day. A center that starts during a day counts from its
// start; SeedDay adds what the call records hold of the day before it.

// day is the centre's day: [start, end) in loc, and since, when the
// totals began counting in it.
type day struct {
	loc        *time.Location
	start, end time.Time
	since      time.Time // start, or the center's start on its first day
	seeded     bool      // SeedDay applied, or not needed
}

// begin makes the day that holds now the current one.
func (d *day) begin(now time.Time) {
	y, m, dd := now.In(d.loc).Date()
	d.start, d.end = midnight(y, m, dd, d.loc), midnight(y, m, dd+1, d.loc)
	d.since = d.start
}

// midnight is the first instant of a date in loc (dd may run past the
// month's end, as in time.Date). Where a change of offset skips midnight
// (summer time starting at 00:00, as in Chile or Cuba), the day begins at
// the change, not in the day before.
func midnight(y int, m time.Month, dd int, loc *time.Location) time.Time {
	y, m, dd = time.Date(y, m, dd, 12, 0, 0, 0, loc).Date()
	t := time.Date(y, m, dd, 0, 0, 0, 0, loc)
	if ty, tm, td := t.Date(); ty != y || tm != m || td != dd {
		_, t = t.ZoneBounds()
	}
	return t
}

// today starts a new day, every queue's totals at 0, when now is past the
// current one.
func (c *Center) today(now time.Time) {
	if now.Before(c.day.end) {
		return
	}
	for _, l := range c.order {
		l.stats = counters{}
	}
	c.day.begin(now)
	c.day.seeded = true // the whole day is counted here
}

// stats returns l's totals for the day of now.
func (c *Center) stats(now time.Time, l *line) *counters {
	c.today(now)
	return &l.stats
}

// DayTotals are what the call records hold of one queue's callers over a
// part of a day, counted as the center counts them: callers answered by an
// agent (call-backs apart), of which within the queue's ServiceLevel of
// joining it, and callers who hung up while waiting or ringing an agent.
type DayTotals struct {
	Answered, AnsweredInSL, Abandoned int
}

// Unseeded is the part of the centre's day that the queues' totals miss:
// from the day's local midnight to the center's start. ok is false when
// there is none: the totals cover the whole day (it began while the
// center ran, or SeedDay filled it in).
func (c *Center) Unseeded() (from, to time.Time, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.today(c.clock.Now())
	if c.day.seeded || !c.day.since.After(c.day.start) {
		return time.Time{}, time.Time{}, false
	}
	return c.day.start, c.day.since, true
}

// SeedDay adds to the queues' totals those of the call records from the
// day's midnight, from, to the center's start, as Unseeded gave them;
// totals of queues the center lacks are ignored. From then on the totals
// count from midnight (QueueStatus.Since). It fails with ErrSeed, adding
// nothing, when from's day is over or was seeded already: added again or
// to another day, the totals would count calls twice or in the wrong day.
func (c *Center) SeedDay(from time.Time, totals map[string]DayTotals) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.today(c.clock.Now())
	switch {
	case !from.Equal(c.day.start):
		return fmt.Errorf("%w: they are of the day from %s; the center counts the day from %s", ErrSeed,
			from.In(c.day.loc).Format(time.RFC3339), c.day.start.Format(time.RFC3339))
	case c.day.seeded:
		return fmt.Errorf("%w: the day from %s is seeded already", ErrSeed, c.day.start.Format(time.RFC3339))
	}
	for _, l := range c.order {
		t, ok := totals[l.name]
		if !ok {
			continue
		}
		l.stats.answered += t.Answered
		l.stats.answeredInSL += t.AnsweredInSL
		l.stats.abandoned += t.Abandoned
	}
	c.day.since, c.day.seeded = c.day.start, true
	return nil
}
