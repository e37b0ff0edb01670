package callflow

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Branch goes to the Goto of the first of its Cases that holds, or to
// Default.
//
//	branch:
//	  when:
//	    - {caller_in: vip, goto: vip-queue}
//	    - {holiday: true, goto: closed}
//	    - {open: false, goto: closed}
//	    - {var: refund, gt: 1000, goto: agent}
//	  default: main
type Branch struct {
	Cases   []Case
	Default string
}

// Op compares a variable in a branch.
type Op string

// The comparisons of a branch case.
const (
	OpEquals  Op = "equals"  // the value is Values[0]
	OpIn      Op = "in"      // the value is one of Values
	OpMatches Op = "matches" // Pattern matches all of the value
	OpLess    Op = "lt"      // the value is a number below Number
	OpGreater Op = "gt"      // the value is a number above Number
)

// Case is one test of a branch. It holds when every test it sets holds: the
// comparison of Var, the caller in the list CallerIn, the flow being Open,
// the day being a Holiday.
type Case struct {
	Var      string
	Op       Op             // "" for no comparison
	Values   []string       // for equals and in; they may hold ${variables}
	Pattern  *regexp.Regexp // for matches
	Number   float64        // for lt and gt
	CallerIn string         // a list of caller numbers, by name
	Open     *bool
	Holiday  *bool
	Goto     string
	Line     int
}

// Choose returns the node the branch goes to for a call with variables vars
// (which hold the built-in ones too), from caller, at time now, in flow f,
// the flow the branch belongs to. Caller numbers are compared as they are.
func (b *Branch) Choose(vars map[string]string, caller string, now time.Time, f *Flow) string {
	for i := range b.Cases {
		if b.Cases[i].holds(vars, caller, now, f) {
			return b.Cases[i].Goto
		}
	}
	return b.Default
}

func (c *Case) holds(vars map[string]string, caller string, now time.Time, f *Flow) bool {
	if c.Op != "" && !c.compare(vars[c.Var], vars) {
		return false
	}
	if c.CallerIn != "" && (f == nil || !f.lists[c.CallerIn][caller]) {
		return false
	}
	if c.Open != nil && (f == nil || f.Open(now) != *c.Open) {
		return false
	}
	if c.Holiday != nil && (f == nil || f.Holiday(now) != *c.Holiday) {
		return false
	}
	return true
}

func (c *Case) compare(v string, vars map[string]string) bool {
	switch c.Op {
	case OpEquals, OpIn:
		for _, want := range c.Values {
			if v == Expand(want, vars) {
				return true
			}
		}
	case OpMatches:
		return c.Pattern != nil && c.Pattern.MatchString(v)
	case OpLess, OpGreater:
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return false
		}
		return (c.Op == OpLess && x < c.Number) || (c.Op == OpGreater && x > c.Number)
	}
	return false
}

var (
	branchKeys = []string{"when", "default"}
	caseKeys   = []string{"var", "equals", "in", "matches", "lt", "gt", "caller_in", "open", "holiday", "goto"}
	ops        = []string{string(OpEquals), string(OpIn), string(OpMatches), string(OpLess), string(OpGreater)}
	caseHint   = "test var with equals, in, matches, lt or gt; or caller_in, open, holiday"
)

func (p *parser) branch(sc *scope, f *fields) *Branch {
	b := &Branch{}
	f.need("when", "the cases, like [{caller_in: vip, goto: vip-queue}]")
	items := p.list(f.get("when"), f.field("when"), "a list of cases, like [{caller_in: vip, goto: vip-queue}]")
	if n := f.get("when"); n != nil && isEmptyList(n) {
		p.add(n.Line, f.field("when"), "give at least one case", "is empty")
	}
	b.Cases = make([]Case, len(items))
	for i, item := range items {
		cf := p.fields(item, fmt.Sprintf("%s[%d]", f.field("when"), i), item.Line, caseKeys...)
		p.branchCase(sc, cf, &b.Cases[i])
	}
	p.next(sc, f, "default", &b.Default)
	return b
}

func (p *parser) branchCase(sc *scope, f *fields, c *Case) {
	c.Line = f.line
	var given []string
	for _, op := range ops {
		if f.has(op) {
			given = append(given, op)
		}
	}
	switch {
	case len(given) > 1:
		p.add(f.lineOf(given[1]), f.field(given[1]), "one comparison per case; use two cases, or a pattern", "cannot go with %s", given[0])
	case len(given) == 1 && !f.has("var"):
		p.add(f.lineOf(given[0]), f.field(given[0]), "name the variable with var", "compares no variable")
	case len(given) == 0 && f.has("var"):
		p.add(f.lineOf("var"), f.field("var"), "compare it with equals, in, matches, lt or gt", "is not compared")
	case len(given) == 1:
		c.Var = p.readVar(f, "var")
		c.Op = Op(given[0])
		p.comparison(f, c)
	}
	if f.has("caller_in") {
		if name := f.str("caller_in", "the name of a list under lists"); name != "" {
			c.CallerIn = name
			p.uses = append(p.uses, use{kind: "list", name: name, line: f.lineOf("caller_in"), field: f.field("caller_in")})
		}
	}
	if f.has("open") {
		v := f.flag("open", false)
		c.Open = &v
	}
	if f.has("holiday") {
		v := f.flag("holiday", false)
		c.Holiday = &v
	}
	if f.ok && len(given) == 0 && !f.has("var") && !f.has("caller_in") && !f.has("open") && !f.has("holiday") {
		p.add(f.line, f.path, caseHint, "tests nothing")
	}
	p.next(sc, f, "goto", &c.Goto)
}

// comparison reads the value of the case's Op.
func (p *parser) comparison(f *fields, c *Case) {
	key := string(c.Op)
	n := f.get(key)
	switch c.Op {
	case OpEquals:
		if s, ok := p.scalar(n, f.field(key), "the value to compare with"); ok {
			p.templateAt(s, n.Line, f.field(key))
			c.Values = []string{s}
		}
	case OpIn:
		for i, item := range p.list(n, f.field(key), "a list of values, like [gold, platinum]") {
			field := fmt.Sprintf("%s[%d]", f.field(key), i)
			if s, ok := p.scalar(item, field, "a value"); ok {
				p.templateAt(s, item.Line, field)
				c.Values = append(c.Values, s)
			}
		}
		if isEmptyList(n) {
			p.add(n.Line, f.field(key), "a list of values, like [gold, platinum]", "is empty")
		}
	case OpMatches:
		pat, _ := p.scalar(n, f.field(key), "a regular expression")
		re, err := regexp.Compile(`^(?:` + pat + `)$`)
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
			p.add(n.Line, f.field(key), "Go regular expression syntax, like 9[0-9]+; it must match all of the value", "%q is not a regular expression: %s", pat, msg)
		}
		c.Pattern = re
	case OpLess, OpGreater:
		if n.Kind == yaml.AliasNode {
			return
		}
		x, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!int" && n.ShortTag() != "!!float") || err != nil {
			p.add(n.Line, f.field(key), "a number, like 1000 or 99.5", "want a number, got %s", describe(n))
		}
		c.Number = x
	}
}
