package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDemoInTheBrowser: a person opens the demo's printed console address
// in headless chromium, signs in as agent 1001 with the printed password,
// logs in and goes ready with the page's buttons; the real ACD rings the
// agent's (emulated) phone with a simulated caller, and the page follows
// the call through its phases to talking, holds it and takes it back.
// Chromium missing skips it, except under CI (CI=true), where it fails.
func TestDemoInTheBrowser(t *testing.T) {
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium to run the browser test with: deploy/dev/deps.sh installs Debian's chromium")
		}
		t.Skip("no chromium: deploy/dev/deps.sh installs Debian's chromium")
	}

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

	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]), chromedp.ExecPath(path), chromedp.WindowSize(1400, 1000))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // chromium refuses root with its sandbox
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(tab, time.Minute)
		defer cancel()
		if err := chromedp.Do(c, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// phaseIs waits (frame by frame, in the page) for the call panel's
	// phase.
	phaseIs := func(phase string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById("call-phase").dataset.phase === %q`, phase),
			chromedp.WithPollingTimeout(time.Minute))
	}
	// Start the browser on the tab's own context, so that it lives until
	// the end, not until the first action's deadline.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	do("signing in",
		chromedp.Navigate(base),
		chromedp.WaitVisible("#signin-form"),
		chromedp.SendKeys(`#signin-form input[name=user]`, "1001"),
		chromedp.SendKeys(`#signin-form input[name=password]`, password),
		chromedp.Click(`#signin-form button[type=submit]`),
		chromedp.WaitVisible("#agent"),
	)
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
	// A simulated caller is put through: the emulated phone answers and
	// the agent ID and whisper play before the caller is bridged.
	do("a call connected", chromedp.WaitVisible("#call"), phaseIs("talking"))
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
	// The agent ID and whisper play before the bridge: the page showed
	// that phase (ringing may pass between two snapshots).
	if i := slices.Index(seen, "connecting"); err != nil || i < 0 || seen[len(seen)-1] != "talking" {
		t.Errorf("the page showed the phases %v (%v), want connecting, then talking", seen, err)
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
