package apidoc

import (
	"fmt"
	"slices"
	"strings"
)

// routeNode is one path segment of the route tree. Children are either
// literal segments or a single {param} child, as in Asterisk's generated
// router (res/ari/resource_*.c).
type routeNode struct {
	literal map[string]*routeNode
	param   *routeNode
	ops     map[string]*Operation // by method
}

func newRouteNode() *routeNode {
	return &routeNode{literal: map[string]*routeNode{}, ops: map[string]*Operation{}}
}

func isParamSegment(seg string) bool {
	return len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}'
}

// insert adds op at its path template; a second operation with the same
// method on an equivalent template is an error.
func (n *routeNode) insert(op *Operation) error {
	if !strings.HasPrefix(op.Path, "/") {
		return fmt.Errorf("path %q does not start with /", op.Path)
	}
	if op.Method == "" {
		return fmt.Errorf("%s: operation %q has no httpMethod", op.Path, op.Nickname)
	}
	cur := n
	for _, seg := range strings.Split(strings.Trim(op.Path, "/"), "/") {
		if seg == "" {
			return fmt.Errorf("path %q has an empty segment", op.Path)
		}
		if isParamSegment(seg) {
			if cur.param == nil {
				cur.param = newRouteNode()
			}
			cur = cur.param
			continue
		}
		next, ok := cur.literal[seg]
		if !ok {
			next = newRouteNode()
			cur.literal[seg] = next
		}
		cur = next
	}
	if prev, dup := cur.ops[op.Method]; dup {
		return fmt.Errorf("%s declared twice (%s and %s)", op, prev.Path, op.Path)
	}
	cur.ops[op.Method] = op
	return nil
}

// Match resolves a request to its operation. path is the request path
// without the /ari prefix and without a query string (anything from '?' on
// is ignored), e.g. "/channels/abc/play". It returns the operation and the
// values of its path parameters by name.
//
// Resolution follows Asterisk's router: segment by segment, a literal child
// beats the {param} child, and there is no backtracking, so
// "/channels/externalMedia" is the externalMedia operation, never
// /channels/{channelId}. If the path resolves to a node of the tree but that
// node has no operation for method (including intermediate nodes such as
// "/recordings", which have none at all), the error wraps
// ErrMethodNotAllowed, as Asterisk answers 405; if it does not resolve, the
// error wraps ErrNoRoute (404).
func (d *Doc) Match(method, path string) (*Operation, map[string]string, error) {
	method = strings.ToUpper(method)
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	if !strings.HasPrefix(path, "/") || path == "/" {
		return nil, nil, fmt.Errorf("%w: %s %q", ErrNoRoute, method, path)
	}
	segs := strings.Split(path[1:], "/")
	cur := d.routes
	for _, seg := range segs {
		if seg == "" {
			return nil, nil, fmt.Errorf("%w: %s %s (empty path segment)", ErrNoRoute, method, path)
		}
		if next, ok := cur.literal[seg]; ok {
			cur = next
		} else if cur.param != nil {
			cur = cur.param
		} else {
			return nil, nil, fmt.Errorf("%w: %s %s", ErrNoRoute, method, path)
		}
	}
	op, ok := cur.ops[method]
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s %s (allowed: %s)", ErrMethodNotAllowed, method, path, cur.allowed())
	}
	params := map[string]string{}
	for i, seg := range strings.Split(op.Path[1:], "/") {
		if isParamSegment(seg) {
			params[seg[1:len(seg)-1]] = segs[i]
		}
	}
	return op, params, nil
}

// allowed lists the node's methods, sorted, or "none".
func (n *routeNode) allowed() string {
	if len(n.ops) == 0 {
		return "none"
	}
	var ms []string
	for m := range n.ops {
		ms = append(ms, m)
	}
	slices.Sort(ms)
	return strings.Join(ms, ", ")
}
