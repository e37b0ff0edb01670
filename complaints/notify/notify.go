package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/store"
)

// Route is where a team's notices go: a webhook, e-mail addresses, or
// both.
type Route struct {
	Webhook string // an http(s) URL
	// Secret, when set, signs this route's webhook instead of
	// Config.WebhookSecret (each receiver may have its own).
	Secret string
	Email  []string // addresses (RFC 5322, "名字 <a@b>" allowed)
}

// SMTP is the mail server notices are sent through.
type SMTP struct {
	Addr string // host:port
	// Username and Password: AUTH PLAIN when Username is set (over TLS,
	// or to localhost only, as net/smtp allows).
	Username, Password string
	// TLS is used for STARTTLS, which is used whenever the server offers
	// it; nil means the system's roots, ServerName the host of Addr.
	TLS *tls.Config
	// HELO is the name to greet the server with; "" means "localhost".
	HELO string
}

// Config configures a Notifier. Zero durations take the defaults shown.
type Config struct {
	// Teams maps a responsible team to where its notices go; Default
	// takes the notices with no team, or of a team not in Teams. A
	// notice's To addresses are e-mailed as well.
	Teams   map[string]Route
	Default Route

	// WebhookSecret is the HMAC-SHA256 key of the X-Hotline-Signature
	// header; required when any route has a webhook.
	WebhookSecret string
	// HTTPClient posts to the webhooks; nil means one with a 30 s timeout.
	HTTPClient *http.Client

	// From is the e-mail's sender; required when any route has e-mail.
	From string
	SMTP SMTP
	// Location is the time zone of the times written in e-mails; nil
	// means UTC.
	Location *time.Location

	// Instance names this instance in its claims (required): each
	// instance sharing the database needs its own.
	Instance string
	// MinBackoff (30 s) is the wait after the first failed attempt,
	// doubled after each further one up to MaxBackoff (1 h).
	MinBackoff, MaxBackoff time.Duration
	// GiveUpAfter (48 h): a delivery not done this long after it was
	// queued fails for good.
	GiveUpAfter time.Duration
	// Lease (2 min) is how long a claimed delivery is this instance's;
	// then another may take it. At least twice the Timeout.
	Lease time.Duration
	// Timeout (30 s) bounds one attempt.
	Timeout time.Duration
	// PollInterval (15 s) is how often Run looks for deliveries that
	// other instances queued (its own Notify wakes it at once).
	PollInterval time.Duration
	// Batch (20) is how many deliveries Run claims, and makes, at a time.
	Batch int

	Clock  clockwork.Clock // nil: the real clock
	Logger *slog.Logger    // nil: slog.Default()
}

// Notifier queues notices in the outbox and delivers them; it implements
// complaints.Notifier. Safe for concurrent use.
type Notifier struct {
	cfg     Config
	outbox  *store.Notices
	clock   clockwork.Clock
	log     *slog.Logger
	from    *mail.Address
	wake    chan struct{}
	recover sync.Once
}

var _ complaints.Notifier = (*Notifier)(nil)

