package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	flows := filepath.Join(dir, "flows")
	if err := os.Mkdir(flows, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(flows, "t.yaml"), "flow: t\nnumbers: [\"4001\"]\nlanguages: [zh]\nstart: bye\nnodes:\n  bye: {hangup: {}}\n")
	write(t, good, "ari:\n  url: http://127.0.0.1:8088/ari\n  username: hotline\nflows:\n  dir: "+flows+"\n")
	write(t, bad, "ari:\n  url: http://127.0.0.1:8088/ari\n  usrname: hotline\nlog:\n  level: loud\n")
	noFlows := filepath.Join(dir, "no-flows.yaml")
	write(t, noFlows, "ari:\n  url: http://127.0.0.1:8088/ari\n  username: hotline\nflows:\n  dir: "+filepath.Join(dir, "none")+"\n")
	noFlowsProblem := noFlows + `:5: flows.dir: the folder "` + filepath.Join(dir, "none") + `" does not exist (looked for ` + filepath.Join(dir, "none") + ")"
	queueFlows := filepath.Join(dir, "queue-flows")
	if err := os.Mkdir(queueFlows, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(queueFlows, "q.yaml"), "flow: q\nnumbers: [\"4001\"]\nlanguages: [zh]\nstart: q\nnodes:\n  q:\n    queue: {name: aftersales, next: bye}\n  bye: {hangup: {}}\n")
	unknownQueue := filepath.Join(dir, "unknown-queue.yaml")
	write(t, unknownQueue, "ari:\n  url: http://127.0.0.1:8088/ari\n  username: hotline\nflows:\n  dir: "+queueFlows+"\nqueues:\n  - name: after-sales\n  - name: vip\n")
	badCard := filepath.Join(dir, "card.yaml")
	write(t, badCard, "scorecard: Standard\n")
	withBadCard := filepath.Join(dir, "with-bad-card.yaml")
	write(t, withBadCard, "ari:\n  url: http://127.0.0.1:8088/ari\n  username: hotline\nflows:\n  dir: "+flows+"\nqa:\n  scorecard: "+badCard+"\n")
	noCard := filepath.Join(dir, "no-card.yaml")
	write(t, noCard, "ari:\n  url: http://127.0.0.1:8088/ari\n  username: hotline\nflows:\n  dir: "+flows+"\nqa:\n  scorecard: "+filepath.Join(dir, "none.yaml")+"\n")
	badCentre := filepath.Join(dir, "bad-centre.yaml")
	write(t, badCentre, `ari:
  url: http://127.0.0.1:8088/ari
  username: hotline
queues:
  - name: support
    strategy: round_robin
    overflow: {action: queue, queue: sales}
agents:
  - {id: "1001", device: PJSIP/1001, skills: {zh: 12}, queues: [support]}
console:
  users:
    - {name: li, role: agent, agent: "1002", password_hash: hunter2}
`)

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string // substrings, in order
		wantStderr []string
	}{
		{name: "no command", args: nil, wantCode: 2, wantStderr: []string{"hotline: no command given", "Commands:", "serve", "config check FILE", "version"}},
		{name: "unknown command", args: []string{"launch"}, wantCode: 2, wantStderr: []string{`hotline: unknown command "launch"`, "Commands:"}},
		{name: "help", args: []string{"help"}, wantStdout: []string{"Usage:", "hotline <command>", "serve", "config check FILE", "version", "help [COMMAND]"}},
		{name: "--help", args: []string{"--help"}, wantStdout: []string{"Commands:"}},
		{name: "-h", args: []string{"-h"}, wantStdout: []string{"Commands:"}},
		{name: "help serve", args: []string{"help", "serve"}, wantStdout: []string{"Usage: hotline serve [--config FILE]", "/healthz", "HOTLINE_ARI_PASSWORD", "SIGTERM"}},
		{name: "help unknown", args: []string{"help", "launch"}, wantCode: 2, wantStderr: []string{`no help for unknown command "launch"`}},
		{name: "serve -h", args: []string{"serve", "-h"}, wantStdout: []string{"Usage: hotline serve"}},
		{name: "serve --help", args: []string{"serve", "--help"}, wantStdout: []string{"Usage: hotline serve"}},
		{name: "serve unknown flag", args: []string{"serve", "--port", "1"}, wantCode: 2, wantStderr: []string{"hotline: flag provided but not defined: -port", "Usage: hotline serve"}},
		{name: "serve extra argument", args: []string{"serve", "now"}, wantCode: 2, wantStderr: []string{`serve takes no arguments, got ["now"]`}},
		{name: "serve missing config", args: []string{"serve", "--config", filepath.Join(dir, "none.yaml")}, wantCode: 1,
			wantStderr: []string{"hotline: no config file at " + filepath.Join(dir, "none.yaml") + ": pass --config FILE, or start from deploy/hotline.example.yaml"}},
		{name: "serve bad config", args: []string{"serve", "--config", bad}, wantCode: 1,
			wantStderr: []string{"hotline: the config file has 3 problem(s):", bad + ":1: ari.username: is required", bad + ":3: ari.usrname: unknown key", bad + `:5: log.level: "loud" is not a choice`}},
		{name: "serve without password", args: []string{"serve", "--config", good}, wantCode: 1,
			wantStderr: []string{`hotline: HOTLINE_ARI_PASSWORD is not set: export the password of ARI user "hotline"`}},
		{name: "version", args: []string{"version"}, wantStdout: []string{"hotline ", " go1."}},
		{name: "version -h", args: []string{"version", "-h"}, wantStdout: []string{"Usage: hotline version"}},
		{name: "version extra", args: []string{"version", "x"}, wantCode: 2, wantStderr: []string{"version takes no arguments"}},
		{name: "config check ok", args: []string{"config", "check", good}, wantStdout: []string{good + ": ok (flows of " + flows + ": t)\n"}},
		{name: "config check problems", args: []string{"config", "check", bad}, wantCode: 1,
			wantStdout: []string{bad + ":1: ari.username: is required", bad + ":3: ari.usrname: unknown key (did you mean username?", bad + `:5: log.level: "loud" is not a choice (use one of: debug, info, warn, error)`}},
		{name: "config check queues, agents and users", args: []string{"config", "check", badCentre}, wantCode: 1,
			wantStdout: []string{
				badCentre + `:6: queues[0].strategy: "round_robin" is not a routing strategy (did you mean round-robin? use one of: longest-idle, round-robin, fewest-calls, skills-by-level)`,
				badCentre + `:7: queues[0].overflow.queue: there is no queue "sales" (queues: support)`,
				badCentre + `:9: agents[0].skills.zh: level 12 is out of range (levels go from 1 (any) to 10 (the best))`,
				badCentre + `:12: console.users[0].agent: there is no agent "1002" (agents: 1001)`,
				badCentre + `:12: console.users[0].password_hash: is not a bcrypt hash (give the bcrypt hash of the password, never the password; hotline passwd makes one)`,
			}},
		{name: "config check missing flows.dir", args: []string{"config", "check", noFlows}, wantCode: 1, wantStdout: []string{noFlowsProblem + " (the folder of the call-flow *.yaml files"}},
		{name: "serve missing flows.dir", args: []string{"serve", "--config", noFlows}, wantCode: 1,
			wantStderr: []string{"hotline: the config file has 1 problem(s):\n" + noFlowsProblem + " (the folder of the call-flow *.yaml files"}},
		{name: "config check bad scorecard", args: []string{"config", "check", withBadCard}, wantCode: 1,
			wantStdout: []string{badCard + `:1: scorecard: "Standard" is not a name`}},
		{name: "config check missing scorecard", args: []string{"config", "check", noCard}, wantCode: 1,
			wantStdout: []string{noCard + `:7: qa.scorecard: the file "` + filepath.Join(dir, "none.yaml") + `" does not exist`}},
		{name: "serve bad scorecard", args: []string{"serve", "--config", withBadCard}, wantCode: 1,
			wantStderr: []string{"hotline: qa.scorecard has ", badCard + `:1: scorecard: "Standard" is not a name`}},
		{name: "config check flow naming an unknown queue", args: []string{"config", "check", unknownQueue}, wantCode: 1,
			wantStdout: []string{filepath.Join(queueFlows, "q.yaml") + `:7: nodes.q.queue.name: there is no queue "aftersales" (did you mean after-sales? queues in the configuration: after-sales, vip)` + "\n"}},
		{name: "config check missing file", args: []string{"config", "check", filepath.Join(dir, "none.yaml")}, wantCode: 1,
			wantStderr: []string{"hotline: cannot read the config file: open " + filepath.Join(dir, "none.yaml") + ": no such file or directory"}},
		{name: "config check -h", args: []string{"config", "check", "-h"}, wantStdout: []string{"Usage: hotline config check FILE", "FILE:LINE: field.path: what is wrong (hint)"}},
		{name: "config -h", args: []string{"config", "-h"}, wantStdout: []string{"Usage: hotline config check FILE"}},
		{name: "config alone", args: []string{"config"}, wantCode: 2, wantStderr: []string{"config needs a subcommand: check FILE"}},
		{name: "config check no file", args: []string{"config", "check"}, wantCode: 2, wantStderr: []string{"config check needs exactly one FILE"}},
		{name: "config unknown subcommand", args: []string{"config", "show"}, wantCode: 2, wantStderr: []string{`unknown config subcommand "show"`}},
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
			if len(tt.wantStdout) == 0 && stdout.Len() > 0 {
				t.Errorf("stdout: got %q, want nothing", stdout.String())
			}
			if len(tt.wantStderr) == 0 && stderr.Len() > 0 {
				t.Errorf("stderr: got %q, want nothing", stderr.String())
			}
		})
	}
}

func containsInOrder(t *testing.T, name, got string, want []string) {
	t.Helper()
	rest := got
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("%s: missing %q (in order) in:\n%s", name, w, got)
			return
		}
		rest = rest[i+len(w):]
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
