package hotline_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestPackageDocs requires every package in the module to have exactly one
// package doc comment, in one of its non-test files: it is where a package
// says what it owns and what it must not touch.
func TestPackageDocs(t *testing.T) {
	dirs := map[string][]string{} // directory -> its non-test Go files
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != "." && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if path != "." {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			dirs[filepath.Dir(path)] = append(dirs[filepath.Dir(path)], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		t.Fatal("found no Go packages; is the test running at the module root?")
	}
	for _, dir := range slices.Sorted(maps.Keys(dirs)) {
		files := dirs[dir]
		t.Run(filepath.ToSlash(dir), func(t *testing.T) {
			var withDoc []string
			fset := token.NewFileSet()
			for _, file := range files {
				f, err := parser.ParseFile(fset, file, nil, parser.ParseComments|parser.PackageClauseOnly)
				if err != nil {
					t.Fatal(err)
				}
				if f.Doc != nil {
					withDoc = append(withDoc, filepath.Base(file))
				}
			}
			switch len(withDoc) {
			case 0:
				t.Errorf("package %s has no package doc comment; add one (in doc.go, or the file named after the package) saying what it owns and what it must not touch", dir)
			case 1:
			default:
				t.Errorf("package %s has package doc comments in %d files, %v; keep exactly one", dir, len(withDoc), withDoc)
			}
		})
	}
}
