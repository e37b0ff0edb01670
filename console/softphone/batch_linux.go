//go:build linux

package softphone

import (
	"encoding/binary"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is the kernel's struct mmsghdr.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
	_   [unsafe.Sizeof(uintptr(0)) - 4]byte
}

// batchReader reads up to len(bufs) datagrams per system call
// (recvmmsg), through the runtime's poller: a read waits for the first
// datagram and takes whatever else is queued behind it. It belongs to one
// goroutine and allocates nothing per read.
type batchReader struct {
	u     *udpSock
	rc    syscall.RawConn
	hdrs  []mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6
	bufs  [][]byte
	oobs  [][]byte
	got   int
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

func newBatchReader(u *udpSock, size, bufSize, oobSize int) (*batchReader, error) {
	r := &batchReader{
		u:     u,
		rc:    u.rc,
		hdrs:  make([]mmsghdr, size),
		iovs:  make([]unix.Iovec, size),
		names: make([]unix.RawSockaddrInet6, size),
		bufs:  make([][]byte, size),
		oobs:  make([][]byte, size),
	}
	for i := range size {
		r.bufs[i] = make([]byte, bufSize)
		r.iovs[i].Base = &r.bufs[i][0]
		r.iovs[i].SetLen(bufSize)
		h := &r.hdrs[i].hdr
		h.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		h.Iov = &r.iovs[i]
		h.SetIovlen(1)
		if oobSize > 0 {
			r.oobs[i] = make([]byte, oobSize)
			h.Control = &r.oobs[i][0]
		}
	}
	fd := uintptr(u.fd)
	// Each read asks the socket first, even after a batch that emptied
	// it: a read through the runtime begins by clearing what the poller
	// told before it, so a datagram that came while the last batch was
	// handled is found only by asking (waiting for the poller instead
	// left it for the next datagram to come).
	r.fn = func(uintptr) bool { // the epoll instance's descriptor: the socket's is fd
		n, e := r.recv(fd)
		if e == unix.EAGAIN {
			return false // nothing queued: wait for the poller
		}
		r.got, r.errno = n, e
		return true
	}
	return r, nil
}

// recv reads what is queued on the socket fd, without waiting.
func (r *batchReader) recv(fd uintptr) (int, syscall.Errno) {
	for i := range r.hdrs {
		h := &r.hdrs[i].hdr
		h.Namelen = uint32(unsafe.Sizeof(r.names[i]))
		h.SetControllen(len(r.oobs[i]))
		h.Flags = 0
	}
	for {
		n, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(len(r.hdrs)), 0, 0, 0)
		if e != unix.EINTR {
			return int(n), e
		}
	}
}

// tryRead reads what is queued, without waiting: 0 when nothing is.
func (r *batchReader) tryRead() int {
	n, e := r.recv(uintptr(r.u.fd))
	if e != 0 {
		return 0
	}
	return n
}

// read reads a batch and returns how many datagrams it holds.
func (r *batchReader) read() (int, error) {
	r.got, r.errno = 0, 0
	if err := r.rc.Read(r.fn); err != nil {
		if r.u.closed.Load() {
			return 0, net.ErrClosed
		}
		return 0, err
	}
	if r.errno != 0 {
		return 0, r.errno
	}
	return r.got, nil
}

// msg is datagram i of the last batch: its bytes, sender and control
// messages.
func (r *batchReader) msg(i int) ([]byte, netip.AddrPort, []byte) {
	h := &r.hdrs[i]
	var from netip.AddrPort
	switch sa := &r.names[i]; sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		from = netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa4.Port))[:]))
	case unix.AF_INET6:
		from = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:]))
	}
	var oob []byte
	if r.oobs[i] != nil {
		oob = r.oobs[i][:h.hdr.Controllen]
	}
	return r.bufs[i][:h.n], from, oob
}
