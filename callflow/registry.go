package callflow

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Registry holds the active version of each flow and which flow answers
// each number. Its methods are safe to call concurrently. The zero value is
// an empty registry.
//
// A call picks its flow with [Registry.ForNumber] when it starts and keeps
// that *Flow to the end: a [Registry.Load] changes what new calls get, never
// the flow of a call in progress.
//
// Versions are by contents: a flow's file gets the version those contents
// had before, or the flow's next one (see [VersionStore]). Without
// [Registry.SetVersions] they are kept in memory and start again at 1 with
// the process.
type Registry struct {
	loading sync.Mutex // one Load at a time; guards what follows
	store   VersionStore
	memory  memoryVersions
	queues  []string
	checkQ  bool
	cats    []string
	checkC  bool

	mu       sync.RWMutex
	active   map[string]*Flow    // flow name -> active version
	sums     map[string][32]byte // flow name -> hash of its file's bytes
	byNumber map[string]*Flow
}

// SetVersions makes the registry number versions with v from the next
// Load on.
func (r *Registry) SetVersions(v VersionStore) {
	r.loading.Lock()
	defer r.loading.Unlock()
	r.store = v
}

// SetQueues makes Load check every queue node against the queues there
// are: a file with a queue node naming another queue is not valid. Without
// it, any queue name is taken.
func (r *Registry) SetQueues(names []string) {
	r.loading.Lock()
	defer r.loading.Unlock()
	r.queues, r.checkQ = slices.Clone(names), true
}

// SetComplaintCategories makes Load check every complaint node's
// category against the complaint categories there are: a file with a
// complaint node naming another is not valid. Without it (or with none:
// complaints are not configured, and the IVR's wait for them in the
// journeys), any category is taken.
func (r *Registry) SetComplaintCategories(codes []string) {
	r.loading.Lock()
	defer r.loading.Unlock()
	r.cats, r.checkC = slices.Clone(codes), len(codes) > 0
}

// Report says what a [Registry.Load] did.
type Report struct {
	Loaded    []*Flow  // new versions now active, by flow name
	Unchanged []string // flows whose file did not change
	Kept      []string // flows that stay on their old version: their file is not valid now
	Removed   []string // flows no file defines any more
	Problems  Problems // every problem of every file, by file and line
	// Unnumbered are flows in Loaded that the VersionStore could not
	// number (VersionErr says why): they are active with Version 0, and the
	// next Load numbers them again.
	Unnumbered []string
	VersionErr error
}

// Load reads files, the complete set of flow files (file name -> contents),
// and makes their flows active. A valid file whose contents changed becomes
// its flow's next version. A file that is not valid, or that claims a
// number another flow answers, changes nothing: the flow it held before
// stays active, and its problems are reported. A flow that no file defines
// any more is removed. The error, when there is any problem, is the report's
// Problems. It is LoadContext without a deadline on the VersionStore.
func (r *Registry) Load(files map[string][]byte) (Report, error) {
	return r.LoadContext(context.Background(), files)
}

