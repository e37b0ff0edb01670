package store_test

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// stay is one caller's stay in a queue node, as the engine notes it in
// the journey: the join, and how it left (answered at answered).
type stay struct {
	node, queue, result string
	joined, left        time.Time
	answered            time.Time
}

// queueJourney is a call's journey through its stays, as ivr's runQueue
// writes them.
func queueJourney(id string, stays ...stay) *ivr.Journey {
	type d = map[string]any
	first, last := stays[0].joined.Add(-10*time.Second), stays[len(stays)-1].left
	j := &ivr.Journey{CallID: id, Hotline: "4008001234", Caller: "138" + id, Flow: "main", FlowVersion: 1,
		Arrived: first, Answered: first, Ended: last.Add(time.Second), HungUpBy: ivr.HungUpByCaller, Outcome: ivr.OutcomeQueued}
	add := func(at time.Time, kind, node string, detail d) {
		j.Events = append(j.Events, ivr.JourneyEvent{Seq: len(j.Events) + 1, At: at, Kind: kind, Node: node, Detail: detail})
	}
	add(first, ivr.EventArrived, "", d{"caller": j.Caller})
	for _, s := range stays {
		add(s.joined, ivr.EventNode, s.node, d{"kind": "queue"})
		add(s.joined, ivr.EventQueue, s.node, d{"queue": s.queue, "priority": 0, "skills": []string{"zh"}})
		left := d{"queue": s.queue, "result": s.result, "agent": ""}
		if !s.answered.IsZero() {
			left["agent"], left["answered_at"] = "1001", s.answered.UTC().Format(time.RFC3339Nano)
		}
		add(s.left, ivr.EventQueue, s.node, left)
	}
	if stays[len(stays)-1].result == "abandoned" {
		j.Outcome = ivr.OutcomeAbandoned
	}
	return j
}

