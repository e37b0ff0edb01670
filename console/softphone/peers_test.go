package softphone_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/console/softphone"
	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// waitLimit bounds every wait on an event: past it the test fails rather
// than hangs. It is no timing requirement.
const waitLimit = 20 * time.Second

// loopbackOnly keeps ICE on the loopback interface.
func loopbackOnly(name string) bool { return name == "lo" }

// newGateway starts a gateway on loopback, closed at the end of the test.
func newGateway(t testing.TB, cfg softphone.Config) *softphone.Gateway {
	t.Helper()
	g, err := softphone.New(withLoopback(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Errorf("closing the gateway: %v", err)
		}
	})
	return g
}

// signal is a broadcast: waiters take the current channel, which is closed
// (and replaced) on every change.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *signal) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
	}
	s.ch = make(chan struct{})
}

// packets is what one test peer received, in arrival order.
type packets struct {
	mu   sync.Mutex
	got  []rtp.Packet
	sig  signal
	mark int // a flush marker seen (the Asterisk side)
}

func (p *packets) add(pkt rtp.Packet) {
	p.mu.Lock()
	p.got = append(p.got, pkt)
	p.mu.Unlock()
	p.sig.fire()
}

func (p *packets) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.got)
}

func (p *packets) all() []rtp.Packet {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]rtp.Packet(nil), p.got...)
}

// withLoopback is cfg on the loopback interface only.
func withLoopback(cfg softphone.Config) softphone.Config {
	cfg.ICELoopback = true
	cfg.ICEInterfaces = loopbackOnly
	return cfg
}

// waitFor waits until cond holds, checking it at every change of any of
// sigs.
func waitFor(t testing.TB, what string, cond func() bool, sigs ...*signal) {
	t.Helper()
	limit := time.NewTimer(waitLimit)
	defer limit.Stop()
	for {
		chans := make([]<-chan struct{}, len(sigs))
		for i, s := range sigs {
			chans[i] = s.wait()
		}
		if cond() {
			return
		}
		any := make(chan struct{})
		stop := make(chan struct{})
		for _, c := range chans {
			go func() {
				select {
				case <-c:
					select {
					case any <- struct{}{}:
					case <-stop:
					}
				case <-stop:
				}
			}()
		}
		select {
		case <-any:
			close(stop)
		case <-limit.C:
			close(stop)
			t.Fatalf("waited %v for %s", waitLimit, what)
		}
	}
}

// browser plays an agent's browser: a pion peer connection that sends a
// microphone track and keeps what it hears.
type browser struct {
	pc        *webrtc.PeerConnection
	mic       *webrtc.TrackLocalStaticRTP
	heard     packets
	connected chan struct{}
	state     signal
	// onRTP, when set before dialling, takes each packet heard instead of
	// heard (the load generator's lighter path).
	onRTP func(*rtp.Packet)
}

// newBrowser makes a browser whose media engine has pion's default codecs
// (Opus, G722, PCMU, PCMA) unless codecs are given, as a browser offers
// several.
func newBrowser(t testing.TB, codecs ...webrtc.RTPCodecParameters) *browser {
	t.Helper()
	return newBrowserWith(t, webrtc.Configuration{}, codecs...)
}

// newBrowserWith is newBrowser with a peer connection made with conf
// (its ICE servers and policy).
func newBrowserWith(t testing.TB, conf webrtc.Configuration, codecs ...webrtc.RTPCodecParameters) *browser {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if len(codecs) == 0 {
		if err := me.RegisterDefaultCodecs(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range codecs {
		if err := me.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			t.Fatal(err)
		}
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(loopbackOnly)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(conf)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{pc: pc, connected: make(chan struct{})}
	t.Cleanup(func() { _ = pc.Close() })
	cap := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}
	if len(codecs) > 0 {
		cap = codecs[0].RTPCodecCapability
	}
	b.mic, err = webrtc.NewTrackLocalStaticRTP(cap, "mic", "browser")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(b.mic); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(b.connected) })
		}
		b.state.fire()
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			if b.onRTP != nil {
				b.onRTP(pkt)
				continue
			}
			b.heard.add(*pkt)
		}
	})
	return b
}

