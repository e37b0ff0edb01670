package recordings

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"gocloud.dev/blob"
)

// Jobs is where the pipeline keeps its jobs, one row each
// (store.Recordings). Each method is one guarded statement; the pipeline's
// safety rests on them.
type Jobs interface {
	// AddJob stores a new pending job, due now; the same job again is a
	// no-op.
	AddJob(ctx context.Context, j Job) error
	// ClaimJobs claims up to n due jobs for instance, for lease, counting
	// an attempt on each; concurrent claimers get different jobs.
	ClaimJobs(ctx context.Context, instance string, n int, lease time.Duration) ([]Job, error)
	// AdvanceJob moves a job instance holds from state from to j.State
	// with what the step learnt, renewing the claim for lease
	// (ErrJobLost if instance no longer holds it in state from).
	AdvanceJob(ctx context.Context, instance string, from State, j Job, lease time.Duration) error
	// ReleaseJob ends instance's claim: Failed for good when final, or
	// due again at retryAt.
	ReleaseJob(ctx context.Context, instance, id, reason string, final bool, retryAt time.Time) error
	// RecoverJobs hands back the jobs instance held when it stopped.
	RecoverJobs(ctx context.Context, instance string) (int, error)
}

// Originals are Asterisk's stored recordings (an *Asterisk).
type Originals interface {
	// Download returns a stored recording's file; ErrMissingRecording if
	// there is none of that name.
	Download(ctx context.Context, name string) ([]byte, error)
	// Delete deletes a stored recording; one already gone is no error.
	Delete(ctx context.Context, name string) error
}

// Step is a boundary between two steps of a job, where Config.StepHook
// is called.
type Step string

// The step boundaries, in order.
const (
	StepClaimed         Step = "claimed"          // the job is claimed, nothing done yet
	StepFetched         Step = "fetched"          // the files are checked and merged, and the row says fetched
	StepUploaded        Step = "uploaded"         // the blob is written, the row still says fetched
	StepStored          Step = "stored"           // the row says stored
	StepOriginalDeleted Step = "original_deleted" // one original is deleted from Asterisk (called once per file)
	StepCleaned         Step = "cleaned"          // the row says cleaned: done
)

// Config configures a Pipeline. Jobs, Originals, Bucket and Instance
// are required; every other field has a default (see
// Config.withDefaults).
type Config struct {
	Jobs      Jobs
	Originals Originals
	Bucket    *blob.Bucket
	// Instance names this instance among those sharing the database,
	// stable across restarts: Run hands back its own claims at start.
	Instance string
	// Workers bounds the jobs worked on at once (default 4).
	Workers int
	// Lease is how long a claim holds without progress; a job whose
	// worker died is taken over after it (default 10 minutes).
	Lease time.Duration
	// DurationTolerance is how far the audio's length may be from the
	// recorded span's (default 2 s).
	DurationTolerance time.Duration
	// MaxAttempts bounds the claims of a job that keeps failing for
	// passing reasons (Asterisk or storage away) before it is Failed
	// (default 20).
	MaxAttempts int
	// MinRetry and MaxRetry bound the exponential wait before a job that
	// failed for a passing reason is tried again (defaults 10 s and 15 min).
	MinRetry, MaxRetry time.Duration
	// PollInterval is how often Run looks for due jobs when nothing wakes
	// it (default 30 s): retries, and jobs other instances enqueued.
	PollInterval time.Duration
	// Retention sets each job's expiry when it is enqueued.
	Retention Retention
	Clock     clockwork.Clock // default: the real clock
	Logger    *slog.Logger    // default: discard
	// StepHook, for tests, is called at each step boundary of a job; an
	// error stops the job there as a crash would: the worker drops it
	// without a word to the database, its claim held until it lapses or
	// the instance restarts.
	StepHook func(ctx context.Context, id string, s Step) error
}

