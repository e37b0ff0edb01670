package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
)

// Errors of QA: package evaluation's, under the names store has always
// given them.
var (
	ErrClaimed          = evaluation.ErrClaimed
	ErrNotPicked        = evaluation.ErrNotPicked
	ErrNoEvaluation     = evaluation.ErrNoEvaluation
	ErrNotYours         = evaluation.ErrNotYours
	ErrEvaluated        = evaluation.ErrEvaluated
	ErrNoCalibration    = evaluation.ErrNoCalibration
	ErrNoScorecard      = evaluation.ErrNoScorecard
	ErrNotInCalibration = evaluation.ErrNotInCalibration
)

// qaVersionsLock is the first key of the advisory lock taken per
// scorecard while numbering its versions ("qacard" in spirit).
const qaVersionsLock int32 = 0x71616364

// QA keeps quality assurance's work in PostgreSQL: scorecard versions,
// the review queue, evaluations with every change, timed comments and
// calibrations. The rules come from package evaluation; QA applies them
// inside transactions, so that two reviewers or instances never both
// claim one call or move one evaluation at once. Safe for concurrent use.
type QA struct {
	db    *pgxpool.Pool
	clock clockwork.Clock
}

// NewQA returns QA's store on db (with the schema; Migrate); nil clock:
// the real one.
func NewQA(db *pgxpool.Pool, clock clockwork.Clock) *QA {
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &QA{db: db, clock: clock}
}

// ScorecardVersion numbers card by its contents: contents it had before
// keep their version, new ones get the card's next.
func (q *QA) ScorecardVersion(ctx context.Context, card *scorecard.Scorecard) (int, error) {
	body, err := json.Marshal(card)
	if err != nil {
		return 0, err
	}
	fp := card.Fingerprint()
	var version int
	known := func(tx pgx.Tx) (bool, error) {
		err := tx.QueryRow(ctx, `SELECT version FROM scorecard_versions WHERE scorecard = $1 AND fingerprint = $2`, card.Name, fp).Scan(&version)
		if errors.Is(err, pgx.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}
	err = pgx.BeginFunc(ctx, q.db, func(tx pgx.Tx) error {
		if ok, err := known(tx); ok || err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, qaVersionsLock, card.Name); err != nil {
			return err
		}
		if ok, err := known(tx); ok || err != nil {
			return err
		}
		return tx.QueryRow(ctx, `
			INSERT INTO scorecard_versions (scorecard, version, fingerprint, card)
			SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3 FROM scorecard_versions WHERE scorecard = $1
			RETURNING version`, card.Name, fp, body).Scan(&version)
	})
	if err != nil {
		return 0, fmt.Errorf("numbering a version of scorecard %s: %w", card.Name, err)
	}
	return version, nil
}

// Scorecard returns version of the card called name, as it was.
func (q *QA) Scorecard(ctx context.Context, name string, version int) (*scorecard.Scorecard, error) {
	var body []byte
	err := q.db.QueryRow(ctx, `SELECT card FROM scorecard_versions WHERE scorecard = $1 AND version = $2`, name, version).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNoScorecard
	}
	if err != nil {
		return nil, fmt.Errorf("scorecard %s version %d: %w", name, version, err)
	}
	var card scorecard.Scorecard
	if err := json.Unmarshal(body, &card); err != nil {
		return nil, fmt.Errorf("scorecard %s version %d: %w", name, version, err)
	}
	return &card, nil
}

