package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/queue"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Caller is a call handed to a queue by the instance whose Asterisk holds
// it, or a call-back request.
type Caller struct {
	CallID   string
	Queue    string
	Priority int // higher first
	// Arrived orders the caller within its priority; zero (or a time
	// ahead of the clock) means now. A caller taken over keeps its place
	// by giving its original arrival.
	Arrived time.Time
	// Skills the caller needs besides the queue's, with the least level
	// it accepts (0 or 1: any); the queue's relaxing levels apply to them
	// too, the higher of the two counting.
	Skills   map[string]int
	Callback bool   // a call-back request: keeps its place, dialled when served
	Number   string // the number to call back (required for a call-back)
	// Details is the screen pop the ACD fills (the caller's number, IVR
	// path, language...): a JSON object, at most MaxDetails bytes once
	// compacted, carried as given in the Offer (so the agent's home can
	// show who is calling). The cluster does not read it.
	Details json.RawMessage
}

// MaxDetails bounds Caller.Details (compacted): an Offer carrying them must
// fit in one notification (less than 8000 bytes).
const MaxDetails = 4 << 10

// The errors of Caller.Details.
var (
	ErrDetailsTooBig  = errors.New("caller details too big")
	ErrDetailsInvalid = errors.New("caller details are not a JSON object")
)

// details checks and compacts a caller's details; nil for none.
func details(id string, d json.RawMessage) (any, error) {
	if len(d) == 0 {
		return nil, nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, d); err != nil {
		return nil, fmt.Errorf("%w: call %s: %w", ErrDetailsInvalid, id, err)
	}
	if b.Len() == 0 || b.Bytes()[0] != '{' {
		return nil, fmt.Errorf("%w: call %s: %.20s...", ErrDetailsInvalid, id, b.String())
	}
	if b.Len() > MaxDetails {
		return nil, fmt.Errorf("%w: call %s: %d bytes, over the %d allowed (keep the screen pop to what the agent needs to see)",
			ErrDetailsTooBig, id, b.Len(), MaxDetails)
	}
	return b.String(), nil
}

