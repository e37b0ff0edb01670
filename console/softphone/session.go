package softphone

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/transport/v5/packetio"
)

// ulawSilence is PCMU's zero sample.
const ulawSilence = 0xFF

// maxRemotes bounds the browser addresses a session keeps (the pairs
// its checks came on): a browser tries a few; the oldest go first.
const maxRemotes = 8

// Session is one browser's peer connection: its ICE credentials and
// pairs, its DTLS connection and SRTP keys, and the call attached to it.
// It lives as long as the agent's browser stays connected; calls are
// attached to it and detached from it in turn.
type Session struct {
	id     string
	g      *Gateway
	sock   *rtpSock // the gateway's Asterisk-side socket it writes from
	toAstr uint32   // the SSRC of the stream Asterisk gets
	ssrc   uint32   // the SSRC of the stream the browser gets
	pt     atomic.Uint32
	cert   *certificate
	fps    []string // the browser's certificate's fingerprints, from its first offer
	sessID uint64   // the answers' o= line
	answer int      // answers made (the o= line's version); under negotiating

	creds    atomic.Pointer[iceCreds]
	oldCreds *iceCreds // before an ICE restart, for the checks still on the old pair; under mu
	pair     atomic.Pointer[icePair]
	remotes  []netip.AddrPort // the browser's addresses bound to the session; under mu
	heard    atomic.Int64     // clock time (UnixNano) of the last datagram from the browser
	pairUp   chan struct{}    // closed at the first pair
	pairOnce sync.Once

	dtlsPipe *dtlsConn
	dtls     dtlsState
	keys     atomic.Pointer[srtpKeys]
	ctx      context.Context
	cancel   context.CancelFunc

	// Towards the browser: the rewriter (its SSRC is the session's), the
	// packet being built and sealed. The system hands one source's
	// datagrams to one of the gateway's sockets, so one reader uses
	// them; the lock makes sure (a new call may come on another).
	brMu  sync.Mutex
	brRW  rewriter
	brOut []byte
	brEnc []byte

	// Towards Asterisk: the browser's SRTP opened and forwarded, by the
	// ICE reader it arrives on (one, but for a change of pair).
	rxMu  sync.Mutex
	rxHdr rtp.Header
	rxDec []byte
	fw    *forwarder

	att    atomic.Pointer[attachment]
	muted  atomic.Bool
	lastRx atomic.Int64 // clock time (UnixNano) of the browser's last RTP packet

	mu          sync.Mutex
	epoch       uint64
	closing     bool
	dead        bool // reported closed: no more reports
	iceReported bool
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

// ICECandidate is a candidate the browser trickles, as its
// RTCIceCandidate.toJSON() writes it.
type ICECandidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}

// AddICECandidate takes a candidate the browser trickled after its
// offer; an empty one ends them. The gateway, a lite ICE agent, learns
// the browser's addresses from its checks and so uses none: a candidate
// is checked (its syntax, RFC 8839 §5.1, and its ICE generation) and
// refused when wrong, as a full agent would.
func (s *Session) AddICECandidate(c ICECandidate) error {
	if c.Candidate == "" {
		return nil
	}
	if err := checkCandidate(c.Candidate); err != nil {
		return fmt.Errorf("softphone: session %q: candidate %q: %w", s.id, c.Candidate, err)
	}
	if c.UsernameFragment != nil && *c.UsernameFragment != "" {
		if cr := s.creds.Load(); cr != nil && cr.remoteUfrag != *c.UsernameFragment {
			return fmt.Errorf("softphone: session %q: a candidate of ICE username fragment %q, the browser's is %q", s.id, *c.UsernameFragment, cr.remoteUfrag)
		}
	}
	return nil
}

