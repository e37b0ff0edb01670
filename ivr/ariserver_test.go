package ivr

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/coder/websocket"
)

// guard bounds every wait in these tests so that a bug fails the test
// instead of hanging it. It is never slept on.
const guard = 10 * time.Second

// script says what the fake ARI does with one connection attempt.
type script struct {
	status int           // non-zero: refuse the handshake with this HTTP status
	events []string      // sent in order once the websocket is open
	until  chan struct{} // nil: close right after the events; else hold the socket open until it closes
	deaf   bool          // never read the socket, so pings go unanswered
	// closed, when set, gets the error that ended the server's reading of
	// the socket (a close frame's status is in it).
	closed chan error
}

// attempt is what the fake ARI saw of one connection attempt.
type attempt struct {
	path, query string
	authorized  bool
}

// ariServer is an httptest.Server that speaks the events websocket of ARI and
// nothing else. Attempts take the next queued script, or get 503 when none is
// queued.
type ariServer struct {
	*httptest.Server
	user, pass string
	scripts    chan script
	attempts   chan attempt
	quit       chan struct{}
	quitOnce   sync.Once
}

func newARIServer(t *testing.T) *ariServer {
	t.Helper()
	s := &ariServer{
		user:     "hotline",
		pass:     "secret",
		scripts:  make(chan script, 16),
		attempts: make(chan attempt, 64),
		quit:     make(chan struct{}),
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.shutdown)
	return s
}

// shutdown releases the sockets the server holds open, then closes it.
func (s *ariServer) shutdown() {
	s.quitOnce.Do(func() { close(s.quit) })
	s.Close()
}

func (s *ariServer) serve(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	authorized := ok && user == s.user && pass == s.pass
	s.attempts <- attempt{path: r.URL.Path, query: r.URL.RawQuery, authorized: authorized}
	if !authorized {
		http.Error(w, `{"message":"Authentication required"}`, http.StatusUnauthorized)
		return
	}
	var sc script
	select {
	case sc = <-s.scripts:
	default:
		sc = script{status: http.StatusServiceUnavailable}
	}
	if sc.status != 0 {
		http.Error(w, http.StatusText(sc.status), sc.status)
		return
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	ctx := r.Context()
	if sc.closed != nil {
		go func() {
			for {
				if _, _, err := ws.Read(r.Context()); err != nil {
					sc.closed <- err
					return
				}
			}
		}()
	} else if !sc.deaf {
		ctx = ws.CloseRead(ctx) // answers pings; ends when the client closes
	}
	for _, ev := range sc.events {
		if err := ws.Write(ctx, websocket.MessageText, []byte(ev)); err != nil {
			return
		}
	}
	if sc.until == nil {
		ws.Close(websocket.StatusNormalClosure, "")
		return
	}
	select {
	case <-sc.until:
		ws.Close(websocket.StatusGoingAway, "asterisk shutting down")
	case <-ctx.Done():
	case <-s.quit:
	}
}

func (s *ariServer) config() ConnConfig {
	return ConnConfig{
		URL:         s.URL + "/ari",
		Username:    s.user,
		Password:    s.pass,
		Application: "hotline",
		MinBackoff:  time.Second,
		MaxBackoff:  8 * time.Second,
	}
}

// nextAttempt waits for the next connection attempt the server sees.
func (s *ariServer) nextAttempt(t *testing.T) attempt {
	t.Helper()
	select {
	case a := <-s.attempts:
		return a
	case <-time.After(guard):
		t.Fatal("no connection attempt reached the fake ARI")
		return attempt{}
	}
}

// ariEvent renders an ARI event as Asterisk sends it.
func ariEvent(typ, channel string, extra map[string]any) string {
	m := map[string]any{
		"type":        typ,
		"application": "hotline",
		"timestamp":   "2025-01-02T03:04:05.000+0000",
		"asterisk_id": "00:11:22:33:44:55",
		"channel": map[string]any{
			"id": channel, "name": "PJSIP/" + channel, "state": "Up",
			"caller":       map[string]any{"name": "", "number": "13800138000"},
			"connected":    map[string]any{"name": "", "number": ""},
			"accountcode":  "",
			"dialplan":     map[string]any{"context": "default", "exten": "4008001234", "priority": 1},
			"creationtime": "2025-01-02T03:04:05.000+0000",
			"language":     "en",
		},
	}
	for k, v := range extra {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// recorder is a Handler that writes what it is told to a channel, one line
// per call, so tests can check the order.
type recorder struct {
	conn  *Conn
	calls chan string
	errs  chan error

	mu         sync.Mutex
	failFirstN int // Connected fails this many times
	connects   int
}

func newRecorder(c *Conn) *recorder {
	return &recorder{conn: c, calls: make(chan string, 256), errs: make(chan error, 64)}
}

func (r *recorder) Connected(ctx context.Context) error {
	r.mu.Lock()
	r.connects++
	fail := r.connects <= r.failFirstN
	r.mu.Unlock()
	r.calls <- fmt.Sprintf("connected up=%t", r.conn.Connected())
	if fail {
		return fmt.Errorf("listing channels: %w", http.ErrHandlerTimeout)
	}
	return nil
}

func (r *recorder) Event(ctx context.Context, ev ari.Event) {
	id := ""
	switch e := ev.(type) {
	case *ari.StasisStart:
		id = e.Channel.ID
	case *ari.StasisEnd:
		id = e.Channel.ID
	case *ari.ChannelDtmfReceived:
		id = e.Channel.ID + "/" + e.Digit
	case *ari.ChannelVarset:
		id = fmt.Sprintf("%s %s=%d bytes", e.Channel.ID, e.Variable, len(e.Value))
	}
	r.calls <- fmt.Sprintf("%s %s up=%t", ev.GetType(), id, r.conn.Connected())
}

func (r *recorder) Disconnected(err error) {
	r.errs <- err
	r.calls <- fmt.Sprintf("disconnected up=%t", r.conn.Connected())
}

// expect reads the next calls and compares them with want.
func (r *recorder) expect(t *testing.T, want ...string) {
	t.Helper()
	for i, w := range want {
		select {
		case got := <-r.calls:
			if got != w {
				t.Fatalf("handler call %d: got %q, want %q", i, got, w)
			}
		case <-time.After(guard):
			t.Fatalf("handler call %d: got nothing, want %q", i, w)
		}
	}
}

// lastErr returns the error of the next Disconnected call.
func (r *recorder) lastErr(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.errs:
		return err
	case <-time.After(guard):
		t.Fatal("Disconnected was not called")
		return nil
	}
}

// run starts c.Run in a goroutine that the returned stop function (also
// registered as cleanup) cancels and waits for, returning Run's error.
func run(t *testing.T, c *Conn, h Handler) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, h) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(guard):
				t.Fatal("Run did not return after its context was cancelled")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

// logSink is a slog.Handler that keeps records for inspection.
type logSink struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (l *logSink) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logSink) WithGroup(string) slog.Handler            { return l }
func (l *logSink) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}

// retries returns the retry_in of every "retrying" record, in order.
func (l *logSink) retries() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []time.Duration
	for _, r := range l.records {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "retry_in" {
				out = append(out, a.Value.Duration())
			}
			return true
		})
	}
	return out
}

// messages returns the messages logged at level or above that contain substr.
func (l *logSink) messages(level slog.Level, substr string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.records {
		if r.Level >= level && strings.Contains(r.Message, substr) {
			out = append(out, r.Message)
		}
	}
	return out
}
