package callflow

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones load the same on every machine

	"gopkg.in/yaml.v3"
)

var rootKeys = []string{"flow", "numbers", "languages", "timezone", "hours", "holidays", "lists", "agent", "prompts", "start", "nodes", "subflows"}

var (
	flowName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	number   = regexp.MustCompile(`^\+?[0-9]{3,20}$`)
	// flowNumber is what a flow answers: a dialled number, or a name (no
	// '-') for a flow that no caller dials, like the follow-up visit's that
	// Hotline runs on the calls it places (Stasis(hotline,followup)).
	flowNumber = regexp.MustCompile(`^(\+?[0-9]{3,20}|[a-z][a-z0-9_]{0,31})$`)
	language   = regexp.MustCompile(`^[a-z]{2,3}(-[A-Z]{2})?$`)
)

// Parse compiles the flow file called name (used in problems) holding data.
// A file that is not valid gives a [Problems] error listing every problem
// found, not just the first, and no flow.
func Parse(name string, data []byte) (*Flow, error) {
	p := &parser{decoder: decoder{file: name}, vars: map[string]bool{}, paths: map[string]string{}}
	root := p.document(data)
	if !p.unreadable {
		p.flowFile(root)
	}
	if len(p.problems) > 0 {
		p.problems.sort()
		return nil, p.problems
	}
	return p.f, nil
}

// parser compiles one file. References between parts of the file are
// recorded as they are read and resolved once everything is read.
type parser struct {
	decoder
	f        *Flow
	main     *scope
	subs     map[string]*scope
	subOrder []*scope
	paths    map[string]string // node ID -> its field path
	refs     []ref
	fails    []*string       // on_fail fields that take the flow's default
	uses     []use           // prompts, variables and lists the file refers to
	vars     map[string]bool // variables some node sets
	calls    []call          // subflow nodes
	agentN   *yaml.Node
	cur      string     // ID of the node being compiled; "" outside nodes
	dangling []dangling // links whose target is unknown
}

// ref is a reference to a node, from the node (or key) at field.
type ref struct {
	sc    *scope
	from  string // the node the reference is in; "" for start and agent
	name  string
	line  int
	field string
	set   func(id string)
}

// use is a reference to a prompt, variable or list by name.
type use struct {
	kind  string // "prompt", "variable", "list"
	name  string
	line  int
	field string
}

// call is a subflow node calling a sub-flow.
type call struct {
	from  *scope
	node  *Node
	name  string
	line  int
	field string
}

func (p *parser) flowFile(root *yaml.Node) {
	line := 1
	if root != nil {
		line = root.Line
	}
	f := p.fields(root, "", line, rootKeys...)
	if !f.ok {
		return
	}
	p.f = &Flow{
		File: p.file, nodes: map[string]*Node{}, prompts: map[string]map[string]string{},
		lists: map[string]map[string]bool{}, sensitive: map[string]bool{}, numberLines: map[string]int{},
		queueNames: map[string]where{},
		categories: map[string]where{},
	}
	p.header(f)
	p.f.hours = p.hours(f)
	p.f.holidays = p.holidays(f)
	p.lists(f)
	p.declarePrompts(f)

	p.main = &scope{path: "nodes", nodes: map[string]*Node{}, broken: map[string]bool{}}
	f.need("nodes", "the steps of the call, by ID")
	p.nodes(p.main, f.get("nodes"))
	p.subflows(f.get("subflows"))

	f.need("start", "the ID of the node every call begins with")
	p.target(p.main, f, "start", &p.f.Start)
	if n := f.get("agent"); n != nil {
		p.agentN = n
		p.target(p.main, f, "agent", &p.f.Agent)
	}

	p.resolve()
	p.checkAgent()
	for _, dst := range p.fails {
		*dst = SorryNode
		if p.f.Agent != "" {
			*dst = p.f.Agent
		}
	}
	// Every call may need the apology: the engine plays it when the call
	// cannot go on, whatever the nodes say.
	p.usePrompt(PromptSorry, f.lineOf("languages"), "languages")
	p.checkUses()
	for _, u := range p.uses {
		if u.kind == "prompt" && !slices.Contains(p.f.used, u.name) {
			p.f.used = append(p.f.used, u.name)
		}
	}
	slices.Sort(p.f.used)
	p.checkGraph()
	p.f.nodes[HangupNode] = &Node{ID: HangupNode, Kind: KindHangup, Hangup: &Hangup{}}
	p.f.nodes[SorryNode] = &Node{ID: SorryNode, Kind: KindHangup, Hangup: &Hangup{Prompts: []string{PromptSorry}}}
}

