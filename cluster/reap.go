package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hotline-ivr/hotline/queue"
	"github.com/jackc/pgx/v5"
)

// ReasonInstanceLost is the Ready reason of an agent whose offer was
// withdrawn because the caller's instance died: the agent did nothing
// wrong.
const ReasonInstanceLost = "instance lost"

// EventWithdrawn: an offer of one of this instance's callers was
// withdrawn because the agent's home instance died (Offer); stop ringing:
// the caller is back in its place.
const EventWithdrawn EventKind = "withdrawn"

// Reaped is what one Reap did.
type Reaped struct {
	Instances []string   // marked dead
	Lost      []LostCall // their waiting and ringing callers, removed: the calls were on their Asterisks
	Ended     []LostCall // their connected calls, ended: the agents went to wrap-up
	Adopted   []LostCall // their call-back requests, now this instance's (they keep their place)
	Orphaned  []LostCall // Leave: its call-back requests, left for a live instance's Reap to adopt
	LoggedOut []string   // agents homed on them, logged out
	Withdrawn []Offer    // offers to those agents of live instances' callers, withdrawn (callers back in line)
}

// LostCall is a caller of a dead instance.
type LostCall struct {
	CallID, Instance, Queue string
	State                   string // waiting, offered or connected
	Agent                   string // offered, connected: the agent
	Callback                bool
	Arrived                 time.Time
}

// Reap finds the instances whose heartbeat is older than DeadAfter and
// clears them away, once, under the routing lock (any number of instances
// may reap at once; the first does the work, the others find nothing):
// their waiting and ringing callers are removed as lost (their agents Ready
// again, reason "instance lost"), their connected calls end (agents to
// wrap-up), their call-backs are adopted by this instance, agents homed on
// them are logged out (an offer ringing such an agent is withdrawn and its
// caller is back in line), and their rows are marked dead.
//
// An instance that has not itself reached the database for DeadAfter
// (its heartbeats failed: the database was down or unreachable from it)
// judges nobody dead yet: after an outage every instance's heartbeat is
// old, and the others are given DeadAfter to beat again. It still adopts
// the call-backs of instances already dead.
func (c *Cluster) Reap(ctx context.Context) (Reaped, error) {
	r, err := c.reap(ctx, false)
	if err != nil {
		return Reaped{}, fmt.Errorf("reaping at instance %s: %w", c.cfg.Instance, err)
	}
	return r, nil
}

// Leave takes this instance out of the centre at a clean shutdown, as a
// reaper would after its death, and closes it: its waiting and ringing
// callers are removed (returned as Lost: the caller should have drained
// them), its connected calls end, agents homed on it are logged out, and
// its row is marked dead, so the name can be used again at once. Its
// call-backs keep their place (Orphaned): the next Reap of a live
// instance adopts them, or this instance's next start under the same name
// takes them back.
func (c *Cluster) Leave(ctx context.Context) (Reaped, error) {
	r, err := c.reap(ctx, true)
	if err != nil {
		return Reaped{}, fmt.Errorf("instance %s leaving: %w", c.cfg.Instance, err)
	}
	c.Close()
	return r, nil
}

