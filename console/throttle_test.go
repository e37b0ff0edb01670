package console_test

import (
	"io"
	"log"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hotline-ivr/hotline/console"
)

const (
	badLilei  = `{"user":"lilei","password":"guess"}`
	goodLilei = `{"user":"lilei","password":"lilei-pw"}`
)

// behindProxy makes the test server's loopback peer a trusted proxy, so
// that each request says its client in X-Forwarded-For.
func behindProxy(c *console.Config) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
}

// from sends a sign-in as the client at addr, through the trusted proxy.
func (e *env) from(addr, body string) response {
	e.t.Helper()
	return e.do("POST", "/api/login", "", body, "X-Forwarded-For", addr)
}

func TestLoginThrottle(t *testing.T) {
	e := newEnv(t)
	// Failures more than a minute apart do not add up.
	for range 4 {
		e.must(http.StatusUnauthorized, "POST", "/api/login", "", badLilei, nil)
	}
	e.clock.Advance(time.Minute)
	for range 4 {
		e.must(http.StatusUnauthorized, "POST", "/api/login", "", badLilei, nil)
	}
	// The fifth within the minute stops the name from this address.
	e.must(http.StatusUnauthorized, "POST", "/api/login", "", badLilei, nil)
	r := e.do("POST", "/api/login", "", goodLilei)
	if r.status != http.StatusTooManyRequests {
		t.Fatalf("the right password after 5 failures: %d %s, want 429", r.status, r.body)
	}
	if got, want := r.errorMessage(t), "too many failed sign-ins: try again in 60 seconds"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if got := r.header.Get("Retry-After"); got != "60" {
		t.Errorf("Retry-After %q, want 60", got)
	}
	// Unknown names are stopped alike, and other users are not.
	for range 5 {
		e.must(http.StatusUnauthorized, "POST", "/api/login", "", `{"user":"ghost","password":"x"}`, nil)
	}
	e.must(http.StatusTooManyRequests, "POST", "/api/login", "", `{"user":"ghost","password":"x"}`, nil)
	e.login("hanmei")

	e.clock.Advance(59 * time.Second)
	if r := e.do("POST", "/api/login", "", goodLilei); r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Errorf("a second before the end: %d, Retry-After %q; want 429 and 1", r.status, r.header.Get("Retry-After"))
	}
	e.clock.Advance(time.Second)
	e.login("lilei")
	if !strings.Contains(e.logs.String(), "sign-in refused, too many failures") || !strings.Contains(e.logs.String(), "client=127.0.0.1") {
		t.Errorf("the refusal is not logged with the client's address:\n%s", e.logs)
	}
}

// heldChecks replaces the server's password check with bcrypt's held until
// release is closed, counting the checks that started and the most that
// ran at once.
type heldChecks struct {
	started chan struct{} // one send per check that starts
	release chan struct{}
	running atomic.Int32
	most    atomic.Int32
	total   atomic.Int32
}

func holdChecks(s *console.Server) *heldChecks {
	h := &heldChecks{started: make(chan struct{}, 1000), release: make(chan struct{})}
	console.SetPasswordCheck(s, func(hash, pw []byte) error {
		n := h.running.Add(1)
		defer h.running.Add(-1)
		for m := h.most.Load(); n > m && !h.most.CompareAndSwap(m, n); m = h.most.Load() {
		}
		h.total.Add(1)
		h.started <- struct{}{}
		<-h.release
		return bcrypt.CompareHashAndPassword(hash, pw)
	})
	return h
}

