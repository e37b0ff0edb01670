package softphone

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/pion/stun/v4"
)

// ICE, the gateway's side (RFC 8445's lite implementation): the gateway
// has host candidates only, on addresses browsers can reach, so it needs
// no checks of its own: it answers the browser's connectivity checks
// (STUN binding requests signed with its password), and takes the pair a
// check arrives on, the one the browser nominates (USE-CANDIDATE) above
// all, to send on. Every session shares the ICE sockets, one address per
// local IP (a few sockets each on Linux, SO_REUSEPORT); their readers
// tell the sessions apart by the browser's address, learnt from its
// checks (a STUN request names its session by the gateway's username
// fragment), and drop anything from an address no check has come from.

// iceSock is one of the gateway's ICE sockets: an address host
// candidates announce.
type iceSock struct {
	*udpSock // its local address is a host candidate
	out      *sender
}

// icePair is a candidate pair a check arrived on: the gateway's socket
// and the browser's address.
type icePair struct {
	sock   *iceSock
	remote netip.AddrPort
	to     sendAddr
	// nominated: the browser nominated it (USE-CANDIDATE).
	nominated bool
}

// iceCreds are a session's ICE credentials (RFC 8445 §5.3): the
// gateway's, and the browser's from its offer.
type iceCreds struct {
	ufrag, pwd             string
	remoteUfrag, remotePwd string
}

// iceAddrs are the addresses to listen on and announce: every up
// interface's (loopback only when Config.ICELoopback), IPv6 link-local
// ones left out (a browser cannot use them without a zone).
func (g *Gateway) iceAddrs() ([]netip.Addr, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("softphone: list network interfaces: %w", err)
	}
	var out []netip.Addr
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 {
			continue
		}
		loop := ifc.Flags&net.FlagLoopback != 0
		if loop && !g.cfg.ICELoopback {
			continue
		}
		if f := g.cfg.ICEInterfaces; f != nil && !f(ifc.Name) {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			p, err := netip.ParsePrefix(a.String())
			if err != nil {
				continue
			}
			ip := p.Addr().Unmap()
			if ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified() {
				continue
			}
			out = append(out, ip)
		}
	}
	return out, nil
}

// iceSocks returns the ICE sockets of every address to announce now,
// opening those of addresses new since the last call (an interface come
// up since the start). Called with g.iceMu held.
func (g *Gateway) iceSocks() ([]*iceSock, error) {
	addrs, err := g.iceAddrs()
	if err != nil {
		return nil, err
	}
	var out []*iceSock
	for _, a := range addrs {
		socks, ok := g.ice[a]
		if !ok {
			socks, err = g.openICE(a)
			if err != nil {
				g.log.Warn("softphone: ICE socket", "address", a, "error", err)
				continue
			}
			g.ice[a] = socks
			g.wg.Add(len(socks))
			for _, k := range socks {
				go g.readICE(k)
			}
		}
		out = append(out, socks[0])
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("softphone: no address to offer the browser (no interface up%s)", map[bool]string{true: "", false: "; loopback is left out unless ICELoopback"}[g.cfg.ICELoopback])
	}
	return out, nil
}

// openICE opens the sockets of address a: one port, within
// ICEPortMin-ICEPortMax when set, shared by a socket per processor where
// the system allows it.
func (g *Gateway) openICE(a netip.Addr) ([]*iceSock, error) {
	n := g.readers
	lc := net.ListenConfig{Control: reusePort}
	if !canReusePort {
		n, lc = 1, net.ListenConfig{}
	}
	ports := []uint16{0}
	if lo, hi := g.cfg.ICEPortMin, g.cfg.ICEPortMax; lo != 0 || hi != 0 {
		span := int(hi) - int(lo) + 1
		off, _ := rand.Int(rand.Reader, big.NewInt(int64(span)))
		ports = ports[:0]
		for i := range span {
			ports = append(ports, uint16(int(lo)+(int(off.Int64())+i)%span))
		}
	}
	var first *net.UDPConn
	var err error
	for _, p := range ports {
		var c net.PacketConn
		if c, err = lc.ListenPacket(context.Background(), "udp", netip.AddrPortFrom(a, p).String()); err == nil {
			first = c.(*net.UDPConn)
			break
		}
	}
	if first == nil {
		return nil, fmt.Errorf("no free UDP port on %s (ICE ports %d-%d): %w", a, g.cfg.ICEPortMin, g.cfg.ICEPortMax, err)
	}
	conns := []*net.UDPConn{first}
	for len(conns) < n {
		c, err := lc.ListenPacket(context.Background(), "udp", first.LocalAddr().String())
		if err != nil {
			break // one reader less; the first socket takes the rest
		}
		conns = append(conns, c.(*net.UDPConn))
	}
	var socks []*iceSock
	for i, c := range conns {
		_ = c.SetReadBuffer(4 << 20)
		_ = c.SetWriteBuffer(4 << 20)
		u, err := newUDPSock(c)
		var out *sender
		if err == nil {
			out, err = newSender(u)
		}
		if err != nil {
			for _, k := range socks {
				_ = k.shutdown()
				k.release()
			}
			for _, c := range conns[i+1:] {
				_ = c.Close()
			}
			return nil, err
		}
		socks = append(socks, &iceSock{udpSock: u, out: out})
	}
	return socks, nil
}

