package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hotline-ivr/hotline/complaints"
)

// Complaints keeps complaints in PostgreSQL for package complaints (it is
// a complaints.Store): the records with both their clocks, every change,
// and the claims of the clocks' warnings and breaches, held FOR UPDATE
// SKIP LOCKED while their notices are queued and marked sent in the same
// transaction, so that each is sent once however many instances scan. The rules are package complaints';
// Complaints applies a step inside a transaction holding the row. Safe
// for concurrent use.
type Complaints struct {
	db *pgxpool.Pool
}

// NewComplaints returns the complaints' store on db (with the schema;
// Migrate).
func NewComplaints(db *pgxpool.Pool) *Complaints { return &Complaints{db: db} }

var _ complaints.Store = (*Complaints)(nil)

const complaintCols = `id, call_id, hotline, source, registered_at, complainant, contact, content, category, wants,
	owner, teams, state, resolution,
	resolve_due, resolve_warn_at, resolve_warned, resolve_breached,
	feedback_due, feedback_warn_at, feedback_warned, feedback_breached, message_recording`

func scanComplaint(row pgx.Row) (complaints.Record, error) {
	var r complaints.Record
	var rd, rw, fd, fw *time.Time
	err := row.Scan(&r.ID, &r.CallID, &r.Hotline, &r.Source, &r.Registered, &r.Complainant, &r.Contact, &r.Content, &r.Category, &r.Wants,
		&r.Owner, &r.Teams, &r.State, &r.Resolution,
		&rd, &rw, &r.Resolve.Warned, &r.Resolve.Breached,
		&fd, &fw, &r.Feedback.Warned, &r.Feedback.Breached, &r.MessageRecording)
	r.Resolve.Due, r.Resolve.WarnAt, r.Feedback.Due, r.Feedback.WarnAt = deref(rd), deref(rw), deref(fd), deref(fw)
	return r, err
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// nullTime is NULL for the zero time.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Create stores a new complaint with its first change and gives it its
// ID: "C", the day, "-", the day's next number (six digits at least).
func (s *Complaints) Create(ctx context.Context, day string, r complaints.Record, first complaints.Change) (complaints.Record, error) {
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var err error
		r, err = createComplaint(ctx, tx, day, r, first, nil)
		return err
	})
	if err != nil {
		return complaints.Record{}, fmt.Errorf("storing a complaint: %w", err)
	}
	return r, nil
}

// createComplaint numbers r in day and stores it with its first change;
// ivrEvent is the call event an IVR complaint is registered from (nil:
// none).
func createComplaint(ctx context.Context, tx pgx.Tx, day string, r complaints.Record, first complaints.Change, ivrEvent *int) (complaints.Record, error) {
	err := func() error {
		var n int
		if err := tx.QueryRow(ctx, `
			INSERT INTO complaint_days (day, last) VALUES ($1, 1)
			ON CONFLICT (day) DO UPDATE SET last = complaint_days.last + 1
			RETURNING last`, day).Scan(&n); err != nil {
			return err
		}
		r.ID = fmt.Sprintf("C%s-%06d", day, n)
		if _, err := tx.Exec(ctx, `
			INSERT INTO complaints (`+complaintCols+`, ivr_event)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`,
			r.ID, r.CallID, r.Hotline, r.Source, r.Registered, r.Complainant, r.Contact, r.Content, r.Category, r.Wants,
			r.Owner, r.Teams, r.State, r.Resolution,
			nullTime(r.Resolve.Due), nullTime(r.Resolve.WarnAt), r.Resolve.Warned, r.Resolve.Breached,
			nullTime(r.Feedback.Due), nullTime(r.Feedback.WarnAt), r.Feedback.Warned, r.Feedback.Breached,
			r.MessageRecording, ivrEvent); err != nil {
			return err
		}
		first.Seq = 1
		return insertChange(ctx, tx, r.ID, first)
	}()
	return r, err
}

func insertChange(ctx context.Context, tx pgx.Tx, id string, c complaints.Change) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO complaint_changes (complaint_id, seq, at, actor, action, from_state, to_state, note, team, due)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		id, c.Seq, c.At, c.Actor, c.Action, c.From, c.To, c.Note, c.Team, nullTime(c.Due))
	return err
}

