package aritest_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/CyCoreSystems/ari/v6/client/native"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/aritest/apidoc"
	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/jonboulle/clockwork"
)

// coverage remembers which operations and event types the suite drove, so
// TestMain can insist that every served route and every listed event was
// exercised and validated at least once.
var coverage = struct {
	sync.Mutex
	ops    map[string]bool
	events map[string]bool
}{ops: map[string]bool{}, events: map[string]bool{}}

// requiredEvents are the events the emulator promises (issue: foundation).
var requiredEvents = []string{
	"StasisStart", "StasisEnd", "ChannelCreated", "ChannelDestroyed", "ChannelStateChange",
	"ChannelDtmfReceived", "ChannelHangupRequest", "ChannelVarset", "ChannelEnteredBridge",
	"ChannelLeftBridge", "ChannelHold", "ChannelUnhold", "ChannelCallerId", "ChannelDialplan",
	"BridgeCreated", "BridgeDestroyed", "PlaybackStarted", "PlaybackContinuing", "PlaybackFinished",
	"RecordingStarted", "RecordingFinished", "RecordingFailed", "Dial", "ApplicationReplaced",
	"ApplicationMoveFailed", "EndpointStateChange",
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && !testing.Short() {
		if msg := coverageGaps(); msg != "" {
			fmt.Fprintln(os.Stderr, msg)
			code = 1
		}
	}
	os.Exit(code)
}

