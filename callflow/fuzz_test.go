package callflow

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzParse feeds Parse mutations of valid and broken flows. It must never
// panic; a file it rejects gets problems with a place and a message; a flow
// it accepts holds together and is accepted again.
func FuzzParse(f *testing.F) {
	demo, err := os.ReadFile("testdata/smart-home.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(demo)
	f.Add([]byte(mini))
	f.Add([]byte(branchFlow))
	f.Add(flowFile("a", "5s", "4001"))
	for _, c := range problemCases {
		f.Add([]byte(c.file))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := Parse("fuzz.yaml", data)
		if err != nil {
			ps, ok := errors.AsType[Problems](err)
			if !ok || len(ps) == 0 || fl != nil {
				t.Fatalf("Parse: got %v, %T %v; want no flow and some Problems", fl, err, err)
			}
			for _, p := range ps {
				if p.File != "fuzz.yaml" || p.Line < 1 || p.Msg == "" {
					t.Errorf("problem without a place or message: %#v", p)
				}
			}
			return
		}
		checkFlow(t, fl)
		again, err := Parse("fuzz.yaml", data)
		if err != nil {
			t.Fatalf("Parse of an accepted file again: %v", err)
		}
		if !slices.Equal(nodeIDs(again), nodeIDs(fl)) {
			t.Errorf("Parse again: got nodes %v, want %v", nodeIDs(again), nodeIDs(fl))
		}
		var r Registry
		if _, err := r.Load(map[string][]byte{"fuzz.yaml": data}); err != nil {
			t.Errorf("Registry.Load of an accepted file: %v", err)
		}
	})
}

func nodeIDs(f *Flow) []string {
	var ids []string
	for _, n := range f.Nodes() {
		ids = append(ids, n.ID)
	}
	return ids
}

// checkFlow checks what the engine relies on in a compiled flow.
func checkFlow(t *testing.T, f *Flow) {
	t.Helper()
	if f.Node(f.Start) == nil {
		t.Errorf("start %q is not a node", f.Start)
	}
	if len(f.Languages) == 0 || len(f.Numbers) == 0 || f.Location == nil {
		t.Errorf("flow without languages, numbers or location: %+v", f)
	}
	if f.Agent != "" && (f.Node(f.Agent) == nil || f.Node(f.Agent).Kind != KindQueue) {
		t.Errorf("agent %q is not a queue node", f.Agent)
	}
	for _, n := range append(f.Nodes(), f.Node(HangupNode), f.Node(SorryNode)) {
		if f.Node(n.ID) != n {
			t.Errorf("Node(%q) is not the node with that ID", n.ID)
		}
		// Exactly one body, the one the kind names.
		v := reflect.ValueOf(*n)
		var bodies []string
		for i := range v.NumField() {
			if fv := v.Field(i); fv.Kind() == reflect.Pointer && !fv.IsNil() {
				bodies = append(bodies, strings.ToLower(v.Type().Field(i).Name))
			}
		}
		if len(bodies) != 1 || bodies[0] != string(n.Kind) {
			t.Errorf("node %s of kind %s has bodies %v", n.ID, n.Kind, bodies)
		}
		inSub := strings.Contains(n.ID, "/")
		for _, to := range n.targets() {
			switch {
			case to == Return && inSub:
			case to == Return:
				t.Errorf("node %s of the main graph returns", n.ID)
			case f.Node(to) == nil:
				t.Errorf("node %s goes to %q, which is not a node", n.ID, to)
			}
		}
		for _, p := range promptsOf(n) {
			for _, lang := range f.Languages {
				if _, ok := f.Prompt(p, lang); !ok {
					t.Errorf("node %s plays %q, which has no sound in %s", n.ID, p, lang)
				}
			}
		}
		if c := n.Collect; c != nil && (c.MinDigits > c.MaxDigits || c.MinDigits < 1) {
			t.Errorf("node %s collects %d to %d digits", n.ID, c.MinDigits, c.MaxDigits)
		}
		if m := n.Menu; m != nil {
			for key := range m.Options {
				if !slices.Contains(dtmfKeys, key) {
					t.Errorf("node %s has option %q", n.ID, key)
				}
			}
		}
	}
}

// promptsOf lists the prompts a node may play.
func promptsOf(n *Node) []string {
	switch n.Kind {
	case KindPlay:
		return n.Play.Prompts
	case KindMenu:
		return append([]string{n.Menu.Prompt, n.Menu.Invalid}, n.Menu.NoInput.Prompts...)
	case KindCollect:
		return append([]string{n.Collect.Prompt, n.Collect.Invalid}, n.Collect.NoInput.Prompts...)
	case KindMessage:
		return []string{n.Message.Prompt}
	case KindSurvey:
		var ps []string
		for _, q := range n.Survey.Questions {
			ps = append(ps, q.Prompt)
		}
		if n.Survey.Thanks != "" {
			ps = append(ps, n.Survey.Thanks)
		}
		return ps
	case KindHangup:
		return n.Hangup.Prompts
	}
	return nil
}
