package main

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestPasswd(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStderr string
	}{
		{name: "a line", args: []string{"passwd"}, stdin: "s3cret pw\n"},
		{name: "no newline", args: []string{"passwd"}, stdin: "s3cret pw"},
		{name: "CRLF", args: []string{"passwd"}, stdin: "s3cret pw\r\nmore\n"},
		{name: "empty", args: []string{"passwd"}, stdin: "\n", wantCode: 1, wantStderr: "hotline: the password is empty\n"},
		{name: "an argument", args: []string{"passwd", "s3cret"}, wantCode: 2,
			wantStderr: "hotline: passwd takes no arguments: it reads the password from standard input\n\nUsage: hotline passwd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // bcrypt is slow on purpose
			var stdout, stderr bytes.Buffer
			e := &env{stdin: strings.NewReader(tt.stdin), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
			if code := run(t.Context(), tt.args, e); code != tt.wantCode {
				t.Fatalf("exit code %d, want %d; stderr %q", code, tt.wantCode, stderr.String())
			}
			if !strings.HasPrefix(stderr.String(), tt.wantStderr) || (tt.wantStderr == "" && stderr.Len() > 0) {
				t.Errorf("stderr %q, want %q", stderr.String(), tt.wantStderr)
			}
			if tt.wantCode != 0 {
				return
			}
			hash := strings.TrimSuffix(stdout.String(), "\n")
			if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("s3cret pw")); err != nil {
				t.Errorf("printed %q, which is not the hash of the password: %v", stdout.String(), err)
			}
		})
	}
}
