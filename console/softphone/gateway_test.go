package softphone_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/console/softphone"
	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/jonboulle/clockwork"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TestBridgesTwoCallsBothWays: a browser talks 600 Hz all along; two
// calls come one after the other, each with its own Asterisk side (new
// address, SSRC, sequence and timestamp) talking 1 kHz. Each side hears
// the other's tone, and each direction is one continuous stream across
// both calls, its timestamp advanced by the (injected) time between them.
func TestBridgesTwoCallsBothWays(t *testing.T) {
	clock := clockwork.NewFakeClock()
	var observed, negative [2]atomic.Int64 // by direction
	g := newGateway(t, softphone.Config{Clock: clock, Observe: func(d softphone.Direction, took time.Duration) {
		if took < 0 {
			negative[d].Add(1)
		}
		observed[d].Add(1)
	}})
	b := newBrowser(t)
	s := b.dial(t, g, "agent-7")
	if got := s.ExternalHost(); got != s.LocalRTP().String() || !s.LocalRTP().Addr().IsLoopback() {
		t.Fatalf("external_host %q: want a loopback host:port", got)
	}
	stopMic := b.talk(600)
	defer stopMic()

	const frames = 25 // per call and direction, at least
	call := func(name string, ast *asterisk, heardBefore int) {
		t.Helper()
		if err := s.Attach(name, ast.addr()); err != nil {
			t.Fatal(err)
		}
		if s.Call() != name {
			t.Fatalf("Call() = %q, want %q", s.Call(), name)
		}
		stop := ast.talk(s.LocalRTP(), 1000)
		waitFor(t, name+": both sides hearing", func() bool {
			return ast.got.count() >= frames && b.heard.count() >= heardBefore+frames
		}, &ast.got.sig, &b.heard.sig)
		stop()
		s.Detach()
	}
	ast1, ast2 := newAsterisk(t), newAsterisk(t)
	call("call-1", ast1, 0)
	if !softphone.SRTPUp(s) {
		t.Error("media flowed, yet the session has no SRTP keys of its own")
	}
	clock.Advance(time.Second) // between the calls
	call("call-2", ast2, b.heard.count())
	stopMic()
	ast1.drain(t)
	ast2.drain(t)

	// Browser → Asterisk: 600 Hz, one stream over both calls.
	toAst1, toAst2 := ast1.got.all(), ast2.got.all()
	// Observe is told after the write, so the last packet may be on its
	// way still; it must have seen the rest, none with a negative delay.
	for d, got := range map[softphone.Direction]int{softphone.ToAsterisk: len(toAst1) + len(toAst2), softphone.ToBrowser: b.heard.count()} {
		if n := observed[d].Load(); n < int64(got)-1 || negative[d].Load() != 0 {
			t.Errorf("Observe %v: %d packets (%d with a negative delay), %d arrived", d, n, negative[d].Load(), got)
		}
	}
	for i, got := range [][]rtp.Packet{toAst1, toAst2} {
		if sound := audio(got); !media.HasTone(sound, 600) || media.HasTone(sound, 1000) {
			t.Errorf("Asterisk of call %d: want the browser's 600 Hz alone (power 600 Hz %.2f, 1 kHz %.2f)", i+1, media.Power(sound, 600), media.Power(sound, 1000))
		}
	}
	checkStream(t, "to Asterisk", append(toAst1, toAst2...), len(toAst1), 8000)
	if toAst1[0].SSRC != toAst2[0].SSRC {
		t.Errorf("to Asterisk: SSRC %08x in call 1, %08x in call 2: want one", toAst1[0].SSRC, toAst2[0].SSRC)
	}

	// Asterisk → browser: 1 kHz, one stream over both calls.
	heard := b.heard.all()
	if sound := audio(heard); !media.HasTone(sound, 1000) || media.HasTone(sound, 600) {
		t.Errorf("browser: want Asterisk's 1 kHz alone (power 1 kHz %.2f, 600 Hz %.2f)", media.Power(sound, 1000), media.Power(sound, 600))
	}
	second := -1
	for i, p := range heard[1:] {
		if p.Marker {
			second = i + 1
			break
		}
	}
	if second < 0 {
		t.Fatal("browser: no marker bit where call 2 starts")
	}
	checkStream(t, "to the browser", heard, second, 8000)
}

