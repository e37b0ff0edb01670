package notify_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/complaints/notify"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString("goroutines left running after the tests:\n" + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

const secret = "s3cret"

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// env is a database with the schema and a fake clock.
type env struct {
	db    *pgxpool.Pool
	clock *clockwork.FakeClock
	out   *store.Notices
	logs  *lockedBuffer
}

func newEnv(t *testing.T) *env {
	db, err := store.Open(t.Context(), pgtest.New(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	clock := clockwork.NewFakeClockAt(t0)
	return &env{db: db, clock: clock, out: store.NewNotices(db, clock), logs: &lockedBuffer{}}
}

// notifier makes a Notifier on e with cfg (its clock, logger and quick
// backoffs filled in).
func (e *env) notifier(t *testing.T, cfg notify.Config) *notify.Notifier {
	t.Helper()
	cfg.Clock = e.clock
	cfg.Logger = slog.New(slog.NewTextHandler(e.logs, nil))
	if cfg.Instance == "" {
		cfg.Instance = "a"
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff, cfg.MaxBackoff = 10*time.Second, time.Minute
	}
	n, err := notify.New(store.NewNotices(e.db, e.clock), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// run runs n's workers until t ends.
func run(t *testing.T, n *notify.Notifier) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
}

// idle waits until n workers wait on the clock: they have done all they
// could at this time.
func (e *env) idle(t *testing.T, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := e.clock.BlockUntilContext(ctx, n); err != nil {
		t.Fatalf("waiting for %d idle workers: %v", n, err)
	}
}

func (e *env) get(t *testing.T, id string, ch store.NoticeChannel) store.NoticeDelivery {
	t.Helper()
	d, err := e.out.Get(t.Context(), id, ch)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func notice(id, team string) complaints.Notice {
	return complaints.Notice{ID: id, Kind: complaints.NoticeRegistered, ComplaintID: "cmp-" + id, Team: team,
		Subject: "新投诉：热水器不出热水（" + id + "）", Body: "客户张先生来电，热水器不出热水，要求上门维修。",
		At: t0, Due: t0.Add(24 * time.Hour)}
}

// hookRequest is one request a webhook server got.
type hookRequest struct {
	Body                        []byte
	Signature, Key, Attempt, CT string
}

// hook is a webhook receiver answering with status(i) to its i-th
// request (from 0).
type hook struct {
	*httptest.Server
	got chan hookRequest
}

func newHook(t *testing.T, status func(i int, key string) int) *hook {
	h := &hook{got: make(chan hookRequest, 1000)}
	var mu sync.Mutex
	var i int
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || r.Method != http.MethodPost {
			t.Errorf("webhook: %s, %v", r.Method, err)
		}
		req := hookRequest{Body: body, Signature: r.Header.Get("X-Hotline-Signature"),
			Key: r.Header.Get("Idempotency-Key"), Attempt: r.Header.Get("X-Hotline-Attempt"),
			CT: r.Header.Get("Content-Type")}
		mu.Lock()
		code := status(i, req.Key)
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "25")
		}
		i++
		mu.Unlock()
		h.got <- req
		w.WriteHeader(code)
		fmt.Fprintln(w, http.StatusText(code))
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) next(t *testing.T) hookRequest {
	t.Helper()
	select {
	case r := <-h.got:
		return r
	case <-time.After(time.Minute): // a guard against a hang, not a wait
		t.Fatal("the webhook got no request")
		return hookRequest{}
	}
}

// checkSigned checks the request's signature (with secret) independently
// of the package.
func checkSigned(t *testing.T, r hookRequest) { checkSignedWith(t, r, secret) }

func checkSignedWith(t *testing.T, r hookRequest, secret string) {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(r.Body)
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); r.Signature != want {
		t.Errorf("signature %q, want %q", r.Signature, want)
	}
}

// TestWebhookRetriedThenDelivered: a receiver that fails twice (503, then
// 429 asking to wait 25 s, more than the 20 s of the backoff) and then
// accepts gets the same signed body with the same Idempotency-Key three
// times, 10 s and then 25 s apart; the outbox keeps
// the attempts, the next time and the last error; a notice notified twice
// is sent once.
func TestWebhookRetriedThenDelivered(t *testing.T) {
	e := newEnv(t)
	h := newHook(t, func(i int, _ string) int {
		return []int{http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusNoContent}[min(i, 2)]
	})
	n := e.notifier(t, notify.Config{Teams: map[string]notify.Route{"repairs": {Webhook: h.URL + "/hotline"}},
		WebhookSecret: secret})
	no := notice("n1", "repairs")
	for range 2 {
		if err := n.Notify(t.Context(), no); err != nil {
			t.Fatal(err)
		}
	}
	run(t, n)

	r1 := h.next(t)
	e.idle(t, 1)
	d := e.get(t, "n1", store.NoticeWebhook)
	if d.State != store.NoticePending || d.Attempts != 1 || !d.NextAt.Equal(t0.Add(10*time.Second)) ||
		!strings.Contains(d.LastError, "503") {
		t.Fatalf("after a 503: %+v", d)
	}
	e.clock.Advance(10 * time.Second)
	r2 := h.next(t)
	e.idle(t, 1)
	d = e.get(t, "n1", store.NoticeWebhook)
	if d.State != store.NoticePending || d.Attempts != 2 || !d.NextAt.Equal(t0.Add(35*time.Second)) ||
		!strings.Contains(d.LastError, "429") {
		t.Fatalf("after a 429: %+v", d)
	}
	e.clock.Advance(24 * time.Second)
	e.idle(t, 1)
	if len(h.got) != 0 {
		t.Fatal("retried before its Retry-After")
	}
	e.clock.Advance(time.Second)
	r3 := h.next(t)
	e.idle(t, 1)
	d = e.get(t, "n1", store.NoticeWebhook)
	if d.State != store.NoticeDelivered || d.Attempts != 3 || d.LastError != "" || !d.Done.Equal(t0.Add(35*time.Second)) {
		t.Fatalf("after a 204: %+v", d)
	}

	for i, r := range []hookRequest{r1, r2, r3} {
		checkSigned(t, r)
		if r.Key != "n1/webhook" || r.Attempt != fmt.Sprint(i+1) || !bytes.Equal(r.Body, r1.Body) ||
			!strings.HasPrefix(r.CT, "application/json") {
			t.Errorf("request %d: key %q attempt %q type %q", i+1, r.Key, r.Attempt, r.CT)
		}
	}
	var p map[string]any
	if err := json.Unmarshal(r1.Body, &p); err != nil {
		t.Fatal(err)
	}
	if p["id"] != "n1" || p["kind"] != "registered" || p["complaint_id"] != "cmp-n1" || p["team"] != "repairs" ||
		p["subject"] != no.Subject || p["body"] != no.Body || p["at"] != "2026-12-01T09:00:00Z" ||
		p["due"] != "2026-12-02T09:00:00Z" {
		t.Errorf("payload %s", r1.Body)
	}
	e.clock.Advance(time.Hour)
	e.idle(t, 1)
	if len(h.got) != 0 {
		t.Errorf("%d more requests after the delivery", len(h.got))
	}
}

// TestWebhookRefusedGivesUpAtOnce: a 400 is not retried; the failure is
// kept and logged. A notice of a team not configured goes to the default.
func TestWebhookRefusedGivesUpAtOnce(t *testing.T) {
	e := newEnv(t)
	h := newHook(t, func(int, string) int { return http.StatusBadRequest })
	n := e.notifier(t, notify.Config{Default: notify.Route{Webhook: h.URL}, WebhookSecret: secret})
	if err := n.Notify(t.Context(), notice("n1", "no-such-team")); err != nil {
		t.Fatal(err)
	}
	run(t, n)
	checkSigned(t, h.next(t))
	e.idle(t, 1)
	d := e.get(t, "n1", store.NoticeWebhook)
	if d.State != store.NoticeFailed || d.Attempts != 1 || !strings.Contains(d.LastError, "400") {
		t.Fatalf("after a 400: %+v", d)
	}
	e.clock.Advance(24 * time.Hour)
	e.idle(t, 1)
	if len(h.got) != 0 {
		t.Error("a refused notice was retried")
	}
	if logs := e.logs.String(); !strings.Contains(logs, "not retried") || !strings.Contains(logs, "notice=n1") {
		t.Errorf("the refusal is not logged:\n%s", logs)
	}
}

// TestGivesUp: a receiver that always fails is tried at 0, 10 and 30 s;
// the next try (50 s) would be past GiveUpAfter (45 s), so the delivery
// fails there, with the last error kept and logged.
func TestGivesUp(t *testing.T) {
	e := newEnv(t)
	h := newHook(t, func(int, string) int { return http.StatusBadGateway })
	n := e.notifier(t, notify.Config{Default: notify.Route{Webhook: h.URL}, WebhookSecret: secret,
		MinBackoff: 10 * time.Second, MaxBackoff: 20 * time.Second, GiveUpAfter: 45 * time.Second})
	if err := n.Notify(t.Context(), notice("n1", "")); err != nil {
		t.Fatal(err)
	}
	run(t, n)
	for _, step := range []time.Duration{10 * time.Second, 20 * time.Second} {
		h.next(t)
		e.idle(t, 1)
		e.clock.Advance(step)
	}
	h.next(t)
	e.idle(t, 1)
	d := e.get(t, "n1", store.NoticeWebhook)
	if d.State != store.NoticeFailed || d.Attempts != 3 || !strings.Contains(d.LastError, "gave up after 3 attempts over 30s") ||
		!strings.Contains(d.LastError, "502") {
		t.Fatalf("%+v", d)
	}
	if !strings.Contains(e.logs.String(), "given up") {
		t.Errorf("giving up is not logged:\n%s", e.logs.String())
	}
}

// TestEmail: a team's notice e-mailed through a local SMTP server that
// offers STARTTLS and AUTH PLAIN: sent over TLS, authenticated, to the
// team's addresses and the notice's own, with a UTF-8 subject (RFC 2047),
// a base64 plain-text body in Chinese and a Message-ID that is the same
// on every attempt. A recipient the server refuses (550) fails the
// delivery at once.
func TestEmail(t *testing.T) {
	e := newEnv(t)
	serverTLS, roots := testCert(t)
	srv := startSMTP(t, serverTLS, "hotline", "pw")
	srv.reject["gone@example.com"] = true
	cst := time.FixedZone("CST", 8*3600)
	n := e.notifier(t, notify.Config{
		Teams:    map[string]notify.Route{"repairs": {Email: []string{"维修组 <repairs@example.com>", "lead@example.com"}}},
		From:     "热线中心 <hotline@example.com>",
		SMTP:     notify.SMTP{Addr: srv.Addr(), Username: "hotline", Password: "pw", TLS: &tls.Config{RootCAs: roots}},
		Location: cst,
	})
	no := notice("n1", "repairs")
	no.Body = "客户张先生来电：\r\n热水器不出热水，要求上门维修。\n"
	no.To = []string{"owner@example.com", "1001", "lead@example.com"} // 1001: an agent ID, told by the console, not e-mailed
	if err := n.Notify(t.Context(), no); err != nil {
		t.Fatal(err)
	}
	run(t, n)

	var m received
	select {
	case m = <-srv.messages:
	case <-time.After(time.Minute): // a guard against a hang
		t.Fatal("no e-mail")
	}
	e.idle(t, 1)
	if d := e.get(t, "n1", store.NoticeEmail); d.State != store.NoticeDelivered || d.Attempts != 1 {
		t.Fatalf("%+v", d)
	}
	if !m.TLS || m.AuthUser != "hotline" || m.From != "hotline@example.com" ||
		!slices.Equal(m.To, []string{"repairs@example.com", "lead@example.com", "owner@example.com"}) {
		t.Errorf("envelope: TLS %v, user %q, from %q, to %v", m.TLS, m.AuthUser, m.From, m.To)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	raw := msg.Header.Get("Subject")
	subject, err := new(mime.WordDecoder).DecodeHeader(raw)
	if err != nil || subject != no.Subject || !strings.HasPrefix(raw, "=?UTF-8?b?") {
		t.Errorf("subject %q (%q), %v", subject, raw, err)
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "热线中心" || from[0].Address != "hotline@example.com" {
		t.Errorf("From %v, %v", from, err)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 3 || to[0].Name != "维修组" || to[2].Address != "owner@example.com" {
		t.Errorf("To %v, %v", to, err)
	}
	if msg.Header.Get("Content-Type") != "text/plain; charset=UTF-8" || msg.Header.Get("Content-Transfer-Encoding") != "base64" ||
		msg.Header.Get("Message-ID") != notify.MessageID("n1", "example.com") || msg.Header.Get("MIME-Version") != "1.0" {
		t.Errorf("headers %v", msg.Header)
	}
	if date, err := msg.Header.Date(); err != nil || !date.Equal(t0) {
		t.Errorf("Date %v, %v", date, err)
	}
	body, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(body), "\r\r") || strings.Count(string(body), "\n") != strings.Count(string(body), "\r\n") {
		t.Errorf("the body's lines do not all end in CRLF: %q", body)
	}
	for _, want := range []string{"客户张先生来电：\r\n热水器不出热水，要求上门维修。\r\n\r\n——", "通知类型：新投诉，请处理", "投诉编号：cmp-n1", "责任班组：repairs",
		"处理时限：2026-12-02 17:00 CST", "通知时间：2026-12-01 17:00 CST", "通知编号：n1"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the body has no %q:\n%s", want, body)
		}
	}

	// A recipient refused for good.
	bad := notice("n2", "")
	bad.To = []string{"gone@example.com"}
	if err := n.Notify(t.Context(), bad); err != nil {
		t.Fatal(err)
	}
	e.idle(t, 1)
	// The wake-up may have come after the worker looked: make sure it ran.
	for d := e.get(t, "n2", store.NoticeEmail); d.State == store.NoticePending; d = e.get(t, "n2", store.NoticeEmail) {
		e.clock.Advance(15 * time.Second)
		e.idle(t, 1)
	}
	if d := e.get(t, "n2", store.NoticeEmail); d.State != store.NoticeFailed || d.Attempts != 1 ||
		!strings.Contains(d.LastError, "550") {
		t.Errorf("refused recipient: %+v", d)
	}
}

// TestTwoNotifiersDeliverEachOnce: two instances on one database, each
// queueing half of 60 notices, deliver every one exactly once between
// them, signed with the team's own secret where it has one (a team not
// configured goes to the default).
func TestTwoNotifiersDeliverEachOnce(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	count := map[string]int{}
	h := newHook(t, func(_ int, key string) int {
		mu.Lock()
		count[key]++
		mu.Unlock()
		return http.StatusOK
	})
	// The team's receiver has a secret of its own.
	cfg := notify.Config{Default: notify.Route{Webhook: h.URL}, WebhookSecret: secret, Batch: 3,
		Teams: map[string]notify.Route{"repairs": {Webhook: h.URL, Secret: "repairs-secret"}}}
	cfg.Instance = "a"
	a := e.notifier(t, cfg)
	cfg.Instance = "b"
	b := e.notifier(t, cfg)
	run(t, a)
	run(t, b)
	const total = 60
	for i := range total {
		team := []string{"", "repairs", "billing"}[i%3]
		if err := []*notify.Notifier{a, b}[i%2].Notify(t.Context(), notice(fmt.Sprintf("n%02d", i), team)); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for len(seen) < total {
		r := h.next(t)
		seen[r.Key] = true
		if strings.Contains(string(r.Body), `"team":"repairs"`) {
			checkSignedWith(t, r, "repairs-secret")
		} else {
			checkSigned(t, r)
		}
	}
	e.idle(t, 2)
	mu.Lock()
	defer mu.Unlock()
	for key, c := range count {
		if c != 1 {
			t.Errorf("%s delivered %d times", key, c)
		}
	}
	for i := range total {
		if d := e.get(t, fmt.Sprintf("n%02d", i), store.NoticeWebhook); d.State != store.NoticeDelivered || d.Attempts != 1 {
			t.Errorf("%+v", d)
		}
	}
	if len(count) != total {
		t.Errorf("%d notices delivered, want %d", len(count), total)
	}
}

// TestRestartDeliversQueued: notices queued by an instance that stopped
// before delivering them are delivered by a new one, and so is at once
// one that the restarted instance had claimed before it stopped; one that
// another instance (crashed) had claimed is delivered once its lease runs
// out.
func TestRestartDeliversQueued(t *testing.T) {
	e := newEnv(t)
	h := newHook(t, func(int, string) int { return http.StatusOK })
	cfg := notify.Config{Default: notify.Route{Webhook: h.URL}, WebhookSecret: secret, Lease: time.Minute}
	before := e.notifier(t, cfg) // never runs
	for _, id := range []string{"n1", "n2", "n3"} {
		if err := before.Notify(t.Context(), notice(id, "")); err != nil {
			t.Fatal(err)
		}
	}
	// A worker of a crashed instance had claimed the oldest; the instance
	// b, about to start again, had claimed the next.
	for _, instance := range []string{"crashed", "b"} {
		if got, err := e.out.Claim(t.Context(), instance, 1, time.Minute); err != nil || len(got) != 1 {
			t.Fatalf("%v, %v", got, err)
		}
	}

	cfg.Instance = "b"
	run(t, e.notifier(t, cfg))
	first, second := h.next(t), h.next(t)
	got := []string{first.Key, second.Key}
	slices.Sort(got)
	if !slices.Equal(got, []string{"n2/webhook", "n3/webhook"}) {
		t.Errorf("delivered first %v", got)
	}
	e.idle(t, 1)
	if len(h.got) != 0 {
		t.Fatal("a claimed notice was delivered before its lease ran out")
	}
	e.clock.Advance(time.Minute)
	last := h.next(t)
	e.idle(t, 1)
	got = append(got, last.Key)
	slices.Sort(got)
	if !slices.Equal(got, []string{"n1/webhook", "n2/webhook", "n3/webhook"}) || last.Attempt != "2" {
		t.Errorf("delivered %v, the last on attempt %s", got, last.Attempt)
	}
	for _, id := range []string{"n1", "n2", "n3"} {
		if d := e.get(t, id, store.NoticeWebhook); d.State != store.NoticeDelivered {
			t.Errorf("%+v", d)
		}
	}
}

// TestConfigAndRoutes: what New refuses, and a notice with nowhere to go.
func TestConfigAndRoutes(t *testing.T) {
	e := newEnv(t)
	out := store.NewNotices(e.db, e.clock)
	for _, tc := range []struct {
		name string
		cfg  notify.Config
		want []string // in the error, one per problem
	}{
		{"a short lease", notify.Config{Instance: "a", Default: notify.Route{Webhook: "http://x/"}, WebhookSecret: secret,
			Lease: time.Minute, Timeout: time.Minute}, []string{"twice the Timeout"}},
		{"no instance", notify.Config{Default: notify.Route{Webhook: "http://x/"}, WebhookSecret: secret},
			[]string{"no Instance"}},
		{"no secret", notify.Config{Instance: "a", Default: notify.Route{Webhook: "http://x/"}},
			[]string{"the default has a webhook but there is no WebhookSecret"}},
		{"not a URL", notify.Config{Instance: "a", Default: notify.Route{Webhook: "ftp://x/"}, WebhookSecret: secret},
			[]string{"not an http(s) URL"}},
		{"no From", notify.Config{Instance: "a", Teams: map[string]notify.Route{"t": {Email: []string{"a@b"}}},
			SMTP: notify.SMTP{Addr: "x:25"}}, []string{"e-mail needs a sender"}},
		{"no SMTP server", notify.Config{Instance: "a", Default: notify.Route{Email: []string{"a@b"}}, From: "h@b"},
			[]string{"SMTP.Addr"}},
		{"not an address", notify.Config{Instance: "a", Default: notify.Route{Email: []string{"nobody"}}, From: "h@b",
			SMTP: notify.SMTP{Addr: "x:25"}}, []string{`e-mail address "nobody"`}},
		{"every problem", notify.Config{Teams: map[string]notify.Route{"t": {Webhook: "x", Email: []string{"nobody"}}}},
			[]string{"no Instance", "team t: webhook URL", "team t has a webhook", `team t: e-mail address "nobody"`,
				"e-mail needs a sender", "SMTP.Addr"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := notify.New(out, tc.cfg)
			if !errors.Is(err, notify.ErrBadConfig) {
				t.Fatalf("got %v, want ErrBadConfig", err)
			}
			if lines := strings.Split(err.Error(), "\n"); len(lines) != len(tc.want) {
				t.Errorf("got %d problems, want %d:\n%v", len(lines), len(tc.want), err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %v, want it to say %q", err, w)
				}
			}
		})
	}
	n, err := notify.New(out, notify.Config{Instance: "a", Teams: map[string]notify.Route{"repairs": {Webhook: "http://x/"}},
		WebhookSecret: secret, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(t.Context(), notice("n1", "")); !errors.Is(err, notify.ErrNoRoute) {
		t.Errorf("a notice with no team and no default: %v", err)
	}
	person := notice("n2", "")
	person.To = []string{"owner@example.com"}
	if err := n.Notify(t.Context(), person); !errors.Is(err, notify.ErrNoRoute) {
		t.Errorf("an e-mail with e-mail not configured: %v", err)
	}
	// People without an address (an owner's agent ID): nothing to queue,
	// no error (the console tells them).
	owner := notice("n4", "")
	owner.To = []string{"1001"}
	if err := n.Notify(t.Context(), owner); err != nil {
		t.Errorf("a notice for an agent alone: %v", err)
	}
	if _, err := out.Get(t.Context(), "n4", store.NoticeWebhook); !errors.Is(err, store.ErrUnknownNotice) {
		t.Errorf("a notice for an agent alone was queued: %v", err)
	}
	// E-mail not configured: the team's webhook carries the addresses.
	person.ID, person.Team = "n3", "repairs"
	if err := n.Notify(t.Context(), person); err != nil {
		t.Errorf("a team's notice with addresses, e-mail not configured: %v", err)
	}
	if _, err := out.Get(t.Context(), "n3", store.NoticeEmail); !errors.Is(err, store.ErrUnknownNotice) {
		t.Errorf("an e-mail queued with e-mail not configured: %v", err)
	}
	if d, err := out.Get(t.Context(), "n3", store.NoticeWebhook); err != nil || !slices.Equal(d.Notice.To, person.To) {
		t.Errorf("the webhook's delivery: %+v, %v", d, err)
	}
	if err := n.Notify(t.Context(), complaints.Notice{Team: "repairs"}); !errors.Is(err, store.ErrBadNotice) {
		t.Errorf("a notice without an ID: %v", err)
	}
	if err := n.Notify(t.Context(), notice("n4\r\nBcc: x@y", "repairs")); !errors.Is(err, store.ErrBadNotice) {
		t.Errorf("a notice whose ID has a line break: %v", err)
	}
}

// TestRedirectIsRetried: a webhook answering with a redirect is not
// followed (the POST would become a GET) but retried like any answer that
// is neither 2xx nor a refusal.
func TestRedirectIsRetried(t *testing.T) {
	e := newEnv(t)
	h := newHook(t, func(int, string) int { return http.StatusFound })
	n := e.notifier(t, notify.Config{Default: notify.Route{Webhook: h.URL}, WebhookSecret: secret})
	if err := n.Notify(t.Context(), notice("n1", "")); err != nil {
		t.Fatal(err)
	}
	run(t, n)
	h.next(t)
	e.idle(t, 1)
	if d := e.get(t, "n1", store.NoticeWebhook); d.State != store.NoticePending || d.Attempts != 1 ||
		!strings.Contains(d.LastError, "302") || !d.NextAt.Equal(t0.Add(10*time.Second)) {
		t.Errorf("%+v", d)
	}
	if len(h.got) != 0 {
		t.Error("the redirect was followed")
	}
}

// TestEmailPlainAndUnreachable: to a server that offers neither STARTTLS
// nor AUTH, with no username set, the e-mail goes in the clear; while the
// server cannot be reached the delivery is retried, with the error kept.
func TestEmailPlainAndUnreachable(t *testing.T) {
	e := newEnv(t)
	srv := startSMTP(t, nil, "", "")
	n := e.notifier(t, notify.Config{Default: notify.Route{Email: []string{"desk@example.com"}},
		From: "hotline@example.com", SMTP: notify.SMTP{Addr: srv.Addr()}})
	if err := n.Notify(t.Context(), notice("n1", "")); err != nil {
		t.Fatal(err)
	}
	run(t, n)
	select {
	case m := <-srv.messages:
		if m.TLS || m.AuthUser != "" || !slices.Equal(m.To, []string{"desk@example.com"}) {
			t.Errorf("%+v", m)
		}
	case <-time.After(time.Minute): // a guard against a hang
		t.Fatal("no e-mail")
	}
	e.idle(t, 1)
	if d := e.get(t, "n1", store.NoticeEmail); d.State != store.NoticeDelivered {
		t.Errorf("%+v", d)
	}

	// A server that is gone: a port nothing listens on any more (on a
	// database of its own, so that the first Notifier does not take it).
	e = newEnv(t)
	gone := startSMTP(t, nil, "", "")
	gone.ln.Close()
	n2 := e.notifier(t, notify.Config{Instance: "b", Default: notify.Route{Email: []string{"desk@example.com"}},
		From: "hotline@example.com", SMTP: notify.SMTP{Addr: gone.Addr()}})
	if err := n2.Notify(t.Context(), notice("n2", "")); err != nil {
		t.Fatal(err)
	}
	run(t, n2)
	e.idle(t, 1)
	for d := e.get(t, "n2", store.NoticeEmail); d.Attempts == 0; d = e.get(t, "n2", store.NoticeEmail) {
		e.clock.Advance(time.Second)
		e.idle(t, 1)
	}
	if d := e.get(t, "n2", store.NoticeEmail); d.State != store.NoticePending || d.Attempts != 1 ||
		!strings.Contains(d.LastError, "SMTP "+gone.Addr()) {
		t.Errorf("%+v", d)
	}
}
