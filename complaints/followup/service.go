package followup

import (
	"context"
	"errors"
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
	"github.com/hotline-ivr/hotline/ivr"
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

// Take gives an offered task to agent: one offered to the team goes to
// the first agent who takes it; one offered to (or taken by) another
// agent is refused (ErrStep).
func (s *Service) Take(ctx context.Context, id, agent string) (Task, error) {
	if err := checkAgent(agent); err != nil {
		return Task{}, err
	}
	return s.cfg.Store.Update(ctx, id, func(t *Task, _ *Lease) error {
		switch {
		case t.State != Offered:
			return refuse(t, "it is "+string(t.State)+", not offered")
		case t.Agent != "" && t.Agent != agent:
			return refuse(t, "it is taken by "+t.Agent)
		}
		t.Agent = agent
		return nil
	})
}

// StartPreview records an attempt by agent and calls dial with the
// customer's number; dial returns the outbound call's ID (the ACD's
// Dial). The task must be offered to / taken by agent, with no attempt
// under way and attempts left, within the allowed hours and the
// per-number limits (ErrStep, saying from when). A dial that fails ends the attempt as
// failed (and counts it) and its error is returned.
func (s *Service) StartPreview(ctx context.Context, id, agent string, dial func(ctx context.Context, number string) (callID string, err error)) (Task, error) {
	if err := checkAgent(agent); err != nil {
		return Task{}, err
	}
	if dial == nil {
		return Task{}, fmt.Errorf("%w: no dial function", ErrInvalid)
	}
	now := s.now()
	cur, err := s.cfg.Store.Get(ctx, id)
	if err != nil {
		return Task{}, err
	}
	if err := s.mayCall(ctx, cur, now); err != nil {
		return Task{}, err
	}
	var seq int
	t, err := s.cfg.Store.Update(ctx, id, func(t *Task, _ *Lease) error {
		if err := offeredTo(t, agent); err != nil {
			return err
		}
		if a := open(t); a != nil {
			return refuse(t, fmt.Sprintf("attempt %d by %s is under way", a.Seq, a.By))
		}
		if t.Attempts >= t.MaxAttempts {
			return refuse(t, fmt.Sprintf("its %d attempts are used", t.MaxAttempts))
		}
		t.Attempts++
		seq = t.Attempts
		t.Tries = append(t.Tries, Attempt{Seq: seq, Number: t.Number, Started: now, By: agent})
		return nil
	})
	if err != nil {
		return Task{}, err
	}
	callID, dialErr := dial(ctx, t.Number)
	t, err = s.cfg.Store.Update(context.WithoutCancel(ctx), id, func(t *Task, _ *Lease) error {
		a := open(t)
		if a == nil || a.Seq != seq {
			return refuse(t, fmt.Sprintf("attempt %d ended meanwhile", seq))
		}
		if dialErr != nil {
			a.Outcome, a.Ended = OutcomeFailed, s.now()
			s.previewNotReached(t, t.Agent, a.Ended) // the agent keeps it
			return nil
		}
		a.CallID = callID
		return nil
	})
	if dialErr != nil {
		if err != nil {
			return Task{}, errors.Join(dialErr, err)
		}
		s.changed(t)
		return t, fmt.Errorf("dialling follow-up %s: %w", id, dialErr)
	}
	return t, err
}

// mayCall checks the policy for an agent's call to t's customer now: the
// allowed hours and the per-number limits, as for automated calls.
func (s *Service) mayCall(ctx context.Context, t Task, now time.Time) error {
	zone := func(v time.Time) string { return v.In(s.cfg.Zone).Format("2006-01-02 15:04") }
	if next := s.p.Hours.Next(now); !next.Equal(now) {
		return refuse(&t, "customers are not called at this hour; from "+zone(next))
	}
	n, last, err := s.cfg.Store.NumberUse(ctx, t.Number, now)
	if err != nil {
		return err
	}
	if n >= s.p.PerNumberPerDay {
		return refuse(&t, fmt.Sprintf("the number had its %d calls in 24 h", s.p.PerNumberPerDay))
	}
	if next := last.Add(s.p.MinGap); !last.IsZero() && now.Before(next) {
		return refuse(&t, "the number was called at "+zone(last)+"; the next call from "+zone(next))
	}
	return nil
}

// Record keeps the agent's result of a preview task. Reached: the task is
// done and the result applies to the complaint (satisfied: followed up
// and closed; not: followed up and reopened). Not reached: the attempt
// under way (or a new one) counts as not answered; the task is offered
// again while attempts remain, else unreached.
// endedUnreached tells whether agent's last call of t ended unreached
// lately (the ACD's word, through PreviewEnded).
func endedUnreached(t *Task, agent string, now time.Time) bool {
	n := len(t.Tries)
	if n == 0 {
		return false
	}
	a := t.Tries[n-1]
	return a.By == agent && a.CallID != "" && a.Outcome != "" && a.Outcome != OutcomeAnswered && now.Sub(a.Ended) < recentEnd
}

// recentEnd is how long after the ACD ended an agent's call unreached
// the agent's own "not reached" is taken for that call, not a new one.
const recentEnd = 15 * time.Minute

// How an agent's call out ended, as the ACD says it (acd.Outbound*):
// PreviewEnded takes these.
const (
	CallTalked        = "talked"          // the customer answered: the agent records the result
	CallNoAnswer      = "no_answer"       // the customer's phone rang out
	CallBusy          = "busy"            // the customer's line was busy
	CallRejected      = "rejected"        // the customer declined
	CallFailed        = "failed"          // the dial failed
	CallCancelled     = "cancelled"       // the agent hung up while the customer's phone rang
	CallInterrupted   = "interrupted"     // the instance stopped before the customer answered
	CallAgentNoAnswer = "agent_no_answer" // the agent's own phone was not answered: the customer was never dialled
)

// PreviewEnded takes the ACD's word on how agent's call of task id ended
// (one of the Call* outcomes): a customer not reached ends the attempt
// under way with that outcome, and the task is offered again or, its
// attempts used, unreached, as Record does for "not reached"; a call whose
// customer was never dialled (the agent did not answer its own phone)
// gives the attempt back; a conversation changes nothing (the agent
// records what the customer said). Without an attempt under way (the
// agent recorded the result already) it changes nothing.
func (s *Service) PreviewEnded(ctx context.Context, id, agent, outcome string) (Task, error) {
	if err := checkAgent(agent); err != nil {
		return Task{}, err
	}
	var attempt string
	switch outcome {
	case CallTalked:
		return s.cfg.Store.Get(ctx, id)
	case CallNoAnswer, CallCancelled:
		attempt = OutcomeNoAnswer
	case CallBusy:
		attempt = OutcomeBusy
	case CallRejected:
		attempt = OutcomeRejected
	case CallFailed:
		attempt = OutcomeFailed
	case CallInterrupted:
		attempt = OutcomeLost
	case CallAgentNoAnswer:
	default:
		return Task{}, fmt.Errorf("%w: outcome %q is not how a call ends (%s, %s, %s, %s, %s, %s, %s, %s)", ErrInvalid, outcome,
			CallTalked, CallNoAnswer, CallBusy, CallRejected, CallFailed, CallCancelled, CallInterrupted, CallAgentNoAnswer)
	}
	cur, err := s.cfg.Store.Get(ctx, id)
	if err != nil {
		return Task{}, err
	}
	target := s.offerAgent(ctx, cur)
	now := s.now()
	moved := false
	t, err := s.cfg.Store.Update(ctx, id, func(t *Task, _ *Lease) error {
		a := open(t)
		if a == nil || a.By != agent {
			return nil
		}
		moved = true
		if attempt == "" { // never dialled: the attempt is given back
			t.Tries = t.Tries[:len(t.Tries)-1]
			t.Attempts--
			return nil
		}
		a.Outcome, a.Ended = attempt, now
		s.previewNotReached(t, target, now)
		return nil
	})
	if err != nil {
		return Task{}, err
	}
	if moved {
		s.changed(t)
	}
	return t, nil
}

func (s *Service) Record(ctx context.Context, id, agent string, o Outcome) (Task, error) {
	if err := checkAgent(agent); err != nil {
		return Task{}, err
	}
	if err := checkOutcome(o); err != nil {
		return Task{}, err
	}
	switch {
	case o.Reached && o.Satisfied == nil:
		return Task{}, fmt.Errorf("%w: satisfied is required when the customer was reached", ErrInvalid)
	case o.Reached && !*o.Satisfied && strings.TrimSpace(o.Note) == "":
		return Task{}, fmt.Errorf("%w: note is required when the customer is not satisfied", ErrInvalid)
	case !o.Reached && o.Satisfied != nil:
		return Task{}, fmt.Errorf("%w: satisfied: a customer not reached said nothing", ErrInvalid)
	}
	cur, err := s.cfg.Store.Get(ctx, id)
	if err != nil {
		return Task{}, err
	}
	target := s.offerAgent(ctx, cur)
	now := s.now()
	already := false
	t, err := s.cfg.Store.Update(ctx, id, func(t *Task, _ *Lease) error {
		if err := offeredTo(t, agent); err != nil {
			return err
		}
		a := open(t)
		if a == nil && !o.Reached && endedUnreached(t, agent, now) {
			// The ACD already said the agent's last call reached nobody
			// (PreviewEnded): the agent's "not reached" is that call's.
			already = true
			return nil
		}
		if a == nil {
			if !o.Reached && t.Attempts >= t.MaxAttempts {
				return refuse(t, fmt.Sprintf("its %d attempts are used", t.MaxAttempts))
			}
			t.Attempts++
			t.Tries = append(t.Tries, Attempt{Seq: t.Attempts, Number: t.Number, Started: now, By: agent, CallID: o.CallID})
			a = &t.Tries[len(t.Tries)-1]
		}
		a.Ended = now
		if o.CallID != "" {
			a.CallID = o.CallID
		}
		if !o.Reached {
			a.Outcome = OutcomeNoAnswer
			s.previewNotReached(t, target, now)
			if t.State == Unreached {
				t.Result.By, t.Result.Note = agent, strings.TrimSpace(o.Note)
			}
			return nil
		}
		a.Outcome = OutcomeAnswered
		t.State = Done
		t.Result = &Result{Reached: true, Satisfied: o.Satisfied, Answers: o.Answers, Note: strings.TrimSpace(o.Note),
			CallID: a.CallID, By: agent, At: now}
		return nil
	})
	if err != nil {
		return Task{}, err
	}
	if already {
		return t, nil
	}
	if t.State == Done {
		s.apply(ctx, t, agent)
	}
	s.changed(t)
	return t, nil
}

// previewNotReached: a preview attempt did not reach the customer; the
// task is offered again (to target) while attempts remain, else
// unreached.
func (s *Service) previewNotReached(t *Task, target string, now time.Time) {
	if t.Attempts >= t.MaxAttempts {
		t.State = Unreached
		t.Result = &Result{Reached: false, By: t.Agent, At: now}
		return
	}
	t.Agent = target
}

// offerAgent is the agent a task is offered to: a complaint's owner, or
// none (its team).
func (s *Service) offerAgent(ctx context.Context, t Task) string {
	if t.Reason != ForComplaint {
		return ""
	}
	c, err := s.cfg.Complaints.Get(ctx, t.ComplaintID)
	if err != nil {
		s.log.Warn("follow-up: reading the complaint for the offer", "followup", t.ID, "complaint", t.ComplaintID, "err", err)
		return ""
	}
	return c.Owner
}

// offer makes t a preview task offered to its complaint's owner and first
// team, or to the policy's team; after automated attempts, from when the
// number may be called again.
func (s *Service) offer(ctx context.Context, t *Task) {
	t.State, t.Mode, t.Agent, t.Team = Offered, Preview, "", s.p.Team
	if t.Reason == ForComplaint {
		if c, err := s.cfg.Complaints.Get(ctx, t.ComplaintID); err == nil {
			t.Agent = c.Owner
			if len(c.Teams) > 0 {
				t.Team = c.Teams[0]
			}
		} else {
			s.log.Warn("follow-up: reading the complaint for the offer", "followup", t.ID, "complaint", t.ComplaintID, "err", err)
		}
	}
	t.MaxAttempts = t.Attempts + s.p.PreviewAttempts
	if n := len(t.Tries); n > 0 { // the agent's first call keeps the limits too
		t.NotBefore = s.p.Hours.Next(t.Tries[n-1].Started.Add(s.p.MinGap))
	}
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

// --- the loop --------------------------------------------------------------

// Run recovers this instance's leftovers, then passes now and every
// Policy.Every until ctx ends; a failed pass is logged and the next one
// tries again. It waits for the work it started before it returns.
func (s *Service) Run(ctx context.Context) error {
	s.mu.Lock()
	s.bg = context.WithoutCancel(ctx)
	s.mu.Unlock()
	defer s.wg.Wait()
	if err := s.Recover(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("follow-up: recovering this instance's calls", "err", err)
	}
	tick := s.cfg.Clock.NewTicker(s.p.Every)
	defer tick.Stop()
	for {
		if err := s.Pass(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.Error("follow-up: a pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.Chan():
		}
	}
}

// Recover ends the automated attempts this instance left under way when
// it stopped, as lost (retried by policy). Call it before the first pass.
func (s *Service) Recover(ctx context.Context) error {
	if s.cfg.Dialer == nil {
		return nil
	}
	ids, err := s.cfg.Store.Expired(ctx, s.now(), s.cfg.Instance)
	if err != nil {
		return err
	}
	s.mu.Lock()
	live := map[string]bool{}
	for _, d := range s.dials {
		live[d.task] = true
	}
	s.mu.Unlock()
	for _, id := range ids {
		if !live[id] {
			s.lost(ctx, id, false)
		}
	}
	return nil
}

// Pass is one round of the loop: the triggers' scan, the cancelling of
// tasks whose complaint moved on, the reaping of expired leases, and
// (within the allowed hours) the claiming and dialling of due automated
// tasks within the limits.
func (s *Service) Pass(ctx context.Context) error {
	now := s.now()
	// A failed trigger or reaping does not hold the calls back; a failed
	// cancelling does (a task of a complaint that moved on may be due).
	var errs []error
	if err := s.trigger(ctx, now); err != nil {
		errs = append(errs, err)
	}
	if n, err := s.cfg.Store.CancelStale(ctx, now); err != nil {
		return errors.Join(append(errs, err)...)
	} else if n > 0 {
		s.log.Info("follow-up: tasks cancelled: their complaints moved on", "count", n)
	}
	if ids, err := s.cfg.Store.Expired(ctx, now, ""); err != nil {
		errs = append(errs, err)
	} else {
		for _, id := range ids {
			s.lost(ctx, id, true)
		}
	}
	if s.cfg.Dialer == nil || !s.p.Hours.Open(now) {
		return errors.Join(errs...)
	}
	s.mu.Lock()
	for id, d := range s.dials {
		// An answered call whose journey never came here (its lease is
		// over: reaped as lost) no longer holds a place.
		if d.answered && now.Sub(d.started) > 2*s.p.Lease {
			delete(s.dials, id)
			s.log.Warn("follow-up: no journey came for an answered call; forgotten", "followup", d.task, "channel", id)
		}
	}
	free := s.p.MaxCalls - len(s.dials)
	s.mu.Unlock()
	if free <= 0 {
		return errors.Join(errs...)
	}
	tasks, err := s.cfg.Store.Claim(ctx, now, s.cfg.Instance, now.Add(s.p.Lease), free,
		Limits{PerDay: s.p.PerNumberPerDay, Gap: s.p.MinGap})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, t := range tasks {
		s.dial(ctx, t)
	}
	return errors.Join(errs...)
}

// trigger makes the tasks the triggers call for; automated ones due
// outside the allowed hours wait for the next opening.
func (s *Service) trigger(ctx context.Context, now time.Time) error {
	p := s.p
	if p.Complaint == "" && p.DispositionMode == "" && p.SampleMode == "" {
		return nil
	}
	tr := Triggers{Complaint: p.Complaint, Dispositions: p.DispositionMode, Codes: p.Dispositions,
		Sample: p.SampleMode, Share: p.SampleShare, Within: p.Within, Delay: p.Delay,
		MaxAttempts: p.Attempts, PreviewAttempts: p.PreviewAttempts, Team: p.Team}
	if p.FlowNumber != "" {
		tr.Exclude = []string{p.FlowNumber}
	}
	if len(tr.Codes) == 0 {
		tr.Dispositions = ""
	}
	if tr.Share == 0 {
		tr.Sample = ""
	}
	made, err := s.cfg.Store.Trigger(ctx, now.In(s.cfg.Zone).Format("20060102"), now, tr)
	if err != nil {
		return err
	}
	for _, t := range made {
		s.log.Info("follow-up task made", "followup", t.ID, "reason", t.Reason, "mode", t.Mode, "complaint", t.ComplaintID)
		var err error
		switch {
		case t.Mode == Preview && t.Reason == ForComplaint && t.Agent == "" && t.Team == "":
			t, err = s.cfg.Store.Update(ctx, t.ID, func(t *Task, _ *Lease) error { s.offer(ctx, t); return nil })
		case t.Mode == Preview:
		default:
			if next := p.Hours.Next(t.NotBefore); !next.Equal(t.NotBefore) {
				t, err = s.cfg.Store.Update(ctx, t.ID, func(t *Task, _ *Lease) error {
					if t.State == Pending {
						t.NotBefore = next
					}
					return nil
				})
			}
		}
		if err != nil {
			return err
		}
		s.changed(t) // the console shows the new task
	}
	return nil
}

// dialID is an automated attempt's channel ID.
func dialID(task string, seq int) string {
	return "followup-" + strings.ToLower(task) + "-" + strconv.Itoa(seq)
}

// dial originates the customer's channel for a claimed task's attempt.
func (s *Service) dial(ctx context.Context, t Task) {
	seq := t.Attempts
	d := &dial{channel: dialID(t.ID, seq), task: t.ID, seq: seq, started: s.now()}
	s.mu.Lock()
	s.dials[d.channel] = d
	d.timer = s.cfg.Clock.AfterFunc(s.p.RingTimeout+checkMargin, func() { s.check(d) })
	s.mu.Unlock()
	endpoint := fmt.Sprintf(s.p.Endpoint, t.Number)
	s.log.Info("follow-up: dialling the customer", "followup", t.ID, "attempt", seq, "channel", d.channel, "endpoint", endpoint)
	if _, err := s.cfg.Store.Update(ctx, t.ID, func(t *Task, _ *Lease) error {
		if a := open(t); a != nil && a.Seq == seq {
			a.CallID = d.channel
		}
		return nil
	}); err != nil {
		s.log.Error("follow-up: keeping the attempt's channel", "followup", t.ID, "err", err)
	}
	if err := s.cfg.Dialer.Originate(ctx, d.channel, endpoint, s.p.CallerID, s.p.RingTimeout, s.p.FlowNumber); err != nil {
		s.log.Warn("follow-up: the dial failed", "followup", t.ID, "err", err)
		if s.forget(d.channel) != nil {
			s.notReached(ctx, d, OutcomeFailed)
		}
	}
}

// forget removes a dial under way; nil if it was not there (its end was
// handled already).
// dialled tells whether channel is one of this instance's automated
// calls under way.
func (s *Service) dialled(channel string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dials[channel] != nil
}

func (s *Service) forget(channel string) *dial {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dials[channel]
	if d != nil {
		delete(s.dials, channel)
		d.timer.Stop()
	}
	return d
}

// async runs work on the events' behalf (Event and RecordJourney must
// return quickly).
func (s *Service) async(work func(ctx context.Context)) {
	s.mu.Lock()
	ctx := s.bg
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		work(ctx)
	}()
}

// answered: a dialled customer picked up; the engine runs the flow (the
// lease is renewed for it).
func (s *Service) answered(channel string) {
	s.mu.Lock()
	d := s.dials[channel]
	if d == nil || d.answered {
		s.mu.Unlock()
		return
	}
	d.answered = true
	d.timer.Stop()
	s.mu.Unlock()
	s.async(func(ctx context.Context) {
		t, err := s.cfg.Store.Update(ctx, d.task, func(t *Task, l *Lease) error {
			if a := open(t); t.State == Dialling && a != nil && a.Seq == d.seq {
				a.Outcome = OutcomeAnswered
				l.Until = s.now().Add(s.p.Lease) // the flow runs: the claim holds from the answer
				return nil
			}
			return refuse(t, fmt.Sprintf("attempt %d ended already", d.seq)) // the result came first
		})
		if errors.Is(err, ErrStep) {
			return
		}
		if err != nil {
			s.log.Error("follow-up: keeping the answer", "followup", d.task, "err", err)
			return
		}
		s.changed(t)
	})
}

// ended: a dialled channel ended; before its answer, the attempt did not
// reach the customer.
func (s *Service) ended(channel string, cause int) {
	s.mu.Lock()
	d := s.dials[channel]
	if d == nil || d.answered {
		s.mu.Unlock()
		return
	}
	delete(s.dials, channel)
	d.timer.Stop()
	s.mu.Unlock()
	s.async(func(ctx context.Context) { s.notReached(ctx, d, outcomeOf(cause)) })
}

// check asks Asterisk about a dial whose end was not seen in time (its
// events may be lost): gone, it did not reach the customer; else it asks
// again later.
func (s *Service) check(d *dial) {
	s.mu.Lock()
	if s.dials[d.channel] != d || d.answered {
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.async(func(ctx context.Context) {
		gone, err := s.cfg.Dialer.Gone(ctx, d.channel)
		if err != nil || !gone {
			if err != nil {
				s.log.Warn("follow-up: asking Asterisk about a dial", "channel", d.channel, "err", err)
			}
			s.mu.Lock()
			if s.dials[d.channel] == d && !d.answered {
				d.timer = s.cfg.Clock.AfterFunc(checkMargin, func() { s.check(d) })
			}
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		still := s.dials[d.channel] == d && !d.answered
		if still {
			delete(s.dials, d.channel)
		}
		s.mu.Unlock()
		if still {
			s.log.Warn("follow-up: the dial's channel is gone and its end was not seen", "followup", d.task, "channel", d.channel)
			s.notReached(ctx, d, OutcomeNoAnswer)
		}
	})
}

// notReached ends an automated attempt that did not reach the customer:
// retried after RetryAfter (within the allowed hours) while attempts
// remain, else unreached or the fallback.
func (s *Service) notReached(ctx context.Context, d *dial, outcome string) {
	now := s.now()
	t, err := s.cfg.Store.Update(ctx, d.task, func(t *Task, _ *Lease) error {
		a := open(t)
		if t.State != Dialling || a == nil || a.Seq != d.seq {
			return refuse(t, fmt.Sprintf("attempt %d is not under way", d.seq))
		}
		a.Outcome, a.Ended = outcome, now
		s.retry(ctx, t, now)
		return nil
	})
	if err != nil {
		s.log.Error("follow-up: keeping an attempt that did not reach the customer", "followup", d.task, "outcome", outcome, "err", err)
		return
	}
	s.log.Info("follow-up: the customer was not reached", "followup", t.ID, "attempt", d.seq, "outcome", outcome, "state", t.State)
	s.changed(t)
}

// retry decides what follows a failed automated attempt.
func (s *Service) retry(ctx context.Context, t *Task, now time.Time) {
	if t.Attempts < t.MaxAttempts {
		t.State, t.NotBefore = Pending, s.p.Hours.Next(now.Add(s.p.RetryAfter))
		return
	}
	if s.p.Fallback == FallbackPreview {
		s.offer(ctx, t)
		return
	}
	t.State = Unreached
	t.Result = &Result{Reached: false, By: By, At: now}
}

// lost ends a dialling task's attempt whose instance stopped (or, expired
// false, this instance's leftover at its start) as lost.
func (s *Service) lost(ctx context.Context, id string, expired bool) {
	now := s.now()
	t, err := s.cfg.Store.Update(ctx, id, func(t *Task, l *Lease) error {
		if t.State != Dialling {
			return refuse(t, "it is no longer dialling")
		}
		if expired && l.Until.After(now) {
			return refuse(t, "its lease was renewed")
		}
		// The attempt under way, answered or not: how it ended is not
		// known (an answered one's journey never came).
		if n := len(t.Tries); n > 0 && t.Tries[n-1].Ended.IsZero() {
			t.Tries[n-1].Outcome, t.Tries[n-1].Ended = OutcomeLost, now
		}
		s.retry(ctx, t, now)
		return nil
	})
	if err != nil {
		if !errors.Is(err, ErrStep) {
			s.log.Error("follow-up: reaping a lost attempt", "followup", id, "err", err)
		}
		return
	}
	s.log.Warn("follow-up: an attempt was lost with its instance", "followup", id, "state", t.State)
	s.changed(t)
}

// journey: a call's journey ended; a follow-up call's gives the result.
func (s *Service) journey(j *ivr.Journey) {
	d := s.forget(j.CallID)
	if d == nil {
		return
	}
	vars := maps.Clone(j.Vars)
	at := j.Ended.UTC().Truncate(time.Microsecond)
	if at.IsZero() {
		at = s.now()
	}
	s.async(func(ctx context.Context) { s.result(ctx, d, vars, at) })
}

// result keeps an answered automated attempt's result from the flow's
// variables and takes it to the complaint.
func (s *Service) result(ctx context.Context, d *dial, vars map[string]string, at time.Time) {
	answers := map[string]string{}
	for _, q := range s.p.Questions {
		if v, ok := vars[q]; ok && v != "" {
			answers[q] = v
		}
	}
	var satisfied *bool
	if v, err := strconv.Atoi(vars[s.p.SatisfiedVar]); err == nil {
		ok := v >= s.p.SatisfiedMin
		satisfied = &ok
	}
	t, err := s.cfg.Store.Update(ctx, d.task, func(t *Task, _ *Lease) error {
		if t.State != Dialling || len(t.Tries) == 0 || t.Tries[len(t.Tries)-1].Seq != d.seq {
			return refuse(t, fmt.Sprintf("attempt %d is not under way", d.seq))
		}
		a := &t.Tries[len(t.Tries)-1]
		a.Outcome, a.Ended = OutcomeAnswered, at
		res := &Result{Reached: true, Satisfied: satisfied, Answers: answers, CallID: d.channel, By: By, At: at}
		if satisfied == nil && !s.p.FollowUpUnanswered && s.p.Fallback == FallbackPreview {
			s.offer(ctx, t)
			return nil
		}
		if satisfied == nil && !s.p.FollowUpUnanswered {
			res.Note = "no satisfaction answer"
		}
		t.State, t.Result = Done, res
		return nil
	})
	if err != nil {
		s.log.Error("follow-up: keeping the result", "followup", d.task, "err", err)
		return
	}
	s.log.Info("follow-up: the customer was reached", "followup", t.ID, "state", t.State, "answers", answers)
	if t.State == Done && (satisfied != nil || s.p.FollowUpUnanswered) {
		s.apply(ctx, t, Actor)
	}
	s.changed(t)
}
