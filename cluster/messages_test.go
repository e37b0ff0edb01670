package cluster_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/ivr/acd"
)

// TestMessages: a message wakes its receiver (EventMessage) and is read
// once, in the order sent, with its sender, call and body; a bad one is
// refused; one left unread longer than MessageTTL is deleted by the next
// reader.
func TestMessages(t *testing.T) {
	e := newEnv(t)
	a, b := e.instance("a"), e.instance("b")
	e.must(a.Send(e.ctx, "b", "a:c1", json.RawMessage(`{"n":1}`)))
	e.must(a.Send(e.ctx, "b", "a:c2", json.RawMessage(`{"n":2}`)))
	b.waitEvent(t, "a message", func(ev cluster.Event) bool { return ev.Kind == cluster.EventMessage })
	ms, err := b.Receive(e.ctx)
	e.must(err)
	if len(ms) != 2 || ms[0].CallID != "a:c1" || ms[1].CallID != "a:c2" || ms[0].From != "a" || ms[0].To != "b" ||
		string(ms[0].Body) != `{"n": 1}` || !ms[0].Sent.Equal(t0) {
		t.Fatalf("b received %+v", ms)
	}
	if ms, err := b.Receive(e.ctx); err != nil || len(ms) != 0 {
		t.Errorf("b received again %+v, %v", ms, err)
	}
	if ms, err := a.Receive(e.ctx); err != nil || len(ms) != 0 {
		t.Errorf("a received %+v, %v (the messages were b's)", ms, err)
	}
	for _, bad := range []struct{ to, call, body string }{{"", "a:c1", `{}`}, {"b", "", `{}`}, {"b", "a:c1", `{`}} {
		if err := a.Send(e.ctx, bad.to, bad.call, json.RawMessage(bad.body)); !errorsIs(err, cluster.ErrBadMessage) {
			t.Errorf("Send(%q, %q, %q): %v, want ErrBadMessage", bad.to, bad.call, bad.body, err)
		}
	}

	e.must(a.Send(e.ctx, "gone", "a:c3", json.RawMessage(`{}`)))
	e.must(a.Send(e.ctx, "b", "a:c4", json.RawMessage(`{}`)))
	e.clk.Advance(cluster.MessageTTL + time.Second)
	if ms, err := b.Receive(e.ctx); err != nil || len(ms) != 0 {
		t.Errorf("b received a stale message: %+v, %v", ms, err)
	}
	var n int
	e.must(e.pool.QueryRow(e.ctx, `SELECT count(*) FROM cluster_messages`).Scan(&n))
	if n != 0 {
		t.Errorf("%d stale messages left", n)
	}
}

// TestMessagesAfterResync: a message sent while the receiver's LISTEN
// connection is lost (its NOTIFY lost with it) is read after the resync
// by the ACD's adapter; the adapter gives each side the call's ID as it
// knows it (a's own, the cluster's at b).
func TestMessagesAfterResync(t *testing.T) {
	e := newEnv(t)
	open := func(name string) acd.SharedSoft {
		c, err := cluster.New(e.ctx, openPool(t, e.url), cluster.Config{Instance: name, Clock: e.clk, Reconnect: time.Second,
			Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))})
		e.must(err)
		ctx, stop := context.WithCancel(context.Background())
		t.Cleanup(func() { stop(); c.Close() })
		return c.ACD(ctx).(acd.SharedSoft)
	}
	a, b := open("a"), open("b")
	recv := func(what string, s acd.SharedSoft) acd.SoftMsg {
		t.Helper()
		select {
		case m := <-s.SoftMsgs():
			return m
		case <-time.After(time.Minute):
			t.Fatalf("no %s", what)
			return acd.SoftMsg{}
		}
	}
	e.must(a.SendSoft(e.ctx, "b", acd.SoftMsg{Kind: acd.SoftMedia, CallID: "c1", Agent: "1001", Channel: "ch1", Asterisk: "127.0.0.1:4000"}))
	if m := recv("media at b", b); m.CallID != "a:c1" || m.From != "a" || m.Channel != "ch1" || m.Asterisk != "127.0.0.1:4000" {
		t.Errorf("b got %+v", m)
	}
	e.must(b.SendSoft(e.ctx, "a", acd.SoftMsg{Kind: acd.SoftAttached, CallID: "a:c1", Agent: "1001", Channel: "ch1"}))
	if m := recv("attached at a", a); m.CallID != "c1" || m.From != "b" || m.Kind != acd.SoftAttached {
		t.Errorf("a got %+v", m)
	}

	// b's LISTEN connection dies; a's message meanwhile wakes nobody.
	var killed int
	e.must(e.pool.QueryRow(e.ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE query LIKE 'LISTEN%' AND query LIKE '%hotline_cluster_b%'`).Scan(&killed))
	if killed != 1 {
		t.Fatalf("%d LISTEN connections of b ended, want 1", killed)
	}
	e.must(a.SendSoft(e.ctx, "b", acd.SoftMsg{Kind: acd.SoftMedia, CallID: "c2", Agent: "1001"}))
	got := make(chan acd.SoftMsg, 1)
	go func() {
		select {
		case m := <-b.SoftMsgs():
			got <- m
		case <-e.ctx.Done():
		}
	}()
	// b reconnects on its clock (Reconnect), resyncs and reads the row.
	deadline, cancelAll := context.WithTimeout(e.ctx, time.Minute)
	defer cancelAll()
	for {
		select {
		case m := <-got:
			if m.CallID != "a:c2" {
				t.Errorf("b got %+v after the resync", m)
			}
			return
		default:
		}
		ctx, cancel := context.WithTimeout(deadline, 10*time.Millisecond)
		if e.clk.BlockUntilContext(ctx, 3) == nil { // b's heartbeat, a's, b's reconnect wait
			e.clk.Advance(time.Second)
		}
		cancel()
		if deadline.Err() != nil {
			t.Fatal("no message after the resync")
		}
	}
}
