package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console"
)

// guard bounds waits in these tests; nothing sleeps on it.
const guard = 10 * time.Second

// logWatch is a slog.Handler that passes each message to the test.
type logWatch chan string

func (l logWatch) Enabled(context.Context, slog.Level) bool { return true }
func (l logWatch) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l logWatch) WithGroup(string) slog.Handler            { return l }
func (l logWatch) Handle(_ context.Context, r slog.Record) error {
	select {
	case l <- r.Message:
	default: // the test has what it needs; never block the server
	}
	return nil
}

// waitFor reads messages until msg arrives.
func (l logWatch) waitFor(t *testing.T, msg string) {
	t.Helper()
	timeout := time.After(guard)
	for {
		select {
		case got := <-l:
			if got == msg {
				return
			}
		case <-timeout:
			t.Fatalf("the server never logged %q", msg)
		}
	}
}

// running is a server run by a test on loopback.
type running struct {
	s       *server
	base    string // http://ADDR or https://ADDR
	client  *http.Client
	stop    context.CancelFunc
	done    chan error
	stopped bool
}

// startServer runs newServer(cfg) on a loopback listener until the test
// ends or drain is called.
func startServer(t *testing.T, cfg config.Config, log *slog.Logger) *running {
	t.Helper()
	tel, err := startTelemetry(t.Context(), cfg.Telemetry, "test", log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.shutdown(context.Background()) })
	s, err := newServer(cfg, log, tel.meter(), tel.metrics)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.closeSoftphone) // run closes it too; this is for a failure before
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP.MetricsListen != "" {
		if s.metricsLn, err = net.Listen("tcp", cfg.HTTP.MetricsListen); err != nil {
			t.Fatal(err)
		}
	}
	r := &running{s: s, base: "http://" + ln.Addr().String(), client: http.DefaultClient, done: make(chan error, 1)}
	ctx, stop := context.WithCancel(t.Context())
	r.stop = stop
	go func() { r.done <- s.run(ctx, ln) }()
	t.Cleanup(func() {
		if !r.stopped { // a check failed before the drain: still wait for run
			stop()
			<-r.done
		}
	})
	return r
}

// drain stops the server as SIGTERM does and waits for run to return nil.
func (r *running) drain(t *testing.T) {
	t.Helper()
	r.stop()
	select {
	case err := <-r.done:
		r.stopped = true
		if err != nil {
			t.Fatalf("run after the stop signal: got %v, want nil", err)
		}
	case <-time.After(guard):
		t.Fatal("run did not return after the stop signal")
	}
}

// get sends GET base+path with a bearer token ("" for none) and returns the
// status and body.
func (r *running) get(t *testing.T, base, path, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func fakeARIConfig(ari *fakeARI) config.Config {
	cfg := config.Default()
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = ari.URL+"/ari", "hotline", "secret"
	return cfg
}

// TestServerHTTPSurface: health, metrics and the API on one listener;
// /metrics only with the scraper's token; the reports need a session.
func TestServerHTTPSurface(t *testing.T) {
	ari := newFakeARI(t, "pre-existing")
	cfg := fakeARIConfig(ari)
	cfg.HTTP.MetricsToken = "scrape-token"
	logs := make(logWatch, 1024)
	r := startServer(t, cfg, slog.New(logs))

	logs.waitFor(t, "ARI events connected")
	checkHealth(t, r.base, http.StatusOK, console.HealthView{Status: "ok", ARIConnected: true})
	checkMetrics(t, r.base, "scrape-token", map[string]string{"hotline_ari_connected": "1"})
	if code, body := r.get(t, r.base, "/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: %d %s, want 401", code, body)
	}
	if code, body := r.get(t, r.base, "/api/reports?from=2025-03-01&to=2025-03-02", ""); code != http.StatusUnauthorized {
		t.Errorf("/api/reports without a session: %d %s, want 401", code, body)
	}

	// Asterisk goes away: health turns 503 as soon as the socket drops.
	ari.shutdown()
	logs.waitFor(t, "ARI connection lost")
	checkHealth(t, r.base, http.StatusServiceUnavailable, console.HealthView{Status: "ari_disconnected"})
	checkMetrics(t, r.base, "scrape-token", map[string]string{"hotline_ari_connected": "0"})

	r.drain(t)
	logs.waitFor(t, "drained")
	if _, err := http.Get(r.base + "/healthz"); err == nil {
		t.Fatal("the HTTP server still answers after the drain")
	}
}