// checkCandidate checks an ICE candidate attribute's syntax:
// "candidate:foundation component transport priority address port typ
// type …".
func checkCandidate(c string) error {
	c = strings.TrimPrefix(strings.TrimSpace(c), "a=")
	v, ok := strings.CutPrefix(c, "candidate:")
	if !ok {
		return errors.New(`it does not start with "candidate:"`)
	}
	f := strings.Fields(v)
	if len(f) < 8 {
		return errors.New("it has fewer than the 8 fields foundation, component, transport, priority, address, port, typ and type")
	}
	if n, err := strconv.ParseUint(f[1], 10, 8); err != nil || n == 0 {
		return fmt.Errorf("component %q is not a number from 1 to 255", f[1])
	}
	if !strings.EqualFold(f[2], "udp") && !strings.EqualFold(f[2], "tcp") {
		return fmt.Errorf("transport %q is neither UDP nor TCP", f[2])
	}
	if _, err := strconv.ParseUint(f[3], 10, 32); err != nil {
		return fmt.Errorf("priority %q is not a 32-bit number", f[3])
	}
	if _, err := strconv.ParseUint(f[5], 10, 16); err != nil {
		return fmt.Errorf("port %q is not a port", f[5])
	}
	if f[6] != "typ" || !slices.Contains([]string{"host", "srflx", "prflx", "relay"}, f[7]) {
		return fmt.Errorf(`"%s %s" is not "typ" and host, srflx, prflx or relay`, f[6], f[7])
	}
	return nil
}

// Renegotiate answers a new offer from the browser on the same peer
// connection, e.g. an ICE restart after the agent's network changed (the
// browser's restartIce()), and returns the answer, complete as Open's is.
// The media, the attached call and its streams carry on; the DTLS
// connection too (the browser keeps its certificate).
func (s *Session) Renegotiate(ctx context.Context, offer string) (string, error) {
	o, err := parseOffer(offer)
	if err != nil {
		return "", err
	}
	s.negotiating.Lock()
	defer s.negotiating.Unlock()
	s.mu.Lock()
	closed := s.closing || s.dead
	s.mu.Unlock()
	if closed {
		return "", fmt.Errorf("softphone: session %q: %w", s.id, ErrClosed)
	}
	if !slices.ContainsFunc(o.fingerprints, func(fp string) bool { return slices.Contains(s.fps, fp) }) {
		return "", fmt.Errorf("softphone: session %q: the new offer has another DTLS certificate; open a new session", s.id)
	}
	cur := s.creds.Load()
	creds := cur
	if o.ufrag != cur.remoteUfrag || o.pwd != cur.remotePwd {
		// An ICE restart (RFC 8445 §9): both sides take new credentials.
		creds = &iceCreds{ufrag: randomICEString(8), pwd: randomICEString(24), remoteUfrag: o.ufrag, remotePwd: o.pwd}
		s.g.ufragMu.Lock()
		s.mu.Lock()
		if s.oldCreds != nil {
			delete(s.g.ufrags, s.oldCreds.ufrag)
		}
		s.oldCreds = cur
		s.g.ufrags[creds.ufrag] = s
		s.creds.Store(creds)
		s.mu.Unlock()
		s.g.ufragMu.Unlock()
	}
	s.pt.Store(uint32(o.pt))
	return s.makeAnswer(o, creds)
}

// makeAnswer is the answer to o with creds and the gateway's candidates
// now. Called with negotiating held.
func (s *Session) makeAnswer(o *offerInfo, creds *iceCreds) (string, error) {
	cands, err := s.g.candidates()
	if err != nil {
		return "", err
	}
	s.answer++
	return answerSDP(o, s.sessID, s.answer, creds, s.cert.fingerprint, s.ssrc, cands), nil
}

// credsFor is the session's credentials whose ufrag is ufrag: the
// current ones, or those before an ICE restart.
func (s *Session) credsFor(ufrag string) *iceCreds {
	if c := s.creds.Load(); c != nil && c.ufrag == ufrag {
		return c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.oldCreds != nil && s.oldCreds.ufrag == ufrag {
		return s.oldCreds
	}
	return nil
}

// onCheck takes the pair of a check the browser signed: its address is
// the session's from now on, and the pair is the one to send on when
// the browser nominates it, or while none is.
func (s *Session) onCheck(k *iceSock, from netip.AddrPort, nominated bool) {
	s.mu.Lock()
	if s.closing || s.dead {
		s.mu.Unlock()
		return
	}
	if !slices.Contains(s.remotes, from) {
		s.remotes = append(s.remotes, from)
		s.g.remotesMu.Lock()
		s.g.remotes[from] = s
		if len(s.remotes) > maxRemotes {
			// The oldest goes, unless it is the pair in use.
			i := 0
			if p := s.pair.Load(); p != nil && p.remote == s.remotes[0] {
				i = 1
			}
			old := s.remotes[i]
			s.remotes = slices.Delete(s.remotes, i, i+1)
			if s.g.remotes[old] == s {
				delete(s.g.remotes, old)
			}
		}
		s.g.remotesMu.Unlock()
	}
	cur := s.pair.Load()
	if cur == nil || (nominated && (cur.remote != from || cur.sock != k || !cur.nominated)) || (!cur.nominated && (cur.remote != from || cur.sock != k)) {
		s.pair.Store(&icePair{sock: k, remote: from, to: toSendAddr(k.local.Addr(), from), nominated: nominated})
		s.g.log.Info("softphone: ICE pair", "session", s.id, "local", k.local, "remote", from, "nominated", nominated)
	}
	s.mu.Unlock()
	s.pairOnce.Do(func() { close(s.pairUp) })
}

// unbindRemotes forgets the browser's addresses. Called with s.mu held.
func (s *Session) unbindRemotes() {
	s.g.remotesMu.Lock()
	for _, a := range s.remotes {
		if s.g.remotes[a] == s {
			delete(s.g.remotes, a)
		}
	}
	s.g.remotesMu.Unlock()
	s.remotes = nil
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

// Close closes the peer connection (a close_notify to the browser) and
// forgets the session. It reports nothing to [Config.OnDead].
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		s.mu.Unlock()
		s.shutdown()
		s.wg.Wait()
		s.g.forget(s)
		s.g.log.Info("softphone: session closed", "session", s.id)
	})
	return s.closeErr
}

