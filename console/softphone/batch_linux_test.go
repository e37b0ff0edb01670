package softphone

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// readLimit guards the reads against a hang.
const readLimit = 10 * time.Second

// A datagram that arrives while the reader is busy with the batch before
// it is read at the next read, even when the runtime's poller has already
// told of it. (A reader that skipped the read after a short batch, waiting
// for the poller instead, lost that word: each read starts by clearing
// what the poller said before it, and the datagram waited for the next
// one to come, a browser's check for ever.) Each round has sockets of its
// own.
func TestReadAfterAShortBatch(t *testing.T) {
	sender, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	for i := range 20 {
		readAfterAShortBatch(t, i, sender)
	}
}

// readAfterAShortBatch is round i of TestReadAfterAShortBatch.
func readAfterAShortBatch(t *testing.T, i int, sender *net.UDPConn) {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	u, err := newUDPSock(c)
	if err != nil {
		t.Fatal(err)
	}
	defer u.release()
	defer func() { _ = u.shutdown() }()
	r, err := newBatchReader(u, 8, 1500, 0)
	if err != nil {
		t.Fatal(err)
	}
	to := net.UDPAddrFromAddrPort(u.local)
	// marker is read through the runtime's poller, by a goroutine woken by
	// the poller alone: once it has been woken for a datagram sent after
	// the reader's, the poller has seen the reader's too (the system tells
	// of them in the order they came).
	marker, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer marker.Close()
	mrc, err := marker.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}

	if _, err := sender.WriteToUDP([]byte{byte(i), 1}, to); err != nil {
		t.Fatal(err)
	}
	if n, err := r.read(); err != nil || n != 1 {
		t.Fatalf("round %d: the first datagram: %d read, %v", i, n, err)
	}
	waiting, woken := make(chan struct{}), make(chan error, 1)
	go func() {
		first := true
		woken <- mrc.Read(func(fd uintptr) bool {
			if first { // wait for the poller, whatever has come
				first = false
				close(waiting)
				return false
			}
			_, _, err := syscall.Recvfrom(int(fd), make([]byte, 16), 0)
			return err != syscall.EAGAIN
		})
	}()
	<-waiting
	if _, err := sender.WriteToUDP([]byte{byte(i), 2}, to); err != nil {
		t.Fatal(err)
	}
	if _, err := sender.WriteToUDP([]byte{byte(i)}, marker.LocalAddr().(*net.UDPAddr)); err != nil {
		t.Fatal(err)
	}
	if err := <-woken; err != nil {
		t.Fatal(err)
	}
	read := make(chan int, 1)
	go func() {
		n, _ := r.read()
		read <- n
	}()
	select {
	case n := <-read:
		if b, _, _ := r.msg(0); n != 1 || len(b) != 2 || b[0] != byte(i) || b[1] != 2 {
			t.Fatalf("round %d: the second read: %d datagrams, the first %v; want 1, [%d 2]", i, n, b, i)
		}
	case <-time.After(readLimit): // a hang guard
		_ = u.shutdown()
		<-read
		t.Fatalf("round %d: the datagram queued after a short batch was not read in %v", i, readLimit)
	}
}
