package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPromptsInstall(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"install", []string{"prompts", "install", dir}, 0, "installed "},
		{"no dir", []string{"prompts", "install"}, 2, ""},
		{"unknown verb", []string{"prompts", "remove", dir}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }})
			if code != tt.code || !strings.Contains(stdout.String(), tt.out) {
				t.Errorf("exit %d, stdout %q; want %d and %q (stderr %q)", code, stdout.String(), tt.code, tt.out, stderr.String())
			}
		})
	}
	for _, f := range []string{"hotline/zh/silence-hello.wav", "hotline/en/sorry.wav", "hotline/zh/demo/main-menu.wav"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not installed: %v", f, err)
		}
	}
}
