package callflow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// flowFile is a small valid flow file whose menu timeout tells versions
// apart.
func flowFile(name, timeout string, numbers ...string) []byte {
	quoted := make([]string, len(numbers))
	for i, n := range numbers {
		quoted[i] = `"` + n + `"`
	}
	return fmt.Appendf(nil, `flow: %s
numbers: [%s]
languages: [zh]
start: main
nodes:
  main:
    menu: {prompt: anything-else, options: {"1": bye}, timeout: %s}
  bye:
    hangup: {}
`, name, strings.Join(quoted, ", "), timeout)
}

// versions renders flows as name@version.
func versions(fs []*Flow) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s@%d", f.Name, f.Version))
	}
	return out
}

func TestRegistryLoad(t *testing.T) {
	a1 := flowFile("a", "5s", "4001", "4002")
	a2 := flowFile("a", "6s", "4001", "4002")
	b1 := flowFile("b", "5s", "4003")
	steps := []struct {
		name          string
		files         map[string][]byte
		wantLoaded    []string
		wantUnchanged []string
		wantKept      []string
		wantRemoved   []string
		wantProblems  []string
		wantNumbers   map[string]string // number -> name@version, or "" for none
	}{
		{
			name:        "first load",
			files:       map[string][]byte{"a.yaml": a1, "b.yaml": b1},
			wantLoaded:  []string{"a@1", "b@1"},
			wantNumbers: map[string]string{"4001": "a@1", "4002": "a@1", "4003": "b@1", "4999": ""},
		},
		{
			name:          "the same files again",
			files:         map[string][]byte{"a.yaml": a1, "b.yaml": b1},
			wantUnchanged: []string{"a", "b"},
			wantNumbers:   map[string]string{"4001": "a@1", "4003": "b@1"},
		},
		{
			name:          "a valid change is a new version",
			files:         map[string][]byte{"a.yaml": a2, "b.yaml": b1},
			wantLoaded:    []string{"a@2"},
			wantUnchanged: []string{"b"},
			wantNumbers:   map[string]string{"4001": "a@2", "4003": "b@1"},
		},
		{
			name:          "an invalid file does not replace a valid one",
			files:         map[string][]byte{"a.yaml": []byte("flow: a\nnumbers: [\"4001\"]\nlanguages: [zh]\nstart: main\nnodes:\n  main:\n    menu: {prompt: anything-else, options: {\"1\": nowhere}}\n"), "b.yaml": b1},
			wantUnchanged: []string{"b"},
			wantKept:      []string{"a"},
			wantProblems:  []string{`a.yaml:7: nodes.main.menu.options."1": "nowhere" is not a node (nodes: main)`},
			wantNumbers:   map[string]string{"4001": "a@2", "4002": "a@2", "4003": "b@1"},
		},
		{
			name:          "a number another flow answers",
			files:         map[string][]byte{"a.yaml": a2, "b.yaml": flowFile("b", "5s", "4003", "4001")},
			wantUnchanged: []string{"a"},
			wantKept:      []string{"b"},
			wantProblems:  []string{`b.yaml:2: numbers[1]: "4001" is also answered by flow "a" (a.yaml) (a number reaches one flow: remove it from one of them)`},
			wantNumbers:   map[string]string{"4001": "a@2", "4003": "b@1"},
		},
		{
			name:        "a number moves from one flow to another",
			files:       map[string][]byte{"a.yaml": flowFile("a", "6s", "4001"), "b.yaml": flowFile("b", "5s", "4003", "4002")},
			wantLoaded:  []string{"a@3", "b@2"},
			wantNumbers: map[string]string{"4001": "a@3", "4002": "b@2", "4003": "b@2"},
		},
		{
			name:     "two new versions claim one number",
			files:    map[string][]byte{"a.yaml": flowFile("a", "6s", "4001", "4009"), "b.yaml": flowFile("b", "5s", "4003", "4002", "4009")},
			wantKept: []string{"a", "b"},
			wantProblems: []string{
				`a.yaml:2: numbers[1]: "4009" is also answered by flow "b" (b.yaml) (a number reaches one flow: remove it from one of them)`,
				`b.yaml:2: numbers[2]: "4009" is also answered by flow "a" (a.yaml) (a number reaches one flow: remove it from one of them)`,
			},
			wantNumbers: map[string]string{"4001": "a@3", "4002": "b@2", "4009": ""},
		},
		{
			name:          "a file removed",
			files:         map[string][]byte{"a.yaml": flowFile("a", "6s", "4001")},
			wantUnchanged: []string{"a"},
			wantRemoved:   []string{"b"},
			wantNumbers:   map[string]string{"4001": "a@3", "4002": "", "4003": ""},
		},
		{
			name:          "a flow back with contents it had gets the version they had",
			files:         map[string][]byte{"a.yaml": flowFile("a", "6s", "4001"), "b.yaml": b1},
			wantLoaded:    []string{"b@1"},
			wantUnchanged: []string{"a"},
			wantNumbers:   map[string]string{"4001": "a@3", "4003": "b@1"},
		},
		{
			name:          "two files, one flow",
			files:         map[string][]byte{"a.yaml": flowFile("a", "6s", "4001"), "b.yaml": b1, "c.yaml": flowFile("a", "9s", "4005")},
			wantUnchanged: []string{"b"},
			wantKept:      []string{"a"},
			wantProblems: []string{
				`a.yaml:1: flow: "a" is also the flow of c.yaml (one file per flow: rename one of them)`,
				`c.yaml:1: flow: "a" is also the flow of a.yaml (one file per flow: rename one of them)`,
			},
			wantNumbers: map[string]string{"4001": "a@3", "4005": ""},
		},
	}
	var r Registry
	var held *Flow
	for i, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			rep, err := r.Load(st.files)
			var gotProblems []string
			for _, p := range rep.Problems {
				gotProblems = append(gotProblems, p.Error())
			}
			checkList(t, "Loaded", versions(rep.Loaded), st.wantLoaded)
			checkList(t, "Unchanged", rep.Unchanged, st.wantUnchanged)
			checkList(t, "Kept", rep.Kept, st.wantKept)
			checkList(t, "Removed", rep.Removed, st.wantRemoved)
			checkList(t, "Problems", gotProblems, st.wantProblems)
			switch {
			case len(st.wantProblems) == 0 && err != nil:
				t.Errorf("error: got %v, want nil", err)
			case len(st.wantProblems) > 0 && !errors.Is(err, ErrInvalid):
				t.Errorf("error: got %v, want one matching ErrInvalid", err)
			}
			for number, want := range st.wantNumbers {
				f, ok := r.ForNumber(number)
				got := ""
				if ok {
					got = fmt.Sprintf("%s@%d", f.Name, f.Version)
				}
				if got != want {
					t.Errorf("ForNumber(%s): got %q, want %q", number, got, want)
				}
			}
			if i == 0 {
				held, _ = r.ForNumber("4001")
			}
		})
	}
	// A call that started on the first version still has it, unchanged.
	if held == nil || held.Version != 1 || held.Node("main").Menu.Timeout != 5*time.Second || !slices.Equal(held.Numbers, []string{"4001", "4002"}) {
		t.Errorf("held flow: got %+v, want version 1 with a 5s menu timeout and numbers 4001, 4002", held)
	}
	checkList(t, "Flows", versions(r.Flows()), []string{"a@3", "b@1"})
	if f, ok := r.Flow("b"); !ok || f.Version != 1 {
		t.Errorf("Flow(b): got %v, %v; want version 1", f, ok)
	}
}