// New returns a Notifier queueing in outbox (whose clock should be
// cfg.Clock).
func New(outbox *store.Notices, cfg Config) (*Notifier, error) {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.MinBackoff, 30*time.Second)
	def(&cfg.MaxBackoff, time.Hour)
	def(&cfg.GiveUpAfter, 48*time.Hour)
	def(&cfg.Lease, 2*time.Minute)
	def(&cfg.Timeout, 30*time.Second)
	def(&cfg.PollInterval, 15*time.Second)
	if cfg.Batch <= 0 {
		cfg.Batch = 20
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = cfg.MinBackoff
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HTTPClient == nil {
		// A redirect is not followed (it would turn the POST into a GET):
		// it is an answer like any other that is not 2xx, retried.
		cfg.HTTPClient = &http.Client{Timeout: cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	var problems []error
	bad := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf("%w: "+format, append([]any{ErrBadConfig}, args...)...))
	}
	if cfg.Lease < 2*cfg.Timeout {
		bad("the Lease (%s) must be at least twice the Timeout of an attempt (%s)", cfg.Lease, cfg.Timeout)
	}
	if cfg.Instance == "" {
		bad("no Instance name (each instance sharing the database needs its own)")
	}
	n := &Notifier{cfg: cfg, outbox: outbox, clock: cfg.Clock, log: cfg.Logger.With("instance", cfg.Instance),
		wake: make(chan struct{}, 1)}
	routes := []Route{cfg.Default}
	names := []string{"the default"}
	for _, team := range slices.Sorted(maps.Keys(cfg.Teams)) {
		routes, names = append(routes, cfg.Teams[team]), append(names, "team "+team)
	}
	var email bool
	for i, r := range routes {
		if r.Webhook != "" {
			if err := checkURL(r.Webhook); err != nil {
				bad("%s: %v", names[i], err)
			}
			if cfg.WebhookSecret == "" && r.Secret == "" {
				bad("%s has a webhook but there is no WebhookSecret to sign it with", names[i])
			}
		}
		for _, a := range r.Email {
			if _, err := mail.ParseAddress(a); err != nil {
				bad("%s: e-mail address %q: %v", names[i], a, err)
			}
			email = true
		}
	}
	if email || cfg.From != "" {
		from, err := mail.ParseAddress(cfg.From)
		if err != nil {
			bad("From %q: %v (e-mail needs a sender)", cfg.From, err)
		}
		n.from = from
		if cfg.SMTP.Addr == "" {
			bad("e-mail is configured but SMTP.Addr (host:port) is not")
		}
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	return n, nil
}

// route returns the route of a team's notices.
func (n *Notifier) route(team string) Route {
	if r, ok := n.cfg.Teams[team]; ok && team != "" {
		return r
	}
	return n.cfg.Default
}

// routes returns the deliveries of notice.
func (n *Notifier) routes(notice complaints.Notice) ([]store.NoticeDelivery, error) {
	r := n.route(notice.Team)
	var ds []store.NoticeDelivery
	if r.Webhook != "" {
		ds = append(ds, store.NoticeDelivery{Notice: notice, Channel: store.NoticeWebhook, Targets: []string{r.Webhook}})
	}
	// The recipients that are e-mail addresses are e-mailed; the others
	// are people named by their console user or agent ID (a complaint's
	// owner), whom the console tells, and whom a webhook's payload still
	// names (notice.To).
	var to, people []string
	for _, a := range slices.Concat(r.Email, notice.To) {
		if _, err := mail.ParseAddress(a); err != nil {
			if !slices.Contains(people, a) {
				people = append(people, a)
			}
			continue
		}
		if !slices.Contains(to, a) {
			to = append(to, a)
		}
	}
	switch {
	case len(to) > 0 && n.from == nil && len(ds) == 0:
		return nil, fmt.Errorf("%w: notice %s is for %v but e-mail is not configured (no From)", ErrNoRoute, notice.ID, notice.To)
	case len(to) > 0 && n.from == nil:
		// Without e-mail, the webhook's payload carries the addresses.
		n.log.Warn("complaint notice: e-mail is not configured; its addresses go in the webhook's payload only",
			"notice", notice.ID, "to", notice.To)
	case len(to) > 0:
		ds = append(ds, store.NoticeDelivery{Notice: notice, Channel: store.NoticeEmail, Targets: to})
	}
	if len(ds) == 0 && len(people) > 0 && notice.Team == "" {
		// For people alone, none with an address: nothing for these
		// channels to carry.
		n.log.Debug("complaint notice: its recipients have no e-mail address; the console tells them",
			"notice", notice.ID, "to", people)
		return nil, nil
	}
	if len(ds) == 0 {
		team := notice.Team
		if team == "" {
			team = "(none)"
		}
		return nil, fmt.Errorf("%w: notice %s of team %s", ErrNoRoute, notice.ID, team)
	}
	return ds, nil
}

// Notify queues the notice for delivery on its team's channels and
// returns once it is stored; the workers (Run) deliver it. A notice whose
// ID was queued before is not queued again.
func (n *Notifier) Notify(ctx context.Context, notice complaints.Notice) error {
	if notice.ID == "" {
		return fmt.Errorf("%w: the notice has no ID", store.ErrBadNotice)
	}
	// The ID goes in headers (Idempotency-Key, X-Hotline-Notice).
	if strings.ContainsFunc(notice.ID, unicode.IsControl) || len(notice.ID) > 200 {
		return fmt.Errorf("%w: notice ID %q: control characters or longer than 200 bytes", store.ErrBadNotice, notice.ID)
	}
	ds, err := n.routes(notice)
	if err != nil {
		return err
	}
	if len(ds) == 0 {
		return nil
	}
	if _, err := n.outbox.Enqueue(ctx, ds); err != nil {
		return err
	}
	select {
	case n.wake <- struct{}{}:
	default:
	}
	return nil
}

// Run delivers due notices until ctx ends, then returns nil. Run it on
// each instance; several Runs, on one instance or many, share the work.
// The first Run of a Notifier first hands back what its instance had
// claimed before it stopped (an instance's name must not be in use by
// another running instance).
func (n *Notifier) Run(ctx context.Context) error {
	n.recover.Do(func() {
		if k, err := n.outbox.Recover(ctx, n.cfg.Instance); err != nil {
			n.log.Error("complaint notices: recovering the claims of the last run", "err", err)
		} else if k > 0 {
			n.log.Info("complaint notices: the claims of the last run handed back", "notices", k)
		}
	})
	for {
		if err := n.deliverDue(ctx); err != nil && ctx.Err() == nil {
			n.log.Error("complaint notices: delivering", "err", err)
		}
		wait := n.cfg.PollInterval
		if at, ok, err := n.outbox.NextDue(ctx); err != nil {
			if ctx.Err() == nil {
				n.log.Error("complaint notices", "err", err)
			}
		} else if ok {
			wait = min(wait, at.Sub(n.clock.Now()))
		}
		if ctx.Err() != nil {
			return nil
		}
		if wait <= 0 {
			continue
		}
		timer := n.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.Chan():
		case <-n.wake:
			timer.Stop()
		}
	}
}