func coverageGaps() string {
	if _, found := apidoc.Find(); !found {
		return "" // no spec here: conformance was skipped
	}
	emu, err := aritest.New(aritest.Config{})
	if err != nil {
		return err.Error()
	}
	defer emu.Close()
	coverage.Lock()
	defer coverage.Unlock()
	var missing []string
	for _, r := range emu.Routes() {
		if !coverage.ops[r.Method+" "+r.Path] {
			missing = append(missing, "route "+r.Method+" "+r.Path)
		}
	}
	for _, e := range requiredEvents {
		if !coverage.events[e] {
			missing = append(missing, "event "+e)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	sort.Strings(missing)
	return "conformance coverage: never exercised:\n  " + strings.Join(missing, "\n  ")
}

// env is one emulator under test with its spec checks.
type env struct {
	t      *testing.T
	emu    *aritest.Server
	clk    *clockwork.FakeClock
	doc    *apidoc.Doc // Asterisk's
	own    *apidoc.Doc // the emulator's own api-docs
	srv    *httptest.Server
	sounds string
	url    string // http://127.0.0.1:N/ari
}

const (
	testUser = "hotline"
	testPass = "secret"
)

// start is when every test's fake clock begins.
var start = time.Date(2026, 11, 22, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

// newEnv starts an emulator with a fake clock, generated prompts, and
// every response and event checked against Asterisk's API description.
func newEnv(t *testing.T, mutate ...func(*aritest.Config)) *env {
	t.Helper()
	doc := apidoc.LoadForTest(t)
	e := &env{t: t, clk: clockwork.NewFakeClockAt(start), doc: doc, own: ownDoc(t), sounds: t.TempDir()}
	writeSounds(t, e.sounds)
	cfg := aritest.Config{
		Clock: e.clk, SoundsDir: e.sounds, RecordingsDir: t.TempDir(),
		Username: testUser, Password: testPass, EntityID: "02:42:ac:11:00:02",
		OnEvent: func(msg []byte) { e.checkEvent(msg) },
		Logger:  slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	emu, err := aritest.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.emu = emu
	e.srv = httptest.NewServer(e.conformance(emu))
	e.url = e.srv.URL + "/ari"
	t.Cleanup(func() {
		e.srv.CloseClientConnections()
		e.srv.Close()
		if err := emu.Close(); err != nil {
			t.Errorf("closing emulator: %v", err)
		}
	})
	return e
}

// soundLengths are the generated prompts and their lengths.
var soundLengths = map[string]time.Duration{
	"hello-world": time.Second, "en/hello-world": time.Second, "zh/hello-world": 1500 * time.Millisecond,
	"welcome": 2 * time.Second, "beep": 250 * time.Millisecond, "letters/a": 300 * time.Millisecond,
	"digits/hundred": 400 * time.Millisecond, "digits/thousand": 400 * time.Millisecond,
	"digits/20": 300 * time.Millisecond, "digits/star": 300 * time.Millisecond,
}

func writeSounds(t *testing.T, dir string) {
	t.Helper()
	lengths := map[string]time.Duration{}
	for k, v := range soundLengths {
		lengths[k] = v
	}
	for d := 0; d <= 19; d++ {
		lengths[fmt.Sprintf("digits/%d", d)] = 300 * time.Millisecond
	}
	for name, d := range lengths {
		path := filepath.Join(dir, filepath.FromSlash(name)+".wav")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := media.WriteWAVFile(path, media.Tone(d, 0.3, 300)); err != nil {
			t.Fatal(err)
		}
	}
}

// conformance validates every REST exchange against the spec: the route
// exists, every parameter the client sent is declared, and the response
// has the declared shape and an allowed status. A successful answer must
// also fit the emulator's own api-docs.
func (e *env) conformance(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, "/ari")
		if strings.HasPrefix(path, "/api-docs/") || strings.HasPrefix(r.URL.Path, "/aritest/") {
			// Not operations of the API: the description itself
			// (apidocs_test.go) and the emulator's control API.
			h.ServeHTTP(w, r)
			return
		}
		if path == "/events" {
			coverage.Lock()
			coverage.ops["GET /events"] = true
			coverage.Unlock()
			h.ServeHTTP(w, r)
			return
		}
		var reqBody []byte
		if r.Body != nil {
			reqBody, _ = readAll(r)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())

		op, _, err := e.doc.Match(r.Method, r.URL.EscapedPath()[len("/ari"):])
		if err != nil {
			if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
				e.t.Errorf("%s %s: not in Asterisk's API (%v) but answered %d", r.Method, path, err, rec.Code)
			}
			return
		}
		var names []string
		for k := range r.URL.Query() {
			if k != "api_key" {
				names = append(names, k)
			}
		}
		if len(bytes.TrimSpace(reqBody)) > 0 {
			var body map[string]json.RawMessage
			if json.Unmarshal(reqBody, &body) == nil {
				for k := range body {
					names = append(names, k)
				}
			}
		}
		if err := e.doc.CheckParams(op, names); err != nil {
			e.t.Errorf("%s %s: client sent undeclared parameters: %v", r.Method, path, err)
		}
		if rec.Code == http.StatusUnauthorized {
			return
		}
		if err := e.doc.ValidateResponse(op, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes()); err != nil && !undeclaredButReal(op, rec.Code) {
			e.t.Errorf("%s %s -> %d %s: response does not conform: %v", r.Method, path, rec.Code, rec.Body.String(), err)
		}
		if rec.Code >= 200 && rec.Code < 300 {
			own, _, err := e.own.Match(r.Method, r.URL.EscapedPath()[len("/ari"):])
			if err != nil {
				e.t.Errorf("%s %s answered %d but is not in the emulator's own api-docs: %v", r.Method, path, rec.Code, err)
			} else if err := e.own.ValidateResponse(own, rec.Code, rec.Header().Get("Content-Type"), rec.Body.Bytes()); err != nil {
				e.t.Errorf("%s %s -> %d %s: does not fit the emulator's own api-docs: %v", r.Method, path, rec.Code, rec.Body.String(), err)
			}
		}
		coverage.Lock()
		coverage.ops[op.Method+" "+op.Path] = true
		coverage.Unlock()
	})
}

// undeclaredButReal allows the error statuses that res_ari really answers
// with although its API description does not declare them (the generated
// handlers check declared codes only in developer-mode builds).
func undeclaredButReal(op *apidoc.Operation, status int) bool {
	switch op.Method + " " + op.Path {
	case "GET /sounds", "GET /sounds/{soundId}":
		// resource_sounds.c: "No sounds found that matched the query",
		// "Sound not found".
		return status == http.StatusNotFound
	}
	return false
}

func readAll(r *http.Request) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r.Body)
	r.Body.Close()
	r.Body = ioNopCloser(bytes.NewReader(b.Bytes()))
	return b.Bytes(), err
}

