package aritest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// app is a Stasis application: registered when a client first connects for
// it, and kept (with its subscriptions and channels) while no client is
// connected, as Asterisk keeps it; its events are then dropped.
type app struct {
	name   string
	client *wsClient
	all    bool // subscribeAll
	// channels counts the subscriptions to each channel, as Asterisk's
	// forwards do: one for being in the application's Stasis, one for an
	// originate or externalMedia to it, one per REST subscription. Leaving
	// Stasis drops one; the channel's destruction drops them all.
	channels  map[string]int
	bridges   map[string]bool
	endpoints map[string]bool
	devices   map[string]bool
}

func (s *Server) appNamed(name string) *app {
	a := s.apps[name]
	if a == nil {
		a = &app{name: name, channels: map[string]int{}, bridges: map[string]bool{},
			endpoints: map[string]bool{}, devices: map[string]bool{}}
		s.apps[name] = a
	}
	return a
}

// registered reports whether Asterisk still knows the application: while
// a client is connected, and after that while it follows a channel, a
// bridge or an endpoint (res_stasis removes an application only once it is
// inactive and follows nothing: app_is_finished). Callers hold s.mu.
func (a *app) registered() bool {
	return a.client != nil || len(a.channels) > 0 || len(a.bridges) > 0 || len(a.endpoints) > 0
}

// followChannel subscribes a registered application to a channel, as
// stasis_app_subscribe_channel does for an originate's app: an application
// Asterisk does not know is not created by it. Callers hold s.mu.
func (s *Server) followChannel(appName string, ch *channel) {
	if a := s.apps[appName]; a != nil && a.registered() {
		a.channels[ch.id]++
	}
}

// active reports whether a client is connected for the application.
// Callers hold s.mu.
func (s *Server) active(name string) bool {
	a := s.apps[name]
	return a != nil && a.client != nil
}

// fields is an event's payload, apart from the envelope every event has.
type fields map[string]any

// scope says which resources an event concerns, so it reaches the
// applications subscribed to any of them.
type scope struct {
	channels []*channel
	bridge   *bridge
	endpoint *Endpoint
	device   string
}

// emit sends an event to every application subscribed to its scope, plus
// those subscribed to everything. Callers hold s.mu.
func (s *Server) emit(typ string, f fields, sc scope) {
	var targets []*app
	for _, a := range s.apps {
		if a.all || a.concerned(sc) {
			targets = append(targets, a)
		}
	}
	if len(targets) == 0 {
		return
	}
	if len(targets) > 1 {
		sort.Slice(targets, func(i, j int) bool { return targets[i].name < targets[j].name })
	}
	s.deliver(targets, typ, f)
}

// emitApp sends an event to one application only: Asterisk sends
// StasisStart and StasisEnd to the application the channel enters or
// leaves, not to every application subscribed to the channel.
// Callers hold s.mu.
func (s *Server) emitApp(name, typ string, f fields) {
	if a := s.apps[name]; a != nil {
		s.deliver([]*app{a}, typ, f)
	}
}

// deliver queues one event for each target application. Callers hold s.mu.
func (s *Server) deliver(targets []*app, typ string, f fields) {
	payload, err := json.Marshal(f)
	if err != nil {
		s.log.Error("aritest: marshal event", "type", typ, "error", err)
		return
	}
	ts := ariTime(s.now())
	for _, a := range targets {
		if a.client == nil {
			// res_stasis's app_send: the application is kept while no
			// client is connected, and its messages are dropped.
			s.stats.EventsDropped++
			s.log.Debug("Inactive Stasis app '"+a.name+"' missed message", "type", typ)
			continue
		}
		var b bytes.Buffer
		b.Grow(len(payload) + 160)
		b.WriteString(`{"type":`)
		writeJSONString(&b, typ)
		b.WriteString(`,"application":`)
		writeJSONString(&b, a.name)
		b.WriteString(`,"timestamp":"`)
		b.WriteString(ts)
		b.WriteString(`","asterisk_id":"`)
		b.WriteString(s.entityID)
		b.WriteString(`"`)
		if len(payload) > 2 {
			b.WriteByte(',')
			b.Write(payload[1 : len(payload)-1])
		}
		b.WriteByte('}')
		if s.cfg.OnEvent != nil {
			s.cfg.OnEvent(b.Bytes())
		}
		a.client.send(b.Bytes())
		s.stats.EventsSent++
	}
}

func writeJSONString(b *bytes.Buffer, v string) {
	out, _ := json.Marshal(v)
	b.Write(out)
}

func (a *app) concerned(sc scope) bool {
	for _, ch := range sc.channels {
		if ch != nil && a.channels[ch.id] > 0 {
			return true
		}
	}
	if sc.bridge != nil && a.bridges[sc.bridge.id] {
		return true
	}
	if sc.endpoint != nil && a.endpoints[sc.endpoint.key()] {
		return true
	}
	return sc.device != "" && a.devices[sc.device]
}

