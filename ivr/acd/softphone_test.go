package acd_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/pion/rtp"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	ivrmedia "github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/queue"
)

const (
	softHz     = 600  // what a softphone's microphone sends
	callerTone = 1000 // what the caller says in these tests
)

// phones is a Softphones of browsers that are real UDP sockets: once
// attached, a phone answers each RTP packet Asterisk sends it with one
// 20 ms PCMU frame of 600 Hz (so its pace is the emulator's clock), and
// it decodes what it receives.
type phones struct {
	t  *testing.T
	mu sync.Mutex
	by map[string]*phone
	// what the service asked, in order: "attach id channel", "detach id channel"
	log []string
}

type phone struct {
	conn *net.UDPConn
	mu   sync.Mutex
	// set by Attach
	channel string
	remote  *net.UDPAddr
	got     []int16 // decoded, as received
	packets int
	signal  chan struct{} // closed and renewed on every packet
	seq     uint16
	ts      uint32
	tone    []int16
	pos     int
}

func newPhones(t *testing.T) *phones { return &phones{t: t, by: map[string]*phone{}} }

// open is a browser opening its softphone session id.
func (ps *phones) open(id string) *phone {
	ps.t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		ps.t.Fatal(err)
	}
	p := &phone{conn: conn, signal: make(chan struct{}), tone: ivrmedia.Tone(time.Second, 0.5, softHz)}
	ps.mu.Lock()
	ps.by[id] = p
	ps.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.receive()
	}()
	ps.t.Cleanup(func() {
		_ = conn.Close()
		<-done
	})
	return p
}

// close is the browser going away.
func (ps *phones) close(id string) {
	ps.mu.Lock()
	p := ps.by[id]
	delete(ps.by, id)
	ps.mu.Unlock()
	if p != nil {
		_ = p.conn.Close()
	}
}

func (ps *phones) ExternalHost(id string) (string, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p := ps.by[id]
	if p == nil {
		return "", fmt.Errorf("softphone %s has no open session", id)
	}
	return p.conn.LocalAddr().String(), nil
}

func (ps *phones) Attach(id, channel string, asterisk netip.AddrPort) error {
	ps.mu.Lock()
	p := ps.by[id]
	ps.log = append(ps.log, "attach "+id+" "+channel)
	ps.mu.Unlock()
	if p == nil {
		return fmt.Errorf("softphone %s has no open session", id)
	}
	p.mu.Lock()
	p.channel, p.remote = channel, net.UDPAddrFromAddrPort(asterisk)
	p.mu.Unlock()
	return nil
}

func (ps *phones) Detach(id, channel string) {
	ps.mu.Lock()
	p := ps.by[id]
	ps.log = append(ps.log, "detach "+id+" "+channel)
	ps.mu.Unlock()
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.channel == channel {
		p.channel, p.remote = "", nil
	}
	p.mu.Unlock()
}

func (ps *phones) calls() []string {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return slices.Clone(ps.log)
}

// attachedTo is the channel last attached to softphone id, "" if none.
func (ps *phones) attachedTo(id string) string {
	ps.mu.Lock()
	p := ps.by[id]
	ps.mu.Unlock()
	if p == nil {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.channel
}

func (p *phone) receive() {
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, from, err := p.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if pkt.Unmarshal(buf[:n]) != nil || pkt.PayloadType != 0 {
			continue
		}
		p.mu.Lock()
		p.got = ivrmedia.DecodeULaw(p.got, pkt.Payload)
		p.packets++
		close(p.signal)
		p.signal = make(chan struct{})
		remote := p.remote
		var out []byte
		if remote != nil && from.Port == remote.Port {
			frame := make([]int16, ivrmedia.FrameSamples)
			for i := range frame {
				frame[i] = p.tone[p.pos%len(p.tone)]
				p.pos++
			}
			reply := rtp.Packet{
				Header:  rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: p.seq, Timestamp: p.ts, SSRC: 0x600},
				Payload: ivrmedia.EncodeULaw(nil, frame),
			}
			p.seq++
			p.ts += ivrmedia.FrameSamples
			out, _ = reply.Marshal()
		}
		p.mu.Unlock()
		if out != nil {
			_, _ = p.conn.WriteToUDP(out, remote)
		}
	}
}

