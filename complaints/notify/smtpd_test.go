package notify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// received is one message an smtpServer accepted.
type received struct {
	From     string
	To       []string
	Data     []byte
	TLS      bool   // sent after STARTTLS
	AuthUser string // who authenticated ("" for no one)
}

// smtpServer is a small SMTP server (RFC 5321) for the tests, on
// 127.0.0.1: EHLO, STARTTLS (when it has a certificate), AUTH PLAIN
// (offered after STARTTLS, when it has a user), MAIL, RCPT, DATA, RSET,
// NOOP, QUIT. A recipient in reject gets 550.
type smtpServer struct {
	t        testing.TB
	ln       net.Listener
	tls      *tls.Config
	user     string
	password string
	reject   map[string]bool
	messages chan received
	wg       sync.WaitGroup
}

// startSMTP starts an smtpServer; with tlsCfg it offers STARTTLS; with
// user, AUTH PLAIN. It stops when t ends.
func startSMTP(t testing.TB, tlsCfg *tls.Config, user, password string) *smtpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{t: t, ln: ln, tls: tlsCfg, user: user, password: password, reject: map[string]bool{},
		messages: make(chan received, 100)}
	s.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() { s.serve(conn) })
		}
	})
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

func (s *smtpServer) Addr() string { return s.ln.Addr().String() }

func (s *smtpServer) serve(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Minute))
	tp := textproto.NewConn(conn)
	reply := func(code int, lines ...string) {
		for i, l := range lines {
			sep := "-"
			if i == len(lines)-1 {
				sep = " "
			}
			tp.PrintfLine("%d%s%s", code, sep, l)
		}
	}
	reply(220, "test.invalid ESMTP")
	var inTLS bool
	var authUser string
	var msg received
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"test.invalid", "8BITMIME"}
			if s.tls != nil && !inTLS {
				ext = append(ext, "STARTTLS")
			}
			if s.user != "" && (inTLS || s.tls == nil) {
				ext = append(ext, "AUTH PLAIN")
			}
			reply(250, ext...)
		case "STARTTLS":
			if s.tls == nil || inTLS {
				reply(502, "not now")
				continue
			}
			reply(220, "go ahead")
			tc := tls.Server(conn, s.tls)
			if err := tc.Handshake(); err != nil {
				s.t.Logf("smtp: TLS handshake: %v", err)
				return
			}
			conn, inTLS = tc, true
			tp = textproto.NewConn(tc)
			msg, authUser = received{}, ""
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			raw, err := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(raw), "\x00")
			if !strings.EqualFold(mech, "PLAIN") || err != nil || len(parts) != 3 ||
				parts[1] != s.user || parts[2] != s.password {
				reply(535, "authentication failed")
				continue
			}
			authUser = parts[1]
			reply(235, "ok")
		case "MAIL":
			if s.user != "" && authUser == "" {
				reply(530, "authentication required")
				continue
			}
			msg = received{From: addrOf(arg), TLS: inTLS, AuthUser: authUser}
			reply(250, "ok")
		case "RCPT":
			a := addrOf(arg)
			if s.reject[a] {
				reply(550, "no such mailbox")
				continue
			}
			msg.To = append(msg.To, a)
			reply(250, "ok")
		case "DATA":
			if msg.From == "" || len(msg.To) == 0 {
				reply(503, "bad sequence")
				continue
			}
			reply(354, "end with .")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			msg.Data = data
			s.messages <- msg
			msg = received{TLS: inTLS, AuthUser: authUser}
			reply(250, "queued")
		case "RSET":
			msg = received{TLS: inTLS, AuthUser: authUser}
			reply(250, "ok")
		case "NOOP":
			reply(250, "ok")
		case "QUIT":
			reply(221, "bye")
			return
		default:
			reply(500, "unknown command")
		}
	}
}

// addrOf returns the address of "FROM:<a@b> ..." or "TO:<a@b>".
func addrOf(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	a, _, _ := strings.Cut(rest, ">")
	return a
}

// testCert makes a self-signed certificate for 127.0.0.1 and the pool
// that trusts it.
func testCert(t testing.TB) (*tls.Config, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}
