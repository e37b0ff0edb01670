package callflow

import (
	"regexp"
	"slices"

	"gopkg.in/yaml.v3"
)

// Kind is what a node does.
type Kind string

// The node kinds.
const (
	KindPlay     Kind = "play"
	KindMenu     Kind = "menu"
	KindCollect  Kind = "collect"
	KindBranch   Kind = "branch"
	KindSet      Kind = "set"
	KindSay      Kind = "say"
	KindLookup   Kind = "lookup"
	KindMessage  Kind = "message"
	KindQueue    Kind = "queue"
	KindTransfer Kind = "transfer"
	KindSurvey   Kind = "survey"
	KindHangup   Kind = "hangup"
	KindSubflow  Kind = "subflow"
	// KindComplaint takes a complaint down as a voice message.
	KindComplaint Kind = "complaint"
)

var kinds = []string{
	string(KindPlay), string(KindMenu), string(KindCollect), string(KindBranch), string(KindSet),
	string(KindSay), string(KindLookup), string(KindMessage), string(KindQueue), string(KindTransfer),
	string(KindSurvey), string(KindHangup), string(KindSubflow), string(KindComplaint),
}

// Node IDs that every flow has and that a file cannot name.
const (
	// HangupNode hangs up without a word: where the silent-caller script
	// ends by default.
	HangupNode = "$hangup"
	// SorryNode plays the sorry prompt and hangs up: the default
	// on_fail of a flow without an agent queue.
	SorryNode = "$sorry"
	// Return, as a node's next inside a sub-flow, goes back to the next of
	// the subflow node that called it.
	Return = "$return"
)

// Node is one step of a flow. Exactly one of its body pointers is set, the
// one its Kind names. Every field that names where the call goes next holds
// a node ID that [Flow.Node] knows, or [Return].
type Node struct {
	ID   string // as in the file; "SUBFLOW/ID" for a node of a sub-flow
	Kind Kind
	Line int // of the node's ID in the file; 0 for the built-in nodes

	Play     *Play
	Menu     *Menu
	Collect  *Collect
	Branch   *Branch
	Set      *Set
	Say      *Say
	Lookup   *Lookup
	Message  *Message
	Queue    *Queue
	Transfer *Transfer
	Survey   *Survey
	Hangup   *Hangup
	Subflow  *Subflow

	Complaint *Complaint
}

// targets lists the nodes the call may go to from n, without repeats; for a
// subflow node, the sub-flow's start as well as its next.
func (n *Node) targets() []string {
	var t []string
	switch n.Kind {
	case KindPlay:
		t = []string{n.Play.Next}
	case KindMenu:
		for _, k := range dtmfKeys {
			if id, ok := n.Menu.Options[k]; ok {
				t = append(t, id)
			}
		}
		t = append(t, n.Menu.NoInput.Then, n.Menu.OnFail)
	case KindCollect:
		t = []string{n.Collect.Next, n.Collect.NoInput.Then, n.Collect.OnFail}
	case KindBranch:
		for _, c := range n.Branch.Cases {
			t = append(t, c.Goto)
		}
		t = append(t, n.Branch.Default)
	case KindSet:
		t = []string{n.Set.Next}
	case KindSay:
		t = []string{n.Say.Next}
	case KindLookup:
		t = []string{n.Lookup.Next, n.Lookup.OnFail}
	case KindMessage:
		t = []string{n.Message.Next}
	case KindComplaint:
		t = []string{n.Complaint.Next}
	case KindQueue:
		t = []string{n.Queue.Next, n.Queue.OnFail}
	case KindTransfer:
		t = []string{n.Transfer.OnFail}
	case KindSurvey:
		t = []string{n.Survey.Next}
	case KindSubflow:
		t = []string{n.Subflow.Start, n.Subflow.Next}
	}
	var out []string
	for _, id := range t {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// waits reports whether the node waits for the caller, or hands the call on
// or ends it, so that a loop through it is not a busy loop. A subflow node
// is judged by its sub-flow, elsewhere.
func (n *Node) waits() bool {
	switch n.Kind {
	case KindMenu, KindCollect, KindSurvey, KindMessage, KindComplaint, KindQueue, KindTransfer, KindHangup:
		return true
	}
	return false
}

var nodeID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// node compiles the node id (its key k, its value v) of scope sc.
func (p *parser) node(sc *scope, k, v *yaml.Node) *Node {
	path := join(sc.path, pathKey(k.Value))
	n := &Node{ID: sc.qualify(k.Value), Line: k.Line}
	if v.Kind == yaml.AliasNode {
		sc.broken[k.Value] = true
		return nil
	}
	if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
		p.add(k.Line, path, "a node is one of: "+joinKinds(), "want a mapping with the node's kind, got %s", describe(v))
		sc.broken[k.Value] = true
		return nil
	}
	var kk, body *yaml.Node // the node's kind and its body
	var given []string
	for i := 0; i+1 < len(v.Content); i += 2 {
		k := v.Content[i]
		if k.Kind != yaml.ScalarNode || !slices.Contains(kinds, k.Value) {
			p.add(k.Line, join(path, pathKey(k.Value)), suggest(k.Value, kinds, "node kinds"), "unknown node kind")
			continue
		}
		given = append(given, k.Value)
		if kk == nil {
			kk, body = k, v.Content[i+1]
		}
	}
	if len(given) > 1 {
		p.add(kk.Line, path, "split it into one node per kind, linked by next", "has %d kinds, %s; a node has one", len(given), joinList(given))
	}
	if kk == nil {
		sc.broken[k.Value] = true // known, so that references to it are not reported too
		return nil
	}
	n.Kind = Kind(kk.Value)
	path = join(path, kk.Value)
	p.cur = n.ID
	defer func() { p.cur = "" }()
	switch n.Kind {
	case KindPlay:
		n.Play = p.play(sc, p.fields(body, path, kk.Line, playKeys...))
	case KindMenu:
		n.Menu = p.menu(sc, p.fields(body, path, kk.Line, menuKeys...))
	case KindCollect:
		n.Collect = p.collect(sc, p.fields(body, path, kk.Line, collectKeys...))
	case KindBranch:
		n.Branch = p.branch(sc, p.fields(body, path, kk.Line, branchKeys...))
	case KindSet:
		n.Set = p.set(sc, p.fields(body, path, kk.Line, setKeys...))
	case KindSay:
		n.Say = p.say(sc, p.fields(body, path, kk.Line, sayKeys...))
	case KindLookup:
		n.Lookup = p.lookup(sc, p.fields(body, path, kk.Line, lookupKeys...))
	case KindMessage:
		n.Message = p.message(sc, p.fields(body, path, kk.Line, messageKeys...))
	case KindComplaint:
		n.Complaint = p.complaint(sc, p.fields(body, path, kk.Line, complaintKeys...))
	case KindQueue:
		n.Queue = p.queue(sc, p.fields(body, path, kk.Line, queueKeys...))
	case KindTransfer:
		n.Transfer = p.transfer(sc, p.fields(body, path, kk.Line, transferKeys...))
	case KindSurvey:
		n.Survey = p.survey(sc, p.fields(body, path, kk.Line, surveyKeys...))
	case KindHangup:
		n.Hangup = p.hangup(sc, p.fields(body, path, kk.Line, hangupKeys...))
	case KindSubflow:
		n.Subflow = p.subflowCall(sc, p.fields(body, path, kk.Line, subflowKeys...), n)
	}
	return n
}

func joinKinds() string { return joinList(kinds) }
