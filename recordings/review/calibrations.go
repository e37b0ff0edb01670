package review

import (
	"context"

	"github.com/hotline-ivr/hotline/store"
)

// Calibrations lists the calibration sessions, newest first: all of them
// when reviewer is "", else those reviewer is in.
func (s *Service) Calibrations(ctx context.Context, reviewer string, limit int) ([]store.CalibrationInfo, error) {
	return s.cfg.QA.Calibrations(ctx, reviewer, limit)
}
