package console_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hotline-ivr/hotline/console"
)

// fakeHealth reports a fixed state.
type fakeHealth struct{ st console.HealthStatus }

func (f fakeHealth) Health() console.HealthStatus { return f.st }

// fakeReports answers with what it was asked, or with err.
type fakeReports struct {
	mu   sync.Mutex
	got  []url.Values
	err  error
	rows int
}

func (f *fakeReports) Report(_ context.Context, q url.Values) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, q)
	if f.err != nil {
		return nil, f.err
	}
	return map[string]any{"from": q.Get("from"), "rows": []int{}}, nil
}

// metricsText stands for the Prometheus handler.
var metricsText = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "hotline_ari_connected 1\n")
})

func TestHealth(t *testing.T) {
	tests := []struct {
		name string
		st   console.HealthStatus
		code int
		body string
	}{
		{"connected", console.HealthStatus{ARIConnected: true, Calls: 3}, 200, `{"status":"ok","ari_connected":true,"calls":3}`},
		{"ARI down", console.HealthStatus{}, 503, `{"status":"ari_disconnected","ari_connected":false,"calls":0}`},
		{"draining", console.HealthStatus{ARIConnected: true, Calls: 2, Draining: true}, 503, `{"status":"draining","ari_connected":true,"calls":2}`},
		{"draining and down", console.HealthStatus{Draining: true}, 503, `{"status":"draining","ari_connected":false,"calls":0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *console.Config) { c.Health = fakeHealth{tt.st} })
			r := e.do("GET", "/healthz", "", "")
			if r.status != tt.code || strings.TrimSpace(string(r.body)) != tt.body {
				t.Errorf("got %d %s, want %d %s", r.status, r.body, tt.code, tt.body)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want JSON", ct)
			}
		})
	}
}

func TestMetricsAccess(t *testing.T) {
	get := func(t *testing.T, h http.Handler, path, token string) (int, string) {
		t.Helper()
		ts := httptest.NewServer(h)
		defer ts.Close()
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	const token = "s3cret-scraper-token"
	tests := []struct {
		name         string
		token        string // Config.MetricsToken
		listener     bool   // on MetricsHandler rather than the main handler
		path, bearer string
		code         int
		want         string
	}{
		{"main, no token set", "", false, "/metrics", "", 404, "not served on this address without a token"},
		{"main, no token set, a session's token", "", false, "/metrics", "anything", 404, "not served on this address"},
		{"main, token set, none sent", token, false, "/metrics", "", 401, "the metrics need the metrics bearer token"},
		{"main, token set, wrong one", token, false, "/metrics", "s3cret-scraper-tokeN", 401, "the metrics need the metrics bearer token"},
		{"main, token set, right one", token, false, "/metrics", token, 200, "hotline_ari_connected 1"},
		{"listener, no token set", "", true, "/metrics", "", 200, "hotline_ari_connected 1"},
		{"listener, token set, none sent", token, true, "/metrics", "", 401, "the metrics need the metrics bearer token"},
		{"listener, token set, right one", token, true, "/metrics", token, 200, "hotline_ari_connected 1"},
		{"listener has health", "", true, "/healthz", "", 200, `"status":"ok"`},
		{"listener has no console", "", true, "/api/me", "", 404, "no such endpoint: GET /api/me"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *console.Config) {
				c.Metrics, c.MetricsToken = metricsText, tt.token
				c.Health = fakeHealth{console.HealthStatus{ARIConnected: true}}
			})
			h := http.Handler(e.srv)
			if tt.listener {
				h = e.srv.MetricsHandler()
			}
			code, body := get(t, h, tt.path, tt.bearer)
			if code != tt.code || !strings.Contains(body, tt.want) {
				t.Errorf("got %d %s, want %d with %q", code, body, tt.code, tt.want)
			}
		})
	}
	// A signed-in user's session is not the metrics token.
	e := newEnv(t, func(c *console.Config) { c.Metrics, c.MetricsToken = metricsText, token })
	if r := e.do("GET", "/metrics", e.login("root"), ""); r.status != http.StatusUnauthorized {
		t.Errorf("/metrics with an administrator's session: %d, want 401", r.status)
	}
}

func TestReportsNeedARole(t *testing.T) {
	reports := &fakeReports{}
	e := newEnv(t, func(c *console.Config) { c.Reports = reports })
	const q = "/api/reports?from=2026-01-01&to=2026-12-31&by=hour"
	if r := e.do("GET", q, "", ""); r.status != http.StatusUnauthorized {
		t.Errorf("without a session: %d, want 401", r.status)
	}
	r := e.do("GET", q, e.login("lilei"), "")
	if got, want := r.errorMessage(t), "only managers, supervisors, QA reviewers and administrators may read reports"; r.status != 403 || got != want {
		t.Errorf("an agent: %d %q, want 403 %q", r.status, got, want)
	}
	if len(reports.got) != 0 {
		t.Fatalf("refused requests reached the reports: %v", reports.got)
	}
	for _, u := range []string{"boss", "qiu", "wang", "root"} {
		var body struct{ From string }
		e.must(http.StatusOK, "GET", q, e.login(u), "", &body)
		if body.From != "2026-01-01" {
			t.Errorf("%s: the report of from=%q, want the query's", u, body.From)
		}
	}

	boss := e.login("boss")
	tests := []struct {
		name  string
		err   error
		query string
		code  int
		want  string
	}{
		{"bad query", fmt.Errorf("%w: by: too many periods", console.ErrBadReportQuery), "?by=hour", 400, "bad report query: by: too many periods"},
		{"database down", fmt.Errorf("%w: the call-records database is unreachable", console.ErrReportsUnavailable), "?x=1", 503, "reports unavailable: the call-records database is unreachable"},
		{"internal", errors.New("pq: relation calls does not exist"), "?x=1", 500, "something went wrong on the server; the error is logged"},
		{"query too long", nil, "?from=" + strings.Repeat("9", 3000), 400, "the query string is longer than 2048 bytes"},
		{"query broken", nil, "?from=%zz", 400, "the query string is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reports.mu.Lock()
			reports.err = tt.err
			reports.mu.Unlock()
			r := e.do("GET", "/api/reports"+tt.query, boss, "")
			if got := r.errorMessage(t); r.status != tt.code || !strings.Contains(got, tt.want) {
				t.Errorf("got %d %q, want %d %q", r.status, got, tt.code, tt.want)
			}
		})
	}
	if !strings.Contains(e.logs.String(), "relation calls does not exist") {
		t.Errorf("the internal error is not logged:\n%s", e.logs)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, func(c *console.Config) {
		c.Health = fakeHealth{console.HealthStatus{ARIConnected: true}}
		c.Metrics = metricsText
	})
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
	}
	token := e.login("root")
	for _, req := range []struct{ method, path, token, body string }{
		{"GET", "/healthz", "", ""},
		{"GET", "/metrics", "", ""},
		{"POST", "/api/login", "", `{"user":"root","password":"nope"}`},
		{"GET", "/api/me", token, ""},
		{"GET", "/api/nowhere", "", ""},
		{"GET", "/nowhere", "", ""},
	} {
		r := e.do(req.method, req.path, req.token, req.body)
		for k, v := range want {
			if got := r.header.Get(k); got != v {
				t.Errorf("%s %s (%d): %s = %q, want %q", req.method, req.path, r.status, k, got, v)
			}
		}
		if r.header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s %s: HSTS over plain HTTP", req.method, req.path)
		}
	}
	rec := httptest.NewRecorder()
	e.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("the metrics listener: nosniff %q", got)
	}
}

func TestSecureCookie(t *testing.T) {
	cookie := func(t *testing.T, ts *httptest.Server) (*http.Cookie, http.Header) {
		t.Helper()
		resp, err := ts.Client().Post(ts.URL+"/api/login", "application/json", strings.NewReader(`{"user":"wang","password":"wang-pw"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, c := range resp.Cookies() {
			if c.Name == "hotline_session" {
				return c, resp.Header
			}
		}
		t.Fatalf("no session cookie (status %d)", resp.StatusCode)
		return nil, nil
	}
	t.Run("plain HTTP", func(t *testing.T) {
		e := newEnv(t)
		if c, _ := cookie(t, e.ts); c.Secure {
			t.Error("Secure over plain HTTP without secure cookies configured")
		}
	})
	t.Run("behind a proxy that ends TLS", func(t *testing.T) {
		e := newEnv(t, func(c *console.Config) { c.SecureCookies = true })
		if c, _ := cookie(t, e.ts); !c.Secure {
			t.Error("not Secure with SecureCookies")
		}
	})
	t.Run("TLS", func(t *testing.T) {
		e := newEnv(t)
		ts := httptest.NewTLSServer(e.srv)
		defer ts.Close()
		c, h := cookie(t, ts)
		if !c.Secure {
			t.Error("not Secure over TLS")
		}
		if got := h.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("HSTS %q over TLS, want max-age=31536000", got)
		}
	})
}
