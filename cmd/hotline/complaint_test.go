package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/complaints/notify"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// webhookHit is one request the test's webhook received.
type webhookHit struct {
	payload   notify.Payload
	signature string
	body      []byte
}

// TestServeComplaintRegistered runs serve with a database and the
// complaints configured (a team's webhook): an agent on a call registers
// the caller's complaint through the console's API; the team's webhook
// receives the registration notice, signed with HOTLINE_WEBHOOK_SECRET's
// key; GET /api/complaints lists it, for the call's caller and hotline,
// with its 24 h resolution deadline.
func TestServeComplaintRegistered(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	hits := make(chan webhookHit, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var p notify.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		hits <- webhookHit{payload: p, signature: r.Header.Get(notify.SignatureHeader), body: body}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()

	cfg := supportCentre(config.User{Name: "li.na", Role: "agent", Agent: "1001", PasswordHash: quickHash(t, "pw")},
		config.User{Name: "wang", Role: "supervisor", PasswordHash: quickHash(t, "pw")})
	cfg.Database.URL = pgtest.New(t)
	cfg.Complaints.Categories = map[string]config.ComplaintClocks{config.DefaultCategory: {Team: "after-sales"}}
	cfg.Complaints.Notify.Teams = map[string]config.NotifyRoute{"after-sales": {Webhook: hook.URL + "/complaints"}}
	const secret = "hook-key"
	cfg.Complaints.Notify.WebhookSecret = secret // as HOTLINE_WEBHOOK_SECRET gives it
	s := serveOnEmulator(t, ctx, cfg, func(emu *aritest.Server) {
		emu.AddEndpoint("PJSIP", "1001", aritest.AnswerAfter(100*time.Millisecond))
	})

	agent := s.login("li.na", "pw")
	stream := s.api.stream(agent)
	defer stream.close()
	s.api.do(http.StatusOK, "POST", "/api/agents/1001/login", agent, nil, nil)
	s.api.do(http.StatusOK, "POST", "/api/agents/1001/ready", agent, nil, nil)
	caller, err := s.emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008009999", Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Hangup()
	stream.until(func(v console.SnapshotView) bool { return agentState(v, "1001") == queue.OnCall })

	// During the call, the agent registers the caller's complaint: the
	// call's caller (masked to the agent) and hotline are filled in.
	var c console.ComplaintView
	s.api.do(http.StatusCreated, "POST", "/api/complaints", agent, console.ComplaintRequest{
		Complainant: "张先生", Content: "洗衣机到货时外箱破损，机身有划痕", Category: "damaged", Wants: "换新",
	}, &c)
	if c.ID == "" || c.CallID != caller.ID() || c.Contact != "*******8000" || !c.ContactMasked || c.Hotline != "4008009999" ||
		c.Owner == "" || c.Category != "damaged" {
		t.Fatalf("registered %+v, want the call's complaint", c)
	}

	// The team's webhook receives the registration, signed.
	var hit webhookHit
	select {
	case hit = <-hits:
	case <-ctx.Done():
		t.Fatal("the webhook received no notice")
	}
	if hit.payload.ComplaintID != c.ID || hit.payload.Kind != "registered" || hit.payload.Team != "after-sales" {
		t.Errorf("the webhook received %+v, want complaint %s registered for after-sales", hit.payload, c.ID)
	}
	if want := notify.Sign(secret, hit.body); hit.signature != want {
		t.Errorf("signature %q, want %q", hit.signature, want)
	}

	// GET /api/complaints shows it, with its 24 h deadline.
	wang := s.login("wang", "pw")
	var list console.ComplaintListView
	s.api.do(http.StatusOK, "GET", "/api/complaints", wang, nil, &list)
	if len(list.Complaints) != 1 {
		t.Fatalf("GET /api/complaints: %+v, want the one complaint", list.Complaints)
	}
	got := list.Complaints[0]
	if got.ID != c.ID || got.Contact != "13800138000" || got.Teams == nil || got.Teams[0] != "after-sales" || got.ResolveDue.Sub(got.Registered) != 24*time.Hour {
		t.Errorf("GET /api/complaints: %+v, want %s of after-sales due 24 h after registration", got, c.ID)
	}
	t.Logf("complaint %s registered at %v, due %v; webhook %s signed %s", got.ID, got.Registered, got.ResolveDue,
		hit.payload.ID, hit.signature)
}

// TestServeComplaintsNeedADatabase: without DATABASE_URL there are no
// complaints: the routes answer 503, and the log says why once.
func TestServeComplaintsNeedADatabase(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cfg := supportCentre(config.User{Name: "wang", Role: "supervisor", PasswordHash: quickHash(t, "pw")})
	s := serveOnEmulator(t, ctx, cfg, nil)
	wang := s.login("wang", "pw")
	s.api.do(http.StatusServiceUnavailable, "GET", "/api/complaints", wang, nil, nil)
	if n := strings.Count(s.logs.String(), "no complaints"); n != 1 {
		t.Errorf("%d log lines about no complaints, want 1:\n%s", n, s.logs.String())
	}
}

// TestServeComplaintWarningLive: the scan that serve runs finds a
// complaint close to its breach (a category with a 3 s clock, warned 2 s
// before): the warning goes to the default route's webhook, and the
// console's complaint stream tells a supervisor's page at once.
func TestServeComplaintWarningLive(t *testing.T) {
	t.Run("webhook", func(t *testing.T) { testComplaintWarningLive(t, false) })
	// With e-mail too, the supervisors' addresses are e-mailed; the owner,
	// an agent (not an address), is told in the console.
	t.Run("e-mail", func(t *testing.T) { testComplaintWarningLive(t, true) })
}

func testComplaintWarningLive(t *testing.T, email bool) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	hits := make(chan notify.Payload, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p notify.Payload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		hits <- p
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()

	cfg := supportCentre(config.User{Name: "wang", Role: "supervisor", PasswordHash: quickHash(t, "pw")})
	cfg.Database.URL = pgtest.New(t)
	cfg.Complaints.Categories = map[string]config.ComplaintClocks{"damaged": {Resolve: 3 * time.Second, WarnBefore: 2 * time.Second}}
	cfg.Complaints.ScanEvery = 50 * time.Millisecond
	cfg.Complaints.Notify.Default = config.NotifyRoute{Webhook: hook.URL}
	cfg.Complaints.Notify.WebhookSecret = "hook-key"
	if email {
		cfg.Complaints.Supervisors = []string{"张主管 <zhang@example.com>"}
		cfg.Complaints.Notify.From = "Hotline <hotline@example.com>"
		// Nothing listens there: the e-mails wait in the outbox.
		closed, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Complaints.Notify.SMTP = config.NotifySMTP{Host: "127.0.0.1", Port: closed.Addr().(*net.TCPAddr).Port}
		closed.Close()
	}
	s := serveOnEmulator(t, ctx, cfg, nil)

	wang := s.login("wang", "pw")
	req, err := http.NewRequestWithContext(ctx, "GET", s.base+"/api/complaints/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+wang)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/complaints/stream: %d", resp.StatusCode)
	}
	events := bufio.NewScanner(resp.Body)

	var c console.ComplaintView
	s.api.do(http.StatusCreated, "POST", "/api/complaints", wang, console.ComplaintRequest{
		Hotline: "4008009999", Complainant: "李女士", Contact: "13900139000", Content: "快递外包装破损", Category: "damaged", Wants: "补发", Team: "after-sales",
	}, &c)
	if want := c.Registered.Add(3 * time.Second); !c.ResolveDue.Equal(want) {
		t.Errorf("due %v, want %v (the category's 3 s)", c.ResolveDue, want)
	}
	kinds := map[string]bool{}
	for !kinds["warning"] && events.Scan() {
		data, ok := strings.CutPrefix(events.Text(), "data: ")
		if !ok {
			continue
		}
		var ev struct{ ID, Kind string }
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %s: %v", data, err)
		}
		if ev.ID == c.ID {
			kinds[ev.Kind] = true
		}
	}
	if !kinds["warning"] {
		t.Fatalf("the complaint stream ended (%v) without the warning; events %v", events.Err(), kinds)
	}
	for {
		select {
		case p := <-hits:
			if p.Kind == "warning" {
				// The payload names everyone the warning is for: the owner
				// (an agent ID: the console tells it, nobody e-mails it) and
				// the supervisors.
				want := append([]string{c.Owner}, cfg.Complaints.Supervisors...)
				if p.ComplaintID != c.ID || !slices.Equal(p.To, want) {
					t.Errorf("warning of %s to %q, want %s's to %q", p.ComplaintID, p.To, c.ID, want)
				}
				return
			}
		case <-ctx.Done():
			t.Fatal("the webhook received no warning")
		}
	}
}

// TestServeComplaintsWebhookNeedsSecret: a webhook configured without
// HOTLINE_WEBHOOK_SECRET stops the start, saying where the secret comes
// from.
func TestServeComplaintsWebhookNeedsSecret(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	emu := startEmulator(t)
	cfg := supportCentre()
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = emu.URL(), "hotline", "secret"
	cfg.Database.URL, cfg.Database.SpoolDir = pgtest.New(t), t.TempDir()
	cfg.Instance.Name = "test"
	cfg.Complaints.Notify.Default = config.NotifyRoute{Webhook: "https://crm.example.com/hooks/complaints"}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = runServer(ctx, &env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }},
		cfg, ln, dirFlows(t.TempDir()), "mode", "test", nil)
	if err == nil || err.Error() != "complaints.notify has a webhook but HOTLINE_WEBHOOK_SECRET is not set: export the key its requests are signed with" {
		t.Errorf("serve: %v, want it to refuse the webhook without its secret", err)
	}
}
