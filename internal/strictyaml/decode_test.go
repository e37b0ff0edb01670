package strictyaml_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hotline-ivr/hotline/internal/strictyaml"
)

type item struct {
	Name  string        `yaml:"name"`
	Limit int           `yaml:"limit"`
	Every time.Duration `yaml:"every"`
}

// UnmarshalYAML starts an item from its default, as ItemDefault does, so
// that yaml.v3's own decoding agrees with the walk.
func (i *item) UnmarshalYAML(n *yaml.Node) error {
	type plain item
	p := plain{Limit: 3}
	if err := n.Decode(&p); err != nil {
		return err
	}
	*i = item(p)
	return nil
}

type file struct {
	Title  string         `yaml:"title"`
	Ratio  float64        `yaml:"ratio"`
	On     bool           `yaml:"on"`
	Items  []item         `yaml:"items"`
	Levels map[string]int `yaml:"levels"`
	Extra  *item          `yaml:"extra"`
	Secret string         `yaml:"-"`
}

func decode(t *testing.T, src string) (file, *strictyaml.Decoder) {
	t.Helper()
	d := strictyaml.New("f.yaml")
	d.Secret = func(field string) (string, bool) {
		return "set F_SECRET instead", field == "items.password"
	}
	d.ItemDefault = func(t reflect.Type) (reflect.Value, bool) {
		if t != reflect.TypeFor[item]() {
			return reflect.Value{}, false
		}
		v := reflect.New(t).Elem()
		v.Set(reflect.ValueOf(item{Limit: 3}))
		return v, true
	}
	d.Defaults = file{Title: "untitled"}
	out := file{Title: "untitled"}
	d.Decode([]byte(src), &out, func() any { return &file{Title: "untitled"} })
	return out, d
}

func TestDecodes(t *testing.T) {
	got, d := decode(t, `ratio: 2
on: true
items:
  - name: a
  - name: b
    limit: 7
    every: 1m30s
levels: {x: 1}
extra: {name: e}
`)
	if len(d.Problems) != 0 {
		t.Fatal(d.Problems)
	}
	want := file{Title: "untitled", Ratio: 2, On: true, Items: []item{{Name: "a", Limit: 3}, {Name: "b", Limit: 7, Every: 90 * time.Second}}, Levels: map[string]int{"x": 1}, Extra: &item{Name: "e", Limit: 3}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if d.Lines["items[1].limit"] != 6 || d.Lines["items[0]"] != 4 {
		t.Errorf("lines %v", d.Lines)
	}
}

func TestReportsEveryProblem(t *testing.T) {
	_, d := decode(t, `titel: x
ratio: many
on: 1
items:
  - name: a
    limit: 2.5
    every: 5
    password: x
  - ~ # an empty item keeps its default
levels: [1]
title:
on: false
`)
	d.At("items[0]", "", "checked after a problem under it") // nothing: the item has problems already
	d.At("ratio", "", "checked after a problem")             // nothing: ratio has one
	d.At("missing.key", "a hint", "is required")             // line 1: no ancestor in the file
	var got []string
	for _, p := range d.Sorted() {
		got = append(got, p.Error())
	}
	want := []string{
		`f.yaml:1: titel: unknown key (did you mean title? known keys: title, ratio, on, items, levels, extra)`,
		`f.yaml:1: missing.key: is required (a hint)`,
		`f.yaml:2: ratio: want a number, got "many"`,
		`f.yaml:3: on: want true or false, got "1"`,
		`f.yaml:6: items[0].limit: want a whole number, got "2.5"`,
		`f.yaml:7: items[0].every: "5" is not a duration (give a unit: 500ms, 5s, 2m, 1h30m)`,
		`f.yaml:8: items[0].password: must not be in the file (set F_SECRET instead)`,
		`f.yaml:10: levels: want a mapping of names to values, got a list`,
		`f.yaml:11: title: has no value (give a value, or remove the key to use the default, "untitled")`,
		`f.yaml:12: on: is set twice, first on line 3 (keep one of them)`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSyntaxErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"title: [a\nratio: 1\n", `f.yaml:2: YAML syntax error: did not find expected ',' or ']'`},
		{"title: a\n\tratio: 1\n", `f.yaml:2: YAML syntax error: found a tab character that violates indentation`},
		{"title: a\n---\ntitle: b\n", `f.yaml:2: the file holds more than one YAML document`},
	} {
		_, d := decode(t, c.src)
		if len(d.Problems) == 0 || !strings.Contains(d.Problems.Error(), c.want) {
			t.Errorf("%q: problems %v, want %s", c.src, d.Problems, c.want)
		}
	}
	if _, d := decode(t, ""); len(d.Problems) != 0 {
		t.Errorf("an empty file: %v", d.Problems)
	}
}

func TestLeafKeys(t *testing.T) {
	got := strictyaml.LeafKeys(reflect.TypeFor[file](), "")
	want := []string{"title", "ratio", "on", "items[].name", "items[].limit", "items[].every", "levels", "extra.name", "extra.limit", "extra.every"}
	if !slices.Equal(got, want) {
		t.Errorf("LeafKeys = %v, want %v", got, want)
	}
}
