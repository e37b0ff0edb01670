package main

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/store"
)

// storeHistory is the console's History on the call records.
type storeHistory struct{ db *pgxpool.Pool }

func (h storeHistory) CallerHistory(ctx context.Context, caller string, before time.Time, limit int) ([]console.PastCallView, error) {
	calls, err := store.CallerHistory(ctx, h.db, caller, before, limit)
	if err != nil {
		return nil, err
	}
	out := make([]console.PastCallView, len(calls))
	for i, c := range calls {
		out[i] = console.PastCallView{CallID: c.CallID, Arrived: c.Arrived, Hotline: c.Hotline, Queue: c.Queue,
			Outcome: c.Outcome, Agent: c.AgentID, Disposition: c.Disposition, CSAT: c.CSAT}
	}
	return out, nil
}

func (h storeHistory) AgentDay(ctx context.Context, agent string, from, to time.Time) (console.AgentDayView, error) {
	d, err := store.AgentDaySummary(ctx, h.db, agent, from, to)
	if err != nil {
		return console.AgentDayView{}, err
	}
	return console.AgentDayView{Answered: d.Answered, HandleTimeSeconds: d.HandleTime.Seconds(), CSAT: d.CSAT,
		CSATAnswers: d.CSATAnswers}, nil
}