// checkStream checks that pkts is one stream: one SSRC, each sequence
// number one more than the last; timestamps 160 apart within a call, and
// jump (the gap between calls: the injected second) where the second call
// starts, at index boundary, whose packet has the marker bit.
func checkStream(t *testing.T, what string, pkts []rtp.Packet, boundary int, jump uint32) {
	t.Helper()
	if boundary <= 0 || boundary >= len(pkts) {
		t.Fatalf("%s: call 2 starts at packet %d of %d", what, boundary, len(pkts))
	}
	for i := 1; i < len(pkts); i++ {
		p, q := pkts[i-1], pkts[i]
		if q.SSRC != p.SSRC {
			t.Fatalf("%s: packet %d: SSRC %08x after %08x", what, i, q.SSRC, p.SSRC)
		}
		if q.SequenceNumber != p.SequenceNumber+1 {
			t.Fatalf("%s: packet %d: sequence number %d after %d", what, i, q.SequenceNumber, p.SequenceNumber)
		}
		want := uint32(160)
		if i == boundary {
			want = jump
			if !q.Marker {
				t.Errorf("%s: packet %d (call 2's first) has no marker bit", what, i)
			}
		}
		if q.Timestamp-p.Timestamp != want {
			t.Fatalf("%s: packet %d: timestamp %d after %d, want +%d", what, i, q.Timestamp, p.Timestamp, want)
		}
		if q.PayloadType != 0 || len(q.Payload) != 160 {
			t.Fatalf("%s: packet %d: payload type %d, %d bytes: want PCMU, 160 bytes", what, i, q.PayloadType, len(q.Payload))
		}
	}
}

// TestMuteSendsSilence: muted, Asterisk gets PCMU silence in the same
// stream (no gap in sequence or time); unmuted, the tone again.
func TestMuteSendsSilence(t *testing.T) {
	g := newGateway(t, softphone.Config{})
	b := newBrowser(t)
	s := b.dial(t, g, "agent-mute")
	ast := newAsterisk(t)
	if err := s.Attach("call-1", ast.addr()); err != nil {
		t.Fatal(err)
	}
	stopMic := b.talk(600)
	defer stopMic()
	waitFor(t, "Asterisk hearing the browser", func() bool { return ast.got.count() >= 10 }, &ast.got.sig)
	if err := g.Mute("agent-mute", true); err != nil {
		t.Fatal(err)
	}
	if !s.Muted() {
		t.Fatal("Muted() = false after Mute(true)")
	}
	silent := func(p rtp.Packet) bool {
		for _, x := range p.Payload {
			if x != 0xFF {
				return false
			}
		}
		return len(p.Payload) == 160
	}
	countSilent := func() int {
		n := 0
		for _, p := range ast.got.all() {
			if silent(p) {
				n++
			}
		}
		return n
	}
	waitFor(t, "25 packets of silence", func() bool { return countSilent() >= 25 }, &ast.got.sig)
	if err := g.Mute("agent-mute", false); err != nil {
		t.Fatal(err)
	}
	muted := ast.got.count()
	waitFor(t, "the tone back", func() bool { return ast.got.count() >= muted+25 }, &ast.got.sig)
	stopMic()
	s.Detach()
	ast.drain(t)

	got := ast.got.all()
	// tone, then silence, then tone: two changes at most.
	var runs [][]rtp.Packet
	for i, p := range got {
		if i == 0 || silent(p) != silent(got[i-1]) {
			runs = append(runs, nil)
		}
		runs[len(runs)-1] = append(runs[len(runs)-1], p)
	}
	if len(runs) != 3 || silent(runs[0][0]) || !silent(runs[1][0]) {
		t.Fatalf("want tone, silence, tone; got %d runs", len(runs))
	}
	for _, i := range []int{0, 2} {
		if sound := audio(runs[i]); !media.HasTone(sound, 600) {
			t.Errorf("run %d: no 600 Hz", i)
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i].SequenceNumber != got[i-1].SequenceNumber+1 || got[i].Timestamp != got[i-1].Timestamp+160 {
			t.Fatalf("packet %d: seq %d ts %d after seq %d ts %d: the stream broke", i, got[i].SequenceNumber, got[i].Timestamp, got[i-1].SequenceNumber, got[i-1].Timestamp)
		}
	}
	if err := g.Mute("nobody", true); !errors.Is(err, softphone.ErrNoSession) {
		t.Errorf("Mute of an unknown session: %v, want ErrNoSession", err)
	}
}

// TestOfferWithoutPCMUIsRefused: a browser offering Opus alone gets a
// clear error, and no session is left behind.
func TestOfferWithoutPCMUIsRefused(t *testing.T) {
	g := newGateway(t, softphone.Config{})
	b := newBrowser(t, webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2},
		PayloadType:        111,
	})
	_, _, err := g.Open(context.Background(), "agent-opus", b.offer(t))
	if !errors.Is(err, softphone.ErrNoPCMU) {
		t.Fatalf("Open: %v, want ErrNoPCMU", err)
	}
	if n := g.Sessions(); n != 0 {
		t.Fatalf("%d sessions left after a refused offer", n)
	}
}

