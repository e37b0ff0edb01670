package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// CallbackState is where a call-back request is in its life: the values
// of the callbacks table's state column.
type CallbackState string

// The call-back states. A request starts Pending; Claim makes it Dialing;
// the attempt's outcome makes it Connected, Pending again (a retry) or
// Failed (the last attempt); Cancel makes a Pending or Dialing one
// Cancelled. Connected, Failed and Cancelled are final.
const (
	CallbackPending   CallbackState = "pending"   // waits for its turn and its NotBefore
	CallbackDialing   CallbackState = "dialing"   // an instance has claimed it and dials the customer
	CallbackConnected CallbackState = "connected" // the customer answered: served
	CallbackFailed    CallbackState = "failed"    // the last attempt failed: given up
	CallbackCancelled CallbackState = "cancelled" // withdrawn by the customer or a supervisor
)

// DefaultCallbackAttempts is the MaxAttempts of a CallbackRequest added
// with none.
const DefaultCallbackAttempts = 3

// InterruptedByRestart is the LastError that Recover gives the attempts
// it finds interrupted.
const InterruptedByRestart = "interrupted by a restart"

// CallbackRequest is a call-back request: a row of the callbacks table.
// ID, Queue, Priority, Skills, Number and Arrived are what queue.Callback
// needs to put it back in line at its place.
type CallbackRequest struct {
	ID       string   // the request's ID, unique forever
	CallID   string   // the call it was asked for on; empty if none (a web form)
	Queue    string   // the queue it waits in
	Priority int      // higher is served first, as in the queue
	Skills   []string // skills the caller needs besides the queue's, like its language
	Number   string   // the customer's number to dial
	// Arrived is the original call's arrival: the place in line the
	// request keeps. Zero in Add means now.
	Arrived time.Time

	// The rest is the request's progress, which Add ignores (but for
	// MaxAttempts and NotBefore) and Callbacks keeps.

	State       CallbackState
	Attempts    int // attempts claimed so far, the one being dialled included
	MaxAttempts int // attempts allowed; 0 in Add means DefaultCallbackAttempts
	// NotBefore is the earliest the next attempt may be claimed. Zero in
	// Add means now; Failed sets the retry time.
	NotBefore time.Time
	// Instance names the instance that claimed the latest attempt: while
	// Dialing, the one dialling.
	Instance  string
	LastError string // why the latest failed attempt failed
}

// Callbacks keeps call-back requests in PostgreSQL so that they survive a
// restart, and hands out their dialling attempts so that a customer is never
// dialled twice for one attempt, however many instances share the
// database: Claim is the only way to a dial, and exactly one of any number
// of concurrent claims of a request wins.
//
// Every time Callbacks writes or compares (Arrived and NotBefore
// defaults, whether a request is due, the created and updated columns)
// comes from its clock, never from PostgreSQL's now(), so tests can drive
// it. With several instances each uses its own clock: keep them in sync
// (NTP), as a skewed one claims retries early or late. Skew never lets a
// request be dialled twice: that rests on its state alone.
//
// Instance names must be unique among the instances sharing the database
// and stable across restarts: Recover finds its own interrupted dials by
// them. A Callbacks is safe for concurrent use.
type Callbacks struct {
	db    *pgxpool.Pool
	clock clockwork.Clock
}

// NewCallbacks returns the call-back requests kept in db (which Migrate has
// brought up to date), stamped by clock; nil means the real clock.
func NewCallbacks(db *pgxpool.Pool, clock clockwork.Clock) *Callbacks {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &Callbacks{db: db, clock: clock}
}

// callbackColumns are what scanCallback reads, in its order.
const callbackColumns = `id, coalesce(call_id, ''), queue, priority, skills, number, arrived,
	state, attempts, max_attempts, not_before, coalesce(instance, ''), coalesce(last_error, '')`

func scanCallback(row pgx.CollectableRow) (CallbackRequest, error) {
	var r CallbackRequest
	var state string
	err := row.Scan(&r.ID, &r.CallID, &r.Queue, &r.Priority, &r.Skills, &r.Number, &r.Arrived,
		&state, &r.Attempts, &r.MaxAttempts, &r.NotBefore, &r.Instance, &r.LastError)
	r.State = CallbackState(state)
	r.Arrived, r.NotBefore = r.Arrived.UTC(), r.NotBefore.UTC()
	return r, err
}

