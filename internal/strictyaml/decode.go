package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Decoder collects the problems of one file.
type Decoder struct {
	File     string
	Problems Problems
	// Lines maps a field's path (list items as queues[2]) to the line of
	// its key or item in the file.
	Lines map[string]int
	// Bad holds the field paths with a problem already: At says nothing
	// more about them, or about what is under or above them.
	Bad map[string]bool
	// Unreadable is set by a YAML syntax error: nothing more can be said.
	Unreadable bool

	// Secret, when set, says of an unknown key's path (list indexes left
	// out: console.users.password) that it is a secret that must not be in
	// the file, and where it goes instead.
	Secret func(field string) (hint string, ok bool)
	// ItemDefault, when set, gives a new item of a list of type t its
	// default (ok false: the zero value).
	ItemDefault func(t reflect.Type) (v reflect.Value, ok bool)
	// Defaults, when set, is the value (a struct) whose fields a "has no
	// value" problem names as the default.
	Defaults any
}

// New returns a decoder for the file called file in problems.
func New(file string) *Decoder {
	return &Decoder{File: file, Lines: map[string]int{}, Bad: map[string]bool{}}
}

// Add records a problem at line (1 when unknown).
func (d *Decoder) Add(line int, field, hint, format string, args ...any) {
	d.Bad[field] = true
	d.Problems = append(d.Problems, Problem{
		File: d.File, Line: max(line, 1), Field: field, Msg: fmt.Sprintf(format, args...), Hint: hint,
	})
}

// Sorted is the problems in line order (the order found within a line).
func (d *Decoder) Sorted() Problems {
	slices.SortStableFunc(d.Problems, func(a, b Problem) int { return a.Line - b.Line })
	return d.Problems
}

// Decode reads data into out (a pointer, holding the defaults): the
// document is walked (see Walk); when that found nothing wrong yaml.v3
// decodes it again, as strictly, into fresh() (a pointer to new defaults)
// and that is copied into out, so that the two cannot silently disagree.
// The problems are in d.Problems; the caller checks the values next (At).
// A list item type with an ItemDefault must start from it in its own
// UnmarshalYAML too, or the second decoding loses it.
func (d *Decoder) Decode(data []byte, out any, fresh func() any) {
	root := d.Document(data)
	if d.Unreadable {
		return
	}
	if root != nil {
		d.Walk(root, reflect.ValueOf(out).Elem(), "")
	}
	if len(d.Problems) > 0 {
		return
	}
	again := fresh()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(again); err != nil && !errors.Is(err, io.EOF) {
		d.YAMLError(err)
		return
	}
	reflect.ValueOf(out).Elem().Set(reflect.ValueOf(again).Elem())
}

// Document parses the YAML into a node tree; nil when there is nothing to
// walk (an empty file, or a syntax error, which is recorded).
func (d *Decoder) Document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if !errors.Is(err, io.EOF) {
			d.YAMLError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		d.Add(extra.Line, "", "remove the second --- and what follows, or merge it into the first document",
			"the file holds more than one YAML document")
	case !errors.Is(err, io.EOF):
		d.YAMLError(err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	return doc.Content[0]
}

// At records a problem at the line of field, or of its nearest ancestor in
// the file, or line 1; unless field, an ancestor or something under it (an
// item of a list, a key of a mapping) has a problem already: the value
// checked is then not what the file says.
func (d *Decoder) At(field, hint, format string, args ...any) {
	if d.Bad[""] {
		return // the file is not a mapping at all
	}
	for b := range d.Bad {
		if strings.HasPrefix(b, field+"[") || strings.HasPrefix(b, field+".") {
			return
		}
	}
	line := 0
	for p := field; p != ""; p = Parent(p) {
		if d.Bad[p] {
			return
		}
		if l, ok := d.Lines[p]; ok && line == 0 {
			line = l
		}
	}
	d.Add(line, field, hint, format, args...)
}

// Parent drops the last key, or list index, of a dotted path:
// queues[0].levels[1] -> queues[0].levels -> queues[0] -> queues.
func Parent(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndex(path, "["); i > 0 {
			return path[:i]
		}
	}
	i := strings.LastIndex(path, ".")
	if i < 0 {
		return ""
	}
	return path[:i]
}

