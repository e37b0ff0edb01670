package complaints

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"
)

// Category is a complaint category's clocks and team.
type Category struct {
	ResolveIn  time.Duration // the resolution clock (0: 24 h)
	FeedbackIn time.Duration // the clock from a customer's feedback to the answer (0: 72 h)
	WarnBefore time.Duration // the warning comes this long before a breach (0: 4 h); counted as the clock counts
	Team       string        // the team notified when a registration names none
}

// Config is a Service's rules and collaborators.
type Config struct {
	Store    Store    // required
	Notifier Notifier // required
	// Categories are the configured complaint categories (the disposition
	// codes of kind complaint) by code: registration takes only these.
	Categories map[string]Category
	// Hours are the hotlines' clocks by hotline; a hotline not there
	// counts calendar time.
	Hours map[string]Hours
	// Zone is where the IDs' dates are read (nil: UTC).
	Zone *time.Location
	// Supervisors are told of warnings and breaches, with the owner.
	Supervisors []string
	// Messages keeps the voice messages of the complaints the IVR takes
	// down with the call recordings (nil: they stay on Asterisk, named in
	// nothing but the call's journey).
	Messages Messages
	// ScanBatch is how many of each kind of warning and breach a scan
	// claims per statement, and how many IVR complaints IngestIVR reads at
	// once (0: 500).
	ScanBatch int
	Clock     clockwork.Clock // nil: the real clock
	Logger    *slog.Logger    // nil: slog.Default()
}

// Defaults of a category's clocks.
const (
	DefaultResolveIn  = 24 * time.Hour
	DefaultFeedbackIn = 72 * time.Hour
	DefaultWarnBefore = 4 * time.Hour
)

func (c Category) withDefaults() Category {
	if c.ResolveIn <= 0 {
		c.ResolveIn = DefaultResolveIn
	}
	if c.FeedbackIn <= 0 {
		c.FeedbackIn = DefaultFeedbackIn
	}
	if c.WarnBefore <= 0 {
		c.WarnBefore = DefaultWarnBefore
	}
	return c
}

func (cfg *Config) check() error {
	if cfg.Store == nil || cfg.Notifier == nil {
		return fmt.Errorf("%w: the service needs a store and a notifier", ErrInvalid)
	}
	if len(cfg.Categories) == 0 {
		return fmt.Errorf("%w: no complaint categories are configured", ErrInvalid)
	}
	for code, c := range cfg.Categories {
		c = c.withDefaults()
		if c.WarnBefore >= c.ResolveIn || c.WarnBefore >= c.FeedbackIn {
			return fmt.Errorf("%w: category %q: the warning (%v before) must come after its clocks start (%v, %v)", ErrInvalid, code, c.WarnBefore, c.ResolveIn, c.FeedbackIn)
		}
	}
	for hotline, h := range cfg.Hours {
		if err := h.check(); err != nil {
			return fmt.Errorf("hotline %q: %w", hotline, err)
		}
	}
	if cfg.Zone == nil {
		cfg.Zone = time.UTC
	}
	if cfg.ScanBatch <= 0 {
		cfg.ScanBatch = 500
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return nil
}
