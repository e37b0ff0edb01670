//go:build !linux

package softphone

import (
	"net"
	"net/netip"
)

// batchReader reads one datagram per read where recvmmsg is not
// available.
type batchReader struct {
	c    *net.UDPConn
	buf  []byte
	oob  []byte
	n    int
	oobn int
	from netip.AddrPort
}

func newBatchReader(u *udpSock, _, bufSize, oobSize int) (*batchReader, error) {
	c := u.conn
	r := &batchReader{c: c, buf: make([]byte, bufSize)}
	if oobSize > 0 {
		r.oob = make([]byte, oobSize)
	}
	return r, nil
}

func (r *batchReader) read() (int, error) {
	var err error
	r.n, r.oobn, _, r.from, err = r.c.ReadMsgUDPAddrPort(r.buf, r.oob)
	if err != nil {
		return 0, err
	}
	return 1, nil
}

func (r *batchReader) msg(int) ([]byte, netip.AddrPort, []byte) {
	return r.buf[:r.n], unmap(r.from), r.oob[:r.oobn]
}
