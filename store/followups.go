package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hotline-ivr/hotline/complaints/followup"
)

// Followups keeps the follow-up visits in PostgreSQL for package
// complaints/followup (it is a followup.Store): the tasks, made once per
// source (source_key) and numbered without gaps per day, their attempts,
// the claims of due automated tasks (one per number at a time, within the
// per-number limits, leased to an instance) and the reaping of expired
// leases. The rules are package followup's. Safe for concurrent use.
type Followups struct {
	db *pgxpool.Pool
}

// NewFollowups returns the follow-ups' store on db (with the schema;
// Migrate).
func NewFollowups(db *pgxpool.Pool) *Followups { return &Followups{db: db} }

var _ followup.Store = (*Followups)(nil)

// The advisory locks that serialise the making of tasks (gapless
// numbers: no two makers take numbers for one source) and the claims
// (no two instances claim one number at once).
const (
	followupMakeLock  = 0x666f6c6c6f7701
	followupClaimLock = 0x666f6c6c6f7702
)

const followupCols = `id, reason, complaint_id, call_id, hotline, number, mode, state, team, agent,
	created_at, not_before, attempts, max_attempts,
	reached, satisfied, answers, note, result_call, result_by, result_at,
	instance, lease_until`

func scanFollowup(row pgx.Row) (followup.Task, followup.Lease, error) {
	var t followup.Task
	var l followup.Lease
	var reached, satisfied *bool
	var answers []byte
	var note, rcall, rby string
	var rat, lease *time.Time
	err := row.Scan(&t.ID, &t.Reason, &t.ComplaintID, &t.CallID, &t.Hotline, &t.Number, &t.Mode, &t.State, &t.Team, &t.Agent,
		&t.Created, &t.NotBefore, &t.Attempts, &t.MaxAttempts,
		&reached, &satisfied, &answers, &note, &rcall, &rby, &rat,
		&l.Instance, &lease)
	if err != nil {
		return t, l, err
	}
	t.Created, t.NotBefore = t.Created.UTC(), t.NotBefore.UTC()
	l.Until = deref(lease).UTC()
	if reached != nil {
		r := &followup.Result{Reached: *reached, Satisfied: satisfied, Note: note, CallID: rcall, By: rby, At: deref(rat).UTC()}
		if len(answers) > 0 && string(answers) != "{}" {
			if err := json.Unmarshal(answers, &r.Answers); err != nil {
				return t, l, fmt.Errorf("follow-up %s's answers: %w", t.ID, err)
			}
		}
		t.Result = r
	}
	return t, l, nil
}

func collectFollowups(rows pgx.Rows) ([]followup.Task, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (followup.Task, error) {
		t, _, err := scanFollowup(row)
		return t, err
	})
}

// followupID is the task's ID from its day and number (six digits at
// least).
const followupID = `'F' || @day || '-' || lpad(%[1]s::text, greatest(6, length(%[1]s::text)), '0')`

// Create stores t under key unless a task has it already (then it
// returns that one, created false).
func (s *Followups) Create(ctx context.Context, day, key string, t followup.Task) (followup.Task, bool, error) {
	var out followup.Task
	created := false
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(followupMakeLock)); err != nil {
			return err
		}
		var err error
		out, _, err = scanFollowup(tx.QueryRow(ctx, `SELECT `+followupCols+` FROM followups WHERE source_key = $1`, key))
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `
			INSERT INTO followup_days (day, last) VALUES ($1, 1)
			ON CONFLICT (day) DO UPDATE SET last = followup_days.last + 1
			RETURNING last`, day).Scan(&n); err != nil {
			return err
		}
		t.ID = fmt.Sprintf("F%s-%06d", day, n)
		if _, err := tx.Exec(ctx, `
			INSERT INTO followups (id, source_key, reason, complaint_id, call_id, hotline, number, mode, state, team, agent,
				created_at, not_before, attempts, max_attempts)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14)`,
			t.ID, key, t.Reason, t.ComplaintID, t.CallID, t.Hotline, t.Number, t.Mode, t.State, t.Team, t.Agent,
			t.Created, t.NotBefore, t.MaxAttempts); err != nil {
			return err
		}
		out, created = t, true
		return nil
	})
	if err != nil {
		return followup.Task{}, false, fmt.Errorf("storing follow-up %s: %w", key, err)
	}
	return out, created, nil
}

