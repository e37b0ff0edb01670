package callflow

import (
	"cmp"
	"slices"
	"strings"
)

// Sound is a sound a flow may play, as Asterisk names it (played as
// "sound:"+Name), to calls in language Lang.
type Sound struct {
	Name string // like hotline/zh/demo/welcome
	Lang string // the call's language, a language of the flow
}

// Sounds lists every sound the flow may play: each prompt its nodes name
// or play by default (the silent-caller script, the invalid-key prompt,
// the beep of a message, the apology of a call that cannot go on) in each
// of its languages, sorted and once each. The engine's own sounds, like the
// words a say node speaks, are not among them.
func (f *Flow) Sounds() []Sound {
	var out []Sound
	for _, name := range f.used {
		for _, lang := range f.Languages {
			if s, ok := f.Prompt(name, lang); ok {
				out = append(out, Sound{Name: s, Lang: lang})
			}
		}
	}
	slices.SortFunc(out, func(a, b Sound) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Lang, b.Lang))
	})
	return slices.Compact(out)
}