// TestLoginParallelGuesses: 49 wrong passwords and the right one, sent
// all at once from one address, are counted as if sent in a row: five
// are checked, the others refused before any check ends.
func TestLoginParallelGuesses(t *testing.T) {
	e := newEnv(t, func(c *console.Config) { c.PasswordChecks = 64 })
	held := holdChecks(e.srv)

	const n = 50
	answers := make(chan response, n)
	var wg sync.WaitGroup
	defer wg.Wait()
	for i := range n {
		body := badLilei
		if i == n-1 {
			body = goodLilei
		}
		wg.Go(func() { answers <- e.do("POST", "/api/login", "", body) })
	}
	// Every request is either in a check (held there) or answered: then
	// let the checks end.
	var got []response
	for started := 0; started+len(got) < n; {
		select {
		case <-held.started:
			started++
		case r := <-answers:
			got = append(got, r)
		}
	}
	close(held.release)
	for len(got) < n {
		got = append(got, <-answers)
	}
	count := map[int]int{}
	for _, r := range got {
		count[r.status]++
		if r.status == http.StatusTooManyRequests && r.header.Get("Retry-After") == "" {
			t.Errorf("a 429 without Retry-After")
		}
	}
	if held.total.Load() != 5 || count[http.StatusTooManyRequests] != n-5 {
		t.Errorf("%d passwords checked, answers %v; want 5 checked and %d refused with 429", held.total.Load(), count, n-5)
	}
}

// TestLoginNoLockoutFromElsewhere: a user attacked from one address still
// signs in from another, and an attacker gains nothing by rotating names
// or by writing its own X-Forwarded-For.
func TestLoginNoLockoutFromElsewhere(t *testing.T) {
	t.Run("behind a trusted proxy", func(t *testing.T) {
		e := newEnv(t, behindProxy)
		const attacker, user = "203.0.113.7", "198.51.100.20"
		for range 5 {
			if r := e.from(attacker, badLilei); r.status != http.StatusUnauthorized {
				t.Fatalf("a guess: %d %s, want 401", r.status, r.body)
			}
		}
		if r := e.from(attacker, goodLilei); r.status != http.StatusTooManyRequests {
			t.Errorf("the attacker's sixth try: %d, want 429", r.status)
		}
		if r := e.from(user, goodLilei); r.status != http.StatusOK {
			t.Errorf("lilei from her own address after the attack: %d %s, want 200", r.status, r.body)
		}
		// Rotating names: the address is stopped after 30 failures in all,
		// whatever the names.
		for i := range 25 {
			if r := e.from(attacker, `{"user":"name`+string(rune('a'+i))+`","password":"x"}`); r.status != http.StatusUnauthorized {
				t.Fatalf("guess %d: %d, want 401", i, r.status)
			}
		}
		if r := e.from(attacker, `{"user":"root","password":"x"}`); r.status != http.StatusTooManyRequests {
			t.Errorf("the 31st failure from one address: %d, want 429", r.status)
		}
		if r := e.from(user, `{"user":"root","password":"root-pw"}`); r.status != http.StatusOK {
			t.Errorf("root from another address: %d %s, want 200", r.status, r.body)
		}
		// An IPv6 attacker's whole /64 is one address.
		for i := range 5 {
			e.from("2001:db8:1:2::"+string(rune('1'+i)), badLilei)
		}
		if r := e.from("2001:db8:1:2::99", goodLilei); r.status != http.StatusTooManyRequests {
			t.Errorf("another address of the same /64: %d, want 429", r.status)
		}
		if r := e.from("2001:db8:1:3::1", goodLilei); r.status != http.StatusOK {
			t.Errorf("another /64: %d, want 200", r.status)
		}
	})
	t.Run("X-Forwarded-For from an untrusted peer", func(t *testing.T) {
		e := newEnv(t) // no trusted proxies: the header is the client's word
		for i := range 5 {
			e.from("192.0.2."+string(rune('1'+i)), badLilei)
		}
		if r := e.from("192.0.2.200", goodLilei); r.status != http.StatusTooManyRequests {
			t.Errorf("a made-up X-Forwarded-For escaped the limit: %d, want 429", r.status)
		}
	})
	t.Run("a client behind a chain of proxies", func(t *testing.T) {
		e := newEnv(t, func(c *console.Config) {
			behindProxy(c)
			c.TrustedProxies = append(c.TrustedProxies, netip.MustParsePrefix("10.0.0.0/8"))
		})
		// The client wrote its own first entry; the proxies appended the
		// rest. The first untrusted from the right is the client.
		for range 5 {
			e.from("1.2.3.4, 203.0.113.7, 10.0.0.5", badLilei)
		}
		if r := e.from("9.9.9.9, 203.0.113.7, 10.0.0.5", goodLilei); r.status != http.StatusTooManyRequests {
			t.Errorf("the same client with another made-up entry: %d, want 429", r.status)
		}
		if r := e.from("1.2.3.4, 198.51.100.20, 10.0.0.5", goodLilei); r.status != http.StatusOK {
			t.Errorf("another client through the same proxies: %d %s, want 200", r.status, r.body)
		}
	})
}

