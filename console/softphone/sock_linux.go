package softphone

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// udpSock is one of the gateway's UDP sockets, kept out of the runtime's
// poller. The runtime watches every socket it polls for writability too
// (EPOLLOUT, edge-triggered), and on Linux every datagram a UDP socket
// sends raises that edge once the system frees it: a wake-up of the
// poller's thread per packet sent, for nothing. So the gateway polls its
// sockets through an epoll instance of its own that watches reading only,
// and it is that instance the runtime polls (epoll instances nest): a
// datagram arriving on any socket wakes its reader, a datagram sent wakes
// nobody.
type udpSock struct {
	fd     int             // the socket
	epfd   int             // its epoll instance (ep's descriptor)
	ep     *os.File        // its epoll instance, in the runtime's poller
	mu     sync.Mutex      // held to change the instance, and to close it
	rc     syscall.RawConn // ep's, to wait for a datagram
	local  netip.AddrPort
	closed atomic.Bool
}

// newUDPSock takes c's socket over: c is closed (the runtime forgets it)
// and the socket lives on under the gateway's own epoll instance.
func newUDPSock(c *net.UDPConn) (*udpSock, error) {
	local := unmap(c.LocalAddr().(*net.UDPAddr).AddrPort())
	rc, err := c.SyscallConn()
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	fd := -1
	var derr error
	if err := rc.Control(func(f uintptr) { fd, derr = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0) }); err != nil || derr != nil {
		_ = c.Close()
		return nil, fmt.Errorf("softphone: take over a UDP socket: %w", errors.Join(err, derr))
	}
	// Closing c takes the socket out of the runtime's poller (and closes
	// c's descriptor); fd keeps the socket, non-blocking still.
	if err := c.Close(); err != nil {
		_ = unix.Close(fd)
		return nil, err
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err == nil {
		err = unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)})
		if err == nil {
			err = unix.SetNonblock(epfd, true)
		}
		if err != nil {
			_ = unix.Close(epfd)
		}
	}
	if err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("softphone: epoll for a UDP socket: %w", err)
	}
	ep := os.NewFile(uintptr(epfd), "softphone-epoll")
	erc, err := ep.SyscallConn()
	if err != nil {
		_ = ep.Close()
		_ = unix.Close(fd)
		return nil, err
	}
	return &udpSock{fd: fd, epfd: epfd, ep: ep, rc: erc, local: local}, nil
}

// shutdown ends the reads: a reader waiting returns net.ErrClosed. The
// socket itself stays open until release, so that no read or send in
// flight meets a descriptor reused by another file.
func (u *udpSock) shutdown() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed.Swap(true) {
		return nil
	}
	return u.ep.Close()
}

// watch has the epoll instance wake the socket's reader for a datagram
// (on) or not (off: the pump reads the socket meanwhile). Turned on with
// datagrams queued, it wakes the reader at once.
func (u *udpSock) watch(on bool) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed.Load() {
		return nil
	}
	ev := &unix.EpollEvent{Fd: int32(u.fd)}
	if on {
		ev.Events = unix.EPOLLIN
	}
	return unix.EpollCtl(u.epfd, unix.EPOLL_CTL_MOD, u.fd, ev)
}

// release closes the socket, once its reader has returned.
func (u *udpSock) release() { _ = unix.Close(u.fd) }