func (e *env) checkEvent(msg []byte) {
	if err := e.doc.ValidateEvent(msg); err != nil {
		e.t.Errorf("event does not conform: %v\n%s", err, msg)
	}
	if err := e.own.ValidateEvent(msg); err != nil {
		e.t.Errorf("event does not fit the emulator's own api-docs: %v\n%s", err, msg)
	}
	var head struct {
		Type       string `json:"type"`
		AsteriskID string `json:"asterisk_id"`
	}
	_ = json.Unmarshal(msg, &head)
	if head.AsteriskID != "02:42:ac:11:00:02" {
		e.t.Errorf("event %s: asterisk_id %q, want the entity id", head.Type, head.AsteriskID)
	}
	coverage.Lock()
	coverage.events[head.Type] = true
	coverage.Unlock()
}

// client connects the ari/v6 library to the emulator for app.
func (e *env) client(app string) ari.Client {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cl, err := native.ConnectWithContext(ctx, &native.Options{
		Application:  app,
		URL:          e.url,
		WebsocketURL: "ws" + strings.TrimPrefix(e.url, "http") + "/events",
		Username:     testUser,
		Password:     testPass,
	})
	if err != nil {
		cancel()
		e.t.Fatalf("connecting ari client: %v", err)
	}
	// Cancelling the context ends the client. Its Close is not called:
	// ari/v6's Close writes the connected flag that its listen loop also
	// writes, a data race of the library's own (ari.md).
	e.t.Cleanup(cancel)
	return cl
}

// watch subscribes to every event of a client, in order. ari/v6's bus
// drops an event when a subscription has 100 unread (it never blocks), so
// a goroutine moves them at once into a queue of the test's own, which
// keeps them all however long the test takes between two reads.
func watch(t *testing.T, cl ari.Client) *events {
	sub := cl.Bus().Subscribe(nil, ari.Events.All)
	ev := &events{t: t, sub: sub, ch: make(chan ari.Event)}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var queue []ari.Event
		for {
			var out chan ari.Event
			var first ari.Event
			if len(queue) > 0 {
				out, first = ev.ch, queue[0]
			}
			select {
			case e := <-sub.Events():
				queue = append(queue, e)
			case out <- first:
				queue = queue[1:]
			case <-stop:
				return
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
		sub.Cancel()
	})
	return ev
}

type events struct {
	t   *testing.T
	sub ari.Subscription
	ch  chan ari.Event // the subscription's events, none dropped
}

// next waits for the next event of the given type matching pred (nil:
// any) and returns it, skipping others.
func (ev *events) next(typ string, pred func(ari.Event) bool) ari.Event {
	ev.t.Helper()
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	var seen []string
	for {
		select {
		case e := <-ev.ch:
			seen = append(seen, e.GetType())
			if (typ == "*" || e.GetType() == typ) && (pred == nil || pred(e)) {
				return e
			}
		case <-timeout.C:
			ev.t.Fatalf("no %s event; saw %v", typ, seen)
			return nil
		}
	}
}

// sequence waits for exactly these event types next, in order.
func (ev *events) sequence(types ...string) []ari.Event {
	ev.t.Helper()
	var out []ari.Event
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for _, want := range types {
		select {
		case e := <-ev.ch:
			if e.GetType() != want {
				ev.t.Fatalf("event %d: got %s, want %s (sequence %v)", len(out), e.GetType(), want, types)
			}
			out = append(out, e)
		case <-timeout.C:
			ev.t.Fatalf("waiting for %s (sequence %v)", want, types)
		}
	}
	return out
}

// rest calls the ARI directly (for what the Go client cannot do).
func (e *env) rest(method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.SetBasicAuth(testUser, testPass)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.Bytes()
}

// mustRest calls the ARI and insists on a status.
func (e *env) mustRest(method, path string, body any, want int) []byte {
	e.t.Helper()
	got, b := e.rest(method, path, body)
	if got != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, want, b)
	}
	return b
}