// waitPackets waits until the phone received n packets in all.
func (p *phone) waitPackets(ctx context.Context, n int) error {
	for {
		p.mu.Lock()
		got, ch := p.packets, p.signal
		p.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d RTP packets at the softphone (have %d): %w", n, got, ctx.Err())
		}
	}
}

// last is the last d of what the phone received.
func (p *phone) last(d time.Duration) []int16 {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := ivrmedia.SamplesFor(d)
	return slices.Clone(p.got[max(0, len(p.got)-n):])
}

func (p *phone) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.packets
}

// attached waits, without moving time, until softphone id is attached
// (the externalMedia channel's StasisStart, which comes just after the
// REST reply, needs no time to pass) and returns its channel.
func (r *rig) attached(ps *phones, id string) string {
	r.t.Helper()
	return ps.waitAttached(r.ctx, id)
}

func (ps *phones) waitAttached(ctx context.Context, id string) string {
	ps.t.Helper()
	for {
		if ch := ps.attachedTo(id); ch != "" {
			return ch
		}
		if ctx.Err() != nil {
			ps.t.Fatalf("softphone %s not attached: %v", id, ps.calls())
		}
		runtime.Gosched()
	}
}

// softAgent adds an agent whose device is the browser softphone, logged
// in and ready.
func (r *rig) softAgent(id string) {
	r.t.Helper()
	r.must(r.center.SetAgent(queue.AgentConfig{ID: id, Name: "Agent " + id, Device: acd.SoftphonePrefix + id}))
	r.must(r.acd.Login(r.ctx, id))
	r.must(r.acd.Ready(r.ctx, id))
}

// ringing waits (time moving) until the agent's call view says ringing.
func (r *rig) ringing(agent string) acd.CallView {
	r.t.Helper()
	var v acd.CallView
	r.until("agent "+agent+"'s softphone ringing", func() bool {
		for _, c := range r.acd.Snapshot().Calls {
			if c.Agent == agent && c.Phase == acd.CallRinging {
				v = c
				return true
			}
		}
		return false
	})
	return v
}

// talking waits until the agent's call is talking and returns its view.
func (r *rig) talking(agent string) acd.CallView {
	r.t.Helper()
	var v acd.CallView
	r.until("agent "+agent+" talking", func() bool {
		for _, c := range r.acd.Snapshot().Calls {
			if c.Agent == agent && c.Phase == acd.CallTalking {
				v = c
				return true
			}
		}
		return false
	})
	return v
}

// frames moves time by n frames of 20 ms, each only once the softphone
// received the frame the emulator sent at that moment and the emulator
// took the phone's answer to it, so the softphone's audio lands at its
// moment.
func (r *rig) frames(n int, p *phone) {
	r.t.Helper()
	for range n {
		r.settle()
		had, rtpHad := p.count(), r.emu.Stats().RTPReceived
		r.clk.Advance(20 * time.Millisecond)
		r.emu.Sync()
		r.must(p.waitPackets(r.ctx, had+1))
		if p.remoteSet() {
			r.must(r.emu.WaitRTP(r.ctx, rtpHad+1))
		}
	}
	r.settle()
}

func (p *phone) remoteSet() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.remote != nil
}

func (r *rig) agentCallsOf(agent string) []acd.AgentCall {
	var out []acd.AgentCall
	for _, c := range r.records.agentCalls() {
		if c.Agent == agent {
			out = append(out, c)
		}
	}
	return out
}