// TestOneSessionPerID: a second Open with an open session's ID fails.
func TestOneSessionPerID(t *testing.T) {
	g := newGateway(t, softphone.Config{})
	newBrowser(t).dial(t, g, "agent-1")
	_, _, err := g.Open(context.Background(), "agent-1", newBrowser(t).offer(t))
	if !errors.Is(err, softphone.ErrExists) {
		t.Fatalf("second Open: %v, want ErrExists", err)
	}
	s, err := g.Session("agent-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Session("agent-1"); !errors.Is(err, softphone.ErrNoSession) {
		t.Fatalf("after Close: %v, want ErrNoSession", err)
	}
}

// TestRenegotiateICERestart: the browser restarts ICE (a new offer on the
// same peer connection) in the middle of a call; the gateway answers it,
// and the call's audio carries on in the same stream.
func TestRenegotiateICERestart(t *testing.T) {
	g := newGateway(t, softphone.Config{})
	b := newBrowser(t)
	s := b.dial(t, g, "agent-roam")
	ast := newAsterisk(t)
	if err := s.Attach("call-1", ast.addr()); err != nil {
		t.Fatal(err)
	}
	stopMic := b.talk(600)
	defer stopMic()
	waitFor(t, "Asterisk hearing the browser", func() bool { return ast.got.count() >= 10 }, &ast.got.sig)

	offer, err := b.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(b.pc)
	if err := b.pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	before := b.pc.RemoteDescription().SDP
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	answer, err := s.Renegotiate(ctx, b.pc.LocalDescription().SDP)
	if err != nil {
		t.Fatal(err)
	}
	if iceUfrag(answer) == iceUfrag(before) {
		t.Fatal("the answer to an ICE restart kept the old ICE credentials")
	}
	if err := b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	n := ast.got.count()
	waitFor(t, "audio after the restart", func() bool { return ast.got.count() >= n+25 }, &ast.got.sig)
	if !softphone.SRTPUp(s) {
		t.Error("after the restart, the session has no SRTP keys")
	}
	stopMic()
	s.Detach()
	ast.drain(t)
	// A packet may be lost while ICE switches; the numbering may not jump.
	got := ast.got.all()
	for i := 1; i < len(got); i++ {
		p, q := got[i-1], got[i]
		step := q.SequenceNumber - p.SequenceNumber
		if q.SSRC != p.SSRC || step == 0 || step > 5 || q.Timestamp-p.Timestamp != 160*uint32(step) {
			t.Fatalf("packet %d: ssrc %x seq %d ts %d after ssrc %x seq %d ts %d: the stream broke", i, q.SSRC, q.SequenceNumber, q.Timestamp, p.SSRC, p.SequenceNumber, p.Timestamp)
		}
	}
}

func iceUfrag(sdp string) string {
	for _, line := range strings.Split(sdp, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "a=ice-ufrag:"); ok {
			return v
		}
	}
	return ""
}

// TestAttachByID: the ACD's view of the gateway, by session ID: the
// external host of an open session, ErrNoSession for one not open, and a
// Detach of an earlier channel that leaves the current call attached.
func TestAttachByID(t *testing.T) {
	g := newGateway(t, softphone.Config{})
	if _, err := g.ExternalHost("nobody"); !errors.Is(err, softphone.ErrNoSession) {
		t.Fatalf("ExternalHost of no session: %v, want ErrNoSession", err)
	}
	if err := g.Attach("nobody", "c0", newAsterisk(t).addr()); !errors.Is(err, softphone.ErrNoSession) {
		t.Fatalf("Attach to no session: %v, want ErrNoSession", err)
	}
	s := newBrowser(t).dial(t, g, "agent-2")
	host, err := g.ExternalHost("agent-2")
	if err != nil || host != s.ExternalHost() {
		t.Fatalf("ExternalHost = %q, %v; want %q", host, err, s.ExternalHost())
	}
	if err := g.Attach("agent-2", "c1", newAsterisk(t).addr()); err != nil {
		t.Fatal(err)
	}
	if err := g.Attach("agent-2", "c2", newAsterisk(t).addr()); err != nil {
		t.Fatal(err)
	}
	g.Detach("agent-2", "c1") // the earlier call's late end
	if s.Call() != "c2" {
		t.Fatalf("after detaching c1: call %q, want c2 still", s.Call())
	}
	g.Detach("agent-2", "c2")
	if s.Call() != "" {
		t.Fatalf("after detaching c2: call %q, want none", s.Call())
	}
	g.Detach("nobody", "c2") // no session: nothing to do
}