// LoadContext is Load with ctx for the VersionStore.
func (r *Registry) LoadContext(ctx context.Context, files map[string][]byte) (Report, error) {
	r.loading.Lock()
	defer r.loading.Unlock()

	var rep Report
	parsed := map[string]*Flow{} // flow name -> its new version
	sums := map[string][32]byte{}
	invalid := map[string]bool{} // files
	byName := map[string][]*Flow{}
	for _, file := range sortedKeys(files) {
		f, err := Parse(file, files[file])
		if ps, ok := errors.AsType[Problems](err); ok {
			rep.Problems = append(rep.Problems, ps...)
			invalid[file] = true
			continue
		}
		if r.checkQ {
			if ps := f.CheckQueues(r.queues); len(ps) > 0 {
				rep.Problems = append(rep.Problems, ps...)
				invalid[file] = true
				continue
			}
		}
		if r.checkC {
			if ps := f.CheckCategories(r.cats); len(ps) > 0 {
				rep.Problems = append(rep.Problems, ps...)
				invalid[file] = true
				continue
			}
		}
		byName[f.Name] = append(byName[f.Name], f)
		sums[f.Name] = sha256.Sum256(files[file])
	}
	for _, name := range sortedKeys(byName) {
		fs := byName[name]
		if len(fs) == 1 {
			parsed[name] = fs[0]
			continue
		}
		for i, f := range fs {
			other := fs[(i+1)%len(fs)]
			rep.Problems = append(rep.Problems, Problem{File: f.File, Line: f.nameLine, Field: "flow",
				Msg: fmt.Sprintf("%q is also the flow of %s", name, other.File), Hint: "one file per flow: rename one of them"})
			invalid[f.File] = true
		}
	}

	r.mu.RLock()
	old := r.active
	oldSums := r.sums
	r.mu.RUnlock()

	next := map[string]*Flow{}
	isNew := map[string]bool{}
	for name, f := range parsed {
		if o := old[name]; o != nil && o.File == f.File && oldSums[name] == sums[name] && o.Version > 0 {
			next[name] = o
			rep.Unchanged = append(rep.Unchanged, name)
			continue
		}
		next[name], isNew[name] = f, true
	}
	for name, o := range old {
		switch {
		case next[name] != nil:
		case invalid[o.File]:
			next[name] = o
			rep.Kept = append(rep.Kept, name)
		default:
			rep.Removed = append(rep.Removed, name)
		}
	}
	rep.Problems = append(rep.Problems, resolveNumbers(next, old, isNew, &rep)...)

	newSums := map[string][32]byte{}
	byNumber := map[string]*Flow{}
	store := r.store
	if store == nil {
		store = &r.memory
	}
	for _, name := range sortedKeys(next) {
		f := next[name]
		if isNew[name] {
			v, err := store.Version(ctx, name, sums[name])
			if err != nil {
				v = 0
				rep.Unnumbered = append(rep.Unnumbered, name)
				rep.VersionErr = errors.Join(rep.VersionErr, fmt.Errorf("numbering flow %s: %w", name, err))
			}
			f.Version = v
			rep.Loaded = append(rep.Loaded, f)
			newSums[name] = sums[name]
		} else {
			newSums[name] = oldSums[name]
		}
		for _, n := range f.Numbers {
			byNumber[n] = f
		}
	}
	slices.SortFunc(rep.Loaded, func(a, b *Flow) int { return strings.Compare(a.Name, b.Name) })
	slices.Sort(rep.Unchanged)
	slices.Sort(rep.Kept)
	slices.Sort(rep.Removed)
	rep.Problems.sort()

	r.mu.Lock()
	r.active, r.sums, r.byNumber = next, newSums, byNumber
	r.mu.Unlock()
	if len(rep.Problems) > 0 {
		return rep, rep.Problems
	}
	return rep, nil
}

// resolveNumbers turns away the new versions in next that claim a number
// another flow in next claims too, until no number has two flows; a flow
// turned away keeps its old version, if it had one.
func resolveNumbers(next, old map[string]*Flow, isNew map[string]bool, rep *Report) Problems {
	var problems Problems
	for {
		claims := map[string][]string{} // number -> flow names
		for _, name := range sortedKeys(next) {
			for _, n := range next[name].Numbers {
				claims[n] = append(claims[n], name)
			}
		}
		rejected := map[string]bool{}
		for _, n := range sortedKeys(claims) {
			names := claims[n]
			if len(names) < 2 {
				continue
			}
			for i, name := range names {
				if !isNew[name] {
					continue
				}
				f, other := next[name], next[names[(i+1)%len(names)]]
				problems = append(problems, Problem{
					File: f.File, Line: f.numberLines[n], Field: fmt.Sprintf("numbers[%d]", slices.Index(f.Numbers, n)),
					Msg:  fmt.Sprintf("%q is also answered by flow %q (%s)", n, other.Name, other.File),
					Hint: "a number reaches one flow: remove it from one of them",
				})
				rejected[name] = true
			}
		}
		if len(rejected) == 0 {
			return problems
		}
		for _, name := range sortedKeys(rejected) {
			delete(isNew, name)
			if o := old[name]; o != nil {
				next[name] = o
				rep.Kept = append(rep.Kept, name)
			} else {
				delete(next, name)
			}
		}
	}
}

// ForNumber returns the active flow that answers the dialled number, for a
// new call.
func (r *Registry) ForNumber(number string) (*Flow, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.byNumber[number]
	return f, ok
}

// Flow returns the active version of the flow called name.
func (r *Registry) Flow(name string) (*Flow, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.active[name]
	return f, ok
}

// Flows returns the active flows, by name.
func (r *Registry) Flows() []*Flow {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*Flow, 0, len(r.active))
	for _, name := range sortedKeys(r.active) {
		out = append(out, r.active[name])
	}
	return out
}
