package console

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
)

// QA's JSON shapes (qa_api.go). Times are RFC 3339; a time that has not
// happened is null.

// CardView is a scorecard as GET /api/qa/card and
// /api/qa/cards/{name}/{version} show it: the card's own JSON (name,
// title, sections with their items) and its fingerprint (the card's
// content), under both names the page may read it by.
type CardView struct {
	*scorecard.Scorecard
	Fingerprint        string `json:"fingerprint"`
	VersionFingerprint string `json:"version_fingerprint"`
}

func cardView(c *scorecard.Scorecard) CardView {
	fp := c.Fingerprint()
	return CardView{Scorecard: c, Fingerprint: fp, VersionFingerprint: fp}
}

// WaitingView is a call in the review queue.
type WaitingView struct {
	CallID    string     `json:"call_id"`
	Agent     string     `json:"agent"`
	Reasons   []string   `json:"reasons"`
	PickedAt  time.Time  `json:"picked_at"`
	ClaimedBy string     `json:"claimed_by"`
	ClaimedAt *time.Time `json:"claimed_at"`
	EndedAt   *time.Time `json:"ended_at"`
}

// ReviewQueueView is the answer of GET /api/qa/queue.
type ReviewQueueView struct {
	Calls []WaitingView `json:"calls"`
}

// EvaluationView is an evaluation; Changes only when one is read alone.
type EvaluationView struct {
	ID               int64                   `json:"id"`
	CallID           string                  `json:"call_id"`
	Agent            string                  `json:"agent"`
	Reviewer         string                  `json:"reviewer"`
	CalibrationID    int64                   `json:"calibration_id"`
	Scorecard        string                  `json:"scorecard"`
	ScorecardVersion int                     `json:"scorecard_version"`
	State            evaluation.State        `json:"state"`
	Answers          scorecard.Answers       `json:"answers"`
	Suggestions      []evaluation.Suggestion `json:"suggestions"`
	Score            *float64                `json:"score"`
	Grade            scorecard.Grade         `json:"grade"`
	GradeLabel       *scorecard.Text         `json:"grade_label"`
	AutoFailed       []string                `json:"auto_failed"`
	Failed           []string                `json:"failed"`
	CreatedAt        time.Time               `json:"created_at"`
	UpdatedAt        time.Time               `json:"updated_at"`
	SubmittedAt      *time.Time              `json:"submitted_at"`
	RecordingID      string                  `json:"recording_id"`
	Changes          []ChangeView            `json:"changes,omitempty"`
}

// ChangeView is one step of an evaluation's life.
type ChangeView struct {
	Seq       int                            `json:"seq"`
	At        time.Time                      `json:"at"`
	Actor     string                         `json:"actor"`
	Action    evaluation.Action              `json:"action"`
	From      evaluation.State               `json:"from"`
	To        evaluation.State               `json:"to"`
	Comment   string                         `json:"comment"`
	Answers   scorecard.Answers              `json:"answers"`
	Overrides map[string]evaluation.Override `json:"overrides"`
	Score     *float64                       `json:"score"`
}

// EvaluationsView is the answer of GET /api/qa/evaluations.
type EvaluationsView struct {
	Evaluations []EvaluationView `json:"evaluations"`
}

// ActRequest is the body of POST /api/qa/evaluations/{id}/{action}.
type ActRequest struct {
	Comment string            `json:"comment"`
	Answers scorecard.Answers `json:"answers"`
}

// CommentView is a timed comment on a recording.
type CommentView struct {
	ID            int64     `json:"id"`
	OffsetSeconds float64   `json:"offset_seconds"`
	Author        string    `json:"author"`
	Body          string    `json:"body"`
	EvaluationID  int64     `json:"evaluation_id"`
	CreatedAt     time.Time `json:"created_at"`
}

// CommentsView is the answer of GET /api/recordings/{id}/comments.
type CommentsView struct {
	Comments []CommentView `json:"comments"`
}

// CommentRequest is the body of POST /api/recordings/{id}/comments.
type CommentRequest struct {
	OffsetSeconds float64 `json:"offset_seconds"`
	Body          string  `json:"body"`
	EvaluationID  int64   `json:"evaluation_id"`
}

// CalibrationRequest is the body of POST /api/qa/calibrations.
type CalibrationRequest struct {
	CallID    string   `json:"call_id"`
	Agent     string   `json:"agent"`
	Reviewers []string `json:"reviewers"`
}

