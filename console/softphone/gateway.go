package softphone

import (
	"context"
	"crypto/hmac"
	"crypto/sha1" // the TURN REST scheme's MAC (coturn's use-auth-secret)
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
)

// Errors the gateway returns; test them with errors.Is.
var (
	// ErrExists: a session with this ID is open already (close it first).
	ErrExists = errors.New("softphone: a session with this id is already open")
	// ErrNoSession: no open session has this ID.
	ErrNoSession = errors.New("softphone: no such session")
	// ErrNoPCMU: the browser's offer has no audio that can be PCMU.
	ErrNoPCMU = errors.New("softphone: the offer has no audio m-line offering PCMU/8000")
	// ErrClosed: the session or the gateway is closed.
	ErrClosed = errors.New("softphone: closed")
)

// Direction names a forwarding direction, for [Config.Observe].
type Direction int

const (
	// ToAsterisk is browser → Asterisk.
	ToAsterisk Direction = iota
	// ToBrowser is Asterisk → browser.
	ToBrowser
)

func (d Direction) String() string {
	if d == ToAsterisk {
		return "to-asterisk"
	}
	return "to-browser"
}

// Config configures a [Gateway]. The zero value works on one machine
// (loopback RTP towards Asterisk, host ICE candidates on every interface
// but loopback).
type Config struct {
	// RTPHost is the IP address the Asterisk-side UDP sockets bind to,
	// and so the host of every session's external_host: one Asterisk
	// can reach. Default 127.0.0.1.
	RTPHost string
	// ICEServers are STUN and TURN servers for the browsers (see
	// [Gateway.ICEServersFor]): the gateway, a lite ICE agent, uses none
	// itself; a browser behind a NAT or a firewall that lets no UDP out
	// reaches the gateway's host candidates through a TURN server's relay.
	ICEServers []ICEServer
	// NAT1To1IPs, when set, are announced as host candidates instead of
	// the machine's own addresses (a gateway behind 1:1 NAT), each with
	// the ports of the gateway's sockets.
	NAT1To1IPs []string
	// ICEPortMin and ICEPortMax bound the UDP ports ICE uses (both 0: any):
	// one port per local address, taken when the address is first used.
	ICEPortMin, ICEPortMax uint16
	// ICEInterfaces, when set, keeps only the interfaces it accepts for
	// ICE host candidates.
	ICEInterfaces func(name string) bool
	// ICELoopback also offers loopback host candidates (tests and a
	// browser on the same machine).
	ICELoopback bool

	// NoMediaTimeout: a session with a call attached that has had no RTP
	// from its browser for this long is reported dead ([ReasonNoMedia]).
	// The time counts from the attach or the last packet, the later.
	// Default 5 s.
	NoMediaTimeout time.Duration
	// ICEGrace: a session whose ICE connection has stayed disconnected
	// or failed for this long is reported dead ([ReasonICE]); ICE often
	// recovers from a short network glitch. Default 5 s. (pion itself
	// calls a connection disconnected after 5 s without traffic.)
	ICEGrace time.Duration
	// ICEDisconnectedTimeout is how long the gateway goes without hearing
	// from a browser (media, or its connectivity checks, which browsers
	// send every 5 s or so) before it calls its connection disconnected,
	// counted from the session's opening until the first check. Default
	// 5 s.
	ICEDisconnectedTimeout time.Duration
	// BusyRate and BusyWindow: while the gateway forwards more than
	// BusyRate packets a second (both ways; default 3,000, some 30
	// calls), it stops waking for each datagram and reads every socket
	// once per BusyWindow (default 0.5 ms) instead, forwarding what came
	// meanwhile: far fewer wake-ups, for at most BusyWindow of delay. A
	// negative BusyWindow: never (Linux only; elsewhere never).
	BusyRate   int
	BusyWindow time.Duration
	// RealtimePriority, 1 to 99: while busy, the reads on a timer run on
	// a thread of their own under SCHED_FIFO at this priority (Linux;
	// it needs CAP_SYS_NICE or an RLIMIT_RTPRIO as high; refused, the
	// gateway says so in its log and carries on at the normal
	// priority). 0: the normal priority. The thread does only that:
	// wait for the next tick, forward what came, at most 1,024
	// datagrams a socket a tick.
	RealtimePriority int
	// OnBusy, when set, is told when the gateway goes busy (true) and
	// back (false). It is called from the gateway's goroutine and must
	// not block.
	OnBusy func(busy bool)

	// OnDead receives the watchdog's reports. It is called from the
	// gateway's goroutines and must not block; nil drops them.
	OnDead func(Report)

	// Observe, when set, is told of every forwarded packet: its
	// direction, and the gateway's own delay, up to the return of the
	// write that sent it on, from the packet's arrival in the kernel (on
	// Linux, SO_TIMESTAMPNS; elsewhere from the read): its wait to be
	// read, its opening (from the browser) or sealing (towards it), and
	// the write. For measurement; it must be quick.
	Observe func(Direction, time.Duration)

	// Clock is the watchdog's and rewriters' clock. Default: the real one.
	Clock clockwork.Clock
	// Logger gets the sessions' lifecycle and errors. Default: discard.
	Logger *slog.Logger
}

