package callflow

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The variables the engine sets on every call. ${lang} starts as the flow's
// first language and a set node may change it; the others are read-only.
var builtinVars = []string{"caller", "dialled", "lang"}

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Set gives variables values, in order, then goes to Next. A value may hold
// ${variables}.
//
//	set: {vars: {lang: en}, next: main}
type Set struct {
	Vars []Assignment
	Next string
}

// Assignment is one variable of a set node: its name and its value, which
// the engine passes through [Expand].
type Assignment struct {
	Name  string
	Value string
}

var setKeys = []string{"vars", "next"}

func (p *parser) set(sc *scope, f *fields) *Set {
	s := &Set{}
	f.need("vars", "the variables to set, like {lang: en}")
	keys, vals := p.entries(f.get("vars"), f.field("vars"), "variables and their values, like {lang: en}")
	if n := f.get("vars"); n != nil && len(keys) == 0 && n.Kind == yaml.MappingNode {
		p.add(n.Line, f.field("vars"), "like {lang: en}", "sets no variable")
	}
	for i, k := range keys {
		field := join(f.field("vars"), pathKey(k.Value))
		if !p.defineVar(k.Value, k.Line, field, true) {
			continue
		}
		v, ok := p.scalar(vals[i], field, "a value; it may hold ${variables}")
		if !ok {
			continue
		}
		p.templateAt(v, vals[i].Line, field)
		if k.Value == "lang" && !strings.Contains(v, "${") && !slices.Contains(p.f.Languages, v) {
			p.add(vals[i].Line, field, "the flow's languages are: "+joinList(p.f.Languages), "%q is not one of the flow's languages", v)
		}
		s.Vars = append(s.Vars, Assignment{Name: k.Value, Value: v})
	}
	p.next(sc, f, "next", &s.Next)
	return s
}

// Expand returns template with each ${name} replaced by vars[name]; a
// variable that is not set gives "". Values are not expanded again, so what
// a caller keys in cannot name other variables.
func Expand(template string, vars map[string]string) string {
	return expand(template, vars, nil)
}

// expand is Expand with each value passed through escape, when not nil.
func expand(t string, vars map[string]string, escape func(string) string) string {
	return expandFunc(t, func(name string) string {
		v := vars[name]
		if escape != nil {
			v = escape(v)
		}
		return v
	})
}

// expandFunc replaces each ${name} of t by value(name).
func expandFunc(t string, value func(name string) string) string {
	if !strings.Contains(t, "${") {
		return t
	}
	var b strings.Builder
	for {
		i := strings.Index(t, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(t[i+2:], '}')
		if j < 0 {
			break
		}
		end := i + 2 + j + 1
		name := t[i+2 : end-1]
		b.WriteString(t[:i])
		if varName.MatchString(name) {
			b.WriteString(value(name))
		} else {
			b.WriteString(t[i:end])
		}
		t = t[end:]
	}
	b.WriteString(t)
	return b.String()
}

// templateVars returns the variables that s names, or what is wrong with it.
func templateVars(s string) (names []string, problem string) {
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return names, ""
		}
		j := strings.IndexByte(s[i+2:], '}')
		if j < 0 {
			return names, "has ${ without a closing }"
		}
		name := s[i+2 : i+2+j]
		if !varName.MatchString(name) {
			return names, fmt.Sprintf("${%s} is not a variable", name)
		}
		names = append(names, name)
		s = s[i+2+j+1:]
	}
}

// template reads key of f as a text that may hold ${variables}.
func (p *parser) template(f *fields, key, hint string) string {
	s := f.str(key, hint)
	if n := f.get(key); n != nil && s != "" {
		p.templateAt(s, n.Line, f.field(key))
	}
	return s
}

// templateAt checks the variables of a text at field.
func (p *parser) templateAt(s string, line int, field string) {
	names, problem := templateVars(s)
	if problem != "" {
		p.add(line, field, "write a variable as ${name}", "%s", problem)
	}
	for _, name := range names {
		p.uses = append(p.uses, use{kind: "variable", name: name, line: line, field: field})
	}
}

// readVar reads key of f as the name of a variable that some node sets.
func (p *parser) readVar(f *fields, key string) string {
	n := f.get(key)
	if n == nil {
		return ""
	}
	s, ok := p.scalar(n, f.field(key), "the name of a variable")
	if !ok {
		return ""
	}
	p.uses = append(p.uses, use{kind: "variable", name: s, line: n.Line, field: f.field(key)})
	return s
}

// intoVar reads key of f as the name of a variable that the node sets.
func (p *parser) intoVar(f *fields, key string) string {
	n := f.get(key)
	if n == nil {
		return ""
	}
	s, ok := p.scalar(n, f.field(key), "the name of a variable")
	if !ok || !p.defineVar(s, n.Line, f.field(key), false) {
		return ""
	}
	return s
}

// defineVar records that a node sets variable name, if it may.
func (p *parser) defineVar(name string, line int, field string, maySetLang bool) bool {
	switch {
	case !varName.MatchString(name):
		p.add(line, field, "use letters, digits and '_', starting with a letter", "%q is not a usable variable name", name)
		return false
	case name == "lang" && maySetLang:
	case slices.Contains(builtinVars, name):
		hint := "the engine sets it; choose another name"
		if name == "lang" {
			hint = "only a set node may change lang"
		}
		p.add(line, field, hint, "%q is a built-in variable", name)
		return false
	}
	p.vars[name] = true
	return true
}

// checkUses reports prompts, variables and lists that the file names but
// does not have.
func (p *parser) checkUses() {
	missing := map[string]bool{}
	for _, u := range p.uses {
		switch u.kind {
		case "prompt":
			p.checkPrompt(u, missing)
		case "variable":
			if !p.vars[u.name] && !slices.Contains(builtinVars, u.name) {
				known := append(sortedKeys(p.vars), builtinVars...)
				p.add(u.line, u.field, suggest(u.name, known, "variables"), "variable %q is never set", u.name)
			}
		case "list":
			if _, ok := p.f.lists[u.name]; !ok {
				p.add(u.line, u.field, suggest(u.name, sortedKeys(p.f.lists), "lists"), "%q is not a list of caller numbers", u.name)
			}
		}
	}
}
