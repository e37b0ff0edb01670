//go:build linux

package softphone

import (
	"net"
	"net/netip"
	"sync"

	"golang.org/x/sys/unix"
)

// sender writes the browsers' RTP to Asterisk from an Asterisk-side
// socket. Every session's forwarding goroutine writes through it at once:
// it calls sendto on the descriptor itself, since the runtime's
// per-descriptor write lock would line them all up behind one write (and
// behind a thread the system has put to sleep in the middle of one). The
// kernel takes concurrent sendto calls on one UDP socket. A datagram the
// socket has no room for (Asterisk has stopped reading for a long while)
// is dropped.
type sender struct {
	mu     sync.RWMutex // held for reading by each write, for writing by close
	fd     int
	closed bool
}

// sendAddr is a destination in the form sendto takes, made once per call.
type sendAddr = unix.Sockaddr

func newSender(c *net.UDPConn) (*sender, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var fd int
	if err := rc.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return nil, err
	}
	return &sender{fd: fd}, nil
}

// toSendAddr makes a for a socket bound on an address of local's family.
func toSendAddr(local netip.Addr, a netip.AddrPort) sendAddr {
	if local.Is4() {
		return &unix.SockaddrInet4{Port: int(a.Port()), Addr: a.Addr().Unmap().As4()}
	}
	return &unix.SockaddrInet6{Port: int(a.Port()), Addr: a.Addr().As16()}
}

func (s *sender) send(b []byte, to sendAddr) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return net.ErrClosed
	}
	for {
		err := unix.Sendto(s.fd, b, 0, to)
		if err != unix.EINTR {
			return err
		}
	}
}

// close waits for the writes under way; the socket is closed after it.
func (s *sender) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}