// TestLoginPasswordChecksBounded: no more than PasswordChecks passwords
// are checked at once; a sign-in that finds them all busy is answered 503
// at once with Retry-After, and does not count as a failure.
func TestLoginPasswordChecksBounded(t *testing.T) {
	e := newEnv(t, behindProxy, func(c *console.Config) { c.PasswordChecks = 2 })
	held := holdChecks(e.srv)

	answers := make(chan response, 2)
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, who := range []string{"wang", "root"} {
		wg.Go(func() { answers <- e.from("198.51.100.1", `{"user":"`+who+`","password":"`+who+`-pw"}`) })
	}
	<-held.started
	<-held.started
	// Both checks are running: every other sign-in, from anywhere, is
	// turned away without a check.
	for i := range 6 {
		r := e.from("203.0.113."+string(rune('1'+i)), goodLilei)
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "1" {
			t.Errorf("sign-in %d while the checks are busy: %d Retry-After %q, want 503 and 1", i, r.status, r.header.Get("Retry-After"))
		}
	}
	close(held.release)
	for range 2 {
		if r := <-answers; r.status != http.StatusOK {
			t.Errorf("a held sign-in: %d %s, want 200", r.status, r.body)
		}
	}
	if most := held.most.Load(); most != 2 {
		t.Errorf("at most %d checks ran at once, want 2", most)
	}
	// The busy answers were not failures: lilei signs in from the
	// address that got them six times.
	if r := e.from("203.0.113.1", goodLilei); r.status != http.StatusOK {
		t.Errorf("after the busy answers: %d %s, want 200", r.status, r.body)
	}

	// Many sign-ins at once never run more checks than the bound.
	var many sync.WaitGroup
	for i := range 30 {
		many.Go(func() { e.from("192.0.2."+string(rune('1'+i%9)), goodLilei) })
	}
	many.Wait()
	if most := held.most.Load(); most > 2 {
		t.Errorf("%d checks ran at once, want at most 2", most)
	}
	if !strings.Contains(e.logs.String(), "password checks busy") {
		t.Errorf("the busy refusals are not logged:\n%s", e.logs)
	}
}

// TestLoginCheckPanics: a password check that panics fails its own
// request only; its slot is freed, so the next sign-in is checked.
func TestLoginCheckPanics(t *testing.T) {
	e := newEnv(t, func(c *console.Config) { c.PasswordChecks = 1 })
	var calls atomic.Int32
	console.SetPasswordCheck(e.srv, func(hash, pw []byte) error {
		if calls.Add(1) == 1 {
			panic("a broken hash")
		}
		return bcrypt.CompareHashAndPassword(hash, pw)
	})
	e.ts.Config.ErrorLog = discardLog // net/http logs the recovered panic
	req, _ := http.NewRequest("POST", e.ts.URL+"/api/login", strings.NewReader(goodLilei))
	if resp, err := e.ts.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the panicking sign-in answered %d, want the connection dropped", resp.StatusCode)
	}
	e.login("lilei")
}

var discardLog = log.New(io.Discard, "", 0)