// HasProblemUnder says whether path or a key under it has a problem.
func (d *Decoder) HasProblemUnder(path string) bool {
	for _, p := range d.Problems {
		if p.Field == path || strings.HasPrefix(p.Field, path+".") || strings.HasPrefix(p.Field, path+"[") {
			return true
		}
	}
	return false
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

// YAMLError records an error from the YAML library, keeping its line.
func (d *Decoder) YAMLError(err error) {
	for _, p := range SyntaxProblems(err) {
		d.Add(p.Line, "", p.Hint, "%s", p.Msg)
	}
	d.Unreadable = true
}

// SyntaxProblems are the problems an error of yaml.v3 (a syntax error, or
// its type errors) holds, each at the line it means (File and Field
// empty).
func SyntaxProblems(err error) []Problem {
	var msgs []string
	if te, ok := errors.AsType[*yaml.TypeError](err); ok {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var out []Problem
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
		out = append(out, Problem{Line: line, Msg: "YAML syntax error: " + msg, Hint: hint})
	}
	return out
}

var durationType = reflect.TypeFor[time.Duration]()

// Walk decodes node n into v, the field at the dotted path, reporting
// unknown and repeated keys, secrets in the file, and values of the wrong
// type. It keeps going after a problem so that one run reports them all.
func (d *Decoder) Walk(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	t := v.Type()
	switch {
	case t.Kind() == reflect.Pointer:
		// An optional section: absent or empty, it stays nil.
		if IsNull(n) {
			return
		}
		e := reflect.New(t.Elem())
		d.Walk(n, e.Elem(), path)
		v.Set(e)
		return
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
	if IsNull(n) {
		if strings.HasSuffix(path, "]") {
			d.Add(n.Line, path, "give a value, or remove the item", "is empty")
			return
		}
		d.Add(n.Line, path, fmt.Sprintf("give a value, or remove the key to use the default, %s", d.defaultOf(path)),
			"has no value")
		return
	}
	if n.Kind != yaml.ScalarNode {
		d.Add(n.Line, path, "", "want %s, got %s", want(t), Describe(n))
		return
	}
	if err := decodeScalar(n, v); err != nil {
		msg, hint := "want %s, got %s", ""
		if t == durationType {
			msg, hint = "%[2]s is not %[1]s", "give a unit: 500ms, 5s, 2m, 1h30m"
		}
		d.Add(n.Line, path, hint, msg, want(t), Describe(n))
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

func (d *Decoder) walkMapping(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	if IsNull(n) {
		return // "section:" with nothing under it keeps the defaults
	}
	keys := Keys(t)
	if n.Kind != yaml.MappingNode {
		d.Add(n.Line, path, "known keys: "+strings.Join(keys, ", "), "want a mapping of keys, got %s", Describe(n))
		return
	}
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		field := JoinPath(path, k.Value)
		if d.twice(first, k, field) {
			continue
		}
		f, ok := FieldByKey(t, k.Value)
		if !ok {
			if hint, secret := d.secret(field); secret {
				d.Add(k.Line, field, hint, "must not be in the file")
				continue
			}
			d.Add(k.Line, field, Suggest(k.Value, keys), "unknown key")
			continue
		}
		d.Lines[field] = k.Line
		d.Walk(val, v.FieldByIndex(f.Index), field)
	}
}

// walkSequence decodes a list: each item starts from its type's default
// (see itemDefault) and is known as path[i], from 0.
func (d *Decoder) walkSequence(n *yaml.Node, v reflect.Value, path string) {
	if IsNull(n) {
		return // "queues:" with nothing under it is an empty list
	}
	if n.Kind != yaml.SequenceNode {
		d.Add(n.Line, path, "", "want a list, got %s", Describe(n))
		return
	}
	t := v.Type()
	list := reflect.MakeSlice(t, 0, len(n.Content))
	for i, item := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.Lines[p] = item.Line
		e := d.itemDefault(t.Elem())
		d.Walk(item, e, p)
		list = reflect.Append(list, e)
	}
	v.Set(list)
}

// walkMap decodes a mapping of names to values, like an agent's skills.
func (d *Decoder) walkMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if IsNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.Add(n.Line, path, "", "want a mapping of names to values, got %s", Describe(n))
		return
	}
	t := v.Type()
	m := reflect.MakeMapWithSize(t, len(n.Content)/2)
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		field := JoinPath(path, k.Value)
		if d.twice(first, k, field) {
			continue
		}
		d.Lines[field] = k.Line
		e := reflect.New(t.Elem()).Elem()
		d.Walk(val, e, field)
		m.SetMapIndex(reflect.ValueOf(k.Value).Convert(t.Key()), e)
	}
	v.Set(m)
}

