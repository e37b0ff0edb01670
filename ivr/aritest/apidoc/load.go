package apidoc

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
)

// Doc is Asterisk's ARI description merged from every API declaration of a
// directory: all operations, and all models in one namespace. A Doc is
// immutable once loaded and safe for concurrent use.
type Doc struct {
	models     map[string]*model
	ops        []*Operation // sorted by Path, then Method
	routes     *routeNode
	eventTypes []string // sorted
}

// String returns a one-line summary, for test logs.
func (d *Doc) String() string {
	return fmt.Sprintf("apidoc.Doc{%d models, %d operations, %d event types}",
		len(d.models), len(d.ops), len(d.eventTypes))
}

// Load reads every *.json API declaration in dir and merges them. Files with
// neither operations nor models (the resources.json listing) are skipped.
// Errors wrap ErrBadSpec and name the offending file.
func Load(dir string) (*Doc, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadSpec, dir, err)
	}
	sort.Strings(files)
	b := &builder{
		doc:      &Doc{models: map[string]*model{}, routes: newRouteNode()},
		raw:      map[string]*rawModel{},
		declared: map[string]string{},
		opFile:   map[*Operation]string{},
	}
	used := 0
	for _, file := range files {
		decl, err := readDeclaration(file)
		if err != nil {
			return nil, err
		}
		if !decl.useful() {
			continue
		}
		used++
		if err := b.add(filepath.Base(file), decl); err != nil {
			return nil, err
		}
	}
	if used == 0 {
		return nil, fmt.Errorf("%w: no API declarations in %s", ErrBadSpec, dir)
	}
	if err := b.finish(); err != nil {
		return nil, err
	}
	return b.doc, nil
}

func readDeclaration(file string) (*apiDeclaration, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSpec, err)
	}
	var decl apiDeclaration
	if err := json.Unmarshal(data, &decl); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadSpec, file, err)
	}
	return &decl, nil
}

// builder accumulates declarations; finish links models and checks that
// every type reference resolves.
type builder struct {
	doc      *Doc
	raw      map[string]*rawModel
	declared map[string]string     // model name -> file declaring it
	opFile   map[*Operation]string // operation -> file declaring it
}

func (b *builder) add(file string, decl *apiDeclaration) error {
	for name, m := range decl.Models {
		if m == nil {
			return fmt.Errorf("%w: %s: model %s is null", ErrBadSpec, file, name)
		}
		if m.ID != "" && m.ID != name {
			return fmt.Errorf("%w: %s: model %s has id %q", ErrBadSpec, file, name, m.ID)
		}
		if prev, dup := b.declared[name]; dup {
			return fmt.Errorf("%w: %s: model %s already declared in %s", ErrBadSpec, file, name, prev)
		}
		b.declared[name] = file
		b.raw[name] = m
	}
	for _, api := range decl.APIs {
		for _, rop := range api.Operations {
			op := newOperation(api.Path, rop)
			if err := b.doc.routes.insert(op); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrBadSpec, file, err)
			}
			b.doc.ops = append(b.doc.ops, op)
			b.opFile[op] = file
		}
	}
	return nil
}

func (b *builder) finish() error {
	d := b.doc
	names := slices.Sorted(maps.Keys(b.raw)) // sorted, so errors are stable
	for _, name := range names {
		d.models[name] = &model{name: name, subTypes: b.raw[name].SubTypes}
	}
	// Link subtypes to their parent.
	for _, name := range names {
		m := d.models[name]
		for _, sub := range m.subTypes {
			child, ok := d.models[sub]
			if !ok {
				return fmt.Errorf("%w: %s: model %s lists undeclared subType %s", ErrBadSpec, b.declared[name], name, sub)
			}
			if child.parent != "" && child.parent != name {
				return fmt.Errorf("%w: %s: model %s is a subType of both %s and %s", ErrBadSpec, b.declared[sub], sub, child.parent, name)
			}
			child.parent = name
		}
	}
	for _, name := range names {
		m := d.models[name]
		chain, err := d.ancestry(name)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrBadSpec, b.declared[name], err)
		}
		m.props = map[string]*property{}
		for _, anc := range chain { // root first, so subtypes may refine
			if disc := b.raw[anc].Discriminator; disc != "" {
				m.discriminator = disc
			}
			for _, pname := range slices.Sorted(maps.Keys(b.raw[anc].Properties)) {
				rp := b.raw[anc].Properties[pname]
				if rp == nil {
					return fmt.Errorf("%w: %s: property %s.%s is null", ErrBadSpec, b.declared[anc], anc, pname)
				}
				if !d.knownType(rp.Type) {
					return fmt.Errorf("%w: %s: property %s.%s has undeclared type %q", ErrBadSpec, b.declared[anc], anc, pname, rp.Type)
				}
				m.props[pname] = &property{typ: rp.Type, required: rp.Required, enum: rp.AllowableValues.list()}
			}
		}
		m.propNames = slices.Sorted(maps.Keys(m.props))
	}
	for _, op := range d.ops {
		rc := op.ResponseClass
		if rc != classVoid && rc != classBinary && !d.knownType(rc) {
			return fmt.Errorf("%w: %s: %s %s has undeclared responseClass %q", ErrBadSpec, b.opFile[op], op.Method, op.Path, rc)
		}
	}
	sort.Slice(d.ops, func(i, j int) bool {
		if d.ops[i].Path != d.ops[j].Path {
			return d.ops[i].Path < d.ops[j].Path
		}
		return d.ops[i].Method < d.ops[j].Method
	})
	d.eventTypes = d.subTypesOf(eventModel)
	return nil
}