// The triggers' candidates: source_key, reason, complaint_id, call_id,
// hotline, number, team, agent, and the trigger's time (at), none with a
// task yet.
const (
	complaintCandidates = `
		SELECT 'complaint:' || c.id || ':' || r.seq AS source_key, 'complaint' AS reason, c.id AS complaint_id,
			c.call_id, c.hotline, c.contact AS number,
			CASE WHEN @mode = 'preview' THEN coalesce(c.teams[1], '') ELSE '' END AS team,
			CASE WHEN @mode = 'preview' THEN c.owner ELSE '' END AS agent,
			r.at
		FROM complaints c
		JOIN LATERAL (SELECT seq, at FROM complaint_changes
			WHERE complaint_id = c.id AND action = 'resolve' ORDER BY seq DESC LIMIT 1) r ON true
		WHERE c.state = 'resolved' AND r.at >= @since::timestamptz
		  AND NOT EXISTS (SELECT 1 FROM followups f WHERE f.source_key = 'complaint:' || c.id || ':' || r.seq)`
	callCandidates = `
		SELECT '%[1]s:' || c.id AS source_key, '%[1]s' AS reason, '' AS complaint_id,
			c.id AS call_id, coalesce(c.hotline, '') AS hotline, c.caller AS number,
			CASE WHEN @mode = 'preview' THEN @team ELSE '' END AS team, '' AS agent,
			c.ended_at AS at
		FROM calls c
		WHERE c.arrived_at >= @since::timestamptz - interval '1 day' AND c.ended_at >= @since::timestamptz AND c.ended_at <= @now::timestamptz
		  AND coalesce(c.caller, '') <> '' AND NOT coalesce(c.hotline, '') = ANY(@exclude)
		  AND %[2]s
		  AND NOT EXISTS (SELECT 1 FROM followups f WHERE f.source_key = '%[1]s:' || c.id)`
	dispositionWhere = `c.disposition = ANY(@codes)`
	// sampleWhere: answered by an agent, and the call ID's md5's first 32
	// bits below the share: a stable pick, the same on every pass.
	sampleWhere = `c.agent_answered_at IS NOT NULL
		  AND ('x' || substr(md5(c.id), 1, 8))::bit(32)::bigint < @share::float8 * 4294967296`
)

// makeSQL numbers a trigger's candidates in the day and inserts them:
// one statement.
var makeSQL = `
	WITH cand AS (%s),
	n AS (SELECT count(*) AS k FROM cand),
	d AS (
		INSERT INTO followup_days AS fd (day, last) SELECT @day, k FROM n WHERE k > 0
		ON CONFLICT (day) DO UPDATE SET last = fd.last + EXCLUDED.last
		RETURNING last),
	num AS (SELECT cand.*, row_number() OVER (ORDER BY at, source_key) AS rn FROM cand)
	INSERT INTO followups (id, source_key, reason, complaint_id, call_id, hotline, number, mode, state, team, agent,
		created_at, not_before, attempts, max_attempts)
	SELECT ` + fmt.Sprintf(followupID, "(d.last - n.k + num.rn)") + `, num.source_key, num.reason, num.complaint_id,
		num.call_id, num.hotline, num.number, @mode,
		CASE WHEN @mode = 'auto' THEN 'pending' ELSE 'offered' END, num.team, num.agent,
		@now::timestamptz, greatest(num.at + @delay::interval, @now::timestamptz), 0,
		CASE WHEN @mode = 'auto' THEN @attempts::integer ELSE @pattempts::integer END
	FROM num, d, n
	RETURNING ` + followupCols

