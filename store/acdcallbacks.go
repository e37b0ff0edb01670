package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hotline-ivr/hotline/ivr/acd"
)

// ACDCallbacks keeps the ACD's call-back requests in PostgreSQL: it is
// Callbacks as an acd.CallbackStore, the store's errors turned into the
// ones the ACD acts on.
type ACDCallbacks struct {
	db    *Callbacks
	spool *CallbackSpool
}

// NewACDCallbacks adapts db for the ACD. With a spool, a request booked
// while PostgreSQL is unreachable is kept in it (durable locally: the
// caller may hear the confirmation) and stored once PostgreSQL is back;
// spool may be nil.
func NewACDCallbacks(db *Callbacks, spool *CallbackSpool) ACDCallbacks {
	return ACDCallbacks{db: db, spool: spool}
}

var _ acd.CallbackStore = ACDCallbacks{}

func (s ACDCallbacks) Add(ctx context.Context, rec acd.CallbackRecord) error {
	req := CallbackRequest{
		ID: rec.ID, CallID: rec.CallID, Queue: rec.Queue, Priority: rec.Priority, Skills: rec.Skills,
		Number: rec.Number, Arrived: rec.Arrived, MaxAttempts: rec.MaxAttempts, NotBefore: rec.NotBefore,
	}
	err := s.db.Add(ctx, req)
	if s.spool != nil && Unreachable(err) && !errors.Is(err, context.Canceled) {
		if kerr := s.spool.Keep(ctx, req); kerr != nil {
			return errors.Join(err, kerr)
		}
		return nil
	}
	return callbackError(err)
}

func (s ACDCallbacks) Claim(ctx context.Context, id, instance string) (int, error) {
	n, err := s.db.Claim(ctx, id, instance)
	return n, callbackError(err)
}

func (s ACDCallbacks) Connected(ctx context.Context, id string) error {
	return callbackError(s.db.Connected(ctx, id))
}

func (s ACDCallbacks) Cancel(ctx context.Context, id string) error {
	return callbackError(s.db.Cancel(ctx, id))
}

func (s ACDCallbacks) Failed(ctx context.Context, id, reason string, retryAt time.Time) (bool, error) {
	retry, err := s.db.Failed(ctx, id, reason, retryAt)
	return retry, callbackError(err)
}

func (s ACDCallbacks) Pending(ctx context.Context) ([]acd.CallbackRecord, error) {
	reqs, err := s.db.Pending(ctx)
	if err != nil {
		return nil, err
	}
	recs := make([]acd.CallbackRecord, len(reqs))
	for i, r := range reqs {
		recs[i] = acd.CallbackRecord{
			ID: r.ID, CallID: r.CallID, Queue: r.Queue, Priority: r.Priority, Skills: r.Skills,
			Number: r.Number, Arrived: r.Arrived, Attempts: r.Attempts, MaxAttempts: r.MaxAttempts,
			NotBefore: r.NotBefore, Instance: r.Instance,
		}
	}
	return recs, nil
}

func (s ACDCallbacks) Recover(ctx context.Context, instance string) (int, error) {
	return s.db.Recover(ctx, instance)
}

// callbackError makes the store's errors the ACD's: a request that must
// not be dialled now, for whatever reason, is not pending; one made twice
// exists. The store's error stays in the chain for the logs.
func callbackError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrCallbackExists):
		return fmt.Errorf("%w: %w", acd.ErrCallbackExists, err)
	case errors.Is(err, ErrCallbackNotPending), errors.Is(err, ErrCallbackNotDue),
		errors.Is(err, ErrUnknownCallback), errors.Is(err, ErrCallbackNotDialing),
		errors.Is(err, ErrCallbackClosed):
		return fmt.Errorf("%w: %w", acd.ErrCallbackNotPending, err)
	}
	return err
}
