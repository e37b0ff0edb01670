package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodFlow = `flow: smart-home
numbers: ["4008001234", "8008001234"]
languages: [zh, en]
start: main
nodes:
  main:
    menu: {prompt: anything-else, options: {"0": agent}}
  agent:
    queue: {name: after-sales, next: bye}
  bye:
    hangup: {prompts: [goodbye]}
`

const otherFlow = `flow: repairs
numbers: ["4008005678"]
languages: [zh]
start: bye
nodes:
  bye:
    hangup: {prompts: [goodbye]}
`

const badFlow = `flow: broken
numbers: ["4008009999"]
languages: [zh, en]
start: main
nodes:
  main:
    menu:
      promt: welcome
      options: {"1": setpu, "x": main}
      timeout: 5
`

func TestFlowCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "smart-home.yaml")
	other := filepath.Join(dir, "repairs.yaml")
	bad := filepath.Join(dir, "broken.yaml")
	clash := filepath.Join(dir, "clash.yaml")
	missing := filepath.Join(dir, "none.yaml")
	write(t, good, goodFlow)
	write(t, other, otherFlow)
	write(t, bad, badFlow)
	write(t, clash, "flow: clash\nnumbers: [\"4008005678\"]\nlanguages: [zh]\nstart: bye\nnodes:\n  bye:\n    hangup: {}\n")

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string // substrings, in order
		wantStderr []string
		notStdout  string // must not be in stdout
	}{
		{name: "one good file", args: []string{"flow", "check", good},
			wantStdout: []string{good + ": ok (flow smart-home, 3 nodes, numbers 4008001234, 8008001234)\n"}},
		{name: "two good files, in the order given", args: []string{"flow", "check", other, good},
			wantStdout: []string{other + ": ok (flow repairs, 1 nodes, numbers 4008005678)\n", good + ": ok (flow smart-home, 3 nodes"}},
		{name: "every problem, with file, line, field and hint", args: []string{"flow", "check", bad}, wantCode: 1, wantStdout: []string{
			bad + ":7: nodes.main.menu.prompt: is required (the prompt that tells the caller the options)\n",
			bad + ":8: nodes.main.menu.promt: unknown key (did you mean prompt? known keys: prompt, options, timeout, retries, invalid, no_input, on_fail)\n",
			bad + `:9: nodes.main.menu.options."x": "x" is not a phone key (a key is one of 0-9, "*" or "#", quoted)` + "\n",
			bad + `:9: nodes.main.menu.options."1": "setpu" is not a node (nodes: main)` + "\n",
			bad + ":10: nodes.main.menu.timeout: 5 is not a duration (give a unit: 5s for seconds)\n",
		}},
		{name: "a bad file among good ones prints no ok", args: []string{"flow", "check", good, bad}, wantCode: 1,
			wantStdout: []string{bad + ":7: nodes.main.menu.prompt: is required"}, notStdout: ": ok"},
		{name: "two files answering one number", args: []string{"flow", "check", other, clash}, wantCode: 1, wantStdout: []string{
			other + `:2: numbers[0]: "4008005678" is also answered by flow "clash" (` + clash + `) (a number reaches one flow: remove it from one of them)` + "\n",
			clash + `:2: numbers[0]: "4008005678" is also answered by flow "repairs" (` + other + `) (a number reaches one flow: remove it from one of them)` + "\n",
		}},
		{name: "a missing file", args: []string{"flow", "check", good, missing}, wantCode: 1,
			wantStderr: []string{"hotline: cannot read the flow file: open " + missing + ": no such file or directory\n"}},
		{name: "no file", args: []string{"flow", "check"}, wantCode: 2, wantStderr: []string{"hotline: flow check needs at least one FILE", "Usage: hotline flow check FILE..."}},
		{name: "no subcommand", args: []string{"flow"}, wantCode: 2, wantStderr: []string{"hotline: flow needs a subcommand: check FILE..."}},
		{name: "unknown subcommand", args: []string{"flow", "run", good}, wantCode: 2, wantStderr: []string{`hotline: unknown flow subcommand "run"`}},
		{name: "unknown flag", args: []string{"flow", "check", "--strict", good}, wantCode: 2, wantStderr: []string{"hotline: flag provided but not defined: -strict"}},
		{name: "flow check -h", args: []string{"flow", "check", "-h"}, wantStdout: []string{"Usage: hotline flow check FILE...", "FILE:LINE: field.path: what is wrong (hint)", "FILE: ok (flow NAME"}},
		{name: "help flow", args: []string{"help", "flow"}, wantStdout: []string{"Usage: hotline flow check FILE..."}},
		{name: "listed in help", args: []string{"help"}, wantStdout: []string{"config check FILE", "flow check FILE...", "check call-flow files and report every problem", "version"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			e := &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
			code := run(t.Context(), tt.args, e)
			if code != tt.wantCode {
				t.Errorf("exit code: got %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			containsInOrder(t, "stdout", stdout.String(), tt.wantStdout)
			containsInOrder(t, "stderr", stderr.String(), tt.wantStderr)
			if tt.notStdout != "" && strings.Contains(stdout.String(), tt.notStdout) {
				t.Errorf("stdout: got %q, want no %q", stdout.String(), tt.notStdout)
			}
			if len(tt.wantStdout) == 0 && stdout.Len() > 0 {
				t.Errorf("stdout: got %q, want nothing", stdout.String())
			}
			if len(tt.wantStderr) == 0 && stderr.Len() > 0 {
				t.Errorf("stderr: got %q, want nothing", stderr.String())
			}
		})
	}
}

// TestFlowCheckDemoWithABrokenNext: in the demo hotline's flow, one
// next: naming no node is reported once, first, beside the other real
// problem, not buried under a "never reached" for every node behind it.
func TestFlowCheckDemoWithABrokenNext(t *testing.T) {
	demo, err := os.ReadFile("flows/smart-home.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, next, hint string }{
		{"a name like no node", "routing", "(nodes: welcome, route, vip, "},
		{"a typo", "rout", "(did you mean route? nodes: welcome, route, vip, "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			text := string(demo)
			for old, repl := range map[string]string{
				"next: route}":  "next: " + tt.next + "}",
				"max_wait: 5m,": "max_wait: 5,", // a real problem behind the broken link
			} {
				if !strings.Contains(text, old) {
					t.Fatalf("the demo flow has no %q", old)
				}
				text = strings.Replace(text, old, repl, 1)
			}
			path := filepath.Join(t.TempDir(), "smart-home.yaml")
			write(t, path, text)
			var stdout, stderr bytes.Buffer
			e := &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
			if code := run(t.Context(), []string{"flow", "check", path}, e); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			want := []string{
				path + `:40: nodes.welcome.play.next: "` + tt.next + `" is not a node ` + tt.hint,
				path + ":49: nodes.vip-queue.queue.max_wait: 5 is not a duration",
			}
			if len(lines) != len(want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(lines), len(want), stdout.String())
			}
			for i, w := range want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("problem %d:\ngot  %s\nwant %s...", i+1, lines[i], w)
				}
			}
		})
	}
}
