package callflow

import (
	"cmp"
	"slices"
	"strings"
	"testing"
)

// TestFlowSounds: every sound a flow may play, in each of its languages:
// the prompts its nodes name, and those they play by default.
func TestFlowSounds(t *testing.T) {
	f, err := Parse("t.yaml", []byte(`flow: t
numbers: ["4001"]
languages: [zh, en]
prompts:
  menu: {zh: t/zh/menu, en: t/en/menu}
  leave: {zh: t/zh/leave, en: t/en/leave}
start: main
nodes:
  main:
    menu: {prompt: menu, options: {"1": msg, "2": quiet}}
  msg:
    message: {prompt: leave, next: bye}
  quiet:
    message: {prompt: leave, beep: false, next: bye}
  bye:
    hangup: {prompts: [goodbye]}
`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range f.Sounds() {
		got = append(got, s.Lang+" "+s.Name)
	}
	var want []string
	for _, lang := range []string{"en", "zh"} {
		for _, name := range []string{"beep", "goodbye", "invalid-key", "silence-bye", "silence-hello", "sorry"} {
			want = append(want, lang+" hotline/"+lang+"/"+name)
		}
		want = append(want, lang+" t/"+lang+"/leave", lang+" t/"+lang+"/menu")
	}
	slices.SortFunc(want, compareSound)
	if !slices.Equal(got, want) {
		t.Errorf("Sounds:\ngot  %q\nwant %q", got, want)
	}
}

// compareSound orders "LANG NAME" as Sounds orders sounds: by name, then
// language.
func compareSound(a, b string) int {
	la, na, _ := strings.Cut(a, " ")
	lb, nb, _ := strings.Cut(b, " ")
	return cmp.Or(strings.Compare(na, nb), strings.Compare(la, lb))
}
