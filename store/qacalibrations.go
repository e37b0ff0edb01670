package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/hotline-ivr/hotline/recordings/evaluation"
)

// CalibrationInfo is a calibration session as its list shows it
// (evaluation.CalibrationInfo).
type CalibrationInfo = evaluation.CalibrationInfo

// Calibrations lists the calibration sessions, newest first: all of them
// when reviewer is "", else those reviewer is in; at most limit (0: 50;
// at most 500).
func (q *QA) Calibrations(ctx context.Context, reviewer string, limit int) ([]CalibrationInfo, error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	rows, err := q.db.Query(ctx, `
		SELECT c.id, c.call_id, c.agent_id, c.scorecard, c.scorecard_version, c.reviewers, c.created_by, c.created_at,
		       ARRAY(SELECT e.reviewer FROM evaluations e WHERE e.calibration_id = c.id AND e.state <> 'draft' ORDER BY e.reviewer)
		FROM calibrations c
		WHERE $1 = '' OR $1 = ANY(c.reviewers)
		ORDER BY c.created_at DESC, c.id DESC LIMIT $2`, reviewer, limit)
	if err != nil {
		return nil, fmt.Errorf("listing calibrations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (CalibrationInfo, error) {
		var c CalibrationInfo
		err := row.Scan(&c.ID, &c.CallID, &c.Agent, &c.Scorecard, &c.ScorecardVersion, &c.Reviewers, &c.CreatedBy, &c.Created, &c.Submitted)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing calibrations: %w", err)
	}
	return out, nil
}