// Trigger makes the tasks the triggers call for, each trigger in one
// statement, under the lock that keeps the day's numbers gapless.
func (s *Followups) Trigger(ctx context.Context, day string, now time.Time, tr followup.Triggers) ([]followup.Task, error) {
	within := tr.Within
	if within <= 0 {
		within = 7 * 24 * time.Hour
	}
	exclude := tr.Exclude
	if exclude == nil {
		exclude = []string{}
	}
	codes := tr.Codes
	if codes == nil {
		codes = []string{}
	}
	type trig struct {
		mode followup.Mode
		sql  string
	}
	var out []followup.Task
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(followupMakeLock)); err != nil {
			return err
		}
		for _, t := range []trig{
			{tr.Complaint, complaintCandidates},
			{tr.Dispositions, fmt.Sprintf(callCandidates, followup.ForDisposition, dispositionWhere)},
			{tr.Sample, fmt.Sprintf(callCandidates, followup.ForSample, sampleWhere)},
		} {
			if t.mode == "" {
				continue
			}
			rows, err := tx.Query(ctx, fmt.Sprintf(makeSQL, t.sql), pgx.NamedArgs{
				"day": day, "now": now, "since": now.Add(-within), "mode": string(t.mode), "team": tr.Team,
				"exclude": exclude, "codes": codes, "share": tr.Share, "delay": tr.Delay, "attempts": tr.MaxAttempts, "pattempts": tr.PreviewAttempts,
			})
			if err != nil {
				return err
			}
			made, err := collectFollowups(rows)
			if err != nil {
				return err
			}
			out = append(out, made...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("making follow-up tasks: %w", err)
	}
	return out, nil
}

// CancelStale cancels the waiting tasks of complaints no longer resolved
// by the resolution that made them.
func (s *Followups) CancelStale(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.db.Exec(ctx, `
		UPDATE followups f SET state = 'cancelled'
		FROM complaints c
		WHERE f.complaint_id <> '' AND f.state IN ('pending', 'offered') AND c.id = f.complaint_id
		  AND (c.state <> 'resolved' OR f.source_key <> 'complaint:' || c.id || ':' ||
			(SELECT max(seq) FROM complaint_changes WHERE complaint_id = c.id AND action = 'resolve'))`)
	if err != nil {
		return 0, fmt.Errorf("cancelling the follow-ups of complaints that moved on: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Claim takes due automated tasks within the per-number limits, one per
// number, under the lock that serialises claims.
func (s *Followups) Claim(ctx context.Context, now time.Time, instance string, leaseUntil time.Time, limit int, l followup.Limits) ([]followup.Task, error) {
	if instance == "" {
		return nil, fmt.Errorf("%w: claiming follow-ups", ErrNoInstance)
	}
	var out []followup.Task
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(followupClaimLock)); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			WITH due AS (
				SELECT DISTINCT ON (f.number) f.id
				FROM followups f
				WHERE f.state = 'pending' AND f.mode = 'auto' AND f.not_before <= @now
				  AND NOT EXISTS (SELECT 1 FROM followups o WHERE o.number = f.number AND o.state = 'dialling')
				  AND NOT EXISTS (SELECT 1 FROM followup_attempts a
					WHERE a.number = f.number AND a.started_at > @now::timestamptz - @gap::interval)
				  AND (@perday = 0 OR (SELECT count(*) FROM followup_attempts a
					WHERE a.number = f.number AND a.started_at > @now::timestamptz - interval '24 hours') < @perday)
				ORDER BY f.number, f.not_before, f.id),
			pick AS (
				SELECT id FROM followups WHERE id IN (SELECT id FROM due) AND state = 'pending'
				ORDER BY not_before, id LIMIT @limit FOR UPDATE SKIP LOCKED)
			UPDATE followups f SET state = 'dialling', attempts = f.attempts + 1, instance = @instance, lease_until = @until
			FROM pick WHERE f.id = pick.id
			RETURNING `+prefixed("f.", followupCols), pgx.NamedArgs{
			"now": now, "gap": l.Gap, "perday": l.PerDay, "limit": limit, "instance": instance, "until": leaseUntil,
		})
		if err != nil {
			return err
		}
		if out, err = collectFollowups(rows); err != nil {
			return err
		}
		for i := range out {
			t := &out[i]
			a := followup.Attempt{Seq: t.Attempts, Number: t.Number, Started: now.UTC(), By: followup.By}
			if _, err := tx.Exec(ctx, `
				INSERT INTO followup_attempts (followup_id, seq, number, started_at, by_whom, instance)
				VALUES ($1, $2, $3, $4, $5, $6)`, t.ID, a.Seq, a.Number, a.Started, a.By, instance); err != nil {
				return err
			}
			t.Tries = append(t.Tries, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claiming follow-ups: %w", err)
	}
	return out, nil
}

// prefixed qualifies each of the columns with p.
func prefixed(p, cols string) string {
	fields := strings.Split(cols, ",")
	for i, f := range fields {
		fields[i] = p + strings.TrimSpace(f)
	}
	return strings.Join(fields, ", ")
}

// NumberUse counts the attempts to number in the 24 h before now and
// finds the last one's start.
func (s *Followups) NumberUse(ctx context.Context, number string, now time.Time) (int, time.Time, error) {
	var n int
	var last *time.Time
	err := s.db.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE started_at > $2::timestamptz - interval '24 hours' AND started_at <= $2), max(started_at)
		FROM followup_attempts WHERE number = $1`, number, now).Scan(&n, &last)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("reading the follow-up calls to a number: %w", err)
	}
	return n, deref(last).UTC(), nil
}

