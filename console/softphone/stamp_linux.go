//go:build linux

package softphone

import (
	"encoding/binary"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// stampSpace is room for one SCM_TIMESTAMPNS control message.
var stampSpace = unix.CmsgSpace(16)

// enableRxStamps asks the kernel to stamp each datagram c receives with
// its arrival time (SO_TIMESTAMPNS), for [Config.Observe].
func enableRxStamps(u *udpSock) bool {
	return unix.SetsockoptInt(u.fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1) == nil
}

// rxStamp is the arrival time in a datagram's control messages; zero if
// there is none. It walks them in place: it runs per packet when
// observed, and unix.ParseSocketControlMessage allocates.
func rxStamp(oob []byte) time.Time {
	hl := unix.CmsgLen(0)
	for len(oob) >= hl {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
		l := int(h.Len)
		if l < hl || l > len(oob) {
			return time.Time{}
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && l-hl >= 16 {
			d := oob[hl:l]
			sec := int64(binary.NativeEndian.Uint64(d[0:8]))
			nsec := int64(binary.NativeEndian.Uint64(d[8:16]))
			return time.Unix(sec, nsec)
		}
		oob = oob[min(unix.CmsgSpace(l-hl), len(oob)):]
	}
	return time.Time{}
}

// canReusePort: several sockets can share the Asterisk-side address.
const canReusePort = true

// reusePort sets SO_REUSEPORT on a socket before it is bound.
func reusePort(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	}); err != nil {
		return err
	}
	return serr
}
