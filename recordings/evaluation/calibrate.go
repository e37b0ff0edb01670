package evaluation

import (
	"cmp"
	"math"
	"slices"

	"github.com/hotline-ivr/hotline/recordings/scorecard"
)

// Scored is one reviewer's blind evaluation of the call being calibrated.
type Scored struct {
	Reviewer string
	Answers  scorecard.Answers
	Result   scorecard.Result
}

// ItemAgreement is how the reviewers answered one item.
type ItemAgreement struct {
	Item string `json:"item"`
	// Consensus is the answer most reviewers gave ("" on a tie).
	Consensus string `json:"consensus"`
	// Agreement is the share of reviewers who gave the most common answer.
	Agreement float64           `json:"agreement"`
	Answers   map[string]string `json:"answers"` // by reviewer
}

// ReviewerDeviation is how one reviewer stands against the others.
type ReviewerDeviation struct {
	Reviewer string  `json:"reviewer"`
	Score    float64 `json:"score"`
	// Deviation is the reviewer's score minus the mean score.
	Deviation float64 `json:"deviation"`
	// Disagrees lists the items the reviewer answered otherwise than the
	// consensus.
	Disagrees []string `json:"disagrees,omitempty"`
}

// Calibration is the report of a calibration session.
type Calibration struct {
	MeanScore float64 `json:"mean_score"`
	// ScoreSpread is the largest score minus the smallest.
	ScoreSpread float64 `json:"score_spread"`
	// Agreement is the mean of the items' agreement.
	Agreement float64             `json:"agreement"`
	Items     []ItemAgreement     `json:"items"`
	Reviewers []ReviewerDeviation `json:"reviewers"`
}

// Calibrate compares the reviewers' evaluations of one call on card.
func Calibrate(card *scorecard.Scorecard, all []Scored) Calibration {
	var c Calibration
	if len(all) == 0 {
		return c
	}
	lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
	for _, s := range all {
		sum += s.Result.Score
		lo, hi = min(lo, s.Result.Score), max(hi, s.Result.Score)
	}
	c.MeanScore = round1(sum / float64(len(all)))
	c.ScoreSpread = round1(hi - lo)
	consensus := map[string]string{}
	for _, it := range card.Items() {
		ia := ItemAgreement{Item: it.ID, Answers: map[string]string{}}
		count := map[string]int{}
		for _, s := range all {
			a := s.Answers[it.ID]
			ia.Answers[s.Reviewer] = a
			count[a]++
		}
		best, n, tie := "", 0, false
		for a, k := range count {
			switch {
			case k > n:
				best, n, tie = a, k, false
			case k == n:
				tie = true
			}
		}
		if !tie {
			ia.Consensus = best
		}
		ia.Agreement = round3(float64(n) / float64(len(all)))
		consensus[it.ID] = ia.Consensus
		c.Agreement += ia.Agreement
		c.Items = append(c.Items, ia)
	}
	c.Agreement = round3(c.Agreement / float64(len(c.Items)))
	for _, s := range all {
		d := ReviewerDeviation{Reviewer: s.Reviewer, Score: s.Result.Score, Deviation: round1(s.Result.Score - sum/float64(len(all)))}
		for _, it := range card.Items() {
			if want := consensus[it.ID]; want != "" && s.Answers[it.ID] != want {
				d.Disagrees = append(d.Disagrees, it.ID)
			}
		}
		c.Reviewers = append(c.Reviewers, d)
	}
	slices.SortStableFunc(c.Reviewers, func(a, b ReviewerDeviation) int {
		return cmp.Compare(math.Abs(b.Deviation), math.Abs(a.Deviation))
	})
	return c
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
