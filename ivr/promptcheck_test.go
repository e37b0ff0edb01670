package ivr_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/prompts"
)

// TestMissingSounds asks the emulator, whose sounds folder lacks some of
// what a flow plays, which sounds Asterisk would not find, by language.
func TestMissingSounds(t *testing.T) {
	sounds := t.TempDir()
	if _, err := prompts.Install(sounds); err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"hotline/zh/beep.wav", "hotline/en/demo/welcome.wav", "hotline/zh/demo/welcome.wav"} {
		if err := os.Remove(filepath.Join(sounds, gone)); err != nil {
			t.Fatal(err)
		}
	}
	// A sound outside any language folder is found for every language
	// (Asterisk falls back to it); one in a language's folder only for it.
	for _, f := range []string{"custom/anyone.wav", "zh/custom/zh-only.wav"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(sounds, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sounds, f), []byte("RIFF"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	emu, err := aritest.New(aritest.Config{Username: "hotline", Password: "secret", DefaultApp: "hotline", SoundsDir: sounds})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	cfg := ivr.ConnConfig{URL: emu.URL(), Username: "hotline", Password: "secret", Application: "hotline"}

	f, err := callflow.Parse("t.yaml", []byte(`flow: t
numbers: ["4001"]
languages: [zh, en]
prompts:
  welcome: {zh: hotline/zh/demo/welcome, en: hotline/en/demo/welcome}
  anyone: {zh: custom/anyone, en: custom/anyone}
  zh-only: {zh: custom/zh-only, en: custom/zh-only}
  nowhere: {zh: custom/nowhere, en: custom/nowhere}
start: main
nodes:
  main:
    menu: {prompt: welcome, options: {"1": msg, "2": a, "3": b}}
  a:
    play: {prompts: [anyone, zh-only], next: main}
  b:
    play: {prompts: [nowhere], next: main}
  msg:
    message: {prompt: welcome, beep: true, next: bye}
  bye:
    hangup: {prompts: [goodbye]}
`))
	if err != nil {
		t.Fatal(err)
	}
	// The queues' fixed prompts, as the caller gives them.
	fixed := []callflow.Sound{{Name: prompts.Sound("queue/ahead", "zh"), Lang: "zh"}, {Name: prompts.Sound("queue/ahead", "en"), Lang: "en"}}
	got, err := ivr.MissingSounds(t.Context(), nil, cfg, append(f.Sounds(), fixed...))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"zh": {"custom/nowhere", "hotline/zh/beep", "hotline/zh/demo/welcome"},
		"en": {"custom/nowhere", "custom/zh-only", "hotline/en/demo/welcome"},
	}
	if len(got) != len(want) || !slices.Equal(got["zh"], want["zh"]) || !slices.Equal(got["en"], want["en"]) {
		t.Errorf("missing:\ngot  %v\nwant %v", got, want)
	}

	if _, err := prompts.Install(sounds); err != nil {
		t.Fatal(err)
	}
	got, err = ivr.MissingSounds(t.Context(), nil, cfg, fixed)
	if err != nil || got != nil {
		t.Errorf("with the prompts installed: got %v, %v; want nothing missing", got, err)
	}

	bad := cfg
	bad.Password = "wrong"
	if _, err := ivr.MissingSounds(t.Context(), nil, bad, fixed); !errors.Is(err, ivr.ErrUnauthorized) {
		t.Errorf("with a wrong password: got %v, want ErrUnauthorized", err)
	}
	emu.Close()
	if _, err := ivr.MissingSounds(t.Context(), nil, cfg, fixed); !errors.Is(err, ivr.ErrUnreachable) {
		t.Errorf("with ARI gone: got %v, want ErrUnreachable", err)
	}
}

// asteriskSounds serves GET /ari/sounds/{soundId} from files (paths under
// a sounds folder) the way Asterisk 22's sounds index does
// (main/sounds_index.c): every first-level folder is a language, the path
// under it without its extension is the sound's id, and files outside the
// folders are not indexed.
func asteriskSounds(t *testing.T, files []string) *httptest.Server {
	index := map[string][]map[string]string{}
	for _, f := range files {
		lang, rest, ok := strings.Cut(f, "/")
		if !ok {
			continue
		}
		id := strings.TrimSuffix(rest, filepath.Ext(rest))
		index[id] = append(index[id], map[string]string{"language": lang, "format": strings.TrimPrefix(filepath.Ext(rest), ".")})
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "hotline" || p != "secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		seg, ok := strings.CutPrefix(r.URL.EscapedPath(), "/ari/sounds/")
		if !ok || strings.Contains(seg, "/") || r.Method != http.MethodGet {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		id, err := url.PathUnescape(seg)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		formats, found := index[id]
		if !found {
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": "Sound not found"})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "text": "", "formats": formats})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestMissingSoundsAsAsteriskIndexesThem: with Asterisk's own index,
// where Hotline's prompts (<sounds>/hotline/zh/x) are sound zh/x in
// "language" hotline, a sound is found where a call would play it from:
// <sounds>/LANG/NAME, <sounds>/NAME or <sounds>/en/NAME.
func TestMissingSoundsAsAsteriskIndexesThem(t *testing.T) {
	srv := asteriskSounds(t, []string{
		"hotline/zh/welcome.wav", "hotline/en/welcome.wav", "hotline/zh/beep.wav",
		"en/beep.gsm", "en/custom/both.gsm", "zh/custom/zh-only.wav", "fr/custom/fr-only.wav",
		"stray-at-the-root.wav",
	})
	cfg := ivr.ConnConfig{URL: srv.URL + "/ari", Username: "hotline", Password: "secret"}
	var sounds []callflow.Sound
	for _, name := range []string{"hotline/zh/welcome", "hotline/en/beep", "beep", "custom/both", "custom/zh-only", "custom/fr-only", "stray-at-the-root", "hotline/zh/gone"} {
		for _, lang := range []string{"zh", "en"} {
			sounds = append(sounds, callflow.Sound{Name: name, Lang: lang})
		}
	}
	got, err := ivr.MissingSounds(t.Context(), nil, cfg, sounds)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		// hotline/zh/welcome is <sounds>/hotline/zh/welcome: found for both;
		// beep and custom/both are in en, the fallback of every language.
		// A file outside every folder is not in Asterisk's index: ARI cannot
		// tell that Asterisk would play it, so it counts as missing.
		"zh": {"custom/fr-only", "hotline/en/beep", "hotline/zh/gone", "stray-at-the-root"},
		"en": {"custom/fr-only", "custom/zh-only", "hotline/en/beep", "hotline/zh/gone", "stray-at-the-root"},
	}
	if len(got) != len(want) || !slices.Equal(got["zh"], want["zh"]) || !slices.Equal(got["en"], want["en"]) {
		t.Errorf("missing:\ngot  %v\nwant %v", got, want)
	}
}
