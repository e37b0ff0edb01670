package scorecard

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// NA is the answer "not applicable", for an item that allows it.
const NA = "na"

// Answers are an evaluation's answers by item ID: "yes" or "no" for a
// yes_no item, "0".."max" for a scale, a choice's ID, or NA.
type Answers map[string]string

// Result is an evaluation's score.
type Result struct {
	// Score out of 100, to one decimal: the weight earned over the weight
	// of the items that apply; 0 when an auto-fail item failed.
	Score float64 `json:"score"`
	Grade Grade   `json:"grade"`
	// Earned and Possible are the weights behind Score (before an
	// auto-fail).
	Earned   float64 `json:"earned"`
	Possible float64 `json:"possible"`
	// AutoFailed lists the auto-fail items that failed.
	AutoFailed []string `json:"auto_failed,omitempty"`
	// Failed lists the items that earned nothing (for the reports' items
	// failed most), N/A left out.
	Failed []string `json:"failed,omitempty"`
}

// ErrAnswers is matched by the errors of Score for answers that do not fit
// the card.
var ErrAnswers = errors.New("scorecard: answers do not fit the card")

// Score scores answers on the card. Every item needs an answer that fits
// it; the error names each one that does not.
func (sc *Scorecard) Score(answers Answers) (Result, error) {
	var r Result
	var errs []error
	seen := map[string]bool{}
	for _, it := range sc.Items() {
		seen[it.ID] = true
		a, ok := answers[it.ID]
		if !ok {
			errs = append(errs, fmt.Errorf("%w: %s (%s) has no answer", ErrAnswers, it.ID, it.Title.En))
			continue
		}
		share, fails, err := it.share(a)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %v", ErrAnswers, it.ID, err))
			continue
		}
		if a == NA {
			continue
		}
		r.Possible += it.Weight
		r.Earned += it.Weight * share
		if fails {
			r.AutoFailed = append(r.AutoFailed, it.ID)
		}
		if share == 0 {
			r.Failed = append(r.Failed, it.ID)
		}
	}
	for id := range answers {
		if !seen[id] {
			errs = append(errs, fmt.Errorf("%w: %s is not an item of scorecard %s", ErrAnswers, id, sc.Name))
		}
	}
	if len(errs) > 0 {
		return Result{}, errors.Join(errs...)
	}
	switch {
	case len(r.AutoFailed) > 0:
		r.Score = 0
	case r.Possible > 0:
		r.Score = math.Round(1000*r.Earned/r.Possible) / 10
	default:
		// Every item N/A: nothing was wrong.
		r.Score = 100
	}
	r.Grade = GradeOf(r.Score)
	return r, nil
}

// share is what answer a earns of the item's weight, and whether it fails
// an auto-fail item.
func (it Item) share(a string) (float64, bool, error) {
	if a == NA {
		if !it.NA {
			return 0, false, errors.New("N/A is not allowed for it")
		}
		return 0, false, nil
	}
	switch it.Answer {
	case YesNo:
		switch a {
		case "yes":
			return 1, false, nil
		case "no":
			return 0, it.AutoFail, nil
		}
		return 0, false, fmt.Errorf("%q is not yes or no", a)
	case Scale:
		v, err := strconv.Atoi(a)
		if err != nil || v < 0 || v > it.Max {
			return 0, false, fmt.Errorf("%q is not a whole number from 0 to %d", a, it.Max)
		}
		return float64(v) / float64(it.Max), it.AutoFail && v == 0, nil
	case Choice:
		for _, c := range it.Choices {
			if c.ID == a {
				return c.Share, c.Fails, nil
			}
		}
		ids := make([]string, len(it.Choices))
		for i, c := range it.Choices {
			ids[i] = c.ID
		}
		return 0, false, fmt.Errorf("%q is not one of %v", a, ids)
	}
	return 0, false, fmt.Errorf("answer type %q", it.Answer)
}

// Grade is the grade of §6 of the service standards.
type Grade string

// The grades, best first.
const (
	FourStars  Grade = "four_stars"  // 90–100
	ThreeStars Grade = "three_stars" // 85 to under 90
	TwoStars   Grade = "two_stars"   // 80 to under 85
	OneStar    Grade = "one_star"    // 70 to under 80
	Pass       Grade = "pass"        // 60 to under 70
	Fail       Grade = "fail"        // under 60
)

// Grades lists the grades, best first.
func Grades() []Grade { return []Grade{FourStars, ThreeStars, TwoStars, OneStar, Pass, Fail} }

// GradeOf grades a score out of 100 (to one decimal, as Score gives it):
// ★★★★ 90–100, ★★★ 85–89.9, ★★ 80–84.9, ★ 70–79.9, pass 60–69.9, fail
// below 60. The standard's whole-number bands ("85–89") leave the scores
// between them to the lower band: 89.9 is ★★★.
func GradeOf(score float64) Grade {
	switch {
	case score >= 90:
		return FourStars
	case score >= 85:
		return ThreeStars
	case score >= 80:
		return TwoStars
	case score >= 70:
		return OneStar
	case score >= 60:
		return Pass
	}
	return Fail
}

// Label is the grade as people read it, in lang (zh or en).
func (g Grade) Label(lang string) string {
	zh := map[Grade]string{FourStars: "★★★★", ThreeStars: "★★★", TwoStars: "★★", OneStar: "★", Pass: "合格", Fail: "不合格"}
	en := map[Grade]string{FourStars: "★★★★", ThreeStars: "★★★", TwoStars: "★★", OneStar: "★", Pass: "pass", Fail: "fail"}
	if lang == "en" {
		return en[g]
	}
	return zh[g]
}
