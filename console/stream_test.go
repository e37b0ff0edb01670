package console_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/queue"
)

// guard bounds a wait on an event that must come; it is not how the test
// synchronises, only how a broken server fails it instead of hanging it.
const guard = time.Minute

func TestStream(t *testing.T) {
	e := newEnv(t)
	s := e.openStream(e.login("wang"))

	snap := s.snapshot()
	if got := agentIDs(snap.Agents); !slices.Equal(got, []string{"1001", "1002", "1003"}) {
		t.Errorf("first snapshot has agents %v, want all three", got)
	}
	if !snap.At.Equal(start) {
		t.Errorf("first snapshot at %v, want %v", snap.At, start)
	}

	// An agent's change, by the API, sends the new state.
	e.must(http.StatusOK, "POST", "/api/agents/1001/login", e.login("lilei"), "", nil)
	snap = s.snapshot()
	if a := snap.Agents[0]; a.ID != "1001" || a.State != queue.NotReady || a.Reason != queue.ReasonLogin {
		t.Errorf("after login the snapshot has %+v, want 1001 not_ready (login)", a)
	}

	// A quiet stream sends a heartbeat on the clock's 15 s.
	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	if err := e.clock.BlockUntilContext(ctx, 1); err != nil { // the stream's ticker
		t.Fatal(err)
	}
	e.clock.Advance(15 * time.Second)
	if ev := s.next(); ev.comment != "heartbeat" || ev.name != "" {
		t.Errorf("after 15 s got %+v, want the heartbeat comment", ev)
	}

	// Changes made elsewhere (the call engine's) come through too.
	e.acd.mustReady(t, "1002")
	e.acd.connect(t, "call-1", "support", "1002", "13800138000")
	snap = s.until(func(v console.SnapshotView) bool { return len(v.Calls) == 1 })
	if c := snap.Calls[0]; c.CallID != "call-1" || c.Agent != "1002" {
		t.Errorf("call %+v, want call-1 with 1002", c)
	}
}

// TestStreamForAgent checks that an agent's stream shows its own agent and
// calls only, and every queue's totals.
func TestStreamForAgent(t *testing.T) {
	e := newEnv(t)
	s := e.openStream(e.login("lilei"))
	own := func(v console.SnapshotView) {
		t.Helper()
		if got := agentIDs(v.Agents); !slices.Equal(got, []string{"1001"}) {
			t.Errorf("agent 1001's stream shows agents %v", got)
		}
		for _, c := range v.Calls {
			if c.Agent != "1001" {
				t.Errorf("agent 1001's stream shows %s's call %s", c.Agent, c.CallID)
			}
		}
		if len(v.Queues) != 2 {
			t.Errorf("agent 1001's stream shows queues %+v, want both", v.Queues)
		}
	}
	own(s.snapshot())

	e.acd.mustReady(t, "1002")
	e.acd.connect(t, "call-2", "support", "1002", "13900139000")
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	// A snapshot is taken piece by piece while the test moves on, so
	// wait for one that has caught up with both calls.
	v := s.until(func(v console.SnapshotView) bool {
		own(v)
		return len(v.Calls) == 1 && v.Agents[0].State == queue.OnCall && v.Queues[0].Answered == 2
	})
	if v.Calls[0].CallID != "call-1" || v.Queues[0].Name != "support" {
		t.Errorf("got %+v with calls %+v and queues %+v, want 1001 on call-1 of support", v.Agents[0], v.Calls, v.Queues)
	}
}

func TestStreamEnds(t *testing.T) {
	t.Run("client goes", func(t *testing.T) {
		e := newEnv(t)
		s := e.openStream(e.login("wang"))
		s.snapshot()
		s.close()
		select { // the handler cancels its subscription as it returns
		case <-e.acd.cancelled:
		case <-time.After(guard):
			t.Fatal("the stream's handler did not end when its client went")
		}
	})
	t.Run("server closes", func(t *testing.T) {
		e := newEnv(t)
		s := e.openStream(e.login("wang"))
		s.snapshot()
		e.srv.Close()
		if _, err := s.rd.ReadString('\n'); !errors.Is(err, io.EOF) {
			t.Errorf("read after Close: %v, want EOF", err)
		}
		// Requests still work.
		e.must(http.StatusOK, "GET", "/api/me", e.login("wang"), "", nil)
	})
	t.Run("no session", func(t *testing.T) {
		e := newEnv(t)
		if r := e.do("GET", "/api/stream", "", ""); r.status != 401 {
			t.Errorf("stream without a session: %d, want 401", r.status)
		}
	})
}

// until reads snapshots until ok says one is the one wanted.
func (s *stream) until(ok func(console.SnapshotView) bool) console.SnapshotView {
	s.t.Helper()
	for {
		if v := s.snapshot(); ok(v) {
			return v
		}
	}
}

// TestStreamOutlivesServerTimeouts: the server's read and write timeouts
// guard ordinary requests; an event stream keeps going past them, each
// event with a write deadline of its own. The loop runs on the wall clock
// because the deadlines do; it waits on each event, never sleeps.
func TestStreamOutlivesServerTimeouts(t *testing.T) {
	e := newEnv(t)
	const timeout = 50 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: e.srv, ReadTimeout: timeout, WriteTimeout: timeout, ReadHeaderTimeout: guard}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	token := e.login("wang")
	e.ts.URL = "http://" + ln.Addr().String() // the stream's request goes to srv

	s := e.openStream(token)
	s.snapshot()
	start := time.Now()
	beats := 0
	for time.Since(start) < 6*timeout {
		e.clock.Advance(15 * time.Second) // the heartbeat's period
		if ev := s.next(); ev.comment != "heartbeat" {
			t.Fatalf("got %+v, want a heartbeat", ev)
		}
		beats++
	}
	if beats == 0 {
		t.Fatal("no heartbeat read")
	}
}
