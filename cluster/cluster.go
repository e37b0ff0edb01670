package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
)

// Config is one instance's part in the cluster.
type Config struct {
	// Instance names this Hotline (and so its Asterisk), like "hotline-a":
	// letters, digits, '-' and '_', up to 40.
	Instance string
	Clock    clockwork.Clock // nil: the real clock
	// Heartbeat is how often the instance stamps its row; 0 means 2 s.
	Heartbeat time.Duration
	// DeadAfter is how old a heartbeat makes an instance dead; 0 means 10 s.
	DeadAfter time.Duration
	// Reconnect is how long the LISTEN connection waits between attempts
	// while the database is away; 0 means 1 s.
	Reconnect time.Duration
	Logger    *slog.Logger // nil: slog.Default()
}

// The defaults.
const (
	DefaultHeartbeat = 2 * time.Second
	DefaultDeadAfter = 10 * time.Second
	DefaultReconnect = time.Second
)

var instancePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

// Errors; each message names the call, agent, queue or instance.
var (
	// ErrInstanceInUse: the instance name belongs to a live instance.
	ErrInstanceInUse = errors.New("the instance name is in use by a live instance")
	// ErrInstanceDead: this instance was declared dead by a reaper (its
	// heartbeat aged); its callers were removed. Start a new Cluster.
	ErrInstanceDead = errors.New("this instance was reaped as dead")
	// ErrNotOwner: the call belongs to another instance.
	ErrNotOwner = errors.New("the call belongs to another instance")
	// ErrInvalid: a bad instance name or configuration.
	ErrInvalid = errors.New("invalid cluster configuration")
)

// Cluster is one instance's handle on the shared routing state. It is safe
// for concurrent use.
type Cluster struct {
	db    *pgxpool.Pool
	cfg   Config
	clock clockwork.Clock
	log   *slog.Logger

	events chan Event
	stop   context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	// upSince is when this instance last began to reach the database
	// (registered, or its first heartbeat after a failed one); zero while
	// its heartbeats fail. It judges others dead only once it has reached
	// the database for DeadAfter itself (reap.go).
	upMu    sync.Mutex
	upSince time.Time
}

// New registers the instance (its row in cluster_instances) and starts its
// heartbeat and its LISTEN connection. A name in use by a live instance is
// refused with ErrInstanceInUse; the name of a dead instance may be reused
// once a reaper has marked it dead.
func New(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*Cluster, error) {
	if !instancePattern.MatchString(cfg.Instance) {
		return nil, fmt.Errorf("%w: instance name %q: use letters, digits, - and _, up to 40", ErrInvalid, cfg.Instance)
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.DeadAfter <= 0 {
		cfg.DeadAfter = DefaultDeadAfter
	}
	if cfg.Reconnect <= 0 {
		cfg.Reconnect = DefaultReconnect
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := &Cluster{db: pool, cfg: cfg, clock: cfg.Clock, log: cfg.Logger.With("instance", cfg.Instance),
		events: make(chan Event, 256)}
	now := c.now()
	var heartbeat time.Time
	var dead *time.Time
	err := pool.QueryRow(ctx, `
		INSERT INTO cluster_instances (name, started_at, heartbeat) VALUES ($1, $2, $2)
		ON CONFLICT (name) DO UPDATE SET started_at = $2, heartbeat = $2, dead_at = NULL
		 WHERE cluster_instances.dead_at IS NOT NULL
		RETURNING heartbeat, dead_at`, cfg.Instance, now).Scan(&heartbeat, &dead)
	if errors.Is(err, pgx.ErrNoRows) {
		var hb time.Time
		if err := pool.QueryRow(ctx, `SELECT heartbeat FROM cluster_instances WHERE name = $1`, cfg.Instance).Scan(&hb); err != nil {
			return nil, fmt.Errorf("registering instance %s: %w", cfg.Instance, err)
		}
		return nil, fmt.Errorf("%w: instance %s (last heartbeat %s; a dead one's name is free once reaped)",
			ErrInstanceInUse, cfg.Instance, hb.UTC().Format(time.RFC3339Nano))
	}
	if err != nil {
		return nil, fmt.Errorf("registering instance %s: %w", cfg.Instance, err)
	}
	c.upSince = now
	lctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	l, err := c.listen(ctx)
	if err != nil {
		cancel()
		// Not started after all: free the name (best effort; otherwise it
		// is reaped as any dead instance).
		_, _ = pool.Exec(context.WithoutCancel(ctx), `UPDATE cluster_instances SET dead_at = $2 WHERE name = $1`, cfg.Instance, now)
		return nil, err
	}
	c.wg.Add(2)
	go c.heartbeatLoop(lctx)
	go c.listenLoop(lctx, l)
	return c, nil
}

// Instance is this instance's name.
func (c *Cluster) Instance() string { return c.cfg.Instance }

// Close stops the heartbeat and the LISTEN connection. It leaves the
// instance's rows as they are: to the others it is an instance that
// stopped beating, reaped after DeadAfter (a restart under the same name
// must wait for that). Events is closed.
func (c *Cluster) Close() {
	c.once.Do(func() {
		c.stop()
		c.wg.Wait()
		close(c.events)
	})
}

// now is the clock's time at the database's precision.
func (c *Cluster) now() time.Time { return c.clock.Now().UTC().Truncate(time.Microsecond) }

// Heartbeat stamps the instance's row now; the loop calls it every
// Config.Heartbeat. It fails with ErrInstanceDead once a reaper has marked
// the instance dead.
func (c *Cluster) Heartbeat(ctx context.Context) error {
	tag, err := c.db.Exec(ctx, `UPDATE cluster_instances SET heartbeat = $2 WHERE name = $1 AND dead_at IS NULL`,
		c.cfg.Instance, c.now())
	if err != nil {
		c.down()
		return fmt.Errorf("heartbeat of instance %s: %w", c.cfg.Instance, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: instance %s", ErrInstanceDead, c.cfg.Instance)
	}
	c.upMu.Lock()
	if c.upSince.IsZero() {
		c.upSince = c.now()
	}
	c.upMu.Unlock()
	return nil
}

// down notes a heartbeat that did not reach the database.
func (c *Cluster) down() {
	c.upMu.Lock()
	c.upSince = time.Time{}
	c.upMu.Unlock()
}

// upFor says whether this instance has reached the database without a
// failed heartbeat for at least d.
func (c *Cluster) upFor(d time.Duration) bool {
	c.upMu.Lock()
	defer c.upMu.Unlock()
	return !c.upSince.IsZero() && c.now().Sub(c.upSince) >= d
}

func (c *Cluster) heartbeatLoop(ctx context.Context) {
	defer c.wg.Done()
	t := c.clock.NewTicker(c.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
			if err := c.Heartbeat(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("cluster heartbeat", "err", err)
			}
		}
	}
}

// inTx runs f in a transaction. A transaction that failed on a
// connection the database had closed (it restarted) before anything was
// sent is run once more, on a fresh connection.
func (c *Cluster) inTx(ctx context.Context, f func(pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, c.db, f)
	if err != nil && pgconn.SafeToRetry(err) && ctx.Err() == nil {
		err = pgx.BeginFunc(ctx, c.db, f)
	}
	return err
}
