package acd

// Today's totals of a centre of several instances. Each instance's Center
// counts the callers it carried; the whole centre's day is in the call
// records every instance writes (the journeys of ended calls, the live
// rows of the conversations going on), so the views read the queues'
// answered, answered within the service level and abandoned callers of the
// day from there (Config.CentreTotals), every centreTotalsEvery. The
// other totals (overflows, missed offers, call-backs) stay this
// instance's.

import (
	"context"
	"maps"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

// CentreTotalsFunc reads the whole centre's totals of the queues of
// levels (each with its service level) over [from, to) from the call
// records: store.QueueTotals.
type CentreTotalsFunc func(ctx context.Context, from, to time.Time, levels map[string]time.Duration) (map[string]queue.DayTotals, error)

// centreTotalsEvery is how often the day's totals of the whole centre are
// read: a query over the day's records, so less often than the views.
const centreTotalsEvery = 10 * time.Second

// centreTotals is the last read of the whole centre's totals.
type centreTotals struct {
	day    time.Time // the day they are of (its local midnight)
	queues map[string]queue.DayTotals
	at     time.Time // when they were read
}

// readTotals reads the day's totals of the whole centre when
// centreTotalsEvery has passed since the last read (or the day changed);
// the subscribers hear of a change.
func (sh *sharing) readTotals(ctx context.Context) {
	read := sh.s.cfg.CentreTotals
	if read == nil {
		return
	}
	qs := sh.s.center.Queues()
	if len(qs) == 0 {
		return
	}
	now := sh.s.clock.Now()
	day := qs[0].Day
	sh.mu.Lock()
	last := sh.totals
	sh.mu.Unlock()
	if last.day.Equal(day) && !last.at.IsZero() && now.Sub(last.at) < centreTotalsEvery {
		return
	}
	levels := make(map[string]time.Duration, len(qs))
	for _, q := range qs {
		if cfg, err := sh.s.center.Queue(q.Name); err == nil {
			levels[q.Name] = cfg.ServiceLevel
		}
	}
	rctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	got, err := read(rctx, day, now, levels)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			sh.s.log.Debug("shared router: the centre's totals of today not read", "error", err)
		}
		return
	}
	if got == nil {
		got = map[string]queue.DayTotals{}
	}
	sh.mu.Lock()
	same := last.day.Equal(day) && maps.Equal(last.queues, got)
	sh.totals = centreTotals{day: day, queues: got, at: now}
	sh.mu.Unlock()
	if !same {
		sh.s.publish()
	}
}

// wholeTotals puts the whole centre's totals of today in the snapshot's
// queues (those of the day the last read was of).
func (sh *sharing) wholeTotals(sn *Snapshot) {
	sh.mu.Lock()
	t := sh.totals
	sh.mu.Unlock()
	if t.queues == nil {
		return
	}
	for i := range sn.Queues {
		q := &sn.Queues[i]
		if !q.Day.Equal(t.day) {
			continue // a new day began since the read: this server's own
		}
		d := t.queues[q.Name]
		q.Answered, q.AnsweredInSL, q.Abandoned, q.Since = d.Answered, d.AnsweredInSL, d.Abandoned, q.Day
		q.ServiceLevel = 0
		if n := d.Answered + d.Abandoned; n > 0 {
			q.ServiceLevel = float64(d.AnsweredInSL) / float64(n)
		}
	}
}