// Add stores a new pending request. Arrived and NotBefore default to now,
// MaxAttempts to DefaultCallbackAttempts; State, Attempts, Instance and
// LastError are ignored. A request that cannot be stored is refused with
// ErrBadCallback before the database is used, and one whose ID was ever
// added before (whatever became of it) with ErrCallbackExists: a request is
// made once.
func (c *Callbacks) Add(ctx context.Context, r CallbackRequest) (err error) {
	ctx, span := startCallbackSpan(ctx, "Add", r.ID)
	defer func() { endCallbackSpan(span, err) }()
	if err := r.check(); err != nil {
		return err
	}
	now := c.clock.Now()
	if r.Arrived.IsZero() {
		r.Arrived = now
	}
	if r.NotBefore.IsZero() {
		r.NotBefore = now
	}
	if r.MaxAttempts == 0 {
		r.MaxAttempts = DefaultCallbackAttempts
	}
	skills := r.Skills
	if skills == nil {
		skills = []string{}
	}
	tag, err := c.db.Exec(ctx, `INSERT INTO callbacks
		(id, call_id, queue, priority, skills, number, arrived, state, attempts, max_attempts, not_before, created, updated)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $9, $10, $10)
		ON CONFLICT (id) DO NOTHING`,
		r.ID, text(r.CallID), r.Queue, int32(r.Priority), skills, r.Number, r.Arrived,
		int32(r.MaxAttempts), r.NotBefore, now)
	if err != nil {
		return fmt.Errorf("storing call-back request %q: %w", r.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %q", ErrCallbackExists, r.ID)
	}
	return nil
}

// check reports every reason PostgreSQL would refuse r, or that r makes no
// sense, as one ErrBadCallback.
func (r CallbackRequest) check() error {
	var problems []string
	if r.ID == "" {
		problems = append(problems, "it has no ID")
	}
	if r.Queue == "" {
		problems = append(problems, "it has no queue")
	}
	if r.Number == "" {
		problems = append(problems, "it has no number to call")
	}
	for _, s := range append([]string{r.ID, r.CallID, r.Queue, r.Number}, r.Skills...) {
		if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
			problems = append(problems, fmt.Sprintf("%q is not valid UTF-8 or holds a NUL byte", s))
		}
	}
	if r.Priority < math.MinInt32 || r.Priority > math.MaxInt32 {
		problems = append(problems, fmt.Sprintf("priority %d is out of range", r.Priority))
	}
	if r.MaxAttempts < 0 || r.MaxAttempts > math.MaxInt32 {
		problems = append(problems, fmt.Sprintf("max attempts %d is out of range", r.MaxAttempts))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w %q: %s", ErrBadCallback, r.ID, strings.Join(problems, "; "))
	}
	return nil
}

// Get returns the request with the ID, or ErrUnknownCallback.
func (c *Callbacks) Get(ctx context.Context, id string) (_ CallbackRequest, err error) {
	ctx, span := startCallbackSpan(ctx, "Get", id)
	defer func() { endCallbackSpan(span, err) }()
	rows, _ := c.db.Query(ctx, "SELECT "+callbackColumns+" FROM callbacks WHERE id = $1", id)
	r, err := pgx.CollectExactlyOneRow(rows, scanCallback)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("%w: %q", ErrUnknownCallback, id)
	}
	if err != nil {
		return r, fmt.Errorf("reading call-back request %q: %w", id, err)
	}
	return r, nil
}