// TestServerMetricsListener: with http.metrics_listen, /metrics is served
// there (and /healthz), and not on http.listen without a token.
func TestServerMetricsListener(t *testing.T) {
	ari := newFakeARI(t)
	cfg := fakeARIConfig(ari)
	cfg.HTTP.MetricsListen = "127.0.0.1:0"
	logs := make(logWatch, 1024)
	r := startServer(t, cfg, slog.New(logs))
	logs.waitFor(t, "ARI events connected")
	private := "http://" + r.s.metricsLn.Addr().String()

	checkMetrics(t, private, "", map[string]string{"hotline_ari_connected": "1"})
	if code, body := r.get(t, private, "/healthz", ""); code != http.StatusOK || !strings.Contains(body, `"status":"ok"`) {
		t.Errorf("/healthz on the metrics listener: %d %s", code, body)
	}
	if code, _ := r.get(t, private, "/api/me", ""); code != http.StatusNotFound {
		t.Errorf("/api/me on the metrics listener: %d, want 404", code)
	}
	if code, body := r.get(t, r.base, "/metrics", ""); code != http.StatusNotFound || !strings.Contains(body, "not served on this address") {
		t.Errorf("/metrics on http.listen: %d %s, want 404", code, body)
	}
	r.drain(t)
	if _, err := http.Get(private + "/metrics"); err == nil {
		t.Fatal("the metrics listener still answers after the drain")
	}
}

