package queue_test

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/queue"
)

// dayEnv is a center in loc on a fake clock at start, with agent 1001
// Ready for queue "service" (service level 20 s).
func dayEnv(t *testing.T, loc *time.Location, start time.Time) *env {
	t.Helper()
	clk := clockwork.NewFakeClockAt(start)
	c, err := queue.New(queue.Config{Clock: clk, Location: loc, Queues: []queue.QueueConfig{{Name: "service", ServiceLevel: 20 * time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, clk: clk, c: c}
	e.agent("1001", nil)
	e.ready("1001")
	return e
}

// answerAfter queues call id, answers it after wait and ends it.
func (e *env) answerAfter(id string, wait time.Duration) {
	e.t.Helper()
	e.enqueue(id, "service", 0)
	e.advance(wait)
	e.next()
	e.serve(id)
	e.next()
}

func (e *env) status() queue.QueueStatus {
	e.t.Helper()
	st, err := e.c.QueueStatus("service")
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// TestTotalsAreTheDays: the totals count the centre's day in its time
// zone; the first event or status after local midnight starts the new
// day from 0, with no goroutine, and says which day and since when.
func TestTotalsAreTheDays(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// 23:59:00 in Shanghai, 15:59 UTC: the day is Shanghai's.
	start := time.Date(2026, 12, 6, 23, 59, 0, 0, shanghai)
	e := dayEnv(t, shanghai, start)
	midnight := time.Date(2026, 12, 6, 0, 0, 0, 0, shanghai)
	if st := e.status(); !st.Day.Equal(midnight) || !st.Since.Equal(start) || st.Day.Location() != shanghai {
		t.Fatalf("day %v since %v, want %v since %v (the start)", st.Day, st.Since, midnight, start)
	}
	e.answerAfter("c1", 5*time.Second)  // within the service level
	e.answerAfter("c2", 30*time.Second) // not
	e.enqueue("c3", "service", 0)
	e.must(e.c.SetNotReady("1001", "break"))
	e.must(e.c.Abandon("c3"))
	if st := e.status(); st.Answered != 2 || st.AnsweredInSL != 1 || st.Abandoned != 1 || st.ServiceLevel != 1.0/3 {
		t.Fatalf("before midnight: %+v, want 2 answered (1 in SL), 1 abandoned, SL 1/3", st)
	}

	// A caller who joins before midnight and is answered after it counts
	// in the new day; the old day's totals are gone.
	e.ready("1001")
	e.must(e.c.SetNotReady("1001", "break"))
	e.enqueue("c4", "service", 0)
	e.clk.Advance(time.Date(2026, 12, 7, 0, 0, 0, 0, shanghai).Sub(e.clk.Now()) - time.Nanosecond)
	if st := e.status(); st.Answered != 2 || !st.Day.Equal(midnight) {
		t.Fatalf("a nanosecond before midnight: %+v, want the old day", st)
	}
	e.advance(time.Nanosecond)
	next := time.Date(2026, 12, 7, 0, 0, 0, 0, shanghai)
	e.ready("1001") // the first event of the new day
	e.next()
	e.must(e.answer("c4"))
	st := e.status()
	if !st.Day.Equal(next) || !st.Since.Equal(next) || st.Answered != 1 || st.AnsweredInSL != 0 || st.Abandoned != 0 || st.ServiceLevel != 0 {
		t.Fatalf("after midnight: %+v, want the day from %v: 1 answered late, none abandoned", st, next)
	}
	if _, _, ok := e.c.Unseeded(); ok {
		t.Errorf("a day that began while the center ran has nothing to seed")
	}

	// Days go by with no event: the status alone starts the day.
	e.advance(49 * time.Hour)
	if st := e.status(); !st.Day.Equal(time.Date(2026, 12, 9, 0, 0, 0, 0, shanghai)) || st.Answered != 0 || st.Waiting != 0 {
		t.Fatalf("two days later: %+v", st)
	}
	if qs := e.c.Queues(); len(qs) != 1 || qs[0].Answered != 0 {
		t.Fatalf("two days later, Queues: %+v", qs)
	}
}

// TestTotalsAcrossDST: in a zone with daylight saving, the day is the
// local calendar day, 23 or 25 hours long.
func TestTotalsAcrossDST(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-03-29 is 23 hours long in Berlin: 02:00 CET is 03:00 CEST.
	start := time.Date(2026, 3, 29, 12, 0, 0, 0, berlin)
	e := dayEnv(t, berlin, start)
	e.answerAfter("c1", time.Second)
	e.advance(11*time.Hour + 59*time.Minute) // 23:59 CEST
	if st := e.status(); st.Answered != 1 || st.Day.Day() != 29 {
		t.Fatalf("23:59 on the short day: %+v", st)
	}
	e.advance(time.Minute)
	st := e.status()
	if want := time.Date(2026, 3, 30, 0, 0, 0, 0, berlin); !st.Day.Equal(want) || st.Answered != 0 {
		t.Fatalf("midnight after the short day: %+v, want the day from %v", st, want)
	}
	if got := st.Day.Sub(time.Date(2026, 3, 29, 0, 0, 0, 0, berlin)); got != 23*time.Hour {
		t.Fatalf("the short day lasted %v", got)
	}
}

// TestSeedDay: a center started during the day takes in what the call
// records hold of the day before its start, once, and counts on from
// there; totals of a day that is over are refused.
func TestSeedDay(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 6, 10, 30, 0, 0, shanghai)
	e := dayEnv(t, shanghai, start)
	midnight := time.Date(2026, 12, 6, 0, 0, 0, 0, shanghai)
	from, to, ok := e.c.Unseeded()
	if !ok || !from.Equal(midnight) || !to.Equal(start) {
		t.Fatalf("unseeded %v to %v (%v), want %v to %v", from, to, ok, midnight, start)
	}
	e.answerAfter("c1", 30*time.Second) // live, before the records arrive
	e.must(e.c.SeedDay(from, map[string]queue.DayTotals{
		"service": {Answered: 8, AnsweredInSL: 6, Abandoned: 2},
		"gone":    {Answered: 5}, // no longer configured
	}))
	st := e.status()
	if st.Answered != 9 || st.AnsweredInSL != 6 || st.Abandoned != 2 || st.ServiceLevel != 6.0/11 || !st.Since.Equal(midnight) {
		t.Fatalf("seeded: %+v, want 9 answered (6 in SL), 2 abandoned since midnight", st)
	}
	if _, _, ok := e.c.Unseeded(); ok {
		t.Errorf("unseeded after SeedDay")
	}
	wantErr(t, e.c.SeedDay(from, map[string]queue.DayTotals{"service": {Answered: 8}}), queue.ErrSeed)
	e.answerAfter("c2", time.Second)
	if st := e.status(); st.Answered != 10 || st.AnsweredInSL != 7 {
		t.Fatalf("counting on: %+v, want 10 answered, 7 in SL", st)
	}

	// The records came after midnight: they are of a day that is over.
	e2 := dayEnv(t, shanghai, start)
	from, _, _ = e2.c.Unseeded()
	e2.advance(14 * time.Hour)
	wantErr(t, e2.c.SeedDay(from, map[string]queue.DayTotals{"service": {Answered: 8}}), queue.ErrSeed)
	if st := e2.status(); st.Answered != 0 || !st.Since.Equal(st.Day) {
		t.Fatalf("the next day after a refused seed: %+v", st)
	}
}

// TestTotalsWhereMidnightIsSkipped: where summer time starts at midnight
// (Chile, 2026-09-06: 00:00 -04 is 01:00 -03), the day begins at the
// change, with its own date, and the day before ends there.
func TestTotalsWhereMidnightIsSkipped(t *testing.T) {
	santiago, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Fatal(err)
	}
	e := dayEnv(t, santiago, time.Date(2026, 9, 5, 22, 0, 0, 0, santiago))
	e.answerAfter("c1", time.Second)
	change := time.Date(2026, 9, 6, 4, 0, 0, 0, time.UTC) // 01:00 -03
	e.advance(change.Sub(e.clk.Now()) - time.Nanosecond)
	if st := e.status(); st.Answered != 1 || st.Day.Format(time.DateOnly) != "2026-09-05" {
		t.Fatalf("just before the change: %+v", st)
	}
	e.advance(time.Nanosecond)
	st := e.status()
	if st.Answered != 0 || !st.Day.Equal(change) || st.Day.Format(time.DateOnly) != "2026-09-06" || st.Day.Format("15:04") != "01:00" {
		t.Fatalf("at the change: day %v, %+v; want the totals of 2026-09-06 from 01:00 -03", st.Day, st)
	}
}
