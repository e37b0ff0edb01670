package apidoc

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestFindFrom(t *testing.T) {
	t.Parallel()
	// <root>/main/go.mod, <root>/main/ivr/aritest, <root>/shared/ari-api-docs;
	// <root>/other/bare/go.mod without a sibling shared folder;
	// <root>/nomod without go.mod.
	root := t.TempDir()
	mkdir := func(parts ...string) string {
		dir := filepath.Join(append([]string{root}, parts...)...)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	touch := func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	touch(mkdir("main"))
	deep := mkdir("main", "ivr", "aritest")
	docs := mkdir("shared", "ari-api-docs")
	touch(mkdir("other", "bare"))
	bareSub := mkdir("other", "bare", "pkg")
	nomod := mkdir("nomod")

	tests := []struct {
		name    string
		start   string
		wantDir string
		wantOK  bool
	}{
		{"module root", filepath.Join(root, "main"), docs, true},
		{"deep in module", deep, docs, true},
		{"module without shared folder", bareSub, filepath.Join(root, "other", "shared", "ari-api-docs"), false},
		{"no go.mod above", nomod, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, ok := findFrom(tt.start)
			if tt.name == "no go.mod above" {
				// The temp dir may itself sit below some go.mod; only the
				// result for our own tree is meaningful.
				if ok && strings.HasPrefix(dir, root) {
					t.Errorf("findFrom(%s): got %q, true; want not found", tt.start, dir)
				}
				return
			}
			if ok != tt.wantOK || dir != tt.wantDir {
				t.Errorf("findFrom(%s): got %q, %v; want %q, %v", tt.start, dir, ok, tt.wantDir, tt.wantOK)
			}
		})
	}
}

func TestFindMatchesWorkingDirectory(t *testing.T) {
	t.Parallel()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	wantDir, wantOK := findFrom(wd)
	dir, ok := Find()
	if dir != wantDir || ok != wantOK {
		t.Errorf("Find(): got %q, %v; want %q, %v", dir, ok, wantDir, wantOK)
	}
	if ok && filepath.Base(dir) != "ari-api-docs" {
		t.Errorf("Find(): got %q, want a directory named ari-api-docs", dir)
	}
}

// fakeTB records Skip and Fatal and stops the calling goroutine like the
// real ones do.
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestLoadedForTest(t *testing.T) {
	t.Parallel()
	doc := &Doc{}
	tests := []struct {
		name        string
		res         loaded
		ci          string
		wantDoc     *Doc
		wantSkip    bool
		wantFail    bool
		wantMessage string
	}{
		{name: "found", res: loaded{dir: "/d", found: true, doc: doc}, wantDoc: doc},
		{name: "found in CI", res: loaded{dir: "/d", found: true, doc: doc}, ci: "true", wantDoc: doc},
		{name: "absent skips", res: loaded{dir: "/m/../shared/ari-api-docs"}, wantSkip: true,
			wantMessage: "not found at /m/../shared/ari-api-docs; skipping"},
		{name: "absent fails in CI", res: loaded{dir: "/m/../shared/ari-api-docs"}, ci: "1", wantFail: true,
			wantMessage: "required when CI is set"},
		{name: "no module", res: loaded{}, wantSkip: true, wantMessage: "no go.mod above the working directory"},
		{name: "broken fails", res: loaded{dir: "/d", found: true, err: fmt.Errorf("%w: x.json: boom", ErrBadSpec)},
			wantFail: true, wantMessage: "x.json: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &fakeTB{}
			var got *Doc
			done := make(chan struct{})
			go func() {
				defer close(done)
				got = tt.res.forTest(fake, tt.ci)
			}()
			<-done
			if fake.skipped != tt.wantSkip || fake.failed != tt.wantFail {
				t.Errorf("skipped=%v failed=%v (%q); want skipped=%v failed=%v",
					fake.skipped, fake.failed, fake.msg, tt.wantSkip, tt.wantFail)
			}
			if !strings.Contains(fake.msg, tt.wantMessage) {
				t.Errorf("message %q does not contain %q", fake.msg, tt.wantMessage)
			}
			if got != tt.wantDoc {
				t.Errorf("got doc %p, want %p", got, tt.wantDoc)
			}
		})
	}
}

func TestLoadForTestShared(t *testing.T) {
	t.Parallel()
	first := LoadForTest(t)
	results := make(chan *Doc, 8)
	for range cap(results) {
		t.Run("parallel", func(t *testing.T) {
			t.Parallel()
			results <- LoadForTest(t)
		})
	}
	t.Cleanup(func() {
		close(results)
		for d := range results {
			if d != first {
				t.Errorf("LoadForTest: got %p, want the shared %p", d, first)
			}
		}
	})
}
