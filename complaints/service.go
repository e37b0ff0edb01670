package complaints

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Store keeps the records (package store's Complaints in PostgreSQL).
// Every method is safe for concurrent use by several Services in several
// processes on one database.
type Store interface {
	// Create stores a new record with its first change, giving it an ID
	// "C" + day + "-" + a number unique over the day's complaints.
	Create(ctx context.Context, day string, r Record, first Change) (Record, error)
	// Get returns the record and its changes in order; ErrNotFound.
	Get(ctx context.Context, id string) (Record, []Change, error)
	// List returns the records f selects, newest first; now is what
	// Overdue compares with.
	List(ctx context.Context, f Filter, now time.Time) ([]Record, error)
	// Update applies step to the record, holding it locked, and keeps
	// the change step returns (numbered next) with it, all or nothing: an
	// error from step is returned and nothing changes. ErrNotFound.
	Update(ctx context.Context, id string, step func(*Record) (Change, error)) (Record, Change, error)
	// Claim takes at most limit of each kind of warning and breach due
	// by now, holding them so that no other Claim takes them, calls send
	// with each, and marks those send took as sent: each is marked once,
	// whichever Service asks, ever. When send fails, Claim stops there,
	// marks what was sent and returns send's error; the rest waits for
	// the next Claim. It returns how many were marked. A crash before
	// the marks are stored leaves the notices sent but unmarked: the next
	// Claim sends them again, with the same IDs.
	Claim(ctx context.Context, now time.Time, limit int, send func(Due) error) (int, error)
}

// ClockName names a complaint's clocks.
type ClockName string

// The clocks.
const (
	ResolveClock  ClockName = "resolve"  // 24 h from registration (or reopening) to resolution
	FeedbackClock ClockName = "feedback" // 3 days from the customer's feedback to the answer
)

// Due is a warning or a breach that came due, claimed for its notice.
type Due struct {
	Record Record
	Clock  ClockName
	Kind   NoticeKind // NoticeWarning or NoticeBreach
}

// Service runs the complaint workflow: registration, the steps, and the
// scan of the clocks. Safe for concurrent use; any number of Services may
// share one database.
type Service struct {
	cfg Config
	log *slog.Logger
}

// New returns a Service on cfg.
func New(cfg Config) (*Service, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &Service{cfg: cfg, log: cfg.Logger}, nil
}

// Limits of the fields, in characters.
const (
	maxShort = 100  // call ID, hotline, complainant, contact, team, actor
	maxLong  = 4000 // content, what the caller wants, notes
)

// SystemActor is who the workflow's own changes are by (the team
// notified at registration).
const SystemActor = "system"

func field(name, v string, required bool, max int) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return fmt.Errorf("%w: %s is required", ErrInvalid, name)
	case utf8.RuneCountInString(v) > max:
		return fmt.Errorf("%w: %s is longer than %d characters", ErrInvalid, name, max)
	case !utf8.ValidString(v):
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, name)
	}
	return nil
}

func (s *Service) category(code string) Category {
	return s.cfg.Categories[code].withDefaults()
}

// Register takes a complaint down with owner as its owner for good,
// starts its 24 h clock and tells the responsible team (then it is
// notified; if the notice cannot be queued it stays registered, logged,
// and ActNotify sends it again).
func (s *Service) Register(ctx context.Context, r Registration, owner string) (Complaint, error) {
	r.Complainant, r.Contact, r.Content, r.Wants = strings.TrimSpace(r.Complainant), strings.TrimSpace(r.Contact), strings.TrimSpace(r.Content), strings.TrimSpace(r.Wants)
	for _, f := range []struct {
		name, v  string
		required bool
		max      int
	}{
		{"owner", owner, true, maxShort}, {"hotline", r.Hotline, true, maxShort}, {"call_id", r.CallID, false, maxShort},
		{"complainant", r.Complainant, true, maxShort}, {"contact", r.Contact, true, maxShort},
		{"content", r.Content, true, maxLong}, {"category", r.Category, true, maxShort},
		{"wants", r.Wants, false, maxLong}, {"team", r.Team, false, maxShort},
	} {
		if err := field(f.name, f.v, f.required, f.max); err != nil {
			return Complaint{}, err
		}
	}
	switch r.Source {
	case "agent", "ivr", "api":
	default:
		return Complaint{}, fmt.Errorf("%w: source %q is not one of agent, ivr, api", ErrInvalid, r.Source)
	}
	cat, ok := s.cfg.Categories[r.Category]
	if !ok {
		return Complaint{}, fmt.Errorf("%w: category %q is not a configured complaint category", ErrInvalid, r.Category)
	}
	team := r.Team
	if team == "" {
		team = cat.Team
	}
	if team == "" {
		return Complaint{}, fmt.Errorf("%w: team is required: category %q has no default team", ErrInvalid, r.Category)
	}
	now := s.cfg.Clock.Now().UTC().Truncate(time.Microsecond)
	rec := s.newRecord(r, owner, team, now)
	rec, err := s.cfg.Store.Create(ctx, s.day(now), rec,
		Change{At: now, Actor: owner, Action: ActRegister, To: Registered, Team: team, Due: rec.Resolve.Due})
	if err != nil {
		return Complaint{}, err
	}
	return s.announce(ctx, rec, team, now)
}

