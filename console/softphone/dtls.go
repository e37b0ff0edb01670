package softphone

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/srtp/v3"
	"github.com/pion/transport/v5/packetio"
)

// DTLS-SRTP (RFC 5763, 5764): each session runs one DTLS handshake with
// its browser over the ICE pair, the certificates checked against the
// fingerprints the offer and answer carry, and takes the SRTP keys from
// it. After the handshake the media path is the gateway's own: SRTP
// sealed and opened with those keys on the ICE sockets' reader
// goroutines, no hand-off to another goroutine. The DTLS connection stays
// open for the browser's close_notify (its peer connection closed).

// srtpProfiles are the SRTP protection profiles offered, best first:
// AES-128-GCM (authenticated encryption in one pass, and the cheapest),
// AES-256-GCM, and AES-CM with HMAC-SHA1-80, which every browser has.
var srtpProfiles = []dtls.SRTPProtectionProfile{dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AEAD_AES_256_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80}

// certificate is a session's DTLS certificate (ECDSA P-256, self-signed,
// as browsers make theirs) and its SHA-256 fingerprint for the answer.
type certificate struct {
	tls         tls.Certificate
	fingerprint string // "AB:CD:…"
}

func newCertificate(now time.Time) (*certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "hotline-softphone"},
		NotBefore:    now.Add(-24 * time.Hour),
		NotAfter:     now.Add(30 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &certificate{tls: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, fingerprint: fingerprint(der)}, nil
}

// fingerprint is der's SHA-256 in SDP's form (RFC 8122).
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// dtlsConn is the DTLS connection's view of the ICE pair: the datagrams
// the ICE readers hand it (DTLS records, rare after the handshake), and
// writes sent on the session's selected pair. It is a net.PacketConn
// for pion's DTLS, deadlines included.
type dtlsConn struct {
	s   *Session
	buf *packetio.Buffer
}

var errNoPair = errors.New("softphone: no ICE pair to send DTLS on yet")

func (c *dtlsConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, _, err := c.buf.Read(p, nil)
	return n, dtlsPeer, err
}

func (c *dtlsConn) WriteTo(p []byte, _ net.Addr) (int, error) {
	pair := c.s.pair.Load()
	if pair == nil {
		return 0, errNoPair
	}
	if err := pair.sock.out.send(p, pair.to); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *dtlsConn) Close() error                       { return c.buf.Close() }
func (c *dtlsConn) LocalAddr() net.Addr                { return dtlsPeer }
func (c *dtlsConn) SetDeadline(t time.Time) error      { return c.buf.SetReadDeadline(t) }
func (c *dtlsConn) SetReadDeadline(t time.Time) error  { return c.buf.SetReadDeadline(t) }
func (c *dtlsConn) SetWriteDeadline(_ time.Time) error { return nil }

// dtlsPeer stands for the browser's address in the DTLS connection: the
// address itself is the ICE pair's, and may change (ICE restart).
var dtlsPeer = &net.UDPAddr{IP: net.IPv4zero}

// dtlsIn hands a DTLS record from the browser to the DTLS connection.
func (s *Session) dtlsIn(b []byte) {
	if c := s.dtlsPipe; c != nil {
		_, _ = c.buf.Write(b, nil) // a full or closed buffer drops it: DTLS retransmits
	}
}

// srtpKeys are a session's SRTP contexts: tx seals towards the browser
// (used under brMu), rx opens the browser's (under rxMu).
type srtpKeys struct {
	tx, rx *srtp.Context
}

