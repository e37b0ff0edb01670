package callflow

import (
	"slices"
	"strings"
)

// checkGraph reports nodes no call can reach, sub-flows that call
// themselves, and loops in which the call never waits for the caller.
//
// A link whose target is unknown (a typo in next:, a node that did not
// compile, a missing next:) is reported where it is, once: the nodes behind
// it are not reported as never reached too. A link to a name close to a
// node's is taken to lead there; one that is not leaves every node of its
// scope unjudged.
func (p *parser) checkGraph() {
	from := map[string][]dangling{}
	for _, d := range p.dangling {
		from[d.from] = append(from[d.from], d)
	}
	reached := map[string]bool{}
	unsure := map[*scope]bool{} // scopes whose unreached nodes may be behind an unknown link
	callsUnsure := false        // a call to an unknown sub-flow may be the one some sub-flow lacks
	var stack []string
	follow := func(id string) {
		for _, d := range from[id] {
			switch {
			case d.to != "":
				stack = append(stack, d.to)
			case d.call:
				callsUnsure = true
			default:
				unsure[d.sc] = true
			}
		}
	}
	follow("")
	if p.f.Start != "" {
		stack = append(stack, p.f.Start)
	}
	if len(stack) == 0 {
		return // no start, or one that is not a node: reported already
	}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if reached[id] {
			continue
		}
		reached[id] = true
		if n := p.f.nodes[id]; n != nil {
			stack = append(stack, n.targets()...)
		}
		follow(id)
	}
	unreached := func(sc *scope, from string) {
		if unsure[sc] {
			return
		}
		for _, n := range sc.order {
			if !reached[n.ID] {
				p.add(n.Line, p.paths[n.ID], "link it from another node, or remove it", "is never reached from %s", from)
			}
		}
	}
	unreached(p.main, "start")
	for _, sc := range p.subOrder {
		switch {
		case sc.start == "":
		case !reached[sc.start]:
			if !callsUnsure {
				p.add(sc.line, join("subflows", pathKey(sc.name)), "call it from a subflow node that calls can reach, or remove it", "is never called")
			}
		default:
			unreached(sc, "the sub-flow's start")
		}
	}
	p.checkRecursion()
	p.checkBusyLoops()
}

// dangling is a link from a node to a target that is not known: a name
// that is not a node (or sub-flow), a node that did not compile, or a
// next: that is missing.
type dangling struct {
	from string // the node the link is in; "" for the flow's start and agent
	sc   *scope // where the target was looked for
	call bool   // a subflow node's name: the target is a sub-flow
	to   string // the node the link most likely meant (a close name), or ""
}

// checkRecursion reports sub-flows that call themselves, directly or
// through others: the engine would never return from them.
func (p *parser) checkRecursion() {
	callees := map[string][]call{} // sub-flow -> the calls its nodes make
	for _, c := range p.calls {
		if c.from.name != "" {
			callees[c.from.name] = append(callees[c.from.name], c)
		}
	}
	const (
		unseen = iota
		open
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(name string)
	visit = func(name string) {
		state[name] = open
		path = append(path, name)
		for _, c := range callees[name] {
			switch state[c.name] {
			case open:
				i := slices.Index(path, c.name)
				cycle := append(slices.Clone(path[i:]), c.name)
				p.add(c.line, c.field, "a sub-flow may not call itself, directly or through others", "calls %q again: %s", c.name, strings.Join(cycle, " → "))
			case unseen:
				if _, ok := p.subs[c.name]; ok {
					visit(c.name)
				}
			}
		}
		path = path[:len(path)-1]
		state[name] = done
	}
	for _, sc := range p.subOrder {
		if state[sc.name] == unseen {
			visit(sc.name)
		}
	}
}

// checkBusyLoops reports cycles of nodes none of which waits for the
// caller: such a call would spin, or repeat prompts, for ever.
func (p *parser) checkBusyLoops() {
	// skip[id]: from id the call can reach its sub-flow's return without
	// waiting for the caller. A subflow node waits when its sub-flow
	// cannot be passed through that way.
	skip := map[string]bool{Return: true}
	for changed := true; changed; {
		changed = false
		for _, n := range p.f.order {
			if skip[n.ID] {
				continue
			}
			v := false
			switch {
			case n.Kind == KindSubflow:
				v = n.Subflow.Start != "" && skip[n.Subflow.Start] && skip[n.Subflow.Next]
			case !n.waits():
				v = slices.ContainsFunc(n.targets(), func(t string) bool { return skip[t] })
			}
			if v {
				skip[n.ID], changed = true, true
			}
		}
	}
	busy := func(n *Node) bool {
		if n == nil {
			return false
		}
		if n.Kind == KindSubflow {
			return n.Subflow.Start != "" && skip[n.Subflow.Start]
		}
		return !n.waits()
	}
	next := func(n *Node) []*Node {
		var out []*Node
		for _, t := range n.targets() {
			if n.Kind == KindSubflow && t == n.Subflow.Start {
				continue
			}
			if m := p.f.nodes[t]; busy(m) {
				out = append(out, m)
			}
		}
		return out
	}
	for _, scc := range components(p.f.order, busy, next) {
		first := scc[0]
		for _, n := range scc {
			if n.Line < first.Line {
				first = n
			}
		}
		if len(scc) == 1 && !slices.Contains(next(first), first) {
			continue
		}
		loop := cycleThrough(first, scc, next)
		ids := make([]string, len(loop))
		for i, n := range loop {
			ids[i] = n.ID
		}
		p.add(first.Line, p.paths[first.ID], "put a menu, collect or other node that waits for the caller in the loop, or end it",
			"loops through %s without waiting for the caller", strings.Join(ids, " → "))
	}
}

// components returns the strongly connected components of the nodes for
// which keep holds, along next (Tarjan's algorithm).
func components(nodes []*Node, keep func(*Node) bool, next func(*Node) []*Node) [][]*Node {
	index := map[*Node]int{}
	low := map[*Node]int{}
	onStack := map[*Node]bool{}
	var stack []*Node
	var out [][]*Node
	var visit func(n *Node)
	visit = func(n *Node) {
		index[n] = len(index)
		low[n] = index[n]
		stack = append(stack, n)
		onStack[n] = true
		for _, m := range next(n) {
			if _, seen := index[m]; !seen {
				visit(m)
				low[n] = min(low[n], low[m])
			} else if onStack[m] {
				low[n] = min(low[n], index[m])
			}
		}
		if low[n] == index[n] {
			var scc []*Node
			for {
				m := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[m] = false
				scc = append(scc, m)
				if m == n {
					break
				}
			}
			out = append(out, scc)
		}
	}
	for _, n := range nodes {
		if _, seen := index[n]; !seen && keep(n) {
			visit(n)
		}
	}
	return out
}

// cycleThrough returns a shortest cycle from start back to start within
// scc, start repeated at the end.
func cycleThrough(start *Node, scc []*Node, next func(*Node) []*Node) []*Node {
	parent := map[*Node]*Node{}
	queue := []*Node{start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, m := range next(n) {
			if !slices.Contains(scc, m) {
				continue
			}
			if m == start {
				loop := []*Node{start}
				for x := n; x != start; x = parent[x] {
					loop = append(loop, x)
				}
				loop = append(loop, start)
				slices.Reverse(loop[1 : len(loop)-1])
				return loop
			}
			if _, seen := parent[m]; !seen {
				parent[m] = n
				queue = append(queue, m)
			}
		}
	}
	return []*Node{start, start}
}
