package evaluation

import "errors"

// The errors of QA's records (package store returns them; the console
// answers each with its status).
var (
	// ErrClaimed: another reviewer is working on the call.
	ErrClaimed = errors.New("another reviewer has claimed the call")
	// ErrNotPicked: the call is not in the review queue.
	ErrNotPicked = errors.New("the call is not in the review queue")
	// ErrNoEvaluation: there is no such evaluation.
	ErrNoEvaluation = errors.New("no such evaluation")
	// ErrNotYours: the evaluation is another reviewer's, or evaluates
	// another agent.
	ErrNotYours = errors.New("the evaluation is not yours")
	// ErrEvaluated: the call already has its evaluation.
	ErrEvaluated = errors.New("the call has an evaluation already")
	// ErrNoCalibration: there is no such calibration.
	ErrNoCalibration = errors.New("no such calibration")
	// ErrNoScorecard: no such version of the scorecard.
	ErrNoScorecard = errors.New("no such scorecard version")
	// ErrNotInCalibration: the reviewer is not one of the calibration's.
	ErrNotInCalibration = errors.New("the reviewer is not in the calibration")
	// ErrNoCall: the call records have no such call (yet).
	ErrNoCall = errors.New("no such call in the call records")
)