func checkList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\ngot  %q\nwant %q", what, got, want)
	}
}

// TestRegistryConcurrentReload reloads while calls look up their flow: every
// flow a call gets is whole, and versions never go backwards.
func TestRegistryConcurrentReload(t *testing.T) {
	var r Registry
	const reloads = 50
	timeout := func(v int) time.Duration { return time.Duration(v) * time.Second }
	if _, err := r.Load(map[string][]byte{"a.yaml": flowFile("a", "1s", "4001")}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			last := 0
			for {
				select {
				case <-done:
					return
				default:
				}
				f, ok := r.ForNumber("4001")
				switch {
				case !ok:
					errs <- errors.New("ForNumber: no flow during a reload")
					return
				case f.Version < last:
					errs <- fmt.Errorf("version went back from %d to %d", last, f.Version)
					return
				case f.Node("main").Menu.Timeout != timeout(f.Version):
					errs <- fmt.Errorf("version %d has timeout %s", f.Version, f.Node("main").Menu.Timeout)
					return
				}
				last = f.Version
			}
		})
	}
	for v := 2; v <= reloads; v++ {
		if _, err := r.Load(map[string][]byte{"a.yaml": flowFile("a", fmt.Sprintf("%ds", v), "4001")}); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if f, _ := r.ForNumber("4001"); f.Version != reloads {
		t.Errorf("final version: got %d, want %d", f.Version, reloads)
	}
}

