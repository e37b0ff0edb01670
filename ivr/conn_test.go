package ivr

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/coder/websocket"
	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"
)

func TestConnDeliversEventsInOrderAndReconnects(t *testing.T) {
	srv := newARIServer(t)
	srv.scripts <- script{events: []string{
		ariEvent("StasisStart", "c1", map[string]any{"args": []string{"4008001234"}}),
		ariEvent("ChannelDtmfReceived", "c1", map[string]any{"digit": "1", "duration_ms": 100}),
		ariEvent("ChannelDtmfReceived", "c1", map[string]any{"digit": "#", "duration_ms": 100}),
		ariEvent("StasisEnd", "c1", nil),
	}}
	hold := make(chan struct{})
	srv.scripts <- script{events: []string{ariEvent("StasisStart", "c2", nil)}, until: hold}

	fc := clockwork.NewFakeClock()
	cfg := srv.config()
	cfg.Clock = fc
	c := NewConn(cfg)
	rec := newRecorder(c)
	stop := run(t, c, rec)

	a := srv.nextAttempt(t)
	if a.path != "/ari/events" || a.query != "app=hotline&subscribeAll=false" || !a.authorized {
		t.Fatalf("events request: got path %q query %q authorized %t, want /ari/events app=hotline&subscribeAll=false true",
			a.path, a.query, a.authorized)
	}
	rec.expect(t,
		"connected up=false",
		"StasisStart c1 up=true",
		"ChannelDtmfReceived c1/1 up=true",
		"ChannelDtmfReceived c1/# up=true",
		"StasisEnd c1 up=true",
		"disconnected up=false",
	)
	if err := rec.lastErr(t); !errors.Is(err, ErrConnectionLost) {
		t.Fatalf("Disconnected after the server closed: got %v, want ErrConnectionLost", err)
	}

	// The reconnect waits for the backoff, then rebuilds before events flow.
	if err := fc.BlockUntilContext(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	fc.Advance(cfg.MinBackoff)
	srv.nextAttempt(t)
	rec.expect(t, "connected up=false", "StasisStart c2 up=true")
	if !c.Connected() {
		t.Fatal("Connected() = false while the second connection is up")
	}

	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel: got %v, want context.Canceled", err)
	}
	rec.expect(t, "disconnected up=false")
	if err := rec.lastErr(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("Disconnected on stop: got %v, want it to wrap context.Canceled", err)
	}
	if c.Connected() {
		t.Fatal("Connected() = true after Run returned")
	}
}

func TestConnBackoffGrowsBetweenFailedDials(t *testing.T) {
	srv := newARIServer(t) // no scripts queued: every attempt gets 503
	fc := clockwork.NewFakeClock()
	logs := &logSink{}
	cfg := srv.config()
	cfg.Clock, cfg.Logger = fc, slog.New(logs)
	c := NewConn(cfg)
	c.jitter = func() float64 { return 0.5 }
	rec := newRecorder(c)
	run(t, c, rec)

	// MinBackoff 1s, MaxBackoff 8s, jitter in the middle of the upper half.
	wants := []time.Duration{
		time.Second, 1500 * time.Millisecond, 3 * time.Second, 6 * time.Second, 6 * time.Second,
	}
	for i, want := range wants {
		srv.nextAttempt(t)
		rec.expect(t, "disconnected up=false")
		if err := rec.lastErr(t); !errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), "503") {
			t.Fatalf("attempt %d: got %v, want ErrHandshake with 503", i+1, err)
		}
		if err := fc.BlockUntilContext(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		retries := logs.retries()
		if len(retries) != i+1 || retries[i] != want {
			t.Fatalf("after failure %d: logged waits %v, want the last to be %v", i+1, retries, want)
		}
		fc.Advance(want - time.Millisecond)
		if err := fc.BlockUntilContext(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		select {
		case <-srv.attempts:
			t.Fatalf("after failure %d: redialled before the %v backoff ended", i+1, want)
		default:
		}
		fc.Advance(time.Millisecond)
	}
}