// Enqueue queues a caller owned by this instance. A duplicate call ID fails
// with queue.ErrDuplicateCall, an unknown queue with queue.ErrUnknownQueue,
// Details that are not a JSON object with ErrDetailsInvalid, or longer
// than MaxDetails with ErrDetailsTooBig.
func (c *Cluster) Enqueue(ctx context.Context, cl Caller) error {
	if cl.CallID == "" {
		return queue.ErrMissingID
	}
	if cl.Callback && cl.Number == "" {
		return fmt.Errorf("%w: call-back %s", queue.ErrNoNumber, cl.CallID)
	}
	for s, lv := range cl.Skills {
		if s == "" || lv < 0 || lv > queue.MaxSkillLevel {
			return fmt.Errorf("%w: call %s: skill %q at level %d", queue.ErrInvalidQueue, cl.CallID, s, lv)
		}
	}
	now := c.now()
	arrived := cl.Arrived.UTC().Truncate(time.Microsecond)
	if arrived.IsZero() || arrived.After(now) {
		arrived = now
	}
	skills := cl.Skills
	if skills == nil {
		skills = map[string]int{}
	}
	det, err := details(cl.CallID, cl.Details)
	if err != nil {
		return err
	}
	err = c.inTx(ctx, func(tx pgx.Tx) error {
		if err := c.alive(ctx, tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO cluster_callers (call_id, instance, queue, priority, arrived, class, skills, callback, number, state, details)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'waiting', $10::text::json)`,
			cl.CallID, c.cfg.Instance, cl.Queue, cl.Priority, arrived, classOf(skills), skills, cl.Callback, cl.Number, det)
		if err != nil {
			return err
		}
		return notifyWork(ctx, tx, c.cfg.Instance)
	})
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "23505":
		return fmt.Errorf("%w: %s", queue.ErrDuplicateCall, cl.CallID)
	case errors.As(err, &pgErr) && pgErr.Code == "23503":
		return fmt.Errorf("call %s: %w: %s", cl.CallID, queue.ErrUnknownQueue, cl.Queue)
	case err != nil:
		return fmt.Errorf("queueing call %s: %w", cl.CallID, err)
	}
	return nil
}

// alive holds this instance's row (FOR KEY SHARE: heartbeats do not wait
// for it) for the transaction, so a reaper, which locks the row FOR UPDATE
// before it marks it dead, waits for it and then sees what it wrote.
func (c *Cluster) alive(ctx context.Context, tx pgx.Tx) error {
	var dead *time.Time
	err := tx.QueryRow(ctx, `SELECT dead_at FROM cluster_instances WHERE name = $1 FOR KEY SHARE`, c.cfg.Instance).Scan(&dead)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && dead != nil) {
		return fmt.Errorf("%w: instance %s", ErrInstanceDead, c.cfg.Instance)
	}
	return err
}

// classOf is the canonical text of a caller's own skills: its bucket.
func classOf(skills map[string]int) string {
	var b strings.Builder
	for i, s := range slices.Sorted(maps.Keys(skills)) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s)
		b.WriteByte('=')
		b.WriteString(strconv.Itoa(max(skills[s], queue.MinSkillLevel)))
	}
	return b.String()
}

// callRow is a caller's row, locked.
type callRow struct {
	instance, queue, state string
	agent                  *string
	callback               bool
}

func (c *Cluster) lockCall(ctx context.Context, tx pgx.Tx, id string) (callRow, error) {
	var r callRow
	err := tx.QueryRow(ctx, `SELECT instance, queue, state, agent, callback FROM cluster_callers WHERE call_id = $1 FOR UPDATE`, id).
		Scan(&r.instance, &r.queue, &r.state, &r.agent, &r.callback)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("%w: %s", queue.ErrUnknownCall, id)
	}
	if err != nil {
		return r, err
	}
	if r.instance != c.cfg.Instance {
		return r, fmt.Errorf("%w: call %s is instance %s's, not %s's", ErrNotOwner, id, r.instance, c.cfg.Instance)
	}
	return r, nil
}

func (r callRow) offeredTo(id, agent, op string) error {
	if r.state != "offered" {
		return fmt.Errorf("%w: cannot %s call %s: it is %s", queue.ErrCallState, op, id, r.state)
	}
	if *r.agent != agent {
		return fmt.Errorf("%w: cannot %s call %s for agent %s: it rings agent %s", queue.ErrNotOffered, op, id, agent, *r.agent)
	}
	return nil
}

// Abandon says the caller hung up before an agent took the call: it leaves
// the line, or its offer is withdrawn and the agent is Ready again (reason
// "abandoned"). For a call-back it cancels the request.
func (c *Cluster) Abandon(ctx context.Context, callID string) error {
	return c.callOp(ctx, callID, "abandon", func(tx pgx.Tx, r callRow, now time.Time) error {
		switch r.state {
		case "waiting":
		case "offered":
			home, err := c.agentStep(ctx, tx, `
				UPDATE cluster_agents SET state = 2, reason = $3, since = $4, call_id = NULL, call_queue = NULL, call_instance = NULL
				 WHERE id = $1 AND state = 3 AND call_id = $2 RETURNING coalesce(home, '')`, *r.agent, callID, queue.ReasonAbandoned, now)
			if err != nil {
				return err
			}
			var ns notes
			if err := tellHome(&ns, EventHoldAbandoned, home, HomeCall{CallID: callID, Instance: c.cfg.Instance, Agent: *r.agent, Queue: r.queue,
				State: queue.Ready, Reason: queue.ReasonAbandoned}); err != nil {
				return err
			}
			if err := ns.send(ctx, tx); err != nil {
				return err
			}
			if err := notifyWork(ctx, tx, c.cfg.Instance); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: cannot abandon call %s: it is %s", queue.ErrCallState, callID, r.state)
		}
		_, err := tx.Exec(ctx, `DELETE FROM cluster_callers WHERE call_id = $1`, callID)
		return err
	})
}

// Answered says the agent answered the call's offer: the agent is OnCall.
// For a call-back, the owner now dials the customer; the request is
// never offered again. A late answer from an offer that rang out fails with
// queue.ErrNotOffered or queue.ErrCallState.
func (c *Cluster) Answered(ctx context.Context, callID, agent string) error {
	return c.callOp(ctx, callID, "answer", func(tx pgx.Tx, r callRow, now time.Time) error {
		if err := r.offeredTo(callID, agent, "answer"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE cluster_callers SET state = 'connected', offer_deadline = NULL WHERE call_id = $1`, callID); err != nil {
			return err
		}
		home, err := c.agentStep(ctx, tx, `
			UPDATE cluster_agents SET state = 4, reason = '', since = $3,
			       answered = jsonb_set(answered, ARRAY[$4::text], to_jsonb(coalesce((answered->>$4)::int, 0) + 1))
			 WHERE id = $1 AND state = 3 AND call_id = $2 RETURNING coalesce(home, '')`, agent, callID, now, r.queue)
		if err != nil {
			return err
		}
		var ns notes
		if err := tellHome(&ns, EventHoldAnswered, home, HomeCall{CallID: callID, Instance: c.cfg.Instance, Agent: agent, Queue: r.queue,
			State: queue.OnCall}); err != nil {
			return err
		}
		return ns.send(ctx, tx)
	})
}

