package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hotline-ivr/hotline/queue"
)

// TransferToAgent is an agent's blind transfer of this instance's
// connected call to a named colleague, wherever the colleague signed in:
// in one transaction the transferring agent's part ends (it wraps up by
// the queue's rules, its home told) and the target, who must be Ready, is
// reserved for the call, offered with the queue's ring timeout (its home
// told with EventHold when it is another instance). The returned Offer is
// the one to ring; then Answered, NoAnswer (the caller back in its place),
// Abandon and EndCall go as for any offer. A target that is not Ready
// fails with queue.ErrAgentNotReady and changes nothing.
func (c *Cluster) TransferToAgent(ctx context.Context, callID, target string) (Offer, error) {
	var o Offer
	err := c.callOp(ctx, callID, "transfer", func(tx pgx.Tx, r callRow, now time.Time) error {
		if r.state == "connected" && *r.agent == target {
			return fmt.Errorf("%w: call %s is already with agent %s", queue.ErrCallState, callID, target)
		}
		var ns notes
		to, err := c.endAgent(ctx, tx, callID, r, now, &ns)
		if err != nil {
			return err
		}
		q, err := queueOf(ctx, tx, r.queue)
		if err != nil {
			return err
		}
		deadline := now.Add(q.ringTimeout)
		var state int16
		var details []byte
		var arrived time.Time
		o = Offer{CallID: callID, Instance: c.cfg.Instance, Agent: target, Queue: r.queue, Deadline: deadline}
		err = tx.QueryRow(ctx, `SELECT state, name, device, coalesce(home, '') FROM cluster_agents WHERE id = $1 FOR UPDATE`, target).
			Scan(&state, &o.AgentName, &o.Device, &o.Home)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: %s", queue.ErrUnknownAgent, target)
		}
		if err != nil {
			return err
		}
		if queue.AgentState(state) != queue.Ready {
			return fmt.Errorf("%w: agent %s is %s", queue.ErrAgentNotReady, target, queue.AgentState(state))
		}
		if _, err := tx.Exec(ctx, `
			UPDATE cluster_agents SET state = 3, reason = '', since = $2, call_id = $3, call_queue = $4, call_instance = $5
			 WHERE id = $1`, target, now, callID, r.queue, c.cfg.Instance); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `
			UPDATE cluster_callers SET state = 'offered', agent = $2, offer_deadline = $3, attempts = attempts + 1
			 WHERE call_id = $1 RETURNING priority, callback, number, arrived, attempts, details::text`, callID, target, deadline).
			Scan(&o.Priority, &o.Callback, &o.Number, &arrived, &o.Attempt, &details); err != nil {
			return err
		}
		o.Waited = now.Sub(arrived)
		if details != nil {
			o.Details = json.RawMessage(details)
		}
		if o.Home != "" && o.Home != c.cfg.Instance {
			if err := ns.add(instanceChannel(o.Home), Event{Kind: EventHold, Offer: o}); err != nil {
				return err
			}
		}
		if err := ns.send(ctx, tx); err != nil {
			return err
		}
		if to == queue.Ready {
			return notifyWork(ctx, tx, c.cfg.Instance)
		}
		return nil
	})
	if err != nil {
		return Offer{}, err
	}
	return o, nil
}
