package acd_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/cluster"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	ivrmedia "github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// softCentre is two instances of one centre whose agent 1001 is on the
// browser softphone: its browser signs in at b (b's gateway: phones, real
// UDP sockets sending 600 Hz), its callers dial a (recorded). Each
// instance's softphone messages go through a lossySoft router that can drop
// some kinds.
type softCentre struct {
	*centre
	rec   *recRig
	ps    *phones
	lossA *lossySoft
	lossB *lossySoft
}

// lossySoft is a shared router that drops the softphone messages of the kinds
// in drop (a notification and its row lost together, for longer than any
// resync).
type lossySoft struct {
	acd.Shared
	soft acd.SharedSoft
	mu   sync.Mutex
	drop map[acd.SoftKind]bool
	sent []acd.SoftKind
}

func (l *lossySoft) SendSoft(ctx context.Context, to string, m acd.SoftMsg) error {
	l.mu.Lock()
	drop := l.drop[m.Kind]
	l.sent = append(l.sent, m.Kind)
	l.mu.Unlock()
	if drop {
		return nil
	}
	return l.soft.SendSoft(ctx, to, m)
}

func (l *lossySoft) SoftMsgs() <-chan acd.SoftMsg { return l.soft.SoftMsgs() }

func (l *lossySoft) dropping(k acd.SoftKind) {
	l.mu.Lock()
	l.drop[k] = true
	l.mu.Unlock()
}

func (l *lossySoft) kinds() []acd.SoftKind {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.sent)
}

func newSoftCentre(t *testing.T, q queue.QueueConfig) *softCentre {
	t.Helper()
	url := pgtest.New(t)
	clk := clockwork.NewFakeClockAt(t0)
	if q.Name == "" {
		q.Name = "after-sales"
	}
	cfgs := []queue.AgentConfig{{ID: "1001", Name: "Agent 1001", Device: acd.SoftphonePrefix + "1001"}}
	sc := &softCentre{centre: &centre{t: t, clk: clk}, ps: newPhones(t)}
	instance := func(name string) (*rig, *cluster.Cluster, *lossySoft) {
		cl := joinCluster(t, url, clk, name, q, cfgs)
		ctx, stop := context.WithCancel(context.Background())
		sh := cl.ACD(ctx)
		l := &lossySoft{Shared: sh, soft: sh.(acd.SharedSoft), drop: map[acd.SoftKind]bool{}}
		o := rigOptions{queue: q, agents: cfgs, clock: clk, shared: true,
			tune: func(cfg *acd.Config) {
				cfg.Shared, cfg.Instance = l, name
				if name == "b" {
					cfg.Softphones = sc.ps
				}
			}}
		var r *rig
		if name == "a" {
			sc.rec = newRecRig(t, o, 0)
			r = sc.rec.rig
		} else {
			r = newRig(t, o)
		}
		t.Cleanup(func() { stop(); cl.Close() })
		return r, cl, l
	}
	sc.a, sc.ca, sc.lossA = instance("a")
	sc.b, sc.cb, sc.lossB = instance("b")
	return sc
}

// homeCall is agent 1001's call as b's console shows it, if any.
func (c *softCentre) homeCall() (acd.CallView, bool) {
	for _, v := range c.b.acd.Snapshot().Calls {
		if v.Agent == "1001" {
			return v, true
		}
	}
	return acd.CallView{}, false
}

// connected waits, after the agent's answer in b's page, until b's
// softphone is attached and a talks with agent 1001; it returns a's
// externalMedia channel.
func (c *softCentre) connected() string {
	c.t.Helper()
	ch := c.ps.waitAttached(c.a.ctx, "1001")
	c.wait("a connecting the agent", func() bool {
		for _, v := range c.a.acd.Snapshot().Calls {
			if v.Agent == "1001" && v.Phase != acd.CallRinging {
				return true
			}
		}
		return false
	})
	c.a.talking("1001")
	return ch
}