// newRecord is the record of a registration at registered, its 24 h
// clock started then.
func (s *Service) newRecord(r Registration, owner, team string, registered time.Time) Record {
	rec := Record{Complaint: Complaint{
		CallID: r.CallID, Hotline: r.Hotline, Source: r.Source, Registered: registered,
		Complainant: r.Complainant, Contact: r.Contact, Content: r.Content, Category: r.Category, Wants: r.Wants,
		Owner: owner, Teams: []string{team}, State: Registered,
	}}
	rec.Resolve = s.start(rec, registered, ResolveClock)
	return rec
}

// day is the day of an ID, in the centre's zone.
func (s *Service) day(t time.Time) string { return t.In(s.cfg.Zone).Format("20060102") }

// announce tells the responsible team of a stored registration, then
// marks it notified (see Register).
func (s *Service) announce(ctx context.Context, rec Record, team string, now time.Time) (Complaint, error) {
	if err := s.cfg.Notifier.Notify(ctx, s.notice(rec, NoticeRegistered, team, nil, 1, now)); err != nil {
		s.log.Error("complaints: the registration's notice to the team could not be queued; the complaint stays registered", "complaint", rec.ID, "team", team, "err", err)
		return rec.show(), nil
	}
	rec, _, err := s.cfg.Store.Update(ctx, rec.ID, func(r *Record) (Change, error) {
		if r.State != Registered {
			return Change{}, fmt.Errorf("%w: already %s", ErrStep, r.State)
		}
		r.State = Notified
		return Change{At: now, Actor: SystemActor, Action: ActNotify, From: Registered, To: Notified, Note: "notice queued for the team", Team: team}, nil
	})
	if errors.Is(err, ErrStep) { // someone took a step meanwhile: it is past registered
		return s.Get(ctx, rec.ID)
	}
	if err != nil {
		return Complaint{}, fmt.Errorf("marking complaint %s notified: %w", rec.ID, err)
	}
	return rec.show(), nil
}

// start is a clock started at now for the record's category and hotline.
func (s *Service) start(r Record, now time.Time, name ClockName) Clock {
	cat, hours := s.category(r.Category), s.cfg.Hours[r.Hotline]
	d := cat.ResolveIn
	if name == FeedbackClock {
		d = cat.FeedbackIn
	}
	return Clock{Due: hours.Add(now, d), WarnAt: hours.Add(now, d-cat.WarnBefore)}
}

// Get returns the complaint with every change.
func (s *Service) Get(ctx context.Context, id string) (Complaint, error) {
	r, changes, err := s.cfg.Store.Get(ctx, id)
	if err != nil {
		return Complaint{}, err
	}
	c := r.show()
	c.Changes = changes
	return c, nil
}

