package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// voiceComplaintFlow takes every caller's complaint as a voice message.
const voiceComplaintFlow = `flow: voice-complaints
numbers: ["4008009999"]
languages: [zh]
start: speak
nodes:
  speak:
    complaint: {category: quality, max_silence: 3s, next: bye}
  bye:
    hangup: {}
`

// TestServeIVRComplaint runs serve with a database, recordings and the
// complaints, and follows a complaint the IVR takes down end to end: the
// caller speaks after the beep, falls silent and hears the thanks; the
// complaints' scan registers it from the stored journey, with nobody as
// its owner; the recordings' pipeline stores the voice message from
// Asterisk; a supervisor finds the complaint and plays its message, the
// caller's voice on the left.
func TestServeIVRComplaint(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	emu := startEmulator(t)
	flows := t.TempDir()
	write(t, filepath.Join(flows, "complaints.yaml"), voiceComplaintFlow)
	cfg := supportCentre(config.User{Name: "wang", Role: "supervisor", PasswordHash: quickHash(t, "pw")})
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = emu.URL(), "hotline", "secret"
	cfg.Database.URL, cfg.Database.SpoolDir = pgtest.New(t), t.TempDir()
	cfg.Instance.Name = "test"
	cfg.Log.Level = "debug"
	cfg.Recordings.Storage = t.TempDir()
	cfg.Complaints.Categories = map[string]config.ComplaintClocks{config.DefaultCategory: {Team: "after-sales"}}
	cfg.Complaints.ScanEvery = 100 * time.Millisecond

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := newLogLines()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- runServer(runCtx, &env{stdout: io.Discard, stderr: logs, getenv: func(string) string { return "" }},
			cfg, ln, dirFlows(flows), "mode", "test", func(ctx context.Context, _ *slog.Logger, _ *acd.Service) { <-ctx.Done() })
	}()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		if t.Failed() {
			t.Logf("the server's log:\n%s", logs.String())
		}
	}()
	logs.waitFor(t, ctx, `"msg":"ARI events connected"`)

	caller, err := emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008009999", Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := caller.Wait(ctx, func(s aritest.Snapshot) bool {
		for _, h := range s.Heard {
			if h.Media == "sound:hotline/zh/beep" && !h.End.IsZero() {
				return true
			}
		}
		return false
	}); err != nil {
		t.Fatal(err)
	}
	waitRecording(t, ctx, emu, "complaint-"+caller.ID())
	// 2 s of voice, then 3 s of silence end the message.
	if err := caller.SendTone(2*time.Second, 700); err != nil {
		t.Fatal(err)
	}
	if _, err := caller.WaitHeard(ctx, "sound:hotline/zh/complaint-thanks"); err != nil {
		t.Fatal(err)
	}
	if _, err := caller.Wait(ctx, func(s aritest.Snapshot) bool { return s.HungUp }); err != nil {
		t.Fatal(err)
	}
	logs.waitFor(t, ctx, `"msg":"complaints: the IVR's complaints registered"`)
	logs.waitFor(t, ctx, `"msg":"recordings: stored"`)

	api := &apiClient{t: t, ctx: ctx, base: "http://" + ln.Addr().String()}
	var lr console.LoginResponse
	api.do(http.StatusOK, "POST", "/api/login", "", console.LoginRequest{User: "wang", Password: "pw"}, &lr)
	var list console.ComplaintListView
	api.do(http.StatusOK, "GET", "/api/complaints", lr.Token, nil, &list)
	if len(list.Complaints) != 1 {
		t.Fatalf("complaints %+v, want the caller's", list.Complaints)
	}
	c := list.Complaints[0]
	if c.Source != "ivr" || c.CallID != caller.ID() || c.Owner != "" || c.Contact != "13800138000" || c.Category != "quality" ||
		c.MessageRecording == "" || !strings.Contains(c.Content, "语音留言 5 秒") {
		t.Errorf("complaint %+v", c)
	}
	left, right := stereoPCM(t, api.get(t, "/api/complaints/"+c.ID+"/message", lr.Token))
	if loud := peak(left); loud < 5000 {
		t.Errorf("the message's left side peaks at %d, want the caller's tone", loud)
	}
	if loud := peak(right); loud != 0 {
		t.Errorf("the message's right side peaks at %d, want silence", loud)
	}
	t.Logf("complaint %s: %q; message %s of %.1f s", c.ID, c.Content, c.MessageRecording, float64(len(left))/8000)
}

// waitRecording waits, yielding between looks, until Asterisk records
// name (GET /recordings/live/{name} says "recording").
func waitRecording(t *testing.T, ctx context.Context, emu *aritest.Server, name string) {
	t.Helper()
	for {
		req, err := http.NewRequestWithContext(ctx, "GET", emu.URL()+"/recordings/live/"+name, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth("hotline", "secret")
		var live struct {
			State string `json:"state"`
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&live)
			resp.Body.Close()
		}
		if err == nil && live.State == "recording" {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("recording %s never started: %v", name, err)
		}
		runtime.Gosched()
	}
}