// Gateway bridges browser peer connections to Asterisk externalMedia
// channels. Its methods are safe for concurrent use.
type Gateway struct {
	cfg     Config
	readers int // sockets per address (SO_REUSEPORT), so many readers
	host    netip.Addr
	clock   clockwork.Clock
	log     *slog.Logger

	nat  []netip.Addr // NAT1To1IPs
	pump *pump        // reads the sockets while busy (nil: never)
	rtp  []*rtpSock   // the Asterisk side, shared by the sessions
	next int          // the socket the next session writes from

	mu       sync.Mutex
	sessions map[string]*Session
	closed   bool

	peersMu sync.RWMutex
	peers   map[netip.AddrPort]*Session // by the address of the call's Asterisk side

	iceMu     sync.Mutex
	ice       map[netip.Addr][]*iceSock // the ICE sockets, by local address
	iceClosed bool
	remotesMu sync.RWMutex
	remotes   map[netip.AddrPort]*Session // by the browser's address
	ufragMu   sync.RWMutex
	ufrags    map[string]*Session // by the gateway's ICE username fragment

	tally tally // what it has forwarded and dropped

	stop chan struct{}
	wg   sync.WaitGroup
}

// New starts a gateway: its media engine offers PCMU only, and one
// watchdog goroutine checks every session.
func New(cfg Config) (*Gateway, error) {
	if cfg.RTPHost == "" {
		cfg.RTPHost = "127.0.0.1"
	}
	host, err := netip.ParseAddr(cfg.RTPHost)
	if err != nil {
		return nil, fmt.Errorf("softphone: RTPHost %q is not an IP address: %w", cfg.RTPHost, err)
	}
	if host.IsUnspecified() {
		return nil, fmt.Errorf("softphone: RTPHost %q: give the address Asterisk reaches, not a wildcard", cfg.RTPHost)
	}
	if cfg.NoMediaTimeout <= 0 {
		cfg.NoMediaTimeout = 5 * time.Second
	}
	if cfg.ICEGrace <= 0 {
		cfg.ICEGrace = 5 * time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}

	for i, s := range cfg.ICEServers {
		if s.Secret != "" && (s.TTL <= 0 || s.Username != "" || s.Credential != "") {
			return nil, fmt.Errorf("softphone: ICE server %d (%v): a Secret wants a TTL over 0, and no Username or Credential (those are made from it)", i, s.URLs)
		}
	}
	if cfg.RealtimePriority < 0 || cfg.RealtimePriority > 99 {
		return nil, fmt.Errorf("softphone: RealtimePriority %d: want 1 to 99 (SCHED_FIFO), or 0 for the normal priority", cfg.RealtimePriority)
	}
	if cfg.BusyRate <= 0 {
		cfg.BusyRate = 3000
	}
	if cfg.BusyWindow == 0 {
		cfg.BusyWindow = 500 * time.Microsecond
	}
	if cfg.ICEDisconnectedTimeout <= 0 {
		cfg.ICEDisconnectedTimeout = 5 * time.Second
	}
	var nat []netip.Addr
	for _, ip := range cfg.NAT1To1IPs {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return nil, fmt.Errorf("softphone: NAT1To1IPs: %q is not an IP address", ip)
		}
		nat = append(nat, a.Unmap())
	}
	g := &Gateway{
		cfg:      cfg,
		readers:  min(runtime.GOMAXPROCS(0), 8),
		nat:      nat,
		host:     host,
		clock:    cfg.Clock,
		log:      cfg.Logger,
		sessions: map[string]*Session{},
		peers:    map[netip.AddrPort]*Session{},
		ice:      map[netip.Addr][]*iceSock{},
		remotes:  map[netip.AddrPort]*Session{},
		ufrags:   map[string]*Session{},
		stop:     make(chan struct{}),
	}
	if g.pump, err = newPump(g); err != nil {
		return nil, fmt.Errorf("softphone: the busy pump's timer: %w", err)
	}
	// A reader per processor: the calls' packets towards the browsers
	// are forwarded in parallel.
	if g.rtp, err = g.openRTP(g.readers); err != nil {
		g.pump.discard()
		return nil, err
	}
	// The ICE sockets of the addresses there are now; an address that
	// comes later gets its own at the first Open after it.
	g.iceMu.Lock()
	_, err = g.iceSocks()
	g.iceMu.Unlock()
	if err != nil {
		for _, k := range g.rtp {
			_ = k.shutdown()
			k.release()
		}
		ice, _ := g.closeICE()
		g.wg.Wait() // the readers of the ICE sockets opened
		for _, k := range ice {
			k.release()
		}
		g.pump.discard()
		return nil, err
	}
	g.wg.Add(1 + len(g.rtp))
	g.pump.start()
	go g.watch()
	for _, k := range g.rtp {
		go g.readAsterisk(k)
	}
	return g, nil
}

