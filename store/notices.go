package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/complaints"
)

// Errors of the notices' outbox.
var (
	// ErrBadNotice: a delivery cannot be queued (no notice ID, an unknown
	// channel, no targets); the message says which.
	ErrBadNotice = errors.New("bad notice delivery")
	// ErrNoticeLost: the delivery is no longer this instance's (its lease
	// ran out and another took it, or it is over); the caller must not
	// record an outcome.
	ErrNoticeLost = errors.New("the notice delivery is no longer claimed by this instance")
	// ErrUnknownNotice: no delivery of that notice on that channel.
	ErrUnknownNotice = errors.New("no such notice delivery")
)

// NoticeChannel is how a notice is delivered.
type NoticeChannel string

// The channels.
const (
	NoticeWebhook NoticeChannel = "webhook"
	NoticeEmail   NoticeChannel = "email"
)

// NoticeState is where a delivery stands.
type NoticeState string

// The states of a delivery.
const (
	NoticePending   NoticeState = "pending"
	NoticeDelivered NoticeState = "delivered"
	NoticeFailed    NoticeState = "failed" // given up; LastError says why
)

// NoticeDelivery is one notice on one channel in the outbox.
type NoticeDelivery struct {
	Notice  complaints.Notice
	Channel NoticeChannel
	// Targets: the webhook's URL, or the e-mail's recipients.
	Targets   []string
	State     NoticeState
	Attempts  int       // attempts made (counted when claimed)
	NextAt    time.Time // due from then, while pending
	LastError string
	Created   time.Time
	Done      time.Time // delivered or given up
}

// Key names the delivery in messages: notice ID and channel.
func (d NoticeDelivery) Key() string { return d.Notice.ID + "/" + string(d.Channel) }

// Notices is the outbox of complaint notices in PostgreSQL (package
// complaints/notify delivers them): one row per notice and channel,
// claimed by delivery workers with FOR UPDATE SKIP LOCKED for a lease,
// retried at the times the workers set, until delivered or given up.
// Times come from its clock, never PostgreSQL's now(). Safe for
// concurrent use, by several instances on one database.
type Notices struct {
	db    *pgxpool.Pool
	clock clockwork.Clock
}

// NewNotices returns the outbox in db (with the schema; Migrate); nil
// clock: the real one.
func NewNotices(db *pgxpool.Pool, clock clockwork.Clock) *Notices {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &Notices{db: db, clock: clock}
}

// noticeJSON is how a notice is kept in the row.
type noticeJSON struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	ComplaintID string    `json:"complaint_id"`
	Team        string    `json:"team,omitempty"`
	To          []string  `json:"to,omitempty"`
	Subject     string    `json:"subject"`
	Body        string    `json:"body"`
	At          time.Time `json:"at"`
	Due         time.Time `json:"due"`
}

// Enqueue queues the deliveries, due now, in one transaction, and returns
// how many were new: a delivery whose notice ID and channel are already
// queued (delivered, failed or not) is left as it is, so that a notice
// queued again is not sent again.
func (s *Notices) Enqueue(ctx context.Context, ds []NoticeDelivery) (added int, err error) {
	for _, d := range ds {
		switch {
		case d.Notice.ID == "":
			return 0, fmt.Errorf("%w: the notice has no ID", ErrBadNotice)
		case d.Channel != NoticeWebhook && d.Channel != NoticeEmail:
			return 0, fmt.Errorf("%w %s: unknown channel %q", ErrBadNotice, d.Key(), d.Channel)
		case len(d.Targets) == 0:
			return 0, fmt.Errorf("%w %s: nowhere to deliver it", ErrBadNotice, d.Key())
		}
	}
	now := s.clock.Now()
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		for _, d := range ds {
			n := d.Notice
			body, err := json.Marshal(noticeJSON{ID: n.ID, Kind: string(n.Kind), ComplaintID: n.ComplaintID,
				Team: n.Team, To: n.To, Subject: n.Subject, Body: n.Body, At: n.At, Due: n.Due})
			if err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, `INSERT INTO complaint_notices
				(notice_id, channel, complaint_id, kind, team, targets, notice, next_at, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
				ON CONFLICT (notice_id, channel) DO NOTHING`,
				n.ID, string(d.Channel), n.ComplaintID, string(n.Kind), n.Team, d.Targets, body, now)
			if err != nil {
				return fmt.Errorf("%s: %w", d.Key(), err)
			}
			added += int(tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queueing notices: %w", err)
	}
	return added, nil
}

const noticeColumns = `notice, channel, targets, state, attempts, next_at, coalesce(last_error, ''),
	created_at, coalesce(done_at, 'epoch'::timestamptz)`

func scanNotice(row pgx.CollectableRow) (NoticeDelivery, error) {
	var d NoticeDelivery
	var body []byte
	var channel, state string
	if err := row.Scan(&body, &channel, &d.Targets, &state, &d.Attempts, &d.NextAt, &d.LastError,
		&d.Created, &d.Done); err != nil {
		return d, err
	}
	var n noticeJSON
	if err := json.Unmarshal(body, &n); err != nil {
		return d, fmt.Errorf("reading a queued notice: %w", err)
	}
	d.Notice = complaints.Notice{ID: n.ID, Kind: complaints.NoticeKind(n.Kind), ComplaintID: n.ComplaintID,
		Team: n.Team, To: n.To, Subject: n.Subject, Body: n.Body, At: n.At, Due: n.Due}
	d.Channel, d.State = NoticeChannel(channel), NoticeState(state)
	d.NextAt, d.Created = d.NextAt.UTC(), d.Created.UTC()
	if d.Done.Equal(time.Unix(0, 0)) {
		d.Done = time.Time{}
	} else {
		d.Done = d.Done.UTC()
	}
	return d, nil
}

