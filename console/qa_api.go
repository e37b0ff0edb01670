package console

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline-ivr/hotline/recordings/evaluation"
)

// QA's routes: the scorecard, the review queue, evaluations and their
// workflow, timed comments on recordings, calibrations and QA's report,
// through [QA]. Reviewers (QA, supervisors, managers, administrators:
// reviewCalls) work the queue and score; supervisors, managers and
// administrators (superviseQA) resolve disputes, set up calibrations and
// read the reports; a user with a 工号 sees its own agent's submitted
// evaluations and acknowledges or disputes them. A draft is seen by its
// reviewer only, and a calibration's evaluations are blind: each reviewer
// sees only their own until every one has submitted.

// errNoQA answers QA's endpoints on a server without it.
var errNoQA = httpErrorf(http.StatusServiceUnavailable, "quality assurance is not available on this server: it has no database")

// maxCommentRunes bounds a timed comment's text; maxCommentOffset its
// offset in seconds, whatever the recording's length.
const (
	maxCommentRunes  = 2000
	maxCommentOffset = 24 * 3600
)

// withQA runs h for a signed-in user when this server has QA.
func (s *Server) withQA(h handler) http.Handler {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request, sess session) error {
		if s.qa == nil {
			return errNoQA
		}
		return h(w, r, sess)
	})
}

// reviewer runs h for the roles that review calls.
func (s *Server) reviewer(h handler) http.Handler {
	return s.withQA(func(w http.ResponseWriter, r *http.Request, sess session) error {
		if !sess.user.Role.can(reviewCalls) {
			return httpErrorf(http.StatusForbidden, "only QA reviewers, supervisors, managers and administrators review calls")
		}
		return h(w, r, sess)
	})
}

// qaSupervisor runs h for the roles that resolve disputes, set up
// calibrations and read QA's report.
func (s *Server) qaSupervisor(h handler) http.Handler {
	return s.withQA(func(w http.ResponseWriter, r *http.Request, sess session) error {
		if !sess.user.Role.can(superviseQA) {
			return httpErrorf(http.StatusForbidden, "only supervisors, managers and administrators %s", qaSupervisorWork)
		}
		return h(w, r, sess)
	})
}

const qaSupervisorWork = "resolve disputes, set up calibrations and read QA's reports"

// getCard handles GET /api/qa/card: the card new evaluations are scored on.
func (s *Server) getCard(w http.ResponseWriter, _ *http.Request, _ session) error {
	writeJSON(w, http.StatusOK, cardView(s.qa.Card()))
	return nil
}

// getCardVersion handles GET /api/qa/cards/{name}/{version}: a version of
// a card, as evaluations were scored on it.
func (s *Server) getCardVersion(w http.ResponseWriter, r *http.Request, _ session) error {
	name, v := r.PathValue("name"), r.PathValue("version")
	version, err := strconv.Atoi(v)
	if err != nil || version < 1 {
		return httpErrorf(http.StatusBadRequest, "scorecard version %q is not a whole number from 1", v)
	}
	card, err := s.qa.Scorecard(r.Context(), name, version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cardView(card))
	return nil
}

// limitParam reads the query's limit: 0 when absent, else 1 to 500.
func limitParam(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 500 {
		return 0, httpErrorf(http.StatusBadRequest, "limit: %q is not a whole number from 1 to 500", v)
	}
	return n, nil
}

