package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hotline-ivr/hotline/queue"
	"github.com/jackc/pgx/v5"
)

// SetQueue stores a queue's routing rules, shared by every instance (each
// loads the same configuration file; the last to store it wins, and they
// agree). It takes queue's own configuration, checked by its Validate, with
// its defaults; of it the cluster keeps what routing needs: Skills,
// Strategy, Levels, RingTimeout, WrapUp and RequireDisposition (a wrap-up
// after its calls ends when the agent's home says, not by time). The rest
// (overflow, maximum wait and length, announcements) stays with each
// instance.
func (c *Cluster) SetQueue(ctx context.Context, cfg queue.QueueConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg = cfg.WithDefaults()
	levels, err := json.Marshal(encodeLevels(cfg.Levels))
	if err != nil {
		return err
	}
	skills := cfg.Skills
	if skills == nil {
		skills = []string{}
	}
	_, err = c.db.Exec(ctx, `
		INSERT INTO cluster_queues (name, skills, strategy, levels, ring_timeout, wrap_up, require_disposition)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (name) DO UPDATE SET skills = $2, strategy = $3, levels = $4, ring_timeout = $5, wrap_up = $6, require_disposition = $7`,
		cfg.Name, skills, int16(cfg.Strategy), levels, int64(cfg.RingTimeout), int64(cfg.WrapUp), cfg.RequireDisposition)
	if err != nil {
		return fmt.Errorf("storing queue %s: %w", cfg.Name, err)
	}
	return nil
}

type levelJSON struct {
	After int64 `json:"after"`
	Min   int   `json:"min"`
}

func encodeLevels(ls []queue.LevelStep) []levelJSON {
	out := []levelJSON{}
	for _, l := range ls {
		out = append(out, levelJSON{After: int64(l.After), Min: l.MinLevel})
	}
	return out
}

// qcfg is a queue's routing rules as routing reads them.
type qcfg struct {
	name        string
	skills      []string
	strategy    queue.Strategy
	levels      []levelJSON
	ringTimeout time.Duration
	wrapUp      time.Duration
	disposition bool // RequireDisposition
	rr          int64
	touched     bool
}

// minLevel is the level a caller who waited w needs, as queue's.
func (q *qcfg) minLevel(w time.Duration) int {
	level := queue.MinSkillLevel
	for _, s := range q.levels {
		if w < time.Duration(s.After) {
			break
		}
		level = s.Min
	}
	return level
}

// nextRelax is when the requirement of a caller who arrived at arrived
// next relaxes, if it will.
func (q *qcfg) nextRelax(arrived time.Time, w time.Duration) (time.Time, bool) {
	cur := q.minLevel(w)
	for _, s := range q.levels {
		if w < time.Duration(s.After) && s.Min < cur {
			return arrived.Add(time.Duration(s.After)), true
		}
	}
	return time.Time{}, false
}

func loadQueues(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) (map[string]*qcfg, error) {
	rows, err := q.Query(ctx, queuesSQL)
	if err != nil {
		return nil, err
	}
	return scanQueues(rows)
}

const queuesSQL = `SELECT name, skills, strategy, levels, ring_timeout, wrap_up, rr, require_disposition FROM cluster_queues`

func scanQueues(rows pgx.Rows) (map[string]*qcfg, error) {
	out := map[string]*qcfg{}
	for rows.Next() {
		var r qcfg
		var strategy int16
		var levels []byte
		var ring, wrap int64
		if err := rows.Scan(&r.name, &r.skills, &strategy, &levels, &ring, &wrap, &r.rr, &r.disposition); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal(levels, &r.levels); err != nil {
			rows.Close()
			return nil, fmt.Errorf("queue %s: levels: %w", r.name, err)
		}
		r.strategy, r.ringTimeout, r.wrapUp = queue.Strategy(strategy), time.Duration(ring), time.Duration(wrap)
		slices.Sort(r.skills)
		out[r.name] = &r
	}
	return out, rows.Err()
}

// queueOf reads one queue's rules.
func queueOf(ctx context.Context, tx pgx.Tx, name string) (*qcfg, error) {
	var r qcfg
	var strategy int16
	var levels []byte
	var ring, wrap int64
	err := tx.QueryRow(ctx, queuesSQL+` WHERE name = $1`, name).
		Scan(&r.name, &r.skills, &strategy, &levels, &ring, &wrap, &r.rr, &r.disposition)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", queue.ErrUnknownQueue, name)
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(levels, &r.levels); err != nil {
		return nil, err
	}
	r.strategy, r.ringTimeout, r.wrapUp = queue.Strategy(strategy), time.Duration(ring), time.Duration(wrap)
	return &r, nil
}
