package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Load reads and parses the configuration file at path. See Parse.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	return Parse(path, data)
}

// Parse decodes a configuration file over Default() and validates it. name is
// the file name used in problems. A file that is not valid gives a Problems
// error listing every problem found, not just the first.
func Parse(name string, data []byte) (Config, error) {
	d := &decoder{file: name, lines: map[string]int{}, bad: map[string]bool{}}
	cfg := Default()
	root := d.document(data)
	if d.unreadable {
		return Config{}, d.problems
	}
	if root != nil {
		d.walk(root, reflect.ValueOf(&cfg).Elem(), "")
	}
	if len(d.problems) == 0 {
		// The walk found nothing wrong; let yaml.v3 decode the file itself,
		// as strictly, so that the two cannot silently disagree.
		cfg = Default()
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			d.yamlError(err)
		}
	}
	// Check values even when some keys were wrong, so that one run reports
	// everything; values that failed to decode are not checked again.
	d.validate(&cfg)
	if len(d.problems) > 0 {
		slices.SortStableFunc(d.problems, func(a, b Problem) int { return a.Line - b.Line })
		return Config{}, d.problems
	}
	return cfg, nil
}

// decoder collects the problems of one file.
type decoder struct {
	file     string
	problems Problems
	lines    map[string]int  // field path -> line of its key
	bad      map[string]bool // field paths with a problem already; validate skips them
	// unreadable is set by a YAML syntax error: nothing more can be said.
	unreadable bool
}

func (d *decoder) add(line int, field, hint, format string, args ...any) {
	d.bad[field] = true
	d.problems = append(d.problems, Problem{
		File: d.file, Line: max(line, 1), Field: field, Msg: fmt.Sprintf(format, args...), Hint: hint,
	})
}

// document parses the YAML into a node tree; nil when there is nothing to
// walk (an empty file, or a syntax error, which is recorded).
func (d *decoder) document(data []byte) *yaml.Node {
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
		d.add(extra.Line, "", "remove the second --- and what follows, or merge it into the first document",
			"the file holds more than one YAML document")
	case !errors.Is(err, io.EOF):
		d.yamlError(err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	return doc.Content[0]
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// parserProblems are the problems yaml.v3's parser (not its scanner)
// reports. For these it prints the 0-based line of the construct that holds
// the problem, so one is added.
var parserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// yamlError records an error from the YAML library, keeping its line.
func (d *decoder) yamlError(err error) {
	var msgs []string
	if te, ok := errors.AsType[*yaml.TypeError](err); ok {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	for _, msg := range msgs {
		line := 1
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
			if slices.Contains(parserProblems, msg) {
				line++
			}
		}
		msg = strings.TrimPrefix(msg, "yaml: ")
		hint := ""
		if strings.Contains(msg, "cannot start any token") {
			hint = "YAML indents with spaces; a tab is not allowed"
		}
		d.add(line, "", hint, "YAML syntax error: %s", msg)
	}
	d.unreadable = true
}

var durationType = reflect.TypeFor[time.Duration]()

// walk decodes node n into v, the field at the dotted path, reporting
// unknown and repeated keys, secrets in the file, and values of the wrong
// type. It keeps going after a problem so that one run reports them all.
func (d *decoder) walk(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	t := v.Type()
	switch {
	case t.Kind() == reflect.Struct && t != durationType:
		d.walkMapping(n, v, path)
		return
	case t.Kind() == reflect.Slice:
		d.walkSequence(n, v, path)
		return
	case t.Kind() == reflect.Map:
		d.walkMap(n, v, path)
		return
	}
	if isNull(n) {
		if strings.HasSuffix(path, "]") {
			d.add(n.Line, path, "give a value, or remove the item", "is empty")
			return
		}
		d.add(n.Line, path, fmt.Sprintf("give a value, or remove the key to use the default, %s", defaultOf(path)),
			"has no value")
		return
	}
	if n.Kind != yaml.ScalarNode {
		d.add(n.Line, path, "", "want %s, got %s", want(t), describe(n))
		return
	}
	if err := decodeScalar(n, v); err != nil {
		msg, hint := "want %s, got %s", ""
		if t == durationType {
			msg, hint = "%[2]s is not %[1]s", "give a unit: 500ms, 5s, 2m, 1h30m"
		}
		d.add(n.Line, path, hint, msg, want(t), describe(n))
	}
}

// decodeScalar decodes a scalar into v, more strictly than yaml.v3, which
// would truncate 2.5 into a whole number.
func decodeScalar(n *yaml.Node, v reflect.Value) error {
	tag := n.ShortTag()
	switch k := v.Kind(); {
	case v.Type() == durationType && tag != "!!str",
		k == reflect.Int && tag != "!!int",
		k == reflect.Float64 && tag != "!!int" && tag != "!!float",
		k == reflect.Bool && tag != "!!bool":
		return fmt.Errorf("a %s is not a %s", tag, v.Type())
	}
	return n.Decode(v.Addr().Interface())
}

func (d *decoder) walkMapping(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	if isNull(n) {
		return // "section:" with nothing under it keeps the defaults
	}
	keys := yamlKeys(t)
	if n.Kind != yaml.MappingNode {
		d.add(n.Line, path, "known keys: "+strings.Join(keys, ", "), "want a mapping of keys, got %s", describe(n))
		return
	}
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		field := joinPath(path, k.Value)
		if line, dup := first[k.Value]; dup {
			d.add(k.Line, field, "keep one of them", "is set twice, first on line %d", line)
			continue
		}
		first[k.Value] = k.Line
		f, ok := fieldByKey(t, k.Value)
		if !ok {
			if hint, secret := secretKeys[listIndex.ReplaceAllString(field, "")]; secret {
				d.add(k.Line, field, hint, "must not be in the file")
				continue
			}
			d.add(k.Line, field, suggest(k.Value, keys), "unknown key")
			continue
		}
		d.lines[field] = k.Line
		d.walk(val, v.FieldByIndex(f.Index), field)
	}
}

// walkSequence decodes a list: each item starts from its type's default
// (see itemDefault) and is known as path[i], from 0.
func (d *decoder) walkSequence(n *yaml.Node, v reflect.Value, path string) {
	if isNull(n) {
		return // "queues:" with nothing under it is an empty list
	}
	if n.Kind != yaml.SequenceNode {
		d.add(n.Line, path, "", "want a list, got %s", describe(n))
		return
	}
	t := v.Type()
	list := reflect.MakeSlice(t, 0, len(n.Content))
	for i, item := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.lines[p] = item.Line
		e := itemDefault(t.Elem())
		d.walk(item, e, p)
		list = reflect.Append(list, e)
	}
	v.Set(list)
}

