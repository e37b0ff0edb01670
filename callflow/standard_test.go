package callflow

import (
	"testing"
)

func TestStandardPrompts(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range StandardPrompts() {
		t.Run(p.Name, func(t *testing.T) {
			if seen[p.Name] {
				t.Errorf("listed twice")
			}
			seen[p.Name] = true
			for _, lang := range []string{"zh", "en"} {
				if p.Text[lang] == "" {
					t.Errorf("no %s wording", lang)
				}
				if got, ok := standardSound(p.Name, lang); got != "hotline/"+lang+"/"+p.Name || !ok {
					t.Errorf("standardSound: got %q, %v", got, ok)
				}
			}
		})
	}
	// The silent-caller script is worded as the service standards say.
	want := map[string]string{
		PromptSilenceHello: "您好!请问有什么可以帮助您?",
		PromptSilenceBye:   "对不起,您的电话没有声音,请您换一部电话再次打来,好吗?再见!",
	}
	for _, p := range StandardPrompts() {
		if w, ok := want[p.Name]; ok && p.Text["zh"] != w {
			t.Errorf("%s: got %q, want %q", p.Name, p.Text["zh"], w)
		}
	}
	got := StandardPrompts()
	got[0].Text["zh"] = "changed"
	if StandardPrompts()[0].Text["zh"] == "changed" {
		t.Errorf("StandardPrompts returns the package's own maps")
	}
}
