package followup

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/complaints"
)

// Complaints is the complaint workflow a result applies to (a
// *complaints.Service).
type Complaints interface {
	Act(ctx context.Context, id, actor string, a complaints.Action, note, team string) (complaints.Complaint, error)
	Get(ctx context.Context, id string) (complaints.Complaint, error)
}

// Fallbacks: what becomes of a task whose automated attempts ran out, or
// whose customer answered but gave no satisfaction answer.
const (
	FallbackNone    = "none"    // it ends (unreached, or done without an answer)
	FallbackPreview = "preview" // offered to an agent: the complaint's owner and team, else Policy.Team
)

// Policy is when, how and how often the centre calls back.
type Policy struct {
	// The triggers, each off ("") or with its mode: a resolved complaint;
	// a call ended with one of Dispositions (a repair booking); a share
	// (0 to 1) of the answered calls, sampled by their IDs.
	Complaint       Mode
	Dispositions    []string
	DispositionMode Mode
	SampleShare     float64
	SampleMode      Mode
	// Within bounds the resolutions and calls the triggers look at (0:
	// 7 days): a complaint resolved before it gets no task.
	Within time.Duration
	// Delay is how long after the trigger a task is due.
	Delay time.Duration
	// Hours are when customers may be called (zero: every day 09:00 to
	// 20:00 in the Service's Zone); a task due outside them waits for the
	// next opening.
	Hours complaints.Hours
	// Attempts is how many automated attempts a task has (0: 3), and
	// RetryAfter the time after a failed one before the next (0: 2 h;
	// within Hours too).
	Attempts   int
	RetryAfter time.Duration
	// PerNumberPerDay caps the attempts to one number in any 24 h (0: 3),
	// and MinGap is the least time between two calls to it (0: 1 h),
	// across all tasks.
	PerNumberPerDay int
	MinGap          time.Duration
	// MaxCalls is the most automated calls one instance has under way (0:
	// 5).
	MaxCalls int
	// RingTimeout is how long the customer's phone rings (0: 30 s).
	RingTimeout time.Duration
	// FlowNumber is the follow-up flow's number (the engine runs the flow
	// that answers it), Endpoint the customer's dial string format
	// ("PJSIP/%s@trunk"), CallerID the centre's number shown.
	FlowNumber string
	Endpoint   string
	CallerID   string
	// Questions are the follow-up flow's variables kept as the answers (0:
	// followup_product, followup_service); the customer is satisfied when
	// SatisfiedVar (0: followup_service) is at least SatisfiedMin (0: 4).
	Questions    []string
	SatisfiedVar string
	SatisfiedMin int
	// Fallback is FallbackPreview or FallbackNone (""). FollowUpUnanswered
	// says that a customer reached who gave no satisfaction answer
	// follows the complaint up (not the fallback).
	Fallback           string
	FollowUpUnanswered bool
	// Team is the team preview tasks of dispositions and samples are
	// offered to; PreviewAttempts is how many attempts an agent has (0:
	// 3).
	Team            string
	PreviewAttempts int
	// Every is Run's period (0: 1 min); Lease bounds an automated
	// attempt's claim (0: the ring timeout and 30 min): past it another
	// instance takes the attempt for lost.
	Every time.Duration
	Lease time.Duration
}

// Config is a Service's policy and collaborators.
type Config struct {
	Store      Store      // required
	Complaints Complaints // required
	// Dialer is the ARI side (NewARIDialer); nil: no automated calls (the
	// automated tasks wait).
	Dialer Dialer
	// Instance names this instance among those sharing the database,
	// stable across restarts (its leftovers are recovered by it).
	Instance string
	Policy   Policy
	Zone     *time.Location  // the IDs' days and the default hours (nil: UTC)
	Clock    clockwork.Clock // nil: the real clock
	Logger   *slog.Logger    // nil: slog.Default()
	// Changed, if set, is told each task after an attempt's end or a
	// result is kept (the console's live view).
	Changed func(Task)
}

// Defaults.
const (
	DefaultAttempts     = 3
	DefaultRetryAfter   = 2 * time.Hour
	DefaultPerNumber    = 3
	DefaultMinGap       = time.Hour
	DefaultMaxCalls     = 5
	DefaultRingTimeout  = 30 * time.Second
	DefaultSatisfiedMin = 4
	DefaultWithin       = 7 * 24 * time.Hour
)

func modeOK(m Mode) bool { return m == "" || m == Auto || m == Preview }

func (cfg *Config) check() error {
	p := &cfg.Policy
	if cfg.Store == nil || cfg.Complaints == nil {
		return fmt.Errorf("%w: the service needs a store and the complaints", ErrInvalid)
	}
	for name, m := range map[string]Mode{"complaint": p.Complaint, "disposition": p.DispositionMode, "sample": p.SampleMode} {
		if !modeOK(m) {
			return fmt.Errorf("%w: the %s trigger's mode %q is not auto, preview or off", ErrInvalid, name, m)
		}
	}
	if p.SampleShare < 0 || p.SampleShare > 1 {
		return fmt.Errorf("%w: the sample share %v is not within 0 to 1", ErrInvalid, p.SampleShare)
	}
	switch p.Fallback {
	case "":
		p.Fallback = FallbackNone
	case FallbackNone, FallbackPreview:
	default:
		return fmt.Errorf("%w: fallback %q is not preview or none", ErrInvalid, p.Fallback)
	}
	if cfg.Zone == nil {
		cfg.Zone = time.UTC
	}
	if err := p.Hours.Check(); err != nil {
		return fmt.Errorf("the follow-ups' allowed hours: %w", err)
	}
	if p.Hours.Calendar() {
		p.Hours = complaints.EveryDay(cfg.Zone, 9*time.Hour, 20*time.Hour)
	}
	if cfg.Dialer != nil {
		switch {
		case cfg.Instance == "":
			return fmt.Errorf("%w: automated follow-ups need the instance's name", ErrInvalid)
		case p.FlowNumber == "":
			return fmt.Errorf("%w: automated follow-ups need the follow-up flow's number", ErrInvalid)
		case p.Endpoint == "":
			return fmt.Errorf("%w: automated follow-ups need the customers' endpoint format (like PJSIP/%%s@trunk)", ErrInvalid)
		}
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&p.Attempts, DefaultAttempts)
	def(&p.PerNumberPerDay, DefaultPerNumber)
	def(&p.MaxCalls, DefaultMaxCalls)
	def(&p.SatisfiedMin, DefaultSatisfiedMin)
	def(&p.PreviewAttempts, DefaultAttempts)
	defD(&p.RetryAfter, DefaultRetryAfter)
	defD(&p.MinGap, DefaultMinGap)
	defD(&p.RingTimeout, DefaultRingTimeout)
	defD(&p.Within, DefaultWithin)
	defD(&p.Every, time.Minute)
	defD(&p.Lease, p.RingTimeout+30*time.Minute)
	if len(p.Questions) == 0 {
		p.Questions = []string{"followup_product", "followup_service"}
	}
	if p.SatisfiedVar == "" {
		p.SatisfiedVar = "followup_service"
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return nil
}