// onlyParams refuses query parameters other than known.
func onlyParams(r *http.Request, known ...string) (map[string][]string, error) {
	q, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	var unknown []string
	for k := range q {
		if !slices.Contains(known, k) {
			unknown = append(unknown, fmt.Sprintf("%q", k))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, httpErrorf(http.StatusBadRequest, "unknown parameter %s (known: %s)", strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	return q, nil
}

func first(q map[string][]string, k string) string {
	if v := q[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// reviewQueue handles GET /api/qa/queue: the calls waiting for review,
// unclaimed or the user's own, oldest first.
func (s *Server) reviewQueue(w http.ResponseWriter, r *http.Request, sess session) error {
	q, err := onlyParams(r, "limit")
	if err != nil {
		return err
	}
	limit, err := limitParam(first(q, "limit"))
	if err != nil {
		return err
	}
	if limit == 0 {
		limit = 50
	}
	waiting, err := s.qa.Queue(r.Context(), sess.user.Name, limit)
	if err != nil {
		return err
	}
	out := ReviewQueueView{Calls: make([]WaitingView, 0, len(waiting))}
	for _, c := range waiting {
		out.Calls = append(out.Calls, WaitingView{CallID: c.CallID, Agent: c.Agent, Reasons: nonNilStrings(c.Reasons), PickedAt: c.PickedAt,
			ClaimedBy: c.ClaimedBy, ClaimedAt: optTime(c.ClaimedAt), EndedAt: optTime(c.Ended)})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// startReview handles POST /api/qa/queue/{call}/{agent}/start: the user
// claims the call and gets its evaluation (a new draft with the
// suggestions, or theirs already started).
func (s *Server) startReview(w http.ResponseWriter, r *http.Request, sess session) error {
	e, err := s.qa.Start(r.Context(), r.PathValue("call"), r.PathValue("agent"), sess.user.Name)
	if err != nil {
		return err
	}
	return s.writeEvaluation(w, r, e, true)
}

// releaseReview handles POST /api/qa/queue/{call}/{agent}/release.
func (s *Server) releaseReview(w http.ResponseWriter, r *http.Request, sess session) error {
	if err := s.qa.Release(r.Context(), r.PathValue("call"), r.PathValue("agent"), sess.user.Name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// writeEvaluation answers e, with its recording's ID.
func (s *Server) writeEvaluation(w http.ResponseWriter, r *http.Request, e evaluation.Evaluation, withChanges bool) error {
	rec, err := s.qa.Recording(r.Context(), e.CallID, e.Agent)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, evaluationView(e, rec, withChanges))
	return nil
}

// evaluationID reads the path's {id}.
func evaluationID(r *http.Request) (int64, error) {
	v := r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, httpErrorf(http.StatusNotFound, "no such evaluation: %q", v)
	}
	return id, nil
}

// mayRead says whether u may see e: its reviewer always; its agent once
// submitted (not a calibration's); the other reviewers once submitted,
// and a calibration's only when all of its reviewers have submitted (or,
// for a supervisor, when they are not one of them). A draft is refused
// with 404, like an evaluation that does not exist; another agent's
// with 403.
func (s *Server) mayRead(ctx context.Context, u User, e evaluation.Evaluation) error {
	if e.Reviewer == u.Name {
		return nil
	}
	notFound := httpErrorf(http.StatusNotFound, "evaluation %d: no such evaluation", e.ID)
	if !u.Role.can(reviewCalls) {
		switch {
		case u.Agent == "":
			return httpErrorf(http.StatusForbidden, "you have no agent, so no evaluations of your own")
		case e.Agent != u.Agent:
			return httpErrorf(http.StatusForbidden, "you may see only the evaluations of your own agent, %s", u.Agent)
		case e.State == evaluation.Draft || e.CalibrationID != 0:
			return notFound
		}
		return nil
	}
	if e.State == evaluation.Draft {
		return notFound
	}
	if e.CalibrationID == 0 {
		return nil
	}
	participants, pending, err := s.calibrationReviewers(ctx, e.CalibrationID)
	if err != nil {
		return err
	}
	if len(pending) == 0 || (u.Role.can(superviseQA) && !slices.Contains(participants, u.Name)) {
		return nil
	}
	return httpErrorf(http.StatusForbidden, "calibration %d is blind: its reviewers see only their own evaluations until every one has submitted", e.CalibrationID)
}

// calibrationReviewers lists a calibration's reviewers, and those still
// to submit.
func (s *Server) calibrationReviewers(ctx context.Context, id int64) (all, pending []string, err error) {
	rep, pending, err := s.qa.CalibrationReport(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range rep.Reviewers {
		all = append(all, d.Reviewer)
	}
	return append(all, pending...), pending, nil
}

// evaluationFor reads the path's evaluation for a user who may see it.
func (s *Server) evaluationFor(r *http.Request, sess session) (evaluation.Evaluation, error) {
	id, err := evaluationID(r)
	if err != nil {
		return evaluation.Evaluation{}, err
	}
	e, err := s.qa.Evaluation(r.Context(), id)
	if err != nil {
		return e, err
	}
	return e, s.mayRead(r.Context(), sess.user, e)
}

// getEvaluation handles GET /api/qa/evaluations/{id}: one, with its
// changes.
func (s *Server) getEvaluation(w http.ResponseWriter, r *http.Request, sess session) error {
	e, err := s.evaluationFor(r, sess)
	if err != nil {
		return err
	}
	return s.writeEvaluation(w, r, e, true)
}

var allStates = []evaluation.State{evaluation.Draft, evaluation.Submitted, evaluation.Acknowledged, evaluation.Disputed, evaluation.Upheld, evaluation.Rescored}

// listEvaluations handles GET /api/qa/evaluations?agent=&reviewer=&state=
// &limit=, newest first, without their changes (calibrations' left out).
// An agent's are its own only, never drafts; a reviewer sees others'
// drafts neither.
func (s *Server) listEvaluations(w http.ResponseWriter, r *http.Request, sess session) error {
	q, err := onlyParams(r, "agent", "reviewer", "state", "limit")
	if err != nil {
		return err
	}
	u := sess.user
	f := evaluation.Filter{Agent: first(q, "agent"), Reviewer: first(q, "reviewer")}
	if f.Limit, err = limitParam(first(q, "limit")); err != nil {
		return err
	}
	for _, v := range q["state"] {
		for st := range strings.SplitSeq(v, ",") {
			st := evaluation.State(strings.TrimSpace(st))
			if !slices.Contains(allStates, st) {
				return httpErrorf(http.StatusBadRequest, "state: %q is not one of draft, submitted, acknowledged, disputed, upheld, rescored", st)
			}
			if !slices.Contains(f.States, st) {
				f.States = append(f.States, st)
			}
		}
	}
	if !u.Role.can(reviewCalls) {
		switch {
		case u.Agent == "":
			return httpErrorf(http.StatusForbidden, "you have no agent, so no evaluations of your own")
		case f.Agent != "" && f.Agent != u.Agent:
			return httpErrorf(http.StatusForbidden, "you may see only the evaluations of your own agent, %s, not %s's", u.Agent, f.Agent)
		}
		f.Agent = u.Agent
	}
	if f.Reviewer != u.Name || !u.Role.can(reviewCalls) {
		// Drafts are their reviewer's alone.
		if len(f.States) == 0 {
			f.States = allStates
		}
		f.States = slices.DeleteFunc(slices.Clone(f.States), func(s evaluation.State) bool { return s == evaluation.Draft })
		if len(f.States) == 0 {
			writeJSON(w, http.StatusOK, EvaluationsView{Evaluations: []EvaluationView{}})
			return nil
		}
	}
	list, err := s.qa.Evaluations(r.Context(), f)
	if err != nil {
		return err
	}
	out := EvaluationsView{Evaluations: make([]EvaluationView, 0, len(list))}
	for _, e := range list {
		rec, err := s.qa.Recording(r.Context(), e.CallID, e.Agent)
		if err != nil {
			return err
		}
		out.Evaluations = append(out.Evaluations, evaluationView(e, rec, false))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

var actions = []evaluation.Action{evaluation.Save, evaluation.Submit, evaluation.Acknowledge, evaluation.Dispute, evaluation.Uphold, evaluation.Rescore}

// actOnEvaluation handles POST /api/qa/evaluations/{id}/{action}: the user
// acts as the evaluation's reviewer, as its agent, or as a supervisor.
// Answers (save, submit, rescore) must fit the evaluation's card: 400
// names each one that does not; a step the workflow refuses is 409.
func (s *Server) actOnEvaluation(w http.ResponseWriter, r *http.Request, sess session) error {
	act := evaluation.Action(r.PathValue("action"))
	if !slices.Contains(actions, act) {
		return httpErrorf(http.StatusNotFound, "no such action %q: save, submit, acknowledge, dispute, uphold or rescore", act)
	}
	var req ActRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if utf8.RuneCountInString(req.Comment) > maxCommentRunes {
		return httpErrorf(http.StatusBadRequest, "comment: longer than %d characters", maxCommentRunes)
	}
	e, err := s.evaluationFor(r, sess)
	if err != nil {
		return err
	}
	u := sess.user
	var who evaluation.Who
	switch {
	case e.Reviewer == u.Name:
		who = evaluation.Reviewer
	case e.CalibrationID != 0:
		return httpErrorf(http.StatusConflict, "evaluation %d is %s's in calibration %d: only its reviewer acts on it", e.ID, e.Reviewer, e.CalibrationID)
	case u.Agent != "" && e.Agent == u.Agent:
		who = evaluation.Agent
	case u.Role.can(superviseQA):
		who = evaluation.Supervisor
	default:
		return httpErrorf(http.StatusForbidden, "evaluation %d is %s's: only its reviewer, its agent, or a supervisor or manager acts on it", e.ID, e.Reviewer)
	}
	if len(req.Answers) > 0 {
		if act != evaluation.Save && act != evaluation.Submit && act != evaluation.Rescore {
			return httpErrorf(http.StatusBadRequest, "answers: only save, submit and rescore take answers, not %s", act)
		}
		card, err := s.qa.Scorecard(r.Context(), e.Scorecard, e.ScorecardVersion)
		if err != nil {
			return err
		}
		if err := card.Check(req.Answers); err != nil {
			return err
		}
	}
	// The agent acts under its 工号 (store.QA.Act matches it with the
	// evaluation's agent, and the change keeps it); the others under
	// their user names.
	actor := u.Name
	if who == evaluation.Agent {
		actor = u.Agent
	}
	e, err = s.qa.Act(r.Context(), e.ID, actor, who, act, req.Comment, req.Answers)
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "console: evaluation "+string(act), slog.Int64("evaluation", e.ID), slog.String("user", u.Name),
		slog.String("as", string(who)), slog.String("state", string(e.State)))
	return s.writeEvaluation(w, r, e, true)
}

// listComments handles GET /api/recordings/{id}/comments: the recording's
// timed comments, for whoever may hear it; a comment that belongs to an
// evaluation the user may not see (a draft, a blind calibration's,
// another agent's) is left out.
func (s *Server) listComments(w http.ResponseWriter, r *http.Request, sess session) error {
	if s.qa == nil {
		return errNoQA
	}
	d, err := s.recordingFor(r, sess, "comments")
	if err != nil {
		return err
	}
	all, err := s.qa.Comments(r.Context(), d.ID)
	if err != nil {
		return err
	}
	visible := map[int64]bool{}
	out := CommentsView{Comments: []CommentView{}}
	for _, c := range all {
		if c.Evaluation != 0 {
			ok, seen := visible[c.Evaluation]
			if !seen {
				e, err := s.qa.Evaluation(r.Context(), c.Evaluation)
				if err != nil {
					return err
				}
				err = s.mayRead(r.Context(), sess.user, e)
				if _, isHTTP := errors.AsType[*httpError](err); err != nil && !isHTTP {
					return err
				}
				ok = err == nil
				visible[c.Evaluation] = ok
			}
			if !ok {
				continue
			}
		}
		out.Comments = append(out.Comments, commentView(c))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// addComment handles POST /api/recordings/{id}/comments: a reviewer's
// timed comment, on its own or on an evaluation of the recording's call
// that is theirs (or, for a supervisor, any they may see).
func (s *Server) addComment(w http.ResponseWriter, r *http.Request, sess session) error {
	if s.qa == nil {
		return errNoQA
	}
	u := sess.user
	if !u.Role.can(reviewCalls) {
		return httpErrorf(http.StatusForbidden, "only QA reviewers, supervisors, managers and administrators comment on recordings")
	}
	var req CommentRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	d, err := s.recordingFor(r, sess, "comment")
	if err != nil {
		return err
	}
	body := strings.TrimSpace(req.Body)
	length := d.Length().Seconds()
	switch {
	case body == "":
		return httpErrorf(http.StatusBadRequest, "body: the comment has no text")
	case utf8.RuneCountInString(body) > maxCommentRunes:
		return httpErrorf(http.StatusBadRequest, "body: longer than %d characters", maxCommentRunes)
	case math.IsNaN(req.OffsetSeconds) || req.OffsetSeconds < 0 || req.OffsetSeconds > maxCommentOffset || (length > 0 && req.OffsetSeconds > length+1):
		return httpErrorf(http.StatusBadRequest, "offset_seconds: %v is not within the recording (0 to %.1f s)", req.OffsetSeconds, length)
	}
	if req.EvaluationID != 0 {
		e, err := s.qa.Evaluation(r.Context(), req.EvaluationID)
		if err != nil {
			return err
		}
		if err := s.mayRead(r.Context(), u, e); err != nil {
			return err
		}
		if e.Reviewer != u.Name && !u.Role.can(superviseQA) {
			return httpErrorf(http.StatusForbidden, "evaluation %d is %s's: comment on your own", e.ID, e.Reviewer)
		}
		rec, err := s.qa.Recording(r.Context(), e.CallID, e.Agent)
		if err != nil {
			return err
		}
		if rec != d.ID {
			return httpErrorf(http.StatusBadRequest, "evaluation_id: evaluation %d is of call %s, agent %s, not of recording %s", e.ID, e.CallID, e.Agent, d.ID)
		}
	}
	c, err := s.qa.AddComment(r.Context(), evaluation.Comment{
		RecordingID: d.ID, Offset: time.Duration(math.Round(req.OffsetSeconds*1000)) * time.Millisecond,
		Author: u.Name, Body: body, Evaluation: req.EvaluationID,
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, commentView(c))
	return nil
}

// newCalibration handles POST /api/qa/calibrations: several reviewers to
// score one agent's part of a call blind.
func (s *Server) newCalibration(w http.ResponseWriter, r *http.Request, sess session) error {
	var req CalibrationRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	var problems []string
	if strings.TrimSpace(req.CallID) == "" {
		problems = append(problems, "call_id is required")
	}
	if strings.TrimSpace(req.Agent) == "" {
		problems = append(problems, "agent is required")
	}
	var reviewers []string
	for _, name := range req.Reviewers {
		if slices.Contains(reviewers, name) {
			continue
		}
		if u, ok := s.users[name]; !ok || !u.Role.can(reviewCalls) {
			problems = append(problems, fmt.Sprintf("reviewers: %q is not a user who reviews calls", name))
		}
		reviewers = append(reviewers, name)
	}
	if len(reviewers) < 2 {
		problems = append(problems, "reviewers: a calibration needs two reviewers at least")
	}
	if len(problems) > 0 {
		return httpErrorf(http.StatusBadRequest, "%s", strings.Join(problems, "; "))
	}
	id, err := s.qa.NewCalibration(r.Context(), req.CallID, req.Agent, reviewers, sess.user.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, CalibrationCreated{ID: id})
	return nil
}

// calibrationID reads the path's calibration {id}.
func calibrationID(r *http.Request) (int64, error) {
	v := r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 1 {
		return 0, httpErrorf(http.StatusNotFound, "no such calibration: %q", v)
	}
	return id, nil
}

// startCalibration handles POST /api/qa/calibrations/{id}/start: the
// user's own blind evaluation in it.
func (s *Server) startCalibration(w http.ResponseWriter, r *http.Request, sess session) error {
	id, err := calibrationID(r)
	if err != nil {
		return err
	}
	e, err := s.qa.StartCalibration(r.Context(), id, sess.user.Name)
	if err != nil {
		return err
	}
	return s.writeEvaluation(w, r, e, true)
}

// calibrationReport handles GET /api/qa/calibrations/{id}/report: for a
// supervisor who is not one of its reviewers at any time; for its
// reviewers once every one has submitted.
func (s *Server) calibrationReport(w http.ResponseWriter, r *http.Request, sess session) error {
	id, err := calibrationID(r)
	if err != nil {
		return err
	}
	rep, pending, err := s.qa.CalibrationReport(r.Context(), id)
	if err != nil {
		return err
	}
	u := sess.user
	in := slices.Contains(pending, u.Name) || slices.ContainsFunc(rep.Reviewers, func(d evaluation.ReviewerDeviation) bool { return d.Reviewer == u.Name })
	switch {
	case in && len(pending) > 0:
		return httpErrorf(http.StatusConflict, "calibration %d is blind until every reviewer has submitted: waiting for %s", id, strings.Join(pending, ", "))
	case !in && !u.Role.can(superviseQA):
		return httpErrorf(http.StatusForbidden, "only the calibration's reviewers, supervisors and managers read its report")
	}
	if pending == nil {
		pending = []string{}
	}
	if rep.Items == nil {
		rep.Items = []evaluation.ItemAgreement{}
	}
	if rep.Reviewers == nil {
		rep.Reviewers = []evaluation.ReviewerDeviation{}
	}
	writeJSON(w, http.StatusOK, CalibrationReportView{Report: rep, Pending: pending})
	return nil
}

// qaReport handles GET /api/qa/report?from=&to=&tz=&by=&format=: QA's
// report per agent (by=agent, the default; each row with its agent's
// team) or per team (by=team; the agents in no team in the row
// evaluation.NoTeam), and for everyone (agent and team ""), over
// [from, to), as JSON or, with format=csv, a CSV file. from and to are
// dates (to's whole day included) or times, in tz (a zone name; the
// centre's by default), or RFC 3339 times.
func (s *Server) qaReport(w http.ResponseWriter, r *http.Request, _ session) error {
	q, err := onlyParams(r, "from", "to", "tz", "by", "format")
	if err != nil {
		return err
	}
	from, to, err := qaPeriod(first(q, "from"), first(q, "to"), first(q, "tz"), s.location)
	by, byErr := evaluation.ParseReportBy(first(q, "by"))
	if byErr != nil {
		byErr = httpErrorf(http.StatusBadRequest, "by: %v", byErr)
	}
	format := first(q, "format")
	var formatErr error
	if format != "" && format != "json" && format != "csv" {
		formatErr = httpErrorf(http.StatusBadRequest, "format: %q is not json or csv", format)
	}
	if err := cmp.Or(err, byErr, formatErr); err != nil {
		return err
	}
	rows, err := s.qa.Report(r.Context(), from, to, by)
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []evaluation.ReportRow{}
	}
	if format == "csv" {
		h := w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		name := fmt.Sprintf("qa-report-%s-%s.csv", from.Format("20060102"), to.Format("20060102"))
		if by == evaluation.ByTeam {
			name = fmt.Sprintf("qa-report-by-team-%s-%s.csv", from.Format("20060102"), to.Format("20060102"))
		}
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		if err := WriteQAReportCSV(w, by, rows); err != nil && r.Context().Err() == nil {
			s.log.ErrorContext(r.Context(), "console: writing QA's report CSV", slog.Any("error", err))
		}
		return nil
	}
	writeJSON(w, http.StatusOK, QAReportView{From: from, To: to, By: by, Rows: rows})
	return nil
}

// qaPeriod reads a report's period; every problem is one 400.
func qaPeriod(fromV, toV, tz string, def *time.Location) (from, to time.Time, err error) {
	var problems []string
	loc := def
	if tz != "" {
		if loc, err = time.LoadLocation(tz); err != nil {
			problems = append(problems, fmt.Sprintf("tz: unknown time zone %q: use a name like Asia/Shanghai or UTC", tz))
			loc = def
		}
	}
	var okFrom, okTo bool
	from, okFrom = parseWhen(fromV, loc, false)
	to, okTo = parseWhen(toV, loc, true)
	for _, p := range []struct {
		name, v string
		ok      bool
	}{{"from", fromV, okFrom}, {"to", toV, okTo}} {
		switch {
		case p.v == "":
			problems = append(problems, p.name+" is required: a date like 2026-03-01 or a time like 2026-03-01T08:00")
		case !p.ok:
			problems = append(problems, fmt.Sprintf("%s: %q is not a date like 2026-03-01 or a time like 2026-03-01T08:00 or 2026-03-01T08:00:00+08:00", p.name, p.v))
		}
	}
	if okFrom && okTo && !from.Before(to) {
		problems = append(problems, "to: the period ends before it starts")
	}
	if len(problems) > 0 {
		return from, to, httpErrorf(http.StatusBadRequest, "%s", strings.Join(problems, "; "))
	}
	return from, to, nil
}

// parseWhen reads a date or a time in loc (or RFC 3339). A date is the
// start of that day, or, for the end of a period, the start of the next.
func parseWhen(s string, loc *time.Location, end bool) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), true
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
