package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
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
	// Subscribe before the first snapshot, so no change falls between them.
	changed, cancel := s.acd.Subscribe()
	defer cancel()
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
		b, err := json.Marshal(view(s.acd.Snapshot(), sess.user))
		if err != nil {
			return err
		}
		return send(fmt.Appendf(nil, "event: snapshot\ndata: %s\n\n", b))
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
		case _, ok := <-changed:
			if !ok { // the ACD ended the subscription: it is shutting down
				return nil
			}
			err = snapshot()
		case <-heartbeat.Chan():
			err = send([]byte(": heartbeat\n\n"))
		}
		if err != nil {
			return nil
		}
	}
}
