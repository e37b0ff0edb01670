//go:build linux

package softphone

import (
	"net"
	"net/netip"
	"sync"
	"unsafe"

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

// sendAddr is a destination in the form sendto takes, made once per call
// or ICE pair and never written again, so any goroutine may send to it
// (unix.Sockaddr writes into itself on every call).
type sendAddr = *rawAddr

type rawAddr struct {
	raw unix.RawSockaddrInet6 // or a RawSockaddrInet4 at its start
	len uint32
}

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
	r := &rawAddr{}
	port := [2]byte{byte(a.Port() >> 8), byte(a.Port())}
	if local.Is4() {
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&r.raw))
		sa.Family = unix.AF_INET
		sa.Port = *(*uint16)(unsafe.Pointer(&port))
		sa.Addr = a.Addr().Unmap().As4()
		r.len = unix.SizeofSockaddrInet4
		return r
	}
	r.raw.Family = unix.AF_INET6
	r.raw.Port = *(*uint16)(unsafe.Pointer(&port))
	r.raw.Addr = a.Addr().As16()
	r.len = unix.SizeofSockaddrInet6
	return r
}

// send writes b to to; EINTR is retried.
func (s *sender) send(b []byte, to sendAddr) error {
	if len(b) == 0 {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return net.ErrClosed
	}
	for {
		_, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(s.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0, uintptr(unsafe.Pointer(&to.raw)), uintptr(to.len))
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return e
	}
}

func (s *sender) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}
