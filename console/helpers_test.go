package console_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"golang.org/x/crypto/bcrypt"

	"github.com/hotline-ivr/hotline/console"
)

// The test users; each one's password is its name + "-pw".
var testUsers = []struct {
	name   string
	role   console.Role
	agent  string
	device string
}{
	{"lilei", console.RoleAgent, "1001", ""},
	{"hanmei", console.RoleAgent, "1002", ""},
	{"wang", console.RoleSupervisor, "", "PJSIP/2001"},
	{"zhou", console.RoleSupervisor, "", ""}, // no phone to listen from
	{"boss", console.RoleManager, "", ""},
	{"qiu", console.RoleQA, "", ""},
	{"root", console.RoleAdmin, "", "PJSIP/2009"},
}

// hashes are the test users' password hashes, at bcrypt's lowest cost so
// that the many sign-ins of the tests stay quick under -race.
var hashes = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	for _, u := range testUsers {
		h, err := bcrypt.GenerateFromPassword([]byte(u.name+"-pw"), bcrypt.MinCost)
		if err != nil {
			panic(err)
		}
		out[u.name] = string(h)
	}
	return out
})

func users() []console.User {
	var out []console.User
	for _, u := range testUsers {
		out = append(out, console.User{Name: u.name, Role: u.role, Agent: u.agent, Device: u.device, PasswordHash: hashes()[u.name]})
	}
	return out
}

// start is the time of every test's fake clock.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// env is a console served over real HTTP, on a real queue center.
type env struct {
	t     *testing.T
	clock *clockwork.FakeClock
	acd   *centerACD
	srv   *console.Server
	ts    *httptest.Server
	logs  *syncBuffer
}

// newEnv starts a console; edit changes its config before New.
func newEnv(t *testing.T, edit ...func(*console.Config)) *env {
	t.Helper()
	e := &env{t: t, clock: clockwork.NewFakeClockAt(start), logs: &syncBuffer{}}
	e.acd = newCenterACD(t, e.clock)
	cfg := console.Config{
		Users:  users(),
		ACD:    e.acd,
		Clock:  e.clock,
		Logger: slog.New(slog.NewTextHandler(e.logs, nil)),
	}
	for _, f := range edit {
		f(&cfg)
	}
	srv, err := console.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	// Every exchange is checked against the OpenAPI document (openapi_test.go).
	e.ts = httptest.NewServer(validated(t, srv))
	// Cleanups run last first: close the streams, then the server, which
	// waits for its handlers.
	t.Cleanup(e.ts.Close)
	t.Cleanup(srv.Close)
	return e
}

// response is an answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// errorMessage is the answer's {"error": ...}.
func (r response) errorMessage(t *testing.T) string {
	t.Helper()
	var e struct{ Error string }
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	return e.Error
}

// do sends a request with token as its bearer token ("" for none) and body
// as its JSON body ("" for none).
func (e *env) do(method, path, token, body string, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// must sends a request that must answer want, and decodes its body into out
// (when not nil).
func (e *env) must(want int, method, path, token, body string, out any) response {
	e.t.Helper()
	r := e.do(method, path, token, body)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, want, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			e.t.Fatalf("%s %s: decode %s: %v", method, path, r.body, err)
		}
	}
	return r
}

// login signs a test user in and returns its token.
func (e *env) login(name string) string {
	e.t.Helper()
	var lr console.LoginResponse
	e.must(http.StatusOK, "POST", "/api/login", "", `{"user":"`+name+`","password":"`+name+`-pw"}`, &lr)
	return lr.Token
}

// stream is an open GET /api/stream.
type stream struct {
	t    *testing.T
	body io.ReadCloser
	rd   *bufio.Reader
	stop context.CancelFunc
}

// event is one server-sent event, or a comment.
type event struct {
	name, data, comment string
}

// openStream opens the event stream as token's user. The deadline guards a
// broken server from hanging the test; nothing waits for it.
func (e *env) openStream(token string) *stream {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	req, err := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/api/stream", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		e.t.Fatalf("stream: status %d: %s", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		e.t.Errorf("stream Content-Type = %q, want text/event-stream", ct)
	}
	s := &stream{t: e.t, body: resp.Body, rd: bufio.NewReader(resp.Body), stop: cancel}
	e.t.Cleanup(s.close)
	return s
}

func (s *stream) close() {
	s.stop()
	s.body.Close()
}

// next reads the next event or comment.
func (s *stream) next() event {
	s.t.Helper()
	var ev event
	for {
		line, err := s.rd.ReadString('\n')
		if err != nil {
			s.t.Fatalf("stream: %v (read so far %+v)", err, ev)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			return ev
		case strings.HasPrefix(line, ":"):
			ev.comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "event: "):
			ev.name = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			ev.data += line[len("data: "):]
		default:
			s.t.Fatalf("stream: unexpected line %q", line)
		}
	}
}

// snapshot reads the next event, which must be a snapshot.
func (s *stream) snapshot() console.SnapshotView {
	s.t.Helper()
	ev := s.next()
	if ev.name != "snapshot" {
		s.t.Fatalf("stream: got %+v, want a snapshot event", ev)
	}
	var v console.SnapshotView
	if err := json.Unmarshal([]byte(ev.data), &v); err != nil {
		s.t.Fatalf("stream: snapshot %s: %v", ev.data, err)
	}
	return v
}

// syncBuffer is a bytes.Buffer for a logger that handlers write to
// concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// agentIDs lists the agents' IDs.
func agentIDs(as []console.AgentView) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}
