package softphone_test

import (
	"context"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/CyCoreSystems/ari/v6/client/native"
	"github.com/hotline-ivr/hotline/console/softphone"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/media"
)

// TestWithEmulatorExternalMedia: the ARI emulator's externalMedia
// channel, bridged with a caller, exchanges RTP with a session as the ACD
// will set it up: externalMedia with the session's external_host, the
// UNICASTRTP_LOCAL_ADDRESS/PORT variables read back and attached. The
// browser hears the caller's 1 kHz; the caller's bridge records the
// browser's 600 Hz.
func TestWithEmulatorExternalMedia(t *testing.T) {
	emu, err := aritest.New(aritest.Config{Username: "hotline", Password: "secret", RecordingsDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	// Cancelling ctx ends the client; its Close races (ari.md).
	cl, err := native.ConnectWithContext(ctx, &native.Options{
		Application: "hotline", URL: emu.URL(), WebsocketURL: "ws" + strings.TrimPrefix(emu.URL(), "http") + "/events",
		Username: "hotline", Password: "secret",
	})
	if err != nil {
		t.Fatal(err)
	}
	sub := cl.Bus().Subscribe(nil, ari.Events.StasisStart, ari.Events.RecordingStarted, ari.Events.RecordingFinished)
	defer sub.Cancel()
	next := func(kind string, ok func(ari.Event) bool) {
		t.Helper()
		for {
			select {
			case e := <-sub.Events():
				if e.GetType() == kind && (ok == nil || ok(e)) {
					return
				}
			case <-ctx.Done():
				t.Fatalf("no %s event", kind)
			}
		}
	}
	stasis := func(id string) func(ari.Event) bool {
		return func(e ari.Event) bool { return e.(*ari.StasisStart).Channel.ID == id }
	}

	g := newGateway(t, softphone.Config{})
	b := newBrowser(t)
	s := b.dial(t, g, "agent-emu")

	caller, err := emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008001234"})
	if err != nil {
		t.Fatal(err)
	}
	next("StasisStart", stasis(caller.ID()))
	if err := cl.Channel().Answer(ari.NewKey(ari.ChannelKey, caller.ID())); err != nil {
		t.Fatal(err)
	}
	em, err := cl.Channel().ExternalMedia(nil, ari.ExternalMediaOptions{
		App: "hotline", ExternalHost: s.ExternalHost(), Format: "ulaw", ChannelID: "em-agent",
	})
	if err != nil {
		t.Fatal(err)
	}
	next("StasisStart", stasis("em-agent"))
	host, err := em.GetVariable("UNICASTRTP_LOCAL_ADDRESS")
	if err != nil {
		t.Fatal(err)
	}
	port, err := em.GetVariable("UNICASTRTP_LOCAL_PORT")
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Attach("em-agent", netip.AddrPortFrom(addr, uint16(p))); err != nil {
		t.Fatal(err)
	}
	br, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, "call"), "mixing", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{caller.ID(), "em-agent"} {
		if err := br.AddChannel(id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := br.Record("agent-side", &ari.RecordingOptions{Format: "wav"}); err != nil {
		t.Fatal(err)
	}
	next("RecordingStarted", nil)

	stopMic := b.talk(600)
	defer stopMic()
	if err := caller.SendTone(3*time.Second, 1000); err != nil {
		t.Fatal(err)
	}
	// The emulator sends a frame every 20 ms: silence until the tone.
	waitFor(t, "the browser hearing the caller's 1 kHz", func() bool {
		heard := b.heard.all()
		return len(heard) >= 25 && media.HasTone(audio(heard[len(heard)-25:]), 1000)
	}, &b.heard.sig)
	if err := emu.WaitRTP(ctx, 50); err != nil {
		t.Fatalf("the emulator took under 50 PCMU packets from the gateway: %v", err)
	}
	if err := cl.LiveRecording().Stop(ari.NewKey(ari.LiveRecordingKey, "agent-side")); err != nil {
		t.Fatal(err)
	}
	next("RecordingFinished", nil)
	rec, err := media.ReadWAVFile(filepath.Join(emu.RecordingsDir(), "agent-side.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if !media.HasTone(rec, 600) {
		t.Errorf("the bridge recording lacks the browser's 600 Hz (power %.2f)", media.Power(rec, 600))
	}
	s.Detach()
	if err := em.Hangup(); err != nil {
		t.Fatal(err)
	}
}