// TestSoftphoneAnswer: an agent on the browser softphone is rung in the
// console (ringing in its call's view, no channel), answers through
// Answer: the externalMedia channel is attached to the softphone on its
// StasisStart, then bridged with the caller; the softphone hears the
// caller's 1 kHz, and the recording's agent side holds the softphone's
// 600 Hz. The caller's hang-up detaches the softphone.
func TestSoftphoneAnswer(t *testing.T) {
	ps := newPhones(t)
	r := newRecRig(t, rigOptions{tune: func(c *acd.Config) { c.Softphones = ps }}, 0)
	p := ps.open("1001")
	r.softAgent("1001")
	caller := r.dial("13800000001")
	v := r.ringing("1001")
	if v.CallID != caller.ID() {
		t.Errorf("ringing call %+v", v)
	}
	if len(ps.calls()) != 0 {
		t.Errorf("the softphone was attached while ringing: %v", ps.calls())
	}
	if err := r.acd.Reject(r.ctx, "1002"); err == nil {
		t.Error("an unknown agent rejected a call")
	}
	r.must(r.acd.Answer(r.ctx, "1001"))
	if err := r.acd.Answer(r.ctx, "1001"); !errors.Is(err, acd.ErrNotRinging) {
		t.Errorf("answering twice: %v, want ErrNotRinging", err)
	}
	ch := r.attached(ps, "1001")
	r.talking("1001")
	if b := findBridge(r.rig, caller.ID(), ch); b == nil {
		t.Fatal("the caller and the softphone's channel are not bridged")
	}
	if r.logs.has("connecting the call failed") {
		t.Error("a bridge request failed (before the channel's StasisStart?)")
	}
	if !contains(caller.HeardMedia(), agentIDMedia("1001")) {
		t.Errorf("the caller heard %s, not the agent's ID", media(caller))
	}

	tTalk := r.clk.Now()
	r.must(caller.SendTone(10*time.Minute, callerTone))
	r.frames(100, p) // 2 s
	if s := p.last(time.Second); !ivrmedia.HasTone(s, callerTone) || ivrmedia.HasTone(s, softHz) {
		t.Errorf("the softphone heard RMS %.0f, 1 kHz share %.2f, 600 Hz share %.2f; want the caller's 1 kHz only",
			ivrmedia.RMS(s), ivrmedia.Power(s, callerTone), ivrmedia.Power(s, softHz))
	}
	tEnd := r.clk.Now()
	r.must(caller.Hangup())
	r.until("the agent in wrap-up", func() bool { return len(r.agentCallsOf("1001")) == 1 })
	if c := r.agentCallsOf("1001")[0]; c.EndedBy != "caller" {
		t.Errorf("agent call %+v, want ended by the caller", c)
	}
	want := []string{"attach 1001 " + ch, "detach 1001 " + ch}
	if got := ps.calls(); !slices.Equal(got, want) {
		t.Errorf("softphone calls %v, want %v", got, want)
	}
	j, _, left, right := r.stored(caller.ID())
	expect(t, "customer", span(left, j.Start, tTalk.Add(100*time.Millisecond), tEnd.Add(-100*time.Millisecond)), false, []float64{callerTone}, softHz)
	expect(t, "agent side (the softphone)", span(right, j.Start, tTalk.Add(100*time.Millisecond), tEnd.Add(-100*time.Millisecond)), false, []float64{softHz}, callerTone)
	if channelExists(r.rig, ch) {
		t.Error("the externalMedia channel is still up")
	}
}

func channelExists(r *rig, id string) bool {
	keys, err := r.ari.Channel().List(nil)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, k := range keys {
		if k.ID == id {
			return true
		}
	}
	return false
}

// detaches counts the Detach calls for softphone id.
func (ps *phones) detaches(id string) int {
	n := 0
	for _, c := range ps.calls() {
		if len(c) > len("detach "+id+" ") && c[:len("detach "+id+" ")] == "detach "+id+" " {
			n++
		}
	}
	return n
}

