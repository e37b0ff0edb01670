package console

import (
	"context"
	"time"

	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
)

// QA is quality assurance as the console drives it (recordings/review's
// Service over PostgreSQL): the review queue, evaluations and their
// workflow, timed comments on recordings, calibrations and the report.
// Errors are evaluation's sentinels (evaluation.ErrClaimed,
// evaluation.ErrStep, scorecard.ErrAnswers...).
type QA interface {
	// Card is the scorecard new evaluations are scored on; Scorecard is a
	// version of a card, as an evaluation was scored on it.
	Card() *scorecard.Scorecard
	Scorecard(ctx context.Context, name string, version int) (*scorecard.Scorecard, error)
	// Queue lists the calls waiting for review: unclaimed, or reviewer's
	// own; Start claims one for reviewer and starts (or returns) its
	// evaluation with the suggested answers; Release gives up the claim.
	Queue(ctx context.Context, reviewer string, limit int) ([]evaluation.Waiting, error)
	Start(ctx context.Context, callID, agent, reviewer string) (evaluation.Evaluation, error)
	Release(ctx context.Context, callID, agent, reviewer string) error
	// Evaluation reads one with its changes; Evaluations lists them.
	Evaluation(ctx context.Context, id int64) (evaluation.Evaluation, error)
	Evaluations(ctx context.Context, f evaluation.Filter) ([]evaluation.Evaluation, error)
	// Act has actor, playing who, move an evaluation: save or submit
	// answers (its reviewer), acknowledge or dispute (its agent), uphold
	// or re-score (a supervisor).
	Act(ctx context.Context, id int64, actor string, who evaluation.Who, act evaluation.Action, comment string, answers scorecard.Answers) (evaluation.Evaluation, error)
	// Recording is the ID of the agent's recorded conversation in a call,
	// "" when there is none.
	Recording(ctx context.Context, callID, agent string) (string, error)
	Comments(ctx context.Context, recordingID string) ([]evaluation.Comment, error)
	AddComment(ctx context.Context, c evaluation.Comment) (evaluation.Comment, error)
	// NewCalibration has reviewers score one call blind; StartCalibration
	// is a reviewer's own evaluation in it; CalibrationReport compares
	// the submitted ones and names the reviewers still to submit.
	NewCalibration(ctx context.Context, callID, agent string, reviewers []string, by string) (int64, error)
	StartCalibration(ctx context.Context, id int64, reviewer string) (evaluation.Evaluation, error)
	CalibrationReport(ctx context.Context, id int64) (evaluation.Calibration, []string, error)
	// Calibrations lists the calibrations, newest first: all of them when
	// reviewer is "", else those reviewer is in (qa_calibration_api.go).
	Calibrations(ctx context.Context, reviewer string, limit int) ([]evaluation.CalibrationInfo, error)
	// Report is the report per agent or per team (and for everyone) over
	// [from, to).
	Report(ctx context.Context, from, to time.Time, by evaluation.ReportBy) ([]evaluation.ReportRow, error)
}
