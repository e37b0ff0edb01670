package callflow

import (
	"os"
	"strings"
	"testing"
)

// TestDocExample parses the flow in the package doc, so that it stays a
// flow that works.
func TestDocExample(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for line := range strings.SplitSeq(string(src), "\n") {
		if yaml, ok := strings.CutPrefix(line, "//\t"); ok {
			b.WriteString(yaml + "\n")
		}
	}
	if b.Len() == 0 {
		t.Fatal("found no example in doc.go")
	}
	f, err := Parse("doc.go", []byte(b.String()))
	if err != nil {
		t.Fatalf("the example in the package doc is not valid:\n%v\n\n%s", err, b.String())
	}
	if got, want := len(f.Nodes()), 4; got != want {
		t.Errorf("nodes: got %d, want %d", got, want)
	}
}
