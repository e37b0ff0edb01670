package softphone

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// ulawSilence is PCMU's zero sample.
const ulawSilence = 0xFF

// Session is one browser's peer connection and its Asterisk-side UDP
// socket. It lives as long as the agent's browser stays connected; calls
// are attached to it and detached from it in turn.
type Session struct {
	id     string
	g      *Gateway
	pc     *webrtc.PeerConnection
	track  *webrtc.TrackLocalStaticRTP
	sock   *rtpSock // the gateway's Asterisk-side socket it writes from
	toAstr uint32   // the SSRC of the stream Asterisk gets

	// brRW rewrites towards the browser (the track sets the SSRC). The
	// system hands one source's datagrams to one of the gateway's
	// sockets, so one reader uses it; the lock makes sure.
	brMu sync.Mutex
	brRW rewriter

	// bufs are the buffers of the browser's incoming RTP streams, by
	// SSRC (see direct.go).
	bufMu sync.Mutex
	bufs  map[uint32]*mediaBuffer

	att    atomic.Pointer[attachment]
	muted  atomic.Bool
	lastRx atomic.Int64 // clock time (UnixNano) of the browser's last RTP packet

	mu          sync.Mutex
	epoch       uint64
	closing     bool
	dead        bool // reported closed: no more reports
	iceSince    time.Time
	iceReported bool
	trackSeen   bool
	negotiating sync.Mutex // one offer/answer at a time
	wg          sync.WaitGroup
	closeOnce   sync.Once
	closeErr    error
}

// attachment is the Asterisk side of the call in progress.
type attachment struct {
	call     string
	addr     netip.AddrPort
	to       sendAddr // addr, for sending
	epoch    uint64
	at       time.Time
	reported atomic.Bool // its no-media report is out
}

// ID is the session's ID, as given to [Gateway.Open].
func (s *Session) ID() string { return s.id }

// ExternalHost is the address to give as external_host in the ARI
// externalMedia request ("ip:port"): Asterisk sends the call's audio there.
// The gateway's sessions share it: the gateway tells their calls' RTP
// apart by the address Asterisk sends it from, given to [Session.Attach].
func (s *Session) ExternalHost() string { return s.sock.local.String() }

// LocalRTP is the same address as [Session.ExternalHost].
func (s *Session) LocalRTP() netip.AddrPort { return s.sock.local }

// AddICECandidate adds a candidate the browser trickled after its offer.
func (s *Session) AddICECandidate(c webrtc.ICECandidateInit) error {
	if err := s.pc.AddICECandidate(c); err != nil {
		return fmt.Errorf("softphone: session %q: add ICE candidate: %w", s.id, err)
	}
	return nil
}

// Renegotiate answers a new offer from the browser on the same peer
// connection, e.g. an ICE restart after the agent's network changed (the
// browser's restartIce()), and returns the answer, complete as Open's is.
// The media, the attached call and its streams carry on.
func (s *Session) Renegotiate(ctx context.Context, offer string) (string, error) {
	if err := checkOffer(offer); err != nil {
		return "", err
	}
	s.negotiating.Lock()
	defer s.negotiating.Unlock()
	if err := s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("softphone: session %q: the browser's new offer: %w", s.id, err)
	}
	return s.answer(ctx)
}

// answer answers the remote offer set and waits until the answer holds
// every local candidate.
func (s *Session) answer(ctx context.Context) (string, error) {
	answer, err := s.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("softphone: session %q: answer: %w", s.id, err)
	}
	gathered := webrtc.GatheringCompletePromise(s.pc)
	if err := s.pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("softphone: session %q: set answer: %w", s.id, err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return "", fmt.Errorf("softphone: session %q: gathering ICE candidates: %w", s.id, ctx.Err())
	}
	return s.pc.LocalDescription().SDP, nil
}