// Claim starts an attempt on a pending request whose NotBefore has come:
// the request becomes Dialing, claimed by instance, and attempt is its
// number (1 for the first). Only the winner of a claim may dial the
// customer. It is one atomic UPDATE guarded by the pending state: of any
// number of concurrent claims, from this instance or others, exactly one
// wins; the others get ErrCallbackNotPending, as does a claim of a request
// that is dialling, connected, failed or cancelled. A claim before
// NotBefore gets ErrCallbackNotDue; one of an unknown ID,
// ErrUnknownCallback.
//
// Report the attempt's outcome with Connected or Failed.
func (c *Callbacks) Claim(ctx context.Context, id, instance string) (attempt int, err error) {
	ctx, span := startCallbackSpan(ctx, "Claim", id)
	span.SetAttributes(attribute.String("hotline.instance", instance))
	defer func() {
		span.SetAttributes(attribute.Int("hotline.callback.attempt", attempt))
		endCallbackSpan(span, err)
	}()
	if instance == "" {
		return 0, fmt.Errorf("%w: claiming call-back request %q", ErrNoInstance, id)
	}
	now := c.clock.Now()
	err = c.db.QueryRow(ctx, `UPDATE callbacks
		SET state = 'dialing', attempts = attempts + 1, instance = $2, updated = $3
		WHERE id = $1 AND state = 'pending' AND not_before <= $3
		RETURNING attempts`, id, instance, now).Scan(&attempt)
	if err == nil {
		return attempt, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("claiming call-back request %q: %w", id, err)
	}
	// Nothing claimed; say why, from what the row holds now.
	cur, err := c.Get(ctx, id)
	switch {
	case err != nil:
		return 0, err
	case cur.State != CallbackPending:
		return 0, fmt.Errorf("%w: %s", ErrCallbackNotPending, cur.describe())
	case cur.NotBefore.After(now):
		return 0, fmt.Errorf("%w: call-back request %q is due at %s", ErrCallbackNotDue, id, cur.NotBefore.Format(time.RFC3339))
	default: // claimed and handed back between the two statements
		return 0, fmt.Errorf("%w: call-back request %q was claimed by %s meanwhile", ErrCallbackNotPending, id, cur.Instance)
	}
}

// describe says where r is, for an error message.
func (r CallbackRequest) describe() string {
	if r.State == CallbackDialing {
		return fmt.Sprintf("call-back request %q is being dialled by %s (attempt %d)", r.ID, r.Instance, r.Attempts)
	}
	return fmt.Sprintf("call-back request %q is %s", r.ID, r.State)
}

// Connected says the customer answered the attempt being dialled: the
// request is Connected, served for good. A request that is not Dialing
// (cancelled meanwhile, or reported twice) gets ErrCallbackNotDialing and
// is left as it is.
func (c *Callbacks) Connected(ctx context.Context, id string) (err error) {
	ctx, span := startCallbackSpan(ctx, "Connected", id)
	defer func() { endCallbackSpan(span, err) }()
	tag, err := c.db.Exec(ctx, `UPDATE callbacks SET state = 'connected', updated = $2
		WHERE id = $1 AND state = 'dialing'`, id, c.clock.Now())
	if err != nil {
		return fmt.Errorf("marking call-back request %q connected: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return c.refused(ctx, id, ErrCallbackNotDialing)
	}
	return nil
}

// Failed says the attempt being dialled failed (no answer, busy, an
// unreachable number), for reason. While the request has attempts left
// (Attempts < MaxAttempts) it is Pending again, due at retryAt (zero means
// now), and retry is true; otherwise it is Failed for good. Either way
// reason becomes its LastError. A request that is not Dialing gets
// ErrCallbackNotDialing and is left as it is.
func (c *Callbacks) Failed(ctx context.Context, id, reason string, retryAt time.Time) (retry bool, err error) {
	ctx, span := startCallbackSpan(ctx, "Failed", id)
	defer func() {
		span.SetAttributes(attribute.Bool("hotline.callback.retry", retry))
		endCallbackSpan(span, err)
	}()
	now := c.clock.Now()
	if retryAt.IsZero() {
		retryAt = now
	}
	var state string
	err = c.db.QueryRow(ctx, `UPDATE callbacks SET
			state = CASE WHEN attempts < max_attempts THEN 'pending' ELSE 'failed' END,
			not_before = CASE WHEN attempts < max_attempts THEN $3 ELSE not_before END,
			last_error = $2, updated = $4
		WHERE id = $1 AND state = 'dialing'
		RETURNING state`, id, text(reason), retryAt, now).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, c.refused(ctx, id, ErrCallbackNotDialing)
	}
	if err != nil {
		return false, fmt.Errorf("marking call-back request %q failed: %w", id, err)
	}
	return CallbackState(state) == CallbackPending, nil
}