// readICE reads k's datagrams in batches: STUN checks are answered, the
// rest goes to the session whose browser sends from the datagram's
// source (decrypted and forwarded to Asterisk on this goroutine).
func (g *Gateway) readICE(k *iceSock) {
	g.serve(k.udpSock, "ICE", func() batchFunc { return g.iceBatch(k) })
}

// iceBatch makes a batchFunc for k, an ICE socket.
func (g *Gateway) iceBatch(k *iceSock) batchFunc {
	var (
		sessions [rtpBatch]*Session
		data     [rtpBatch][]byte
		froms    [rtpBatch]netip.AddrPort
		oobs     [rtpBatch][]byte
	)
	return func(r *batchReader, n int, box *outbox, stamped bool) {
		g.remotesMu.RLock()
		for i := range n {
			data[i], froms[i], oobs[i] = r.msg(i)
			sessions[i] = g.remotes[froms[i]]
		}
		g.remotesMu.RUnlock()
		now := g.clock.Now()
		for i := range n {
			s := sessions[i]
			sessions[i] = nil
			b, from, oob := data[i], froms[i], oobs[i]
			if len(b) == 0 {
				continue
			}
			switch c := b[0]; {
			case c < 4: // STUN (RFC 7983)
				g.onSTUN(k, b, from, now)
			case s == nil: // from an address no check came from: dropped
			case c >= 20 && c < 64: // DTLS
				s.heard.Store(now.UnixNano())
				s.dtlsIn(b)
			case c >= 128 && c < 192: // RTP or RTCP
				s.heard.Store(now.UnixNano())
				if len(b) > 1 && b[1]&0x7f >= 64 && b[1]&0x7f < 96 {
					continue // RTCP (RFC 5761 §4): the gateway has no use for the browser's reports
				}
				s.fromBrowser(b, now, g.arrival(oob, stamped), box)
			}
		}
	}
}

// onSTUN answers a browser's connectivity check on k from from, and
// takes its pair for the session it names.
func (g *Gateway) onSTUN(k *iceSock, b []byte, from netip.AddrPort, now time.Time) {
	m := &stun.Message{Raw: append([]byte(nil), b...)}
	if err := m.Decode(); err != nil || m.Type != stun.BindingRequest {
		return // responses and indications: the gateway sends no checks
	}
	var user stun.Username
	if err := user.GetFrom(m); err != nil {
		return
	}
	local, remote, ok := strings.Cut(user.String(), ":")
	if !ok {
		return
	}
	g.ufragMu.RLock()
	s := g.ufrags[local]
	g.ufragMu.RUnlock()
	if s == nil {
		return // no session has this username fragment (closed, or a stranger)
	}
	creds := s.credsFor(local)
	if creds == nil || creds.remoteUfrag != remote {
		return
	}
	if stun.Fingerprint.Check(m) != nil || stun.NewShortTermIntegrity(creds.pwd).Check(m) != nil {
		return // not signed with this session's password: not the browser's
	}
	ip := from.Addr()
	out, err := stun.Build(m, stun.BindingSuccess,
		&stun.XORMappedAddress{IP: ip.AsSlice(), Port: int(from.Port())},
		stun.NewShortTermIntegrity(creds.pwd), stun.Fingerprint)
	if err != nil {
		return
	}
	_ = k.out.send(out.Raw, toSendAddr(k.local.Addr(), from))
	s.heard.Store(now.UnixNano())
	s.onCheck(k, from, m.Contains(stun.AttrUseCandidate))
}

// randomICEString is an ICE ufrag or password of n characters
// (ice-char: ALPHA / DIGIT / "+" / "/").
func randomICEString(n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail (Go 1.24+)
	}
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}
