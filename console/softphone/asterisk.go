package softphone

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtp"
)

// rtpBatch is how many datagrams one read of the Asterisk-side socket
// takes at most.
const rtpBatch = 64

// rtpSock is the gateway's Asterisk-side UDP socket, shared by every
// session: its address is each session's external_host, and the RTP it
// reads is told apart by its source, the address Asterisk sends from
// (known at Attach).
type rtpSock struct {
	conn  *net.UDPConn
	local netip.AddrPort
}

func (g *Gateway) openRTP() (*rtpSock, error) {
	conn, err := net.ListenUDP("udp", udpAddr(g.host))
	if err != nil {
		return nil, fmt.Errorf("softphone: RTP socket on %s: %w", g.host, err)
	}
	// Every call's RTP queues here: room for a stall of the reader (the
	// system caps it at net.core.rmem_max).
	_ = conn.SetReadBuffer(4 << 20)
	return &rtpSock{conn: conn, local: unmap(conn.LocalAddr().(*net.UDPAddr).AddrPort())}, nil
}

// bind routes RTP from addr to s; unbind undoes it if addr is still s's.
// Both are called with s.mu held.
func (g *Gateway) bind(addr netip.AddrPort, s *Session) {
	g.peersMu.Lock()
	g.peers[addr] = s
	g.peersMu.Unlock()
}

func (g *Gateway) unbind(addr netip.AddrPort, s *Session) {
	g.peersMu.Lock()
	if g.peers[addr] == s {
		delete(g.peers, addr)
	}
	g.peersMu.Unlock()
}

// readAsterisk reads k's RTP in batches and forwards each packet to the
// browser of the session whose call sends from its source address, on
// this goroutine; a packet from any other address is dropped.
func (g *Gateway) readAsterisk(k *rtpSock) {
	defer g.wg.Done()
	observe := g.cfg.Observe
	oobSize := 0
	// Observed, a packet's delay counts from its arrival in the kernel
	// where the system stamps it: waiting to be read is the gateway's too.
	if observe != nil && enableRxStamps(k.conn) {
		oobSize = stampSpace
	}
	r, err := newBatchReader(k.conn, rtpBatch, 1500, oobSize)
	if err != nil {
		g.log.Error("softphone: RTP socket", "error", err)
		return
	}
	var fw toBrowser
	for {
		n, err := r.read()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			g.log.Warn("softphone: RTP read", "error", err)
			continue
		}
		g.peersMu.RLock()
		for i := range n {
			b, from, oob := r.msg(i)
			fw.sessions[i] = g.peers[from]
			fw.from[i] = from
			fw.data[i] = b
			fw.oob[i] = oob
		}
		g.peersMu.RUnlock()
		for i := range n {
			s := fw.sessions[i]
			fw.sessions[i] = nil
			if s == nil {
				continue // from no attached call: dropped
			}
			var t0 time.Time
			if observe != nil {
				if oobSize > 0 {
					t0 = rxStamp(fw.oob[i])
				}
				if t0.IsZero() {
					t0 = time.Now()
				}
			}
			s.toBrowser(&fw.pkt, fw.data[i], fw.from[i], t0)
		}
	}
}

// toBrowser is a batch's routing, kept from read to read.
type toBrowser struct {
	sessions [rtpBatch]*Session
	from     [rtpBatch]netip.AddrPort
	data     [rtpBatch][]byte
	oob      [rtpBatch][]byte
	pkt      rtp.Packet
}