// CalibrationCreated is the answer of POST /api/qa/calibrations.
type CalibrationCreated struct {
	ID int64 `json:"id"`
}

// CalibrationReportView is the answer of GET
// /api/qa/calibrations/{id}/report: the comparison of the evaluations
// submitted, and the reviewers still to submit.
type CalibrationReportView struct {
	Report  evaluation.Calibration `json:"report"`
	Pending []string               `json:"pending"`
}

// QAReportView is the answer of GET /api/qa/report.
type QAReportView struct {
	From time.Time           `json:"from"`
	To   time.Time           `json:"to"`
	By   evaluation.ReportBy `json:"by"` // agent or team
	// Rows are the agents' or the teams' (see evaluation.ReportRow),
	// the row for everyone last.
	Rows []evaluation.ReportRow `json:"rows"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// evaluationView shows e; recording is its conversation's recording ID.
func evaluationView(e evaluation.Evaluation, recording string, withChanges bool) EvaluationView {
	v := EvaluationView{
		ID: e.ID, CallID: e.CallID, Agent: e.Agent, Reviewer: e.Reviewer, CalibrationID: e.CalibrationID,
		Scorecard: e.Scorecard, ScorecardVersion: e.ScorecardVersion, State: e.State, Answers: e.Answers,
		Suggestions: e.Suggestions, Score: e.Score, Grade: e.Grade,
		AutoFailed: nonNilStrings(e.AutoFailed), Failed: nonNilStrings(e.Failed),
		CreatedAt: e.Created, UpdatedAt: e.Updated, SubmittedAt: optTime(e.Submitted), RecordingID: recording,
	}
	if v.Answers == nil {
		v.Answers = scorecard.Answers{}
	}
	if v.Suggestions == nil {
		v.Suggestions = []evaluation.Suggestion{}
	}
	if e.Grade != "" {
		v.GradeLabel = &scorecard.Text{Zh: e.Grade.Label("zh"), En: e.Grade.Label("en")}
	}
	if withChanges {
		v.Changes = make([]ChangeView, 0, len(e.Changes))
		for _, c := range e.Changes {
			v.Changes = append(v.Changes, ChangeView{Seq: c.Seq, At: c.At, Actor: c.Actor, Action: c.Action, From: c.From, To: c.To,
				Comment: c.Comment, Answers: c.Answers, Overrides: c.Overrides, Score: c.Score})
		}
	}
	return v
}

func commentView(c evaluation.Comment) CommentView {
	return CommentView{ID: c.ID, OffsetSeconds: seconds(c.Offset), Author: c.Author, Body: c.Body, EvaluationID: c.Evaluation, CreatedAt: c.Created}
}

// QAReportColumns are the columns of QA's report as CSV and as a table:
// the agent or the team (by; "" for everyone), its evaluations, their
// mean score, the count of each grade (best first), the auto-fails, the
// items failed most ("item:count" separated by spaces), the disputes and
// their outcomes.
func QAReportColumns(by evaluation.ReportBy) []string {
	cols := []string{string(by), "evaluations", "mean_score"}
	for _, g := range scorecard.Grades() {
		cols = append(cols, string(g))
	}
	return append(cols, "auto_fails", "failed_most", "disputes", "upheld", "rescored", "open")
}

// QAReportRecord is a row of QA's report by as the cells of
// QAReportColumns.
func QAReportRecord(by evaluation.ReportBy, r evaluation.ReportRow) []string {
	name := r.Agent
	if by == evaluation.ByTeam {
		name = r.Team
	}
	rec := []string{name, strconv.Itoa(r.Evaluations), strconv.FormatFloat(r.MeanScore, 'f', 1, 64)}
	for _, g := range scorecard.Grades() {
		rec = append(rec, strconv.Itoa(r.Grades[g]))
	}
	most := make([]string, len(r.FailedMost))
	for i, ic := range r.FailedMost {
		most[i] = fmt.Sprintf("%s:%d", ic.Item, ic.Count)
	}
	return append(rec, strconv.Itoa(r.AutoFails), strings.Join(most, " "), strconv.Itoa(r.Disputes),
		strconv.Itoa(r.Upheld), strconv.Itoa(r.Rescored), strconv.Itoa(r.Open))
}

// WriteQAReportCSV writes QA's report by agent or team as CSV, a header
// line first.
func WriteQAReportCSV(w io.Writer, by evaluation.ReportBy, rows []evaluation.ReportRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(QAReportColumns(by)); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(QAReportRecord(by, r)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