// TestQueueTotals: the queues' answered (within their service levels) and
// abandoned callers of a part of a day, from the journeys the Writer
// stored and the conversations still going in queued_calls, counted as
// the Center counts them; a Center seeded with them counts on from there.
func TestQueueTotals(t *testing.T) {
	ctx := t.Context()
	db := open(t, pgtest.New(t))
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := func(h, m, s int) time.Time { return time.Date(2026, 12, 6, h, m, s, 0, shanghai) }
	sec := func(t time.Time, n int) time.Time { return t.Add(time.Duration(n) * time.Second) }
	from, to := at(0, 0, 0), at(10, 30, 0)

	w := newWriter(t, db, t.TempDir(), store.WriterConfig{})
	for _, j := range []*ivr.Journey{
		queueJourney("a1", stay{"to-support", "support", "answered", at(9, 0, 0), at(9, 5, 0), at(9, 0, 15)}),    // in SL
		queueJourney("a2", stay{"to-support", "support", "answered", at(9, 10, 0), at(9, 15, 0), at(9, 10, 40)}), // late
		// Overflowed out of vip (no count), then answered in support.
		queueJourney("a3", stay{"to-vip", "vip", "overflow", at(9, 20, 0), at(9, 22, 0), time.Time{}},
			stay{"to-support", "support", "answered", at(9, 22, 0), at(9, 30, 0), at(9, 22, 5)}),
		queueJourney("b1", stay{"to-support", "support", "abandoned", at(9, 30, 0), at(9, 31, 0), time.Time{}}),
		queueJourney("b2", stay{"to-vip", "vip", "abandoned", at(10, 0, 0), at(10, 0, 30), time.Time{}}),
		// Neither answered nor abandoned.
		queueJourney("l1", stay{"to-support", "support", "lost", at(9, 40, 0), at(9, 41, 0), time.Time{}}),
		queueJourney("c1", stay{"to-support", "support", "callback", at(9, 50, 0), at(9, 51, 0), time.Time{}}),
		// The day before: answered before midnight though it ended after.
		queueJourney("y1", stay{"to-support", "support", "answered", sec(from, -600), sec(from, 600), sec(from, -590)}),
		queueJourney("y2", stay{"to-support", "support", "abandoned", sec(from, -120), sec(from, -60), time.Time{}}),
		// Answered before the start, ended after it: counted.
		queueJourney("z1", stay{"to-support", "support", "answered", at(10, 29, 45), at(10, 40, 0), at(10, 29, 50)}),
		// After the start.
		queueJourney("z2", stay{"to-support", "support", "abandoned", at(10, 30, 0), at(10, 31, 0), time.Time{}}),
		// A queue the center does not ask about.
		queueJourney("o1", stay{"to-other", "other", "abandoned", at(9, 0, 0), at(9, 1, 0), time.Time{}}),
	} {
		w.RecordJourney(ctx, j)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Conversations the last instance left going: q1 answered late; q2
	// after the start; a2's row is stale (its journey is written).
	for _, q := range []struct {
		id                string
		arrived, answered time.Time
	}{{"q1", at(10, 20, 0), at(10, 20, 30)}, {"q2", at(10, 34, 0), at(10, 35, 0)}, {"a2", at(9, 10, 0), at(9, 10, 40)}} {
		if _, err := db.Exec(ctx, `INSERT INTO queued_calls (call_id, instance, at, phase, queue, queue_arrived, call, agent_id, answered_at)
			VALUES ($1, 'hotline-1', $2, 'talking', 'support', $3, '{}', '1001', $2)`, q.id, q.answered, q.arrived); err != nil {
			t.Fatal(err)
		}
	}

	levels := map[string]time.Duration{"support": 20 * time.Second, "vip": 10 * time.Second, "empty": 20 * time.Second}
	got, err := store.QueueTotals(ctx, db, from, to, levels)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]queue.DayTotals{
		"support": {Answered: 5, AnsweredInSL: 3, Abandoned: 1}, // a1 a2 a3 z1 q1; a1 a3 z1; b1
		"vip":     {Abandoned: 1},                               // b2
	}
	if len(got) != len(want) || got["support"] != want["support"] || got["vip"] != want["vip"] {
		t.Fatalf("totals %+v, want %+v", got, want)
	}
	// A tighter level: a3 (5 s) and z1 (5 s) only.
	if got, err := store.QueueTotals(ctx, db, from, to, map[string]time.Duration{"support": 5 * time.Second}); err != nil || got["support"].AnsweredInSL != 2 {
		t.Fatalf("within 5 s: %+v, %v; want 2", got, err)
	}

	// A center started at 10:30 takes them in and counts on.
	clk := clockwork.NewFakeClockAt(to)
	c, err := queue.New(queue.Config{Clock: clk, Location: shanghai, Queues: []queue.QueueConfig{
		{Name: "support", ServiceLevel: 20 * time.Second}, {Name: "vip", ServiceLevel: 10 * time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	sf, st, ok := c.Unseeded()
	if !ok || !sf.Equal(from) || !st.Equal(to) {
		t.Fatalf("unseeded %v to %v (%v)", sf, st, ok)
	}
	seed, err := store.QueueTotals(ctx, db, sf, st, map[string]time.Duration{"support": 20 * time.Second, "vip": 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SeedDay(sf, seed); err != nil {
		t.Fatal(err)
	}
	if err := c.SetAgent(queue.AgentConfig{ID: "1001", Name: "Li Na", Device: "PJSIP/1001"}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{func() error { return c.Login("1001") }, func() error { return c.SetReady("1001") }} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Enqueue(queue.Caller{CallID: "live-1", Queue: "support", Number: "13800000009"}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(3 * time.Second)
	if d := c.Next(); len(d.Offers) != 1 {
		t.Fatalf("offers %+v", d.Offers)
	}
	if err := c.Answered("live-1", "1001"); err != nil {
		t.Fatal(err)
	}
	s, err := c.QueueStatus("support")
	if err != nil {
		t.Fatal(err)
	}
	if s.Answered != 6 || s.AnsweredInSL != 4 || s.Abandoned != 1 || s.ServiceLevel != 4.0/7 || !s.Since.Equal(from) {
		t.Fatalf("support after the seed and one live answer: %+v, want 6 answered (4 in SL), 1 abandoned, since midnight", s)
	}
}