// Open creates the session id (an agent's, say) from the browser's SDP
// offer and returns it with the SDP answer.
//
// Signalling is non-trickle on the gateway's side: Open waits (bounded by
// ctx) until the gateway has gathered its ICE candidates, so the answer
// carries them all and nothing needs to follow it. The browser may send
// its own candidates in the offer (having waited for its gathering) or
// trickle them afterwards through [Session.AddICECandidate].
//
// The offer must have an audio m-line offering PCMU/8000; the answer
// accepts PCMU only, so media is forwarded without transcoding.
func (g *Gateway) Open(ctx context.Context, id, offer string) (*Session, string, error) {
	o, err := parseOffer(offer)
	if err != nil {
		return nil, "", err
	}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil, "", ErrClosed
	}
	if _, ok := g.sessions[id]; ok {
		g.mu.Unlock()
		return nil, "", fmt.Errorf("%w: %q", ErrExists, id)
	}
	s := &Session{id: id, g: g, sock: g.rtp[g.next%len(g.rtp)]}
	g.next++
	g.sessions[id] = s // reserved; removed again on failure
	g.mu.Unlock()

	answer, err := s.start(o)
	if err != nil {
		s.mu.Lock()
		s.closing = true // no report about a session that never opened
		s.mu.Unlock()
		s.shutdown()
		s.wg.Wait()
		g.forget(s)
		return nil, "", err
	}
	g.log.Info("softphone: session open", "session", id, "external_host", s.ExternalHost())
	return s, answer, nil
}

// Session returns the open session id.
func (g *Gateway) Session(id string) (*Session, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, ok := g.sessions[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNoSession, id)
	}
	return s, nil
}

