package acd_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
)

// TestLostPlaybackEnd: the caller hears the agent's ID while the events
// socket is cut, so the PlaybackFinished the bridge waits for is lost.
// The call still goes through: after the reconnect the session asks
// Asterisk about the playback it waits on and, with no reconnect at all,
// the wait is bounded by the prompt's length plus a margin.
func TestLostPlaybackEnd(t *testing.T) {
	for _, tt := range []struct {
		name      string
		reconcile bool // after the reconnect, reconcile (else only the bound helps)
	}{
		{"reconciled after the reconnect", true},
		{"bounded by the prompt's length", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, rigOptions{backoff: 300 * time.Millisecond, tune: func(c *acd.Config) {
				if !tt.reconcile {
					c.Reconcile = nil
				}
			}})
			ep := r.agent("1001", aritest.ManualAnswer())
			next := r.nextCall(ep)
			caller := r.dial("13800000001")
			agent := next("1001 ringing")
			r.must(agent.Answer())
			answered := r.heard(caller, sound("std/agent-id")).Start
			// The whisper starts with the announcement; once it has (its
			// request can still be on its way when the caller hears the
			// announcement: moving the clock then would start it late), cut
			// the socket, and let both end while nobody listens.
			if h := r.heard(agent, sound("agent/call-from")); !h.Start.Equal(answered) {
				t.Fatalf("the whisper began at %v, the announcement at %v", h.Start, answered)
			}
			r.emu.DropClients()
			<-r.down
			last := agentIDMedia("1001")[len(agentIDMedia("1001"))-1]
			for !playedOut(caller, last) || !playedOut(agent, sound("queues/after-sales")) {
				r.clk.Advance(100 * time.Millisecond)
				r.emu.Sync()
			}
			r.until("the bridge", func() bool { return findBridge(r, caller.ID(), agent.ID()) != nil })
			// The announcement lasts about 3 s; the bridge comes within its
			// length and the margin, not after a caller gives up.
			if waited := r.clk.Now().Sub(answered); waited > 15*time.Second {
				t.Errorf("the bridge came %v after the agent answered; want it bounded by the prompts' length", waited)
			}
			if st := r.state("1001", queue.OnCall); st.CallID != caller.ID() {
				t.Errorf("1001 on call with %q", st.CallID)
			}
		})
	}
}

// playedOut says p has heard media to its end.
func playedOut(p *aritest.Party, media string) bool {
	for _, h := range p.Heard() {
		if h.Media == media && h.State != "playing" {
			return true
		}
	}
	return false
}

// TestLostWithThePBX: while the events socket is down, Asterisk loses a
// conversation's channels (an outage). The agent's part of the call is
// recorded as ended by the system at the moment of the outage, not as a
// hang-up by either side; the agent's wrap-up says "lost", and the queue
// counts no abandon.
func TestLostWithThePBX(t *testing.T) {
	r := newRig(t, rigOptions{backoff: 300 * time.Millisecond, queue: queue.QueueConfig{WrapUp: 30 * time.Second}})
	ep := r.agent("1001", aritest.ManualAnswer())
	next := r.nextCall(ep)
	caller := r.dial("13800000001")
	agent := next("1001 ringing")
	r.must(agent.Answer())
	r.until("the bridge", func() bool { return findBridge(r, caller.ID(), agent.ID()) != nil })
	r.state("1001", queue.OnCall)
	waiting := r.dial("13800000002")
	r.heard(waiting, "moh:default")

	r.emu.DropClients()
	<-r.down
	outage := r.clk.Now()
	r.must(caller.HangupCause(aritest.CauseNormalClearing))
	r.must(agent.Hangup())
	r.must(waiting.Hangup())
	r.clk.Advance(30 * time.Second) // the outage lasts
	r.emu.Sync()

	r.until("the agent call recorded", func() bool { return len(r.records.agentCalls()) > 0 })
	calls := r.records.agentCalls()
	if len(calls) != 1 || calls[0].EndedBy != "system" || !calls[0].Ended.Equal(outage) {
		t.Fatalf("agent calls %+v, want one ended by the system at %v", calls, outage)
	}
	st := r.state("1001", queue.WrapUp)
	if st.Reason != queue.ReasonLost {
		t.Errorf("1001 in wrap-up for %q, want %q", st.Reason, queue.ReasonLost)
	}
	var q queue.QueueStatus
	r.until("the waiting caller gone", func() bool {
		q, _ = r.center.QueueStatus("after-sales")
		return q.Waiting == 0
	})
	if q.Abandoned != 0 {
		t.Errorf("queue after the outage: %d abandoned, %d waiting; want none (lost, not abandoned)", q.Abandoned, q.Waiting)
	}
}

