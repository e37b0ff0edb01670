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
	conn   *net.UDPConn
	local  netip.AddrPort
	toAstr uint32 // the SSRC of the stream Asterisk gets

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
	epoch    uint64
	at       time.Time
	reported atomic.Bool // its no-media report is out
}

// ID is the session's ID, as given to [Gateway.Open].
func (s *Session) ID() string { return s.id }

// ExternalHost is the address to give as external_host in the ARI
// externalMedia request ("ip:port"): Asterisk sends the call's audio there.
func (s *Session) ExternalHost() string { return s.local.String() }

// LocalRTP is the same address as [Session.ExternalHost].
func (s *Session) LocalRTP() netip.AddrPort { return s.local }

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
// is attached replaces it. A call starts unmuted.
func (s *Session) Attach(call string, asterisk netip.AddrPort) error {
	if !asterisk.IsValid() || asterisk.Port() == 0 || asterisk.Addr().IsUnspecified() {
		return fmt.Errorf("softphone: session %q: Asterisk's RTP address %q is not a host and port", s.id, asterisk)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || s.dead {
		return fmt.Errorf("softphone: session %q: %w", s.id, ErrClosed)
	}
	s.epoch++
	s.muted.Store(false)
	s.att.Store(&attachment{call: call, addr: unmap(asterisk), epoch: s.epoch, at: s.g.clock.Now()})
	s.g.log.Info("softphone: call attached", "session", s.id, "call", call, "asterisk", asterisk)
	return nil
}

// Detach ends the call in progress: nothing is forwarded either way until
// the next Attach. The peer connection stays up.
func (s *Session) Detach() {
	if a := s.att.Swap(nil); a != nil {
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
	s.att.Store(nil)
	var errs []error
	if s.pc != nil {
		if err := s.pc.Close(); err != nil {
			errs = append(errs, fmt.Errorf("softphone: session %q: close peer connection: %w", s.id, err))
		}
	}
	if s.conn != nil {
		if err := s.conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("softphone: session %q: close RTP socket: %w", s.id, err))
		}
	}
	return errors.Join(errs...)
}

// start opens the socket and the peer connection and answers offer.
func (s *Session) start(ctx context.Context, offer string) (string, error) {
	g := s.g
	conn, err := net.ListenUDP("udp", udpAddr(g.host))
	if err != nil {
		return "", fmt.Errorf("softphone: session %q: RTP socket on %s: %w", s.id, g.host, err)
	}
	s.conn = conn
	s.local = unmap(conn.LocalAddr().(*net.UDPAddr).AddrPort())
	s.toAstr = rand.Uint32() | 1

	pc, err := g.api.NewPeerConnection(webrtc.Configuration{ICEServers: g.cfg.ICEServers})
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
	s.wg.Add(2)
	go s.drainRTCP(sender)
	go s.fromAsterisk()
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

// fromBrowser forwards the browser's RTP to the attached Asterisk side.
// One track is read at a time; when it ends (a renegotiation replaced it),
// the next one the browser sends is taken.
func (s *Session) fromBrowser(t *webrtc.TrackRemote) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		s.trackSeen = false
		s.mu.Unlock()
	}()
	pt := uint8(t.PayloadType())
	observe := s.g.cfg.Observe
	var (
		in, out = make([]byte, 1500), make([]byte, 1500)
		silence = make([]byte, 1500)
		rw      = rewriter{ssrc: s.toAstr}
		h       rtp.Header
	)
	for i := range silence {
		silence[i] = ulawSilence
	}
	for {
		n, _, err := t.Read(in)
		if err != nil {
			return
		}
		var t0 time.Time
		if observe != nil {
			t0 = time.Now()
		}
		now := s.g.clock.Now()
		s.lastRx.Store(now.UnixNano())
		a := s.att.Load()
		if a == nil {
			continue
		}
		payload, ok := parse(&h, in[:n])
		if !ok || h.PayloadType != pt || !rw.rewrite(&h, a.epoch, now) {
			continue
		}
		h.PayloadType = 0 // PCMU's static type, as Asterisk expects it
		if s.muted.Load() {
			payload = silence[:len(payload)]
		}
		m, err := h.MarshalTo(out)
		if err != nil || m+len(payload) > len(out) {
			continue
		}
		m += copy(out[m:], payload)
		if _, err := s.conn.WriteToUDPAddrPort(out[:m], a.addr); err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if observe != nil {
			observe(ToAsterisk, time.Since(t0))
		}
	}
}

// fromAsterisk forwards the attached Asterisk side's RTP to the browser.
func (s *Session) fromAsterisk() {
	defer s.wg.Done()
	observe := s.g.cfg.Observe
	var (
		in  = make([]byte, 1500)
		rw  rewriter // the track sets the SSRC the browser was told of
		pkt rtp.Packet
		oob []byte
	)
	// Observed, a packet's delay counts from its arrival in the kernel
	// where the system stamps it: waiting to be read is the gateway's too.
	if observe != nil && enableRxStamps(s.conn) {
		oob = make([]byte, stampSpace)
	}
	for {
		var (
			n    int
			from netip.AddrPort
			err  error
			t0   time.Time
		)
		if oob != nil {
			var oobn int
			n, oobn, _, from, err = s.conn.ReadMsgUDPAddrPort(in, oob)
			if err == nil {
				t0 = rxStamp(oob[:oobn])
			}
		} else {
			n, from, err = s.conn.ReadFromUDPAddrPort(in)
		}
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.g.log.Warn("softphone: RTP read", "session", s.id, "error", err)
			continue
		}
		if observe != nil && t0.IsZero() {
			t0 = time.Now()
		}
		a := s.att.Load()
		if a == nil || unmap(from) != a.addr {
			continue // not the attached call's Asterisk: dropped
		}
		payload, ok := parse(&pkt.Header, in[:n])
		if !ok || pkt.PayloadType != 0 || !rw.rewrite(&pkt.Header, a.epoch, s.g.clock.Now()) {
			continue
		}
		pkt.Payload = payload
		if err := s.track.WriteRTP(&pkt); err != nil {
			continue
		}
		if observe != nil {
			observe(ToBrowser, time.Since(t0))
		}
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

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}
