package followup

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/complaints"
)

// Actor is who the automated results' complaint steps are by.
const Actor = "followup"

// By is an automated attempt's and result's By.
const By = "auto"

// checkMargin is how long past the ring timeout a dial whose end was not
// seen waits before Asterisk is asked about its channel.
const checkMargin = 15 * time.Second

// Service runs the follow-up visits: the triggers, the automated
// dialler, the agents' preview tasks and what results do to complaints.
// Safe for concurrent use; any number of Services (one per instance)
// share one database.
type Service struct {
	cfg Config
	p   Policy
	log *slog.Logger

	mu    sync.Mutex
	dials map[string]*dial // by channel ID: this instance's automated calls under way
	wg    sync.WaitGroup   // the work events start
	bg    context.Context  // what that work runs under
}

// dial is one automated attempt under way on this instance.
type dial struct {
	channel  string
	task     string
	seq      int
	started  time.Time
	answered bool
	timer    clockwork.Timer
	// Once answered: when the lease was last renewed (the answer first),
	// and when the customer's channel was seen gone (its journey is then
	// due, and the lease is no longer renewed).
	renewed, hungUp time.Time
}

// New returns a Service on cfg.
func New(cfg Config) (*Service, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, p: cfg.Policy, log: cfg.Logger, dials: map[string]*dial{}, bg: context.Background()}, nil
}

func (s *Service) now() time.Time { return s.cfg.Clock.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) changed(t Task) {
	if s.cfg.Changed != nil {
		s.cfg.Changed(t)
	}
}

// --- the console's ---------------------------------------------------------

// List returns the tasks f selects, newest first, without their tries.
func (s *Service) List(ctx context.Context, f Filter) ([]Task, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	for _, st := range f.States {
		if !slices.Contains(states, st) {
			return nil, fmt.Errorf("%w: state %q is not one of %v", ErrInvalid, st, states)
		}
	}
	if f.Mode != "" && f.Mode != Auto && f.Mode != Preview {
		return nil, fmt.Errorf("%w: mode %q is not auto or preview", ErrInvalid, f.Mode)
	}
	return s.cfg.Store.List(ctx, f)
}

var states = []State{Pending, Dialling, Offered, Done, Unreached, Cancelled}

// Get returns the task with its tries.
func (s *Service) Get(ctx context.Context, id string) (Task, error) { return s.cfg.Store.Get(ctx, id) }

// ForComplaint returns the complaint's tasks, newest first.
func (s *Service) ForComplaint(ctx context.Context, complaintID string) ([]Task, error) {
	if complaintID == "" {
		return nil, fmt.Errorf("%w: complaint_id is required", ErrInvalid)
	}
	return s.cfg.Store.List(ctx, Filter{ComplaintID: complaintID, Limit: 500})
}

// Limits of an agent's result, in characters.
const (
	maxShort   = 100  // agent, call ID, an answer's question
	maxLong    = 4000 // the note, an answer
	maxAnswers = 50
)

func checkAgent(agent string) error {
	if strings.TrimSpace(agent) == "" {
		return fmt.Errorf("%w: agent is required", ErrInvalid)
	}
	return checkText("agent", agent, maxShort)
}

func checkText(name, v string, max int) error {
	switch {
	case !utf8.ValidString(v):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, name)
	case utf8.RuneCountInString(v) > max:
		return fmt.Errorf("%w: %s is longer than %d characters", ErrInvalid, name, max)
	}
	return nil
}

func checkOutcome(o Outcome) error {
	if err := checkText("note", o.Note, maxLong); err != nil {
		return err
	}
	if err := checkText("call_id", o.CallID, maxShort); err != nil {
		return err
	}
	if len(o.Answers) > maxAnswers {
		return fmt.Errorf("%w: answers: more than %d", ErrInvalid, maxAnswers)
	}
	for k, v := range o.Answers {
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("%w: answers: a question without a name", ErrInvalid)
		}
		if err := checkText("answers' question "+strconv.Quote(k), k, maxShort); err != nil {
			return err
		}
		if err := checkText("answers."+k, v, maxLong); err != nil {
			return err
		}
	}
	return nil
}

func refuse(t *Task, why string) error {
	return fmt.Errorf("%w: follow-up %s: %s", ErrStep, t.ID, why)
}

// offeredTo checks that t is a preview task offered to (or taken by) agent.
func offeredTo(t *Task, agent string) error {
	switch {
	case t.State != Offered:
		return refuse(t, "it is "+string(t.State)+", not offered")
	case t.Agent != agent:
		if t.Agent == "" {
			return refuse(t, "it is offered to team "+t.Team+": take it first")
		}
		return refuse(t, "it is offered to "+t.Agent)
	}
	return nil
}

// open is t's attempt under way (its last, without an outcome), or nil.
func open(t *Task) *Attempt {
	if n := len(t.Tries); n > 0 && t.Tries[n-1].Outcome == "" {
		return &t.Tries[n-1]
	}
	return nil
}

// --- what a result does to the complaint -----------------------------------

// apply takes a done task's result to its complaint: satisfied, followed
// up and closed; not satisfied, followed up and reopened; no answer,
// followed up. A complaint that moved on meanwhile is left as it is
// (logged).
func (s *Service) apply(ctx context.Context, t Task, actor string) {
	r := t.Result
	if t.Reason != ForComplaint || r == nil || !r.Reached {
		return
	}
	ctx = context.WithoutCancel(ctx)
	note := resultNote(t)
	steps := []complaints.Action{complaints.ActFollowUp}
	switch {
	case r.Satisfied == nil:
	case *r.Satisfied:
		steps = append(steps, complaints.ActClose)
	default:
		steps = append(steps, complaints.ActReopen)
	}
	for _, a := range steps {
		n := note
		if a == complaints.ActClose {
			n = "回访满意，结案 (follow-up " + t.ID + ": satisfied)"
		}
		if _, err := s.cfg.Complaints.Act(ctx, t.ComplaintID, actor, a, n, ""); err != nil {
			s.log.Error("follow-up: the result could not be taken to the complaint", "followup", t.ID, "complaint", t.ComplaintID, "action", a, "err", err)
			return
		}
	}
}

// resultNote says what the customer said, for the complaint's change.
func resultNote(t Task) string {
	r := t.Result
	var b strings.Builder
	fmt.Fprintf(&b, "回访 %s", t.ID)
	switch {
	case r.Satisfied == nil:
		b.WriteString(": 已接通，未作满意度评价 (reached; no satisfaction answer)")
	case *r.Satisfied:
		b.WriteString(": 满意 (satisfied)")
	default:
		b.WriteString(": 不满意 (not satisfied)")
	}
	for _, k := range slices.Sorted(maps.Keys(r.Answers)) {
		fmt.Fprintf(&b, "; %s=%s", k, r.Answers[k])
	}
	if r.Note != "" {
		b.WriteString("; " + r.Note)
	}
	if r.By != "" {
		b.WriteString("; by " + r.By)
	}
	return b.String()
}