// NoAnswer says the agent did not answer the offer: the agent becomes
// NotReady "missed" and the caller goes back to its place (its original
// arrival).
func (c *Cluster) NoAnswer(ctx context.Context, callID, agent string) error {
	return c.callOp(ctx, callID, "count no answer for", func(tx pgx.Tx, r callRow, now time.Time) error {
		if err := r.offeredTo(callID, agent, "count no answer for"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE cluster_callers SET state = 'waiting', agent = NULL, offer_deadline = NULL WHERE call_id = $1`, callID); err != nil {
			return err
		}
		home, err := c.agentStep(ctx, tx, `
			UPDATE cluster_agents SET state = 1, reason = $3, since = $4, call_id = NULL, call_queue = NULL, call_instance = NULL
			 WHERE id = $1 AND state = 3 AND call_id = $2 RETURNING coalesce(home, '')`, agent, callID, queue.ReasonMissed, now)
		if err != nil {
			return err
		}
		var ns notes
		if err := tellHome(&ns, EventHoldNoAnswer, home, HomeCall{CallID: callID, Instance: c.cfg.Instance, Agent: agent, Queue: r.queue,
			State: queue.NotReady, Reason: queue.ReasonMissed}); err != nil {
			return err
		}
		if err := ns.send(ctx, tx); err != nil {
			return err
		}
		return notifyWork(ctx, tx, c.cfg.Instance)
	})
}

// EndCall says an answered call ended: the agent goes to WrapUp for the
// queue's wrap-up time (then Ready, applied by whichever instance routes
// next), or straight to Ready without one. After a call of a queue that
// requires a disposition the agent stays in WrapUp, past the wrap-up time,
// until its home ends it (SetReady, SetNotReady, Logout). An agent whose
// home instance was reaped meanwhile is logged out instead. The agent's
// home, if another instance, hears EventHoldEnded.
func (c *Cluster) EndCall(ctx context.Context, callID string) error {
	return c.callOp(ctx, callID, "end", func(tx pgx.Tx, r callRow, now time.Time) error {
		var ns notes
		to, err := c.endAgent(ctx, tx, callID, r, now, &ns)
		if err != nil {
			return err
		}
		if err := ns.send(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM cluster_callers WHERE call_id = $1`, callID); err != nil {
			return err
		}
		if to == queue.Ready {
			return notifyWork(ctx, tx, c.cfg.Instance)
		}
		return nil
	})
}