// List returns the complaints f selects, newest first, without changes.
func (s *Service) List(ctx context.Context, f Filter) ([]Complaint, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	if f.Unowned && f.Owner != "" {
		return nil, fmt.Errorf("%w: a filter selects the complaints of owner %q or those nobody owns, not both", ErrInvalid, f.Owner)
	}
	for _, st := range f.States {
		if !slices.Contains(states, st) {
			return nil, fmt.Errorf("%w: state %q is not one of %v", ErrInvalid, st, states)
		}
	}
	recs, err := s.cfg.Store.List(ctx, f, s.cfg.Clock.Now())
	if err != nil {
		return nil, err
	}
	out := make([]Complaint, len(recs))
	for i, r := range recs {
		out[i] = r.show()
	}
	return out, nil
}

var states = []State{Registered, Notified, InProgress, Resolved, FollowedUp, Closed}

// Act takes a step of the workflow on complaint id by actor: note is the
// resolution (resolve), what the customer said (follow_up, feedback,
// reopen: required there), or a remark; team is the team a hand-off adds.
// The change is kept with who, when and the note; the notice it calls for
// (hand-off, reopening, notify) is sent after it is stored, and a notice
// that cannot be queued is logged, not a reason to refuse the step.
func (s *Service) Act(ctx context.Context, id, actor string, a Action, note, team string) (Complaint, error) {
	note, team = strings.TrimSpace(note), strings.TrimSpace(team)
	if err := field("actor", actor, true, maxShort); err != nil {
		return Complaint{}, err
	}
	if err := field("note", note, false, maxLong); err != nil {
		return Complaint{}, err
	}
	if err := field("team", team, a == ActHandOff, maxShort); err != nil {
		return Complaint{}, err
	}
	if a != ActHandOff && team != "" {
		return Complaint{}, fmt.Errorf("%w: team: only a hand_off names a team", ErrInvalid)
	}
	now := s.cfg.Clock.Now().UTC().Truncate(time.Microsecond)
	rec, ch, err := s.cfg.Store.Update(ctx, id, func(r *Record) (Change, error) {
		return s.step(r, now, actor, a, note, team)
	})
	if err != nil {
		return Complaint{}, err
	}
	var n *Notice
	switch a {
	case ActNotify:
		for _, t := range rec.Teams {
			s.send(ctx, s.notice(rec, NoticeRegistered, t, nil, ch.Seq, now))
		}
	case ActHandOff:
		n = ptr(s.notice(rec, NoticeHandOff, team, nil, ch.Seq, now))
	case ActReopen:
		for _, t := range rec.Teams {
			s.send(ctx, s.notice(rec, NoticeReopened, t, nil, ch.Seq, now))
		}
		n = ptr(s.notice(rec, NoticeReopened, "", s.ownerOrSupervisors(rec), ch.Seq, now))
	}
	if n != nil {
		s.send(ctx, *n)
	}
	return rec.show(), nil
}

func ptr[T any](v T) *T { return &v }

// send queues n, logging a failure.
func (s *Service) send(ctx context.Context, n Notice) {
	if err := s.cfg.Notifier.Notify(ctx, n); err != nil {
		s.log.Error("complaints: a notice could not be queued", "notice", n.ID, "kind", n.Kind, "complaint", n.ComplaintID, "err", err)
	}
}

