package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/store"
)

// storeCallbacks keeps the ACD's call-back requests in PostgreSQL: it is
// store.Callbacks as an acd.CallbackStore, the store's errors turned into
// the ones the ACD acts on.
type storeCallbacks struct{ db *store.Callbacks }

var _ acd.CallbackStore = storeCallbacks{}

func (s storeCallbacks) Add(ctx context.Context, rec acd.CallbackRecord) error {
	return callbackError(s.db.Add(ctx, store.CallbackRequest{
		ID: rec.ID, CallID: rec.CallID, Queue: rec.Queue, Priority: rec.Priority, Skills: rec.Skills,
		Number: rec.Number, Arrived: rec.Arrived, MaxAttempts: rec.MaxAttempts, NotBefore: rec.NotBefore,
	}))
}

func (s storeCallbacks) Claim(ctx context.Context, id, instance string) (int, error) {
	n, err := s.db.Claim(ctx, id, instance)
	return n, callbackError(err)
}

func (s storeCallbacks) Connected(ctx context.Context, id string) error {
	return callbackError(s.db.Connected(ctx, id))
}

func (s storeCallbacks) Cancel(ctx context.Context, id string) error {
	return callbackError(s.db.Cancel(ctx, id))
}

func (s storeCallbacks) Failed(ctx context.Context, id, reason string, retryAt time.Time) (bool, error) {
	retry, err := s.db.Failed(ctx, id, reason, retryAt)
	return retry, callbackError(err)
}

func (s storeCallbacks) Pending(ctx context.Context) ([]acd.CallbackRecord, error) {
	reqs, err := s.db.Pending(ctx)
	if err != nil {
		return nil, err
	}
	recs := make([]acd.CallbackRecord, len(reqs))
	for i, r := range reqs {
		recs[i] = acd.CallbackRecord{
			ID: r.ID, CallID: r.CallID, Queue: r.Queue, Priority: r.Priority, Skills: r.Skills,
			Number: r.Number, Arrived: r.Arrived, Attempts: r.Attempts, MaxAttempts: r.MaxAttempts,
			NotBefore: r.NotBefore,
		}
	}
	return recs, nil
}

func (s storeCallbacks) Recover(ctx context.Context, instance string) (int, error) {
	return s.db.Recover(ctx, instance)
}

// callbackError makes the store's errors the ACD's: a request that must
// not be dialled now, for whatever reason, is not pending; one made twice
// exists. The store's error stays in the chain for the logs.
func callbackError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrCallbackExists):
		return fmt.Errorf("%w: %w", acd.ErrCallbackExists, err)
	case errors.Is(err, store.ErrCallbackNotPending), errors.Is(err, store.ErrCallbackNotDue),
		errors.Is(err, store.ErrUnknownCallback), errors.Is(err, store.ErrCallbackNotDialing),
		errors.Is(err, store.ErrCallbackClosed):
		return fmt.Errorf("%w: %w", acd.ErrCallbackNotPending, err)
	}
	return err
}

// drainGate keeps a server that drains from dialling customers: Claim, the
// one gate before a customer is dialled, refuses while draining is set.
// The request stays pending in the store for the next start; the agent
// already rung for it is released. Call-backs connected before the drain
// finish as calls do.
type drainGate struct {
	acd.CallbackStore
	draining *atomic.Bool
}

func (g drainGate) Claim(ctx context.Context, id, instance string) (int, error) {
	if g.draining.Load() {
		return 0, fmt.Errorf("%w: %s: the server is draining; it is dialled after the next start", acd.ErrCallbackNotPending, id)
	}
	return g.CallbackStore.Claim(ctx, id, instance)
}
