package callflow

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/hotline-ivr/hotline/internal/strictyaml"
)

// Problem is one thing wrong with a flow file: FILE:LINE: field.path
// (YAML keys, like nodes.main.menu.options."1"; empty for syntax errors):
// what is wrong (hint).
type Problem = strictyaml.Problem

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
		if d := strictyaml.EditDistance(strings.ToLower(got), strings.ToLower(k)); d < bestDist {
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