// shutdown closes what start opened.
func (s *Session) shutdown() {
	s.mu.Lock()
	if a := s.att.Swap(nil); a != nil {
		s.g.unbind(a.addr, s)
	}
	s.unbindRemotes()
	creds := []*iceCreds{s.creds.Load(), s.oldCreds}
	s.mu.Unlock()
	s.g.ufragMu.Lock()
	for _, c := range creds {
		if c != nil && s.g.ufrags[c.ufrag] == s {
			delete(s.g.ufrags, c.ufrag)
		}
	}
	s.g.ufragMu.Unlock()
	if s.cancel != nil {
		s.cancel()
	}
	s.closeDTLS()
}

// lost is the browser's connection ended from its side (DTLS closed or
// failed): the session closes and the watchdog's report goes out.
func (s *Session) lost(detail string) {
	s.mu.Lock()
	if s.closing || s.dead {
		s.mu.Unlock()
		return
	}
	s.dead = true
	s.mu.Unlock()
	call := s.Call()
	go func() {
		_ = s.Close()
		s.report(Report{Call: call, Reason: ReasonClosed, At: s.g.clock.Now(), Detail: detail})
	}()
}

// start sets the session up for offer o and answers it.
func (s *Session) start(o *offerInfo) (string, error) {
	g := s.g
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	s.toAstr = binary.BigEndian.Uint32(rnd[0:]) | 1
	s.ssrc = binary.BigEndian.Uint32(rnd[4:]) | 1
	s.sessID = binary.BigEndian.Uint64(rnd[8:]) >> 2
	s.pt.Store(uint32(o.pt))
	s.fps = o.fingerprints
	s.brOut, s.brEnc, s.rxDec = make([]byte, 1500), make([]byte, 1600), make([]byte, 1600)
	s.brRW = rewriter{ssrc: s.ssrc}
	s.fw = newForwarder(s)
	s.pairUp = make(chan struct{})
	s.heard.Store(g.clock.Now().UnixNano())
	cert, err := newCertificate(time.Now())
	if err != nil {
		return "", fmt.Errorf("softphone: session %q: certificate: %w", s.id, err)
	}
	s.cert = cert
	buf := packetio.NewBuffer()
	buf.SetLimitSize(64 << 10)
	s.dtlsPipe = &dtlsConn{s: s, buf: buf}
	creds := &iceCreds{ufrag: randomICEString(8), pwd: randomICEString(24), remoteUfrag: o.ufrag, remotePwd: o.pwd}
	s.negotiating.Lock()
	answer, err := s.makeAnswer(o, creds)
	s.negotiating.Unlock()
	if err != nil {
		return "", err
	}
	s.creds.Store(creds)
	g.ufragMu.Lock()
	g.ufrags[creds.ufrag] = s
	g.ufragMu.Unlock()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.runDTLS(o.client)
	return answer, nil
}