// TestSoftphoneRejectAndTimeout: the agent rejects its softphone's call
// (ring-no-answer: missed, and the next agent, on a SIP phone, is rung);
// that agent cannot answer from the console and rejects too (its phone's
// channel is hung up); the softphone rung again rings out after the
// queue's ring timeout like a SIP phone, and a late answer is refused.
// Each end of the softphone's leg detaches it.
func TestSoftphoneRejectAndTimeout(t *testing.T) {
	ps := newPhones(t)
	const ring = 10 * time.Second
	r := newRig(t, rigOptions{queue: queue.QueueConfig{Name: "after-sales", RingTimeout: ring},
		tune: func(c *acd.Config) { c.Softphones = ps }})
	ps.open("1001")
	r.softAgent("1001")
	ep := r.agent("1002", aritest.ManualAnswer())
	r.must(r.acd.NotReady(r.ctx, "1002", "break"))
	if err := r.acd.Reject(r.ctx, "1001"); !errors.Is(err, acd.ErrNoCall) {
		t.Errorf("reject with nothing ringing: %v, want ErrNoCall", err)
	}
	caller := r.dial("13800000001")
	r.ringing("1001")
	r.must(r.acd.Ready(r.ctx, "1002"))
	next := r.nextCall(ep)
	r.must(r.acd.Reject(r.ctx, "1001"))
	if st := r.stateNow("1001", queue.NotReady); st.Reason != "missed" {
		t.Errorf("1001 after rejecting: %+v, want not ready (missed)", st)
	}
	sip := next("the next agent's phone")
	if v := r.ringing("1002"); v.CallID != caller.ID() {
		t.Errorf("1002 rings for %+v", v)
	}
	if err := r.acd.Answer(r.ctx, "1002"); !errors.Is(err, acd.ErrNotSoftphone) {
		t.Errorf("answering a SIP phone's call from the console: %v, want ErrNotSoftphone", err)
	}
	r.must(r.acd.Reject(r.ctx, "1002"))
	r.gone(sip)
	if st := r.stateNow("1002", queue.NotReady); st.Reason != "missed" {
		t.Errorf("1002 after rejecting: %+v, want not ready (missed)", st)
	}

	r.must(r.acd.Ready(r.ctx, "1001"))
	r.ringing("1001")
	rang := r.clk.Now()
	st := r.state("1001", queue.NotReady)
	if d := st.Since.Sub(rang); st.Reason != "missed" || d < ring || d > ring+time.Second {
		t.Errorf("1001 after ringing %s: %+v, want missed after the ring timeout %s", d, st, ring)
	}
	if err := r.acd.Answer(r.ctx, "1001"); !errors.Is(err, acd.ErrNoCall) {
		t.Errorf("a late answer: %v, want ErrNoCall", err)
	}
	if n := ps.detaches("1001"); n != 2 || slices.ContainsFunc(ps.calls(), func(c string) bool { return c[:6] == "attach" }) {
		t.Errorf("softphone calls %v, want two detaches and no attach", ps.calls())
	}
	if caller.Snapshot().HungUp {
		t.Error("the caller was hung up")
	}
}

// TestSoftphoneNoSession: an agent whose browser has no softphone session
// when its call comes (or a service with no softphone gateway) is like a
// phone that cannot be rung: no answer at once, and the caller keeps
// waiting.
func TestSoftphoneNoSession(t *testing.T) {
	t.Run("no session", func(t *testing.T) {
		ps := newPhones(t)
		testNoSoftphone(t, func(c *acd.Config) { c.Softphones = ps })
	})
	t.Run("no gateway", func(t *testing.T) { testNoSoftphone(t, nil) })
}

func testNoSoftphone(t *testing.T, tune func(*acd.Config)) {
	r := newRig(t, rigOptions{tune: tune})
	r.softAgent("1001")
	caller := r.dial("13800000001")
	moh := r.heard(caller, "moh:default")
	st := r.state("1001", queue.NotReady)
	if st.Reason != "missed" || st.Since.Sub(moh.Start).Abs() > time.Second {
		t.Errorf("1001: %+v, want missed at once", st)
	}
	if !r.logs.has("could not ring the agent's softphone") {
		t.Error("the failed ring is not logged")
	}
	if q := r.center.Queues(); q[0].Waiting != 1 {
		t.Errorf("queue %+v, want the caller waiting", q[0])
	}
}

// answerSoft rings agent's softphone with a new caller, answers it and
// waits until they talk; it returns the caller and the leg's channel.
func (r *rig) answerSoft(ps *phones, agent, from string) (*aritest.Party, string) {
	r.t.Helper()
	caller := r.dial(from)
	r.ringing(agent)
	r.must(r.acd.Answer(r.ctx, agent))
	ch := r.attached(ps, agent)
	r.talking(agent)
	if ch == "" || findBridge(r, caller.ID(), ch) == nil {
		r.t.Fatalf("the softphone's channel %q is not bridged with the caller", ch)
	}
	return caller, ch
}

