package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store"
)

// queueTotalsFunc reads the call records' totals of the queues of levels
// (their service levels) over [from, to): store.QueueTotals on a pool.
type queueTotalsFunc func(ctx context.Context, from, to time.Time, levels map[string]time.Duration) (map[string]queue.DayTotals, error)

// storeQueueTotals reads them from the call records in db.
func storeQueueTotals(db *pgxpool.Pool) queueTotalsFunc {
	return func(ctx context.Context, from, to time.Time, levels map[string]time.Duration) (map[string]queue.DayTotals, error) {
		return store.QueueTotals(ctx, db, from, to, levels)
	}
}

// seedTimeout bounds the start's one read of the day's totals.
const seedTimeout = 10 * time.Second

// seedToday adds to the centre's totals of today (the wallboard's
// answered, abandoned, service level and abandon rate) what the call
// records hold of the day before the start, so that a restart does not
// zero them. Without a database (totals nil), or while PostgreSQL does not
// answer, the totals count from the start, and the log says so.
func seedToday(center *queue.Center, totals queueTotalsFunc, log *slog.Logger) {
	from, to, ok := center.Unseeded()
	if !ok {
		return
	}
	if totals == nil {
		log.Info("no database: the queues' totals of today count from the start", "since", to)
		return
	}
	levels := map[string]time.Duration{}
	for _, q := range center.Queues() {
		cfg, err := center.Queue(q.Name)
		if err != nil {
			continue
		}
		levels[q.Name] = cfg.ServiceLevel
	}
	ctx, cancel := context.WithTimeout(context.Background(), seedTimeout)
	defer cancel()
	day, err := totals(ctx, from, to, levels)
	if err == nil {
		err = center.SeedDay(from, day)
	}
	if err != nil {
		log.Warn("the queues' totals of today count from the start: the call records of the day before it were not read",
			"day", from, "since", to, "error", err)
		return
	}
	log.Info("the queues' totals of today include the call records of the day before the start", "day", from, "until", to)
}
