package console_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/crypto/bcrypt"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/recordings"
	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/review"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// qaEnv is a console with the recordings and QA: the real review service
// on QA's store in the same PostgreSQL, on the recordings' clock.
type qaEnv struct {
	*recEnv
	qa  *store.QA
	svc *review.Service
}

// newQAEnv starts it (like newRecEnv), with a second QA reviewer, qa2
// (password qa2-pw).
func newQAEnv(t *testing.T) *qaEnv {
	t.Helper()
	db, err := store.Open(t.Context(), pgtest.New(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	r := &recEnv{db: db, rclock: clockwork.NewFakeClockAt(recT0.Add(24 * time.Hour))}
	r.store = store.NewRecordings(db, r.rclock)
	r.bucket, err = recordings.OpenBucket(t.Context(), "file://"+t.TempDir()+"?no_tmp_dir=1&metadata=skip")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.bucket.Close() })
	r.janitor = recordings.NewJanitor(r.store, r.bucket, nil)
	archive := recordings.NewArchive(r.store, r.bucket, r.janitor)
	q := &qaEnv{recEnv: r, qa: store.NewQA(db, r.rclock)}
	q.svc, err = review.New(review.Config{QA: q.qa, Archive: archive, Card: scorecard.Standard(), Location: time.UTC, Clock: r.rclock,
		Teams: map[string]string{"1001": "售后 After-sales", "1003": "售后 After-sales"}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := bcrypt.GenerateFromPassword([]byte("qa2-pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	r.env = newEnv(t, func(c *console.Config) {
		c.Recordings, c.QA = archive, q.svc
		c.Users = append(c.Users, console.User{Name: "qa2", Role: console.RoleQA, PasswordHash: string(h)})
	})
	return q
}

// call adds an answered call of agent's, ended 3 minutes after it
// started at, and puts it in the review queue.
func (q *qaEnv) call(id, agent string, at time.Time) {
	q.t.Helper()
	q.exec(`INSERT INTO calls (id, caller, arrived_at, queue, queued_at, agent_id, agent_answered_at, ended_at, hung_up_by, holds, hold_time, transfers)
		VALUES ($1, '13800001234', $2, 'support', $2, $3, $2, $2::timestamptz + interval '3 minutes', 'caller', 0, '0s', 0)`, id, at, agent)
	if _, err := q.qa.AddPicks(q.t.Context(), []evaluation.Pick{{CallID: id, Agent: agent, Reasons: []string{evaluation.ReasonRandom}}}); err != nil {
		q.t.Fatal(err)
	}
}

// answers are an answer for every item of the standard card: yes (or the
// scale's top), with changes.
func answers(changes map[string]string) scorecard.Answers {
	out := scorecard.Answers{}
	for _, it := range scorecard.Standard().Items() {
		switch it.Answer {
		case scorecard.Scale:
			out[it.ID] = fmt.Sprint(it.Max)
		case scorecard.Choice:
			for _, c := range it.Choices {
				if c.Share == 1 {
					out[it.ID] = c.ID
				}
			}
		default:
			out[it.ID] = "yes"
		}
	}
	for k, v := range changes {
		out[k] = v
	}
	return out
}

func answersJSON(t *testing.T, comment string, a scorecard.Answers) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"comment": comment, "answers": a})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantError fails unless r is status with a message holding each of parts.
func wantQAError(t *testing.T, what string, r response, status int, parts ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d: %s", what, r.status, status, r.body)
		return
	}
	msg := r.errorMessage(t)
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("%s: message %q does not say %q", what, msg, p)
		}
	}
}

