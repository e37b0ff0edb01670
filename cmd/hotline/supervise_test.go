package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
)

// TestSuperviseFromOwnDeviceOnly: a supervisor listens in from the device
// of its user in the config, and from nowhere else. Today a supervisor
// named any device, and Hotline dialled PJSIP/00441632960001@trunk into
// a live customer's call.
func TestSuperviseFromOwnDeviceOnly(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cfg := supportCentre(
		config.User{Name: "li.na", Role: "agent", Agent: "1001", PasswordHash: quickHash(t, "pw")},
		config.User{Name: "wang", Role: "supervisor", Device: "PJSIP/2001", PasswordHash: quickHash(t, "pw")},
	)
	var agentPhone, supPhone, trunk *aritest.Endpoint
	s := serveOnEmulator(t, ctx, cfg, func(emu *aritest.Server) {
		agentPhone = emu.AddEndpoint("PJSIP", "1001", aritest.ManualAnswer())
		supPhone = emu.AddEndpoint("PJSIP", "2001", aritest.ManualAnswer())
		trunk = emu.AddEndpoint("PJSIP", "trunk", aritest.AnswerAfter(0))
	})

	// An agent on a call with a customer.
	agent := s.login("li.na", "pw")
	s.api.do(http.StatusOK, "POST", "/api/agents/1001/login", agent, nil, nil)
	s.api.do(http.StatusOK, "POST", "/api/agents/1001/ready", agent, nil, nil)
	wang := s.login("wang", "pw")
	stream := s.api.stream(wang)
	defer stream.close()
	caller, err := s.emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008009999", Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	ring, err := agentPhone.NextCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ring.Answer(); err != nil {
		t.Fatal(err)
	}
	stream.until(func(v console.SnapshotView) bool { return agentState(v, "1001") == queue.OnCall })

	// Another number is refused, and nothing is dialled.
	s.api.do(http.StatusForbidden, "POST", "/api/agents/1001/supervise", wang,
		console.SuperviseRequest{Device: "PJSIP/00441632960001@trunk", Mode: "listen"}, nil)
	// The supervisor's own phone rings. The call is connected once the
	// agent's ID and whisper have played, which the ACD publishes: until
	// then a supervision is a 409, and each try waits for the next change.
	var sup console.Supervision
	for {
		code, body := s.post(t, ctx, "/api/agents/1001/supervise", wang, `{"mode":"listen"}`)
		if code == http.StatusOK {
			if err := json.Unmarshal(body, &sup); err != nil {
				t.Fatal(err)
			}
			break
		}
		if code != http.StatusConflict {
			t.Fatalf("supervise from the own device: %d %s", code, body)
		}
		stream.until(func(console.SnapshotView) bool { return true })
	}
	p, err := supPhone.NextCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Dialed(); got != "2001" {
		t.Errorf("rang %q for the supervisor, want 2001", got)
	}
	done, stop := context.WithCancel(ctx)
	stop()
	if call, err := trunk.NextCall(done); err == nil {
		t.Errorf("the trunk was dialled: %s", call.Dialed())
	}
	s.api.do(http.StatusNoContent, "DELETE", "/api/supervision/"+sup.Session, wang, nil, nil)
	if err := caller.Hangup(); err != nil {
		t.Fatal(err)
	}
	s.stop()
	if err := s.wait(t, ctx); err != nil {
		t.Fatalf("runServer: %v", err)
	}
}

// post sends a JSON body with the bearer token and returns the answer.
func (s *served) post(t *testing.T, ctx context.Context, path, token, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "POST", s.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}