// TestRingingAcrossAReconnect: an agent's phone rings while the events
// socket is cut and comes back. A ringing channel is not in the
// application yet (it enters Stasis when answered), so it must not be
// taken for a channel that vanished: it goes on ringing, and the agent who
// answers after the reconnect gets the caller.
func TestRingingAcrossAReconnect(t *testing.T) {
	r := newRig(t, rigOptions{backoff: 300 * time.Millisecond})
	ep := r.agent("1001", aritest.ManualAnswer())
	next := r.nextCall(ep)
	caller := r.dial("13800000001")
	agent := next("1001 ringing")
	<-r.ups // the first connect
	r.emu.DropClients()
	<-r.down
	<-r.ups // the reconnect, time standing still
	r.settle()
	if agent.Snapshot().HungUp {
		t.Fatalf("the ringing agent was hung up by the reconnect")
	}
	r.must(agent.Answer())
	r.until("the bridge", func() bool { return findBridge(r, caller.ID(), agent.ID()) != nil })
	if st := r.state("1001", queue.OnCall); st.CallID != caller.ID() {
		t.Errorf("1001 on call with %q, want %q", st.CallID, caller.ID())
	}
}

// TestSocketCutWithManyCalls: 100 callers are in the queues (half talking
// to agents, half waiting with announcements) when the events socket is
// cut for 10 s. Nobody is hung up, every conversation stays bridged, and
// every waiting caller is back on music (no announcement waits for an end
// it will never hear), and no agent call is recorded for a call that goes
// on.
func TestSocketCutWithManyCalls(t *testing.T) {
	const talking, waiting = 50, 50
	r := newRig(t, rigOptions{backoff: time.Second, queue: queue.QueueConfig{AnnounceEvery: 20 * time.Second}})
	agents := map[string]*aritest.Party{}
	nexts := map[string]func(string) *aritest.Party{}
	for i := range talking {
		id := fmt.Sprintf("%d", 2001+i)
		nexts[id] = r.nextCall(r.agent(id, aritest.ManualAnswer()))
	}
	var callers []*aritest.Party
	for i := range talking + waiting {
		callers = append(callers, r.dial(fmt.Sprintf("139%08d", i)))
	}
	for id, next := range nexts {
		agents[id] = next(id + " ringing")
		r.must(agents[id].Answer())
	}
	r.until("every conversation bridged", func() bool {
		keys, _ := r.ari.Bridge().List(nil)
		return len(keys) == talking
	})
	// Until the waiting callers hear an announcement, then cut.
	r.until("announcements under way", func() bool {
		n := 0
		for _, p := range callers {
			if h := p.Heard(); len(h) > 0 && h[len(h)-1].State == "playing" && strings.HasPrefix(h[len(h)-1].Media, "sound:hotline/zh/queue/") {
				n++
			}
		}
		return n > 0
	})
	<-r.ups
	r.emu.DropClients()
	<-r.down
	for range 100 { // 10 s without events
		r.clk.Advance(100 * time.Millisecond)
		r.emu.Sync()
	}
	<-r.ups
	r.until("every waiting caller hearing music or an announcement, not silence", func() bool {
		for _, p := range callers {
			if _, err := r.center.Position(p.ID()); err != nil {
				continue // talking
			}
			if h := p.Heard(); len(h) == 0 || h[len(h)-1].State != "playing" {
				return false
			}
		}
		return true
	})
	// And stays so past any announcement's length.
	for range 150 {
		r.clk.Advance(100 * time.Millisecond)
		r.emu.Sync()
		r.settle()
	}
	silent := 0
	for _, p := range callers {
		if _, err := r.center.Position(p.ID()); err != nil {
			continue
		}
		if h := p.Heard(); len(h) == 0 || h[len(h)-1].State != "playing" {
			silent++
		}
	}
	if silent > 0 {
		t.Errorf("%d waiting callers hear silence after the cut", silent)
	}
	hungUp := 0
	for _, p := range callers {
		if p.Snapshot().HungUp {
			hungUp++
		}
	}
	keys, _ := r.ari.Bridge().List(nil)
	t.Logf("10 s cut with %d calls (%d talking): %d hung up, %d conversations still bridged, %d agent calls recorded during it",
		talking+waiting, talking, hungUp, len(keys), len(r.records.agentCalls()))
	if hungUp != 0 || len(keys) != talking || len(r.records.agentCalls()) != 0 {
		t.Fatalf("after the cut: %d hung up, %d bridges, %d agent calls; want 0, %d, 0", hungUp, len(keys), len(r.records.agentCalls()), talking)
	}
}