// ringingAtHome dials a caller at a and waits, without moving the clock,
// until b's console shows it ringing for 1001; it checks the screen pop.
func (c *softCentre) ringingAtHome(from string) (caller *aritest.Party, v acd.CallView) {
	c.t.Helper()
	caller = c.a.dial(from)
	c.until("a ringing 1001", func() bool {
		for _, v := range c.a.acd.Snapshot().Calls {
			if v.Agent == "1001" && v.Phase == acd.CallRinging {
				return true
			}
		}
		return false
	})
	c.wait("1001's call ringing on b's console", func() bool {
		var ok bool
		v, ok = c.homeCall()
		return ok && v.Phase == acd.CallRinging
	})
	if v.CallID != "a:"+caller.ID() || v.Caller != from || v.Queue != "after-sales" || v.Language != "zh" || v.Hotline != hotline {
		c.t.Errorf("b's console shows %+v; want a:%s from %s, queue after-sales, zh, hotline %s", v, caller.ID(), from, hotline)
	}
	return caller, v
}

// TestSharedSoftAnswer: a caller of a is offered to agent 1001 whose
// browser signed in at b: b's console shows the call ringing with its
// screen pop (a rings nothing); the agent answers in b's page, a makes the
// externalMedia channel towards b's gateway, b attaches it, a bridges:
// the browser hears the caller's 1 kHz, a's recording's agent side holds
// the browser's 600 Hz. Digits and hold from the page are carried out by
// a; the caller's hang-up detaches b's softphone.
func TestSharedSoftAnswer(t *testing.T) {
	c := newSoftCentre(t, queue.QueueConfig{WrapUp: 10 * time.Second})
	p := c.ps.open("1001")
	c.ready(c.b, "1001")
	caller, _ := c.ringingAtHome("13800000001")
	callerID := caller.ID()
	if err := c.a.acd.Answer(t.Context(), "1001"); !errors.Is(err, acd.ErrNotSoftphone) {
		t.Errorf("a's console answering for an agent signed in at b: %v, want ErrNotSoftphone", err)
	}
	c.b.must(c.b.acd.Answer(t.Context(), "1001"))
	if err := c.b.acd.Answer(t.Context(), "1001"); !errors.Is(err, acd.ErrNotRinging) {
		t.Errorf("answering twice: %v, want ErrNotRinging", err)
	}
	ch := c.connected()
	if b := findBridge(c.a, callerID, ch); b == nil {
		t.Fatal("the caller and the externalMedia channel to b's softphone are not bridged at a")
	}
	c.a.heard(caller, "sound:hotline/zh/std/agent-id")
	c.until("b's console shows 1001 talking", func() bool {
		v, ok := c.homeCall()
		return ok && v.Phase == acd.CallTalking
	})

	tTalk := c.clk.Now()
	c.a.must(caller.SendTone(10*time.Minute, callerTone))
	c.a.frames(100, p) // 2 s
	if s := p.last(time.Second); !ivrmedia.HasTone(s, callerTone) || ivrmedia.HasTone(s, softHz) {
		t.Errorf("b's softphone heard RMS %.0f, 1 kHz share %.2f, 600 Hz share %.2f; want the caller's 1 kHz only",
			ivrmedia.RMS(s), ivrmedia.Power(s, callerTone), ivrmedia.Power(s, softHz))
	}
	tEnd := c.clk.Now()

	c.b.must(c.b.acd.SendDTMF(t.Context(), "1001", "5"))
	c.a.heard(caller, "dtmf:5")
	c.b.must(c.b.acd.Hold(t.Context(), "1001"))
	c.until("a holds the caller", func() bool {
		for _, v := range c.a.acd.Snapshot().Calls {
			if v.Agent == "1001" && v.Held {
				return true
			}
		}
		return false
	})
	if v, _ := c.homeCall(); v.Phase != acd.CallHeld {
		t.Errorf("b's console shows %+v, want held", v)
	}
	c.b.must(c.b.acd.Unhold(t.Context(), "1001"))
	c.until("a brings the caller back", func() bool {
		for _, v := range c.a.acd.Snapshot().Calls {
			if v.Agent == "1001" && v.Phase == acd.CallTalking {
				return true
			}
		}
		return false
	})

	c.a.must(caller.Hangup())
	c.until("b's softphone detached", func() bool { return c.ps.detaches("1001") == 1 && c.ps.attachedTo("1001") == "" })
	if got, want := c.ps.calls(), []string{"attach 1001 " + ch, "detach 1001 " + ch}; !slices.Equal(got, want) {
		t.Errorf("b's softphone calls %v, want %v", got, want)
	}
	c.until("1001 in wrap-up at b", func() bool {
		st, _ := c.b.center.Agent("1001")
		return st.State == queue.WrapUp
	})
	if calls := c.a.agentCallsOf("1001"); len(calls) != 1 || calls[0].EndedBy != "caller" {
		t.Errorf("a recorded %+v, want one call ended by the caller", calls)
	}
	j, _, left, right := c.rec.stored(callerID)
	expect(t, "customer", span(left, j.Start, tTalk.Add(100*time.Millisecond), tEnd.Add(-100*time.Millisecond)), false, []float64{callerTone}, softHz)
	expect(t, "agent side (b's softphone)", span(right, j.Start, tTalk.Add(100*time.Millisecond), tEnd.Add(-100*time.Millisecond)), false, []float64{softHz}, callerTone)
	if channelExists(c.a, ch) {
		t.Error("the externalMedia channel is still up at a")
	}
}

