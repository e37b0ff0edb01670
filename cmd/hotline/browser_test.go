package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDemoInTheBrowser: a person opens the demo's printed console address
// in headless chromium (a fake microphone), signs in as agent 1001 with
// the printed password, logs in and goes ready with the page's buttons;
// the real ACD rings the agent's browser softphone with a simulated
// caller, the person answers in the ringing panel, and the page follows
// the call through its phases to talking, holds it and takes it back.
// Chromium missing skips it, except under CI (CI=true), where it fails.
func TestDemoInTheBrowser(t *testing.T) {
	actx := browserWithMicrophone(t, fakeMicrophone(t))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	outR, outW := io.Pipe()
	code := make(chan int, 1)
	go func() {
		c := run(runCtx, []string{"demo", "--listen", "127.0.0.1:0", "--call-every", "200ms"},
			&env{stdout: outW, stderr: io.Discard, getenv: func(string) string { return "" }})
		outW.Close()
		code <- c
	}()
	defer func() {
		stop()
		if c := <-code; c != 0 {
			t.Errorf("demo exit code %d, want 0 after a drain", c)
		}
	}()
	consoleURL := regexp.MustCompile(`console\s+(http://[^/\s]+/) in a browser`)
	agent := regexp.MustCompile(`^\s+1001\s+password (\S+)`)
	var base, password string
	out := bufio.NewScanner(outR)
	for (base == "" || password == "") && out.Scan() {
		if m := consoleURL.FindStringSubmatch(out.Text()); m != nil {
			base = m[1]
		}
		if m := agent.FindStringSubmatch(out.Text()); m != nil {
			password = m[1]
		}
	}
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	if base == "" || password == "" {
		t.Fatalf("demo printed console %q, agent 1001's password %q", base, password)
	}

	tab := tab(t, actx, true)
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		doIn(t, tab, what, actions...)
	}
	// phaseIs waits (frame by frame, in the page) for the call panel's
	// phase.
	phaseIs := func(phase string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById("call-phase").dataset.phase === %q`, phase),
			chromedp.WithPollingTimeout(time.Minute))
	}
	signIn(t, tab, base, "1001", password, "#agent")
	// Note each phase the call panel shows, in order.
	do("watching the phases", chromedp.Evaluate[chromedp.Void](`(() => {
		const el = document.getElementById("call-phase");
		window.phasesSeen = [];
		new MutationObserver(() => {
			const p = el.dataset.phase;
			if (p && window.phasesSeen.at(-1) !== p) window.phasesSeen.push(p);
		}).observe(el, { attributes: true });
	})()`))
	do("logging in and going ready",
		chromedp.Click(`[data-act=login]`),
		chromedp.WaitEnabled(`[data-act=ready]`),
		chromedp.Click(`[data-act=ready]`),
		chromedp.Poll[chromedp.Void](`document.getElementById("agent-state").dataset.state === "ready"`),
	)
	// A simulated caller is put through: the page rings, the person
	// answers, and the agent ID and whisper play before the caller is
	// bridged.
	do("a call ringing", chromedp.WaitVisible("#sp-ring"))
	do("answering", chromedp.Click("#sp-answer"), chromedp.WaitVisible("#call"), phaseIs("talking"))
	c, cancelRead := context.WithTimeout(tab, time.Minute)
	caller, err := chromedp.Run(c, chromedp.TextContent("#call-caller"))
	cancelRead()
	if err != nil || caller == "" {
		t.Errorf("the call panel shows caller %q (%v)", caller, err)
	}
	c, cancelRead = context.WithTimeout(tab, time.Minute)
	seen, err := chromedp.Run(c, chromedp.Evaluate[[]string](`window.phasesSeen`))
	cancelRead()
	t.Logf("the call panel showed the phases %v", seen)
	if i := slices.Index(seen, "ringing"); err != nil || i < 0 || seen[len(seen)-1] != "talking" || !slices.Contains(seen, "connecting") {
		t.Errorf("the page showed the phases %v (%v), want ringing, connecting, then talking", seen, err)
	}
	do("holding", chromedp.Click("#hold"), phaseIs("held"))
	c, cancelShot := context.WithTimeout(tab, time.Minute)
	png, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	cancelShot()
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(t.ArtifactDir(), "demo-agent-desktop.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shot)
	do("taking the caller back", chromedp.Click("#unhold"), phaseIs("talking"))
}