func TestConnResetsBackoffAfterConnectionStayedUp(t *testing.T) {
	tests := []struct {
		name string
		upFor,
		want time.Duration
	}{
		// Two failures came before: 1s, 1.5s; the third would be 3s.
		{name: "stayed up for MaxBackoff", upFor: 8 * time.Second, want: time.Second},
		{name: "dropped early", upFor: 8*time.Second - time.Millisecond, want: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newARIServer(t)
			fc := clockwork.NewFakeClock()
			logs := &logSink{}
			cfg := srv.config()
			cfg.Clock, cfg.Logger = fc, slog.New(logs)
			c := NewConn(cfg)
			c.jitter = func() float64 { return 0.5 }
			rec := newRecorder(c)
			run(t, c, rec)

			// Two failed dials (503), then a connection that stays up for
			// upFor before Asterisk closes it.
			rec.expect(t, "disconnected up=false")
			if err := fc.BlockUntilContext(t.Context(), 1); err != nil {
				t.Fatal(err)
			}
			fc.Advance(time.Second)
			rec.expect(t, "disconnected up=false")
			if err := fc.BlockUntilContext(t.Context(), 1); err != nil {
				t.Fatal(err)
			}
			hold := make(chan struct{})
			srv.scripts <- script{until: hold}
			fc.Advance(1500 * time.Millisecond)
			rec.expect(t, "connected up=false")
			fc.Advance(tt.upFor)
			close(hold)
			rec.expect(t, "disconnected up=false")
			if err := fc.BlockUntilContext(t.Context(), 1); err != nil {
				t.Fatal(err)
			}
			retries := logs.retries()
			if got := retries[len(retries)-1]; got != tt.want {
				t.Fatalf("wait after a connection up for %v: got %v, want %v", tt.upFor, got, tt.want)
			}
		})
	}
}

func TestConnDropsSocketThatStopsAnsweringPings(t *testing.T) {
	srv := newARIServer(t)
	srv.scripts <- script{deaf: true, until: make(chan struct{})}
	fc := clockwork.NewFakeClock()
	cfg := srv.config()
	cfg.Clock = fc
	c := NewConn(cfg)
	c.pingInterval, c.pingTimeout = 20*time.Second, 5*time.Second
	rec := newRecorder(c)
	run(t, c, rec)

	rec.expect(t, "connected up=false")
	if err := fc.BlockUntilContext(t.Context(), 1); err != nil { // the ping ticker
		t.Fatal(err)
	}
	fc.Advance(20 * time.Second)
	if err := fc.BlockUntilContext(t.Context(), 2); err != nil { // ticker + the ping's deadline
		t.Fatal(err)
	}
	fc.Advance(5 * time.Second)
	rec.expect(t, "disconnected up=false")
	err := rec.lastErr(t)
	if !errors.Is(err, ErrConnectionLost) || !strings.Contains(err.Error(), "no answer to a ping within 5s") {
		t.Fatalf("got %v, want ErrConnectionLost for the unanswered ping", err)
	}
}

func TestConnReportsDialFailures(t *testing.T) {
	gone := httptest.NewServer(nil)
	gone.Close()

	tests := []struct {
		name     string
		setup    func(*ariServer, *ConnConfig)
		wantErr  error
		wantText string
	}{
		{
			name:     "wrong password",
			setup:    func(_ *ariServer, cfg *ConnConfig) { cfg.Password = "wrong" },
			wantErr:  ErrUnauthorized,
			wantText: `ARI refused the username or password: ` + "%URL%" + `/ari/events answered 401 Unauthorized for user "hotline"`,
		},
		{
			name:     "not an ARI URL",
			setup:    func(s *ariServer, _ *ConnConfig) { s.scripts <- script{status: 404} },
			wantErr:  ErrHandshake,
			wantText: "answered 404 Not Found (check the URL ends in /ari and that res_ari is loaded)",
		},
		{
			name:     "nothing listening",
			setup:    func(_ *ariServer, cfg *ConnConfig) { cfg.URL = gone.URL + "/ari" },
			wantErr:  ErrUnreachable,
			wantText: "cannot reach ARI at " + gone.URL + "/ari/events: dial tcp " + strings.TrimPrefix(gone.URL, "http://") + ": connect: connection refused",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newARIServer(t)
			cfg := srv.config()
			cfg.Clock = clockwork.NewFakeClock()
			tt.setup(srv, &cfg)
			c := NewConn(cfg)
			rec := newRecorder(c)
			run(t, c, rec)

			rec.expect(t, "disconnected up=false") // and Connected was never called
			err := rec.lastErr(t)
			want := strings.ReplaceAll(tt.wantText, "%URL%", srv.URL)
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), want) {
				t.Fatalf("got %q, want %v containing %q", err, tt.wantErr, want)
			}
		})
	}
}