func (c *Cluster) reap(ctx context.Context, leave bool) (Reaped, error) {
	var r Reaped
	err := c.inTx(ctx, func(tx pgx.Tx) error {
		r = Reaped{}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, routeLock); err != nil {
			return err
		}
		now := c.now()
		// FOR UPDATE waits for the transactions that hold an instance's
		// row (alive) and re-reads its heartbeat; the statements after
		// see what they wrote.
		which := `dead_at IS NULL AND heartbeat < $2 AND name <> $3`
		if !leave && !c.upFor(c.cfg.DeadAfter) {
			which = `false AND $2::timestamptz IS NOT NULL AND $3 <> ''` // not yet (see Reap)
		}
		if leave {
			which = `dead_at IS NULL AND name = $3 AND $2::timestamptz IS NOT NULL`
		}
		rows, err := tx.Query(ctx, `
			WITH d AS (SELECT name FROM cluster_instances WHERE `+which+` ORDER BY name FOR UPDATE)
			UPDATE cluster_instances i SET dead_at = $1 FROM d WHERE i.name = d.name RETURNING i.name`,
			now, now.Add(-c.cfg.DeadAfter), c.cfg.Instance)
		if err != nil {
			return err
		}
		dead, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(dead) > 0 {
			r.Instances = dead
			if err := c.clearDead(ctx, tx, now, dead, leave, &r); err != nil {
				return err
			}
		}
		if leave {
			return nil
		}
		// Call-backs of dead instances nobody took (left by Leave): this
		// instance's now.
		rows, err = tx.Query(ctx, `
			WITH o AS (
				SELECT x.call_id, x.instance FROM cluster_callers x JOIN cluster_instances i ON i.name = x.instance
				 WHERE i.dead_at IS NOT NULL AND x.callback AND x.state = 'waiting' ORDER BY x.call_id FOR UPDATE OF x)
			UPDATE cluster_callers x SET instance = $1 FROM o WHERE x.call_id = o.call_id
			RETURNING x.call_id, o.instance, x.queue, x.state, x.callback, x.arrived`, c.cfg.Instance)
		if err != nil {
			return err
		}
		orphans, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (LostCall, error) {
			var l LostCall
			err := row.Scan(&l.CallID, &l.Instance, &l.Queue, &l.State, &l.Callback, &l.Arrived)
			return l, err
		})
		r.Adopted = append(r.Adopted, orphans...)
		if err != nil || len(r.Instances) == 0 && len(orphans) == 0 {
			return err
		}
		return notifyWork(ctx, tx, "")
	})
	return r, err
}