// runDTLS runs the handshake as the role the answer took (client: once an
// ICE pair is up) and checks the browser's certificate against s.fps,
// installs the SRTP keys, then waits for the connection to end (until
// s.ctx does): a close_notify or a failure is the browser gone.
func (s *Session) runDTLS(client bool) {
	defer s.wg.Done()
	ctx := s.ctx
	verify := func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("the browser sent no certificate")
		}
		got := fingerprint(raw[0])
		for _, fp := range s.fps {
			if strings.EqualFold(fp, got) {
				return nil
			}
		}
		return fmt.Errorf("the browser's certificate (sha-256 %s) is not the one its offer announced", got)
	}
	opts := []dtls.Option{
		dtls.WithCertificates(s.cert.tls),
		dtls.WithSRTPProtectionProfiles(srtpProfiles...),
		dtls.WithExtendedMasterSecret(dtls.RequestExtendedMasterSecret),
		dtls.WithInsecureSkipVerify(true), // self-signed: the fingerprint is the check
		dtls.WithVerifyPeerCertificate(verify),
	}
	var (
		conn *dtls.Conn
		err  error
	)
	if client {
		select {
		case <-s.pairUp:
		case <-ctx.Done():
			return
		}
		copts := make([]dtls.ClientOption, 0, len(opts))
		for _, o := range opts {
			copts = append(copts, o)
		}
		conn, err = dtls.ClientWithOptions(s.dtlsPipe, dtlsPeer, copts...)
	} else {
		sopts := make([]dtls.ServerOption, 0, len(opts)+1)
		for _, o := range opts {
			sopts = append(sopts, o)
		}
		sopts = append(sopts, dtls.WithClientAuth(dtls.RequireAnyClientCert))
		conn, err = dtls.ServerWithOptions(s.dtlsPipe, dtlsPeer, sopts...)
	}
	if err == nil {
		err = conn.HandshakeContext(ctx)
	}
	if err == nil {
		err = s.installKeys(conn, client)
	}
	if err != nil {
		if conn != nil {
			_ = conn.Close()
		}
		if ctx.Err() == nil {
			s.lost("the peer connection failed (DTLS: " + err.Error() + ")")
		}
		return
	}
	s.setDTLS(conn)
	s.g.log.Info("softphone: DTLS up", "session", s.id, "client", client)
	buf := make([]byte, 1500)
	for {
		if _, err := conn.Read(buf); err != nil {
			if ctx.Err() == nil {
				detail := "the peer connection closed (the browser closed it, or its tab)"
				if !errors.Is(err, io.EOF) {
					detail = "the peer connection failed (DTLS: " + err.Error() + ")"
				}
				s.lost(detail)
			}
			return
		}
	}
}

// installKeys makes the session's SRTP contexts from conn's keying
// material (RFC 5764 §4.2).
func (s *Session) installKeys(conn *dtls.Conn, client bool) error {
	profile, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		return errors.New("the browser agreed no SRTP protection profile")
	}
	state, ok := conn.ConnectionState()
	if !ok {
		return errors.New("no DTLS connection state")
	}
	cfg := srtp.Config{Profile: srtp.ProtectionProfile(profile)}
	if err := cfg.ExtractSessionKeysFromDTLS(&state, client); err != nil {
		return fmt.Errorf("SRTP keys: %w", err)
	}
	tx, err := srtp.CreateContext(cfg.Keys.LocalMasterKey, cfg.Keys.LocalMasterSalt, cfg.Profile)
	if err != nil {
		return fmt.Errorf("SRTP: %w", err)
	}
	rx, err := srtp.CreateContext(cfg.Keys.RemoteMasterKey, cfg.Keys.RemoteMasterSalt, cfg.Profile)
	if err != nil {
		return fmt.Errorf("SRTP: %w", err)
	}
	s.keys.Store(&srtpKeys{tx: tx, rx: rx})
	return nil
}

// dtlsState guards the DTLS connection for Close.
type dtlsState struct {
	mu   sync.Mutex
	conn *dtls.Conn
	done bool
}

func (s *Session) setDTLS(c *dtls.Conn) {
	s.dtls.mu.Lock()
	defer s.dtls.mu.Unlock()
	if s.dtls.done {
		_ = c.Close()
		return
	}
	s.dtls.conn = c
}

// closeDTLS sends the browser a close_notify (when the handshake is
// done) and ends the DTLS goroutine.
func (s *Session) closeDTLS() {
	s.dtls.mu.Lock()
	c := s.dtls.conn
	s.dtls.done = true
	s.dtls.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
	if s.dtlsPipe != nil {
		_ = s.dtlsPipe.Close()
	}
}
