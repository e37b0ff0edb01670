package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckFlowsDir: a flows.dir serve cannot load flows from is a problem
// at the line of flows.dir, saying which folder was looked for.
func TestCheckFlowsDir(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	mustWrite := func(path, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(filepath.Join(dir, "good", "a.yaml"), "flow: a\n")
	mustWrite(filepath.Join(dir, "yml", "a.yml"), "flow: a\n")
	mustWrite(filepath.Join(dir, "empty", "README"), "no flows here\n")
	mustWrite(filepath.Join(dir, "afile"), "")
	if err := os.Mkdir(filepath.Join(dir, "nested"), 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(filepath.Join(dir, "nested", "sub", "a.yaml"), "flow: a\n")

	const head = "ari:\n  url: http://127.0.0.1:8088/ari\n  username: hotline\n"
	hint := " (" + flowsDirHint + ")"
	tests := []struct {
		name string
		file string
		want string // "" for no problem
	}{
		{"a folder of flows", head + "flows:\n  dir: good\n", ""},
		{"*.yml files", head + "flows:\n  dir: yml\n", ""},
		{"absolute path", head + "flows:\n  dir: " + filepath.Join(dir, "good") + "\n", ""},
		{"missing", head + "flows:\n  dir: flows\n",
			`c.yaml:5: flows.dir: the folder "flows" does not exist (looked for ` + filepath.Join(dir, "flows") + ")" + hint},
		{"missing, by default", head,
			`c.yaml:1: flows.dir: the folder "flows" does not exist (looked for ` + filepath.Join(dir, "flows") + ")" + hint},
		{"a file", head + "log:\n  level: info\nflows: {dir: afile}\n",
			`c.yaml:6: flows.dir: "afile" is a file, not a folder (` + filepath.Join(dir, "afile") + ")" + hint},
		{"no flow in it", head + "flows:\n  dir: empty\n",
			`c.yaml:5: flows.dir: the folder "empty" holds no call flow, no *.yaml or *.yml file (` + filepath.Join(dir, "empty") + ")" + hint},
		{"flows only in a subfolder", head + "flows:\n  dir: nested\n",
			`c.yaml:5: flows.dir: the folder "nested" holds no call flow, no *.yaml or *.yml file (` + filepath.Join(dir, "nested") + ")" + hint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("c.yaml", []byte(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got := CheckFlowsDir("c.yaml", []byte(tt.file), cfg)
			if got.Error() != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got.Error(), tt.want)
			}
		})
	}
	if os.Geteuid() != 0 { // root reads any folder
		locked := filepath.Join(dir, "locked")
		mustWrite(filepath.Join(locked, "a.yaml"), "flow: a\n")
		if err := os.Chmod(locked, 0o000); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(locked, 0o755)
		file := head + "flows:\n  dir: locked\n"
		cfg, _ := Parse("c.yaml", []byte(file))
		if got := CheckFlowsDir("c.yaml", []byte(file), cfg).Error(); !strings.HasPrefix(got, `c.yaml:5: flows.dir: the folder "locked" cannot be read: permission denied`) {
			t.Errorf("unreadable folder: got %s", got)
		}
	}
}

// TestExampleFlowsDir: from the top of a checkout, the example file's
// flows.dir is the demo hotline's flows, so that a copy of it works as it
// is.
func TestExampleFlowsDir(t *testing.T) {
	t.Chdir("../../../..")
	const path = "deploy/hotline.example.yaml"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(path, data)
	if err != nil {
		t.Fatal(err)
	}
	if ps := CheckFlowsDir(path, data, cfg); len(ps) > 0 {
		t.Errorf("the example's flows.dir: %v", ps)
	}
}