// Claim claims up to n pending deliveries that are due (their NextAt
// come, unclaimed or their lease run out) for instance, for lease,
// earliest due first, and counts an attempt on each. Instances claiming
// at once get different rows (FOR UPDATE SKIP LOCKED) and never wait for
// each other.
func (s *Notices) Claim(ctx context.Context, instance string, n int, lease time.Duration) ([]NoticeDelivery, error) {
	if instance == "" {
		return nil, fmt.Errorf("%w: claiming notices", ErrNoInstance)
	}
	now := s.clock.Now()
	rows, _ := s.db.Query(ctx, `UPDATE complaint_notices c
		SET claimed_by = $1, lease_until = $2, attempts = c.attempts + 1
		FROM (SELECT notice_id AS due_id, channel AS due_channel FROM complaint_notices
			WHERE state = 'pending' AND next_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
			ORDER BY next_at, notice_id, channel LIMIT $4
			FOR UPDATE SKIP LOCKED) due
		WHERE c.notice_id = due.due_id AND c.channel = due.due_channel
		RETURNING `+noticeColumns,
		instance, now.Add(lease), now, n)
	ds, err := pgx.CollectRows(rows, scanNotice)
	if err != nil {
		return nil, fmt.Errorf("claiming notices for %s: %w", instance, err)
	}
	return ds, nil
}

// Recover hands back the pending deliveries instance had claimed when it
// stopped, due at once, and returns how many. Call it when the instance
// starts, before it claims anything.
func (s *Notices) Recover(ctx context.Context, instance string) (int, error) {
	if instance == "" {
		return 0, fmt.Errorf("%w: recovering notices", ErrNoInstance)
	}
	tag, err := s.db.Exec(ctx, `UPDATE complaint_notices SET claimed_by = NULL, lease_until = NULL,
		next_at = least(next_at, $2) WHERE claimed_by = $1 AND state = 'pending'`, instance, s.clock.Now())
	if err != nil {
		return 0, fmt.Errorf("recovering the notices of %s: %w", instance, err)
	}
	return int(tag.RowsAffected()), nil
}

// NextDue returns when the earliest pending delivery is due (its NextAt,
// or the end of its lease when it is claimed); ok is false when none is
// pending.
func (s *Notices) NextDue(ctx context.Context) (at time.Time, ok bool, err error) {
	var next *time.Time
	err = s.db.QueryRow(ctx, `SELECT min(greatest(next_at, coalesce(lease_until, next_at)))
		FROM complaint_notices WHERE state = 'pending'`).Scan(&next)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reading when the next notice is due: %w", err)
	}
	if next == nil {
		return time.Time{}, false, nil
	}
	return next.UTC(), true, nil
}

// Delivered records that instance delivered its claimed delivery.
func (s *Notices) Delivered(ctx context.Context, instance, noticeID string, channel NoticeChannel) error {
	return s.finish(ctx, instance, noticeID, channel, `state = 'delivered', done_at = $4, last_error = NULL`,
		"recording the delivery of", s.clock.Now())
}

// Retry ends instance's claim on a delivery that failed for reason, due
// again at at.
func (s *Notices) Retry(ctx context.Context, instance, noticeID string, channel NoticeChannel, reason string, at time.Time) error {
	return s.finish(ctx, instance, noticeID, channel, `next_at = $4, last_error = $5`,
		"putting back", at, text(reason))
}

// Fail gives the delivery up for reason, which is kept.
func (s *Notices) Fail(ctx context.Context, instance, noticeID string, channel NoticeChannel, reason string) error {
	return s.finish(ctx, instance, noticeID, channel, `state = 'failed', done_at = $4, last_error = $5`,
		"giving up", s.clock.Now(), text(reason))
}

func (s *Notices) finish(ctx context.Context, instance, noticeID string, channel NoticeChannel, set, what string, args ...any) error {
	tag, err := s.db.Exec(ctx, `UPDATE complaint_notices SET `+set+`, claimed_by = NULL, lease_until = NULL
		WHERE notice_id = $1 AND channel = $2 AND claimed_by = $3 AND state = 'pending'`,
		append([]any{noticeID, string(channel), instance}, args...)...)
	if err != nil {
		return fmt.Errorf("%s notice %s/%s: %w", what, noticeID, channel, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s/%s", ErrNoticeLost, noticeID, channel)
	}
	return nil
}

// Get returns the delivery of the notice on the channel, or
// ErrUnknownNotice.
func (s *Notices) Get(ctx context.Context, noticeID string, channel NoticeChannel) (NoticeDelivery, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+noticeColumns+` FROM complaint_notices
		WHERE notice_id = $1 AND channel = $2`, noticeID, string(channel))
	d, err := pgx.CollectExactlyOneRow(rows, scanNotice)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, fmt.Errorf("%w: %s/%s", ErrUnknownNotice, noticeID, channel)
	}
	if err != nil {
		return d, fmt.Errorf("reading notice %s/%s: %w", noticeID, channel, err)
	}
	return d, nil
}

// OfComplaint returns the deliveries of a complaint's notices, oldest
// first.
func (s *Notices) OfComplaint(ctx context.Context, complaintID string) ([]NoticeDelivery, error) {
	rows, _ := s.db.Query(ctx, `SELECT `+noticeColumns+` FROM complaint_notices
		WHERE complaint_id = $1 ORDER BY created_at, notice_id, channel`, complaintID)
	ds, err := pgx.CollectRows(rows, scanNotice)
	if err != nil {
		return nil, fmt.Errorf("reading the notices of complaint %q: %w", complaintID, err)
	}
	return ds, nil
}