// step applies action a to r: the workflow's rules.
func (s *Service) step(r *Record, now time.Time, actor string, a Action, note, team string) (Change, error) {
	ch := Change{At: now, Actor: actor, Action: a, From: r.State, Note: note}
	refuse := func(why string) (Change, error) {
		return Change{}, fmt.Errorf("%w: %s complaint %s: %s", ErrStep, a, r.ID, why)
	}
	from := func(ok ...State) bool { return slices.Contains(ok, r.State) }
	owned := r.Owner != ""
	if !owned && actor != SystemActor {
		// 首问负责制: the first person to take a step on a complaint nobody
		// owns (one the IVR registered) owns it from now on, for good.
		r.Owner = actor
	}
	needNote := func(what string) error {
		if note == "" {
			return fmt.Errorf("%w: note is required: %s", ErrInvalid, what)
		}
		return nil
	}
	switch a {
	case ActNotify:
		if !from(Registered) {
			return refuse("the team was told already (it is " + string(r.State) + ")")
		}
		r.State = Notified
	case ActStart:
		if !from(Registered, Notified) {
			return refuse("only a registered or notified complaint can be started (it is " + string(r.State) + ")")
		}
		r.State = InProgress
	case ActResolve:
		if !from(Registered, Notified, InProgress) {
			return refuse("it is " + string(r.State) + ", not open")
		}
		if err := needNote("the resolution"); err != nil {
			return Change{}, err
		}
		r.State, r.Resolution = Resolved, note
		r.Resolve.Due, r.Resolve.WarnAt = time.Time{}, time.Time{}
		r.Feedback.Due, r.Feedback.WarnAt = time.Time{}, time.Time{} // the resolution answers the customer
	case ActFollowUp:
		if !from(Resolved) {
			return refuse("only a resolved complaint is followed up (it is " + string(r.State) + ")")
		}
		if err := needNote("what the customer said"); err != nil {
			return Change{}, err
		}
		r.State = FollowedUp
		r.Feedback.Due, r.Feedback.WarnAt = time.Time{}, time.Time{}
	case ActClose:
		if !from(FollowedUp) {
			return refuse("only a followed-up complaint is closed (it is " + string(r.State) + ")")
		}
		r.State = Closed
		r.Feedback.Due, r.Feedback.WarnAt = time.Time{}, time.Time{}
	case ActReopen:
		if !from(Resolved, FollowedUp, Closed) {
			return refuse("only a resolved, followed-up or closed complaint is reopened (it is " + string(r.State) + ")")
		}
		if err := needNote("why the customer is not satisfied"); err != nil {
			return Change{}, err
		}
		r.State = InProgress
		r.Resolve = s.start(*r, now, ResolveClock)
		ch.Due = r.Resolve.Due
	case ActHandOff:
		if from(Closed) {
			return refuse("it is closed")
		}
		if slices.Contains(r.Teams, team) {
			return refuse("team " + team + " is responsible already")
		}
		r.Teams = append(slices.Clone(r.Teams), team)
		ch.Team = team
	case ActTake:
		if actor == SystemActor {
			return refuse("only a person takes a complaint")
		}
		if owned {
			if r.Owner == actor {
				return refuse("it is yours already")
			}
			return refuse("it is owned by " + r.Owner + " (首问负责制: the first who took it owns it)")
		}
		if note == "" {
			ch.Note = "taken: " + actor + " owns it"
		}
	case ActFeedback:
		if from(Closed) {
			return refuse("it is closed; reopen it")
		}
		if err := needNote("the customer's feedback"); err != nil {
			return Change{}, err
		}
		if !r.Feedback.Running() { // a running clock keeps the earliest feedback's deadline
			r.Feedback = s.start(*r, now, FeedbackClock)
			ch.Due = r.Feedback.Due
		}
	default:
		return Change{}, fmt.Errorf("%w: action %q is not one of notify, start, resolve, follow_up, close, reopen, hand_off, feedback, take", ErrInvalid, a)
	}
	ch.To = r.State
	return ch, nil
}

// notice makes a notice of kind about r for a team (or the people in
// to); seq makes its ID unique (the change's number).
func (s *Service) notice(r Record, kind NoticeKind, team string, to []string, seq int, now time.Time) Notice {
	who := team
	if who == "" {
		who = strings.Join(to, ",")
	}
	n := Notice{
		ID:   fmt.Sprintf("%s/%s/%d/%s", r.ID, kind, seq, who),
		Kind: kind, ComplaintID: r.ID, Team: team, To: to, At: now,
	}
	switch kind {
	case NoticeRegistered:
		n.Subject = fmt.Sprintf("新投诉 %s（%s）请处理", r.ID, r.Category)
	case NoticeHandOff:
		n.Subject = fmt.Sprintf("投诉 %s 转交 %s 协同处理", r.ID, team)
	case NoticeReopened:
		n.Subject = fmt.Sprintf("投诉 %s 客户不满意，已重新处理", r.ID)
	}
	n.Due = r.Resolve.Due
	n.Body = body(r)
	return n
}

