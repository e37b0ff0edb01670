package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/ivr/acd"
)

// clusterPart is this server's membership of the centre's cluster
// (cfg.Cluster): the instance, the ACD's shared router, the reaper.
type clusterPart struct {
	c      *cluster.Cluster
	router acd.Shared
	stop   context.CancelFunc
	wg     sync.WaitGroup
	log    *slog.Logger

	mu   sync.Mutex
	take func(ctx context.Context, instances []string) error // the ACD's TakeCallbacks, once it is made
}

// takeCallbacksWith makes the reaper hand the call-back requests of the
// servers it finds dead (and those it adopts) to take, the ACD's.
func (p *clusterPart) takeCallbacksWith(take func(ctx context.Context, instances []string) error) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.take = take
	p.mu.Unlock()
}

// openCluster joins the cluster when cfg.Cluster is on (nil when off):
// the instance registered under instance.name, the configuration's queues
// and agents given (every server has the same), and the reaper run every
// heartbeat until close.
func openCluster(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, clock clockwork.Clock, log *slog.Logger) (*clusterPart, error) {
	if !cfg.Cluster.Enabled {
		return nil, nil
	}
	if pool == nil {
		return nil, errors.New("cluster.enabled: the servers share their queues through the database: set " + config.EnvDatabaseURL)
	}
	log = log.With("component", "cluster")
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	c, err := cluster.New(ctx, pool, cluster.Config{Instance: cfg.Instance.Name, Clock: clock,
		Heartbeat: cfg.Cluster.Heartbeat, DeadAfter: cfg.Cluster.DeadAfter, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	for _, q := range cfg.QueueConfigs() {
		if err := c.SetQueue(ctx, q); err != nil {
			c.Close()
			return nil, fmt.Errorf("cluster: queue %s: %w", q.Name, err)
		}
	}
	for _, a := range cfg.Agents {
		if err := c.SetAgent(ctx, a.AgentConfig()); err != nil {
			c.Close()
			return nil, fmt.Errorf("cluster: agent %s: %w", a.ID, err)
		}
	}
	rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	p := &clusterPart{c: c, router: c.ACD(rctx), stop: stop, log: log}
	p.wg.Go(func() { p.reap(rctx, clock, cfg.Cluster.Heartbeat) })
	log.Info("joined the centre's cluster", "instance", cfg.Instance.Name)
	return p, nil
}

// reap frees, every heartbeat, what servers that died left behind.
func (p *clusterPart) reap(ctx context.Context, clock clockwork.Clock, every time.Duration) {
	t := clock.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
		}
		r, err := p.c.Reap(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			p.log.Warn("reaping dead servers", "error", err)
		case len(r.Instances) > 0:
			p.log.Warn("servers taken for dead: their callers were lost with their Asterisk, their agents freed",
				"instances", r.Instances, "callers_lost", len(r.Lost), "calls_ended", len(r.Ended), "agents_logged_out", len(r.LoggedOut),
				"callbacks_adopted", len(r.Adopted))
		}
		p.takeCallbacks(ctx, r)
	}
}

// takeCallbacks hands the ACD the call-back requests of the servers r
// found dead or adopted from: they are this server's to serve now.
func (p *clusterPart) takeCallbacks(ctx context.Context, r cluster.Reaped) {
	from := slices.Clone(r.Instances)
	for _, l := range r.Adopted {
		from = append(from, l.Instance)
	}
	p.mu.Lock()
	take := p.take
	p.mu.Unlock()
	if len(from) == 0 || take == nil {
		return
	}
	if err := take(ctx, from); err != nil && ctx.Err() == nil {
		p.log.Error("taking over the call-backs of dead servers", "instances", from, "error", err)
	}
}

// close leaves the cluster cleanly (the others need not wait to reap this
// server), once the ACD has stopped.
func (p *clusterPart) close(ctx context.Context) {
	if p == nil {
		return
	}
	p.stop()
	p.wg.Wait()
	if _, err := p.c.Leave(ctx); err != nil {
		p.log.Warn("leaving the cluster: the others reap this server", "error", err)
	}
	p.c.Close()
}