// Expired lists the dialling tasks whose lease ended before now, or every
// dialling task of instance.
func (s *Followups) Expired(ctx context.Context, now time.Time, instance string) ([]string, error) {
	var rows pgx.Rows
	var err error
	if instance != "" {
		rows, err = s.db.Query(ctx, `SELECT id FROM followups WHERE state = 'dialling' AND instance = $1 ORDER BY id`, instance)
	} else {
		rows, err = s.db.Query(ctx, `SELECT id FROM followups WHERE state = 'dialling' AND lease_until < $1 ORDER BY id`, now)
	}
	if err != nil {
		return nil, fmt.Errorf("listing the follow-ups' expired claims: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("listing the follow-ups' expired claims: %w", err)
	}
	return ids, nil
}

func tries(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, id string) ([]followup.Attempt, error) {
	rows, err := q.Query(ctx, `
		SELECT seq, number, started_at, ended_at, call_id, by_whom, outcome
		FROM followup_attempts WHERE followup_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (followup.Attempt, error) {
		var a followup.Attempt
		var ended *time.Time
		err := row.Scan(&a.Seq, &a.Number, &a.Started, &ended, &a.CallID, &a.By, &a.Outcome)
		a.Started, a.Ended = a.Started.UTC(), deref(ended).UTC()
		return a, err
	})
}

// Update applies step to the task held FOR UPDATE and stores the task and
// its tries as step left them, in one transaction.
func (s *Followups) Update(ctx context.Context, id string, step func(*followup.Task, *followup.Lease) error) (followup.Task, error) {
	var t followup.Task
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var l followup.Lease
		var err error
		t, l, err = scanFollowup(tx.QueryRow(ctx, `SELECT `+followupCols+` FROM followups WHERE id = $1 FOR UPDATE`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("follow-up %q: %w", id, followup.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("reading follow-up %q: %w", id, err)
		}
		if t.Tries, err = tries(ctx, tx, id); err != nil {
			return fmt.Errorf("reading follow-up %q's attempts: %w", id, err)
		}
		before := len(t.Tries)
		if err := step(&t, &l); err != nil {
			return err
		}
		if t.State != followup.Dialling {
			l = followup.Lease{}
		}
		var reached, satisfied *bool
		answers := []byte("{}")
		var note, rcall, rby string
		var rat *time.Time
		if r := t.Result; r != nil {
			reached, satisfied, note, rcall, rby, rat = &r.Reached, r.Satisfied, r.Note, r.CallID, r.By, nullTime(r.At)
			if len(r.Answers) > 0 {
				if answers, err = json.Marshal(r.Answers); err != nil {
					return err
				}
			}
		}
		if _, err := tx.Exec(ctx, `
			UPDATE followups SET mode = $2, state = $3, team = $4, agent = $5, not_before = $6, attempts = $7, max_attempts = $8,
				instance = $9, lease_until = $10,
				reached = $11, satisfied = $12, answers = $13, note = $14, result_call = $15, result_by = $16, result_at = $17
			WHERE id = $1`,
			id, t.Mode, t.State, t.Team, t.Agent, t.NotBefore, t.Attempts, t.MaxAttempts,
			l.Instance, nullTime(l.Until),
			reached, satisfied, answers, note, rcall, rby, rat); err != nil {
			return fmt.Errorf("updating follow-up %q: %w", id, err)
		}
		if len(t.Tries) < before { // attempts given back (never dialled)
			if _, err := tx.Exec(ctx, `DELETE FROM followup_attempts WHERE followup_id = $1 AND seq > $2`, id, len(t.Tries)); err != nil {
				return fmt.Errorf("giving back follow-up %q's attempts: %w", id, err)
			}
		}
		for i, a := range t.Tries {
			if i < before {
				if _, err := tx.Exec(ctx, `
					UPDATE followup_attempts SET ended_at = $3, call_id = $4, outcome = $5
					WHERE followup_id = $1 AND seq = $2`, id, a.Seq, nullTime(a.Ended), a.CallID, a.Outcome); err != nil {
					return fmt.Errorf("updating follow-up %q's attempt %d: %w", id, a.Seq, err)
				}
				continue
			}
			if _, err := tx.Exec(ctx, `
				INSERT INTO followup_attempts (followup_id, seq, number, started_at, ended_at, call_id, by_whom, instance, outcome)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				id, a.Seq, a.Number, a.Started, nullTime(a.Ended), a.CallID, a.By, l.Instance, a.Outcome); err != nil {
				return fmt.Errorf("keeping follow-up %q's attempt %d: %w", id, a.Seq, err)
			}
		}
		return nil
	})
	if err != nil {
		return followup.Task{}, err
	}
	return t, nil
}

