package prompts_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/ivr/prompts"
)

// TestBeepIsATone: the beep before a voice message is a 1 kHz tone of
// about a third of a second in every language's folder, for a stock
// Asterisk has no beep sound of its own.
func TestBeepIsATone(t *testing.T) {
	for _, lang := range prompts.Languages {
		t.Run(lang, func(t *testing.T) {
			s, err := media.ReadWAVFile(filepath.Join("sounds", lang, callflow.PromptBeep+".wav"))
			if err != nil {
				t.Fatal(err)
			}
			if d := media.DurationOf(len(s)); d < 200*time.Millisecond || d > 500*time.Millisecond {
				t.Errorf("lasts %v, want 200 to 500 ms", d)
			}
			if p := media.Power(s, 1000); p < 0.9 {
				t.Errorf("%.2f of its energy is at 1 kHz, want nearly all", p)
			}
			if rms := media.RMS(s); rms < 3000 {
				t.Errorf("RMS %.0f: too quiet to hear as a beep", rms)
			}
		})
	}
}

// promptFolders are the folders of prompt names (queue/ahead...): a Go
// string literal that starts with one of them names a prompt.
func promptFolders() map[string]bool {
	out := map[string]bool{}
	for _, p := range prompts.Phrases() {
		if dir, _, ok := strings.Cut(p.Name, "/"); ok {
			out[dir] = true
		}
	}
	return out
}

var promptLiteral = regexp.MustCompile(`^(?:sound:hotline/[a-z]+/)?([a-z]+/[a-z0-9-]+)$`)

// TestEverySoundTheCodePlaysIsShipped walks the engine's and the ACD's
// source for the prompt names they play (like "queue/ahead", or
// sound(lang, "std/agent-id")) and finds each among the shipped prompts in
// every language; and the standard prompts callflow plays by default.
func TestEverySoundTheCodePlaysIsShipped(t *testing.T) {
	folders := promptFolders()
	found := map[string][]string{} // prompt -> where
	for _, dir := range []string{"..", "../acd"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, file, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil {
					return true
				}
				m := promptLiteral.FindStringSubmatch(s)
				if m == nil || !folders[strings.Split(m[1], "/")[0]] {
					return true
				}
				found[m[1]] = append(found[m[1]], fset.Position(lit.Pos()).String())
				return true
			})
		}
	}
	for _, sp := range callflow.StandardPrompts() {
		found[sp.Name] = append(found[sp.Name], "callflow.StandardPrompts")
	}
	// The walk finds what it should: a few the ACD is known to play.
	for _, known := range []string{"queue/ahead", "std/agent-id", "queue/callback-offer", "say/yuan", "digits/0"} {
		if _, ok := found[known]; !ok {
			t.Errorf("the walk of the source missed %s: is it still played?", known)
		}
	}
	for name, where := range found {
		for _, lang := range prompts.Languages {
			if !prompts.Has(name, lang) {
				t.Errorf("%s plays %s, which is not shipped in %s (add it to phrases.tsv and run generate.sh %s)", where[0], name, lang, name)
			}
		}
	}
}

// TestDemoFlowSoundsAreShipped: every sound the demo hotline's flows may
// play, in each of their languages, is one of the shipped prompts, as
// "hotline prompts install" puts it.
func TestDemoFlowSoundsAreShipped(t *testing.T) {
	const dir = "../../cmd/hotline/flows"
	files, err := fs.Glob(os.DirFS(dir), "*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no demo flows in %s: %v", dir, err)
	}
	for _, file := range files {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		f, err := callflow.Parse(file, data)
		if err != nil {
			t.Fatal(err)
		}
		sounds := f.Sounds()
		if len(sounds) < 10 {
			t.Errorf("%s plays %d sounds: the flow's prompts were not all found", file, len(sounds))
		}
		for _, s := range sounds {
			name, ok := strings.CutPrefix(s.Name, "hotline/"+s.Lang+"/")
			if !ok || !prompts.Has(name, s.Lang) {
				t.Errorf("%s plays sound:%s to %s calls, which Hotline does not ship", file, s.Name, s.Lang)
			}
		}
	}
}