func TestConnConnectedErrorDropsConnection(t *testing.T) {
	srv := newARIServer(t)
	hold1, hold2 := make(chan struct{}), make(chan struct{})
	defer close(hold1)
	defer close(hold2)
	srv.scripts <- script{events: []string{ariEvent("StasisStart", "c1", nil)}, until: hold1}
	srv.scripts <- script{events: []string{ariEvent("StasisStart", "c2", nil)}, until: hold2}
	fc := clockwork.NewFakeClock()
	cfg := srv.config()
	cfg.Clock = fc
	c := NewConn(cfg)
	rec := newRecorder(c)
	rec.failFirstN = 1
	run(t, c, rec)

	rec.expect(t, "connected up=false", "disconnected up=false")
	if err := rec.lastErr(t); !strings.Contains(err.Error(), "rebuilding state after connecting to ARI: listing channels") {
		t.Fatalf("got %v, want the Handler's error", err)
	}
	if err := fc.BlockUntilContext(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	fc.Advance(cfg.MinBackoff)
	// c1's event belonged to the dropped connection and is never delivered.
	rec.expect(t, "connected up=false", "StasisStart c2 up=true")
}

func TestConnSkipsEventsItCannotDecode(t *testing.T) {
	srv := newARIServer(t)
	big := strings.Repeat("x", 100_000) // past websocket's default 32 KiB limit
	srv.scripts <- script{until: make(chan struct{}), events: []string{
		`{"type":"NoSuchEvent","application":"hotline"}`,
		`not json`,
		ariEvent("ChannelVarset", "c1", map[string]any{"variable": "BIG", "value": big}),
		ariEvent("StasisStart", "c2", nil),
	}}
	logs := &logSink{}
	cfg := srv.config()
	cfg.Clock, cfg.Logger = clockwork.NewFakeClock(), slog.New(logs)
	c := NewConn(cfg)
	rec := newRecorder(c)
	run(t, c, rec)

	rec.expect(t, "connected up=false", "ChannelVarset c1 BIG=100000 bytes up=true", "StasisStart c2 up=true")
	if got := logs.messages(slog.LevelWarn, "cannot be decoded"); len(got) != 2 {
		t.Fatalf("warnings about undecodable events: got %q, want 2", got)
	}
}

func TestConnStopsWithoutLeaks(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*ariServer)
		until string // the handler call after which to stop
	}{
		{name: "while connected", setup: func(s *ariServer) { s.scripts <- script{until: make(chan struct{})} }, until: "connected up=false"},
		{name: "while backing off", setup: func(*ariServer) {}, until: "disconnected up=false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			srv := newARIServer(t)
			tt.setup(srv)
			fc := clockwork.NewFakeClock()
			cfg := srv.config()
			cfg.Clock = fc
			c := NewConn(cfg)
			rec := newRecorder(c)
			stop := run(t, c, rec)
			rec.expect(t, tt.until)
			if tt.until == "disconnected up=false" {
				rec.lastErr(t)
				if err := fc.BlockUntilContext(t.Context(), 1); err != nil {
					t.Fatal(err)
				}
			}
			if err := stop(); !errors.Is(err, context.Canceled) {
				t.Fatalf("Run: got %v, want context.Canceled", err)
			}
			srv.shutdown()
			goleak.VerifyNone(t, before)
		})
	}
}