// Mute stops (on) or resumes (off) forwarding session id's browser audio
// to Asterisk; while muted, Asterisk gets PCMU silence in its place, at
// the browser's own pace, so its stream keeps its timing.
func (g *Gateway) Mute(id string, on bool) error {
	s, err := g.Session(id)
	if err != nil {
		return err
	}
	s.SetMute(on)
	return nil
}

// Sessions counts the open sessions.
func (g *Gateway) Sessions() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.sessions)
}

// Close closes every session and stops the watchdog.
func (g *Gateway) Close() error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	all := make([]*Session, 0, len(g.sessions))
	for _, s := range g.sessions {
		all = append(all, s)
	}
	g.mu.Unlock()
	close(g.stop)
	var errs []error
	for _, s := range all {
		errs = append(errs, s.Close())
	}
	for _, k := range g.rtp {
		k.out.close()
		if err := k.shutdown(); err != nil {
			errs = append(errs, fmt.Errorf("softphone: close an RTP socket: %w", err))
		}
	}
	ice, err := g.closeICE()
	errs = append(errs, err)
	g.wg.Wait()
	// The readers are gone: the sockets can go.
	for _, k := range g.rtp {
		k.release()
	}
	for _, k := range ice {
		k.release()
	}
	return errors.Join(errs...)
}

func (g *Gateway) forget(s *Session) {
	g.mu.Lock()
	if g.sessions[s.id] == s {
		delete(g.sessions, s.id)
	}
	g.mu.Unlock()
}

func (g *Gateway) snapshot() []*Session {
	g.mu.Lock()
	defer g.mu.Unlock()
	all := make([]*Session, 0, len(g.sessions))
	for _, s := range g.sessions {
		all = append(all, s)
	}
	return all
}

// Stats are what a gateway has done since it started, and its state now:
// for metrics.
type Stats struct {
	// Sessions are the browsers' sessions open.
	Sessions int
	// ToAsterisk and ToBrowser count the RTP datagrams forwarded each
	// way; Dropped those a socket refused to send (its buffer full, or
	// the address unreachable).
	ToAsterisk, ToBrowser, Dropped uint64
	// Busy: the pump reads the sockets on a timer (BusyRate passed).
	// Realtime: its thread has Config.RealtimePriority (false while
	// refused, or none configured). RealtimeRefused: the system refused
	// the priority (no CAP_SYS_NICE, no RLIMIT_RTPRIO as high), and the
	// pump runs at the normal priority: when busy, a p99 forwarding delay
	// over 1 ms is likely (see Cost in the package doc).
	Busy, Realtime, RealtimeRefused bool
}

// Stats are the gateway's counts and state.
func (g *Gateway) Stats() Stats {
	g.mu.Lock()
	n := len(g.sessions)
	g.mu.Unlock()
	busy, rt, refused := g.pump.state()
	return Stats{
		Sessions:        n,
		ToAsterisk:      g.tally.sent[ToAsterisk].Load(),
		ToBrowser:       g.tally.sent[ToBrowser].Load(),
		Dropped:         g.tally.dropped.Load(),
		Busy:            busy,
		Realtime:        rt,
		RealtimeRefused: refused,
	}
}

// tally counts the datagrams forwarded each way, and those dropped.
type tally struct {
	sent    [2]atomic.Uint64 // by Direction
	dropped atomic.Uint64
}

// add adds one batch's counts.
func (t *tally) add(sent [2]uint64, dropped uint64) {
	for d, n := range sent {
		if n > 0 {
			t.sent[d].Add(n)
		}
	}
	if dropped > 0 {
		t.dropped.Add(dropped)
	}
}

