package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/hotline-ivr/hotline/queue"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

var agentPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// SetAgent adds an agent (logged out) or changes one's name, device, skills
// and queues; its state stays as it is. The queues it names must be stored.
func (c *Cluster) SetAgent(ctx context.Context, cfg queue.AgentConfig) error {
	var errs []error
	if !agentPattern.MatchString(cfg.ID) {
		errs = append(errs, fmt.Errorf("%w: agent %q: not a usable agent ID; use letters and digits, like 1001", queue.ErrInvalidAgent, cfg.ID))
	}
	for _, s := range slices.Sorted(maps.Keys(cfg.Skills)) {
		if lv := cfg.Skills[s]; s == "" || lv < queue.MinSkillLevel || lv > queue.MaxSkillLevel {
			errs = append(errs, fmt.Errorf("%w: agent %q: skill %q: level %d is outside %d to %d", queue.ErrInvalidAgent, cfg.ID, s, lv, queue.MinSkillLevel, queue.MaxSkillLevel))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	skills := cfg.Skills
	if skills == nil {
		skills = map[string]int{}
	}
	qs := cfg.Queues
	if qs == nil {
		qs = []string{}
	}
	return c.inTx(ctx, func(tx pgx.Tx) error {
		if len(qs) > 0 {
			var known []string
			if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(name), '{}') FROM cluster_queues WHERE name = ANY($1)`, qs).Scan(&known); err != nil {
				return err
			}
			for _, q := range qs {
				if !slices.Contains(known, q) {
					return fmt.Errorf("%w: agent %q: queues: %w: %s", queue.ErrInvalidAgent, cfg.ID, queue.ErrUnknownQueue, q)
				}
			}
		}
		now := c.now()
		_, err := tx.Exec(ctx, `
			INSERT INTO cluster_agents (id, name, device, skills, queues, since, idle_since) VALUES ($1, $2, $3, $4, $5, $6, $6)
			ON CONFLICT (id) DO UPDATE SET name = $2, device = $3, skills = $4, queues = $5`,
			cfg.ID, cfg.Name, cfg.Device, skills, qs, now)
		if err != nil {
			return fmt.Errorf("storing agent %s: %w", cfg.ID, err)
		}
		return nil
	})
}

// The agent-set transitions: from which states an agent may ask for each.
var agentMoves = map[queue.AgentState][]queue.AgentState{
	queue.NotReady:  {queue.LoggedOut, queue.NotReady, queue.Ready, queue.WrapUp},
	queue.Ready:     {queue.NotReady, queue.WrapUp},
	queue.LoggedOut: {queue.NotReady, queue.Ready, queue.WrapUp},
}

// Login logs the agent in, NotReady with reason "login", at this instance
// (its home: the instance whose console or phone it uses).
func (c *Cluster) Login(ctx context.Context, agent string) error {
	return c.agentSet(ctx, agent, queue.NotReady, queue.ReasonLogin, true)
}

// SetReady makes the agent Ready (from NotReady or WrapUp).
func (c *Cluster) SetReady(ctx context.Context, agent string) error {
	return c.agentSet(ctx, agent, queue.Ready, "", false)
}

// SetNotReady makes the agent NotReady for a reason (from Ready, NotReady
// or WrapUp).
func (c *Cluster) SetNotReady(ctx context.Context, agent, reason string) error {
	if reason == "" {
		return fmt.Errorf("%w: agent %s", queue.ErrNoReason, agent)
	}
	return c.agentSet(ctx, agent, queue.NotReady, reason, false)
}

// Logout logs the agent out (from NotReady, Ready or WrapUp).
func (c *Cluster) Logout(ctx context.Context, agent string) error {
	return c.agentSet(ctx, agent, queue.LoggedOut, "", false)
}

func (c *Cluster) agentSet(ctx context.Context, id string, to queue.AgentState, reason string, login bool) error {
	err := c.inTx(ctx, func(tx pgx.Tx) error {
		// The agent's home must be alive: a reaper logs out the agents of
		// the instances it marks dead, once.
		if err := c.alive(ctx, tx); err != nil {
			return err
		}
		var from int16
		err := tx.QueryRow(ctx, `SELECT state FROM cluster_agents WHERE id = $1 FOR UPDATE`, id).Scan(&from)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: %s", queue.ErrUnknownAgent, id)
		}
		if err != nil {
			return err
		}
		f := queue.AgentState(from)
		ok := slices.Contains(agentMoves[to], f)
		if login {
			ok = f == queue.LoggedOut
		} else if f == queue.LoggedOut {
			ok = false
		}
		if !ok {
			return &queue.TransitionError{Agent: id, From: f, To: to}
		}
		now := c.now()
		if _, err := tx.Exec(ctx, `
			UPDATE cluster_agents SET state = $2, reason = $3, since = $4, home = $5,
			       idle_since = CASE WHEN $6 THEN $4 ELSE idle_since END,
			       call_id = NULL, call_queue = NULL, call_instance = NULL, wrap_until = NULL, wrap_hold = false
			 WHERE id = $1`, id, int16(to), reason, now, c.cfg.Instance, login); err != nil {
			return err
		}
		if to == queue.Ready {
			return notifyWork(ctx, tx, c.cfg.Instance)
		}
		return nil
	})
	var te *queue.TransitionError
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) || (err != nil && !errors.As(err, &te) && !errors.Is(err, queue.ErrUnknownAgent) && !errors.Is(err, ErrInstanceDead)) {
		return fmt.Errorf("agent %s to %s: %w", id, to, err)
	}
	return err
}