// twice reports key k set again in its mapping (first holds the lines of
// the keys seen), and notes it if it is new.
func (d *Decoder) twice(first map[string]int, k *yaml.Node, field string) bool {
	if line, dup := first[k.Value]; dup {
		d.Add(k.Line, field, "keep one of them", "is set twice, first on line %d", line)
		return true
	}
	first[k.Value] = k.Line
	return false
}

// itemDefault is a new item of a list of t: its ItemDefault, else the
// zero value.
func (d *Decoder) itemDefault(t reflect.Type) reflect.Value {
	if d.ItemDefault != nil {
		if v, ok := d.ItemDefault(t); ok {
			return v
		}
	}
	return reflect.New(t).Elem()
}

func (d *Decoder) secret(field string) (string, bool) {
	if d.Secret == nil {
		return "", false
	}
	return d.Secret(ListIndex.ReplaceAllString(field, ""))
}

// ListIndex matches the list indexes of a field path: queues[2].name.
var ListIndex = regexp.MustCompile(`\[\d+\]`)

// IsNull says whether n is an empty value (~, null or nothing).
func IsNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// JoinPath adds key to a dotted path.
func JoinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Keys lists the keys a struct accepts, in field order.
func Keys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		if k := yamlKey(f); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// FieldByKey is the field of struct type t that key sets.
func FieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
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

// Suggest names the closest of the known keys to key (a typo), or lists
// them all.
func Suggest(key string, known []string) string {
	best, bestDist := "", 3 // more than 2 edits away is not a typo
	for _, k := range known {
		if dist := EditDistance(strings.ToLower(key), k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %s? known keys: %s", best, strings.Join(known, ", "))
	}
	return "known keys: " + strings.Join(known, ", ")
}

// EditDistance is the Levenshtein distance between a and b.
func EditDistance(a, b string) int {
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

// Describe names what a node holds, for messages.
func Describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return strconv.Quote(n.Value)
}

// defaultOf renders the default value at a field path.
func (d *Decoder) defaultOf(path string) string {
	if d.Defaults == nil {
		return "none"
	}
	v := reflect.ValueOf(d.Defaults)
	for key := range strings.SplitSeq(path, ".") {
		key, index, isItem := strings.Cut(key, "[")
		if v.Kind() != reflect.Struct {
			return "?"
		}
		f, ok := FieldByKey(v.Type(), key)
		if !ok {
			return "?"
		}
		v = v.FieldByIndex(f.Index)
		if isItem {
			if v.Kind() != reflect.Slice || strings.Contains(index, "[") {
				return "?"
			}
			v = d.itemDefault(v.Type().Elem())
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

// LeafKeys lists the keys of struct type t that hold values, under path;
// those of a list's items as queues[].name. An example file that shows
// them all documents every key.
func LeafKeys(t reflect.Type, path string) []string {
	var out []string
	for _, k := range Keys(t) {
		f, _ := FieldByKey(t, k)
		p := JoinPath(path, k)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch {
		case ft.Kind() == reflect.Struct && ft != durationType:
			out = append(out, LeafKeys(ft, p)...)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			out = append(out, LeafKeys(f.Type.Elem(), p+"[]")...)
		default:
			out = append(out, p)
		}
	}
	return out
}
