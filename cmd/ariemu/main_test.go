package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/CyCoreSystems/ari/v6/client/native"
	"github.com/hotline-ivr/hotline/ivr/media"
)

// syncBuffer is a log sink safe for the emulator's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestStandalone runs ariemu as the process would, drives a call through
// it with the ari/v6 client and the control API, and shuts it down.
func TestStandalone(t *testing.T) {
	sounds := t.TempDir()
	if err := media.WriteWAVFile(filepath.Join(sounds, "hi.wav"), media.Tone(200*time.Millisecond, 0.3, 400)); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ARIEMU_PASSWORD": "pw"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	var out syncBuffer
	go func() {
		errc <- run(runCtx, []string{"--listen", "127.0.0.1:0", "--sounds", sounds, "--endpoint", "PJSIP/1001=answer:0s"},
			func(k string) string { return env[k] }, &out, ready)
	}()
	var url string
	select {
	case url = <-ready:
	case err := <-errc:
		t.Fatalf("ariemu stopped: %v\n%s", err, out.String())
	}

	clientCtx, clientCancel := context.WithCancel(ctx)
	defer clientCancel()
	cl, err := native.ConnectWithContext(clientCtx, &native.Options{
		Application: "hotline", URL: url, WebsocketURL: "ws" + strings.TrimPrefix(url, "http") + "/events",
		Username: "hotline", Password: "pw",
	})
	if err != nil {
		t.Fatal(err)
	}
	sub := cl.Bus().Subscribe(nil, ari.Events.StasisStart, ari.Events.StasisEnd)
	defer sub.Cancel()

	control := strings.TrimSuffix(url, "/ari") + "/aritest"
	do := func(method, path, body string, want int) []byte {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, control+path, strings.NewReader(body))
		req.SetBasicAuth("hotline", "pw")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
		}
		return b
	}
	var call struct{ ID string }
	_ = json.Unmarshal(do("POST", "/calls", `{"from":"13800138000","to":"4008001234"}`, 201), &call)
	st := (<-sub.Events()).(*ari.StasisStart)
	if st.Channel.ID != call.ID || len(st.Args) != 1 || st.Args[0] != "4008001234" {
		t.Fatalf("StasisStart %s %v, want %s [4008001234]", st.Channel.ID, st.Args, call.ID)
	}
	h := cl.Channel().Get(st.Key(ari.ChannelKey, call.ID))
	if err := h.Answer(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Play("p1", "sound:hi"); err != nil {
		t.Fatal(err)
	}
	var waited struct {
		Heard []struct{ Media, State string }
	}
	_ = json.Unmarshal(do("GET", "/calls/"+call.ID+"/wait?heard=sound:hi&timeout=5s", "", 200), &waited)
	if len(waited.Heard) == 0 || waited.Heard[0].Media != "sound:hi" {
		t.Errorf("heard %+v, want sound:hi", waited.Heard)
	}
	do("POST", "/calls/"+call.ID+"/dtmf?digits=1", "", 204)
	do("DELETE", "/calls/"+call.ID, "", 204)
	if e := <-sub.Events(); e.GetType() != "StasisEnd" {
		t.Errorf("got %s, want StasisEnd", e.GetType())
	}
	var ended struct {
		HungUp   bool   `json:"hung_up"`
		HungUpBy string `json:"hung_up_by"`
	}
	_ = json.Unmarshal(do("GET", "/calls/"+call.ID, "", 200), &ended)
	if !ended.HungUp || ended.HungUpBy != "party" {
		t.Errorf("the ended call: %+v, want it kept, hung up by the caller", ended)
	}
	do("POST", "/calls", `{"from":"1"}`, 400)
	do("GET", "/calls/nope", "", 404)
	do("POST", "/endpoints", `{"resource":"1002","behavior":"sleepy"}`, 400)
	do("POST", "/endpoints", `{"resource":"1002","behavior":"never"}`, 204)

	stop()
	if err := <-errc; err != nil {
		t.Fatalf("run: %v", err)
	}
	clientCancel()
}

func TestFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad endpoint", []string{"--listen", "127.0.0.1:0", "--endpoint", "1001"}, "want TECH/RESOURCE"},
		{"bad behaviour", []string{"--listen", "127.0.0.1:0", "--endpoint", "PJSIP/1001=sleepy"}, "behavior: want answer"},
		{"bad level", []string{"--log-level", "loud"}, "--log-level"},
		{"unknown flag", []string{"--frobnicate"}, "flag provided but not defined"},
		{"no retention", []string{"--call-retention", "0s"}, "--call-retention"},
		{"no retained calls", []string{"--call-retention-max", "-1"}, "--call-retention-max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out syncBuffer
			err := run(context.Background(), tt.args, func(string) string { return "" }, &out, nil)
			if err == nil || !strings.Contains(err.Error()+out.String(), tt.want) {
				t.Errorf("err = %v (output %q), want it to mention %q", err, out.String(), tt.want)
			}
		})
	}
}
