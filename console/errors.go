package console

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/complaints/followup"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/recordings"
	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
)

// ErrInvalidConfig is what every problem [New] finds in its [Config]
// matches with errors.Is; each problem's message names the user or field.
var ErrInvalidConfig = errors.New("invalid console configuration")

// ErrBadReportQuery is what a [Reports] returns, wrapped, for a report
// whose parameters are wrong: the API answers 400 with its message.
var ErrBadReportQuery = errors.New("bad report query")

// ErrReportsUnavailable is what a [Reports] returns, wrapped, when it
// cannot make reports now (its database is unreachable, the server is
// stopping): the API answers 503 with its message.
var ErrReportsUnavailable = errors.New("reports unavailable")

// configError is one problem with a Config.
type configError struct{ msg string }

func (e *configError) Error() string        { return e.msg }
func (e *configError) Is(target error) bool { return target == ErrInvalidConfig }

func configErrorf(format string, args ...any) error {
	return &configError{fmt.Sprintf(format, args...)}
}

// httpError is an error written for the API's user, with the status it
// answers. Anything that is not one is internal: logged, and answered with a
// generic 500, so no internal detail reaches a browser.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func httpErrorf(status int, format string, args ...any) error {
	return &httpError{status, fmt.Sprintf(format, args...)}
}

// domainStatuses maps the ACD's errors to their HTTP status. Their messages
// are written for people (they name the agent and the states), so they are
// shown as they are.
var domainStatuses = []struct {
	err    error
	status int
}{
	{queue.ErrUnknownAgent, http.StatusNotFound},
	{queue.ErrUnknownQueue, http.StatusNotFound},
	{acd.ErrNoSupervision, http.StatusNotFound},
	{queue.ErrIllegalTransition, http.StatusConflict},
	{queue.ErrCallState, http.StatusConflict},
	{acd.ErrNoCall, http.StatusConflict},
	{acd.ErrNotRecorded, http.StatusConflict},
	{acd.ErrBadDisposition, http.StatusBadRequest},
	{acd.ErrUnknownPhrase, http.StatusBadRequest},
	{acd.ErrScriptRunning, http.StatusConflict},
	{queue.ErrNoCallToDispose, http.StatusConflict},
	{queue.ErrNoDisposition, http.StatusConflict},
	{acd.ErrHeld, http.StatusConflict},
	{acd.ErrNotHeld, http.StatusConflict},
	{acd.ErrAgentBusy, http.StatusConflict},
	{acd.ErrNotSoftphone, http.StatusConflict},
	{acd.ErrNotRinging, http.StatusConflict},
	{acd.ErrBadDTMF, http.StatusBadRequest},
	{queue.ErrNoReason, http.StatusBadRequest},
	{ErrBadReportQuery, http.StatusBadRequest},
	{ErrReportsUnavailable, http.StatusServiceUnavailable},
	{recordings.ErrUnknownRecording, http.StatusNotFound},
	{recordings.ErrRecordingDeleted, http.StatusGone},
	{recordings.ErrNotStored, http.StatusConflict},
	{recordings.ErrLegalHold, http.StatusConflict},
	{recordings.ErrBadSearch, http.StatusBadRequest},
	{recordings.ErrBadAuditEntry, http.StatusBadRequest},
	// QA's (qa_api.go): store's and the rules'.
	{evaluation.ErrNoEvaluation, http.StatusNotFound},
	{evaluation.ErrNoCalibration, http.StatusNotFound},
	{evaluation.ErrNoScorecard, http.StatusNotFound},
	{evaluation.ErrNotPicked, http.StatusNotFound},
	{evaluation.ErrNoCall, http.StatusNotFound},
	{evaluation.ErrClaimed, http.StatusConflict},
	{evaluation.ErrEvaluated, http.StatusConflict},
	{evaluation.ErrNotYours, http.StatusForbidden},
	{evaluation.ErrNotInCalibration, http.StatusForbidden},
	{evaluation.ErrStep, http.StatusConflict},
	{scorecard.ErrAnswers, http.StatusBadRequest},
	// The complaint workflow's (complaints.go).
	{complaints.ErrInvalid, http.StatusBadRequest},
	{complaints.ErrNotFound, http.StatusNotFound},
	{complaints.ErrStep, http.StatusConflict},
	// The follow-up visits' (followups.go), and the ACD's call out.
	{followup.ErrInvalid, http.StatusBadRequest},
	{followup.ErrNotFound, http.StatusNotFound},
	{followup.ErrStep, http.StatusConflict},
	{acd.ErrCannotDial, http.StatusConflict},
}

// publicError returns the status and message to answer err with; internal
// is true when err is not meant for users and must be logged instead.
func publicError(err error) (status int, msg string, internal bool) {
	if he, ok := errors.AsType[*httpError](err); ok {
		return he.status, he.msg, false
	}
	for _, d := range domainStatuses {
		if errors.Is(err, d.err) {
			return d.status, err.Error(), false
		}
	}
	return http.StatusInternalServerError, "something went wrong on the server; the error is logged", true
}