// deliverDue claims and delivers batches until none is due.
func (n *Notifier) deliverDue(ctx context.Context) error {
	for ctx.Err() == nil {
		ds, err := n.outbox.Claim(ctx, n.cfg.Instance, n.cfg.Batch, n.cfg.Lease)
		if err != nil || len(ds) == 0 {
			return err
		}
		// The batch's deliveries run at once, so that one slow receiver
		// keeps none of the others past its lease.
		var wg sync.WaitGroup
		for _, d := range ds {
			wg.Go(func() {
				if err := n.deliverOne(ctx, d); err != nil && ctx.Err() == nil {
					n.log.Error("complaint notices: recording an outcome", "notice", d.Key(), "err", err)
				}
			})
		}
		wg.Wait()
	}
	return nil
}

// permanent marks an error a retry cannot mend.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// retryAfter marks an error whose receiver asked to wait at least so long.
type retryAfter struct {
	error
	wait time.Duration
}

func (r retryAfter) Unwrap() error { return r.error }

// deliverOne makes one attempt at d and records its outcome.
func (n *Notifier) deliverOne(ctx context.Context, d store.NoticeDelivery) (rerr error) {
	ctx, span := tracer.Start(ctx, "notify.deliver", trace.WithAttributes(
		attribute.String("hotline.notice.id", d.Notice.ID), attribute.String("hotline.notice.channel", string(d.Channel)),
		attribute.String("hotline.complaint.id", d.Notice.ComplaintID), attribute.Int("hotline.notice.attempt", d.Attempts)))
	outcome := "stopped"
	start := time.Now() // the attempt's real duration, for the metric only
	defer func() {
		set := metric.WithAttributes(attribute.String("channel", string(d.Channel)), attribute.String("outcome", outcome))
		attempts.Add(context.WithoutCancel(ctx), 1, set)
		duration.Record(context.WithoutCancel(ctx), time.Since(start).Seconds(), set)
		span.SetAttributes(attribute.String("hotline.notice.outcome", outcome))
		if rerr != nil {
			span.RecordError(rerr)
			span.SetStatus(codes.Error, rerr.Error())
		}
		span.End()
	}()
	actx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	var err error
	switch d.Channel {
	case store.NoticeWebhook:
		err = n.post(actx, d)
	case store.NoticeEmail:
		err = n.sendMail(actx, d)
	default:
		err = permanent{fmt.Errorf("unknown channel %q", d.Channel)}
	}
	cancel()
	if ctx.Err() != nil {
		// Stopping: the lease runs out and another attempt is made.
		return ctx.Err()
	}
	if err != nil {
		span.RecordError(err)
	}
	log := n.log.With("notice", d.Notice.ID, "channel", string(d.Channel), "complaint", d.Notice.ComplaintID,
		"attempt", d.Attempts)
	if err == nil {
		outcome = "delivered"
		log.Info("complaint notice delivered")
		return n.outbox.Delivered(ctx, n.cfg.Instance, d.Notice.ID, d.Channel)
	}
	if p := (permanent{}); errors.As(err, &p) {
		outcome = "refused"
		log.Error("complaint notice refused: not retried", "err", err)
		return n.outbox.Fail(ctx, n.cfg.Instance, d.Notice.ID, d.Channel, err.Error())
	}
	now := n.clock.Now()
	wait := n.backoff(d.Attempts)
	if ra := (retryAfter{}); errors.As(err, &ra) && ra.wait > wait {
		wait = min(ra.wait, n.cfg.MaxBackoff)
	}
	next := now.Add(wait)
	if next.After(d.Created.Add(n.cfg.GiveUpAfter)) {
		reason := fmt.Sprintf("gave up after %d attempts over %s: %v", d.Attempts, now.Sub(d.Created).Round(time.Second), err)
		outcome = "given_up"
		log.Error("complaint notice not delivered: given up", "err", reason)
		return n.outbox.Fail(ctx, n.cfg.Instance, d.Notice.ID, d.Channel, reason)
	}
	outcome = "retry"
	log.Warn("complaint notice not delivered: will retry", "err", err, "next", next)
	return n.outbox.Retry(ctx, n.cfg.Instance, d.Notice.ID, d.Channel, err.Error(), next)
}

// backoff is the wait after the attempts-th failed attempt.
func (n *Notifier) backoff(attempts int) time.Duration {
	wait := n.cfg.MinBackoff
	for i := 1; i < attempts && wait < n.cfg.MaxBackoff; i++ {
		wait *= 2
	}
	return min(wait, n.cfg.MaxBackoff)
}