// Attach connects call (a label used in reports, e.g. the externalMedia
// channel's ID) to the session: from now on the browser's audio goes to
// asterisk, the address the externalMedia channel sends from (its
// UNICASTRTP_LOCAL_ADDRESS and UNICASTRTP_LOCAL_PORT), and only RTP
// from that address is forwarded to the browser. Attaching while a call
// is attached replaces it. A call starts unmuted. Since every session
// shares one external_host, the address is the call's alone: attaching
// it to a session takes it from any other session it was attached to
// (whose call Asterisk has ended, since it reuses the port), and RTP from
// an address no session has attached is dropped.
func (s *Session) Attach(call string, asterisk netip.AddrPort) error {
	if !asterisk.IsValid() || asterisk.Port() == 0 || asterisk.Addr().IsUnspecified() {
		return fmt.Errorf("softphone: session %q: Asterisk's RTP address %q is not a host and port", s.id, asterisk)
	}
	if s.g.host.Is4() && !asterisk.Addr().Unmap().Is4() {
		return fmt.Errorf("softphone: session %q: Asterisk's RTP address %s is IPv6 and RTPHost %s IPv4", s.id, asterisk, s.g.host)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || s.dead {
		return fmt.Errorf("softphone: session %q: %w", s.id, ErrClosed)
	}
	s.epoch++
	s.muted.Store(false)
	addr := unmap(asterisk)
	if old := s.att.Swap(&attachment{call: call, addr: addr, to: toSendAddr(s.g.host, addr), epoch: s.epoch, at: s.g.clock.Now()}); old != nil && old.addr != addr {
		s.g.unbind(old.addr, s)
	}
	s.g.bind(addr, s)
	s.g.log.Info("softphone: call attached", "session", s.id, "call", call, "asterisk", asterisk)
	return nil
}

// Detach ends the call in progress: nothing is forwarded either way until
// the next Attach. The peer connection stays up.
func (s *Session) Detach() {
	s.detach(func(*attachment) bool { return true })
}

// detach detaches the call attached if it is one ok accepts.
func (s *Session) detach(ok func(*attachment) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.att.Load(); a != nil && ok(a) {
		s.att.Store(nil)
		s.g.unbind(a.addr, s)
		s.g.log.Info("softphone: call detached", "session", s.id, "call", a.call)
	}
}

// Call is the label of the attached call, "" when none is.
func (s *Session) Call() string {
	if a := s.att.Load(); a != nil {
		return a.call
	}
	return ""
}

// SetMute stops (on) or resumes (off) forwarding the browser's audio to
// Asterisk; muted, each browser packet goes on as PCMU silence, so the
// stream Asterisk gets keeps its pace. See also [Gateway.Mute].
func (s *Session) SetMute(on bool) { s.muted.Store(on) }

// Muted reports whether the session is muted.
func (s *Session) Muted() bool { return s.muted.Load() }

// Close closes the peer connection and the UDP socket and forgets the
// session. It reports nothing to [Config.OnDead].
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		s.closeErr = s.shutdown()
		s.wg.Wait()
		s.g.forget(s)
		s.g.log.Info("softphone: session closed", "session", s.id)
	})
	return s.closeErr
}

// shutdown closes what start opened.
func (s *Session) shutdown() error {
	s.mu.Lock()
	if a := s.att.Swap(nil); a != nil {
		s.g.unbind(a.addr, s)
	}
	s.mu.Unlock()
	if s.pc != nil {
		if err := s.pc.Close(); err != nil {
			return fmt.Errorf("softphone: session %q: close peer connection: %w", s.id, err)
		}
	}
	return nil
}

