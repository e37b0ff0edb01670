package aritest_test

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/pion/rtp"
)

// TestExternalMediaRTP: an externalMedia channel binds a real UDP port,
// sends what its bridge carries as PCMU every 20 ms, and what it receives
// is heard in the bridge (here: in a bridge recording).
func TestExternalMediaRTP(t *testing.T) {
	e := newEnv(t)
	cl := e.client("hotline")
	ev := watch(t, cl)
	cust := e.inbound(cl, ev, "13800138000")

	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	em, err := cl.Channel().ExternalMedia(nil, ari.ExternalMediaOptions{
		App: "hotline", ExternalHost: peer.LocalAddr().String(), Format: "ulaw", ChannelID: "em-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	// StasisStart follows the REST reply; only then can it join a bridge.
	ev.next("StasisStart", func(x ari.Event) bool { return x.(*ari.StasisStart).Channel.ID == "em-1" })
	// ari.md: the client drops the response body, so read the port back.
	port, err := em.GetVariable("UNICASTRTP_LOCAL_PORT")
	if err != nil {
		t.Fatal(err)
	}
	addr, err := em.GetVariable("UNICASTRTP_LOCAL_ADDRESS")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	local := &net.UDPAddr{IP: net.ParseIP(addr), Port: p}

	br, err := cl.Bridge().Create(ari.NewKey(ari.BridgeKey, "media"), "mixing", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{cust.h.ID(), "em-1"} {
		if err := br.AddChannel(id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := br.Record("em-call", &ari.RecordingOptions{Format: "wav"}); err != nil {
		t.Fatal(err)
	}
	ev.next("RecordingStarted", nil)

	// Outbound: the caller's 1000 Hz reaches us as 50 PCMU frames.
	if err := cust.party.SendTone(time.Second, 1000); err != nil {
		t.Fatal(err)
	}
	var got []int16
	var lastSeq uint16
	buf := make([]byte, 1500)
	for i := 0; i < 50; i++ {
		e.advance(20 * time.Millisecond)
		_ = peer.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, from, err := peer.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if from.Port != p {
			t.Fatalf("RTP from port %d, want the advertised %d", from.Port, p)
		}
		var pkt rtp.Packet
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			t.Fatal(err)
		}
		if pkt.PayloadType != 0 || len(pkt.Payload) != media.FrameSamples {
			t.Fatalf("frame %d: PT %d with %d bytes, want PCMU 160", i, pkt.PayloadType, len(pkt.Payload))
		}
		if i > 0 && pkt.SequenceNumber != lastSeq+1 {
			t.Errorf("sequence %d after %d", pkt.SequenceNumber, lastSeq)
		}
		lastSeq = pkt.SequenceNumber
		got = media.DecodeULaw(got, pkt.Payload)
	}
	if !media.HasTone(got, 1000) {
		t.Error("RTP from the emulator lacks the caller's 1000 Hz tone")
	}

	// Inbound: 1 s of 700 Hz from us is heard in the bridge.
	tone := media.Tone(time.Second, 0.5, 700)
	for i := 0; i < 50; i++ {
		pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(i), Timestamp: uint32(i * 160), SSRC: 42},
			Payload: media.EncodeULaw(nil, tone[i*160:(i+1)*160])}
		b, _ := pkt.Marshal()
		if _, err := peer.WriteToUDP(b, local); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.emu.WaitRTP(ctxT(t), 50); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Second)
	e.mustRest("POST", "/recordings/live/em-call/stop", nil, 204)
	ev.next("RecordingFinished", nil)
	rec := e.wavOf("em-call")
	if !media.HasTone(rec[:media.SampleRate], 1000) {
		t.Error("bridge recording lacks the caller's tone")
	}
	if !media.HasTone(rec[media.SampleRate:], 700) {
		t.Error("bridge recording lacks the audio received over RTP")
	}
	// Hanging up the channel closes its port.
	if err := em.Hangup(); err != nil {
		t.Fatal(err)
	}
	ev.next("ChannelDestroyed", func(x ari.Event) bool { return x.(*ari.ChannelDestroyed).Channel.ID == "em-1" })
}

func TestExternalMediaErrors(t *testing.T) {
	e := newEnv(t)
	_ = e.client("hotline")
	tests := []struct {
		name, query string
		status      int
	}{
		{"missing host", "app=hotline&format=ulaw", 400},
		{"missing format", "app=hotline&external_host=127.0.0.1:4000", 400},
		{"unsupported format", "app=hotline&external_host=127.0.0.1:4000&format=slin16", 400},
		{"audiosocket", "app=hotline&external_host=127.0.0.1:4000&format=ulaw&encapsulation=audiosocket", 400},
		{"bad host", "app=hotline&external_host=nowhere&format=ulaw", 400},
		{"bad enum", "app=hotline&external_host=127.0.0.1:4000&format=ulaw&transport=carrier-pigeon", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.mustRest("POST", "/channels/externalMedia?"+tt.query, nil, tt.status)
		})
	}
}