// missedAtB: 1001 is not ready, "missed", at b (a ring not answered).
func (c *softCentre) missedAtB() bool {
	st, _ := c.b.center.Agent("1001")
	return st.State == queue.NotReady && st.Reason == "missed"
}

// TestSharedSoftRejectAndGone: the agent declines in b's page: a ends
// the offer as ring-no-answer (1001 missed, the caller waits on); rung
// again, the browser dies (b's watchdog): ring-no-answer again. Nothing
// was attached.
func TestSharedSoftRejectAndGone(t *testing.T) {
	c := newSoftCentre(t, queue.QueueConfig{})
	c.ps.open("1001")
	c.ready(c.b, "1001")
	caller, _ := c.ringingAtHome("13800000001")
	callerID := caller.ID()
	c.b.must(c.b.acd.Reject(t.Context(), "1001"))
	c.wait("1001 missed at b", c.missedAtB)
	if _, ok := c.homeCall(); ok {
		t.Error("b's console still shows the declined call")
	}
	c.until("the caller waiting again at a", func() bool {
		p, err := c.a.center.Position(callerID)
		return err == nil && p.Position == 1
	})

	c.b.must(c.b.acd.Ready(t.Context(), "1001"))
	c.until("a ringing 1001 again", func() bool {
		for _, v := range c.a.acd.Snapshot().Calls {
			if v.Agent == "1001" && v.Phase == acd.CallRinging {
				return true
			}
		}
		return false
	})
	c.wait("1001 rung again", func() bool {
		v, ok := c.homeCall()
		return ok && v.Phase == acd.CallRinging
	})
	c.b.acd.SoftphoneGone("1001", "no media")
	c.wait("1001 missed again at b", c.missedAtB)
	if caller.Snapshot().HungUp {
		t.Error("the caller was hung up")
	}
	if got := c.ps.calls(); len(got) != 0 {
		t.Errorf("b's softphone calls %v, want none", got)
	}
	if got := c.lossB.kinds(); !slices.Equal(got, []acd.SoftKind{acd.SoftReject, acd.SoftGone}) {
		t.Errorf("b sent %v", got)
	}
}

// TestSharedSoftAgentHangup: the agent hangs up in b's page: a hangs up
// the externalMedia channel, the caller goes on in its flow, the call is
// ended by the agent, b's softphone is detached.
func TestSharedSoftAgentHangup(t *testing.T) {
	c := newSoftCentre(t, queue.QueueConfig{})
	c.ps.open("1001")
	c.ready(c.b, "1001")
	caller, _ := c.ringingAtHome("13800000001")
	c.b.must(c.b.acd.Answer(t.Context(), "1001"))
	ch := c.connected()
	c.b.must(c.b.acd.Hangup(t.Context(), "1001"))
	c.a.heard(caller, sound("goodbye"))
	c.until("b's softphone detached", func() bool { return c.ps.attachedTo("1001") == "" })
	if calls := c.a.agentCallsOf("1001"); len(calls) != 1 || calls[0].EndedBy != "agent" {
		t.Errorf("a recorded %+v, want one call ended by the agent", calls)
	}
	if channelExists(c.a, ch) {
		t.Error("the externalMedia channel is still up at a")
	}
}

