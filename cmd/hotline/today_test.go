package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestSeedToday: serve's queues, started at 10:30, take in the call
// records of the day before (an answered and an abandoned caller of
// support); without a database, or with PostgreSQL down, they count from
// the start and the log says why.
func TestSeedToday(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 6, 10, 30, 0, 0, shanghai)
	midnight := time.Date(2026, 12, 6, 0, 0, 0, 0, shanghai)
	centre := func() *queue.Center {
		c, err := queue.New(queue.Config{Clock: clockwork.NewFakeClockAt(start), Location: shanghai,
			Queues: []queue.QueueConfig{{Name: "support", ServiceLevel: 20 * time.Second}}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	logTo := func(b *bytes.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

	srv := pgtest.NewServer(t)
	if err := srv.CreateDatabase(ctx, "hotline"); err != nil {
		t.Fatal(err)
	}
	url := srv.DatabaseURL("hotline")
	rec, err := openRecords(ctx, config.Database{URL: url, SpoolDir: t.TempDir(), MaxConns: 2}, "test", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.close(context.WithoutCancel(ctx))
	for _, j := range []struct {
		id, result string
		joined     time.Time
		answered   time.Time
	}{
		{"c1", ivr.QueueAnswered, start.Add(-2 * time.Hour), start.Add(-2*time.Hour + 10*time.Second)},
		{"c2", "abandoned", start.Add(-time.Hour), time.Time{}},
	} {
		left := map[string]any{"queue": "support", "result": j.result, "agent": ""}
		if !j.answered.IsZero() {
			left["agent"], left["answered_at"] = "1001", j.answered.UTC().Format(time.RFC3339Nano)
		}
		rec.journeys.RecordJourney(ctx, &ivr.Journey{CallID: j.id, Hotline: "4008001234", Caller: "13800000001",
			Arrived: j.joined.Add(-time.Minute), Ended: j.joined.Add(5 * time.Minute), Outcome: ivr.OutcomeQueued,
			HungUpBy: ivr.HungUpByCaller, Events: []ivr.JourneyEvent{
				{Seq: 1, At: j.joined, Kind: ivr.EventQueue, Node: "to-support", Detail: map[string]any{"queue": "support", "priority": 0}},
				{Seq: 2, At: j.joined.Add(5 * time.Minute), Kind: ivr.EventQueue, Node: "to-support", Detail: left},
			}})
	}
	// The writer is asynchronous: wait for its 6 rows (2 calls, 4 events).
	w := rec.journeys.(*store.Writer)
	for {
		changed := w.Changed()
		if w.Health().Written >= 6 {
			break
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("the journeys were not written: %+v", w.Health())
		}
	}

	var logs bytes.Buffer
	c := centre()
	seedToday(c, rec.queueTotals, logTo(&logs))
	st, _ := c.QueueStatus("support")
	if st.Answered != 1 || st.AnsweredInSL != 1 || st.Abandoned != 1 || !st.Since.Equal(midnight) {
		t.Fatalf("seeded from the records: %+v\nlog: %s", st, logs.String())
	}

	logs.Reset()
	c = centre()
	seedToday(c, nil, logTo(&logs))
	if st, _ := c.QueueStatus("support"); st.Answered != 0 || !st.Since.Equal(start) || !strings.Contains(logs.String(), "no database") {
		t.Fatalf("without a database: %+v\nlog: %s", st, logs.String())
	}

	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	logs.Reset()
	c = centre()
	seedToday(c, rec.queueTotals, logTo(&logs))
	if st, _ := c.QueueStatus("support"); st.Answered != 0 || !st.Since.Equal(start) || !strings.Contains(logs.String(), "count from the start") {
		t.Fatalf("PostgreSQL down: %+v\nlog: %s", st, logs.String())
	}
}
