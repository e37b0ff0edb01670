package config

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/hotline-ivr/hotline/internal/strictyaml"
)

// flowsDirHint says what flows.dir must be, for every problem with it.
const flowsDirHint = "the folder of the call-flow *.yaml files, like /etc/hotline/flows, or cmd/hotline/flows " +
	"for the demo hotline's in a checkout; a relative path is from the folder hotline runs in"

// CheckFlowsDir reports a flows.dir that serve cannot load flows from: one
// that does not exist, is not a folder, cannot be read, or holds no *.yaml
// or *.yml file. file is the configuration file cfg was loaded from and
// data its contents: each problem is at the line of flows.dir (or of the
// nearest section the file has). It is what Load cannot know from the file
// alone, so "config check" and "serve" both call it.
func CheckFlowsDir(file string, data []byte, cfg Config) Problems {
	dir := cfg.Flows.Dir
	if dir == "" {
		return nil // Parse reports it
	}
	where := dir
	if !filepath.IsAbs(dir) {
		if abs, err := filepath.Abs(dir); err == nil {
			where = abs
		}
	}
	problem := func(format string, args ...any) Problems {
		d := strictyaml.New(file)
		d.Lines = keyLines(data)
		d.At("flows.dir", flowsDirHint, format, args...)
		return d.Problems
	}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return problem("the folder %q does not exist (looked for %s)", dir, where)
	case err == nil && !st.IsDir():
		return problem("%q is a file, not a folder (%s)", dir, where)
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrPermission):
		return problem("the folder %q cannot be read: permission denied (%s)", dir, where)
	case err != nil:
		return problem("the folder %q cannot be read: %v", dir, err)
	}
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			return nil
		}
	}
	return problem("the folder %q holds no call flow, no *.yaml or *.yml file (%s)", dir, where)
}

// keyLines maps the dotted path of every mapping key of a YAML document
// to its line, as the decoder's walk records them.
func keyLines(data []byte) map[string]int {
	lines := map[string]int{}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil || len(doc.Content) == 0 {
		return lines
	}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			p := joinPath(path, n.Content[i].Value)
			if _, seen := lines[p]; !seen {
				lines[p] = n.Content[i].Line
			}
			walk(n.Content[i+1], p)
		}
	}
	walk(doc.Content[0], "")
	return lines
}