// AddPicks puts calls in the review queue; a call picked again keeps its
// place and claim and gains the new reasons. It returns how many were new.
func (q *QA) AddPicks(ctx context.Context, picks []evaluation.Pick) (int, error) {
	now := q.clock.Now()
	added := 0
	err := pgx.BeginFunc(ctx, q.db, func(tx pgx.Tx) error {
		for _, p := range picks {
			var inserted bool
			err := tx.QueryRow(ctx, `
				INSERT INTO qa_picks (call_id, agent_id, reasons, picked_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (call_id, agent_id) DO UPDATE
					SET reasons = ARRAY(SELECT DISTINCT r FROM unnest(qa_picks.reasons || EXCLUDED.reasons) AS r ORDER BY r)
				RETURNING xmax = 0`, p.CallID, p.Agent, p.Reasons, now).Scan(&inserted)
			if err != nil {
				return err
			}
			if inserted {
				added++
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("adding calls to the review queue: %w", err)
	}
	return added, nil
}

// ReviewQueue lists the calls waiting for review that have no evaluation
// yet, oldest first: those nobody claimed, and those reviewer claimed
// (its own work in progress); at most limit.
func (q *QA) ReviewQueue(ctx context.Context, reviewer string, limit int) ([]evaluation.Waiting, error) {
	rows, err := q.db.Query(ctx, `
		SELECT p.call_id, p.agent_id, p.reasons, p.picked_at, COALESCE(p.claimed_by, ''), COALESCE(p.claimed_at, 'epoch'), COALESCE(c.ended_at, 'epoch')
		FROM qa_picks p LEFT JOIN calls c ON c.id = p.call_id
		WHERE (p.claimed_by IS NULL OR p.claimed_by = $1)
		  AND NOT EXISTS (SELECT 1 FROM evaluations e WHERE e.call_id = p.call_id AND e.agent_id = p.agent_id
		                  AND e.calibration_id IS NULL AND e.state <> 'draft')
		ORDER BY p.picked_at, p.call_id, p.agent_id
		LIMIT $2`, reviewer, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the review queue: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (evaluation.Waiting, error) {
		var w evaluation.Waiting
		err := r.Scan(&w.CallID, &w.Agent, &w.Reasons, &w.PickedAt, &w.ClaimedBy, &w.ClaimedAt, &w.Ended)
		if w.ClaimedBy == "" {
			w.ClaimedAt = time.Time{}
		}
		if w.Ended.Unix() == 0 {
			w.Ended = time.Time{}
		}
		return w, err
	})
}

// Claim gives the call to reviewer: one reviewer at a time. A claim older
// than lease lapses (a reviewer who left it). Claiming one's own again
// renews it.
func (q *QA) Claim(ctx context.Context, callID, agent, reviewer string, lease time.Duration) error {
	now := q.clock.Now()
	tag, err := q.db.Exec(ctx, `
		UPDATE qa_picks SET claimed_by = $3, claimed_at = $4
		WHERE call_id = $1 AND agent_id = $2 AND (claimed_by IS NULL OR claimed_by = $3 OR claimed_at < $5)`,
		callID, agent, reviewer, now, now.Add(-lease))
	if err != nil {
		return fmt.Errorf("claiming call %s: %w", callID, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var by string
	switch err := q.db.QueryRow(ctx, `SELECT COALESCE(claimed_by, '') FROM qa_picks WHERE call_id = $1 AND agent_id = $2`, callID, agent).Scan(&by); {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("call %s of agent %s: %w", callID, agent, ErrNotPicked)
	case err != nil:
		return fmt.Errorf("claiming call %s: %w", callID, err)
	}
	return fmt.Errorf("call %s: %w (%s)", callID, ErrClaimed, by)
}

// Release gives up reviewer's claim.
func (q *QA) Release(ctx context.Context, callID, agent, reviewer string) error {
	_, err := q.db.Exec(ctx, `UPDATE qa_picks SET claimed_by = NULL, claimed_at = NULL WHERE call_id = $1 AND agent_id = $2 AND claimed_by = $3`,
		callID, agent, reviewer)
	return err
}

// NewEvaluation starts reviewer's draft of the agent's part of the call
// on card (numbered with ScorecardVersion), its sourced items answered as
// suggested. Outside a calibration (calibration 0) the reviewer must hold
// the call's claim, and a call has one evaluation.
func (q *QA) NewEvaluation(ctx context.Context, callID, agent, reviewer string, calibration int64, card *scorecard.Scorecard, suggestions []evaluation.Suggestion) (int64, error) {
	version, err := q.ScorecardVersion(ctx, card)
	if err != nil {
		return 0, err
	}
	answers := scorecard.Answers{}
	for _, s := range suggestions {
		answers[s.Item] = s.Answer
	}
	now := q.clock.Now()
	var id int64
	err = pgx.BeginFunc(ctx, q.db, func(tx pgx.Tx) error {
		if calibration == 0 {
			var by string
			err := tx.QueryRow(ctx, `SELECT COALESCE(claimed_by, '') FROM qa_picks WHERE call_id = $1 AND agent_id = $2 FOR UPDATE`, callID, agent).Scan(&by)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				return fmt.Errorf("call %s of agent %s: %w", callID, agent, ErrNotPicked)
			case err != nil:
				return err
			case by != reviewer:
				return fmt.Errorf("call %s: %w (%s); claim it first", callID, ErrClaimed, by)
			}
		}
		sugg, _ := json.Marshal(suggestions)
		ans, _ := json.Marshal(answers)
		var calib *int64
		if calibration != 0 {
			calib = &calibration
		}
		err := tx.QueryRow(ctx, `
			INSERT INTO evaluations (call_id, agent_id, reviewer, calibration_id, scorecard, scorecard_version, state, answers, suggestions, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $8, $9, $9)
			ON CONFLICT DO NOTHING
			RETURNING id`, callID, agent, reviewer, calib, card.Name, version, ans, sugg, now).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("call %s of agent %s: %w", callID, agent, ErrEvaluated)
		}
		if err != nil {
			return err
		}
		return addChange(ctx, tx, id, evaluation.Change{At: now, Actor: reviewer, Action: evaluation.Create, To: evaluation.Draft, Answers: answers})
	})
	if err != nil {
		return 0, fmt.Errorf("starting an evaluation: %w", err)
	}
	return id, nil
}

func addChange(ctx context.Context, tx pgx.Tx, id int64, c evaluation.Change) error {
	var ans, over []byte
	if c.Answers != nil {
		ans, _ = json.Marshal(c.Answers)
	}
	if len(c.Overrides) > 0 {
		over, _ = json.Marshal(c.Overrides)
	}
	var from *string
	if c.From != "" {
		f := string(c.From)
		from = &f
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO evaluation_changes (evaluation_id, seq, at, actor, action, from_state, to_state, comment, answers, overrides, score)
		SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM evaluation_changes WHERE evaluation_id = $1`,
		id, c.At, c.Actor, string(c.Action), from, string(c.To), c.Comment, ans, over, c.Score)
	return err
}

// Act has actor, playing who, do act to evaluation id, with a comment and,
// for save, submit and rescore, answers (merged over the ones it has).
// Submitting and re-scoring need every item answered; the score is
// computed on the evaluation's own scorecard version. The reviewer acts
// only on their own evaluation, the agent only on one of them.
func (q *QA) Act(ctx context.Context, id int64, actor string, who evaluation.Who, act evaluation.Action, comment string, answers scorecard.Answers) (evaluation.Evaluation, error) {
	now := q.clock.Now()
	err := pgx.BeginFunc(ctx, q.db, func(tx pgx.Tx) error {
		e, err := readEvaluation(ctx, tx, id, true)
		if err != nil {
			return err
		}
		switch {
		case who == evaluation.Reviewer && e.Reviewer != actor,
			who == evaluation.Agent && e.Agent != actor:
			return fmt.Errorf("evaluation %d: %w", id, ErrNotYours)
		}
		to, err := evaluation.Step(e.State, act, who, comment)
		if err != nil {
			return err
		}
		merged := maps.Clone(e.Answers)
		if merged == nil {
			merged = scorecard.Answers{}
		}
		if act == evaluation.Save || act == evaluation.Submit || act == evaluation.Rescore {
			maps.Copy(merged, answers)
		}
		card, err := scorecardIn(ctx, tx, e.Scorecard, e.ScorecardVersion)
		if err != nil {
			return err
		}
		res, scoreErr := card.Score(merged)
		if scoreErr != nil && act != evaluation.Save {
			return scoreErr
		}
		var score *float64
		if scoreErr == nil {
			score = &res.Score
		} else {
			res = scorecard.Result{}
		}
		submitted := e.Submitted
		if act == evaluation.Submit {
			submitted = now
		}
		var sub *time.Time
		if !submitted.IsZero() {
			sub = &submitted
		}
		ans, _ := json.Marshal(merged)
		if _, err := tx.Exec(ctx, `
			UPDATE evaluations SET state = $2, answers = $3, score = $4, grade = NULLIF($5, ''), auto_failed = $6, failed = $7,
				updated_at = $8, submitted_at = $9
			WHERE id = $1`, id, string(to), ans, score, string(res.Grade), nonNil(res.AutoFailed), nonNil(res.Failed), now, sub); err != nil {
			return err
		}
		var logged scorecard.Answers
		if act == evaluation.Save || act == evaluation.Submit || act == evaluation.Rescore {
			logged = merged
		}
		return addChange(ctx, tx, id, evaluation.Change{At: now, Actor: actor, Action: act, From: e.State, To: to, Comment: comment,
			Answers: logged, Overrides: overrides(e.Suggestions, logged), Score: score})
	})
	if err != nil {
		return evaluation.Evaluation{}, fmt.Errorf("evaluation %d: %s: %w", id, act, err)
	}
	return q.Evaluation(ctx, id)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// overrides lists the answers that differ from their suggestions.
func overrides(suggestions []evaluation.Suggestion, answers scorecard.Answers) map[string]evaluation.Override {
	if answers == nil {
		return nil
	}
	out := map[string]evaluation.Override{}
	for _, s := range suggestions {
		if a, ok := answers[s.Item]; ok && a != s.Answer {
			out[s.Item] = evaluation.Override{Suggested: s.Answer, Answered: a}
		}
	}
	return out
}

func scorecardIn(ctx context.Context, tx pgx.Tx, name string, version int) (*scorecard.Scorecard, error) {
	var body []byte
	if err := tx.QueryRow(ctx, `SELECT card FROM scorecard_versions WHERE scorecard = $1 AND version = $2`, name, version).Scan(&body); err != nil {
		return nil, fmt.Errorf("scorecard %s version %d: %w", name, version, err)
	}
	var card scorecard.Scorecard
	return &card, json.Unmarshal(body, &card)
}

// Evaluation reads evaluation id with its changes.
func (q *QA) Evaluation(ctx context.Context, id int64) (evaluation.Evaluation, error) {
	var e evaluation.Evaluation
	err := pgx.BeginFunc(ctx, q.db, func(tx pgx.Tx) error {
		var err error
		e, err = readEvaluation(ctx, tx, id, false)
		return err
	})
	return e, err
}

// EvaluationOf finds the evaluation of the agent's part of a call (not a
// calibration's); ErrNoEvaluation if there is none.
func (q *QA) EvaluationOf(ctx context.Context, callID, agent string) (evaluation.Evaluation, error) {
	var id int64
	err := q.db.QueryRow(ctx, `SELECT id FROM evaluations WHERE call_id = $1 AND agent_id = $2 AND calibration_id IS NULL`, callID, agent).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return evaluation.Evaluation{}, fmt.Errorf("call %s of agent %s: %w", callID, agent, ErrNoEvaluation)
	}
	if err != nil {
		return evaluation.Evaluation{}, err
	}
	return q.Evaluation(ctx, id)
}

func readEvaluation(ctx context.Context, tx pgx.Tx, id int64, lock bool) (evaluation.Evaluation, error) {
	query := `SELECT id, call_id, agent_id, reviewer, COALESCE(calibration_id, 0), scorecard, scorecard_version, state,
		answers, suggestions, score::float8, COALESCE(grade, ''), auto_failed, failed, created_at, updated_at, COALESCE(submitted_at, 'epoch')
		FROM evaluations WHERE id = $1`
	if lock {
		query += ` FOR UPDATE`
	}
	var e evaluation.Evaluation
	var ans, sugg []byte
	var state, grade string
	err := tx.QueryRow(ctx, query, id).Scan(&e.ID, &e.CallID, &e.Agent, &e.Reviewer, &e.CalibrationID, &e.Scorecard, &e.ScorecardVersion,
		&state, &ans, &sugg, &e.Score, &grade, &e.AutoFailed, &e.Failed, &e.Created, &e.Updated, &e.Submitted)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, fmt.Errorf("evaluation %d: %w", id, ErrNoEvaluation)
	}
	if err != nil {
		return e, err
	}
	e.State, e.Grade = evaluation.State(state), scorecard.Grade(grade)
	if e.Submitted.Unix() == 0 {
		e.Submitted = time.Time{}
	}
	if err := json.Unmarshal(ans, &e.Answers); err != nil {
		return e, err
	}
	if err := json.Unmarshal(sugg, &e.Suggestions); err != nil {
		return e, err
	}
	if lock {
		return e, nil
	}
	rows, err := tx.Query(ctx, `SELECT seq, at, actor, action, COALESCE(from_state, ''), to_state, comment, answers, overrides, score::float8
		FROM evaluation_changes WHERE evaluation_id = $1 ORDER BY seq`, id)
	if err != nil {
		return e, err
	}
	e.Changes, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (evaluation.Change, error) {
		var c evaluation.Change
		var action, from, to string
		var ans, over []byte
		if err := r.Scan(&c.Seq, &c.At, &c.Actor, &action, &from, &to, &c.Comment, &ans, &over, &c.Score); err != nil {
			return c, err
		}
		c.Action, c.From, c.To = evaluation.Action(action), evaluation.State(from), evaluation.State(to)
		if ans != nil {
			if err := json.Unmarshal(ans, &c.Answers); err != nil {
				return c, err
			}
		}
		if over != nil {
			if err := json.Unmarshal(over, &c.Overrides); err != nil {
				return c, err
			}
		}
		return c, nil
	})
	return e, err
}

// AddComment puts a comment on a recording at an offset from its start.
func (q *QA) AddComment(ctx context.Context, c evaluation.Comment) (evaluation.Comment, error) {
	if c.Offset < 0 || c.Body == "" {
		return c, fmt.Errorf("a comment needs text and an offset of 0 or more (got %v, %q)", c.Offset, c.Body)
	}
	c.Created = q.clock.Now()
	var ev *int64
	if c.Evaluation != 0 {
		ev = &c.Evaluation
	}
	err := q.db.QueryRow(ctx, `INSERT INTO recording_comments (recording_id, offset_ms, author, body, evaluation_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, c.RecordingID, c.Offset.Milliseconds(), c.Author, c.Body, ev, c.Created).Scan(&c.ID)
	if err != nil {
		return c, fmt.Errorf("commenting on recording %s: %w", c.RecordingID, err)
	}
	return c, nil
}

// Comments lists a recording's comments in the order of their offsets.
func (q *QA) Comments(ctx context.Context, recordingID string) ([]evaluation.Comment, error) {
	rows, err := q.db.Query(ctx, `SELECT id, recording_id, offset_ms, author, body, COALESCE(evaluation_id, 0), created_at
		FROM recording_comments WHERE recording_id = $1 ORDER BY offset_ms, id`, recordingID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (evaluation.Comment, error) {
		var c evaluation.Comment
		var ms int64
		err := r.Scan(&c.ID, &c.RecordingID, &ms, &c.Author, &c.Body, &c.Evaluation, &c.Created)
		c.Offset = time.Duration(ms) * time.Millisecond
		return c, err
	})
}

// NewCalibration has reviewers score the agent's part of a call blind on
// card; each starts their own evaluation with NewEvaluation and the
// calibration's ID.
func (q *QA) NewCalibration(ctx context.Context, callID, agent string, card *scorecard.Scorecard, reviewers []string, by string) (int64, error) {
	if len(reviewers) < 2 {
		return 0, fmt.Errorf("a calibration needs two reviewers at least, got %d", len(reviewers))
	}
	version, err := q.ScorecardVersion(ctx, card)
	if err != nil {
		return 0, err
	}
	var id int64
	err = q.db.QueryRow(ctx, `INSERT INTO calibrations (call_id, agent_id, scorecard, scorecard_version, reviewers, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, callID, agent, card.Name, version, slices.Sorted(slices.Values(reviewers)), by, q.clock.Now()).Scan(&id)
	return id, err
}

// CalibrationReport compares the submitted evaluations of calibration id,
// and says who has not submitted yet.
func (q *QA) CalibrationReport(ctx context.Context, id int64) (evaluation.Calibration, []string, error) {
	var name string
	var version int
	var reviewers []string
	err := q.db.QueryRow(ctx, `SELECT scorecard, scorecard_version, reviewers FROM calibrations WHERE id = $1`, id).Scan(&name, &version, &reviewers)
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrNoCalibration
	}
	if err != nil {
		return evaluation.Calibration{}, nil, fmt.Errorf("calibration %d: %w", id, err)
	}
	card, err := q.Scorecard(ctx, name, version)
	if err != nil {
		return evaluation.Calibration{}, nil, err
	}
	rows, err := q.db.Query(ctx, `SELECT reviewer, answers FROM evaluations WHERE calibration_id = $1 AND state <> 'draft' ORDER BY reviewer`, id)
	if err != nil {
		return evaluation.Calibration{}, nil, err
	}
	var all []evaluation.Scored
	done := map[string]bool{}
	for rows.Next() {
		var who string
		var ans []byte
		if err := rows.Scan(&who, &ans); err != nil {
			rows.Close()
			return evaluation.Calibration{}, nil, err
		}
		var a scorecard.Answers
		if err := json.Unmarshal(ans, &a); err != nil {
			rows.Close()
			return evaluation.Calibration{}, nil, err
		}
		res, err := card.Score(a)
		if err != nil {
			rows.Close()
			return evaluation.Calibration{}, nil, err
		}
		all = append(all, evaluation.Scored{Reviewer: who, Answers: a, Result: res})
		done[who] = true
	}
	if err := rows.Err(); err != nil {
		return evaluation.Calibration{}, nil, err
	}
	var pending []string
	for _, r := range reviewers {
		if !done[r] {
			pending = append(pending, r)
		}
	}
	return evaluation.Calibrate(card, all), pending, nil
}

// Evaluations lists the evaluations f picks, newest first, with no
// changes (read one with Evaluation for those).
func (q *QA) Evaluations(ctx context.Context, f evaluation.Filter) ([]evaluation.Evaluation, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	states := make([]string, len(f.States))
	for i, s := range f.States {
		states[i] = string(s)
	}
	rows, err := q.db.Query(ctx, `
		SELECT id FROM evaluations
		WHERE ($1 = '' OR agent_id = $1) AND ($2 = '' OR reviewer = $2)
		  AND (cardinality($3::text[]) = 0 OR state = ANY($3))
		  AND (CASE WHEN $4 = 0 THEN calibration_id IS NULL ELSE calibration_id = $4 END)
		ORDER BY updated_at DESC, id DESC LIMIT $5`, f.Agent, f.Reviewer, states, f.Calibration, limit)
	if err != nil {
		return nil, fmt.Errorf("listing evaluations: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("listing evaluations: %w", err)
	}
	out := make([]evaluation.Evaluation, 0, len(ids))
	err = pgx.BeginFunc(ctx, q.db, func(tx pgx.Tx) error {
		for _, id := range ids {
			e, err := readEvaluation(ctx, tx, id, false)
			if err != nil {
				return err
			}
			e.Changes = nil
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Calibration is a calibration session's call, card and reviewers.
func (q *QA) Calibration(ctx context.Context, id int64) (callID, agent string, card *scorecard.Scorecard, reviewers []string, err error) {
	var name string
	var version int
	err = q.db.QueryRow(ctx, `SELECT call_id, agent_id, scorecard, scorecard_version, reviewers FROM calibrations WHERE id = $1`, id).
		Scan(&callID, &agent, &name, &version, &reviewers)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil, nil, fmt.Errorf("calibration %d: %w", id, ErrNoCalibration)
	}
	if err != nil {
		return "", "", nil, nil, err
	}
	card, err = q.Scorecard(ctx, name, version)
	return callID, agent, card, reviewers, err
}