// walkMap decodes a mapping of names to values, like an agent's skills.
func (d *decoder) walkMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.add(n.Line, path, "", "want a mapping of names to values, got %s", describe(n))
		return
	}
	t := v.Type()
	m := reflect.MakeMapWithSize(t, len(n.Content)/2)
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		field := joinPath(path, k.Value)
		if line, dup := first[k.Value]; dup {
			d.add(k.Line, field, "keep one of them", "is set twice, first on line %d", line)
			continue
		}
		first[k.Value] = k.Line
		d.lines[field] = k.Line
		e := reflect.New(t.Elem()).Elem()
		d.walk(val, e, field)
		m.SetMapIndex(reflect.ValueOf(k.Value).Convert(t.Key()), e)
	}
	v.Set(m)
}

// itemDefault is a new item of a list of t: the default of its kind
// (DefaultQueue for queues), else the zero value.
func itemDefault(t reflect.Type) reflect.Value {
	v := reflect.New(t).Elem()
	if t == reflect.TypeFor[Queue]() {
		v.Set(reflect.ValueOf(DefaultQueue()))
	}
	return v
}

// listIndex matches the list indexes of a field path: queues[2].name.
var listIndex = regexp.MustCompile(`\[\d+\]`)

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// yamlKeys lists the keys a struct accepts, in field order.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		if k := yamlKey(f); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for f := range t.Fields() {
		if yamlKey(f) == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// yamlKey is the key of a field, or "" for fields the file cannot set.
func yamlKey(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	if name == "" {
		return strings.ToLower(f.Name)
	}
	return name
}

// suggest names the closest known key, or lists them all.
func suggest(key string, known []string) string {
	best, bestDist := "", 3 // more than 2 edits away is not a typo
	for _, k := range known {
		if dist := editDistance(strings.ToLower(key), k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %s? known keys: %s", best, strings.Join(known, ", "))
	}
	return "known keys: " + strings.Join(known, ", ")
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// want names the kind of value a type takes, for messages.
func want(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration"
	case t.Kind() == reflect.String:
		return "a single value"
	case t.Kind() == reflect.Int:
		return "a whole number"
	case t.Kind() == reflect.Float64:
		return "a number"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Struct:
		return "a mapping of keys"
	case t.Kind() == reflect.Slice:
		return "a list"
	case t.Kind() == reflect.Map:
		return "a mapping"
	}
	return t.String()
}

// describe names what a node holds, for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

// defaultOf renders the default value at a field path.
func defaultOf(path string) string {
	v := reflect.ValueOf(Default())
	for key := range strings.SplitSeq(path, ".") {
		key, index, isItem := strings.Cut(key, "[")
		if v.Kind() != reflect.Struct {
			return "?"
		}
		f, ok := fieldByKey(v.Type(), key)
		if !ok {
			return "?"
		}
		v = v.FieldByIndex(f.Index)
		if isItem {
			if v.Kind() != reflect.Slice || strings.Contains(index, "[") {
				return "?"
			}
			v = itemDefault(v.Type().Elem())
		}
	}
	switch x := v.Interface().(type) {
	case string:
		return strconv.Quote(x)
	case time.Duration:
		return x.String()
	}
	return fmt.Sprint(v.Interface())
}
