// Package prompts ships Hotline's recorded prompts: the standard phrases of
// the service standards, queue and survey announcements, the words for
// saying numbers and amounts, and the demo hotline's menus, each in zh
// (the default) and en as 8 kHz mono WAV, generated from phrases.tsv by
// generate.sh with espeak-ng.
//
// It owns the files and their names, and installs them into a sounds folder
// (Asterisk's, or the emulator's) as <dir>/hotline/<lang>/<name>.wav, played
// as sound:hotline/<lang>/<name> whatever the channel's language: the names
// callflow gives its standard prompts. It must not know about flows or calls.
package prompts

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

//go:embed phrases.tsv sounds
var files embed.FS

// Languages are the languages every prompt exists in; the first is the
// default.
var Languages = []string{"zh", "en"}

// Phrase is one prompt's name and its words in each language.
type Phrase struct {
	Name string            // like "std/silent-greeting"
	Text map[string]string // by language
}

// Phrases lists every prompt in the order of phrases.tsv.
func Phrases() []Phrase {
	data, _ := files.ReadFile("phrases.tsv")
	var out []Phrase
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 1+len(Languages) {
			continue // TestPhrasesTable reports it
		}
		p := Phrase{Name: f[0], Text: map[string]string{}}
		for i, lang := range Languages {
			p.Text[lang] = f[i+1]
		}
		out = append(out, p)
	}
	return out
}

// FS is the sounds tree: <lang>/<name>.wav.
func FS() fs.FS {
	sub, _ := fs.Sub(files, "sounds")
	return sub
}

// Install writes every prompt into dir as <dir>/hotline/<lang>/<name>.wav,
// replacing files of the same name and leaving others alone.
func Install(dir string) (int, error) {
	n := 0
	err := fs.WalkDir(FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(FS(), p)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, "hotline", filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("installing prompts: %w", err)
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return fmt.Errorf("installing prompts: %w", err)
		}
		n++
		return nil
	})
	return n, err
}

// Has reports whether a prompt exists in a language.
func Has(name, lang string) bool {
	_, err := fs.Stat(FS(), path.Join(lang, name+".wav"))
	return err == nil
}

// Sound is the sound name of a prompt as installed: play it as
// "sound:"+Sound(name, lang).
func Sound(name, lang string) string { return "hotline/" + lang + "/" + name }