// fromBrowser opens b, an SRTP packet from the browser read at now (t0
// for Observe), and forwards it to the attached call's Asterisk side. It
// runs on an ICE socket's reader goroutine.
func (s *Session) fromBrowser(b []byte, now, t0 time.Time, box *outbox) {
	keys := s.keys.Load()
	if keys == nil {
		return // before the handshake's end: nothing to open it with
	}
	s.rxMu.Lock()
	defer s.rxMu.Unlock()
	plain, err := keys.rx.DecryptRTP(s.rxDec, b, &s.rxHdr)
	if err != nil {
		return // not authentic, or replayed
	}
	s.fw.forward(plain, now, t0, box)
}

// toBrowser forwards b, an RTP packet from Asterisk's address from
// (read at t0, for Observe), to the browser if from is the attached
// call's. It runs on a socket's reader goroutine; pkt and box (where the
// packet waits for the end of the reader's batch) are the reader's.
func (s *Session) toBrowser(pkt *rtp.Packet, b []byte, from netip.AddrPort, t0 time.Time, box *outbox) {
	a := s.att.Load()
	if a == nil || from != a.addr {
		return // not the attached call's Asterisk: dropped
	}
	keys, pair := s.keys.Load(), s.pair.Load()
	if keys == nil || pair == nil {
		return // the browser is not connected yet
	}
	payload, ok := parse(&pkt.Header, b)
	if !ok || pkt.PayloadType != 0 {
		return
	}
	s.brMu.Lock()
	defer s.brMu.Unlock()
	h := &pkt.Header
	if !s.brRW.rewrite(h, a.epoch, s.g.clock.Now()) {
		return
	}
	h.PayloadType = uint8(s.pt.Load())
	m, err := h.MarshalTo(s.brOut)
	if err != nil || m+len(payload) > len(s.brOut) {
		return
	}
	m += copy(s.brOut[m:], payload)
	dst := box.next()
	boxed := dst != nil
	if !boxed {
		dst = s.brEnc
	}
	out, err := keys.tx.EncryptRTP(dst, s.brOut[:m], h)
	if err != nil {
		return
	}
	if boxed && &out[0] == &dst[0] { // sealed in the box's buffer
		box.add(pair.sock.out, len(out), pair.to, ToBrowser, t0)
		return
	}
	if err := pair.sock.out.send(out, pair.to); err != nil {
		s.g.tally.dropped.Add(1)
		return
	}
	s.g.tally.sent[ToBrowser].Add(1)
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

// forwarder forwards the browser's RTP to the attached Asterisk side.
// Its calls come from one goroutine at a time (under the session's rxMu).
type forwarder struct {
	s        *Session
	rw       rewriter
	h        rtp.Header
	out      []byte
	silence  []byte
	observe  func(Direction, time.Duration)
	isClosed bool // the Asterisk-side socket is closed
}

func newForwarder(s *Session) *forwarder {
	f := &forwarder{s: s, rw: rewriter{ssrc: s.toAstr}, out: make([]byte, 1500), silence: make([]byte, 1500), observe: s.g.cfg.Observe}
	for i := range f.silence {
		f.silence[i] = ulawSilence
	}
	return f
}

// forward sends b, a decrypted RTP packet from the browser read at now
// (t0 for Observe), to the attached call's Asterisk side, through box
// (the reader's) when it has room.
func (f *forwarder) forward(b []byte, now, t0 time.Time, box *outbox) {
	s := f.s
	s.lastRx.Store(now.UnixNano())
	a := s.att.Load()
	if a == nil || f.isClosed {
		return
	}
	h := &f.h
	payload, ok := parse(h, b)
	if !ok || uint32(h.PayloadType) != s.pt.Load() || !f.rw.rewrite(h, a.epoch, now) {
		return
	}
	h.PayloadType = 0 // PCMU's static type, as Asterisk expects it
	if s.muted.Load() {
		payload = f.silence[:len(payload)]
	}
	out := box.next()
	boxed := out != nil
	if !boxed {
		out = f.out
	}
	m, err := h.MarshalTo(out)
	if err != nil || m+len(payload) > len(out) {
		return
	}
	m += copy(out[m:], payload)
	if boxed {
		box.add(s.sock.out, m, a.to, ToAsterisk, t0)
		return
	}
	if err := s.sock.out.send(out[:m], a.to); err != nil {
		f.isClosed = isClosed(err)
		s.g.tally.dropped.Add(1)
		return
	}
	s.g.tally.sent[ToAsterisk].Add(1)
	if f.observe != nil {
		f.observe(ToAsterisk, time.Since(t0))
	}
}

func isClosed(err error) bool { return errors.Is(err, net.ErrClosed) }

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}
