package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestServeClusterTwoServers: two servers of one centre (cluster.enabled),
// each on its own Asterisk, one database. Agent 1001 signs in at b; a
// caller of a is put through to it: a rings the agent's phone through its
// own Asterisk (as Kamailio lets any Asterisk ring any agent) and carries
// the call, while b's console shows its agent on the call. Both consoles
// show the whole centre: a's shows b's agent on its call and b's waiting
// caller, and both the day's answered and abandoned callers of both.
func TestServeClusterTwoServers(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cfg := supportCentre(config.User{Name: "li.na", Role: "agent", Agent: "1001", PasswordHash: quickHash(t, "pw")},
		config.User{Name: "wang", Role: "supervisor", Device: "PJSIP/2001", PasswordHash: quickHash(t, "pw")})
	cfg.Queues[0].CallbackAfter = 10 * time.Minute // offered (the calls here end sooner): call-backs cross servers
	cfg.Database.URL = pgtest.New(t)
	cfg.Cluster.Enabled = true
	phone := func(emu *aritest.Server) { emu.AddEndpoint("PJSIP", "1001", aritest.AnswerAfter(100*time.Millisecond)) }
	a := serveWith(t, ctx, cfg, serveOptions{instance: "a", edit: phone})
	b := serveWith(t, ctx, cfg, serveOptions{instance: "b", edit: phone})

	agent := b.login("li.na", "pw")
	stream := b.api.stream(agent)
	defer stream.close()
	b.api.do(http.StatusOK, "POST", "/api/agents/1001/login", agent, nil, nil)
	b.api.do(http.StatusOK, "POST", "/api/agents/1001/ready", agent, nil, nil)
	caller, err := a.emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008009999", Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Hangup()
	if _, err := caller.WaitHeard(ctx, "sound:hotline/zh/std/agent-id"); err != nil {
		t.Fatalf("the caller of a never heard the agent's ID: %v", err)
	}
	stream.until(func(v console.SnapshotView) bool { return agentState(v, "1001") == queue.OnCall })
	if n := b.emu.ChannelCount(); n != 0 {
		t.Errorf("%d channels on b's Asterisk: the call is a's, carried there", n)
	}
	// a's supervisor sees the whole centre: b's agent on a's call, and a
	// caller of b waiting meanwhile.
	board := a.api.stream(a.login("wang", "pw"))
	defer board.close()
	board.until(func(v console.SnapshotView) bool { return agentState(v, "1001") == queue.OnCall })
	other, err := b.emu.Dial(ctx, aritest.Call{From: "13800138001", To: "4008009999", Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Hangup()
	board.until(func(v console.SnapshotView) bool { return len(v.Queues) == 1 && v.Queues[0].Waiting == 1 })
	if err := other.Hangup(); err != nil {
		t.Fatal(err)
	}
	if err := caller.Hangup(); err != nil {
		t.Fatal(err)
	}
	stream.until(func(v console.SnapshotView) bool {
		s := agentState(v, "1001")
		return s == queue.WrapUp || s == queue.Ready
	})
	// Today's totals are the whole centre's on both consoles, read from
	// the records both servers write: a carried the answered call, b the
	// abandoned one.
	centreDay := func(v console.SnapshotView) bool {
		return len(v.Queues) == 1 && v.Queues[0].Answered == 1 && v.Queues[0].Abandoned == 1 && v.Queues[0].AnsweredInSL == 1
	}
	board.until(centreDay)
	stream.until(centreDay)
	if !strings.Contains(a.logs.String(), "joined the centre's cluster") || !strings.Contains(b.logs.String(), "joined the centre's cluster") {
		t.Error("a server did not say it joined the cluster")
	}
}

// TestServeClusterNeedsSystemName: in a centre of several servers, a
// server whose Asterisk has no systemname takes no call (its channel IDs
// could be another Asterisk's, and the two calls' records one row): the
// connection is refused, with what to change, and tried again.
func TestServeClusterNeedsSystemName(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cfg := supportCentre()
	cfg.Queues[0].CallbackAfter = 0
	cfg.Database.URL = pgtest.New(t)
	cfg.Cluster.Enabled = true
	cfg.ARI.Reconnect.MinBackoff, cfg.ARI.Reconnect.MaxBackoff = 10*time.Millisecond, 20*time.Millisecond
	s := serveWith(t, ctx, cfg, serveOptions{instance: "a", noSystemName: true})
	// Refused, tried again, refused again: the application never takes
	// a call.
	s.logs.waitForCount(t, ctx, `set systemname in asterisk.conf [options], a different one on each server`, 2)
	if strings.Contains(s.logs.String(), `"msg":"ARI events connected"`) {
		t.Error("the server connected to an Asterisk without a systemname")
	}
}
