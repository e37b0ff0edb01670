package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemo runs "hotline demo" in-process: the emulator and the server come
// up together, a simulated caller's call reaches the server's application,
// /healthz reports ARI connected, and Ctrl-C drains it cleanly. It waits on
// the demo's own output lines, not on time.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	code := make(chan int, 1)
	go func() {
		c := run(runCtx, []string{"demo", "--listen", "127.0.0.1:0", "--call-every", "20ms"},
			&env{stdout: outW, stderr: errW, getenv: func(string) string { return "" }})
		outW.Close()
		errW.Close()
		code <- c
	}()

	health := regexp.MustCompile(`health\s+(http://\S+/healthz)`)
	var healthURL string
	out := bufio.NewScanner(outR)
	for healthURL == "" && out.Scan() {
		if m := health.FindStringSubmatch(out.Text()); m != nil {
			healthURL = m[1]
		}
	}
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	if healthURL == "" {
		t.Fatal("demo printed no health URL")
	}
	logs := bufio.NewScanner(errR)
	var dialled, entered bool
	for !(dialled && entered) && logs.Scan() {
		line := logs.Text()
		dialled = dialled || strings.Contains(line, "simulated caller dialled")
		entered = entered || strings.Contains(line, "channel entered the application")
	}
	go func() { _, _ = io.Copy(io.Discard, errR) }()
	if !dialled || !entered {
		t.Fatalf("dialled=%v entered=%v: a simulated call never reached the server", dialled, entered)
	}
	resp, err := http.Get(healthURL)
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %d %v, want 200 while ARI is connected", resp.StatusCode, h)
	}
	stop()
	if c := <-code; c != 0 {
		t.Errorf("demo exit code %d, want 0 after a drain", c)
	}
}