// offer returns the browser's complete offer (candidates gathered).
func (b *browser) offer(t testing.TB) string {
	t.Helper()
	o, err := b.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := webrtc.GatheringCompletePromise(b.pc)
	if err := b.pc.SetLocalDescription(o); err != nil {
		t.Fatal(err)
	}
	<-done
	return b.pc.LocalDescription().SDP
}

// dial opens session id on g for b and waits until they are connected.
func (b *browser) dial(t testing.TB, g *softphone.Gateway, id string) *softphone.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	s, answer, err := g.Open(ctx, id, b.offer(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.connected:
	case <-ctx.Done():
		t.Fatalf("browser %s: not connected after %v", id, waitLimit)
	}
	return s
}

// talk sends freq Hz as PCMU every 20 ms from the microphone until the
// returned stop is called (stop returns once sending has stopped).
func (b *browser) talk(freq float64) (stop func()) {
	return pace(freq, func(pkt *rtp.Packet) error { return b.mic.WriteRTP(pkt) })
}

// pace sends 20 ms PCMU frames of a freq Hz tone through send, the first
// at once and then every 20 ms, with a random SSRC, sequence number and
// timestamp start, and the marker bit on the first, until stop.
func pace(freq float64, send func(*rtp.Packet) error) (stop func()) {
	tone := media.EncodeULaw(nil, media.Tone(time.Second, 0.5, freq)) // a whole number of periods at 1 s
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		h := rtp.Header{Version: 2, PayloadType: 0, SSRC: rand.Uint32(), SequenceNumber: uint16(rand.Uint32()), Timestamp: rand.Uint32(), Marker: true}
		for i := 0; ; i++ {
			off := (i * 160) % len(tone)
			_ = send(&rtp.Packet{Header: h, Payload: tone[off : off+160]})
			h.Marker = false
			h.SequenceNumber++
			h.Timestamp += 160
			select {
			case <-quit:
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(quit); <-done }) }
}

// asterisk plays the Asterisk side of an externalMedia channel: a UDP
// socket that sends RTP PCMU and keeps what it gets.
type asterisk struct {
	conn  *net.UDPConn
	got   packets
	flush chan struct{}
}

func newAsterisk(t testing.TB) *asterisk {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	a := &asterisk{conn: conn, flush: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, _, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if string(buf[:n]) == "flush" {
				a.flush <- struct{}{}
				continue
			}
			var pkt rtp.Packet
			if err := pkt.Unmarshal(append([]byte(nil), buf[:n]...)); err != nil {
				continue
			}
			a.got.add(pkt)
		}
	}()
	t.Cleanup(func() { _ = conn.Close(); <-done })
	return a
}

func (a *asterisk) addr() netip.AddrPort { return a.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// talk sends freq Hz to the gateway's external_host until stop.
func (a *asterisk) talk(to netip.AddrPort, freq float64) (stop func()) {
	return pace(freq, func(pkt *rtp.Packet) error {
		b, err := pkt.Marshal()
		if err != nil {
			return err
		}
		_, err = a.conn.WriteToUDPAddrPort(b, to)
		if errors.Is(err, net.ErrClosed) {
			return err
		}
		return nil
	})
}

// drain returns once every datagram that reached the socket before the
// call has been read: it sends itself a marker, which the reader sees
// after them.
func (a *asterisk) drain(t testing.TB) {
	t.Helper()
	if _, err := a.conn.WriteToUDPAddrPort([]byte("flush"), a.addr()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-a.flush:
	case <-time.After(waitLimit):
		t.Fatal("the Asterisk socket never read its own flush marker")
	}
}

// audio decodes the payloads of pkts.
func audio(pkts []rtp.Packet) []int16 {
	var s []int16
	for _, p := range pkts {
		s = media.DecodeULaw(s, p.Payload)
	}
	return s
}
