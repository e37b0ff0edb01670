package ivr

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/coder/websocket"
	"github.com/jonboulle/clockwork"
)

const (
	// dialTimeout bounds one websocket handshake (TCP, TLS and the HTTP
	// upgrade); it is a network deadline, so it runs on the real clock.
	dialTimeout = 10 * time.Second

	// maxEventSize is the largest event accepted. An event of a bridge with
	// many channels, or one carrying channel variables, passes websocket's
	// default limit of 32 KiB.
	maxEventSize = 1 << 20

	// pingInterval and pingTimeout detect an events socket whose peer has
	// vanished without closing it (a half-open TCP connection); Asterisk
	// answers websocket pings itself.
	pingInterval = 20 * time.Second
	pingTimeout  = 10 * time.Second

	// closeTimeout bounds the close handshake when Run stops: the close
	// frame tells Asterisk the application left on purpose; a peer that
	// does not answer it in time is cut off.
	closeTimeout = 2 * time.Second
)

// ConnConfig says where ARI is and how to reconnect to it.
type ConnConfig struct {
	URL         string // ARI base URL, like http://127.0.0.1:8088/ari
	Username    string // ARI user, from Asterisk's ari.conf
	Password    string
	Application string // Stasis application name, as in the dialplan's Stasis(NAME)

	// MinBackoff and MaxBackoff bound the wait between attempts: it starts at
	// MinBackoff and doubles after each failure, with jitter, up to
	// MaxBackoff. A connection that stayed up for at least MaxBackoff resets
	// it to MinBackoff.
	MinBackoff time.Duration
	MaxBackoff time.Duration

	Clock  clockwork.Clock // nil means the real clock
	Logger *slog.Logger    // nil means no logging
}

// Handler receives what happens on the events connection. Its methods are
// called one at a time from Run's goroutine, so a slow Handler holds back the
// events that follow: they wait in the socket, and once its buffers fill,
// Asterisk closes the connection after websocket_write_timeout (ari.conf,
// 100 ms by default) and the events are lost. Event must therefore return
// quickly, routing real work to the goroutine that owns the call.
type Handler interface {
	// Connected is called after every (re)connect, before any event of that
	// connection is delivered. The Handler rebuilds its view here (list the
	// channels and bridges in the application): events sent while the socket
	// was down are lost, and events of the new connection may repeat what
	// the listing shows. ctx ends with the connection. An error drops the
	// connection and backs off before the next attempt.
	Connected(ctx context.Context) error

	// Event is called for each event, in the order ARI sent them. ctx ends
	// with the connection.
	Event(ctx context.Context, ev ari.Event)

	// Disconnected is called once after every attempt that ends: a dial that
	// failed, a Connected that returned an error, or a connection that
	// closed. When Run stops because its ctx ended, err wraps ctx.Err().
	Disconnected(err error)
}

// Conn keeps one events websocket open to ARI for one application.
type Conn struct {
	cfg       ConnConfig
	log       *slog.Logger
	clock     clockwork.Clock
	http      *http.Client
	connected atomic.Bool

	// Replaced by tests.
	jitter       func() float64 // in [0, 1)
	pingInterval time.Duration
	pingTimeout  time.Duration
}

// NewConn returns a Conn for cfg. Nothing happens until Run.
func NewConn(cfg ConnConfig) *Conn {
	c := &Conn{
		cfg:          cfg,
		log:          cfg.Logger,
		clock:        cfg.Clock,
		jitter:       rand.Float64,
		pingInterval: pingInterval,
		pingTimeout:  pingTimeout,
		http: &http.Client{Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 15 * time.Second}).DialContext,
			TLSHandshakeTimeout:   dialTimeout,
			ResponseHeaderTimeout: dialTimeout,
			// Every handshake is a new socket that the websocket then owns,
			// so there is nothing to keep alive; a refused handshake leaves
			// no idle connection behind.
			DisableKeepAlives: true,
		}},
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.clock == nil {
		c.clock = clockwork.NewRealClock()
	}
	return c
}

// Connected reports whether the events websocket is open and the Handler's
// Connected has returned without error for it. It is safe to call from any
// goroutine.
func (c *Conn) Connected() bool { return c.connected.Load() }

// Run connects, delivers events to h, and reconnects after every failure,
// until ctx ends; then it returns ctx.Err(). It returns an error wrapping
// ErrConnConfig at once if the configuration cannot work.
func (c *Conn) Run(ctx context.Context, h Handler) error {
	eventsURL, err := c.cfg.eventsURL()
	if err != nil {
		return err
	}
	failures := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		uptime, err := c.session(ctx, h, eventsURL)
		if ctx.Err() != nil {
			h.Disconnected(fmt.Errorf("ARI connection stopped: %w", ctx.Err()))
			return ctx.Err()
		}
		h.Disconnected(err)
		if uptime >= c.cfg.MaxBackoff {
			failures = 0
		}
		failures++
		wait := backoff(c.cfg.MinBackoff, c.cfg.MaxBackoff, failures, c.jitter())
		// The Handler has reported err; this only says when the next try is.
		c.log.Debug("ARI reconnect scheduled", "retry_in", wait, "attempt", failures)
		t := c.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.Chan():
		}
	}
}

