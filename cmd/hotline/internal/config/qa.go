package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hotline-ivr/hotline/internal/strictyaml"
	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
)

// QA is quality assurance's part of serve: the scorecard new evaluations
// are scored on, which calls are sampled for review and how often, and
// how long a reviewer's claim on a call lasts. It needs the database:
// without DATABASE_URL there is no QA.
type QA struct {
	// Scorecard is the card's YAML file ("": the built-in standard card,
	// from §3 and §6 of the service standards; "hotline scorecard check
	// FILE" checks one). A relative path is from the folder hotline runs
	// in.
	Scorecard string     `yaml:"scorecard"`
	Sampling  QASampling `yaml:"sampling"`
	// SampleEvery is how often the week's calls are sampled into the
	// review queue.
	SampleEvery time.Duration `yaml:"sample_every"`
	// ClaimLease is how long a reviewer's claim on a call lasts without
	// work; then another reviewer may take it.
	ClaimLease time.Duration `yaml:"claim_lease"`
	// Card is Scorecard's card once loaded (LoadScorecard); nil: the
	// standard card.
	Card *scorecard.Scorecard `yaml:"-"`
}

// ScoreCard is the card evaluations are scored on: Card, else the
// built-in standard card.
func (q QA) ScoreCard() *scorecard.Scorecard {
	if q.Card != nil {
		return q.Card
	}
	return scorecard.Standard()
}

// QASampling is which calls are picked for review: RandomPerAgentWeek at
// random for each agent each week, and every call rated CSATAtMost or
// lower (0: none), with a complaint, transferred, or held longer than
// HoldOver in all (0: none).
type QASampling struct {
	RandomPerAgentWeek int           `yaml:"random_per_agent_week"`
	CSATAtMost         int           `yaml:"csat_at_most"`
	Complaints         bool          `yaml:"complaints"`
	Transfers          bool          `yaml:"transfers"`
	HoldOver           time.Duration `yaml:"hold_over"`
}

// DefaultQA is what the qa section starts from.
func DefaultQA() QA {
	return QA{
		Sampling:    QASampling{RandomPerAgentWeek: 5, CSATAtMost: 2, Complaints: true, Transfers: true, HoldOver: 3 * time.Minute},
		SampleEvery: time.Hour,
		ClaimLease:  time.Hour,
	}
}

// Rules are the sampling rules as package evaluation takes them.
func (q QA) Rules() evaluation.Rules {
	s := q.Sampling
	return evaluation.Rules{RandomPerAgentWeek: s.RandomPerAgentWeek, CSATAtMost: s.CSATAtMost, Complaint: s.Complaints,
		Transfer: s.Transfers, HoldOver: s.HoldOver}
}

func (d *decoder) validateQA(q QA) {
	s := q.Sampling
	if s.RandomPerAgentWeek < 0 || s.RandomPerAgentWeek > 1000 {
		d.at("qa.sampling.random_per_agent_week", "calls of each agent a week picked at random, like 5 (0: none)", "%d is not from 0 to 1000", s.RandomPerAgentWeek)
	}
	if s.CSATAtMost < 0 || s.CSATAtMost > 5 {
		d.at("qa.sampling.csat_at_most", "the survey's answers run 1 to 5: 2 picks every call rated 1 or 2 (0: none)", "%d is not from 0 to 5", s.CSATAtMost)
	}
	if s.HoldOver < 0 {
		d.at("qa.sampling.hold_over", "like 3m: every call held longer in all is picked (0: none)", "%s is negative", s.HoldOver)
	}
	d.positive("qa.sample_every", q.SampleEvery)
	d.positive("qa.claim_lease", q.ClaimLease)
}

// qaScorecardHint says what qa.scorecard must be.
const qaScorecardHint = "a scorecard YAML file like /etc/hotline/scorecard.yaml (check it with \"hotline scorecard check FILE\"), " +
	"or leave it out for the built-in standard card; a relative path is from the folder hotline runs in"

// LoadScorecard is the card of qa.scorecard: the file's, or the built-in
// standard card when none is set. A file that cannot be read is a problem
// at the line of qa.scorecard (file is the configuration file and data
// its contents); a card that is not valid gives its own problems, each at
// its line of the card's file. Like CheckFlowsDir, it is what Parse cannot
// know from the configuration file alone: "config check" and "serve" both
// call it.
func LoadScorecard(file string, data []byte, cfg Config) (*scorecard.Scorecard, Problems) {
	path := cfg.QA.Scorecard
	if path == "" {
		return scorecard.Standard(), nil
	}
	card, err := scorecard.Load(path)
	if err == nil {
		return card, nil
	}
	var ps scorecard.Problems
	if errors.As(err, &ps) {
		return nil, ps.Problems
	}
	d := strictyaml.New(file)
	d.Lines = keyLines(data)
	where := path
	if abs, aerr := filepath.Abs(path); aerr == nil {
		where = abs
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		d.At("qa.scorecard", qaScorecardHint, "the file %q does not exist (looked for %s)", path, where)
	case errors.Is(err, fs.ErrPermission):
		d.At("qa.scorecard", qaScorecardHint, "the file %q cannot be read: permission denied (%s)", path, where)
	default:
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		d.At("qa.scorecard", qaScorecardHint, "the file %q cannot be read: %v", path, err)
	}
	return nil, d.Problems
}