// dueNotice is the notice of a claimed warning or breach, to the owner
// and the supervisors.
func (s *Service) dueNotice(d Due, now time.Time) Notice {
	r := d.Record
	c := r.Resolve
	what := "24 小时处理时限"
	if d.Clock == FeedbackClock {
		c, what = r.Feedback, "3 日反馈答复时限"
	}
	to := s.cfg.Supervisors
	if r.Owner != "" {
		to = append([]string{r.Owner}, to...)
	} // unowned (registered by the IVR, nobody took it yet): the supervisors alone
	n := Notice{
		ID:   fmt.Sprintf("%s/%s/%s/%s", r.ID, d.Kind, d.Clock, c.Due.UTC().Format(time.RFC3339)),
		Kind: d.Kind, ComplaintID: r.ID, To: to, At: now, Due: c.Due,
		Subject: fmt.Sprintf("投诉 %s 即将超过%s（%s 到期）", r.ID, what, c.Due.In(s.cfg.Zone).Format("2006-01-02 15:04")),
		Body:    body(r),
	}
	if d.Kind == NoticeBreach {
		n.Subject = fmt.Sprintf("投诉 %s 已超过%s，升级处理", r.ID, what)
	}
	return n
}

func body(r Record) string {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	line("投诉编号 ID", r.ID)
	line("登记时间 Registered", r.Registered.UTC().Format(time.RFC3339))
	line("热线 Hotline", r.Hotline)
	line("来电 Call", r.CallID)
	line("投诉人 Complainant", r.Complainant)
	line("联系方式 Contact", r.Contact)
	line("类别 Category", r.Category)
	line("内容 Content", r.Content)
	line("诉求 Wants", r.Wants)
	owner := r.Owner
	if owner == "" {
		owner = "（待认领 nobody yet）"
	}
	line("首问负责人 Owner", owner)
	line("语音留言 Voice message", r.MessageRecording)
	line("责任部门 Teams", strings.Join(r.Teams, ", "))
	line("状态 State", string(r.State))
	if r.Resolve.Running() {
		line("处理时限 Resolve by", r.Resolve.Due.UTC().Format(time.RFC3339))
	}
	if r.Feedback.Running() {
		line("反馈答复时限 Answer feedback by", r.Feedback.Due.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// Scan claims every warning and breach due now, and sends each one's
// notice (NoticeWarning to the owner and supervisors, NoticeBreach: the
// escalation). Each is sent once across all Services on the database,
// before restarts too: it is marked sent in the same transaction that
// holds it while the notice is queued. A notice the Notifier cannot
// queue stays unmarked for the next scan, and Scan returns the error.
// (Only a crash between queuing and the mark's commit sends a notice
// again, with the same ID, which receivers de-duplicate.) It returns how
// many it sent.
func (s *Service) Scan(ctx context.Context) (int, error) {
	batch := s.cfg.ScanBatch
	now := s.cfg.Clock.Now()
	total := 0
	for {
		n, err := s.cfg.Store.Claim(ctx, now, batch, func(d Due) error {
			return s.cfg.Notifier.Notify(ctx, s.dueNotice(d, now))
		})
		total += n
		if err != nil {
			return total, fmt.Errorf("scanning the complaints' clocks: %w", err)
		}
		if n < batch {
			return total, nil
		}
	}
}

// Run registers the IVR's new complaints (IngestIVR) and scans the
// clocks (Scan) now and every period until ctx ends; a failed pass is
// logged and the next one tries again.
func (s *Service) Run(ctx context.Context, period time.Duration) error {
	tick := s.cfg.Clock.NewTicker(period)
	defer tick.Stop()
	for {
		if n, err := s.IngestIVR(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.Error("complaints: registering the IVR's complaints failed", "err", err, "registered", n)
		} else if n > 0 {
			s.log.Info("complaints: the IVR's complaints registered", "count", n)
		}
		if n, err := s.Scan(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.Error("complaints: the clocks' scan failed", "err", err)
		} else if n > 0 {
			s.log.Info("complaints: warnings and breaches sent", "count", n)
		} else {
			s.log.Debug("complaints: the clocks were scanned; nothing was due")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.Chan():
		}
	}
}

// ListByContact lists the complaints of a contact (the caller's number)
// in states (none: all), newest first: the screen pop's open complaints.
func (s *Service) ListByContact(ctx context.Context, contact string, states []State, limit int) ([]Complaint, error) {
	if contact == "" {
		return nil, nil
	}
	return s.List(ctx, Filter{Contact: contact, States: states, Limit: limit})
}
