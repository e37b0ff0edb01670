package callflow

import (
	"slices"
	"time"
)

// Flow is one compiled, valid flow file. A Flow never changes once [Parse]
// or a [Registry] has returned it, so a call can hold it for its whole life
// while newer versions are loaded; treat its fields as read-only.
type Flow struct {
	Name      string
	File      string // the file name given to Parse
	Version   int    // set by a Registry, from 1 for each flow name, by contents; 0 from Parse or when not numbered
	Numbers   []string
	Languages []string // the first is the default: ${lang} at the start of a call
	Location  *time.Location
	Start     string // the node every call begins with
	Agent     string // the queue node of the default on_fail, or ""

	nodes       map[string]*Node
	order       []*Node                      // the file's nodes, in file order
	prompts     map[string]map[string]string // prompt -> language -> sound
	hours       *hours                       // nil: open 24 hours
	holidays    []dateRange
	lists       map[string]map[string]bool // named sets of caller numbers
	sensitive   map[string]bool            // variables to mask in records
	numberLines map[string]int
	nameLine    int
	queueNames  map[string]where // queue node ID -> where its queue's name is
	categories  map[string]where // complaint node ID -> where its category is
	used        []string         // the prompts the flow may play, sorted
}

// where is a place in the flow file.
type where struct {
	line  int
	field string
}

// Node returns the node with the given ID, or nil. It knows the built-in
// [HangupNode] and [SorryNode] as well as the file's nodes.
func (f *Flow) Node(id string) *Node { return f.nodes[id] }

// Nodes returns the file's nodes, those of its sub-flows included, in file
// order; not the built-in ones.
func (f *Flow) Nodes() []*Node { return slices.Clone(f.order) }

// Prompt returns the sound of prompt name in lang, to play as
// "sound:"+sound. A language the flow does not have falls back to its
// default language. The standard prompts ([StandardPrompts]) are known
// without being declared. ok is false for a prompt the flow does not have.
func (f *Flow) Prompt(name, lang string) (sound string, ok bool) {
	if !slices.Contains(f.Languages, lang) && len(f.Languages) > 0 {
		lang = f.Languages[0]
	}
	if sounds, ok := f.prompts[name]; ok {
		sound, ok := sounds[lang]
		return sound, ok
	}
	return standardSound(name, lang)
}

// Sensitive reports whether the variable name holds what a collect node
// marked sensitive: records must show it masked.
func (f *Flow) Sensitive(name string) bool { return f.sensitive[name] }
