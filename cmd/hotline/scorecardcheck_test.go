package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/hotline-ivr/hotline/recordings/scorecard"
)

func TestScorecardCheck(t *testing.T) {
	dir := t.TempDir()
	std := filepath.Join(dir, "standard.yaml")
	write(t, std, string(scorecard.StandardFile()))
	bad := filepath.Join(dir, "bad.yaml")
	write(t, bad, `scorecard: small
title: {zh: 小表, en: Small}
sections:
  - id: s
    title: {zh: 一, en: One}
    items:
      - id: hold
        title: {zh: 保持, en: Hold}
        weight: 5
        answer: yes_no
        source: {from: hold_time, max_time: 2}
`)
	version := scorecard.Standard().Fingerprint()
	for _, tt := range []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{name: "the standard card", args: []string{"scorecard", "check", std},
			wantStdout: []string{std + ": ok (scorecard standard, version " + version + ", 4 sections, 13 items, weights 100)\n"}},
		{name: "a bad card", args: []string{"scorecard", "check", std, bad}, wantCode: 1, wantStdout: []string{
			std + ": ok",
			bad + `:11: sections[0].items[0].source.max_time: "2" is not a duration (give a unit: 500ms, 5s, 2m, 1h30m)` + "\n",
		}},
		{name: "prints the standard card", args: []string{"scorecard", "standard"}, wantStdout: []string{"scorecard: standard\n", "forbidden_wording"}},
		{name: "no file", args: []string{"scorecard", "check"}, wantCode: 2, wantStderr: []string{"hotline: scorecard check needs at least one FILE"}},
		{name: "a missing file", args: []string{"scorecard", "check", filepath.Join(dir, "none.yaml")}, wantCode: 1,
			wantStderr: []string{"hotline: cannot read the scorecard file: open " + filepath.Join(dir, "none.yaml") + ": no such file or directory\n"}},
		{name: "listed in help", args: []string{"help"}, wantStdout: []string{"scorecard check FILE... | standard", "check QA scorecard files"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			e := &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
			if code := run(t.Context(), tt.args, e); code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout.String(), stderr.String())
			}
			containsInOrder(t, "stdout", stdout.String(), tt.wantStdout)
			containsInOrder(t, "stderr", stderr.String(), tt.wantStderr)
		})
	}
}
