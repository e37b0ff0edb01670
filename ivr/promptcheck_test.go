package ivr_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
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