// TestServerTLS: with http.tls, the listener speaks HTTPS with the
// configured certificate, and the session cookie is Secure.
func TestServerTLS(t *testing.T) {
	ari := newFakeARI(t)
	cfg := fakeARIConfig(ari)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := x509.NewCertPool()
	pool.AddCert(testCertificate(t, certFile, keyFile, 1))
	cfg.HTTP.TLS = config.TLS{CertFile: certFile, KeyFile: keyFile}
	cfg.Console.Users = []config.User{{Name: "boss", Role: "manager", PasswordHash: quickHash(t, "pw")}}
	logs := make(logWatch, 1024)
	r := startServer(t, cfg, slog.New(logs))
	logs.waitFor(t, "ARI events connected")
	r.base = strings.Replace(r.base, "http://", "https://", 1)
	r.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer r.client.CloseIdleConnections()

	if code, body := r.get(t, r.base, "/healthz", ""); code != http.StatusOK {
		t.Errorf("/healthz over HTTPS: %d %s", code, body)
	}
	resp, err := r.client.Post(r.base+"/api/login", "application/json", strings.NewReader(`{"user":"boss","password":"pw"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.TLS == nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in over HTTPS: %d, TLS %v", resp.StatusCode, resp.TLS != nil)
	}
	if c := resp.Cookies(); len(c) != 1 || !c[0].Secure {
		t.Errorf("the session cookie over HTTPS: %v, want Secure", c)
	}
	if got := resp.Header.Get("Strict-Transport-Security"); got == "" {
		t.Error("no Strict-Transport-Security over HTTPS")
	}
	// A renewed certificate is served from the next handshake on; a
	// renewal half written keeps the last good one.
	servedSerial := func() int64 {
		t.Helper()
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		defer c.CloseIdleConnections()
		resp, err := c.Get(r.base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].SerialNumber.Int64()
	}
	if got := servedSerial(); got != 1 {
		t.Fatalf("serial %d served, want 1", got)
	}
	pool.AddCert(testCertificate(t, certFile, keyFile, 2))
	later := time.Now().Add(time.Minute) // a modification time of its own, whatever the file system's resolution
	os.Chtimes(certFile, later, later)
	os.Chtimes(keyFile, later, later)
	if got := servedSerial(); got != 2 {
		t.Errorf("after the renewal serial %d served, want 2", got)
	}
	write(t, keyFile, "half written")
	os.Chtimes(keyFile, later.Add(time.Minute), later.Add(time.Minute))
	if got := servedSerial(); got != 2 {
		t.Errorf("with a broken key file serial %d served, want the last good one, 2", got)
	}

	// Plain HTTP on the HTTPS port is refused.
	plain, err := http.Get(strings.Replace(r.base, "https://", "http://", 1) + "/healthz")
	if err == nil {
		plain.Body.Close()
		if plain.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP to the HTTPS listener: %d, want 400", plain.StatusCode)
		}
	}
	r.drain(t)
}

// TestServerTLSBadFiles: a certificate that cannot be loaded stops the
// start with the config keys named.
func TestServerTLSBadFiles(t *testing.T) {
	cfg := config.Default()
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = "http://127.0.0.1:1/ari", "hotline", "secret"
	cfg.HTTP.TLS = config.TLS{CertFile: filepath.Join(t.TempDir(), "cert.pem"), KeyFile: filepath.Join(t.TempDir(), "key.pem")}
	tel, err := startTelemetry(t.Context(), cfg.Telemetry, "test", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer tel.shutdown(context.Background())
	_, err = newServer(cfg, slog.New(slog.DiscardHandler), tel.meter(), tel.metrics)
	if err == nil || !strings.Contains(err.Error(), "http.tls: cannot load the certificate") {
		t.Fatalf("newServer with missing certificate files: %v", err)
	}
}

// TestServerSlowClients: a client that sends its headers or its body too
// slowly is cut off at the configured timeouts; today a slow body held
// its connection and handler for as long as the client liked.
func TestServerSlowClients(t *testing.T) {
	ari := newFakeARI(t)
	cfg := fakeARIConfig(ari)
	cfg.HTTP.ReadHeaderTimeout = 100 * time.Millisecond
	cfg.HTTP.ReadTimeout = 200 * time.Millisecond
	cfg.HTTP.IdleTimeout = 200 * time.Millisecond
	cfg.Console.Users = []config.User{{Name: "boss", Role: "manager", PasswordHash: quickHash(t, "pw")}}
	logs := make(logWatch, 1024)
	r := startServer(t, cfg, slog.New(logs))
	logs.waitFor(t, "ARI events connected")
	addr := strings.TrimPrefix(r.base, "http://")

	tests := []struct {
		name, send string
	}{
		{"headers never end", "GET /healthz HTTP/1.1\r\nHost: hotline\r\nX-Slow: 1\r\n"},
		{"body never ends", "POST /api/login HTTP/1.1\r\nHost: hotline\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user\":"},
		{"idle keep-alive", "GET /healthz HTTP/1.1\r\nHost: hotline\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(guard)) // a broken server fails the test, not hangs it
			if _, err := io.WriteString(conn, tt.send); err != nil {
				t.Fatal(err)
			}
			// The server answers what it may (a 200 for the whole request,
			// a 4xx for a cut one), then closes: the read ends with EOF,
			// not with the guard's deadline.
			rd := bufio.NewReader(conn)
			_, err = io.ReadAll(rd)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the server kept the connection open for %v", guard)
			}
		})
	}
	r.drain(t)
}

// TestReportsBehindSignIn: GET /api/reports needs a session of a role
// that reads reports, and refuses a report of too many periods (a year by
// hour was 5.6 MB per request) with a 400 that says why.
func TestReportsBehindSignIn(t *testing.T) {
	url := reportFixture(t)
	ari := newFakeARI(t)
	cfg := fakeARIConfig(ari)
	cfg.Database.URL = url
	cfg.Agents = []config.Agent{{ID: "1001", Device: "PJSIP/1001"}}
	cfg.Console.Users = []config.User{
		{Name: "li", Role: "agent", Agent: "1001", PasswordHash: quickHash(t, "pw")},
		{Name: "boss", Role: "manager", PasswordHash: quickHash(t, "pw")},
		{Name: "qa", Role: "qa", PasswordHash: quickHash(t, "pw")},
	}
	logs := make(logWatch, 1024)
	r := startServer(t, cfg, slog.New(logs))
	login := func(user string) string {
		api := &apiClient{t: t, ctx: t.Context(), base: r.base}
		var lr console.LoginResponse
		api.do(http.StatusOK, "POST", "/api/login", "", console.LoginRequest{User: user, Password: "pw"}, &lr)
		return lr.Token
	}
	const day = "/api/reports?from=2025-03-01&to=2025-03-02&by=hour"
	tests := []struct {
		name, path, user string
		code             int
		want             string
	}{
		{"nobody", day, "", http.StatusUnauthorized, "not signed in"},
		{"an agent", day, "li", http.StatusForbidden, "only managers, supervisors, QA reviewers and administrators may read reports"},
		{"a manager", day, "boss", http.StatusOK, `"rows":`},
		{"QA", day, "qa", http.StatusOK, `"rows":`},
		{"a month by hour", "/api/reports?from=2025-03-01&to=2025-03-31&by=hour", "boss", http.StatusOK, `"rows":`},
		{"a year by hour", "/api/reports?from=2025-01-01&to=2025-12-31&by=hour", "boss", http.StatusBadRequest,
			"by: a report by hour from 2025-01-01T00:00:00+08:00 to 2026-01-01T00:00:00+08:00 has 8760 periods, more than the 1000 one report may have"},
		{"a year by day", "/api/reports?from=2025-01-01&to=2025-12-31&by=day", "boss", http.StatusOK, `"rows":`},
		{"mistakes", "/api/reports?from=x&to=2025-03-01&format=csv", "boss", http.StatusBadRequest, "format: unknown parameter"},
	}
	tokens := map[string]string{"": ""}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := tokens[tt.user]; !ok {
				tokens[tt.user] = login(tt.user)
			}
			code, body := r.get(t, r.base, tt.path, tokens[tt.user])
			if code != tt.code || !strings.Contains(strings.ReplaceAll(body, `": `, `":`), tt.want) {
				t.Errorf("got %d %.300s, want %d with %q", code, body, tt.code, tt.want)
			}
		})
	}
	r.drain(t)
	if _, err := r.s.reports.pool(t.Context()); err != errReportsClosed {
		t.Errorf("the reports' pool after the drain: got %v, want errReportsClosed", err)
	}
}

func checkHealth(t *testing.T, base string, wantCode int, want console.HealthView) {
	t.Helper()
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got console.HealthView
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != wantCode || got != want {
		t.Fatalf("/healthz: got %d %+v, want %d %+v", resp.StatusCode, got, wantCode, want)
	}
}

// getMetrics reads /metrics with the bearer token ("" for none), which
// must answer 200.
func getMetrics(t *testing.T, base, token string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, body)
	}
	return body
}

// checkMetrics reads /metrics with the bearer token ("" for none).
func checkMetrics(t *testing.T, base, token string, want map[string]string) {
	t.Helper()
	body := getMetrics(t, base, token)
	for name, value := range want {
		re := regexp.MustCompile(`(?m)^` + name + `\{[^}]*\} (\S+)$`)
		m := re.FindSubmatch(body)
		if m == nil || string(m[1]) != value {
			t.Errorf("/metrics: %s = %q, want %s", name, m, value)
		}
	}
}

// testCertificate writes a self-signed certificate for 127.0.0.1 with
// serial to certFile and its key to keyFile, and returns it.
func testCertificate(t *testing.T, certFile, keyFile string, serial int64) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "hotline test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
