package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/prompts"
)

// TestSim runs the load command at a small level against an emulator with
// the real prompts: every scripted caller walks the demo menus to the end,
// and the table reports the figures.
func TestSim(t *testing.T) {
	sounds := t.TempDir()
	if _, err := prompts.Install(sounds); err != nil {
		t.Fatal(err)
	}
	emu, err := aritest.New(aritest.Config{SoundsDir: sounds, Username: "hotline", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"sim", "--ari", emu.URL(), "--levels", "3", "--think", "0s"},
		&env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string {
			if k == "ARIEMU_PASSWORD" {
				return "pw"
			}
			return ""
		}})
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "p99 ms") {
		t.Fatalf("table:\n%s", stdout.String())
	}
	fields := strings.Fields(lines[1])
	if fields[0] != "3" || fields[1] != "6" || fields[2] != "0" {
		t.Errorf("row %q: want 3 concurrent, 6 calls, 0 failed", lines[1])
	}
	st := emu.LoadStatus()
	if st.Latencies < 6*4 {
		t.Errorf("%d DTMF-to-playback samples, want at least 4 per call", st.Latencies)
	}
}

func TestSimFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"sim", "--levels", "10,x"}, &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }})
	if code != 2 || !strings.Contains(stderr.String(), `"x" is not a positive number`) {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}