// header reads the flow's name, languages, numbers and time zone.
func (p *parser) header(f *fields) {
	f.need("flow", "the flow's name, like smart-home")
	if name := f.str("flow", "the flow's name"); name != "" {
		if !flowName.MatchString(name) {
			p.add(f.lineOf("flow"), "flow", "use lower-case letters, digits, '-' and '_', like smart-home", "%q is not a usable flow name", name)
		}
		p.f.Name = name
	}
	p.f.nameLine = f.lineOf("flow")

	f.need("languages", "like [zh, en]; the first is the default")
	p.f.Languages, _ = p.uniqueList(f.get("languages"), "languages", language, "a language code like zh or en")
	if f.has("languages") && isEmptyList(f.get("languages")) {
		p.add(f.lineOf("languages"), "languages", "like [zh, en]; the first is the default", "is empty")
	}

	f.need("numbers", `the dialled numbers this flow answers, like ["4008001234"]`)
	var lines []int
	p.f.Numbers, lines = p.uniqueList(f.get("numbers"), "numbers", flowNumber, "digits, with an optional leading +; or a name like followup for a flow Hotline runs on the calls it places")
	for i, n := range p.f.Numbers {
		p.f.numberLines[n] = lines[i]
	}
	if f.has("numbers") && isEmptyList(f.get("numbers")) {
		p.add(f.lineOf("numbers"), "numbers", `the dialled numbers this flow answers, like ["4008001234"]`, "is empty")
	}

	p.f.Location = time.UTC
	tz := f.str("timezone", "a time zone like Asia/Shanghai")
	switch {
	case !f.has("timezone") && (f.has("hours") || f.has("holidays")):
		p.add(f.line, "timezone", "like Asia/Shanghai: hours and holidays are in local time", "is required with hours or holidays")
	case tz == "Local" || (f.has("timezone") && tz == "" && f.get("timezone").Tag == "!!str"):
		p.add(f.lineOf("timezone"), "timezone", "name the zone, like Asia/Shanghai, so that the flow behaves the same on every server", "%q is not a time zone", tz)
	case tz != "":
		loc, err := time.LoadLocation(tz)
		if err != nil {
			p.add(f.lineOf("timezone"), "timezone", "an IANA zone name like Asia/Shanghai or Europe/London", "%q is not a known time zone", tz)
		} else {
			p.f.Location = loc
		}
	}
}

// uniqueList reads the list n at path, of values that must match re, once
// each. Only the good values are returned, in order, with their lines.
func (p *parser) uniqueList(n *yaml.Node, path string, re *regexp.Regexp, hint string) (out []string, lines []int) {
	seen := map[string]int{}
	for i, item := range p.list(n, path, hint) {
		field := fmt.Sprintf("%s[%d]", path, i)
		s, ok := p.scalar(item, field, hint)
		switch {
		case !ok:
		case !re.MatchString(s):
			p.add(item.Line, field, hint, "%q is not valid", s)
		case seen[s] > 0:
			p.add(item.Line, field, "keep one of them", "%q is listed twice, first on line %d", s, seen[s])
		default:
			seen[s] = item.Line
			out, lines = append(out, s), append(lines, item.Line)
		}
	}
	return out, lines
}

// lists reads the named lists of caller numbers.
func (p *parser) lists(f *fields) {
	keys, vals := p.entries(f.get("lists"), "lists", `named lists of caller numbers, like {vip: ["13800000001"]}`)
	for i, k := range keys {
		path := join("lists", pathKey(k.Value))
		if !nodeID.MatchString(k.Value) {
			p.add(k.Line, path, "use letters, digits, '-' and '_'", "%q is not a usable list name", k.Value)
			continue
		}
		nums, _ := p.uniqueList(vals[i], path, number, "caller numbers: digits, with an optional leading +")
		set := map[string]bool{}
		for _, n := range nums {
			set[n] = true
		}
		p.f.lists[k.Value] = set
	}
}

