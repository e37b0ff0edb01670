package callflow

import (
	"gopkg.in/yaml.v3"
)

// Subflow runs a sub-flow, then goes on to Next when the sub-flow returns.
// The engine keeps a stack of the subflow nodes it is in: a node whose next
// is [Return] goes to the Next of the top one. Sub-flows may call others but
// never themselves. A sub-flow's on_fail defaults, like any other, to the
// flow's agent queue, which leaves the sub-flow for good.
//
//	subflow: {name: order-status, next: main}
type Subflow struct {
	Name  string
	Start string // the sub-flow's first node
	Next  string
}

var subflowKeys = []string{"name", "next"}

// subflowCall compiles the body of node n.
func (p *parser) subflowCall(sc *scope, f *fields, n *Node) *Subflow {
	s := &Subflow{}
	f.need("name", "the name of a sub-flow under subflows")
	s.Name = f.str("name", "the name of a sub-flow")
	p.next(sc, f, "next", &s.Next)
	if s.Name != "" {
		// resolve sets Start once every sub-flow is read.
		p.calls = append(p.calls, call{from: sc, node: n, name: s.Name, line: f.lineOf("name"), field: f.field("name")})
	}
	return s
}

// scope is the main graph or one sub-flow: node IDs name nodes of the same
// scope only.
type scope struct {
	name  string // "" for the main graph
	path  string // of its nodes: "nodes" or "subflows.NAME.nodes"
	line  int    // of the sub-flow's name
	nodes map[string]*Node
	order []*Node
	start string
	// broken are IDs of nodes that could not be compiled; references to
	// them are not reported again.
	broken map[string]bool
}

// qualify turns a node ID of the file into the ID of the compiled node.
func (s *scope) qualify(id string) string {
	if s.name == "" {
		return id
	}
	return s.name + "/" + id
}

var subflowDefKeys = []string{"start", "nodes"}

// subflows compiles the sub-flows section:
//
//	subflows:
//	  order-status:
//	    start: ask
//	    nodes: {...}
func (p *parser) subflows(n *yaml.Node) {
	p.subs = map[string]*scope{}
	keys, vals := p.entries(n, "subflows", "sub-flows by name, each with start and nodes")
	for i, k := range keys {
		path := join("subflows", pathKey(k.Value))
		if !nodeID.MatchString(k.Value) {
			p.add(k.Line, path, "use letters, digits, '-' and '_'", "%q is not a usable sub-flow name", k.Value)
			continue
		}
		sc := &scope{name: k.Value, path: join(path, "nodes"), line: k.Line, nodes: map[string]*Node{}, broken: map[string]bool{}}
		p.subs[k.Value] = sc
		p.subOrder = append(p.subOrder, sc)
		f := p.fields(vals[i], path, k.Line, subflowDefKeys...)
		f.need("nodes", "the sub-flow's steps, by ID")
		p.nodes(sc, f.get("nodes"))
		f.need("start", "the ID of the sub-flow's first node")
		p.target(sc, f, "start", &sc.start)
	}
}
