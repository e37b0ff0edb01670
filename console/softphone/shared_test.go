package softphone_test

import (
	"testing"

	"github.com/hotline-ivr/hotline/console/softphone"
	"github.com/hotline-ivr/hotline/ivr/media"
)

// TestSharedExternalHost: two sessions share one external_host; each
// browser hears its own call's Asterisk alone (told apart by the address
// Asterisk sends from), and RTP from an address no session has attached
// (a stranger, then a detached call) reaches nobody.
func TestSharedExternalHost(t *testing.T) {
	g := newGateway(t, softphone.Config{})
	b1, b2 := newBrowser(t), newBrowser(t)
	s1, s2 := b1.dial(t, g, "agent-a"), b2.dial(t, g, "agent-b")
	if s1.ExternalHost() != s2.ExternalHost() {
		t.Fatalf("external hosts %s and %s: want one shared", s1.ExternalHost(), s2.ExternalHost())
	}
	ast1, ast2, stranger := newAsterisk(t), newAsterisk(t), newAsterisk(t)
	if err := s1.Attach("call-a", ast1.addr()); err != nil {
		t.Fatal(err)
	}
	if err := s2.Attach("call-b", ast2.addr()); err != nil {
		t.Fatal(err)
	}
	stopStranger := stranger.talk(s1.LocalRTP(), 2000)
	defer stopStranger()
	stop1 := ast1.talk(s1.LocalRTP(), 1000)
	defer stop1()
	stop2 := ast2.talk(s2.LocalRTP(), 600)
	defer stop2()
	waitFor(t, "both browsers hearing their calls", func() bool {
		return b1.heard.count() >= 50 && b2.heard.count() >= 50
	}, &b1.heard.sig, &b2.heard.sig)
	stop1()
	stop2()
	for _, c := range []struct {
		b          *browser
		want, nots []float64
	}{{b1, []float64{1000}, []float64{600, 2000}}, {b2, []float64{600}, []float64{1000, 2000}}} {
		sound := audio(c.b.heard.all())
		for _, f := range c.want {
			if !media.HasTone(sound, f) {
				t.Errorf("a browser lacks its call's %v Hz (power %.2f)", f, media.Power(sound, f))
			}
		}
		for _, f := range c.nots {
			if media.HasTone(sound, f) {
				t.Errorf("a browser hears %v Hz, not its call's (power %.2f)", f, media.Power(sound, f))
			}
		}
	}

	// Detached, call-a's RTP reaches nobody; b2's call is unaffected.
	s1.Detach()
	n1, n2 := b1.heard.count(), b2.heard.count()
	stop1 = ast1.talk(s1.LocalRTP(), 1000)
	stop2 = ast2.talk(s2.LocalRTP(), 600)
	waitFor(t, "browser b hearing its call after the detach of a", func() bool { return b2.heard.count() >= n2+50 }, &b2.heard.sig)
	stop1()
	stop2()
	stopStranger()
	// Meanwhile ast1 sent b as many packets as ast2 did (50 and more);
	// b1 may have got one or two forwarded before the detach, still on
	// their way when it was counted, and nothing else.
	if got := b1.heard.count(); got > n1+2 {
		t.Errorf("browser a heard %d packets after its call was detached", got-n1)
	}

	// ast2's address attached to a (Asterisk reused its port for a new
	// call) is a's from now on: b stops hearing it.
	if err := s1.Attach("call-c", ast2.addr()); err != nil {
		t.Fatal(err)
	}
	n1, n2 = b1.heard.count(), b2.heard.count()
	stop2 = ast2.talk(s2.LocalRTP(), 600)
	waitFor(t, "browser a hearing the address it took", func() bool { return b1.heard.count() >= n1+50 }, &b1.heard.sig)
	stop2()
	if got := b2.heard.count(); got > n2+2 {
		t.Errorf("browser b heard %d packets from an address a took", got-n2)
	}
	if s2.Call() != "call-b" {
		t.Errorf("b's call is %q, want call-b still attached", s2.Call())
	}
}
