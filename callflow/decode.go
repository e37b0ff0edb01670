package callflow

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hotline-ivr/hotline/internal/strictyaml"
)

// maxFileSize bounds a flow file; real flows are a few kilobytes.
const maxFileSize = 1 << 20

// decoder reads one file's YAML and collects its problems.
type decoder struct {
	file     string
	problems Problems
	// unreadable is set by a YAML syntax error: nothing more can be said.
	unreadable bool
}

func (d *decoder) add(line int, field, hint, format string, args ...any) {
	d.problems = append(d.problems, Problem{
		File: d.file, Line: max(line, 1), Field: field, Msg: fmt.Sprintf(format, args...), Hint: hint,
	})
}

// document parses the YAML into a node tree: nil when there is nothing to
// read (an empty file, or one that is unreadable, which is recorded).
func (d *decoder) document(data []byte) *yaml.Node {
	if len(data) > maxFileSize {
		d.add(1, "", "split it into several flows", "the file is %d bytes; a flow file may be at most %d", len(data), maxFileSize)
		d.unreadable = true
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			d.yamlError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		d.add(extra.Line, "", "keep one flow per file", "the file holds more than one YAML document")
	case !errors.Is(err, io.EOF):
		d.yamlError(err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	d.aliases(doc.Content[0])
	return doc.Content[0]
}

// aliases reports every alias: a flow spells out what it means, and walking
// aliases could make a small file take exponential time.
func (d *decoder) aliases(root *yaml.Node) {
	stack := []*yaml.Node{root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Kind == yaml.AliasNode {
			d.add(n.Line, "", "write the value out, or reuse nodes with a sub-flow", "YAML aliases (*%s) are not allowed in a flow", n.Value)
			continue
		}
		stack = append(stack, n.Content...)
	}
}

// yamlError records an error from the YAML library, keeping its line.
func (d *decoder) yamlError(err error) {
	for _, p := range strictyaml.SyntaxProblems(err) {
		d.add(p.Line, "", p.Hint, "%s", p.Msg)
	}
	d.unreadable = true
}

// pathKey renders a mapping key in a field path: as is when it is a plain
// name, quoted otherwise.
func pathKey(key string) string {
	if plainKey.MatchString(key) {
		return key
	}
	return strconv.Quote(key)
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// describe names what a node holds, for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if isNull(n) {
		return "nothing"
	}
	return strconv.Quote(n.Value)
}

// fields is one YAML mapping read against the keys it may hold. Its getters
// report values of the wrong type and return the zero value for them; a key
// that is absent gives the zero value (or the default) silently.
type fields struct {
	d     *decoder
	path  string // of the mapping
	line  int    // where to report a key that is missing
	known []string
	keys  map[string]*yaml.Node // key -> its key node
	vals  map[string]*yaml.Node // key -> its value node
	order []string              // keys in file order
	ok    bool                  // the node is a mapping (or empty)
}

// fields reads the mapping n at path, whose key is on line, reporting
// unknown and repeated keys. n may be nil for a mapping that is absent.
func (d *decoder) fields(n *yaml.Node, path string, line int, known ...string) *fields {
	f := &fields{d: d, path: path, line: line, known: known, keys: map[string]*yaml.Node{}, vals: map[string]*yaml.Node{}}
	if n == nil || isNull(n) {
		f.ok = true
		return f
	}
	if n.Kind != yaml.MappingNode {
		if n.Kind != yaml.AliasNode {
			d.add(n.Line, path, "known keys: "+strings.Join(known, ", "), "want a mapping of keys, got %s", describe(n))
		}
		return f
	}
	f.ok = true
	f.line = n.Line
	if line > 0 {
		f.line = line
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			if k.Kind != yaml.AliasNode {
				d.add(k.Line, path, "keys are names", "a key may not be %s", describe(k))
			}
			continue
		}
		field := join(path, pathKey(k.Value))
		if first, dup := f.keys[k.Value]; dup {
			d.add(k.Line, field, "keep one of them", "is set twice, first on line %d", first.Line)
			continue
		}
		if !slices.Contains(known, k.Value) {
			d.add(k.Line, field, suggest(k.Value, known, "known keys"), "unknown key")
			continue
		}
		f.keys[k.Value], f.vals[k.Value] = k, v
		f.order = append(f.order, k.Value)
	}
	return f
}