// start opens the peer connection and answers offer.
func (s *Session) start(ctx context.Context, offer string) (string, error) {
	g := s.g
	s.toAstr = rand.Uint32() | 1

	pc, err := g.newAPI(s).NewPeerConnection(webrtc.Configuration{ICEServers: g.cfg.ICEServers})
	if err != nil {
		return "", fmt.Errorf("softphone: session %q: peer connection: %w", s.id, err)
	}
	s.pc = pc
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: clockRate, Channels: 1}, "audio", "hotline")
	if err != nil {
		return "", fmt.Errorf("softphone: session %q: track: %w", s.id, err)
	}
	s.track = track
	sender, err := pc.AddTrack(track)
	if err != nil {
		return "", fmt.Errorf("softphone: session %q: add track: %w", s.id, err)
	}
	pc.OnTrack(s.onTrack)
	pc.OnICEConnectionStateChange(s.onICEState)
	pc.OnConnectionStateChange(s.onPCState)
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("softphone: session %q: the browser's offer: %w", s.id, err)
	}
	answer, err := s.answer(ctx)
	if err != nil {
		return "", err
	}
	s.wg.Add(1)
	go s.drainRTCP(sender)
	return answer, nil
}

// drainRTCP reads the browser's RTCP about our stream (pion wants it
// read); the gateway has no use for it.
func (s *Session) drainRTCP(sender *webrtc.RTPSender) {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	for {
		if _, _, err := sender.Read(buf); err != nil {
			return
		}
	}
}

func (s *Session) onTrack(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	if t.Kind() != webrtc.RTPCodecTypeAudio {
		return
	}
	s.mu.Lock()
	if s.closing || s.trackSeen {
		s.mu.Unlock()
		return
	}
	s.trackSeen = true
	s.wg.Add(1)
	s.mu.Unlock()
	go s.fromBrowser(t)
}

// fromBrowser forwards the browser's RTP to the attached Asterisk side:
// from the stream's buffer, on pion's SRTP session goroutine (see
// direct.go), or else by reading the track. One track is forwarded at a
// time; when it ends (a renegotiation replaced it, the peer connection
// closed), the next one the browser sends is taken.
func (s *Session) fromBrowser(t *webrtc.TrackRemote) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		s.trackSeen = false
		s.mu.Unlock()
	}()
	fw := newForwarder(s, uint8(t.PayloadType()))
	if b := s.buffer(uint32(t.SSRC())); b != nil {
		b.fw.Store(fw)
		<-b.closed
		return
	}
	in := make([]byte, 1500)
	for !fw.isClosed {
		n, _, err := t.Read(in)
		if err != nil {
			return
		}
		fw.forward(in[:n])
	}
}

// toBrowser forwards b, an RTP packet from Asterisk's address from
// (read at t0, for Observe), to the browser if from is the attached
// call's. It runs on a socket's reader goroutine; pkt is the reader's.
func (s *Session) toBrowser(pkt *rtp.Packet, b []byte, from netip.AddrPort, t0 time.Time) {
	a := s.att.Load()
	if a == nil || from != a.addr {
		return // not the attached call's Asterisk: dropped
	}
	payload, ok := parse(&pkt.Header, b)
	if !ok || pkt.PayloadType != 0 {
		return
	}
	s.brMu.Lock()
	defer s.brMu.Unlock()
	if !s.brRW.rewrite(&pkt.Header, a.epoch, s.g.clock.Now()) {
		return
	}
	pkt.Payload = payload
	if err := s.track.WriteRTP(pkt); err != nil {
		return
	}
	if observe := s.g.cfg.Observe; observe != nil {
		observe(ToBrowser, time.Since(t0))
	}
}

// parse reads an RTP packet's header into h and returns its payload
// (padding removed); header extensions and CSRCs are dropped, since none
// are negotiated with either side.
func parse(h *rtp.Header, b []byte) ([]byte, bool) {
	hl, err := h.Unmarshal(b)
	if err != nil || h.Version != 2 {
		return nil, false
	}
	payload := b[hl:]
	if h.Padding {
		if len(payload) == 0 || int(payload[len(payload)-1]) > len(payload) {
			return nil, false
		}
		payload = payload[:len(payload)-int(payload[len(payload)-1])]
	}
	h.Padding, h.PaddingSize = false, 0
	h.Extension, h.Extensions, h.ExtensionProfile = false, nil, 0
	h.CSRC = nil
	return payload, true
}

func isClosed(err error) bool { return errors.Is(err, net.ErrClosed) }

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}