// Get returns the complaint and its changes in order.
func (s *Complaints) Get(ctx context.Context, id string) (complaints.Record, []complaints.Change, error) {
	r, err := scanComplaint(s.db.QueryRow(ctx, `SELECT `+complaintCols+` FROM complaints WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return complaints.Record{}, nil, fmt.Errorf("complaint %q: %w", id, complaints.ErrNotFound)
	}
	if err != nil {
		return complaints.Record{}, nil, fmt.Errorf("reading complaint %q: %w", id, err)
	}
	rows, err := s.db.Query(ctx, `
		SELECT seq, at, actor, action, from_state, to_state, note, team, due
		FROM complaint_changes WHERE complaint_id = $1 ORDER BY seq`, id)
	if err != nil {
		return complaints.Record{}, nil, fmt.Errorf("reading complaint %q's changes: %w", id, err)
	}
	changes, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (complaints.Change, error) {
		var c complaints.Change
		var due *time.Time
		err := row.Scan(&c.Seq, &c.At, &c.Actor, &c.Action, &c.From, &c.To, &c.Note, &c.Team, &due)
		c.Due = deref(due)
		return c, err
	})
	if err != nil {
		return complaints.Record{}, nil, fmt.Errorf("reading complaint %q's changes: %w", id, err)
	}
	return r, changes, nil
}

// List returns the complaints f selects, newest first (f.Limit of them;
// 0: 50).
func (s *Complaints) List(ctx context.Context, f complaints.Filter, now time.Time) ([]complaints.Record, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, st := range f.States {
			states[i] = string(st)
		}
		where = append(where, "state = ANY("+arg(states)+")")
	}
	if f.Owner != "" {
		where = append(where, "owner = "+arg(f.Owner))
	}
	if f.Unowned {
		where = append(where, "owner = ''")
	}
	if f.Team != "" {
		where = append(where, "teams @> ARRAY["+arg(f.Team)+"]::text[]")
	}
	if f.Category != "" {
		where = append(where, "category = "+arg(f.Category))
	}
	if f.Contact != "" {
		where = append(where, "contact = "+arg(f.Contact))
	}
	if f.Overdue {
		n := arg(now)
		where = append(where, "(resolve_due <= "+n+" OR feedback_due <= "+n+")")
	}
	if !f.From.IsZero() {
		where = append(where, "registered_at >= "+arg(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "registered_at < "+arg(f.To))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	q := `SELECT ` + complaintCols + ` FROM complaints`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Overdue {
		// The overdue are few among the open, and the oldest: found by
		// their deadlines' indexes, then sorted. Without the fence
		// (OFFSET 0) the planner walks the newest first and filters,
		// through all the open ones.
		q = `SELECT ` + complaintCols + ` FROM (` + q + ` OFFSET 0) c`
	}
	q += " ORDER BY registered_at DESC, id DESC LIMIT " + arg(min(limit, 500))
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("listing complaints: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (complaints.Record, error) { return scanComplaint(row) })
	if err != nil {
		return nil, fmt.Errorf("listing complaints: %w", err)
	}
	return out, nil
}

// Update applies step to the complaint locked FOR UPDATE, stores the
// result and the change step returns, numbered next, in one transaction.
// The owner is stored only while the complaint has none: once set it
// never changes, whatever step says (首问负责制).
func (s *Complaints) Update(ctx context.Context, id string, step func(*complaints.Record) (complaints.Change, error)) (complaints.Record, complaints.Change, error) {
	var r complaints.Record
	var ch complaints.Change
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var err error
		r, err = scanComplaint(tx.QueryRow(ctx, `SELECT `+complaintCols+` FROM complaints WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("complaint %q: %w", id, complaints.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("reading complaint %q: %w", id, err)
		}
		if ch, err = step(&r); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `
			UPDATE complaints SET teams = $2, state = $3, resolution = $4,
				resolve_due = $5, resolve_warn_at = $6, resolve_warned = $7, resolve_breached = $8,
				feedback_due = $9, feedback_warn_at = $10, feedback_warned = $11, feedback_breached = $12,
				owner = CASE WHEN owner = '' THEN $13 ELSE owner END
			WHERE id = $1`,
			id, r.Teams, r.State, r.Resolution,
			nullTime(r.Resolve.Due), nullTime(r.Resolve.WarnAt), r.Resolve.Warned, r.Resolve.Breached,
			nullTime(r.Feedback.Due), nullTime(r.Feedback.WarnAt), r.Feedback.Warned, r.Feedback.Breached,
			r.Owner); err != nil {
			return fmt.Errorf("updating complaint %q: %w", id, err)
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(seq), 0) + 1 FROM complaint_changes WHERE complaint_id = $1`, id).Scan(&ch.Seq); err != nil {
			return fmt.Errorf("numbering complaint %q's change: %w", id, err)
		}
		if err := insertChange(ctx, tx, id, ch); err != nil {
			return fmt.Errorf("keeping complaint %q's change: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return complaints.Record{}, complaints.Change{}, err
	}
	return r, ch, nil
}

// claimSQL is one of the scan's claims: the rows due, and what marks them
// sent.
type claimSQL struct {
	clock     complaints.ClockName
	kind      complaints.NoticeKind
	due, mark string
	action    complaints.Action // the change kept
	note      string
}

// claims are the scan's four claims, breaches first (a breach marks its
// warning sent too: no warning after the breach). A row is selected FOR
// UPDATE SKIP LOCKED: another scan skips it while it is held, and one
// that waited for it sees it marked (READ COMMITTED rechecks the
// condition on the row's newest version).
var claims = func() []claimSQL {
	var out []claimSQL
	for _, c := range []complaints.ClockName{complaints.ResolveClock, complaints.FeedbackClock} {
		p := string(c)
		out = append(out, claimSQL{c, complaints.NoticeBreach, `
			SELECT ` + complaintCols + ` FROM complaints
			WHERE ` + p + `_due IS NOT NULL AND ` + p + `_due <= $1 AND NOT ` + p + `_breached
			ORDER BY ` + p + `_due LIMIT $2 FOR UPDATE SKIP LOCKED`,
			`UPDATE complaints SET ` + p + `_breached = true, ` + p + `_warned = true WHERE id = ANY($1)`,
			complaints.ActBreach, "the " + p + " clock broke: escalated to the owner and the supervisors",
		}, claimSQL{c, complaints.NoticeWarning, `
			SELECT ` + complaintCols + ` FROM complaints
			WHERE ` + p + `_warn_at IS NOT NULL AND ` + p + `_warn_at <= $1 AND NOT ` + p + `_warned AND NOT ` + p + `_breached
			ORDER BY ` + p + `_warn_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
			`UPDATE complaints SET ` + p + `_warned = true WHERE id = ANY($1)`,
			complaints.ActWarning, "the " + p + " clock's warning: sent to the owner and the supervisors",
		})
	}
	return out
}()

