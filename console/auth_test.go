package console_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/console"
)

func TestLogin(t *testing.T) {
	e := newEnv(t)
	var lr console.LoginResponse
	r := e.must(http.StatusOK, "POST", "/api/login", "", `{"user":"lilei","password":"lilei-pw"}`, &lr)
	want := console.Me{User: "lilei", Role: console.RoleAgent, Agent: "1001", Expires: start.Add(console.DefaultSessionTTL)}
	if lr.Token == "" || lr.User != want.User || lr.Role != want.Role || lr.Agent != want.Agent || !lr.Expires.Equal(want.Expires) {
		t.Errorf("login = %+v, want a token and %+v", lr, want)
	}

	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "hotline_session" {
			cookie = c
		}
	}
	switch {
	case cookie == nil:
		t.Fatalf("no session cookie in %v", r.header["Set-Cookie"])
	case cookie.Value != lr.Token:
		t.Errorf("cookie value %q, want the token", cookie.Value)
	case !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/":
		t.Errorf("cookie %v: want HttpOnly, SameSite=Strict, Path=/", cookie)
	case cookie.MaxAge != int(console.DefaultSessionTTL/time.Second):
		t.Errorf("cookie Max-Age %d, want the session's TTL", cookie.MaxAge)
	}

	t.Run("bearer", func(t *testing.T) {
		var me console.Me
		e.must(http.StatusOK, "GET", "/api/me", lr.Token, "", &me)
		if me.User != lr.User || me.Role != lr.Role || me.Agent != lr.Agent || !me.Expires.Equal(lr.Expires) {
			t.Errorf("me = %+v, want %+v", me, lr.Me)
		}
	})

	t.Run("cookie", func(t *testing.T) {
		jar, err := cookiejar.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		client := &http.Client{Jar: jar, Transport: e.ts.Client().Transport}
		resp, err := client.Post(e.ts.URL+"/api/login", "application/json", strings.NewReader(`{"user":"wang","password":"wang-pw"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		u, _ := url.Parse(e.ts.URL)
		if len(jar.Cookies(u)) != 1 {
			t.Fatalf("jar holds %v, want the session cookie", jar.Cookies(u))
		}
		resp, err = client.Get(e.ts.URL + "/api/me")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET /api/me with the cookie: %d, want 200", resp.StatusCode)
		}

		resp, err = client.Post(e.ts.URL+"/api/logout", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("logout: %d, want 204", resp.StatusCode)
		}
		if len(jar.Cookies(u)) != 0 {
			t.Errorf("after logout the jar still holds %v", jar.Cookies(u))
		}
	})
}

func TestLoginRefused(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		{"wrong password", `{"user":"lilei","password":"nope"}`, 401, "wrong user name or password"},
		// The same answer as a wrong password: no user enumeration.
		{"unknown user", `{"user":"nobody","password":"nope"}`, 401, "wrong user name or password"},
		{"no password", `{"user":"lilei"}`, 400, "user and password are required"},
		{"unknown field", `{"user":"lilei","password":"x","remember":true}`, 400, `unknown field "remember"`},
		{"wrong type", `{"user":"lilei","password":1234}`, 400, `field "password" must be a string, not number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/api/login", "", tt.body)
			if got := r.errorMessage(t); r.status != tt.status || got != tt.want {
				t.Errorf("got %d %q, want %d %q", r.status, got, tt.status, tt.want)
			}
		})
	}
}

func TestSessionEnds(t *testing.T) {
	e := newEnv(t, func(c *console.Config) { c.SessionTTL = time.Hour })
	unauthorized := func(t *testing.T, token string) {
		t.Helper()
		r := e.do("GET", "/api/me", token, "")
		if got, want := r.errorMessage(t), "not signed in, or the session has ended: sign in again"; r.status != 401 || got != want {
			t.Errorf("got %d %q, want 401 %q", r.status, got, want)
		}
		if r.header.Get("WWW-Authenticate") == "" {
			t.Error("a 401 without WWW-Authenticate")
		}
	}

	t.Run("no token", func(t *testing.T) { unauthorized(t, "") })
	t.Run("made-up token", func(t *testing.T) { unauthorized(t, "c2VjcmV0") })
	t.Run("not a bearer", func(t *testing.T) {
		tok := e.login("wang")
		r := e.do("GET", "/api/me", "", "", "Authorization", "Basic "+tok)
		if r.status != 401 {
			t.Errorf("Basic auth: %d, want 401", r.status)
		}
	})
	t.Run("logout", func(t *testing.T) {
		tok := e.login("wang")
		other := e.login("wang")
		e.must(http.StatusNoContent, "POST", "/api/logout", tok, "", nil)
		unauthorized(t, tok)
		e.must(http.StatusOK, "GET", "/api/me", other, "", nil) // only that session ended
	})
	t.Run("expiry", func(t *testing.T) {
		tok := e.login("wang")
		e.clock.Advance(time.Hour - time.Second)
		e.must(http.StatusOK, "GET", "/api/me", tok, "", nil)
		e.clock.Advance(time.Second)
		unauthorized(t, tok)
	})
}