func (c Config) withDefaults() Config {
	if c.Workers == 0 {
		c.Workers = 4
	}
	if c.Lease == 0 {
		c.Lease = 10 * time.Minute
	}
	if c.DurationTolerance == 0 {
		c.DurationTolerance = 2 * time.Second
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 20
	}
	if c.MinRetry == 0 {
		c.MinRetry = 10 * time.Second
	}
	if c.MaxRetry == 0 {
		c.MaxRetry = 15 * time.Minute
	}
	if c.PollInterval == 0 {
		c.PollInterval = 30 * time.Second
	}
	if c.Clock == nil {
		c.Clock = clockwork.NewRealClock()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) check() error {
	var problems []string
	if c.Jobs == nil {
		problems = append(problems, "no job store (Jobs)")
	}
	if c.Originals == nil {
		problems = append(problems, "no Asterisk to fetch from (Originals)")
	}
	if c.Bucket == nil {
		problems = append(problems, "no blob storage (Bucket)")
	}
	if c.Instance == "" {
		problems = append(problems, "no instance name (Instance)")
	}
	if c.Workers < 0 || c.Lease < 0 || c.DurationTolerance < 0 || c.MaxAttempts < 0 ||
		c.MinRetry < 0 || c.MaxRetry < 0 || c.PollInterval < 0 {
		problems = append(problems, "negative workers, lease, tolerance, attempts, retry or poll interval")
	}
	if err := c.Retention.Check(); err != nil {
		problems = append(problems, strings.TrimPrefix(err.Error(), ErrBadConfig.Error()+": "))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrBadConfig, strings.Join(problems, "; "))
	}
	return nil
}

// Pipeline stores finished recordings: see the package doc. Enqueue hands
// it a job from any goroutine; Run works on them until its context ends.
type Pipeline struct {
	cfg  Config
	wake chan struct{}
	log  *slog.Logger
}

// NewPipeline checks cfg. It touches neither the database nor Asterisk.
func NewPipeline(cfg Config) (*Pipeline, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Pipeline{
		cfg:  cfg,
		wake: make(chan struct{}, 1),
		log:  cfg.Logger.With("instance", cfg.Instance),
	}, nil
}