// advance moves the fake clock and lets the emulator's scheduler run the
// work that came due before returning.
func (e *env) advance(d time.Duration) {
	e.t.Helper()
	e.clk.Advance(d)
	e.emu.Sync()
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func ioNopCloser(r *bytes.Reader) nopCloser { return nopCloser{r} }

// tWriter sends the emulator's warnings to the test log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func basic(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

func callTo(number string) aritest.Call { return aritest.Call{From: "13800138000", To: number} }

// TestRoutesExistInSpec: every route the emulator serves is an operation
// of Asterisk's API description with the same method, and every parameter
// its handler may read is declared there.
func TestRoutesExistInSpec(t *testing.T) {
	doc := apidoc.LoadForTest(t)
	emu, err := aritest.New(aritest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	routes := emu.Routes()
	served := map[string]bool{}
	for _, r := range routes {
		served[r.Method+" "+r.Path] = true
	}
	for _, want := range requiredRoutes {
		if !served[want] {
			t.Errorf("%s is required (issue: foundation) but not served", want)
		}
	}
	for _, r := range routes {
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			op, _, err := doc.Match(r.Method, r.Path)
			if err != nil {
				t.Fatalf("not in Asterisk's API: %v", err)
			}
			if op.Path != r.Path || op.Method != r.Method {
				t.Errorf("matched %s %s, want the same template", op.Method, op.Path)
			}
			if err := doc.CheckParams(op, r.Params); err != nil {
				t.Errorf("reads parameters Asterisk does not declare: %v", err)
			}
		})
	}
}

// requiredRoutes are the operations the emulator promises.
var requiredRoutes = []string{
	"GET /asterisk/info",
	"GET /applications", "GET /applications/{applicationName}",
	"POST /applications/{applicationName}/subscription", "DELETE /applications/{applicationName}/subscription",
	"GET /channels", "POST /channels", "POST /channels/{channelId}", "POST /channels/create",
	"POST /channels/{channelId}/dial", "GET /channels/{channelId}", "DELETE /channels/{channelId}",
	"POST /channels/{channelId}/answer", "POST /channels/{channelId}/ring", "DELETE /channels/{channelId}/ring",
	"POST /channels/{channelId}/play", "POST /channels/{channelId}/play/{playbackId}",
	"POST /channels/{channelId}/record", "POST /channels/{channelId}/dtmf",
	"POST /channels/{channelId}/hold", "DELETE /channels/{channelId}/hold",
	"POST /channels/{channelId}/moh", "DELETE /channels/{channelId}/moh",
	"POST /channels/{channelId}/silence", "DELETE /channels/{channelId}/silence",
	"POST /channels/{channelId}/mute", "DELETE /channels/{channelId}/mute",
	"GET /channels/{channelId}/variable", "POST /channels/{channelId}/variable",
	"POST /channels/{channelId}/snoop", "POST /channels/{channelId}/snoop/{snoopId}",
	"POST /channels/externalMedia", "POST /channels/{channelId}/continue", "POST /channels/{channelId}/move",
	"GET /bridges", "POST /bridges", "POST /bridges/{bridgeId}", "GET /bridges/{bridgeId}", "DELETE /bridges/{bridgeId}",
	"POST /bridges/{bridgeId}/addChannel", "POST /bridges/{bridgeId}/removeChannel",
	"POST /bridges/{bridgeId}/play", "POST /bridges/{bridgeId}/play/{playbackId}", "POST /bridges/{bridgeId}/record",
	"POST /bridges/{bridgeId}/moh", "DELETE /bridges/{bridgeId}/moh",
	"GET /playbacks/{playbackId}", "DELETE /playbacks/{playbackId}", "POST /playbacks/{playbackId}/control",
	"GET /recordings/live/{recordingName}", "DELETE /recordings/live/{recordingName}",
	"POST /recordings/live/{recordingName}/stop", "POST /recordings/live/{recordingName}/pause",
	"DELETE /recordings/live/{recordingName}/pause", "POST /recordings/live/{recordingName}/mute",
	"DELETE /recordings/live/{recordingName}/mute",
	"GET /recordings/stored", "GET /recordings/stored/{recordingName}", "DELETE /recordings/stored/{recordingName}",
	"GET /recordings/stored/{recordingName}/file", "POST /recordings/stored/{recordingName}/copy",
	"GET /endpoints", "GET /endpoints/{tech}", "GET /endpoints/{tech}/{resource}",
	"GET /sounds", "GET /sounds/{soundId}",
}