// Cancel withdraws a request that is Pending or Dialing: it is Cancelled
// and never claimed again. It does not stop a dial in progress; the
// dialler's Connected or Failed then gets ErrCallbackNotDialing. A request
// that is already over gets ErrCallbackClosed.
func (c *Callbacks) Cancel(ctx context.Context, id string) (err error) {
	ctx, span := startCallbackSpan(ctx, "Cancel", id)
	defer func() { endCallbackSpan(span, err) }()
	tag, err := c.db.Exec(ctx, `UPDATE callbacks SET state = 'cancelled', updated = $2
		WHERE id = $1 AND state IN ('pending', 'dialing')`, id, c.clock.Now())
	if err != nil {
		return fmt.Errorf("cancelling call-back request %q: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return c.refused(ctx, id, ErrCallbackClosed)
	}
	return nil
}

// refused explains why an UPDATE guarded by the state changed nothing:
// the request is unknown, or in another state (sentinel).
func (c *Callbacks) refused(ctx context.Context, id string, sentinel error) error {
	cur, err := c.Get(ctx, id)
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: %s", sentinel, cur.describe())
}

// Pending returns every Pending request, due or not, by priority (highest
// first) then arrival (earliest first): what an instance that starts hands
// back to its queues, each with its original arrival so that it keeps its
// place. Call Recover first.
func (c *Callbacks) Pending(ctx context.Context) (_ []CallbackRequest, err error) {
	ctx, span := startCallbackSpan(ctx, "Pending", "")
	defer func() { endCallbackSpan(span, err) }()
	rows, _ := c.db.Query(ctx, "SELECT "+callbackColumns+` FROM callbacks
		WHERE state = 'pending' ORDER BY priority DESC, arrived, id`)
	rs, err := pgx.CollectRows(rows, scanCallback)
	if err != nil {
		return nil, fmt.Errorf("reading the pending call-back requests: %w", err)
	}
	span.SetAttributes(attribute.Int("hotline.callback.pending", len(rs)))
	return rs, nil
}

// Recover ends the attempts that instance left Dialing when it stopped
// (it crashed, or was killed, in the middle of a dial), as Failed would
// with InterruptedByRestart: the attempt counts, so a request with attempts
// left is Pending again and due now, and one without is Failed. It returns
// how many it found. Call it when the instance starts, before it claims
// anything: a dial it had in progress would be ended too.
func (c *Callbacks) Recover(ctx context.Context, instance string) (n int, err error) {
	ctx, span := startCallbackSpan(ctx, "Recover", "")
	span.SetAttributes(attribute.String("hotline.instance", instance))
	defer func() {
		span.SetAttributes(attribute.Int("hotline.callback.recovered", n))
		endCallbackSpan(span, err)
	}()
	if instance == "" {
		return 0, fmt.Errorf("%w: recovering interrupted call-backs", ErrNoInstance)
	}
	now := c.clock.Now()
	tag, err := c.db.Exec(ctx, `UPDATE callbacks SET
			state = CASE WHEN attempts < max_attempts THEN 'pending' ELSE 'failed' END,
			not_before = CASE WHEN attempts < max_attempts THEN $3 ELSE not_before END,
			last_error = $2, updated = $3
		WHERE state = 'dialing' AND instance = $1`, instance, InterruptedByRestart, now)
	if err != nil {
		return 0, fmt.Errorf("recovering the call-backs %s was dialling: %w", instance, err)
	}
	return int(tag.RowsAffected()), nil
}

// callbackRefusals are the errors that are answers, not failures: a span
// that ends with one is not marked as an error.
var callbackRefusals = []error{
	ErrBadCallback, ErrCallbackExists, ErrUnknownCallback, ErrCallbackNotPending,
	ErrCallbackNotDue, ErrCallbackNotDialing, ErrCallbackClosed, ErrNoInstance,
}

func startCallbackSpan(ctx context.Context, op, id string) (context.Context, trace.Span) {
	ctx, span := tracer.Start(ctx, "store.Callbacks."+op)
	if id != "" {
		span.SetAttributes(attribute.String("hotline.callback.id", id))
	}
	return ctx, span
}

func endCallbackSpan(span trace.Span, err error) {
	defer span.End()
	if err == nil {
		return
	}
	for _, r := range callbackRefusals {
		if errors.Is(err, r) {
			span.SetAttributes(attribute.String("hotline.callback.refused", err.Error()))
			return
		}
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
}
