package pgtest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFindBinaries(t *testing.T) {
	fake := func(t *testing.T, files ...string) string {
		root := t.TempDir()
		for _, f := range files {
			path := filepath.Join(root, f)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return root
	}
	tests := []struct {
		name    string
		path    []string // on PATH, relative to a fake root
		lib     []string // under a fake /usr/lib/postgresql
		want    string   // initdb found, relative to its root
		wantErr error
	}{
		{"on PATH", []string{"bin/initdb", "bin/postgres"}, []string{"15/bin/initdb", "15/bin/postgres"}, "bin/initdb", nil},
		{"newest Debian version", nil, []string{"9/bin/initdb", "9/bin/postgres", "15/bin/initdb", "15/bin/postgres", "13/bin/initdb", "13/bin/postgres"}, "15/bin/initdb", nil},
		{"half a version is skipped", nil, []string{"16/bin/initdb", "15/bin/initdb", "15/bin/postgres"}, "15/bin/initdb", nil},
		{"initdb alone on PATH", []string{"bin/initdb"}, nil, "", ErrNoBinaries},
		{"none", nil, nil, "", ErrNoBinaries},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pathRoot, libRoot := fake(t, tt.path...), fake(t, tt.lib...)
			t.Setenv("PATH", filepath.Join(pathRoot, "bin"))
			got, err := findBinaries(libRoot)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error: got %v, want %v", err, tt.wantErr)
			}
			if tt.want == "" {
				return
			}
			root := libRoot
			if len(tt.path) > 0 {
				root = pathRoot
			}
			if want := filepath.Join(root, tt.want); got.initdb != want {
				t.Errorf("initdb: got %s, want %s", got.initdb, want)
			}
		})
	}
}

// fakeTB records how fail ends a test.
type fakeTB struct {
	testing.TB
	skipped, failed bool
}

func (f *fakeTB) Helper()               {}
func (f *fakeTB) Skipf(string, ...any)  { f.skipped = true }
func (f *fakeTB) Fatalf(string, ...any) { f.failed = true }

func TestFail(t *testing.T) {
	tests := []struct {
		name        string
		ci          string
		err         error
		wantSkipped bool
	}{
		{"no PostgreSQL on a developer's machine", "", ErrNoBinaries, true},
		{"no PostgreSQL under CI", "true", ErrNoBinaries, false},
		{"no PostgreSQL under CI=1", "1", ErrNoBinaries, false},
		{"another failure", "", ErrExited, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			f := &fakeTB{TB: t}
			fail(f, tt.err)
			if f.skipped != tt.wantSkipped || f.failed == tt.wantSkipped {
				t.Errorf("got skipped %v, failed %v; want skipped %v", f.skipped, f.failed, tt.wantSkipped)
			}
		})
	}
}
