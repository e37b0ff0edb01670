package review

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/recordings"
	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
	"github.com/hotline-ivr/hotline/recordings/talk"
	"github.com/hotline-ivr/hotline/store"
)

// Config wires a Service.
type Config struct {
	QA      *store.QA
	Archive *recordings.Archive // nil: no voice activity (those items get no suggestion)
	Card    *scorecard.Scorecard
	// ServiceLevel is a queue's service level, for answered_within_sl.
	ServiceLevel func(queue string) (time.Duration, bool)
	// Rules pick the calls to review; ComplaintCodes are the disposition
	// codes of complaints; Location is the centre's time zone (weeks).
	Rules          evaluation.Rules
	ComplaintCodes []string
	Location       *time.Location
	// Teams maps an agent to its team, for the report by team; an agent
	// it leaves out is in no team.
	Teams map[string]string
	// Lease is how long a reviewer's claim lasts without work (1 h).
	Lease time.Duration
	Clock clockwork.Clock
	Log   *slog.Logger
}

// Service is QA's service.
type Service struct{ cfg Config }

// New returns the service; Card is required.
func New(cfg Config) (*Service, error) {
	if cfg.QA == nil || cfg.Card == nil {
		return nil, fmt.Errorf("review: needs QA's store and a scorecard")
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Lease <= 0 {
		cfg.Lease = time.Hour
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg}, nil
}

// Card is the scorecard new evaluations are scored on.
func (s *Service) Card() *scorecard.Scorecard { return s.cfg.Card }

// Start claims the agent's part of a call for reviewer and starts its
// evaluation, the sourced items answered as suggested; a reviewer who
// started it already gets it back.
func (s *Service) Start(ctx context.Context, callID, agent, reviewer string) (evaluation.Evaluation, error) {
	if err := s.cfg.QA.Claim(ctx, callID, agent, reviewer, s.cfg.Lease); err != nil {
		return evaluation.Evaluation{}, err
	}
	if e, err := s.cfg.QA.EvaluationOf(ctx, callID, agent); err == nil {
		if e.Reviewer != reviewer {
			return evaluation.Evaluation{}, fmt.Errorf("call %s: %w (%s)", callID, store.ErrClaimed, e.Reviewer)
		}
		return e, nil
	}
	suggestions, err := s.Suggestions(ctx, callID, agent)
	if err != nil {
		return evaluation.Evaluation{}, err
	}
	id, err := s.cfg.QA.NewEvaluation(ctx, callID, agent, reviewer, 0, s.cfg.Card, suggestions)
	if err != nil {
		return evaluation.Evaluation{}, err
	}
	return s.cfg.QA.Evaluation(ctx, id)
}

// Suggestions are the card's suggested answers for the agent's part of a
// call: from its records and, when its conversation was recorded, the
// recording's voice activity.
func (s *Service) Suggestions(ctx context.Context, callID, agent string) ([]evaluation.Suggestion, error) {
	f, err := s.cfg.QA.Facts(ctx, callID, agent, s.cfg.Clock.Now(), s.cfg.ServiceLevel)
	if err != nil {
		return nil, err
	}
	if s.cfg.Archive != nil {
		id, err := s.cfg.QA.ConversationRecording(ctx, callID, agent)
		if err != nil {
			return nil, err
		}
		if id != "" {
			d, err := s.cfg.Archive.Details(ctx, id)
			if err == nil {
				var an talk.Analysis
				an, err = s.cfg.Archive.Talk(ctx, d, talk.Options{})
				if err == nil {
					f.Talk = &an
				}
			}
			if err != nil {
				// The records' suggestions still stand; the voice items
				// are left to the reviewer.
				s.cfg.Log.Warn("review: no voice activity for the suggestions", "call", callID, "recording", id, "error", err)
			}
		}
	}
	return evaluation.Suggest(s.cfg.Card, f), nil
}

// Sample puts the picks of the week that holds at (up to at) in the
// review queue, and returns how many calls were new to it. The random
// picks are seeded by the week, so that sampling again during the week
// keeps them.
func (s *Service) Sample(ctx context.Context, at time.Time) (int, error) {
	week := evaluation.WeekOf(at, s.cfg.Location)
	calls, err := s.cfg.QA.Candidates(ctx, week, at, s.cfg.ComplaintCodes)
	if err != nil {
		return 0, err
	}
	picks := evaluation.Sample(s.cfg.Rules, calls, s.cfg.Location, uint64(week.Unix()))
	return s.cfg.QA.AddPicks(ctx, picks)
}

// Run samples every period until ctx ends.
func (s *Service) Run(ctx context.Context, period time.Duration) {
	tick := s.cfg.Clock.NewTicker(period)
	defer tick.Stop()
	for {
		if n, err := s.Sample(ctx, s.cfg.Clock.Now()); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.cfg.Log.Warn("review: sampling the week's calls", "error", err)
		} else if n > 0 {
			s.cfg.Log.Info("review: calls picked for review", "new", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.Chan():
		}
	}
}

// Scorecard is version of the card called name, as evaluations on it
// were scored.
func (s *Service) Scorecard(ctx context.Context, name string, version int) (*scorecard.Scorecard, error) {
	return s.cfg.QA.Scorecard(ctx, name, version)
}

// Queue lists the calls waiting for review: unclaimed, or reviewer's.
func (s *Service) Queue(ctx context.Context, reviewer string, limit int) ([]evaluation.Waiting, error) {
	return s.cfg.QA.ReviewQueue(ctx, reviewer, limit)
}

// Release gives up reviewer's claim on a call.
func (s *Service) Release(ctx context.Context, callID, agent, reviewer string) error {
	return s.cfg.QA.Release(ctx, callID, agent, reviewer)
}

// Evaluation reads one evaluation with its changes.
func (s *Service) Evaluation(ctx context.Context, id int64) (evaluation.Evaluation, error) {
	return s.cfg.QA.Evaluation(ctx, id)
}

// Evaluations lists the evaluations f picks.
func (s *Service) Evaluations(ctx context.Context, f evaluation.Filter) ([]evaluation.Evaluation, error) {
	return s.cfg.QA.Evaluations(ctx, f)
}

// Act moves an evaluation (see store.QA.Act).
func (s *Service) Act(ctx context.Context, id int64, actor string, who evaluation.Who, act evaluation.Action, comment string, answers scorecard.Answers) (evaluation.Evaluation, error) {
	return s.cfg.QA.Act(ctx, id, actor, who, act, comment, answers)
}

// Recording is the ID of the agent's conversation's recording in a call
// ("" when it was not recorded or is not stored).
func (s *Service) Recording(ctx context.Context, callID, agent string) (string, error) {
	return s.cfg.QA.ConversationRecording(ctx, callID, agent)
}

// Comments lists a recording's timed comments.
func (s *Service) Comments(ctx context.Context, recordingID string) ([]evaluation.Comment, error) {
	return s.cfg.QA.Comments(ctx, recordingID)
}

// AddComment puts a timed comment on a recording.
func (s *Service) AddComment(ctx context.Context, c evaluation.Comment) (evaluation.Comment, error) {
	return s.cfg.QA.AddComment(ctx, c)
}

// NewCalibration has reviewers score the agent's part of a call blind on
// the current card.
func (s *Service) NewCalibration(ctx context.Context, callID, agent string, reviewers []string, by string) (int64, error) {
	return s.cfg.QA.NewCalibration(ctx, callID, agent, s.cfg.Card, reviewers, by)
}

// StartCalibration starts (or returns) reviewer's own evaluation in
// calibration id, the sourced items answered as suggested.
func (s *Service) StartCalibration(ctx context.Context, id int64, reviewer string) (evaluation.Evaluation, error) {
	callID, agent, card, reviewers, err := s.cfg.QA.Calibration(ctx, id)
	if err != nil {
		return evaluation.Evaluation{}, err
	}
	if !slices.Contains(reviewers, reviewer) {
		return evaluation.Evaluation{}, fmt.Errorf("calibration %d: %w (%s)", id, store.ErrNotInCalibration, reviewer)
	}
	mine, err := s.cfg.QA.Evaluations(ctx, evaluation.Filter{Reviewer: reviewer, Calibration: id, Limit: 1})
	if err != nil {
		return evaluation.Evaluation{}, err
	}
	if len(mine) > 0 {
		return s.cfg.QA.Evaluation(ctx, mine[0].ID)
	}
	suggestions, err := s.Suggestions(ctx, callID, agent)
	if err != nil {
		return evaluation.Evaluation{}, err
	}
	eid, err := s.cfg.QA.NewEvaluation(ctx, callID, agent, reviewer, id, card, suggestions)
	if err != nil {
		return evaluation.Evaluation{}, err
	}
	return s.cfg.QA.Evaluation(ctx, eid)
}

// CalibrationReport compares the calibration's submitted evaluations and
// lists the reviewers still to submit.
func (s *Service) CalibrationReport(ctx context.Context, id int64) (evaluation.Calibration, []string, error) {
	return s.cfg.QA.CalibrationReport(ctx, id)
}

// Report is QA's report over [from, to), per agent (each with its team)
// or per team, and for everyone.
func (s *Service) Report(ctx context.Context, from, to time.Time, by evaluation.ReportBy) ([]evaluation.ReportRow, error) {
	return s.cfg.QA.QAReportBy(ctx, from, to, by, s.cfg.Teams)
}
