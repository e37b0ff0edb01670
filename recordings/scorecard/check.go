package scorecard

import (
	"errors"
	"fmt"
	"slices"
)

// Check checks answers that may leave items unanswered (a draft's): each
// one given must be an item of the card with an answer that fits it. The
// error names each one that does not and matches ErrAnswers.
func (sc *Scorecard) Check(answers Answers) error {
	var errs []error
	ids := make([]string, 0, len(answers))
	for id := range answers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		it, ok := sc.Item(id)
		if !ok {
			errs = append(errs, fmt.Errorf("%w: %s is not an item of scorecard %s", ErrAnswers, id, sc.Name))
			continue
		}
		if _, _, err := it.share(answers[id]); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %v", ErrAnswers, id, err))
		}
	}
	return errors.Join(errs...)
}
