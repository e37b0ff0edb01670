package callflow

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a flow file.
type Problem struct {
	File  string
	Line  int
	Field string // path of YAML keys, like nodes.main.menu.options."1"; empty for syntax errors
	Msg   string // what is wrong
	Hint  string // how to fix it; may be empty
}

// Error formats the problem as FILE:LINE: field.path: what is wrong (hint).
func (p Problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: ", p.File, p.Line)
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Msg)
	if p.Hint != "" {
		b.WriteString(" (" + p.Hint + ")")
	}
	return b.String()
}

// Problems is every problem found, ordered by file and line. It is the error
// [Parse] and [Registry.Load] return, and it matches [ErrInvalid].
type Problems []Problem

// Error lists the problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Is reports whether target is [ErrInvalid].
func (ps Problems) Is(target error) bool { return target == ErrInvalid }

// sort orders problems by file and line, keeping the order they were found
// in within a line.
func (ps Problems) sort() {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
}

// closest returns the one of known that got is most likely a typo of, or
// "" when none is close.
func closest(got string, known []string) string {
	best, bestDist := "", 3 // more than 2 edits away is not a typo
	for _, k := range known {
		if d := editDistance(strings.ToLower(got), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// suggest names the closest of known to got, or lists known when none is
// close: the hint of an unknown key or name.
func suggest(got string, known []string, what string) string {
	best := closest(got, known)
	list := strings.Join(known, ", ")
	if len(known) > 12 {
		list = strings.Join(known[:12], ", ") + ", ..."
	}
	switch {
	case best != "":
		return fmt.Sprintf("did you mean %s? %s: %s", best, what, list)
	case len(known) == 0:
		return "there are no " + what
	}
	return what + ": " + list
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
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
