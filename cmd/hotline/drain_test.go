package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/prompts"
)

// startEmulator starts the ARI emulator (user hotline, password secret)
// with Hotline's prompts installed, until the test ends.
func startEmulator(t *testing.T) *aritest.Server {
	t.Helper()
	return startEmulatorNamed(t, "")
}

// startEmulatorNamed is startEmulator with asterisk.conf's systemname.
func startEmulatorNamed(t *testing.T, systemName string) *aritest.Server {
	t.Helper()
	sounds := t.TempDir()
	if _, err := prompts.Install(sounds); err != nil {
		t.Fatal(err)
	}
	emu, err := aritest.New(aritest.Config{Username: "hotline", Password: "secret", DefaultApp: "hotline",
		SoundsDir: sounds, RecordingsDir: t.TempDir(), SystemName: systemName})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	return emu
}

// served is runServer running a test's configuration against the ARI
// emulator, with the support flow of 4008009999.
type served struct {
	emu     *aritest.Server
	base    string
	api     *apiClient
	logs    *logLines
	stop    context.CancelFunc // SIGTERM
	done    chan error
	stopped bool
}

// serveOnEmulator starts the emulator and runServer on cfg (its ARI keys
// filled in) until the test ends or stop; phones are added with
// s.emu.AddEndpoint before callers dial.
func serveOnEmulator(t *testing.T, ctx context.Context, cfg config.Config, edit func(*aritest.Server)) *served {
	t.Helper()
	return serveWith(t, ctx, cfg, serveOptions{edit: edit})
}

// serveOptions are what some tests change of serveOnEmulator's server.
type serveOptions struct {
	edit     func(*aritest.Server)
	clock    clockwork.Clock   // the complaints' and follow-ups' (nil: real)
	flows    map[string]string // more flow files by name, beside support.yaml
	instance string            // "" : test
	// noSystemName: the emulator has no systemname even in a cluster
	// (where each has pbx-<instance>), and serveWith does not wait for
	// ARI to connect.
	noSystemName bool
}

// serveWith is serveOnEmulator with options.
func serveWith(t *testing.T, ctx context.Context, cfg config.Config, o serveOptions) *served {
	t.Helper()
	systemName := ""
	if cfg.Cluster.Enabled && !o.noSystemName {
		systemName = "pbx-" + cmp.Or(o.instance, "test")
	}
	emu := startEmulatorNamed(t, systemName)
	if o.edit != nil {
		o.edit(emu)
	}
	flowDir := t.TempDir()
	write(t, filepath.Join(flowDir, "support.yaml"), fmt.Sprintf(supportFlow, ""))
	for name, text := range o.flows {
		write(t, filepath.Join(flowDir, name), text)
	}
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = emu.URL(), "hotline", "secret"
	cfg.Database.SpoolDir = t.TempDir()
	if cfg.Recordings.Storage == config.Default().Recordings.Storage {
		// The default is relative to the working folder: the source tree.
		cfg.Recordings.Storage = t.TempDir()
	}
	cfg.Instance.Name = cmp.Or(o.instance, "test")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &served{emu: emu, base: "http://" + ln.Addr().String(), logs: newLogLines(), done: make(chan error, 1)}
	s.api = &apiClient{t: t, ctx: ctx, base: s.base}
	runCtx, stop := context.WithCancel(ctx)
	s.stop = stop
	go func() {
		s.done <- runServer(runCtx, &env{stdout: io.Discard, stderr: s.logs, getenv: func(string) string { return "" }, clock: o.clock},
			cfg, ln, dirFlows(flowDir), "mode", "test", nil)
	}()
	t.Cleanup(func() {
		if !s.stopped {
			stop()
			<-s.done
		}
		if t.Failed() {
			t.Logf("the server's log:\n%s", s.logs.String())
		}
	})
	if !o.noSystemName {
		s.logs.waitFor(t, ctx, `"msg":"ARI events connected"`)
	}
	return s
}

// login signs user in and returns the token.
func (s *served) login(user, password string) string {
	var lr console.LoginResponse
	s.api.do(http.StatusOK, "POST", "/api/login", "", console.LoginRequest{User: user, Password: password}, &lr)
	return lr.Token
}

// wait waits for runServer to return and returns what it did.
func (s *served) wait(t *testing.T, ctx context.Context) error {
	t.Helper()
	select {
	case err := <-s.done:
		s.stopped = true
		return err
	case <-ctx.Done():
		t.Fatal("runServer did not return")
		return nil
	}
}

// supportCentre is a configuration with the support queue, agent 1001 on
// PJSIP/1001, and users.
func supportCentre(users ...config.User) config.Config {
	cfg := config.Default()
	cfg.HTTP.ShutdownTimeout = time.Minute // longer than any test: calls end the drains
	support := config.DefaultQueue()
	support.Name = "support"
	cfg.Queues = []config.Queue{support}
	cfg.Agents = []config.Agent{{ID: "1001", Name: "Li Na", Device: "PJSIP/1001", Skills: map[string]int{"zh": 8}}}
	cfg.Console.Users = users
	return cfg
}

// TestDrainKeepsHTTP runs the server as serve does, with a caller waiting
// in a queue, and stops it: while the call is still up, /healthz answers
// 503 "draining" (today the listener was closed first: connection
// refused) and a signed-in supervisor's console still works; HTTP stops
// only once the call has ended.
func TestDrainKeepsHTTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	// Nobody is logged in: the caller waits in the queue.
	cfg := supportCentre(config.User{Name: "wang", Role: "supervisor", Device: "PJSIP/2001", PasswordHash: quickHash(t, "pw")})
	s := serveOnEmulator(t, ctx, cfg, nil)

	wang := s.login("wang", "pw")
	stream := s.api.stream(wang)
	defer stream.close()
	caller, err := s.emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008009999", Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	stream.until(func(v console.SnapshotView) bool { return len(v.Queues) == 1 && v.Queues[0].Waiting == 1 })

	s.stop() // SIGTERM
	s.logs.waitFor(t, ctx, `"msg":"draining: stop signal received"`)
	checkHealth(t, s.base, http.StatusServiceUnavailable, console.HealthView{Status: "draining", ARIConnected: true, Calls: 1})
	var queues struct{ Queues []console.QueueView }
	s.api.do(http.StatusOK, "GET", "/api/queues", wang, nil, &queues)
	if len(queues.Queues) != 1 || queues.Queues[0].Waiting != 1 {
		t.Errorf("GET /api/queues during the drain: %+v, want the caller still waiting", queues.Queues)
	}
	select {
	case err := <-s.done:
		s.stopped = true
		t.Fatalf("runServer returned (%v) with a call still up", err)
	default:
	}

	// The caller gives up: the drain ends, and HTTP with it.
	if err := caller.Hangup(); err != nil {
		t.Fatal(err)
	}
	if err := s.wait(t, ctx); err != nil {
		t.Fatalf("runServer after the drain: %v", err)
	}
	if resp, err := http.Get(s.base + "/healthz"); err == nil {
		resp.Body.Close()
		t.Error("the HTTP server still answers after the drain")
	}
}