// Get returns the task with its tries.
func (s *Followups) Get(ctx context.Context, id string) (followup.Task, error) {
	t, _, err := scanFollowup(s.db.QueryRow(ctx, `SELECT `+followupCols+` FROM followups WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return followup.Task{}, fmt.Errorf("follow-up %q: %w", id, followup.ErrNotFound)
	}
	if err != nil {
		return followup.Task{}, fmt.Errorf("reading follow-up %q: %w", id, err)
	}
	if t.Tries, err = tries(ctx, s.db, id); err != nil {
		return followup.Task{}, fmt.Errorf("reading follow-up %q's attempts: %w", id, err)
	}
	return t, nil
}

// List returns the tasks f selects, newest first (f.Limit of them; 0: 50,
// at most 500).
func (s *Followups) List(ctx context.Context, f followup.Filter) ([]followup.Task, error) {
	var where []string
	args := pgx.NamedArgs{}
	if len(f.States) > 0 {
		st := make([]string, len(f.States))
		for i, v := range f.States {
			st[i] = string(v)
		}
		where, args["states"] = append(where, "state = ANY(@states)"), st
	}
	if f.Mode != "" {
		where, args["mode"] = append(where, "mode = @mode"), string(f.Mode)
	}
	if f.Agent != "" {
		where, args["agent"] = append(where, "agent = @agent"), f.Agent
	}
	if f.Team != "" {
		where, args["team"] = append(where, "team = @team"), f.Team
	}
	if f.ComplaintID != "" {
		where, args["complaint"] = append(where, "complaint_id = @complaint"), f.ComplaintID
	}
	if !f.From.IsZero() {
		where, args["from"] = append(where, "created_at >= @from"), f.From
	}
	if !f.To.IsZero() {
		where, args["to"] = append(where, "created_at < @to"), f.To
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	args["limit"] = min(limit, 500)
	q := `SELECT ` + followupCols + ` FROM followups`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT @limit"
	rows, err := s.db.Query(ctx, q, args)
	if err != nil {
		return nil, fmt.Errorf("listing follow-ups: %w", err)
	}
	out, err := collectFollowups(rows)
	if err != nil {
		return nil, fmt.Errorf("listing follow-ups: %w", err)
	}
	return out, nil
}
