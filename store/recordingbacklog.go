package store

import (
	"context"
	"fmt"

	"github.com/hotline-ivr/hotline/recordings"
)

// BacklogStates are the states of the recording jobs still in the
// pipeline, which Backlog counts: waiting for Asterisk's file (pending),
// fetched and waiting for the blob store (fetched), stored and waiting for
// Asterisk's copy to be deleted (stored), expiring (deleting).
var BacklogStates = []recordings.State{recordings.Pending, recordings.Fetched, recordings.Stored, recordings.Deleting}

// Backlog counts the recording jobs of the whole centre in each of
// BacklogStates (0 included), for the metrics. The states that only grow
// (cleaned, deleted, failed) are not counted: the job counters of package
// recordings tell their rate.
func (r *Recordings) Backlog(ctx context.Context) (map[recordings.State]int64, error) {
	rows, err := r.db.Query(ctx, `SELECT state, count(*) FROM recordings
		WHERE state IN ('pending', 'fetched', 'stored', 'deleting') GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("counting the recording jobs by state: %w", err)
	}
	defer rows.Close()
	out := make(map[recordings.State]int64, len(BacklogStates))
	for _, s := range BacklogStates {
		out[s] = 0
	}
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("counting the recording jobs by state: %w", err)
		}
		out[recordings.State(state)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting the recording jobs by state: %w", err)
	}
	return out, nil
}
