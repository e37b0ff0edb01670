package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestServeClusterBrowserAgent: two servers of one centre, each with its
// own Asterisk and softphone gateway; agent 1001's browser (headless
// chromium, its fake microphone sending 600 Hz) signs in at b, a caller of
// a (1 kHz) is offered to it. b's page rings with the caller's number;
// the agent answers there: a's Asterisk sends the call's audio to b's
// gateway (softphone.cluster_host), the page hears the caller's 1 kHz; a
// key of the page's keypad reaches the caller through a's ARI; the agent
// hangs up in the page and a's caller goes on in its flow. b's Asterisk
// carries nothing.
func TestServeClusterBrowserAgent(t *testing.T) {
	mic := fakeMicrophone(t)
	actx := browserWithMicrophone(t, mic)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cfg := supportCentre(config.User{Name: "li.na", Role: "agent", Agent: "1001", PasswordHash: quickHash(t, "pw-li")})
	cfg.Agents[0].Device = acd.SoftphonePrefix + "1001"
	cfg.Queues[0].CallbackAfter = 0 // call-backs cannot cross servers yet
	cfg.Database.URL = pgtest.New(t)
	cfg.Cluster.Enabled = true
	cfg.Softphone.ICELoopback = true        // chromium is on this machine
	cfg.Softphone.ClusterHost = "127.0.0.1" // and so are both servers
	a := serveWith(t, ctx, cfg, serveOptions{instance: "a"})
	b := serveWith(t, ctx, cfg, serveOptions{instance: "b"})

	agent := tab(t, actx, true)
	signIn(t, agent, b.base+"/", "li.na", "pw-li", "#agent")
	doIn(t, agent, "logging in and going ready",
		chromedp.Click(`[data-act=login]`),
		chromedp.WaitEnabled(`[data-act=ready]`),
		chromedp.Click(`[data-act=ready]`),
		chromedp.Poll[chromedp.Void](`document.getElementById("agent-state").dataset.state === "ready"`))

	caller, err := a.emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008009999", Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Hangup()
	if err := caller.SendTone(2*time.Minute, 1000); err != nil {
		t.Fatal(err)
	}
	answerInPage(t, agent, "the incoming call of the other server", "8000")
	if _, err := caller.WaitHeard(ctx, "sound:hotline/zh/std/agent-id"); err != nil {
		t.Fatalf("the caller of a never heard the agent's ID: %v", err)
	}
	var h heard
	for range 20 { // until the audio flows (the bridge comes after the agent's ID)
		if h = pageHears(t, agent); h.At1000 > 0.5 {
			break
		}
	}
	t.Logf("the agent's page at b hears: 1 kHz %.2f, 600 Hz %.2f of the energy, RMS %.3f", h.At1000, h.At600, h.RMS)
	if h.RMS < 0.01 || h.At1000 < 0.5 {
		t.Errorf("the agent's page at b does not hear a's caller's 1 kHz: %+v", h)
	}
	doIn(t, agent, "pressing 5", chromedp.Click(`#sp-keypad button[data-digit="5"]`))
	if _, err := caller.WaitHeard(ctx, "dtmf:5"); err != nil {
		t.Fatalf("a's caller never got the page's 5: %v", err)
	}
	if n := b.emu.ChannelCount(); n != 0 {
		t.Errorf("%d channels on b's Asterisk: the call is a's", n)
	}
	doIn(t, agent, "hanging up", chromedp.Click("#sp-hangup"), chromedp.WaitNotVisible("#sp-incall"))
	if _, err := caller.WaitHangup(ctx); err != nil {
		t.Fatalf("a's caller after the agent hung up: %v", err)
	}
	a.logs.waitFor(t, ctx, `"msg":"agent hangs up on another server's softphone"`)
}