// ICEServersFor are the STUN and TURN servers of the configuration for
// user's page, its peer connection's RTCConfiguration.iceServers: a
// server with a Secret gets a username and credential of user's own,
// valid for its TTL from now (the TURN REST scheme: the username is the
// expiry in Unix seconds, a colon and user; the credential the base64
// of the username's HMAC-SHA1 under the secret), which the TURN server
// checks with the secret it shares (coturn's use-auth-secret). The
// others go as configured.
func (g *Gateway) ICEServersFor(user string) []ICEServer {
	out := make([]ICEServer, len(g.cfg.ICEServers))
	now := g.clock.Now()
	for i, s := range g.cfg.ICEServers {
		out[i] = ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential}
		if s.Secret != "" {
			out[i].Username = strconv.FormatInt(now.Add(s.TTL).Unix(), 10) + ":" + user
			mac := hmac.New(sha1.New, []byte(s.Secret))
			mac.Write([]byte(out[i].Username))
			out[i].Credential = base64.StdEncoding.EncodeToString(mac.Sum(nil))
		}
	}
	return out
}

// ICEServer is a STUN or TURN server, as a browser's RTCIceServer.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
	// Secret, for a TURN server: the secret it shares with Hotline, to
	// give each page credentials of its own valid for TTL (see
	// [Gateway.ICEServersFor]) rather than Username and Credential.
	// Never sent to a browser.
	Secret string        `json:"-"`
	TTL    time.Duration `json:"-"`
}

// candidates are the addresses the answers announce: every local
// address's ICE socket, or in its place the NAT's public addresses with
// the same ports.
func (g *Gateway) candidates() ([]netip.AddrPort, error) {
	g.iceMu.Lock()
	defer g.iceMu.Unlock()
	if g.iceClosed {
		return nil, ErrClosed
	}
	socks, err := g.iceSocks()
	if err != nil {
		return nil, err
	}
	var out []netip.AddrPort
	for _, k := range socks {
		if len(g.nat) == 0 {
			out = append(out, k.local)
			continue
		}
		for _, a := range g.nat {
			if a.Is4() == k.local.Addr().Is4() {
				if c := netip.AddrPortFrom(a, k.local.Port()); !slices.Contains(out, c) {
					out = append(out, c)
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("softphone: no local address of the family of NAT1To1IPs %v", g.cfg.NAT1To1IPs)
	}
	return out, nil
}

// closeICE shuts the ICE sockets down and returns them, to release once
// their readers are gone.
func (g *Gateway) closeICE() ([]*iceSock, error) {
	g.iceMu.Lock()
	defer g.iceMu.Unlock()
	g.iceClosed = true
	var errs []error
	var all []*iceSock
	for _, socks := range g.ice {
		for _, k := range socks {
			k.out.close()
			if err := k.shutdown(); err != nil {
				errs = append(errs, fmt.Errorf("softphone: close an ICE socket: %w", err))
			}
			all = append(all, k)
		}
	}
	g.ice = map[netip.Addr][]*iceSock{}
	return all, errors.Join(errs...)
}

// udpAddr is a, any port, for net.ListenUDP.
func udpAddr(a netip.Addr) *net.UDPAddr {
	return net.UDPAddrFromAddrPort(netip.AddrPortFrom(a, 0))
}

// ExternalHost is the address session id takes Asterisk's RTP on, to give
// as external_host when creating its externalMedia channel; ErrNoSession
// when the browser has no open session (it is not signed in, or its tab
// closed).
func (g *Gateway) ExternalHost(id string) (string, error) {
	s, err := g.Session(id)
	if err != nil {
		return "", err
	}
	return s.ExternalHost(), nil
}

// Attach connects session id to the externalMedia channel whose Asterisk
// side is at asterisk (see [Session.Attach]).
func (g *Gateway) Attach(id, channel string, asterisk netip.AddrPort) error {
	s, err := g.Session(id)
	if err != nil {
		return err
	}
	return s.Attach(channel, asterisk)
}

// Detach ends session id's call on channel; it does nothing when another
// call (or none) is attached now, or the session is gone.
func (g *Gateway) Detach(id, channel string) {
	s, err := g.Session(id)
	if err != nil {
		return
	}
	s.detach(func(a *attachment) bool { return a.call == channel })
}