// TestSoftphoneGone: the gateway's watchdog says the browser is gone:
// while ringing, ring-no-answer; while talking, the agent hung up (the
// caller goes on in its flow).
func TestSoftphoneGone(t *testing.T) {
	ps := newPhones(t)
	r := newRig(t, rigOptions{tune: func(c *acd.Config) { c.Softphones = ps }})
	ps.open("1001")
	r.softAgent("1001")
	caller := r.dial("13800000001")
	r.ringing("1001")
	r.acd.SoftphoneGone("1001", "no media")
	if st := r.stateNow("1001", queue.NotReady); st.Reason != "missed" {
		t.Errorf("1001 after its softphone went while ringing: %+v, want missed", st)
	}
	if n := ps.detaches("1001"); n != 1 {
		t.Errorf("softphone calls %v, want a detach", ps.calls())
	}

	// Rung again, the agent answers this time.
	r.must(r.acd.Ready(r.ctx, "1001"))
	r.ringing("1001")
	r.must(r.acd.Answer(r.ctx, "1001"))
	ch := r.attached(ps, "1001")
	r.talking("1001")
	if ch == "" || findBridge(r, caller.ID(), ch) == nil {
		t.Fatalf("the softphone's channel %q is not bridged with the caller", ch)
	}
	r.acd.SoftphoneGone("1001", "ice failed")
	r.heard(caller, sound("goodbye"))
	calls := r.agentCallsOf("1001")
	if len(calls) != 1 || calls[0].EndedBy != "agent" || calls[0].CallID != caller.ID() {
		t.Errorf("agent calls %+v, want one ended by the agent", calls)
	}
	if got := ps.calls(); got[len(got)-1] != "detach 1001 "+ch || channelExists(r, ch) {
		t.Errorf("softphone calls %v; channel %s up %v", got, ch, channelExists(r, ch))
	}
}

// TestSoftphoneHangupAndDTMF: the agent sends DTMF to the caller (who
// hears it), bad digits are refused, and the agent hangs up from the
// console.
func TestSoftphoneHangupAndDTMF(t *testing.T) {
	ps := newPhones(t)
	r := newRig(t, rigOptions{tune: func(c *acd.Config) { c.Softphones = ps }})
	ps.open("1001")
	r.softAgent("1001")
	if err := r.acd.SendDTMF(r.ctx, "1001", "5"); !errors.Is(err, acd.ErrNoCall) {
		t.Errorf("DTMF with no call: %v, want ErrNoCall", err)
	}
	caller, ch := r.answerSoft(ps, "1001", "13800000001")
	for _, bad := range []string{"", "12x", "1 2", "123456789012345678901234567890123"} {
		if err := r.acd.SendDTMF(r.ctx, "1001", bad); !errors.Is(err, acd.ErrBadDTMF) {
			t.Errorf("DTMF %q: %v, want ErrBadDTMF", bad, err)
		}
	}
	r.must(r.acd.SendDTMF(r.ctx, "1001", "5"))
	r.heard(caller, "dtmf:5")
	r.must(r.acd.Hangup(r.ctx, "1001"))
	r.heard(caller, sound("goodbye"))
	calls := r.agentCallsOf("1001")
	if len(calls) != 1 || calls[0].EndedBy != "agent" {
		t.Errorf("agent calls %+v, want one ended by the agent", calls)
	}
	if got := ps.calls(); got[len(got)-1] != "detach 1001 "+ch || channelExists(r, ch) {
		t.Errorf("softphone calls %v; channel %s up %v", got, ch, channelExists(r, ch))
	}
	if err := r.acd.Hangup(r.ctx, "1001"); !errors.Is(err, acd.ErrNoCall) {
		t.Errorf("hang-up with no call: %v, want ErrNoCall", err)
	}
}

// TestSoftphoneSupervisor: a supervisor on the browser softphone listens
// to a SIP agent's call at once (no ringing) and hears both sides; the
// end of the supervision, and the supervisor's browser going, detach it.
func TestSoftphoneSupervisor(t *testing.T) {
	ps := newPhones(t)
	r := newRig(t, rigOptions{tune: func(c *acd.Config) { c.Softphones = ps }})
	ep := r.agent("1001", aritest.ManualAnswer())
	caller, agent := r.connect(ep, "13800000001")
	if _, err := r.acd.Supervise(r.ctx, "1001", "WebRTC/boss", acd.Listen); err == nil {
		t.Error("a supervisor with no softphone session joined")
	}
	boss := ps.open("boss")
	sup, err := r.acd.Supervise(r.ctx, "1001", "WebRTC/boss", acd.Listen)
	r.must(err)
	ch := r.attached(ps, "boss")
	r.until("the supervisor's softphone bridged with a snoop", func() bool {
		b := findBridge(r, ch)
		return b != nil && len(b.ChannelIDs) == 2 && !slices.Contains(b.ChannelIDs, caller.ID())
	})
	r.must(caller.SendTone(time.Minute, callerTone))
	r.must(agent.SendTone(time.Minute, agent1Hz))
	r.frames(50, boss)
	if s := boss.last(500 * time.Millisecond); !ivrmedia.HasTone(s, callerTone) || !ivrmedia.HasTone(s, agent1Hz) {
		t.Errorf("the supervisor heard 1 kHz share %.2f, 1.4 kHz share %.2f; want both sides",
			ivrmedia.Power(s, callerTone), ivrmedia.Power(s, agent1Hz))
	}
	r.must(r.acd.EndSupervision(r.ctx, sup))
	if got := ps.calls(); !slices.Equal(got, []string{"attach boss " + ch, "detach boss " + ch}) {
		t.Errorf("softphone calls %v", got)
	}

	sup, err = r.acd.Supervise(r.ctx, "1001", "WebRTC/boss", acd.Whisper)
	r.must(err)
	ch = r.attached(ps, "boss")
	r.acd.SoftphoneGone("boss", "tab closed")
	r.until("the supervision ended", func() bool {
		return errors.Is(r.acd.EndSupervision(r.ctx, sup), acd.ErrNoSupervision)
	})
	if got := ps.calls(); got[len(got)-1] != "detach boss "+ch {
		t.Errorf("softphone calls %v", got)
	}
	if findBridge(r, caller.ID(), agent.ID()) == nil {
		t.Error("the conversation's bridge is gone")
	}
}