// wsClient is one events websocket. Events queue without bound so that
// emitting never blocks the emulator; one writer goroutine drains them in
// order.
type wsClient struct {
	conn  *websocket.Conn
	mu    sync.Mutex
	queue [][]byte
	ready chan struct{}
	done  chan struct{}
	once  sync.Once
	apps  []string
	// abrupt: the connection is dropped without a close frame, as a
	// network outage drops it (set before close).
	abrupt atomic.Bool
}

func (c *wsClient) send(msg []byte) {
	c.mu.Lock()
	c.queue = append(c.queue, msg)
	c.mu.Unlock()
	select {
	case c.ready <- struct{}{}:
	default:
	}
}

func (c *wsClient) close() { c.once.Do(func() { close(c.done) }) }

func (c *wsClient) writeLoop(ctx context.Context) error {
	for {
		c.mu.Lock()
		batch := c.queue
		c.queue = nil
		c.mu.Unlock()
		if len(batch) > 0 {
			// One deadline for the batch: a client that reads nothing for
			// 30 seconds is gone.
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			for _, msg := range batch {
				if err := c.conn.Write(wctx, websocket.MessageText, msg); err != nil {
					cancel()
					return err
				}
			}
			cancel()
		}
		select {
		case <-c.ready:
		case <-c.done:
			if c.abrupt.Load() {
				return nil // a broken network delivers nothing more
			}
			// Flush what is left (e.g. ApplicationReplaced) before closing.
			c.mu.Lock()
			rest := c.queue
			c.queue = nil
			c.mu.Unlock()
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			for _, msg := range rest {
				_ = c.conn.Write(wctx, websocket.MessageText, msg)
			}
			cancel()
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// serveEvents upgrades GET /ari/events?app=a,b[&subscribeAll=true] to the
// events websocket and registers the applications for it.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	var names []string
	for _, n := range strings.Split(r.URL.Query().Get("app"), ",") {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Missing required parameter(s): app"})
		return
	}
	subscribeAll := r.URL.Query().Get("subscribeAll") == "true"
	c := &wsClient{ready: make(chan struct{}, 1), done: make(chan struct{}), apps: names}

	// Register before the upgrade completes: once a client sees its
	// websocket open, calls for its applications are delivered.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "Asterisk is shutting down"})
		return
	}
	if s.isCut(names) {
		s.mu.Unlock()
		dropConnection(w)
		return
	}
	for _, n := range names {
		a := s.appNamed(n)
		if old := a.client; old != nil {
			// Asterisk tells the old socket it was replaced and sends it
			// no more of the application's events, but leaves it open
			// (res_ari's ari_websockets.c only drops the application from
			// the session): it may serve other applications, and a client
			// that reconnected on a close would take the application back.
			s.emitTo(old, a, "ApplicationReplaced", fields{})
			old.apps = slices.DeleteFunc(slices.Clone(old.apps), func(x string) bool { return x == n })
		}
		a.client = c
		a.all = subscribeAll
	}
	s.mu.Unlock()
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		s.unregister(c)
		return
	}
	conn.SetReadLimit(1 << 20)
	c.conn = conn
	s.log.Debug("aritest: events client connected", "apps", names)

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	readErr := make(chan error, 1)
	go func() {
		// ARI clients send nothing; reading keeps pings/close handled.
		for {
			if _, _, err := conn.Read(ctx); err != nil {
				readErr <- err
				return
			}
		}
	}()
	writeErr := make(chan error, 1)
	go func() { writeErr <- c.writeLoop(ctx) }()
	select {
	case <-readErr:
		c.close()
		cancel()
		<-writeErr
	case <-writeErr:
		cancel()
		<-readErr
	case <-s.done:
		c.close()
		<-writeErr
		cancel()
		<-readErr
	}

	s.unregister(c)
	if c.abrupt.Load() {
		_ = conn.CloseNow()
		return
	}
	_ = conn.Close(websocket.StatusNormalClosure, "")
}

// unregister detaches a gone client from its applications.
func (s *Server) unregister(c *wsClient) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range c.apps {
		if a := s.apps[n]; a != nil && a.client == c {
			a.client = nil
		}
	}
}

// emitTo sends one event to one client for one application.
func (s *Server) emitTo(c *wsClient, a *app, typ string, f fields) {
	payload, _ := json.Marshal(f)
	env := map[string]any{"type": typ, "application": a.name, "timestamp": ariTime(s.now()), "asterisk_id": s.entityID}
	var m map[string]any
	_ = json.Unmarshal(payload, &m)
	for k, v := range m {
		env[k] = v
	}
	b, _ := json.Marshal(env)
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent(b)
	}
	c.send(b)
	s.stats.EventsSent++
}

// DropClients closes every events websocket, as a network blip or an
// Asterisk restart of res_ari would: clients must reconnect and rebuild
// their view, since events in between are lost.
func (s *Server) DropClients() {
	s.mu.Lock()
	var conns []*wsClient
	for _, a := range s.apps {
		if a.client != nil && !slices.Contains(conns, a.client) {
			conns = append(conns, a.client)
		}
		a.client = nil
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
}
