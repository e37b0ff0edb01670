package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/hotline-ivr/hotline/ivr/acd"
)

// heartbeatEvery is how often an idle event stream sends a comment, so that
// proxies keep it open and the browser notices a dead server.
const heartbeatEvery = 15 * time.Second

// streamWriteTimeout bounds each write to a stream, so that a client that
// stopped reading cannot hold its handler forever. It is a network deadline,
// on the wall clock.
const streamWriteTimeout = 10 * time.Second

// stream handles GET /api/stream: server-sent events. It sends the event
// "snapshot" (a SnapshotView, scoped to the user) at once and after each
// change, and a comment every heartbeatEvery. Changes coalesce: the ACD's
// signal holds at most one pending, and each snapshot is taken when it is
// sent, so a slow client gets the latest state, never a backlog. It ends when
// the client goes, the request's context ends or the Server is closed.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, sess session) error {
	// Join before the first snapshot, so no change falls between them.
	sub := s.streams.join(s.acd, sess.user)
	defer s.streams.leave(sub)
	heartbeat := s.clock.NewTicker(heartbeatEvery)
	defer heartbeat.Stop()

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass events through at once
	w.WriteHeader(http.StatusOK)

	send := func(msg []byte) error {
		// Not every writer has deadlines (httptest.ResponseRecorder); the
		// stream works without one.
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := w.Write(msg); err != nil {
			return err
		}
		return rc.Flush()
	}
	snapshot := func() error {
		msg, err := s.streams.encoded(sub)
		if err != nil {
			return err
		}
		return send(msg)
	}

	if err := snapshot(); err != nil {
		return nil // the client went: nothing to answer
	}
	for {
		var err error
		select {
		case <-r.Context().Done():
			return nil
		case <-s.done:
			return nil
		case <-sub.ended:
			return nil // the ACD ended the subscription: it is shutting down
		case <-sub.changed:
			err = snapshot()
		case <-heartbeat.Chan():
			err = send([]byte(": heartbeat\n\n"))
		}
		if err != nil {
			return nil
		}
	}
}

// streamHub shares the work of the event streams, however many browsers
// watch (a wallboard on every supervisor's screen): it holds one
// subscription to the ACD while any stream is open, takes one snapshot per
// change, and encodes it once per scope (everything, or one agent's own),
// when the first stream of that scope asks. Each stream is signalled
// (coalescing, like the ACD's own signal) and takes the latest encoding
// of its scope, so a slow client still gets the latest state, never a
// backlog.
type streamHub struct {
	mu     sync.Mutex
	subs   map[*streamSub]struct{}
	stop   chan struct{} // closes the forwarding of the ACD's signal; nil while nobody watches
	acd    ACD
	snap   *acd.Snapshot     // the snapshot since the last change; nil: not taken yet
	frames map[string][]byte // snap's event, encoded, by scope
	// seen, when set, is told each snapshot taken (the agents' last
	// calls, for their complaints).
	seen func(acd.Snapshot)
}

// streamSub is one open stream.
type streamSub struct {
	user    User
	scope   string
	changed chan struct{} // buffered 1: a change since the last encoding
	ended   chan struct{} // closed when the ACD ends its subscription
}

// scopeOf is what a user's view of a snapshot depends on.
func scopeOf(u User) string {
	if u.Role.can(seeAll) {
		return "*"
	}
	return "agent:" + u.Agent
}

// join opens a stream for u, subscribing to the ACD if it is the first.
func (h *streamHub) join(a ACD, u User) *streamSub {
	sub := &streamSub{user: u, scope: scopeOf(u), changed: make(chan struct{}, 1), ended: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[*streamSub]struct{}{}
	}
	h.subs[sub] = struct{}{}
	if h.stop == nil {
		h.acd, h.stop = a, make(chan struct{})
		h.snap, h.frames = nil, nil // taken afresh: nobody heard of the changes meanwhile
		changed, cancel := a.Subscribe()
		go h.forward(changed, cancel, h.stop)
	}
	return sub
}

// leave closes a stream; the last one lets go of the ACD.
func (h *streamHub) leave(sub *streamSub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, sub)
	if len(h.subs) == 0 && h.stop != nil {
		close(h.stop)
		h.stop = nil
	}
}

// forward turns the ACD's signal into a new snapshot for every stream,
// until stop or the ACD ends it.
func (h *streamHub) forward(changed <-chan struct{}, cancel func(), stop chan struct{}) {
	defer cancel()
	for {
		select {
		case <-stop:
			return
		case _, ok := <-changed:
			h.mu.Lock()
			if h.stop != stop {
				h.mu.Unlock()
				return
			}
			if !ok {
				for sub := range h.subs {
					close(sub.ended)
				}
				h.subs, h.stop = nil, nil
				h.mu.Unlock()
				return
			}
			h.snap, h.frames = nil, nil
			for sub := range h.subs {
				select {
				case sub.changed <- struct{}{}:
				default:
				}
			}
			h.mu.Unlock()
		}
	}
}

// encoded is the current snapshot's event for sub's scope, taking and
// encoding it if no stream has since the last change.
func (h *streamHub) encoded(sub *streamSub) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.snap == nil {
		snap := h.acd.Snapshot()
		h.snap, h.frames = &snap, map[string][]byte{}
		if h.seen != nil {
			h.seen(snap)
		}
	}
	if msg, ok := h.frames[sub.scope]; ok {
		return msg, nil
	}
	b, err := json.Marshal(view(*h.snap, sub.user))
	if err != nil {
		return nil, err
	}
	msg := fmt.Appendf(nil, "event: snapshot\ndata: %s\n\n", b)
	h.frames[sub.scope] = msg
	return msg, nil
}
