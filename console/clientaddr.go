package console

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr is the address r comes from: the connection's peer, or, when
// that is a trusted proxy, the nearest address in X-Forwarded-For that is
// not one (read from the right: what the proxies appended). A header from
// anyone else is ignored, so a client cannot choose its own address.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{} // not a TCP peer (a test's recorder): one bucket for all
	}
	addr := ap.Addr().Unmap()
	if !s.trustedProxy(addr) {
		return addr
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		a, err := netip.ParseAddr(hop)
		if err != nil {
			return addr // junk before the proxies' own entries: the last proxy answers for it
		}
		a = a.Unmap()
		if !s.trustedProxy(a) {
			return a
		}
		addr = a
	}
	return addr
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	for _, p := range s.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// addrKey is the bucket of a client address for the sign-in limits: the
// address for IPv4, its /64 for IPv6, since one host is given a whole /64
// and could otherwise change address for each guess.
func addrKey(a netip.Addr) netip.Prefix {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p
	}
	p, _ := a.Prefix(a.BitLen())
	return p
}
