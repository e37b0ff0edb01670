package console_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/console"
)

// dirFlows is the flow registry over a folder of files, as the server runs
// it.
type dirFlows struct {
	dir string
	reg callflow.Registry
}

func (f *dirFlows) Reload(ctx context.Context) (callflow.Report, error) {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		return callflow.Report{}, err
	}
	files := map[string][]byte{}
	for _, en := range entries {
		if filepath.Ext(en.Name()) != ".yaml" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(f.dir, en.Name()))
		if err != nil {
			return callflow.Report{}, err
		}
		files[en.Name()] = b
	}
	return f.reg.Load(files)
}

func (f *dirFlows) List() []*callflow.Flow { return f.reg.Flows() }

// flowFile is a small valid flow whose menu timeout tells versions apart.
func flowFile(name, timeout, number string) string {
	return fmt.Sprintf(`flow: %s
numbers: ["%s"]
languages: [zh]
start: main
nodes:
  main:
    menu: {prompt: anything-else, options: {"1": bye}, timeout: %s}
  bye:
    hangup: {}
`, name, number, timeout)
}

// brokenFile has one problem, on line 7.
const brokenFile = `flow: a
numbers: ["4001"]
languages: [zh]
start: main
nodes:
  main:
    menu: {prompt: anything-else, options: {"1": nowhere}}
`

func TestFlowReload(t *testing.T) {
	flows := &dirFlows{dir: t.TempDir()}
	e := newEnv(t, func(c *console.Config) { c.Flows = flows })
	root := e.login("root")
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(flows.dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	versions := func(vs []console.FlowVersion) string {
		var out []string
		for _, v := range vs {
			out = append(out, fmt.Sprintf("%s@%d", v.Name, v.Version))
		}
		return strings.Join(out, " ")
	}
	active := func() string {
		t.Helper()
		var l struct{ Flows []console.FlowView }
		e.must(http.StatusOK, "GET", "/api/admin/flows", root, "", &l)
		var out []string
		for _, f := range l.Flows {
			out = append(out, fmt.Sprintf("%s@%d %s %v", f.Name, f.Version, f.File, f.Numbers))
		}
		return strings.Join(out, "; ")
	}

	steps := []struct {
		name                    string
		files                   map[string]string
		status                  int
		loaded, unchanged, kept string
		problems                []console.ProblemView
		active                  string
	}{
		{
			name:   "first load",
			files:  map[string]string{"a.yaml": flowFile("a", "5s", "4001")},
			status: 200, loaded: "a@1",
			active: "a@1 a.yaml [4001]",
		},
		{
			name:   "nothing changed",
			status: 200, unchanged: "a@1",
			active: "a@1 a.yaml [4001]",
		},
		{
			name:   "a valid change is a new version",
			files:  map[string]string{"a.yaml": flowFile("a", "6s", "4001"), "b.yaml": flowFile("b", "5s", "4002")},
			status: 200, loaded: "a@2 b@1",
			active: "a@2 a.yaml [4001]; b@1 b.yaml [4002]",
		},
		{
			name:   "a broken file keeps the old version",
			files:  map[string]string{"a.yaml": brokenFile},
			status: 422, unchanged: "b@1", kept: "a@2",
			problems: []console.ProblemView{{File: "a.yaml", Line: 7, Field: `nodes.main.menu.options."1"`, Message: `"nowhere" is not a node`, Hint: "nodes: main"}},
			active:   "a@2 a.yaml [4001]; b@1 b.yaml [4002]",
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			for name, content := range st.files {
				write(name, content)
			}
			var rv console.ReloadView
			r := e.must(st.status, "POST", "/api/admin/flows/reload", root, "", &rv)
			if got := versions(rv.Loaded); got != st.loaded {
				t.Errorf("loaded %q, want %q", got, st.loaded)
			}
			if got := versions(rv.Unchanged); got != st.unchanged {
				t.Errorf("unchanged %q, want %q", got, st.unchanged)
			}
			if got := versions(rv.Kept); got != st.kept {
				t.Errorf("kept %q, want %q", got, st.kept)
			}
			if !slices.Equal(rv.Problems, st.problems) {
				t.Errorf("problems\n%+v, want\n%+v", rv.Problems, st.problems)
			}
			if st.status == 422 {
				if got, want := r.errorMessage(t), "the flow files have 1 problem(s); no invalid file was loaded"; got != want {
					t.Errorf("error %q, want %q", got, want)
				}
			}
			if got := active(); got != st.active {
				t.Errorf("active flows %q, want %q", got, st.active)
			}
		})
	}

	t.Run("removed", func(t *testing.T) {
		os.Remove(filepath.Join(flows.dir, "b.yaml"))
		write("a.yaml", flowFile("a", "7s", "4001"))
		var rv console.ReloadView
		e.must(http.StatusOK, "POST", "/api/admin/flows/reload", root, "", &rv)
		if versions(rv.Loaded) != "a@3" || strings.Join(rv.Removed, " ") != "b" {
			t.Errorf("loaded %q removed %v, want a@3 and b", versions(rv.Loaded), rv.Removed)
		}
	})

	t.Run("only administrators", func(t *testing.T) {
		for _, user := range []string{"wang", "lilei"} {
			tok := e.login(user)
			for _, req := range [][2]string{{"POST", "/api/admin/flows/reload"}, {"GET", "/api/admin/flows"}} {
				r := e.do(req[0], req[1], tok, "")
				if got := r.errorMessage(t); r.status != 403 || got != "only administrators may manage flows" {
					t.Errorf("%s %s %s: %d %q, want 403", user, req[0], req[1], r.status, got)
				}
			}
		}
	})

	t.Run("the folder is gone", func(t *testing.T) {
		flows.dir = filepath.Join(flows.dir, "missing")
		r := e.do("POST", "/api/admin/flows/reload", root, "")
		if got := r.errorMessage(t); r.status != 500 || strings.Contains(got, "missing") {
			t.Errorf("got %d %q, want a 500 that does not show the path", r.status, got)
		}
		if !strings.Contains(e.logs.String(), "missing") {
			t.Errorf("the error is not logged:\n%s", e.logs)
		}
	})
}