// Claim takes up to limit breaches and up to limit warnings of each clock
// due by now, each kind in a transaction holding its rows: it calls send
// with each and marks those send took (a change by complaints.SystemActor
// kept for each), and stops at send's first error
// (returned; the rest stay unmarked). It returns how many it marked.
func (s *Complaints) Claim(ctx context.Context, now time.Time, limit int, send func(complaints.Due) error) (int, error) {
	total := 0
	for _, c := range claims {
		var sendErr error
		var n int
		err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, c.due, now, limit)
			if err != nil {
				return err
			}
			recs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (complaints.Record, error) { return scanComplaint(row) })
			if err != nil {
				return err
			}
			var sent []string
			for _, r := range recs {
				if sendErr = send(complaints.Due{Record: r, Clock: c.clock, Kind: c.kind}); sendErr != nil {
					break
				}
				sent = append(sent, r.ID)
			}
			if len(sent) > 0 {
				if _, err := tx.Exec(ctx, c.mark, sent); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `
					INSERT INTO complaint_changes (complaint_id, seq, at, actor, action, from_state, to_state, note)
					SELECT c.id, (SELECT coalesce(max(seq), 0) + 1 FROM complaint_changes WHERE complaint_id = c.id),
					       $2, $3, $4, c.state, c.state, $5
					FROM complaints c WHERE c.id = ANY($1)`,
					sent, now, complaints.SystemActor, c.action, c.note); err != nil {
					return err
				}
			}
			n = len(sent)
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("claiming complaints' %s %ss: %w", c.clock, c.kind, err)
		}
		total += n
		if sendErr != nil {
			return total, fmt.Errorf("sending a complaint's %s %s: %w", c.clock, c.kind, sendErr)
		}
	}
	return total, nil
}