// TestQAWorkflow drives QA's API through the review service on
// PostgreSQL: the card, the queue and its claims, a draft only its
// reviewer sees, answers that do not fit, timed comments, submitting,
// the agent's dispute and a supervisor's re-score with every change
// kept, and QA's report as JSON and CSV; every refusal on the way.
func TestQAWorkflow(t *testing.T) {
	q := newQAEnv(t)
	r1 := q.add(rec{id: "r1", agent: "1001", caller: "13800001234", queue: "support", start: time.Hour})
	q.call(r1.CallID, "1001", r1.Start)
	q.call("call-x", "1002", r1.Start.Add(time.Hour))
	q.call("call-y", "1002", r1.Start.Add(2*time.Hour))
	lilei, hanmei, qiu, qa2, wang, boss := q.login("lilei"), q.login("hanmei"), q.login("qiu"), q.login("qa2"), q.login("wang"), q.login("boss")

	// The card, for everyone; a version of it as evaluations keep it.
	var card struct {
		Name, Fingerprint  string
		VersionFingerprint string `json:"version_fingerprint"`
		Sections           []scorecard.Section
	}
	q.must(http.StatusOK, "GET", "/api/qa/card", lilei, "", &card)
	if card.Name != "standard" || card.VersionFingerprint != scorecard.Standard().Fingerprint() || card.Fingerprint != card.VersionFingerprint || len(card.Sections) == 0 {
		t.Errorf("card: %+v", card)
	}

	// The queue: reviewers only.
	wantQAError(t, "an agent's queue", q.do("GET", "/api/qa/queue", lilei, ""), 403, "review")
	var queue console.ReviewQueueView
	q.must(http.StatusOK, "GET", "/api/qa/queue?limit=10", qiu, "", &queue)
	if len(queue.Calls) != 3 || queue.Calls[0].CallID != r1.CallID || queue.Calls[0].ClaimedAt != nil || queue.Calls[0].EndedAt == nil ||
		!slices.Equal(queue.Calls[0].Reasons, []string{"random"}) {
		t.Fatalf("queue: %+v", queue)
	}
	wantQAError(t, "limit 0", q.do("GET", "/api/qa/queue?limit=0", qiu, ""), 400, "limit")

	// qiu starts r1's call: a draft with the suggestions, on the recording.
	var e console.EvaluationView
	q.must(http.StatusOK, "POST", "/api/qa/queue/"+r1.CallID+"/1001/start", qiu, "", &e)
	if e.State != evaluation.Draft || e.Reviewer != "qiu" || e.Agent != "1001" || e.RecordingID != "r1" || e.Score != nil ||
		e.GradeLabel != nil || len(e.Suggestions) == 0 || len(e.Changes) != 1 || e.Changes[0].Action != "create" {
		t.Fatalf("started: %+v", e)
	}
	suggested := map[string]string{}
	for _, s := range e.Suggestions {
		suggested[s.Item] = s.Answer
		if s.Why.Zh == "" || s.Why.En == "" {
			t.Errorf("suggestion without why: %+v", s)
		}
	}
	if suggested["caller_hung_up_first"] != "yes" {
		t.Errorf("suggestions: %+v", e.Suggestions)
	}
	wantQAError(t, "qa2 on qiu's call", q.do("POST", "/api/qa/queue/"+r1.CallID+"/1001/start", qa2, ""), 409, "claimed")
	wantQAError(t, "a call not picked", q.do("POST", "/api/qa/queue/nope/1001/start", qiu, ""), 404, "review queue")
	q.must(http.StatusOK, "GET", "/api/qa/queue", qa2, "", &queue)
	if len(queue.Calls) != 2 {
		t.Errorf("qa2's queue without qiu's claim: %+v", queue)
	}
	// A claim released is anyone's.
	q.must(http.StatusOK, "POST", "/api/qa/queue/call-y/1002/start", qa2, "", nil)
	q.must(http.StatusNoContent, "POST", "/api/qa/queue/call-y/1002/release", qa2, "", nil)
	q.must(http.StatusOK, "GET", "/api/qa/queue", qiu, "", &queue)
	if len(queue.Calls) != 3 {
		t.Errorf("qiu's queue after qa2's release: %+v", queue)
	}

	// The draft is qiu's alone.
	path := fmt.Sprintf("/api/qa/evaluations/%d", e.ID)
	wantQAError(t, "the agent, a draft", q.do("GET", path, lilei, ""), 404, "no such evaluation")
	wantQAError(t, "another agent", q.do("GET", path, hanmei, ""), 403, "your own agent, 1002")
	wantQAError(t, "a supervisor, a draft", q.do("GET", path, wang, ""), 404, "no such evaluation")
	var list console.EvaluationsView
	q.must(http.StatusOK, "GET", "/api/qa/evaluations", lilei, "", &list)
	if len(list.Evaluations) != 0 {
		t.Errorf("the agent's list with a draft: %+v", list)
	}
	q.must(http.StatusOK, "GET", "/api/qa/evaluations?reviewer=qiu", qiu, "", &list)
	if len(list.Evaluations) != 1 || list.Evaluations[0].Changes != nil {
		t.Errorf("qiu's list: %+v", list)
	}
	q.must(http.StatusOK, "GET", "/api/qa/evaluations?reviewer=qiu", boss, "", &list)
	if len(list.Evaluations) != 0 {
		t.Errorf("qiu's drafts listed to a manager: %+v", list)
	}
	wantQAError(t, "another agent's list", q.do("GET", "/api/qa/evaluations?agent=1002", lilei, ""), 403, "your own agent, 1001")
	wantQAError(t, "a bad state", q.do("GET", "/api/qa/evaluations?state=done", qiu, ""), 400, `"done"`)

	// Answers that do not fit: each named.
	wantQAError(t, "bad answers", q.do("POST", path+"/save", qiu, `{"answers":{"greeting":"maybe","nonsense":"yes"}}`), 400, "greeting", "nonsense")
	q.must(http.StatusOK, "POST", path+"/save", qiu, `{"answers":{"greeting":"yes"}}`, &e)
	if e.State != evaluation.Draft || e.Answers["greeting"] != "yes" || len(e.Changes) != 2 {
		t.Errorf("saved: %+v", e)
	}
	wantQAError(t, "submitting a part", q.do("POST", path+"/submit", qiu, `{"answers":{"greeting":"yes"}}`), 400, "has no answer")
	wantQAError(t, "another reviewer", q.do("POST", path+"/save", qa2, `{}`), 404, "no such evaluation")
	wantQAError(t, "an unknown action", q.do("POST", path+"/approve", qiu, `{}`), 404, "approve")

	// Timed comments: on the draft (hidden from the agent until it is
	// submitted) and on their own.
	var c console.CommentView
	q.must(http.StatusCreated, "POST", "/api/recordings/r1/comments", qiu, fmt.Sprintf(`{"offset_seconds":12.5,"body":"interrupted the customer","evaluation_id":%d}`, e.ID), &c)
	if c.OffsetSeconds != 12.5 || c.Author != "qiu" || c.EvaluationID != e.ID || c.ID == 0 {
		t.Errorf("comment: %+v", c)
	}
	q.must(http.StatusCreated, "POST", "/api/recordings/r1/comments", qiu, `{"offset_seconds":3,"body":"greeting"}`, nil)
	wantQAError(t, "an agent's comment", q.do("POST", "/api/recordings/r1/comments", lilei, `{"offset_seconds":3,"body":"hm"}`), 403, "comment")
	wantQAError(t, "no text", q.do("POST", "/api/recordings/r1/comments", qiu, `{"offset_seconds":3,"body":"  "}`), 400, "body")
	wantQAError(t, "past the end", q.do("POST", "/api/recordings/r1/comments", qiu, `{"offset_seconds":3600,"body":"x"}`), 400, "offset_seconds")
	var comments console.CommentsView
	q.must(http.StatusOK, "GET", "/api/recordings/r1/comments", qiu, "", &comments)
	if len(comments.Comments) != 2 || comments.Comments[0].OffsetSeconds != 3 {
		t.Errorf("qiu's comments: %+v", comments)
	}
	q.must(http.StatusOK, "GET", "/api/recordings/r1/comments", lilei, "", &comments)
	if len(comments.Comments) != 1 || comments.Comments[0].EvaluationID != 0 {
		t.Errorf("the agent's comments while the evaluation is a draft: %+v", comments)
	}
	wantQAError(t, "another agent's recording", q.do("GET", "/api/recordings/r1/comments", hanmei, ""), 403, "your own calls")

	// Submitted with an N/A: the agent sees it, with its grade.
	q.must(http.StatusOK, "POST", path+"/submit", qiu, answersJSON(t, "", answers(map[string]string{"complaint_registered": "na", "dead_air": "no"})), &e)
	if e.State != evaluation.Submitted || e.Score == nil || *e.Score >= 100 || e.Grade == "" || e.GradeLabel == nil ||
		e.GradeLabel.En != e.Grade.Label("en") || e.SubmittedAt == nil || !slices.Equal(e.Failed, []string{"dead_air"}) {
		t.Fatalf("submitted: %+v", e)
	}
	q.must(http.StatusOK, "GET", path, lilei, "", &e)
	q.must(http.StatusOK, "GET", "/api/qa/evaluations", lilei, "", &list)
	if len(list.Evaluations) != 1 || list.Evaluations[0].ID != e.ID {
		t.Errorf("the agent's list: %+v", list)
	}
	q.must(http.StatusOK, "GET", "/api/recordings/r1/comments", lilei, "", &comments)
	if len(comments.Comments) != 2 {
		t.Errorf("the agent's comments once submitted: %+v", comments)
	}

	// The agent disputes it (saying why), a supervisor re-scores it.
	wantQAError(t, "a dispute without a why", q.do("POST", path+"/dispute", lilei, `{}`), 409, "comment")
	wantQAError(t, "another agent's dispute", q.do("POST", path+"/dispute", hanmei, `{"comment":"no"}`), 403, "your own agent")
	wantQAError(t, "answers with a dispute", q.do("POST", path+"/dispute", lilei, `{"comment":"x","answers":{"greeting":"no"}}`), 400, "answers")
	q.must(http.StatusOK, "POST", path+"/dispute", lilei, `{"comment":"there was no dead air: the customer was looking for the number"}`, &e)
	if e.State != evaluation.Disputed {
		t.Fatalf("disputed: %+v", e)
	}
	wantQAError(t, "the reviewer upholds", q.do("POST", path+"/uphold", qiu, `{"comment":"it stands"}`), 409, "reviewer cannot uphold")
	wantQAError(t, "the agent acknowledges a disputed one", q.do("POST", path+"/acknowledge", lilei, `{}`), 409, "disputed")
	q.must(http.StatusOK, "POST", path+"/rescore", wang, answersJSON(t, "agreed: the caller was looking for it", scorecard.Answers{"dead_air": "yes"}), &e)
	if e.State != evaluation.Rescored || e.Score == nil || *e.Score != 100 || len(e.Failed) != 0 {
		t.Fatalf("re-scored: %+v", e)
	}
	var steps []string
	for _, ch := range e.Changes {
		steps = append(steps, fmt.Sprintf("%s:%s>%s", ch.Actor, ch.Action, ch.To))
	}
	if want := []string{"qiu:create>draft", "qiu:save>draft", "qiu:submit>submitted", "1001:dispute>disputed", "wang:rescore>rescored"}; !slices.Equal(steps, want) {
		t.Errorf("changes %v, want %v", steps, want)
	}
	if last := e.Changes[len(e.Changes)-1]; last.Comment == "" || last.Score == nil {
		t.Errorf("the re-score's change: %+v", last)
	}
	wantQAError(t, "acting on a final one", q.do("POST", path+"/rescore", boss, `{"comment":"again"}`), 409, "rescored")

	// QA's report: supervisors and managers.
	period := "from=2026-11-01&to=2026-11-30&tz=UTC"
	wantQAError(t, "a reviewer's report", q.do("GET", "/api/qa/report?"+period, qiu, ""), 403, "reports")
	wantQAError(t, "no period", q.do("GET", "/api/qa/report", boss, ""), 400, "from is required", "to is required")
	wantQAError(t, "a bad zone", q.do("GET", "/api/qa/report?from=2026-11-01&to=2026-11-30&tz=Mars/Base", boss, ""), 400, "Mars/Base")
	var rep console.QAReportView
	q.must(http.StatusOK, "GET", "/api/qa/report?"+period, boss, "", &rep)
	if len(rep.Rows) != 2 || rep.Rows[0].Agent != "1001" || rep.Rows[0].Evaluations != 1 || rep.Rows[0].Disputes != 1 ||
		rep.Rows[0].Rescored != 1 || rep.Rows[0].MeanScore != 100 || rep.Rows[1].Agent != "" {
		t.Errorf("report: %+v", rep)
	}
	res := q.must(http.StatusOK, "GET", "/api/qa/report?"+period+"&format=csv", wang, "", nil)
	if ct := res.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("CSV Content-Type %q", ct)
	}
	recs, err := csv.NewReader(strings.NewReader(string(res.body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || !slices.Equal(recs[0], console.QAReportColumns(evaluation.ByAgent)) || recs[1][0] != "1001" || recs[1][1] != "1" || recs[1][2] != "100.0" {
		t.Errorf("CSV: %q", recs)
	}
	if cols := strings.Join(recs[0], ","); cols != "agent,evaluations,mean_score,four_stars,three_stars,two_stars,one_star,pass,fail,auto_fails,failed_most,disputes,upheld,rescored,open" {
		t.Errorf("CSV columns %s", cols)
	}

	// The card an evaluation was scored on.
	q.must(http.StatusOK, "GET", fmt.Sprintf("/api/qa/cards/%s/%d", e.Scorecard, e.ScorecardVersion), lilei, "", &card)
	if card.Name != "standard" {
		t.Errorf("card version: %+v", card)
	}
	wantQAError(t, "no such version", q.do("GET", "/api/qa/cards/standard/99", qiu, ""), 404, "no such scorecard version")
}

// TestQAReportByTeam: GET /api/qa/report?by=team sums up the agents of
// each team (1001 and 1003), those in none (1002) and everyone, as JSON
// and CSV; by=agent (the default) gives each agent's team; any other
// grouping is a 400.
func TestQAReportByTeam(t *testing.T) {
	q := newQAEnv(t)
	ctx := t.Context()
	at := q.rclock.Now().Add(-time.Hour)
	for i, ev := range []struct {
		agent   string
		changes map[string]string
	}{{"1001", nil}, {"1002", map[string]string{"greeting": "no"}}, {"1003", map[string]string{"anything_else": "no"}}} { // 100, 90, 95
		call := fmt.Sprintf("team-call-%d", i)
		q.call(call, ev.agent, at)
		if err := q.qa.Claim(ctx, call, ev.agent, "qiu", time.Hour); err != nil {
			t.Fatal(err)
		}
		id, err := q.qa.NewEvaluation(ctx, call, ev.agent, "qiu", 0, scorecard.Standard(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := q.qa.Act(ctx, id, "qiu", evaluation.Reviewer, evaluation.Submit, "", answers(ev.changes)); err != nil {
			t.Fatal(err)
		}
	}
	boss, wang := q.login("boss"), q.login("wang")
	day := q.rclock.Now().UTC().Format("2006-01-02")
	period := "from=" + day + "&to=" + day + "&tz=UTC"

	var rep console.QAReportView
	q.must(http.StatusOK, "GET", "/api/qa/report?"+period+"&by=team", boss, "", &rep)
	type row struct {
		agent, team string
		n           int
		mean        float64
	}
	got := func(rows []evaluation.ReportRow) []row {
		var out []row
		for _, r := range rows {
			out = append(out, row{r.Agent, r.Team, r.Evaluations, r.MeanScore})
		}
		return out
	}
	if want := []row{{"", "售后 After-sales", 2, 97.5}, {"", evaluation.NoTeam, 1, 90}, {"", "", 3, 95}}; rep.By != evaluation.ByTeam || !slices.Equal(got(rep.Rows), want) {
		t.Errorf("by team: %s %+v, want %+v", rep.By, got(rep.Rows), want)
	}
	if g := rep.Rows[0].Grades; g[scorecard.FourStars] != 2 || len(rep.Rows[2].FailedMost) != 2 {
		t.Errorf("by team, figures: %+v", rep.Rows)
	}

	res := q.must(http.StatusOK, "GET", "/api/qa/report?"+period+"&by=team&format=csv", wang, "", nil)
	want := "team,evaluations,mean_score,four_stars,three_stars,two_stars,one_star,pass,fail,auto_fails,failed_most,disputes,upheld,rescored,open\n" +
		"售后 After-sales,2,97.5,2,0,0,0,0,0,0,anything_else:1,0,0,0,0\n" +
		"(no team),1,90.0,1,0,0,0,0,0,0,greeting:1,0,0,0,0\n" +
		",3,95.0,3,0,0,0,0,0,0,anything_else:1 greeting:1,0,0,0,0\n"
	if string(res.body) != want {
		t.Errorf("by team, CSV:\n%s\nwant:\n%s", res.body, want)
	}
	if cd := res.header.Get("Content-Disposition"); !strings.Contains(cd, "qa-report-by-team-") {
		t.Errorf("CSV file name: %s", cd)
	}

	for _, by := range []string{"", "&by=agent"} {
		rep = console.QAReportView{}
		q.must(http.StatusOK, "GET", "/api/qa/report?"+period+by, boss, "", &rep)
		if want := []row{{"1001", "售后 After-sales", 1, 100}, {"1002", "", 1, 90}, {"1003", "售后 After-sales", 1, 95}, {"", "", 3, 95}}; rep.By != evaluation.ByAgent || !slices.Equal(got(rep.Rows), want) {
			t.Errorf("by agent (%q): %s %+v, want %+v", by, rep.By, got(rep.Rows), want)
		}
	}
	wantQAError(t, "by queue", q.do("GET", "/api/qa/report?"+period+"&by=queue", boss, ""), 400, `by: "queue" is not a grouping`)
}

// TestQACalibration: a supervisor sets up a calibration; each reviewer
// scores the call blind, sees only their own until all have submitted,
// and then the report; the agent never sees them; they stay out of the
// agent's evaluations and QA's report.
func TestQACalibration(t *testing.T) {
	q := newQAEnv(t)
	q.call("call-c", "1002", recT0)
	qiu, qa2, wang, root, hanmei := q.login("qiu"), q.login("qa2"), q.login("wang"), q.login("root"), q.login("hanmei")

	wantQAError(t, "a reviewer sets one up", q.do("POST", "/api/qa/calibrations", qiu, `{"call_id":"call-c","agent":"1002","reviewers":["qiu","qa2"]}`), 403, "calibrations")
	wantQAError(t, "one reviewer", q.do("POST", "/api/qa/calibrations", wang, `{"call_id":"call-c","agent":"1002","reviewers":["qiu","qiu"]}`), 400, "two reviewers")
	wantQAError(t, "an agent as reviewer", q.do("POST", "/api/qa/calibrations", wang, `{"call_id":"call-c","agent":"1002","reviewers":["qiu","hanmei"]}`), 400, `"hanmei" is not a user who reviews`)
	wantQAError(t, "no call", q.do("POST", "/api/qa/calibrations", wang, `{"agent":"1002","reviewers":["qiu","qa2"]}`), 400, "call_id is required")
	var created console.CalibrationCreated
	q.must(http.StatusCreated, "POST", "/api/qa/calibrations", wang, `{"call_id":"call-c","agent":"1002","reviewers":["qiu","qa2"]}`, &created)
	base := fmt.Sprintf("/api/qa/calibrations/%d", created.ID)

	var a, b console.EvaluationView
	q.must(http.StatusOK, "POST", base+"/start", qiu, "", &a)
	q.must(http.StatusOK, "POST", base+"/start", qa2, "", &b)
	if a.CalibrationID != created.ID || b.CalibrationID != created.ID || a.ID == b.ID || a.Reviewer != "qiu" || b.Reviewer != "qa2" {
		t.Fatalf("calibration evaluations %+v, %+v", a, b)
	}
	wantQAError(t, "not in it", q.do("POST", base+"/start", wang, ""), 403, "not in the calibration")
	wantQAError(t, "no such calibration", q.do("GET", "/api/qa/calibrations/999/report", wang, ""), 404, "no such calibration")

	pa, pb := fmt.Sprintf("/api/qa/evaluations/%d", a.ID), fmt.Sprintf("/api/qa/evaluations/%d", b.ID)
	q.must(http.StatusOK, "POST", pa+"/submit", qiu, answersJSON(t, "", answers(nil)), nil)
	wantQAError(t, "qa2 reads qiu's before submitting", q.do("GET", pa, qa2, ""), 403, "blind")
	wantQAError(t, "qiu reads the report early", q.do("GET", base+"/report", qiu, ""), 409, "waiting for qa2")
	wantQAError(t, "the agent", q.do("GET", pa, hanmei, ""), 404, "no such evaluation")
	wantQAError(t, "the agent disputes", q.do("POST", pa+"/dispute", hanmei, `{"comment":"x"}`), 404, "no such evaluation")
	wantQAError(t, "a supervisor re-scores", q.do("POST", pa+"/rescore", wang, `{"comment":"x"}`), 409, "only its reviewer")
	var rep console.CalibrationReportView
	q.must(http.StatusOK, "GET", base+"/report", wang, "", &rep)
	if !slices.Equal(rep.Pending, []string{"qa2"}) || len(rep.Report.Reviewers) != 1 {
		t.Errorf("the organiser's report, one submitted: %+v", rep)
	}

	q.must(http.StatusOK, "POST", pb+"/submit", qa2, answersJSON(t, "", answers(map[string]string{"greeting": "no"})), nil)
	q.must(http.StatusOK, "GET", pa, qa2, "", nil)
	q.must(http.StatusOK, "GET", base+"/report", qiu, "", &rep)
	if len(rep.Pending) != 0 || len(rep.Report.Reviewers) != 2 || rep.Report.ScoreSpread <= 0 || rep.Report.Agreement >= 1 {
		t.Errorf("the report: %+v", rep)
	}
	for _, it := range rep.Report.Items {
		if it.Item == "greeting" && (it.Agreement != 0.5 || it.Consensus != "") {
			t.Errorf("greeting's agreement: %+v", it)
		}
	}
	q.must(http.StatusOK, "GET", base+"/report", root, "", nil)
	wantQAError(t, "an agent reads the report", q.do("GET", base+"/report", hanmei, ""), 403, "review")

	var list console.EvaluationsView
	q.must(http.StatusOK, "GET", "/api/qa/evaluations", hanmei, "", &list)
	if len(list.Evaluations) != 0 {
		t.Errorf("the agent's list shows calibrations: %+v", list)
	}
	var report console.QAReportView
	q.must(http.StatusOK, "GET", "/api/qa/report?from=2026-11-01&to=2026-11-30", wang, "", &report)
	if len(report.Rows) != 1 || report.Rows[0].Evaluations != 0 {
		t.Errorf("QA's report counts calibrations: %+v", report)
	}
}

// TestQAUnavailable: without QA its routes answer 503, once signed in.
func TestQAUnavailable(t *testing.T) {
	e := newEnv(t)
	tok := e.login("qiu")
	for _, p := range []string{"/api/qa/card", "/api/qa/queue", "/api/qa/evaluations", "/api/qa/report?from=2026-11-01&to=2026-11-02"} {
		wantQAError(t, p, e.do("GET", p, tok, ""), 503, "quality assurance is not available")
		wantQAError(t, p+" signed out", e.do("GET", p, "", ""), 401, "sign in")
	}
}

// TestQARoles checks QA's routes for every role, like TestRoles: a
// refusal is a 403, anything else passed the check (404 for what does
// not exist).
func TestQARoles(t *testing.T) {
	q := newQAEnv(t)
	users := []string{"lilei", "boss", "qiu", "wang", "root"}
	tokens := map[string]string{}
	for _, u := range users {
		tokens[u] = q.login(u)
	}
	const refused = http.StatusForbidden
	all := func(status int) map[string]int {
		return map[string]int{"lilei": status, "boss": status, "qiu": status, "wang": status, "root": status}
	}
	reviewers := func(status int) map[string]int {
		return map[string]int{"lilei": refused, "boss": status, "qiu": status, "wang": status, "root": status}
	}
	supervisors := func(status int) map[string]int {
		return map[string]int{"lilei": refused, "boss": status, "qiu": refused, "wang": status, "root": status}
	}
	tests := []struct {
		method, path, body string
		want               map[string]int
	}{
		{"GET", "/api/qa/card", "", all(200)},
		{"GET", "/api/qa/cards/standard/1", "", all(404)}, // no evaluation numbered it yet
		{"GET", "/api/qa/queue", "", reviewers(200)},
		{"POST", "/api/qa/queue/x/1001/start", "", reviewers(404)},
		{"POST", "/api/qa/queue/x/1001/release", "", reviewers(204)},
		{"GET", "/api/qa/evaluations", "", all(200)},
		{"GET", "/api/qa/evaluations/999", "", all(404)},
		{"POST", "/api/qa/evaluations/999/acknowledge", "", all(404)},
		{"POST", "/api/qa/calibrations", `{"call_id":"x","agent":"1001","reviewers":["qiu","wang"]}`, supervisors(201)},
		{"POST", "/api/qa/calibrations/999/start", "", reviewers(404)},
		{"GET", "/api/qa/calibrations/999/report", "", reviewers(404)},
		{"GET", "/api/qa/report?from=2026-11-01&to=2026-11-02", "", supervisors(200)},
		{"GET", "/api/recordings/none/comments", "", all(404)},
		{"POST", "/api/recordings/none/comments", `{"offset_seconds":1,"body":"x"}`, reviewers(404)},
	}
	for _, tt := range tests {
		for _, u := range users {
			t.Run(tt.method+" "+tt.path+" as "+u, func(t *testing.T) {
				r := q.do(tt.method, tt.path, tokens[u], tt.body)
				if want := tt.want[u]; r.status != want {
					t.Errorf("got %d %s, want %d", r.status, r.body, want)
				}
			})
		}
	}
}
