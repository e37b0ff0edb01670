package console_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/hotline-ivr/hotline/console"
)

// TestQACalibrationList: GET /api/qa/calibrations shows a supervisor every
// calibration with who has submitted and the users to pick as reviewers;
// a reviewer only those they are in; an agent none (403).
func TestQACalibrationList(t *testing.T) {
	q := newQAEnv(t)
	q.call("call-c", "1002", recT0)
	qiu, qa2, wang, hanmei := q.login("qiu"), q.login("qa2"), q.login("wang"), q.login("hanmei")
	var one, two console.CalibrationCreated
	q.must(http.StatusCreated, "POST", "/api/qa/calibrations", wang, `{"call_id":"call-c","agent":"1002","reviewers":["qiu","qa2"]}`, &one)
	q.must(http.StatusCreated, "POST", "/api/qa/calibrations", wang, `{"call_id":"call-c","agent":"1002","reviewers":["qa2","wang"]}`, &two)
	var e console.EvaluationView
	q.must(http.StatusOK, "POST", fmt.Sprintf("/api/qa/calibrations/%d/start", one.ID), qiu, "", &e)
	q.must(http.StatusOK, "POST", fmt.Sprintf("/api/qa/evaluations/%d/submit", e.ID), qiu, answersJSON(t, "", answers(nil)), nil)
	// qa2 has started but not submitted: still pending.
	q.must(http.StatusOK, "POST", fmt.Sprintf("/api/qa/calibrations/%d/start", one.ID), qa2, "", nil)

	var all console.CalibrationsView
	q.must(http.StatusOK, "GET", "/api/qa/calibrations", wang, "", &all)
	if len(all.Calibrations) != 2 || all.Calibrations[0].ID != two.ID || all.Calibrations[1].ID != one.ID {
		t.Fatalf("the supervisor's list: %+v", all.Calibrations)
	}
	c := all.Calibrations[1]
	if c.CallID != "call-c" || c.Agent != "1002" || c.CreatedBy != "wang" || c.Scorecard != "standard" || c.ScorecardVersion < 1 ||
		!slices.Equal(c.Reviewers, []string{"qa2", "qiu"}) || !slices.Equal(c.Submitted, []string{"qiu"}) || !slices.Equal(c.Pending, []string{"qa2"}) {
		t.Errorf("calibration %d: %+v", one.ID, c)
	}
	if !slices.Equal(all.Reviewers, []string{"boss", "qa2", "qiu", "root", "wang", "zhou"}) {
		t.Errorf("the reviewers to pick: %q", all.Reviewers)
	}

	var mine console.CalibrationsView
	q.must(http.StatusOK, "GET", "/api/qa/calibrations", qiu, "", &mine)
	if len(mine.Calibrations) != 1 || mine.Calibrations[0].ID != one.ID || len(mine.Reviewers) != 0 {
		t.Errorf("qiu's list: %+v", mine)
	}
	q.must(http.StatusOK, "GET", "/api/qa/calibrations?limit=1", qa2, "", &mine)
	if len(mine.Calibrations) != 1 || mine.Calibrations[0].ID != two.ID {
		t.Errorf("qa2's list, limit 1: %+v", mine)
	}
	wantQAError(t, "an agent", q.do("GET", "/api/qa/calibrations", hanmei, ""), 403, "review")
	wantQAError(t, "a bad limit", q.do("GET", "/api/qa/calibrations?limit=0", wang, ""), 400, "limit")
	wantQAError(t, "an unknown parameter", q.do("GET", "/api/qa/calibrations?reviewer=qiu", wang, ""), 400, "unknown parameter")
}

// TestQACalibrationListUnavailable: without QA the list answers 503.
func TestQACalibrationListUnavailable(t *testing.T) {
	e := newEnv(t)
	wantQAError(t, "no QA", e.do("GET", "/api/qa/calibrations", e.login("wang"), ""), 503, "quality assurance is not available")
	wantQAError(t, "signed out", e.do("GET", "/api/qa/calibrations", "", ""), 401, "sign in")
}
