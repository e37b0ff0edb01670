//go:build !linux

package softphone

import (
	"net"
	"net/netip"
	"time"
)

// sender writes the browsers' RTP to Asterisk from an Asterisk-side
// socket.
type sender struct{ c *net.UDPConn }

type sendAddr = netip.AddrPort

func newSender(u *udpSock) (*sender, error) { return &sender{c: u.conn}, nil }

func toSendAddr(_ netip.Addr, a netip.AddrPort) sendAddr { return a }

func (s *sender) send(b []byte, to sendAddr) error {
	_, err := s.c.WriteToUDPAddrPort(b, to)
	return err
}

func (s *sender) close() {}

// outbox gathers nothing here: each datagram is sent at once.
type outbox struct{}

func (*outbox) next() []byte                                     { return nil }
func (*outbox) add(*sender, int, sendAddr, Direction, time.Time) {}
func (*outbox) flush(func(Direction, time.Duration), *tally)     {}