// queueFlow is a flow whose only node hands the caller to queue, on line 7.
func queueFlow(queue string) []byte {
	return fmt.Appendf(nil, `flow: q
numbers: ["4001"]
languages: [zh]
start: main
nodes:
  main:
    queue:
      name: %s
      next: bye
  bye:
    hangup: {}
`, queue)
}

// TestRegistryUnknownQueue: with the queues set, a flow naming a queue
// there is not is a problem at the line of the name, with the queues
// there are as the hint, and the version before it stays.
func TestRegistryUnknownQueue(t *testing.T) {
	var r Registry
	r.SetQueues([]string{"after-sales", "vip"})
	if _, err := r.Load(map[string][]byte{"q.yaml": queueFlow("after-sales")}); err != nil {
		t.Fatalf("a known queue: %v", err)
	}
	for _, tt := range []struct{ queue, want string }{
		{"aftersales", `q.yaml:8: nodes.main.queue.name: there is no queue "aftersales" (did you mean after-sales? queues in the configuration: after-sales, vip)`},
		{"complaints", `q.yaml:8: nodes.main.queue.name: there is no queue "complaints" (queues in the configuration: after-sales, vip)`},
	} {
		t.Run(tt.queue, func(t *testing.T) {
			rep, err := r.Load(map[string][]byte{"q.yaml": queueFlow(tt.queue)})
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error: got %v, want one matching ErrInvalid", err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("problems:\ngot  %s\nwant %s", got, tt.want)
			}
			checkList(t, "Kept", rep.Kept, []string{"q"})
			if f, ok := r.ForNumber("4001"); !ok || f.Node("main").Queue.Name != "after-sales" {
				t.Errorf("ForNumber: got %v, want the version with after-sales", f)
			}
		})
	}

	var none Registry
	none.SetQueues(nil)
	_, err := none.Load(map[string][]byte{"q.yaml": queueFlow("after-sales")})
	if want := `q.yaml:8: nodes.main.queue.name: there is no queue "after-sales" (there are no queues in the configuration)`; err == nil || err.Error() != want {
		t.Errorf("no queues configured:\ngot  %v\nwant %s", err, want)
	}
	var unchecked Registry
	if _, err := unchecked.Load(map[string][]byte{"q.yaml": queueFlow("anything")}); err != nil {
		t.Errorf("without SetQueues any queue is taken, got %v", err)
	}
}

// failingVersions is a VersionStore that is down until up is set.
type failingVersions struct {
	up   bool
	mem  memoryVersions
	asks int
}

func (f *failingVersions) Version(ctx context.Context, flow string, sum [32]byte) (int, error) {
	f.asks++
	if !f.up {
		return 0, errors.New("database is down")
	}
	return f.mem.Version(ctx, flow, sum)
}

// TestRegistryVersionsByContents: the same contents get the same version,
// other contents the next; a store that fails leaves the flow active at
// version 0, numbered at the next load.
func TestRegistryVersionsByContents(t *testing.T) {
	store := &failingVersions{}
	var r Registry
	r.SetVersions(store)
	a1, a2 := flowFile("a", "5s", "4001"), flowFile("a", "6s", "4001")
	rep, err := r.Load(map[string][]byte{"a.yaml": a1})
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := r.ForNumber("4001"); !ok || f.Version != 0 {
		t.Fatalf("with the store down: got %v, want flow a active at version 0", f)
	}
	checkList(t, "Unnumbered", rep.Unnumbered, []string{"a"})
	if rep.VersionErr == nil || !strings.Contains(rep.VersionErr.Error(), "database is down") {
		t.Errorf("VersionErr: got %v", rep.VersionErr)
	}
	store.up = true
	for i, step := range []struct {
		file []byte
		want int
	}{{a1, 1}, {a1, 1}, {a2, 2}, {a1, 1}, {a2, 2}} {
		rep, err := r.Load(map[string][]byte{"a.yaml": step.file})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Unnumbered) > 0 || rep.VersionErr != nil {
			t.Errorf("step %d: unnumbered %v: %v", i, rep.Unnumbered, rep.VersionErr)
		}
		if f, _ := r.ForNumber("4001"); f.Version != step.want {
			t.Errorf("step %d: version %d, want %d", i, f.Version, step.want)
		}
	}
}
