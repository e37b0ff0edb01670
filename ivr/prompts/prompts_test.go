package prompts_test

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/ivr/prompts"
)

// The standard phrases of service-standards.md §3, which callers expect to
// hear word for word.
var standard = map[string]string{
	"silence-hello": "您好!请问有什么可以帮助您?",
	"silence-bye":   "对不起,您的电话没有声音,请您换一部电话再次打来,好吗?再见!",
	"louder":        "对不起!请您大声一点,好吗?",
	"quiet-bye":     "对不起!您的电话声音太小,请您换一部电话挂来,好吗?",
	"noise-bye":     "对不起,您的电话杂音太大,听不清,请您换一部电话再次打来好吗?再见!",
	"mandarin":      "对不起,请您讲普通话,好吗?谢谢!",
	"handset":       "对不起,您的声音太小,请您拿起话筒说话好吗?",
	"anything-else": "请问您还有其他问题吗?",
	"goodbye":       "谢谢,再见,感谢您的支持。",
}

func TestStandardPhrasesWordForWord(t *testing.T) {
	byName := map[string]prompts.Phrase{}
	for _, p := range prompts.Phrases() {
		byName[p.Name] = p
	}
	for name, want := range standard {
		t.Run(name, func(t *testing.T) {
			p, ok := byName[name]
			if !ok {
				t.Fatalf("no prompt %s", name)
			}
			if got := p.Text["zh"]; got != want {
				t.Errorf("zh = %q, want %q", got, want)
			}
			if p.Text["en"] == "" {
				t.Error("no English text")
			}
		})
	}
}

// TestPhrasesTable: every line has a name and both languages, no name
// repeats.
func TestPhrasesTable(t *testing.T) {
	f, err := os.Open("phrases.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, "\t")
		if len(fields) != 3 || fields[0] == "" || fields[1] == "" || fields[2] == "" {
			t.Errorf("phrases.tsv:%d: want NAME<TAB>ZH<TAB>EN, got %d fields", line, len(fields))
			continue
		}
		if prev, dup := seen[fields[0]]; dup {
			t.Errorf("phrases.tsv:%d: %s already on line %d", line, fields[0], prev)
		}
		seen[fields[0]] = line
	}
}

// TestEverySoundExists: each phrase is an 8 kHz mono WAV in both languages
// that lasts a plausible time, and no stray file is shipped.
func TestEverySoundExists(t *testing.T) {
	want := map[string]bool{}
	for _, p := range prompts.Phrases() {
		for _, lang := range prompts.Languages {
			want[lang+"/"+p.Name+".wav"] = true
			if got := prompts.Sound(p.Name, lang); got != "hotline/"+lang+"/"+p.Name {
				t.Errorf("Sound(%s, %s) = %s", p.Name, lang, got)
			}
			if !prompts.Has(p.Name, lang) {
				t.Errorf("%s has no %s sound: run ivr/prompts/generate.sh", p.Name, lang)
			}
		}
	}
	root := t.TempDir()
	n, err := prompts.Install(root)
	dir := filepath.Join(root, "hotline")
	if err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Errorf("installed %d files, want %d", n, len(want))
	}
	_ = fs.WalkDir(os.DirFS(dir), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !want[p] {
			t.Errorf("stray sound %s not in phrases.tsv", p)
			return nil
		}
		s, err := media.ReadWAVFile(filepath.Join(dir, p))
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		if d := media.DurationOf(len(s)); d < 200*time.Millisecond || d > 40*time.Second {
			t.Errorf("%s lasts %v", p, d)
		}
		if media.IsSilent(s) {
			t.Errorf("%s is silent", p)
		}
		return nil
	})
}

// TestCallflowStandardPrompts: every standard prompt the flows rely on
// ships in every language, with the same wording callflow documents.
func TestCallflowStandardPrompts(t *testing.T) {
	byName := map[string]prompts.Phrase{}
	for _, p := range prompts.Phrases() {
		byName[p.Name] = p
	}
	for _, sp := range callflow.StandardPrompts() {
		t.Run(sp.Name, func(t *testing.T) {
			p, ok := byName[sp.Name]
			if !ok {
				t.Fatalf("callflow's standard prompt %q is not in phrases.tsv", sp.Name)
			}
			for _, lang := range prompts.Languages {
				if !prompts.Has(sp.Name, lang) {
					t.Errorf("no %s sound", lang)
				}
			}
			if want := sp.Text["zh"]; want != "" && p.Text["zh"] != want {
				t.Errorf("zh wording %q, callflow says %q", p.Text["zh"], want)
			}
		})
	}
}
