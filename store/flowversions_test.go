package store_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// versionedFlow is a valid flow file of flow name whose menu timeout tells
// its versions apart.
func versionedFlow(name, timeout string) []byte {
	return fmt.Appendf(nil, `flow: %s
numbers: ["4001"]
languages: [zh]
start: main
nodes:
  main:
    menu: {prompt: anything-else, options: {"1": bye}, timeout: %s}
  bye:
    hangup: {}
`, name, timeout)
}

// TestFlowVersionsSurviveARestart loads a flow, "restarts" (a new registry
// on the same database), and loads it again: the same file has the same
// version, a changed file the next one, and the first text its first
// version again.
func TestFlowVersionsSurviveARestart(t *testing.T) {
	db := open(t, pgtest.New(t))
	start := func() *callflow.Registry {
		r := &callflow.Registry{}
		r.SetVersions(store.NewFlowVersions(db))
		return r
	}
	load := func(r *callflow.Registry, file []byte) int {
		t.Helper()
		rep, err := r.LoadContext(t.Context(), map[string][]byte{"flows/flow.yaml": file})
		if err != nil || rep.VersionErr != nil || len(rep.Loaded)+len(rep.Unchanged) != 1 {
			t.Fatalf("load: %v; numbering: %v; loaded %v", err, rep.VersionErr, rep.Loaded)
		}
		f, ok := r.Flows()[0], len(r.Flows()) == 1
		if !ok {
			t.Fatal("the flow is not loaded")
		}
		return f.Version
	}
	v1, v2 := versionedFlow("smart-home", "5s"), versionedFlow("smart-home", "6s")

	steps := []struct {
		name    string
		restart bool
		file    []byte
		want    int
	}{
		{"first start", true, v1, 1},
		{"restart, same file", true, v1, 1},
		{"file edited, reloaded", false, v2, 2},
		{"restart, edited file", true, v2, 2},
		{"restart, first text back", true, v1, 1},
		{"reloaded, edited text back", false, v2, 2},
	}
	var r *callflow.Registry
	for _, st := range steps {
		if st.restart {
			r = start()
		}
		if got := load(r, st.file); got != st.want {
			t.Errorf("%s: version %d, want %d", st.name, got, st.want)
		}
	}
	other := versionedFlow("other", "5s")
	if got := load(start(), other); got != 1 {
		t.Errorf("another flow: version %d, want 1 (versions count per flow)", got)
	}
}

// TestFlowVersionsConcurrent: instances numbering the same new text at
// once agree on one version, and different texts get different versions.
func TestFlowVersionsConcurrent(t *testing.T) {
	db := open(t, pgtest.New(t))
	const texts, instances = 5, 4
	got := make([][instances]int, texts)
	var wg sync.WaitGroup
	errs := make(chan error, texts*instances)
	for i := range instances {
		v := store.NewFlowVersions(db)
		for n := range texts {
			wg.Go(func() {
				sum := sha256.Sum256(versionedFlow("f", fmt.Sprintf("%ds", n+1)))
				version, err := v.Version(t.Context(), "f", sum)
				if err != nil {
					errs <- err
				}
				got[n][i] = version
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for n, vs := range got {
		for i, v := range vs {
			if v != vs[0] {
				t.Errorf("text %d: instance %d got version %d, instance 0 got %d", n, i, v, vs[0])
			}
		}
		if prev, dup := seen[vs[0]]; dup {
			t.Errorf("texts %d and %d both got version %d", prev, n, vs[0])
		}
		seen[vs[0]] = n
		if vs[0] < 1 || vs[0] > texts {
			t.Errorf("text %d: version %d, want 1 to %d", n, vs[0], texts)
		}
	}
}

func TestFlowVersionsNeedAName(t *testing.T) {
	db := open(t, pgtest.New(t))
	if _, err := store.NewFlowVersions(db).Version(t.Context(), "", [32]byte{}); !errors.Is(err, store.ErrNoFlowName) {
		t.Errorf("got %v, want ErrNoFlowName", err)
	}
}
