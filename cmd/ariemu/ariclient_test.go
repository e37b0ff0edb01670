package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
)

// nodeEvent is one line the Node IVR (testdata/ari-client/ivr.js) prints.
type nodeEvent struct {
	Event     string   `json:"event"`
	Error     string   `json:"error"`
	Where     string   `json:"where"`
	Resources []string `json:"resources"`
	Version   string   `json:"version"`
	Channel   string   `json:"channel"`
	Args      []string `json:"args"`
	Sound     string   `json:"sound"`
	Caller    string   `json:"caller"`
	State     string   `json:"state"`
}

// TestNodeARIClient connects an IVR written with Node's ari-client, a
// client built from Asterisk's documentation that reads the server's
// /ari/api-docs at connect, to ariemu, and runs a call through it:
// answer, a sound looked up, a variable read, a prompt played to its end,
// hang-up. deploy/dev/deps.sh installs node and the client; without them
// the test is skipped, and fails when CI is set.
func TestNodeARIClient(t *testing.T) {
	dir := filepath.Join("testdata", "ari-client")
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "ari-client", "package.json"))
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node and ari-client are required when CI is set (deploy/dev/deps.sh installs them): %v", err)
		}
		t.Skipf("node or ari-client missing (deploy/dev/deps.sh installs them): %v", err)
	}

	sounds := t.TempDir()
	if err := media.WriteWAVFile(filepath.Join(sounds, "hello-world.wav"), media.Tone(300*time.Millisecond, 0.3, 400)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	ready := make(chan string, 1)
	errc := make(chan error, 1)
	var out syncBuffer
	go func() {
		errc <- run(runCtx, []string{"--listen", "127.0.0.1:0", "--sounds", sounds},
			func(k string) string { return map[string]string{"ARIEMU_PASSWORD": "pw"}[k] }, &out, ready)
	}()
	var url string
	select {
	case url = <-ready:
	case err := <-errc:
		t.Fatalf("ariemu stopped: %v\n%s", err, out.String())
	}
	defer func() {
		stop()
		if err := <-errc; err != nil {
			t.Errorf("ariemu: %v", err)
		}
	}()
	base := strings.TrimSuffix(url, "/ari")

	nodeCtx, killNode := context.WithCancel(ctx)
	cmd := exec.CommandContext(nodeCtx, node, "ivr.js", base, "hotline", "pw", "hotline", "sound:hello-world")
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan nodeEvent)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ev nodeEvent
			if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Event != "" {
				lines <- ev
			}
		}
	}()
	defer func() {
		killNode()
		for range lines { // until the pipe closes
		}
		_ = cmd.Wait()
	}()
	expect := func(event string) nodeEvent {
		t.Helper()
		for {
			select {
			case ev, open := <-lines:
				if !open {
					t.Fatalf("the Node IVR ended before %s; stderr:\n%s\nariemu:\n%s", event, stderr.String(), out.String())
				}
				if ev.Event == "error" {
					t.Fatalf("the Node IVR failed in %s: %s; stderr:\n%s", ev.Where, ev.Error, stderr.String())
				}
				if ev.Event == event {
					return ev
				}
			case <-ctx.Done():
				t.Fatalf("waiting for %s from the Node IVR: %v; stderr:\n%s", event, ctx.Err(), stderr.String())
			}
		}
	}

	connected := expect("connected")
	want := []string{"applications", "asterisk", "bridges", "channels", "endpoints", "events", "playbacks", "recordings", "sounds"}
	if !slices.Equal(connected.Resources, want) || connected.Version != "22.10.1" {
		t.Errorf("ari-client built resources %v and read version %q, want %v and 22.10.1", connected.Resources, connected.Version, want)
	}
	expect("listening")

	control := func(method, path, body string, want int) []byte {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, base+"/aritest"+path, strings.NewReader(body))
		req.SetBasicAuth("hotline", "pw")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s /aritest%s: %d %s, want %d", method, path, resp.StatusCode, b, want)
		}
		return b
	}
	var call struct{ ID string }
	_ = json.Unmarshal(control("POST", "/calls", `{"from":"13800138000","to":"4008001234"}`, 201), &call)
	if st := expect("StasisStart"); st.Channel != call.ID || !slices.Equal(st.Args, []string{"4008001234"}) {
		t.Errorf("StasisStart %s %v, want %s [4008001234]", st.Channel, st.Args, call.ID)
	}
	if a := expect("answered"); a.Sound != "hello-world" || a.Caller != "13800138000" {
		t.Errorf("the IVR read sound %q and caller %q, want hello-world and 13800138000", a.Sound, a.Caller)
	}
	if pf := expect("PlaybackFinished"); pf.State != "done" {
		t.Errorf("PlaybackFinished %s, want done", pf.State)
	}
	expect("hungup")

	var ended struct {
		HungUp   bool   `json:"hung_up"`
		HungUpBy string `json:"hung_up_by"`
		Heard    []struct{ Media, State string }
	}
	_ = json.Unmarshal(control("GET", "/calls/"+call.ID+"/wait?hangup=1&timeout=10s", "", 200), &ended)
	if !ended.HungUp || ended.HungUpBy != "asterisk" || len(ended.Heard) != 1 || ended.Heard[0].Media != "sound:hello-world" || ended.Heard[0].State != "done" {
		t.Errorf("the call as the caller saw it: %+v, want hello-world played out, then hung up by the IVR", ended)
	}
}
