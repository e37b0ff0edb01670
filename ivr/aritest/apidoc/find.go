package apidoc

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// docsDir is where the description lives relative to the module root (the
// directory holding go.mod): the module is checked out as <X>/main (or any
// clone directory) next to <X>/shared.
var docsDir = filepath.Join("..", "shared", "ari-api-docs")

// ciEnv names the environment variable that, when non-empty, turns a
// missing description into a test failure instead of a skip.
const ciEnv = "CI"

// Find walks up from the working directory to the nearest directory holding
// go.mod and returns <that>/../shared/ari-api-docs, with ok reporting
// whether that directory exists. When it does not, dir is still the path
// that was looked at (for messages), or "" when no go.mod was found.
func Find() (dir string, ok bool) {
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	return findFrom(wd)
}

func findFrom(start string) (string, bool) {
	for cur := filepath.Clean(start); ; {
		if fi, err := os.Stat(filepath.Join(cur, "go.mod")); err == nil && !fi.IsDir() {
			dir := filepath.Join(cur, docsDir)
			if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
				return dir, true
			}
			return dir, false
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return "", false
		}
		cur = parent
	}
}

// loaded is the outcome of the one Find+Load of a test process.
type loaded struct {
	dir   string
	found bool
	doc   *Doc
	err   error
}

var (
	loadOnce sync.Once
	loadRes  loaded
)

// LoadForTest returns the description found by [Find], loaded once per
// process (concurrent callers share it). When the directory is absent the
// test is skipped with a message saying where it was looked for, or fails
// if the CI environment variable is non-empty; a description that is present
// but cannot be loaded always fails the test.
func LoadForTest(tb testing.TB) *Doc {
	tb.Helper()
	loadOnce.Do(func() {
		loadRes.dir, loadRes.found = Find()
		if loadRes.found {
			loadRes.doc, loadRes.err = Load(loadRes.dir)
		}
	})
	return loadRes.forTest(tb, os.Getenv(ciEnv))
}

// forTest turns an outcome into a Doc, a skip or a failure.
func (l loaded) forTest(tb testing.TB, ci string) *Doc {
	tb.Helper()
	where := l.dir
	if where == "" {
		where = "<module root>/" + filepath.ToSlash(docsDir) + " (no go.mod above the working directory)"
	}
	switch {
	case !l.found && ci != "":
		tb.Fatalf("apidoc: ARI description not found at %s; it is required when %s is set", where, ciEnv)
	case !l.found:
		tb.Skipf("apidoc: ARI description not found at %s; skipping (set %s to make this a failure)", where, ciEnv)
	case l.err != nil:
		tb.Fatalf("apidoc: loading ARI description: %v", l.err)
	}
	return l.doc
}
