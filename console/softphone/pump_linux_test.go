package softphone_test

import (
	"sync/atomic"
	"testing"

	"github.com/hotline-ivr/hotline/console/softphone"
	"github.com/hotline-ivr/hotline/ivr/media"
)

// TestBusyReadsOnATimer: past BusyRate the gateway reads its sockets on
// a timer instead of at each datagram; the media goes on both ways
// meanwhile, and once the traffic stops it goes back to reading as
// datagrams come (and forwards the next call's at once).
func TestBusyReadsOnATimer(t *testing.T) {
	var busy atomic.Bool
	var changed signal
	g := newGateway(t, softphone.Config{BusyRate: 50, OnBusy: func(on bool) { busy.Store(on); changed.fire() }})
	b := newBrowser(t)
	s := b.dial(t, g, "agent-busy")
	ast := newAsterisk(t)
	if err := s.Attach("call-1", ast.addr()); err != nil {
		t.Fatal(err)
	}
	stopMic := b.talk(600)
	stopAst := ast.talk(s.LocalRTP(), 1000)
	// 100 packets a second, over BusyRate.
	waitFor(t, "the gateway busy", busy.Load, &changed, &ast.got.sig)
	heardAst, heardBr := ast.got.count(), b.heard.count()
	waitFor(t, "both sides hearing while busy", func() bool {
		return ast.got.count() >= heardAst+25 && b.heard.count() >= heardBr+25
	}, &ast.got.sig, &b.heard.sig)
	if !busy.Load() {
		t.Fatal("the gateway left busy mode with 100 packets a second going through")
	}
	atAst, atBr := audio(ast.got.all()[heardAst:]), audio(b.heard.all()[heardBr:])
	if media.Power(atAst, 600) < 10*media.Power(atAst, 1000) {
		t.Errorf("Asterisk, while busy: want the browser's 600 Hz (power 600 Hz %.2f, 1 kHz %.2f)", media.Power(atAst, 600), media.Power(atAst, 1000))
	}
	if media.Power(atBr, 1000) < 10*media.Power(atBr, 600) {
		t.Errorf("browser, while busy: want Asterisk's 1 kHz (power 1 kHz %.2f, 600 Hz %.2f)", media.Power(atBr, 1000), media.Power(atBr, 600))
	}

	stopMic()
	stopAst()
	waitFor(t, "the gateway back to reading as datagrams come", func() bool { return !busy.Load() }, &changed)
	n := ast.got.count()
	stop := ast.talk(s.LocalRTP(), 1000)
	defer stop()
	stopMic = b.talk(600)
	defer stopMic()
	waitFor(t, "both sides hearing again", func() bool {
		return ast.got.count() >= n+10 && b.heard.count() >= heardBr+35
	}, &ast.got.sig, &b.heard.sig)
}
