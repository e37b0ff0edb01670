package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/ivr"
)

// Handoffs keeps the engine's CallStates across a restart in the
// call_handoffs table: it implements ivr.Handoffs. Save is called by the
// instance that stops, Take by the one that adopts the call; Take deletes
// the row in the same statement, so a call is resumed once however many
// instances look.
type Handoffs struct {
	db       *pgxpool.Pool
	instance string
	clock    clockwork.Clock
}

// NewHandoffs returns the handoffs of instance (the name its rows carry);
// nil clock is the real one.
func NewHandoffs(db *pgxpool.Pool, instance string, clock clockwork.Clock) *Handoffs {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &Handoffs{db: db, instance: instance, clock: clock}
}

// Save writes the states, replacing any earlier row of the same channel,
// in one transaction.
func (h *Handoffs) Save(ctx context.Context, states []ivr.CallState) error {
	if len(states) == 0 {
		return nil
	}
	now := h.clock.Now()
	batch := &pgx.Batch{}
	for _, st := range states {
		if st.CallID == "" {
			return fmt.Errorf("saving a call's handoff: %w: the state has no channel id", ErrBadHandoff)
		}
		b, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("saving the handoff of %s: %w", st.CallID, err)
		}
		batch.Queue(`INSERT INTO call_handoffs (channel_id, instance, saved_at, state) VALUES ($1, $2, $3, $4)
			ON CONFLICT (channel_id) DO UPDATE SET instance = EXCLUDED.instance, saved_at = EXCLUDED.saved_at, state = EXCLUDED.state`,
			st.CallID, h.instance, now, b)
	}
	err := pgx.BeginFunc(ctx, h.db, func(tx pgx.Tx) error {
		return tx.SendBatch(ctx, batch).Close()
	})
	if err != nil {
		return fmt.Errorf("saving %d call handoffs: %w", len(states), err)
	}
	return nil
}

// Take returns the state saved for channelID and deletes it; found is
// false when there is none.
func (h *Handoffs) Take(ctx context.Context, channelID string) (ivr.CallState, bool, error) {
	var b []byte
	err := h.db.QueryRow(ctx, `DELETE FROM call_handoffs WHERE channel_id = $1 RETURNING state`, channelID).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return ivr.CallState{}, false, nil
	}
	if err != nil {
		return ivr.CallState{}, false, fmt.Errorf("taking the handoff of %s: %w", channelID, err)
	}
	var st ivr.CallState
	if err := json.Unmarshal(b, &st); err != nil {
		return ivr.CallState{}, false, fmt.Errorf("the handoff of %s: %w", channelID, err)
	}
	return st, true, nil
}

// Expire deletes the handoffs saved more than age ago (calls that ended
// while no instance ran) and says how many.
func (h *Handoffs) Expire(ctx context.Context, age time.Duration) (int64, error) {
	tag, err := h.db.Exec(ctx, `DELETE FROM call_handoffs WHERE saved_at < $1`, h.clock.Now().Add(-age))
	if err != nil {
		return 0, fmt.Errorf("expiring call handoffs: %w", err)
	}
	return tag.RowsAffected(), nil
}