// entries reads a mapping whose keys are names the file chooses (node IDs,
// prompt names, DTMF keys...): every key once, in file order.
func (d *decoder) entries(n *yaml.Node, path, want string) (keys, vals []*yaml.Node) {
	if n == nil || isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		if n.Kind != yaml.AliasNode {
			d.add(n.Line, path, want, "want a mapping, got %s", describe(n))
		}
		return nil, nil
	}
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			if k.Kind != yaml.AliasNode {
				d.add(k.Line, path, want, "a key may not be %s", describe(k))
			}
			continue
		}
		if line, dup := first[k.Value]; dup {
			d.add(k.Line, join(path, pathKey(k.Value)), "keep one of them", "is set twice, first on line %d", line)
			continue
		}
		first[k.Value] = k.Line
		keys, vals = append(keys, k), append(vals, v)
	}
	return keys, vals
}

// list reads a sequence: its items, or nil after reporting anything else.
func (d *decoder) list(n *yaml.Node, path, want string) []*yaml.Node {
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		if n.Kind != yaml.AliasNode {
			d.add(n.Line, path, want, "want a list, got %s", describe(n))
		}
		return nil
	}
	return n.Content
}

// scalar reads a single value as written; ok is false (and the problem
// reported) for anything else.
func (d *decoder) scalar(n *yaml.Node, path, hint string) (string, bool) {
	switch {
	case n.Kind == yaml.AliasNode:
		return "", false
	case n.Kind != yaml.ScalarNode, isNull(n):
		d.add(n.Line, path, hint, "want a single value, got %s", describe(n))
		return "", false
	}
	return n.Value, true
}

func (f *fields) field(key string) string { return join(f.path, key) }

// get is the value of key, or nil when it is absent.
func (f *fields) get(key string) *yaml.Node {
	if !slices.Contains(f.known, key) {
		panic("callflow: " + f.path + " reads key " + key + " that it does not declare")
	}
	return f.vals[key]
}

func (f *fields) has(key string) bool { return f.get(key) != nil }

// lineOf is the line of key, or of the mapping when key is absent.
func (f *fields) lineOf(key string) int {
	if k := f.keys[key]; k != nil {
		return k.Line
	}
	return f.line
}

// need reports key as required when it is absent or has no value.
func (f *fields) need(key, hint string) {
	switch n := f.get(key); {
	case !f.ok:
	case n == nil:
		f.d.add(f.line, f.field(key), hint, "is required")
	case isNull(n):
		f.d.add(f.keys[key].Line, f.field(key), hint, "is required")
	}
}

// str is a single value, or "".
func (f *fields) str(key, hint string) string {
	n := f.get(key)
	if n == nil {
		return ""
	}
	s, _ := f.d.scalar(n, f.field(key), hint)
	return s
}

// strs is a list of single values; one single value is not a list.
func (f *fields) strs(key, hint string) []string {
	n := f.get(key)
	var out []string
	for i, item := range f.d.list(n, f.field(key), hint) {
		if s, ok := f.d.scalar(item, fmt.Sprintf("%s[%d]", f.field(key), i), hint); ok {
			out = append(out, s)
		}
	}
	return out
}

// dur is a positive duration, or def.
func (f *fields) dur(key string, def time.Duration) time.Duration {
	n := f.get(key)
	if n == nil {
		return def
	}
	field := f.field(key)
	if n.Kind == yaml.AliasNode {
		return def
	}
	if n.Kind != yaml.ScalarNode || isNull(n) {
		f.d.add(n.Line, field, "like 500ms, 5s or 2m", "want a duration, got %s", describe(n))
		return def
	}
	if n.ShortTag() == "!!int" || n.ShortTag() == "!!float" {
		f.d.add(n.Line, field, fmt.Sprintf("give a unit: %ss for seconds", n.Value), "%s is not a duration", n.Value)
		return def
	}
	v, err := time.ParseDuration(n.Value)
	switch {
	case err != nil:
		f.d.add(n.Line, field, "like 500ms, 5s or 2m", "%q is not a duration", n.Value)
		return def
	case v <= 0:
		f.d.add(n.Line, field, "like 500ms, 5s or 2m", "must be more than 0, got %s", n.Value)
		return def
	}
	return v
}

// num is a whole number from lo to hi, or def.
func (f *fields) num(key string, def, lo, hi int) int {
	n := f.get(key)
	if n == nil || n.Kind == yaml.AliasNode {
		return def
	}
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || err != nil {
		f.d.add(n.Line, f.field(key), fmt.Sprintf("a whole number from %d to %d", lo, hi), "want a whole number, got %s", describe(n))
		return def
	}
	if v < lo || v > hi {
		f.d.add(n.Line, f.field(key), "", "%d is not from %d to %d", v, lo, hi)
		return def
	}
	return v
}

// flag is true or false, or def.
func (f *fields) flag(key string, def bool) bool {
	n := f.get(key)
	if n == nil || n.Kind == yaml.AliasNode {
		return def
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		f.d.add(n.Line, f.field(key), "", "want true or false, got %s", describe(n))
		return def
	}
	return n.Value == "true" || n.Value == "True" || n.Value == "TRUE"
}