// nodes compiles the nodes of scope sc.
func (p *parser) nodes(sc *scope, n *yaml.Node) {
	keys, vals := p.entries(n, sc.path, "the nodes by ID, like {main: {menu: {...}}}")
	if n != nil && n.Kind == yaml.MappingNode && len(keys) == 0 && len(n.Content) == 0 {
		p.add(n.Line, sc.path, "", "has no nodes")
	}
	for i, k := range keys {
		path := join(sc.path, pathKey(k.Value))
		if !nodeID.MatchString(k.Value) || k.Value == "return" {
			p.add(k.Line, path, "use letters, digits, '-' and '_'; return is reserved", "%q is not a usable node ID", k.Value)
			sc.broken[k.Value] = true
			continue
		}
		node := p.node(sc, k, vals[i])
		if node == nil {
			continue
		}
		p.paths[node.ID] = path
		sc.nodes[k.Value] = node
		sc.order = append(sc.order, node)
		p.f.nodes[node.ID] = node
		p.f.order = append(p.f.order, node)
	}
}

// target reads key of f as a reference to a node of sc, into dst.
func (p *parser) target(sc *scope, f *fields, key string, dst *string) {
	n := f.get(key)
	if n == nil {
		return
	}
	if s, ok := p.scalar(n, f.field(key), "a node ID"); ok {
		p.refs = append(p.refs, ref{sc: sc, from: p.cur, name: s, line: n.Line, field: f.field(key), set: func(id string) { *dst = id }})
	}
}

// next reads the required key naming the node that follows.
func (p *parser) next(sc *scope, f *fields, key string, dst *string) {
	if !f.has(key) {
		p.dangling = append(p.dangling, dangling{from: p.cur, sc: sc})
	}
	f.need(key, "the ID of the node that comes next")
	p.target(sc, f, key, dst)
}

// onFail reads on_fail, or leaves dst to take the flow's default.
func (p *parser) onFail(sc *scope, f *fields, dst *string) {
	if f.has("on_fail") {
		p.target(sc, f, "on_fail", dst)
		return
	}
	p.fails = append(p.fails, dst)
}

// resolve turns every reference into a node ID, or reports it.
func (p *parser) resolve() {
	for _, r := range p.refs {
		if r.name == "return" {
			if r.sc.name == "" {
				p.add(r.line, r.field, "return goes back from a sub-flow; name a node here", "return is only for the nodes of a sub-flow")
			} else {
				r.set(Return)
			}
			continue
		}
		if n, ok := r.sc.nodes[r.name]; ok {
			r.set(n.ID)
			continue
		}
		if r.sc.broken[r.name] {
			p.dangling = append(p.dangling, dangling{from: r.from, sc: r.sc})
			continue
		}
		var ids []string
		for _, n := range r.sc.order {
			ids = append(ids, strings.TrimPrefix(n.ID, r.sc.name+"/"))
		}
		what := "nodes"
		if r.sc.name != "" {
			what = "nodes of sub-flow " + r.sc.name + " (or return)"
		}
		p.add(r.line, r.field, suggest(r.name, ids, what), "%q is not a node", r.name)
		d := dangling{from: r.from, sc: r.sc}
		if best := closest(r.name, ids); best != "" {
			d.to = r.sc.qualify(best)
		}
		p.dangling = append(p.dangling, d)
	}
	for _, c := range p.calls {
		sub, ok := p.subs[c.name]
		if !ok {
			p.add(c.line, c.field, suggest(c.name, sortedKeys(p.subs), "sub-flows"), "%q is not a sub-flow", c.name)
			d := dangling{from: c.node.ID, sc: c.from, call: true}
			if best := closest(c.name, sortedKeys(p.subs)); best != "" {
				d.to = p.subs[best].start
			}
			p.dangling = append(p.dangling, d)
			continue
		}
		c.node.Subflow.Start = sub.start
	}
}

// checkAgent requires the flow's agent to be a queue node.
func (p *parser) checkAgent() {
	if p.f.Agent == "" {
		return
	}
	if n := p.f.nodes[p.f.Agent]; n.Kind != KindQueue {
		p.add(p.agentN.Line, "agent", "name the queue node that reaches an agent", "%q is a %s node, not a queue node", p.f.Agent, n.Kind)
		p.f.Agent = ""
	}
}

func isEmptyList(n *yaml.Node) bool { return n.Kind == yaml.SequenceNode && len(n.Content) == 0 }

func joinList(s []string) string { return strings.Join(s, ", ") }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
