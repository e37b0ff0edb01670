//go:build linux

package softphone

import (
	"net"
	"net/netip"
	"sync"
	"time"
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

func newSender(u *udpSock) (*sender, error) { return &sender{fd: u.fd}, nil }

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

// outbox gathers the datagrams one batch of reads makes a reader send,
// and sends them with one sendmmsg per socket when the batch is done:
// one system call (about a microsecond on a virtual machine with today's
// mitigations) for the batch instead of one per datagram. Only its
// reader uses it.
type outbox struct {
	n    int
	from [rtpBatch]*sender
	to   [rtpBatch]sendAddr
	len  [rtpBatch]int
	buf  [rtpBatch][1600]byte
	// t0 and dir are each datagram's for Observe.
	t0  [rtpBatch]time.Time
	dir [rtpBatch]Direction
	// hdrs and iovs are one sendmmsg's.
	hdrs [rtpBatch]mmsghdr
	iovs [rtpBatch]unix.Iovec
}

// next is the buffer of the next datagram; nil when the box is full
// (the caller sends at once then).
func (o *outbox) next() []byte {
	if o.n == rtpBatch {
		return nil
	}
	return o.buf[o.n][:]
}

// add queues the n bytes written into next's buffer, to go from the
// socket of s to to.
func (o *outbox) add(s *sender, n int, to sendAddr, d Direction, t0 time.Time) {
	o.from[o.n], o.to[o.n], o.len[o.n], o.dir[o.n], o.t0[o.n] = s, to, n, d, t0
	o.n++
}

// flush sends what is queued, a sendmmsg per socket; a datagram the
// socket refuses is dropped, as a sendto's would be. observe, when set,
// is told of each datagram sent.
func (o *outbox) flush(observe func(Direction, time.Duration), t *tally) {
	var sent [2]uint64
	var dropped uint64
	done := 0
	for done < o.n {
		s := o.from[done]
		k := 0
		for i := done; i < o.n; i++ {
			if o.from[i] != s {
				continue
			}
			h := &o.hdrs[k].hdr
			o.iovs[k].Base = &o.buf[i][0]
			o.iovs[k].SetLen(o.len[i])
			h.Iov = &o.iovs[k]
			h.SetIovlen(1)
			h.Name = (*byte)(unsafe.Pointer(&o.to[i].raw))
			h.Namelen = o.to[i].len
			k++
		}
		lost := s.sendBatch(o.hdrs[:k])
		dropped += uint64(lost)
		// A socket sends one way: an Asterisk-side one to Asterisk, an
		// ICE one to the browsers.
		sent[o.dir[done]] += uint64(k - lost)
		// Those sent are moved out: the others keep their order.
		j := done
		for i := done; i < o.n; i++ {
			if o.from[i] == s {
				if observe != nil {
					observe(o.dir[i], time.Since(o.t0[i]))
				}
				continue
			}
			if i != j {
				o.from[j], o.to[j], o.len[j], o.dir[j], o.t0[j] = o.from[i], o.to[i], o.len[i], o.dir[i], o.t0[i]
				o.buf[j] = o.buf[i]
			}
			j++
		}
		o.n = j
	}
	for i := range o.n {
		o.from[i], o.to[i] = nil, nil
	}
	o.n = 0
	t.add(sent, dropped)
}

// sendBatch sends hdrs' datagrams; one the system refuses is dropped and
// the rest still go. It returns how many were dropped.
func (s *sender) sendBatch(hdrs []mmsghdr) (dropped int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return len(hdrs)
	}
	for len(hdrs) > 0 {
		n, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&hdrs[0])), uintptr(len(hdrs)), unix.MSG_DONTWAIT, 0, 0)
		switch {
		case e == unix.EINTR:
			continue
		case e != 0 || n == 0:
			hdrs = hdrs[1:] // the first was refused: dropped
			dropped++
		default:
			hdrs = hdrs[n:]
		}
	}
	return dropped
}