// clearDead clears away the rows of the instances dead: see Reap.
func (c *Cluster) clearDead(ctx context.Context, tx pgx.Tx, now time.Time, dead []string, leave bool, r *Reaped) error {
	// Their callers, locked first (a caller, then its agent, as
	// everywhere).
	rows, err := tx.Query(ctx, `
		SELECT call_id, instance, queue, state, coalesce(agent, ''), callback, arrived FROM cluster_callers
		 WHERE instance = ANY($1) ORDER BY call_id FOR UPDATE`, dead)
	if err != nil {
		return err
	}
	calls, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (LostCall, error) {
		var l LostCall
		err := row.Scan(&l.CallID, &l.Instance, &l.Queue, &l.State, &l.Agent, &l.Callback, &l.Arrived)
		return l, err
	})
	if err != nil {
		return err
	}
	qs, err := loadQueues(ctx, tx)
	if err != nil {
		return err
	}
	var ns notes
	// lostHome tells the agent's home, if alive, what became of its agent.
	lostHome := func(l LostCall, home string, hc HomeCall) error {
		if slices.Contains(dead, home) {
			return nil
		}
		hc.CallID, hc.Instance, hc.Agent, hc.Queue, hc.Reason = l.CallID, l.Instance, l.Agent, l.Queue, ReasonInstanceLost
		return tellHome(&ns, EventHoldLost, home, hc)
	}
	for _, l := range calls {
		var home string
		switch l.State {
		case "offered":
			err := tx.QueryRow(ctx, `
				UPDATE cluster_agents SET state = 2, reason = $3, since = $4, call_id = NULL, call_queue = NULL, call_instance = NULL
				 WHERE id = $1 AND state = 3 AND call_id = $2 RETURNING coalesce(home, '')`, l.Agent, l.CallID, ReasonInstanceLost, now).Scan(&home)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			if err := lostHome(l, home, HomeCall{State: queue.Ready}); err != nil {
				return err
			}
		case "connected":
			var wrap time.Duration
			var disposition bool
			if q := qs[l.Queue]; q != nil {
				wrap, disposition = q.wrapUp, q.disposition
			}
			to, until := queue.Ready, (*time.Time)(nil)
			if wrap > 0 || disposition {
				u := now.Add(wrap)
				to, until = queue.WrapUp, &u
			}
			err := tx.QueryRow(ctx, `
				UPDATE cluster_agents SET state = $3, reason = $4, since = $5, idle_since = $5, wrap_until = $6, wrap_hold = $7,
				       call_id = CASE WHEN $6::timestamptz IS NULL THEN NULL ELSE call_id END,
				       call_queue = CASE WHEN $6::timestamptz IS NULL THEN NULL ELSE call_queue END,
				       call_instance = CASE WHEN $6::timestamptz IS NULL THEN NULL ELSE call_instance END
				 WHERE id = $1 AND state = 4 AND call_id = $2 RETURNING coalesce(home, '')`,
				l.Agent, l.CallID, int16(to), ReasonInstanceLost, now, until, until != nil && disposition).Scan(&home)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			hc := HomeCall{State: to, Disposition: until != nil && disposition}
			if until != nil {
				hc.WrapUpEnds = *until
			}
			if err := lostHome(l, home, hc); err != nil {
				return err
			}
		}
		switch {
		case l.Callback && l.State != "connected":
			to := c.cfg.Instance
			if leave {
				to = l.Instance // left for a live instance to adopt
			}
			if _, err := tx.Exec(ctx, `
				UPDATE cluster_callers SET instance = $2, state = 'waiting', agent = NULL, offer_deadline = NULL WHERE call_id = $1`,
				l.CallID, to); err != nil {
				return err
			}
			if leave {
				r.Orphaned = append(r.Orphaned, l)
			} else {
				r.Adopted = append(r.Adopted, l)
			}
			continue
		case l.State == "connected":
			r.Ended = append(r.Ended, l)
		default:
			r.Lost = append(r.Lost, l)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM cluster_callers WHERE call_id = $1`, l.CallID); err != nil {
			return err
		}
	}
	// Agents homed on them: offers ringing them are withdrawn (their
	// callers back in line), then they are logged out. An agent on a
	// call is logged out when the call ends (EndCall).
	rows, err = tx.Query(ctx, `
		SELECT x.call_id, x.instance, x.queue, x.priority, x.callback, x.number, x.arrived, x.attempts, x.agent, x.offer_deadline,
		       g.name, g.device, g.home
		  FROM cluster_agents g JOIN cluster_callers x ON x.call_id = g.call_id AND x.agent = g.id AND x.state = 'offered'
		 WHERE g.home = ANY($1) AND g.state = 3 ORDER BY x.call_id FOR UPDATE OF x`, dead)
	if err != nil {
		return err
	}
	for rows.Next() {
		o, err := scanOffer(rows, now)
		if err != nil {
			rows.Close()
			return err
		}
		r.Withdrawn = append(r.Withdrawn, o)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, o := range r.Withdrawn {
		if _, err := tx.Exec(ctx, `UPDATE cluster_callers SET state = 'waiting', agent = NULL, offer_deadline = NULL WHERE call_id = $1`, o.CallID); err != nil {
			return err
		}
		if err := ns.add(instanceChannel(o.Instance), Event{Kind: EventWithdrawn, Offer: o}); err != nil {
			return err
		}
	}
	rows, err = tx.Query(ctx, `
		UPDATE cluster_agents SET state = 0, reason = $2, since = $3, call_id = NULL, call_queue = NULL, call_instance = NULL, wrap_until = NULL,
		       wrap_hold = false
		 WHERE home = ANY($1) AND state IN (1, 2, 3, 5) RETURNING id`, dead, ReasonInstanceLost, now)
	if err != nil {
		return err
	}
	if r.LoggedOut, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return err
	}
	if err := ns.send(ctx, tx); err != nil {
		return err
	}
	return notifyWork(ctx, tx, "")
}