// TestSharedSoftLostAttach: b attaches the channel but its word never
// reaches a (the message lost): a ends the answer at its attach timeout as
// ring-no-answer (the channel hung up, the caller waiting, never bridged
// with nobody); b hears the no-answer and detaches.
func TestSharedSoftLostAttach(t *testing.T) {
	c := newSoftCentre(t, queue.QueueConfig{})
	c.ps.open("1001")
	c.ready(c.b, "1001")
	c.lossB.dropping(acd.SoftAttached)
	caller, _ := c.ringingAtHome("13800000001")
	callerID := caller.ID()
	c.b.must(c.b.acd.Answer(t.Context(), "1001"))
	ch := c.ps.waitAttached(c.a.ctx, "1001")
	c.until("1001 missed at b", c.missedAtB)
	c.until("b's softphone detached", func() bool { return c.ps.attachedTo("1001") == "" })
	if channelExists(c.a, ch) {
		t.Error("the externalMedia channel is still up at a")
	}
	if findBridge(c.a, callerID, ch) != nil {
		t.Error("the caller was bridged with the unconfirmed channel")
	}
	if p, err := c.a.center.Position(callerID); err != nil || p.Position != 1 {
		t.Errorf("the caller at %+v, %v: want waiting again", p, err)
	}
}

// TestSharedSoftLostAnswer: the agent's answer in b's page never reaches
// a (the message lost): b, whose answer's media never comes, gives it up
// after 10 s and tells a, which ends the offer as ring-no-answer before
// its own ring timeout (15 s): the caller waits on, nothing was made or
// attached. (With a ring timeout of b's 10 s, which of a's timeout and
// b's giving up came first was a race: a's, and b had nothing left to
// give up.)
func TestSharedSoftLostAnswer(t *testing.T) {
	c := newSoftCentre(t, queue.QueueConfig{RingTimeout: 15 * time.Second})
	c.ps.open("1001")
	c.ready(c.b, "1001")
	c.lossB.dropping(acd.SoftAnswer)
	caller, _ := c.ringingAtHome("13800000001")
	answered := c.clk.Now()
	c.b.must(c.b.acd.Answer(t.Context(), "1001"))
	c.until("b gave up the answer", func() bool { return slices.Contains(c.lossB.kinds(), acd.SoftReject) })
	// The rest is the cluster's messages, in real time: the clock stays.
	c.wait("1001 missed at b", c.missedAtB)
	if took := c.clk.Since(answered); took >= 15*time.Second {
		t.Errorf("1001 missed %v after the answer: a's ring timeout, not b's giving up, ended the offer", took)
	}
	if p, err := c.a.center.Position(caller.ID()); err != nil || p.Position != 1 {
		t.Errorf("the caller at %+v, %v: want waiting again", p, err)
	}
	if got := c.ps.calls(); len(got) != 0 {
		t.Errorf("b's softphone calls %v, want none", got)
	}
	if caller.Snapshot().HungUp {
		t.Error("the caller was hung up")
	}
}

// TestSharedSoftGoneTalking: the browser at b dies during the
// conversation (b's watchdog): a hangs up the agent's channel, the call
// ends as the agent's hang-up, and b's softphone is detached.
func TestSharedSoftGoneTalking(t *testing.T) {
	c := newSoftCentre(t, queue.QueueConfig{})
	c.ps.open("1001")
	c.ready(c.b, "1001")
	caller, _ := c.ringingAtHome("13800000001")
	c.b.must(c.b.acd.Answer(t.Context(), "1001"))
	ch := c.connected()
	c.b.acd.SoftphoneGone("1001", "ice failed")
	c.a.heard(caller, sound("goodbye"))
	c.until("b's softphone detached", func() bool { return c.ps.attachedTo("1001") == "" })
	if calls := c.a.agentCallsOf("1001"); len(calls) != 1 || calls[0].EndedBy != "agent" {
		t.Errorf("a recorded %+v, want one call ended by the agent", calls)
	}
	if channelExists(c.a, ch) {
		t.Error("the externalMedia channel is still up at a")
	}
}
