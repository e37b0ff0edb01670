//go:build !linux

package softphone

import (
	"net"
	"net/netip"
	"sync/atomic"
)

// udpSock is one of the gateway's UDP sockets: here the runtime's own.
type udpSock struct {
	conn   *net.UDPConn
	local  netip.AddrPort
	closed atomic.Bool
}

func newUDPSock(c *net.UDPConn) (*udpSock, error) {
	return &udpSock{conn: c, local: unmap(c.LocalAddr().(*net.UDPAddr).AddrPort())}, nil
}

// shutdown closes the socket: its reader returns net.ErrClosed.
func (u *udpSock) shutdown() error {
	if u.closed.Swap(true) {
		return nil
	}
	return u.conn.Close()
}

// release does nothing more here.
func (u *udpSock) release() {}