// TestSoftphoneReconnectAfterRestart: a conversation on the softphone
// survives a restart with its externalMedia channel, but the browser's
// side died with the old process; when the browser opens a new session,
// Reconnect puts a new externalMedia channel in the conversation's bridge
// and hangs up the old one, and the agent hears the caller again.
func TestSoftphoneReconnectAfterRestart(t *testing.T) {
	r := newRestartRig(t)
	ps := newPhones(t)
	r.softphones, r.devices = ps, map[string]string{"1001": acd.SoftphonePrefix + "1001"}
	ps.open("1001")
	a := r.start("A", queue.QueueConfig{WrapUp: 30 * time.Second}, "1001")
	a.must(a.svc.Login(r.ctx, "1001"))
	a.must(a.svc.Ready(r.ctx, "1001"))
	caller, err := r.emu.Dial(r.ctx, aritest.Call{From: "13800000001", To: hotline, Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	a.until("1001 ringing", func() bool {
		calls := a.svc.Snapshot().Calls
		return len(calls) == 1 && calls[0].Phase == acd.CallRinging
	})
	a.must(a.svc.Answer(r.ctx, "1001"))
	old := ps.waitAttached(r.ctx, "1001")
	a.until("the softphone bridged", func() bool { return findBridgeOf(t, r, caller.ID(), old) != "" })
	a.stop()
	// The browser's peer connection went with A; it opens a new session.
	ps.close("1001")
	p := ps.open("1001")

	b := r.start("B", queue.QueueConfig{WrapUp: 30 * time.Second}, "1001")
	b.until("1001 on call again", func() bool {
		st, _ := b.center.Agent("1001")
		return st.State == queue.OnCall && st.CallID == caller.ID()
	})
	b.must(b.svc.Reconnect(r.ctx, "1001"))
	ch := ps.waitAttached(r.ctx, "1001")
	b.until("the new channel in the conversation", func() bool { return findBridgeOf(t, r, caller.ID(), ch) != "" })
	if ch == old {
		t.Fatalf("the softphone is attached to the old channel %s", old)
	}
	b.until("the old channel gone", func() bool {
		keys, err := r.rest.Channel().List(nil)
		return err == nil && !slices.ContainsFunc(keys, func(k *ari.Key) bool { return k.ID == old })
	})
	b.must(caller.SendTone(time.Minute, callerTone))
	for range 50 {
		b.until("settled", b.settled)
		had, rtpHad := p.count(), r.emu.Stats().RTPReceived
		r.clk.Advance(20 * time.Millisecond)
		r.emu.Sync()
		b.must(p.waitPackets(r.ctx, had+1))
		b.must(r.emu.WaitRTP(r.ctx, rtpHad+1))
	}
	if s := p.last(500 * time.Millisecond); !ivrmedia.HasTone(s, callerTone) {
		t.Errorf("after reconnecting the softphone hears 1 kHz share %.2f, RMS %.0f", ivrmedia.Power(s, callerTone), ivrmedia.RMS(s))
	}
	b.must(b.svc.Hangup(r.ctx, "1001"))
	b.backInFlowAfter(caller, "1001")
	if calls := b.records.agentCalls(); len(calls) != 1 || calls[0].EndedBy != "agent" {
		t.Errorf("B recorded %+v, want one agent call ended by the agent", calls)
	}
	if got := ps.calls(); got[len(got)-1] != "detach 1001 "+ch {
		t.Errorf("softphone calls %v", got)
	}
}

// TestSoftphoneTransferAndSurvey: a softphone agent transfers its caller
// to a colleague on a SIP phone (the softphone is detached and its
// channel hung up); the colleague transfers it back to the softphone,
// which rings, answers, and sends the caller to the survey (detached
// again).
func TestSoftphoneTransferAndSurvey(t *testing.T) {
	ps := newPhones(t)
	r := newRig(t, rigOptions{tune: func(c *acd.Config) { c.Softphones = ps }})
	ps.open("1001")
	r.softAgent("1001")
	ep := r.agent("1002", aritest.ManualAnswer())
	r.must(r.acd.NotReady(r.ctx, "1002", "break"))
	caller, ch := r.answerSoft(ps, "1001", "13800000001")

	r.must(r.acd.Ready(r.ctx, "1002"))
	next := r.nextCall(ep)
	r.must(r.acd.TransferToAgent(r.ctx, "1001", "1002"))
	if got := ps.calls(); got[len(got)-1] != "detach 1001 "+ch || channelExists(r, ch) {
		t.Errorf("after the transfer: softphone calls %v; channel %s up %v", got, ch, channelExists(r, ch))
	}
	second := next("1002 ringing")
	r.must(second.Answer())
	r.until("caller and 1002 bridged", func() bool { return findBridge(r, caller.ID(), second.ID()) != nil })

	r.must(r.acd.TransferToAgent(r.ctx, "1002", "1001"))
	r.ringing("1001")
	r.must(r.acd.Answer(r.ctx, "1001"))
	ch2 := r.attached(ps, "1001")
	r.talking("1001")
	if findBridge(r, caller.ID(), ch2) == nil {
		t.Fatal("the caller and the softphone are not bridged after the transfer back")
	}
	r.must(r.acd.SendToSurvey(r.ctx, "1001"))
	r.heard(caller, sound("goodbye"))
	if got := ps.calls(); got[len(got)-1] != "detach 1001 "+ch2 || channelExists(r, ch2) {
		t.Errorf("after the survey: softphone calls %v; channel %s up %v", got, ch2, channelExists(r, ch2))
	}
	calls := r.agentCallsOf("1001")
	if len(calls) != 2 || calls[0].EndedBy != "transfer" || calls[1].EndedBy != "survey" {
		t.Errorf("1001's calls %+v, want a transfer and a survey", calls)
	}
}

// TestSoftphoneCallback: a call-back rings the agent's softphone first;
// once answered there, the customer is dialled and meets the agent, whose
// DTMF goes to the customer; the customer's hang-up detaches the
// softphone.
func TestSoftphoneCallback(t *testing.T) {
	ps := newPhones(t)
	r := newRig(t, rigOptions{queue: queue.QueueConfig{AnnounceEvery: 20 * time.Second, CallbackAfter: 20 * time.Second},
		tune: func(c *acd.Config) { c.Softphones = ps }})
	trunk := r.emu.AddEndpoint("PJSIP", "trunk", aritest.ManualAnswer())
	ps.open("1001")
	r.softAgent("1001")
	r.must(r.acd.NotReady(r.ctx, "1001", "meeting"))
	first := r.dial("13800000001")
	r.heard(first, "moh:default")
	r.bookCallback(first)

	next := r.nextCall(trunk)
	r.must(r.acd.Ready(r.ctx, "1001"))
	if v := r.ringing("1001"); !v.Callback {
		t.Errorf("ringing %+v, want the call-back", v)
	}
	r.must(r.acd.Answer(r.ctx, "1001"))
	ch := r.attached(ps, "1001")
	customer := next("the customer dialled")
	r.must(customer.Answer())
	r.talking("1001")
	if findBridge(r, customer.ID(), ch) == nil {
		t.Fatal("the customer and the softphone are not bridged")
	}
	r.must(r.acd.SendDTMF(r.ctx, "1001", "7#"))
	r.heard(customer, "dtmf:7")
	r.heard(customer, "dtmf:#")
	r.must(customer.Hangup())
	r.until("the agent's call recorded", func() bool { return len(r.agentCallsOf("1001")) == 1 })
	if got := ps.calls(); got[len(got)-1] != "detach 1001 "+ch {
		t.Errorf("softphone calls %v", got)
	}
}
