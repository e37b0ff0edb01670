package softphone

import (
	"context"
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

// rtpSock is one of the gateway's Asterisk-side UDP sockets. They share
// one address (SO_REUSEPORT on Linux, one socket elsewhere), every
// session's external_host: the system spreads the calls over them by
// source address, so their readers share the work, and the RTP each reads
// is told apart by its source, the address Asterisk sends from (known at
// Attach).
type rtpSock struct {
	*udpSock // its local address is every session's external_host
	out      *sender
}

// openRTP opens n sockets on one address of g.host (fewer where the
// system cannot share a port).
func (g *Gateway) openRTP(n int) ([]*rtpSock, error) {
	var socks []*rtpSock
	fail := func(err error) ([]*rtpSock, error) {
		for _, k := range socks {
			_ = k.shutdown()
			k.release()
		}
		return nil, fmt.Errorf("softphone: RTP socket on %s: %w", g.host, err)
	}
	lc := net.ListenConfig{Control: reusePort}
	if !canReusePort {
		n, lc = 1, net.ListenConfig{}
	}
	addr := netip.AddrPortFrom(g.host, 0)
	for range n {
		c, err := lc.ListenPacket(context.Background(), "udp", addr.String())
		if err != nil {
			return fail(err)
		}
		conn := c.(*net.UDPConn)
		// Every call's RTP queues here, both ways: room for a stall of
		// the reader, ours or Asterisk's, whose unread datagrams count
		// against the sender's buffer on one machine (the system caps
		// them at net.core.rmem_max and wmem_max).
		_ = conn.SetReadBuffer(4 << 20)
		_ = conn.SetWriteBuffer(4 << 20)
		u, err := newUDPSock(conn)
		if err != nil {
			return fail(err)
		}
		k := &rtpSock{udpSock: u}
		socks = append(socks, k)
		if k.out, err = newSender(u); err != nil {
			return fail(err)
		}
		addr = k.local
	}
	return socks, nil
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

// batchFunc handles the n datagrams r read (stamped: they carry the
// kernel's arrival stamps), queueing what it sends in box. Each holds
// state of its own: a reader and the pump each make theirs.
type batchFunc func(r *batchReader, n int, box *outbox, stamped bool)

// serve reads conn in batches until it closes, hands each batch to a
// batchFunc of mk's, then sends what the batch queued in box. It hands
// the socket to the pump too, which reads it instead while the gateway
// is busy.
func (g *Gateway) serve(conn *udpSock, what string, mk func() batchFunc) {
	defer g.wg.Done()
	oobSize := 0
	// Observed, a packet's delay counts from its arrival in the kernel
	// where the system stamps it: waiting to be read is the gateway's too.
	if g.cfg.Observe != nil && enableRxStamps(conn) {
		oobSize = stampSpace
	}
	r, err := newBatchReader(conn, rtpBatch, 1500, oobSize)
	if err != nil {
		g.log.Error("softphone: "+what+" socket", "error", err)
		return
	}
	batch := mk()
	if err := g.pump.add(conn, mk, oobSize); err != nil {
		g.log.Warn("softphone: "+what+" socket not pumped when busy", "error", err)
	}
	box := new(outbox)
	for {
		n, err := r.read()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			g.log.Warn("softphone: "+what+" read", "error", err)
			continue
		}
		batch(r, n, box, oobSize > 0)
		box.flush(g.cfg.Observe, &g.tally)
		g.pump.count(n)
	}
}

// arrival is when a datagram with control data oob arrived, for
// Observe: the kernel's stamp when stamped, else now; zero when nothing
// observes.
func (g *Gateway) arrival(oob []byte, stamped bool) time.Time {
	var t time.Time
	if g.cfg.Observe != nil {
		if stamped {
			t = rxStamp(oob)
		}
		if t.IsZero() {
			t = time.Now()
		}
	}
	return t
}

// readAsterisk reads k's RTP in batches and forwards each packet to the
// browser of the session whose call sends from its source address, on
// this goroutine; a packet from any other address is dropped.
func (g *Gateway) readAsterisk(k *rtpSock) {
	g.serve(k.udpSock, "RTP", g.asteriskBatch)
}

// asteriskBatch makes a batchFunc for the Asterisk side.
func (g *Gateway) asteriskBatch() batchFunc {
	var fw toBrowser
	return func(r *batchReader, n int, box *outbox, stamped bool) {
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
			s.toBrowser(&fw.pkt, fw.data[i], fw.from[i], g.arrival(fw.oob[i], stamped), box)
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