// endAgent ends the part of the agent of connected call callID (its row r,
// locked): the agent wraps up by the queue's rules (logged out if its home
// is dead), and its home is told (in ns). It returns the agent's new
// state.
func (c *Cluster) endAgent(ctx context.Context, tx pgx.Tx, callID string, r callRow, now time.Time, ns *notes) (queue.AgentState, error) {
	if r.state != "connected" {
		return 0, fmt.Errorf("%w: cannot end call %s: it is %s", queue.ErrCallState, callID, r.state)
	}
	q, err := queueOf(ctx, tx, r.queue)
	if err != nil {
		return 0, err
	}
	var homeDead bool
	if err := tx.QueryRow(ctx, `
		SELECT coalesce(i.dead_at IS NOT NULL, false) FROM cluster_agents g LEFT JOIN cluster_instances i ON i.name = g.home
		 WHERE g.id = $1`, *r.agent).Scan(&homeDead); err != nil {
		return 0, fmt.Errorf("agent %s: %w", *r.agent, err)
	}
	to, wrapUntil, keep := queue.Ready, (*time.Time)(nil), false
	switch {
	case homeDead:
		to = queue.LoggedOut
	case q.wrapUp > 0 || q.disposition:
		to, keep = queue.WrapUp, true
		w := now.Add(q.wrapUp)
		wrapUntil = &w
	}
	hold := keep && q.disposition
	home, err := c.agentStep(ctx, tx, `
		UPDATE cluster_agents SET state = $3, reason = '', since = $4, idle_since = $4, wrap_until = $5, wrap_hold = $7,
		       call_id = CASE WHEN $6 THEN call_id END, call_queue = CASE WHEN $6 THEN call_queue END,
		       call_instance = CASE WHEN $6 THEN call_instance END
		 WHERE id = $1 AND state = 4 AND call_id = $2 RETURNING coalesce(home, '')`, *r.agent, callID, int16(to), now, wrapUntil, keep, hold)
	if err != nil {
		return 0, err
	}
	if !homeDead {
		hc := HomeCall{CallID: callID, Instance: c.cfg.Instance, Agent: *r.agent, Queue: r.queue, State: to, Disposition: hold}
		if wrapUntil != nil {
			hc.WrapUpEnds = *wrapUntil
		}
		if err := tellHome(ns, EventHoldEnded, home, hc); err != nil {
			return 0, err
		}
	}
	return to, nil
}

// ToCallback turns a waiting caller into a call-back request that keeps its
// place (the caller hangs up; the number is called back when it is served).
func (c *Cluster) ToCallback(ctx context.Context, callID, number string) error {
	if number == "" {
		return fmt.Errorf("%w: call-back %s", queue.ErrNoNumber, callID)
	}
	return c.callOp(ctx, callID, "turn into a call-back", func(tx pgx.Tx, r callRow, now time.Time) error {
		if r.state != "waiting" || r.callback {
			return fmt.Errorf("%w: cannot turn call %s into a call-back: it is %s", queue.ErrCallState, callID, r.state)
		}
		_, err := tx.Exec(ctx, `UPDATE cluster_callers SET callback = true, number = $2 WHERE call_id = $1`, callID, number)
		return err
	})
}

// agentStep runs an update of the agent of a call that returns its home;
// it must change exactly the one row.
func (c *Cluster) agentStep(ctx context.Context, tx pgx.Tx, sql string, args ...any) (home string, err error) {
	err = tx.QueryRow(ctx, sql, args...).Scan(&home)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("cluster: internal error: agent %v is not on call %v as its caller's row says", args[0], args[1])
	}
	return home, err
}

// callOp runs op on a locked caller of this instance's.
func (c *Cluster) callOp(ctx context.Context, callID, what string, op func(pgx.Tx, callRow, time.Time) error) error {
	return c.inTx(ctx, func(tx pgx.Tx) error {
		r, err := c.lockCall(ctx, tx, callID)
		if err != nil {
			return err
		}
		if err := op(tx, r, c.now()); err != nil {
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) {
				return fmt.Errorf("cannot %s call %s: %w", what, callID, err)
			}
			return err
		}
		return nil
	})
}