func TestConnRejectsConfigThatCannotWork(t *testing.T) {
	ok := ConnConfig{URL: "http://127.0.0.1:8088/ari", Application: "hotline", MinBackoff: time.Second, MaxBackoff: time.Minute}
	tests := []struct {
		name   string
		change func(*ConnConfig)
		want   string
	}{
		{"not a URL", func(c *ConnConfig) { c.URL = "127.0.0.1:8088/ari" }, `URL "127.0.0.1:8088/ari" is not like http://127.0.0.1:8088/ari`},
		{"no scheme", func(c *ConnConfig) { c.URL = "asterisk/ari" }, `must start with http:// or https://`},
		{"websocket scheme", func(c *ConnConfig) { c.URL = "ws://127.0.0.1:8088/ari" }, `must start with http:// or https://`},
		{"no host", func(c *ConnConfig) { c.URL = "http:///ari" }, `has no host`},
		{"no application", func(c *ConnConfig) { c.Application = "" }, `application name is empty`},
		{"zero backoff", func(c *ConnConfig) { c.MinBackoff = 0 }, `backoff must satisfy 0 < min (0s) <= max (1m0s)`},
		{"max below min", func(c *ConnConfig) { c.MaxBackoff = time.Millisecond }, `backoff must satisfy 0 < min (1s) <= max (1ms)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.change(&cfg)
			rec := newRecorder(nil)
			err := NewConn(cfg).Run(t.Context(), rec)
			if !errors.Is(err, ErrConnConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrConnConfig containing %q", err, tt.want)
			}
			if len(rec.calls) != 0 {
				t.Fatalf("the handler was called %d times, want never", len(rec.calls))
			}
		})
	}
}

// TestConnSendsCloseFrameOnStop: when Run stops, Asterisk is told with a
// normal-closure close frame, not a cut socket.
func TestConnSendsCloseFrameOnStop(t *testing.T) {
	srv := newARIServer(t)
	closed := make(chan error, 1)
	srv.scripts <- script{until: make(chan struct{}), closed: closed}
	cfg := srv.config()
	cfg.Clock = clockwork.NewFakeClock()
	c := NewConn(cfg)
	rec := newRecorder(c)
	stop := run(t, c, rec)
	rec.expect(t, "connected up=false")
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	select {
	case err := <-closed:
		if got := websocket.CloseStatus(err); got != websocket.StatusNormalClosure {
			t.Fatalf("the server's read ended with %v (status %d), want a normal-closure close frame", err, got)
		}
	case <-time.After(guard):
		t.Fatal("the server never saw the socket end")
	}
}

// TestConnDeliversEventWithOneBadField: a known event whose one field has
// an unexpected type (a string where the library has a number) still
// reaches the handler, without that field, and the drop is logged.
func TestConnDeliversEventWithOneBadField(t *testing.T) {
	srv := newARIServer(t)
	bad := ariEvent("ChannelDtmfReceived", "c1", map[string]any{"digit": "5", "duration_ms": "120"})
	badDate := ariEvent("StasisStart", "c2", map[string]any{"args": []string{"4008001234"}})
	badDate = strings.Replace(badDate, `"creationtime":"2025-01-02T03:04:05.000+0000"`, `"creationtime":"yesterday"`, 1)
	srv.scripts <- script{until: make(chan struct{}), events: []string{bad, badDate}}
	logs := &logSink{}
	cfg := srv.config()
	cfg.Clock, cfg.Logger = clockwork.NewFakeClock(), slog.New(logs)
	c := NewConn(cfg)
	rec := newRecorder(c)
	run(t, c, rec)
	rec.expect(t, "connected up=false", "ChannelDtmfReceived c1/5 up=true", "StasisStart c2 up=true")
	if got := logs.messages(slog.LevelWarn, "without fields"); len(got) != 2 {
		t.Fatalf("warnings about dropped fields: %q, want 2", got)
	}
}

func TestDecodeEventDropsOnlyTheBadField(t *testing.T) {
	data := ariEvent("ChannelDtmfReceived", "c1", map[string]any{"digit": "7", "duration_ms": "x"})
	ev, dropped, err := decodeEvent([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	d, ok := ev.(*ari.ChannelDtmfReceived)
	if !ok || d.Digit != "7" || d.Channel.ID != "c1" || d.Channel.Caller.Number != "13800138000" {
		t.Fatalf("decoded %#v", ev)
	}
	if len(dropped) != 1 || dropped[0] != "duration_ms" {
		t.Fatalf("dropped %v, want [duration_ms]", dropped)
	}
	if _, _, err := decodeEvent([]byte(`{"type":"NoSuchEvent"}`)); err == nil {
		t.Error("an unknown event type decoded")
	}
}
