package apidoc

import (
	"fmt"
	"slices"
	"sort"
)

// model is a Swagger model with its inheritance resolved: props holds the
// model's own properties and those of all its ancestors (a StasisStart
// carries Message's "type" and Event's "timestamp").
type model struct {
	name          string
	props         map[string]*property
	propNames     []string // sorted keys of props
	parent        string   // "" for a root model
	subTypes      []string
	discriminator string // inherited from the nearest ancestor declaring one
}

type property struct {
	typ      string
	required bool
	enum     []string // LIST allowable values; nil when unrestricted
}

// ancestry returns name and its ancestors, root first.
func (d *Doc) ancestry(name string) ([]string, error) {
	var chain []string
	seen := map[string]bool{}
	for cur := name; cur != ""; cur = d.models[cur].parent {
		if seen[cur] {
			return nil, fmt.Errorf("model %s: subType cycle through %s", name, cur)
		}
		seen[cur] = true
		chain = append(chain, cur)
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return chain, nil
}

// subTypesOf returns every transitive subtype of name, sorted.
func (d *Doc) subTypesOf(name string) []string {
	var out []string
	var walk func(string)
	walk = func(n string) {
		m, ok := d.models[n]
		if !ok {
			return
		}
		for _, sub := range m.subTypes {
			out = append(out, sub)
			walk(sub)
		}
	}
	walk(name)
	sort.Strings(out)
	return slices.Compact(out)
}

// isSubType reports whether sub is a transitive subtype of name.
func (d *Doc) isSubType(sub, name string) bool {
	m, ok := d.models[sub]
	for ok && m.parent != "" {
		if m.parent == name {
			return true
		}
		m, ok = d.models[m.parent]
	}
	return false
}

// Property is one property of a model as the description declares it.
type Property struct {
	Type     string
	Required bool
	// Enum is the LIST of allowable values; nil when unrestricted.
	Enum []string
}

// Model returns the properties of a declared model by name, those it
// inherits included, and whether the model is declared.
func (d *Doc) Model(name string) (map[string]Property, bool) {
	m, ok := d.models[name]
	if !ok {
		return nil, false
	}
	out := make(map[string]Property, len(m.props))
	for n, p := range m.props {
		out[n] = Property{Type: p.typ, Required: p.required, Enum: slices.Clone(p.enum)}
	}
	return out, true
}

// Models returns the names of every declared model, sorted.
func (d *Doc) Models() []string {
	names := make([]string, 0, len(d.models))
	for n := range d.models {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
