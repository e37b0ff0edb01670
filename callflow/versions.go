package callflow

import "context"

// VersionStore numbers the versions of flows by their contents: the same
// contents of a flow always get the same version, and contents it never
// had get the next one. A [Registry] takes its versions from one, so that a
// store that outlives the process (PostgreSQL, in store.FlowVersions)
// gives a restarted server the versions the last one gave.
type VersionStore interface {
	// Version returns the version of flow whose file's contents hash (SHA-256)
	// to sum: the one those contents had before, or one more than the
	// flow's highest version.
	Version(ctx context.Context, flow string, sum [32]byte) (int, error)
}

// memoryVersions is the VersionStore of a Registry that has none: versions
// by contents, from 1, for as long as the process lives.
type memoryVersions struct {
	bySum map[string]map[[32]byte]int // flow -> contents -> version
	last  map[string]int              // flow -> highest version given
}

func (m *memoryVersions) Version(_ context.Context, flow string, sum [32]byte) (int, error) {
	if m.bySum == nil {
		m.bySum, m.last = map[string]map[[32]byte]int{}, map[string]int{}
	}
	if v, ok := m.bySum[flow][sum]; ok {
		return v, nil
	}
	if m.bySum[flow] == nil {
		m.bySum[flow] = map[[32]byte]int{}
	}
	m.last[flow]++
	m.bySum[flow][sum] = m.last[flow]
	return m.last[flow], nil
}
