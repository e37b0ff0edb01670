package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// supportFlow sends every caller of 4008009999 straight to the support
// queue; %s is what the caller hears after the agent.
const supportFlow = `flow: support
numbers: ["4008009999"]
languages: [zh]
start: q
nodes:
  q:
    queue: {name: support, next: bye, on_fail: bye}
  bye:
    hangup: {%s}
`

// TestServeContactCentre runs the server as serve does (runServer, on a
// configuration with a queue, an agent and console users, the records in
// PostgreSQL) against the ARI emulator, and drives it only as people
// would: through the console's HTTP API, a caller dialling in and the
// agent's SIP phone. Every wait is on an event: a log line, the phone
// ringing, or the console's event stream.
func TestServeContactCentre(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	dbURL := pgtest.New(t)

	emu := startEmulator(t)
	phone := emu.AddEndpoint("PJSIP", "1001", aritest.ManualAnswer())

	flowDir := t.TempDir()
	flowFile := filepath.Join(flowDir, "support.yaml")
	write(t, flowFile, fmt.Sprintf(supportFlow, ""))

	cfg := config.Default()
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = emu.URL(), "hotline", "secret"
	cfg.Database.URL, cfg.Database.SpoolDir, cfg.Recordings.Storage = dbURL, t.TempDir(), t.TempDir()
	cfg.HTTP.ShutdownTimeout = 10 * time.Second
	support := config.DefaultQueue()
	support.Name, support.WrapUp = "support", time.Minute
	cfg.Queues = []config.Queue{support}
	cfg.Agents = []config.Agent{{ID: "1001", Name: "Li Na", Device: "PJSIP/1001", Skills: map[string]int{"zh": 8}}}
	cfg.Console.Users = []config.User{
		{Name: "li.na", Role: "agent", Agent: "1001", PasswordHash: quickHash(t, "pw-li")},
		{Name: "admin", Role: "admin", PasswordHash: quickHash(t, "pw-admin")},
	}
	cfg.Instance.Name = "test"

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	logs := newLogLines()
	defer func() {
		if t.Failed() {
			t.Logf("the server's log:\n%s", logs.String())
		}
	}()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- runServer(runCtx, &env{stdout: io.Discard, stderr: logs, getenv: func(string) string { return "" }},
			cfg, ln, dirFlows(flowDir), "mode", "test", nil)
	}()
	stopped := false
	defer func() {
		if !stopped {
			stop()
			<-done
		}
	}()
	logs.waitFor(t, ctx, `"msg":"ARI events connected"`)

	api := &apiClient{t: t, ctx: ctx, base: base}

	// The agent signs in, logs in and is made ready, all by the API.
	var signIn console.LoginResponse
	api.do(http.StatusUnauthorized, "POST", "/api/login", "", console.LoginRequest{User: "li.na", Password: "wrong"}, nil)
	api.do(http.StatusOK, "POST", "/api/login", "", console.LoginRequest{User: "li.na", Password: "pw-li"}, &signIn)
	agent := signIn.Token
	if signIn.Role != console.RoleAgent || signIn.Agent != "1001" {
		t.Fatalf("signed in as %+v, want agent 1001", signIn.Me)
	}
	stream := api.stream(agent)
	defer stream.close()
	var a console.AgentView
	api.do(http.StatusOK, "POST", "/api/agents/1001/login", agent, nil, &a)
	if a.State != queue.NotReady {
		t.Errorf("after login the agent is %s, want not_ready", a.State)
	}
	api.do(http.StatusOK, "POST", "/api/agents/1001/ready", agent, nil, &a)
	if a.State != queue.Ready {
		t.Errorf("after ready the agent is %s, want ready", a.State)
	}
	api.do(http.StatusForbidden, "POST", "/api/agents/1002/ready", agent, nil, nil)

	// A caller dials the hotline and reaches the queue: the agent's phone
	// rings, and the agent answers.
	rang := make(chan *aritest.Party, 1)
	go func() {
		if p, err := phone.NextCall(ctx); err == nil {
			rang <- p
		}
		close(rang)
	}()
	caller, err := emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008009999", Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	ring, ok := <-rang
	if !ok {
		t.Fatal("the agent's phone never rang")
	}
	if got := ring.Dialed(); got != "1001" {
		t.Errorf("rang %q, want the agent's device PJSIP/1001", got)
	}
	stream.until(func(v console.SnapshotView) bool { return agentState(v, "1001") == queue.Reserved })
	if err := ring.Answer(); err != nil {
		t.Fatal(err)
	}
	stream.until(func(v console.SnapshotView) bool { return agentState(v, "1001") == queue.OnCall })

	// The screen pop: the agent on call, with the caller and its path.
	api.do(http.StatusOK, "GET", "/api/agents/1001", agent, nil, &a)
	if a.State != queue.OnCall || a.CallID != caller.ID() || a.Queue != "support" {
		t.Errorf("GET /api/agents/1001: %s on %q in %q, want on_call on %q in support", a.State, a.CallID, a.Queue, caller.ID())
	}
	switch c := a.Call; {
	case c == nil:
		t.Error("GET /api/agents/1001 has no call for the screen pop")
	case c.CallID != caller.ID() || c.Caller != "13800138000" || c.Hotline != "4008009999" || c.Queue != "support" ||
		c.Agent != "1001" || c.Language != "zh" || !slices.Equal(c.Path, []string{"q"}) || c.Answered.IsZero():
		t.Errorf("screen pop %+v, want the caller 13800138000 of 4008009999 via [q] in support, answered by 1001", *c)
	}

	// The caller hangs up: the agent wraps up.
	if err := caller.Hangup(); err != nil {
		t.Fatal(err)
	}
	stream.until(func(v console.SnapshotView) bool { return agentState(v, "1001") == queue.WrapUp })
	// The agent gives the call its disposition and ends its wrap-up.
	var codes struct{ Dispositions []console.DispositionView }
	api.do(http.StatusOK, "GET", "/api/dispositions", agent, nil, &codes)
	if len(codes.Dispositions) != 17 || codes.Dispositions[1].Code != "network-setup" || codes.Dispositions[1].Zh != "网络连接设置" {
		t.Errorf("the disposition codes %+v, want the standard 17", codes.Dispositions)
	}
	api.do(http.StatusOK, "POST", "/api/agents/1001/disposition", agent, console.DispositionRequest{Code: "network-setup", Note: "router reset"}, nil)
	api.do(http.StatusOK, "POST", "/api/agents/1001/ready", agent, nil, nil)
	stream.until(func(v console.SnapshotView) bool { return agentState(v, "1001") == queue.Ready })
	var day console.AgentDayView
	api.do(http.StatusOK, "GET", "/api/agents/1001/today", agent, nil, &day)
	if day.From.IsZero() || day.To.Before(day.From) {
		t.Errorf("1001's day %+v", day)
	}

	// An administrator reloads the flows: a valid change is the flow's
	// next version; an invalid one is refused with where it is wrong, and
	// the version in use stays.
	var admin console.LoginResponse
	api.do(http.StatusOK, "POST", "/api/login", "", console.LoginRequest{User: "admin", Password: "pw-admin"}, &admin)
	api.do(http.StatusForbidden, "POST", "/api/admin/flows/reload", agent, nil, nil)
	write(t, flowFile, fmt.Sprintf(supportFlow, "prompts: [goodbye]"))
	var reload console.ReloadView
	api.do(http.StatusOK, "POST", "/api/admin/flows/reload", admin.Token, nil, &reload)
	if want := []console.FlowVersion{{Name: "support", Version: 2}}; !slices.Equal(reload.Loaded, want) {
		t.Errorf("reload loaded %+v, want %+v", reload.Loaded, want)
	}
	write(t, flowFile, strings.Replace(fmt.Sprintf(supportFlow, ""), "next: bye", "next: nowhere", 1))
	reload = console.ReloadView{}
	api.do(http.StatusUnprocessableEntity, "POST", "/api/admin/flows/reload", admin.Token, nil, &reload)
	if want := []console.FlowVersion{{Name: "support", Version: 2}}; !slices.Equal(reload.Kept, want) {
		t.Errorf("reload kept %+v, want %+v", reload.Kept, want)
	}
	if len(reload.Problems) == 0 || reload.Problems[0].File != flowFile || reload.Problems[0].Line != 7 ||
		!strings.Contains(reload.Problems[0].Message, "nowhere") {
		t.Errorf("reload problems %+v, want %s:7 about the node nowhere", reload.Problems, flowFile)
	}
	var flows struct{ Flows []console.FlowView }
	api.do(http.StatusOK, "GET", "/api/admin/flows", admin.Token, nil, &flows)
	if len(flows.Flows) != 1 || flows.Flows[0].Version != 2 {
		t.Errorf("active flows %+v, want support version 2", flows.Flows)
	}
	// The reports are served by the same router, behind sign-in.
	api.do(http.StatusUnauthorized, "GET", "/api/reports?from=2000-01-01&to=2100-01-01", "", nil, nil)
	api.do(http.StatusForbidden, "GET", "/api/reports?from=2000-01-01&to=2100-01-01", agent, nil, nil)
	api.do(http.StatusOK, "GET", "/api/reports?from=2000-01-01&to=2100-01-01", admin.Token, nil, nil)

	stop()
	select {
	case err := <-done:
		stopped = true
		if err != nil {
			t.Fatalf("runServer after the stop: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("runServer did not drain")
	}

	// What the agent did is in PostgreSQL, merged with the caller's
	// journey: its states, and the call's row naming it.
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT state FROM agent_state_changes WHERE agent_id = '1001' ORDER BY at, state`)
	if err != nil {
		t.Fatal(err)
	}
	states, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"not_ready", "ready", "ringing", "on_call", "wrap_up", "ready"}; !slices.Equal(states, want) {
		t.Errorf("agent 1001's recorded states %v, want %v", states, want)
	}
	// The wrap-up's end is the agent's going ready, as the state log has
	// it, and the call ended (the caller's hang-up) before it.
	var agentID, queueName, disposition, note string
	var wrapUpIsReady, endedBefore bool
	if err := conn.QueryRow(ctx, `SELECT coalesce(agent_id, ''), coalesce(queue, ''), coalesce(disposition, ''),
		coalesce(disposition_note, ''),
		wrap_up_ended_at = (SELECT max(at) FROM agent_state_changes WHERE agent_id = '1001' AND state = 'ready'),
		ended_at <= wrap_up_ended_at
		FROM calls WHERE id = $1`, caller.ID()).Scan(
		&agentID, &queueName, &disposition, &note, &wrapUpIsReady, &endedBefore); err != nil {
		t.Fatalf("the call's row: %v", err)
	}
	if agentID != "1001" || queueName != "support" || disposition != "network-setup" || note != "router reset" || !wrapUpIsReady || !endedBefore {
		t.Errorf("the call's row has agent %q, queue %q, disposition %q (%q), wrap-up ended when 1001 went ready %t, the call ended before %t; want 1001, support, network-setup (router reset), true, true",
			agentID, queueName, disposition, note, wrapUpIsReady, endedBefore)
	}
}

func agentState(v console.SnapshotView, id string) queue.AgentState {
	for _, a := range v.Agents {
		if a.ID == id {
			return a.State
		}
	}
	return queue.LoggedOut
}

// quickHash is a bcrypt hash at the lowest cost, to keep tests fast.
func quickHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// apiClient calls the server's HTTP API.
type apiClient struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// do sends a request with the bearer token (if any) and a JSON body (if
// any), checks the status and decodes the answer into out (if not nil).
func (c *apiClient) do(wantStatus int, method, path, token string, body, out any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(c.ctx, method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if resp.StatusCode != wantStatus {
		c.t.Fatalf("%s %s: got %d %s, want %d", method, path, resp.StatusCode, b, wantStatus)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

// eventStream is an open GET /api/stream.
type eventStream struct {
	t      *testing.T
	body   io.ReadCloser
	lines  *bufio.Scanner
	cancel context.CancelFunc
}

func (c *apiClient) stream(token string) *eventStream {
	c.t.Helper()
	ctx, cancel := context.WithCancel(c.ctx)
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/api/stream", nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		c.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		c.t.Fatalf("GET /api/stream: %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	return &eventStream{t: c.t, body: resp.Body, lines: sc, cancel: cancel}
}

// until reads snapshots until one satisfies cond. The request's context
// bounds the wait.
func (s *eventStream) until(cond func(console.SnapshotView) bool) console.SnapshotView {
	s.t.Helper()
	var last []byte
	for s.lines.Scan() {
		data, ok := strings.CutPrefix(s.lines.Text(), "data: ")
		if !ok {
			continue
		}
		last = []byte(data)
		var v console.SnapshotView
		if err := json.Unmarshal(last, &v); err != nil {
			s.t.Fatalf("stream: %v in %s", err, data)
		}
		if cond(v) {
			return v
		}
	}
	s.t.Fatalf("the stream ended (%v) before the state came; last snapshot %s", s.lines.Err(), last)
	return console.SnapshotView{}
}

func (s *eventStream) close() {
	s.cancel()
	s.body.Close()
}

// logLines is the server's log, kept for tests to wait on a line. Writes
// never block.
type logLines struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newLogLines() *logLines { return &logLines{changed: make(chan struct{})} }

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	close(l.changed)
	l.changed = make(chan struct{})
	return len(p), nil
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitFor waits until the log holds s.
func (l *logLines) waitFor(t *testing.T, ctx context.Context, s string) {
	t.Helper()
	l.waitForCount(t, ctx, s, 1)
}