// session makes one attempt: dial, let the Handler rebuild, then read events
// until the connection ends. uptime is how long the connection was up, zero
// unless the Handler's Connected succeeded.
func (c *Conn) session(ctx context.Context, h Handler, eventsURL *url.URL) (uptime time.Duration, err error) {
	ws, err := c.dial(ctx, eventsURL)
	if err != nil {
		return 0, err
	}
	ws.SetReadLimit(maxEventSize)

	connCtx, cancel := context.WithCancel(ctx)
	// The socket is closed here, not by a cancelled read (which would cut
	// it without a close frame): when Run stops, with a close handshake;
	// when the connection failed, at once.
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		<-connCtx.Done()
		if ctx.Err() != nil {
			closeGracefully(ws)
			return
		}
		ws.CloseNow()
	}()
	defer func() {
		cancel()
		<-closed
	}()
	started := c.clock.Now()
	if err := h.Connected(connCtx); err != nil {
		return 0, fmt.Errorf("rebuilding state after connecting to ARI: %w", err)
	}
	c.connected.Store(true)
	defer c.connected.Store(false)
	c.log.Info("ARI events connected", "url", eventsURL.Redacted(), "application", c.cfg.Application)

	var (
		wg      sync.WaitGroup
		pingErr error // written by keepAlive before it returns; read after wg.Wait
	)
	wg.Go(func() { pingErr = c.keepAlive(connCtx, ws) })
	err = c.read(connCtx, ws, h)
	cancel()
	wg.Wait()
	if pingErr != nil && ctx.Err() == nil {
		err = pingErr
	}
	return c.clock.Since(started), err
}

// read delivers events until the connection or ctx ends. Each message is
// read into one reused buffer: decoding copies what it keeps.
func (c *Conn) read(ctx context.Context, ws *websocket.Conn, h Handler) error {
	var buf bytes.Buffer
	// Reads do not end with ctx: session closes the socket when ctx ends,
	// with a close frame when Run stops.
	readCtx := context.WithoutCancel(ctx)
	for {
		typ, r, err := ws.Reader(readCtx)
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%w: %w", ErrConnectionLost, err)
		}
		data := buf.Bytes()
		if typ != websocket.MessageText {
			c.log.Warn("ignoring binary message on the ARI events socket", "bytes", len(data))
			continue
		}
		ev, dropped, err := decodeEvent(data)
		if err != nil {
			c.log.Warn("ignoring ARI event that cannot be decoded", "error", err, "event", truncate(data, 200))
			continue
		}
		if len(dropped) > 0 {
			c.log.Warn("ARI event delivered without fields that do not decode", "type", ev.GetType(),
				"dropped", dropped, "event", truncate(data, 200))
		}
		h.Event(ctx, ev)
		if buf.Cap() > 64<<10 {
			buf = bytes.Buffer{} // let one huge event's buffer go
		}
	}
}

// closeGracefully sends a normal-closure close frame and waits up to
// closeTimeout for the peer's answer, then cuts the socket. It is a network
// deadline, so it runs on the real clock.
func closeGracefully(ws *websocket.Conn) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = ws.Close(websocket.StatusNormalClosure, "Hotline is stopping")
	}()
	t := time.NewTimer(closeTimeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		ws.CloseNow()
		<-done
	}
}

// dial opens the events websocket and explains a refusal.
func (c *Conn) dial(ctx context.Context, eventsURL *url.URL) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	auth := base64.StdEncoding.EncodeToString([]byte(c.cfg.Username + ":" + c.cfg.Password))
	ws, resp, err := websocket.Dial(ctx, eventsURL.String(), &websocket.DialOptions{
		HTTPClient: c.http,
		HTTPHeader: http.Header{"Authorization": {"Basic " + auth}},
	})
	if err == nil {
		return ws, nil
	}
	where := *eventsURL
	where.RawQuery = ""
	var opErr *net.OpError
	switch {
	case resp == nil && errors.As(err, &opErr):
		return nil, fmt.Errorf("%w at %s: %w", ErrUnreachable, where.Redacted(), opErr)
	case resp == nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		return nil, fmt.Errorf("%w at %s: no answer within %s: %w", ErrUnreachable, where.Redacted(), dialTimeout, err)
	case resp == nil:
		return nil, fmt.Errorf("%w at %s: %w", ErrUnreachable, where.Redacted(), err)
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, fmt.Errorf("%w: %s answered %s for user %q", ErrUnauthorized, where.Redacted(), resp.Status, c.cfg.Username)
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%w: %s answered %s (check the URL ends in /ari and that res_ari is loaded)", ErrHandshake, where.Redacted(), resp.Status)
	default:
		return nil, fmt.Errorf("%w: %s answered %s", ErrHandshake, where.Redacted(), resp.Status)
	}
}

// eventsURL checks the configuration and returns the events websocket URL.
func (cfg ConnConfig) eventsURL() (*url.URL, error) {
	var problems []error
	u, err := url.Parse(cfg.URL)
	switch {
	case err != nil:
		problems = append(problems, fmt.Errorf("URL %q is not like http://127.0.0.1:8088/ari", cfg.URL))
	case u.Scheme != "http" && u.Scheme != "https":
		problems = append(problems, fmt.Errorf("URL %q must start with http:// or https://", cfg.URL))
	case u.Host == "":
		problems = append(problems, fmt.Errorf("URL %q has no host", cfg.URL))
	}
	if cfg.Application == "" {
		problems = append(problems, errors.New("application name is empty"))
	}
	if cfg.MinBackoff <= 0 || cfg.MaxBackoff < cfg.MinBackoff {
		problems = append(problems, fmt.Errorf("backoff must satisfy 0 < min (%s) <= max (%s)", cfg.MinBackoff, cfg.MaxBackoff))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrConnConfig, errors.Join(problems...))
	}
	ev := u.JoinPath("events")
	ev.RawQuery = url.Values{"app": {cfg.Application}, "subscribeAll": {"false"}}.Encode()
	return ev, nil
}

// truncate returns the start of data for a log line.
func truncate(data []byte, n int) string {
	if len(data) <= n {
		return string(data)
	}
	return string(data[:n]) + "…"
}