// Enqueue records a finished recording as a pending job and wakes the
// workers; it returns once the job is in the database and does no other
// work, so it costs a call one INSERT. The same job again is a no-op.
func (p *Pipeline) Enqueue(ctx context.Context, j Job) error {
	if err := j.Check(); err != nil {
		return err
	}
	j.Expires = j.Start.Add(p.cfg.Retention.For(j.Hotline, j.RetentionClass))
	if err := p.cfg.Jobs.AddJob(ctx, j); err != nil {
		return err
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

// Recover hands back the jobs this instance held when it stopped. Run
// calls it; call it yourself before Drain after a restart.
func (p *Pipeline) Recover(ctx context.Context) error {
	n, err := p.cfg.Jobs.RecoverJobs(ctx, p.cfg.Instance)
	if err != nil {
		return err
	}
	if n > 0 {
		p.log.Info("recordings: took back the jobs left at the last stop", "jobs", n)
	}
	return nil
}

// Run recovers this instance's jobs, then works on due jobs until ctx
// ends, waking on Enqueue and every PollInterval. It returns when ctx
// ends and its workers are done.
func (p *Pipeline) Run(ctx context.Context) error {
	for {
		err := p.Recover(ctx)
		if err == nil {
			break
		}
		p.log.Warn("recordings: recovering jobs", "error", err)
		if !p.sleep(ctx, p.cfg.MinRetry) {
			return ctx.Err()
		}
	}
	for {
		if err := p.Drain(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("recordings: claiming jobs", "error", err)
		}
		if !p.sleep(ctx, p.cfg.PollInterval) {
			return ctx.Err()
		}
	}
}

// sleep waits for d, a wake-up or the end of ctx (false).
func (p *Pipeline) sleep(ctx context.Context, d time.Duration) bool {
	t := p.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-p.wake:
	case <-t.Chan():
	}
	return true
}

// Drain works on due jobs, at most Workers at once, until none is due,
// and returns when its workers are done. Jobs waiting for a retry time
// are left for later.
func (p *Pipeline) Drain(ctx context.Context) error {
	for {
		n, err := p.pass(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
}

// pass claims and works on jobs until a claim comes back empty, and
// returns how many it worked on.
func (p *Pipeline) pass(ctx context.Context) (total int, err error) {
	var wg sync.WaitGroup
	defer wg.Wait()
	tokens := make(chan struct{}, p.cfg.Workers)
	for range p.cfg.Workers {
		tokens <- struct{}{}
	}
	for {
		select {
		case <-tokens:
		case <-ctx.Done():
			return total, ctx.Err()
		}
		n := 1
	more:
		for n < p.cfg.Workers {
			select {
			case <-tokens:
				n++
			default:
				break more
			}
		}
		jobs, err := p.cfg.Jobs.ClaimJobs(ctx, p.cfg.Instance, n, p.cfg.Lease)
		for range n - len(jobs) {
			tokens <- struct{}{}
		}
		if err != nil {
			return total, err
		}
		if len(jobs) == 0 {
			return total, nil
		}
		for _, j := range jobs {
			total++
			wg.Go(func() {
				defer func() { tokens <- struct{}{} }()
				p.work(ctx, j)
			})
		}
	}
}

// work runs one claimed job to its end or to a failure, and records the
// failure. A panic is a failure of this job alone.
func (p *Pipeline) work(ctx context.Context, j Job) {
	log := p.log.With("recording", j.ID, "call", j.CallID)
	started := time.Now()
	ctx, span := startJob(ctx, j)
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		if j.Attempts > p.cfg.MaxAttempts && j.State != Stored {
			// Claimed that often without a recorded failure: its workers
			// died on it (a crash, an out-of-memory kill). Stop feeding it
			// to them.
			return fmt.Errorf("%w: claimed %d times without an end; its workers may be crashing on it", ErrBadRecording, j.Attempts)
		}
		return p.process(ctx, &j)
	}()
	var crash *crashed
	switch {
	case err == nil:
		log.Debug("recordings: stored")
		endJob(ctx, span, "stored", started, nil)
		return
	case errors.As(err, &crash):
		log.Warn("recordings: job stopped by the step hook", "step", crash.step, "error", crash.err)
		endJob(ctx, span, "stopped", started, err)
		return
	case errors.Is(err, ErrJobLost):
		log.Warn("recordings: another worker took the job over", "error", err)
		endJob(ctx, span, "lost", started, err)
		return
	}
	// Record the failure even if ctx ended meanwhile.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	now := p.cfg.Clock.Now()
	final := errors.Is(err, ErrBadRecording) || errors.Is(err, ErrMissingRecording)
	retryAt := now.Add(p.backoff(j.Attempts))
	switch {
	case ctx.Err() != nil:
		final, retryAt = false, now // a shutdown is nobody's fault
	case j.State == Stored:
		// The recording is safe in blob storage; only the originals are
		// left to delete. Never give that up: a failed job would hide a
		// stored recording from search and retention.
		final = false
	case !final && j.Attempts >= p.cfg.MaxAttempts:
		final = true
		err = fmt.Errorf("giving up after %d attempts: %w", j.Attempts, err)
	}
	if final {
		log.Error("recordings: job failed", "state", j.State, "error", err)
		endJob(ctx, span, "failed", started, err)
	} else {
		log.Warn("recordings: job will be tried again", "state", j.State, "at", retryAt, "error", err)
		endJob(ctx, span, "retry", started, err)
	}
	if rerr := p.cfg.Jobs.ReleaseJob(rctx, p.cfg.Instance, j.ID, err.Error(), final, retryAt); rerr != nil {
		log.Warn("recordings: releasing job", "error", rerr)
	}
}

// backoff is the wait before attempt+1: MinRetry doubling to MaxRetry.
func (p *Pipeline) backoff(attempts int) time.Duration {
	d := p.cfg.MinRetry
	for i := 1; i < attempts && d < p.cfg.MaxRetry; i++ {
		d *= 2
	}
	return min(d, p.cfg.MaxRetry)
}

// crashed is a job stopped by the step hook.
type crashed struct {
	step Step
	err  error
}

func (c *crashed) Error() string { return fmt.Sprintf("stopped at %s: %v", c.step, c.err) }

// hook calls the step hook, if any.
func (p *Pipeline) hook(ctx context.Context, id string, s Step) error {
	if p.cfg.StepHook == nil {
		return nil
	}
	if err := p.cfg.StepHook(ctx, id, s); err != nil {
		return &crashed{step: s, err: err}
	}
	return nil
}
