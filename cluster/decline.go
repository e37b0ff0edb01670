package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hotline-ivr/hotline/queue"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Decline says this instance, the agent's home, cannot hold an offer of
// another instance's call to its agent (EventHold), or take an offer of
// its own caller to its agent: its Center had the
// agent in another state at that moment — the agent went not ready or
// logged out there just before, and the cluster had not heard of it yet.
// If the offer of callID to agent still stands, it is withdrawn, in one
// transaction: the caller goes back to its place (its original arrival,
// as after a withdrawn offer: not a no answer, the agent not "missed"),
// the agent's row takes its home's state (to: NotReady with reason, or
// LoggedOut), the caller's instance hears EventWithdrawn (stop ringing;
// not when it is the decliner: its own caller's offer it could not take
// rings nowhere, and a late withdrawal would stop a newer offer of the
// same call to the same agent) and routing is woken.
//
// An offer that moved on is refused as stale: an unknown call with
// queue.ErrUnknownCall, one no longer ringing with queue.ErrCallState,
// one ringing another agent with queue.ErrNotOffered, an agent homed at
// another instance with ErrNotOwner (all acd.ErrSharedRefused through
// ACD). A state other than NotReady or LoggedOut is refused with a
// queue.TransitionError, NotReady without a reason with queue.ErrNoReason.
func (c *Cluster) Decline(ctx context.Context, callID, agent string, to queue.AgentState, reason string) error {
	switch to {
	case queue.NotReady:
		if reason == "" {
			return fmt.Errorf("%w: agent %s declining call %s", queue.ErrNoReason, agent, callID)
		}
	case queue.LoggedOut:
		reason = ""
	default:
		return &queue.TransitionError{Agent: agent, From: queue.Reserved, To: to}
	}
	err := c.inTx(ctx, func(tx pgx.Tx) error {
		if err := c.alive(ctx, tx); err != nil {
			return err
		}
		now := c.now()
		// The caller's row first, then the agent's, as everywhere.
		var o Offer
		var state string
		var arrived time.Time
		var deadline *time.Time
		err := tx.QueryRow(ctx, `
			SELECT call_id, instance, queue, priority, callback, number, arrived, attempts, coalesce(agent, ''), offer_deadline, state
			  FROM cluster_callers WHERE call_id = $1 FOR UPDATE`, callID).
			Scan(&o.CallID, &o.Instance, &o.Queue, &o.Priority, &o.Callback, &o.Number, &arrived, &o.Attempt, &o.Agent, &deadline, &state)
		found := !errors.Is(err, pgx.ErrNoRows)
		if err != nil && found {
			return err
		}
		if deadline != nil {
			o.Deadline = *deadline
		}
		o.Waited = now.Sub(arrived)
		switch {
		case !found:
			return fmt.Errorf("%w: %s", queue.ErrUnknownCall, callID)
		case state != "offered":
			return fmt.Errorf("%w: cannot decline call %s for agent %s: it is %s", queue.ErrCallState, callID, agent, state)
		case o.Agent != agent:
			return fmt.Errorf("%w: cannot decline call %s for agent %s: it rings agent %s", queue.ErrNotOffered, callID, agent, o.Agent)
		}
		var home string
		err = tx.QueryRow(ctx, `
			SELECT coalesce(home, ''), name, device FROM cluster_agents WHERE id = $1 AND state = 3 AND call_id = $2 FOR UPDATE`,
			agent, callID).Scan(&home, &o.AgentName, &o.Device)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("cluster: internal error: agent %s is not on call %s as its caller's row says", agent, callID)
		}
		if err != nil {
			return err
		}
		if home != c.cfg.Instance {
			return fmt.Errorf("%w: agent %s is homed at instance %q, not %s: only its home declines its offers", ErrNotOwner, agent, home, c.cfg.Instance)
		}
		o.Home = home
		if _, err := tx.Exec(ctx, `
			UPDATE cluster_agents SET state = $2, reason = $3, since = $4, call_id = NULL, call_queue = NULL, call_instance = NULL,
			       wrap_until = NULL, wrap_hold = false
			 WHERE id = $1`, agent, int16(to), reason, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE cluster_callers SET state = 'waiting', agent = NULL, offer_deadline = NULL WHERE call_id = $1`, callID); err != nil {
			return err
		}
		var ns notes
		if o.Instance != c.cfg.Instance { // the decliner's own caller: nothing rings there
			if err := ns.add(instanceChannel(o.Instance), Event{Kind: EventWithdrawn, Offer: o}); err != nil {
				return err
			}
		}
		if err := ns.send(ctx, tx); err != nil {
			return err
		}
		return notifyWork(ctx, tx, c.cfg.Instance)
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return fmt.Errorf("instance %s declining call %s for agent %s: %w", c.cfg.Instance, callID, agent, err)
	}
	return err
}
