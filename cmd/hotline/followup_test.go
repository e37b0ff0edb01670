package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/complaints/followup"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// shanghai is the centre's zone of the tests' clocks.
var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// noticeHook is a local webhook receiver counting the complaints'
// notices by kind and complaint.
type noticeHook struct {
	*httptest.Server
	mu    sync.Mutex
	count map[string]int // "kind complaint" -> notices
	got   chan string
}

func newNoticeHook(t *testing.T) *noticeHook {
	h := &noticeHook{count: map[string]int{}, got: make(chan string, 100)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Kind        string `json:"kind"`
			ComplaintID string `json:"complaint_id"`
		}
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		key := p.Kind + " " + p.ComplaintID
		h.mu.Lock()
		h.count[key]++
		h.mu.Unlock()
		h.got <- key
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *noticeHook) n(key string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count[key]
}

// complaintWatch reads the console's complaint event stream.
type complaintWatch struct {
	t      *testing.T
	events chan [2]string // id, kind
}

func watchComplaints(t *testing.T, ctx context.Context, s *served, token string) *complaintWatch {
	req, err := http.NewRequestWithContext(ctx, "GET", s.base+"/api/complaints/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/complaints/stream: %d", resp.StatusCode)
	}
	w := &complaintWatch{t: t, events: make(chan [2]string, 100)}
	go func() {
		defer resp.Body.Close()
		defer close(w.events)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev struct{ ID, Kind string }
			if json.Unmarshal([]byte(data), &ev) == nil {
				w.events <- [2]string{ev.ID, ev.Kind}
			}
		}
	}()
	return w
}

// until waits for an event of the complaint for which cond holds.
func (w *complaintWatch) until(ctx context.Context, id string, cond func() bool) {
	w.t.Helper()
	for !cond() {
		select {
		case ev, ok := <-w.events:
			if !ok {
				w.t.Fatalf("the complaint stream ended")
			}
			_ = ev
		case <-ctx.Done():
			w.t.Fatalf("waiting for complaint %s: %v", id, ctx.Err())
		}
	}
}

// followupCentre is the support centre with complaints and follow-up
// visits on a database: the complaints' team has a webhook.
func followupCentre(t *testing.T, hook string) config.Config {
	cfg := supportCentre(config.User{Name: "li.na", Role: "agent", Agent: "1001", PasswordHash: quickHash(t, "pw")},
		config.User{Name: "wang", Role: "supervisor", PasswordHash: quickHash(t, "pw")})
	cfg.Timezone = "Asia/Shanghai"
	cfg.Complaints.Categories = map[string]config.ComplaintClocks{config.DefaultCategory: {Team: "after-sales"}}
	cfg.Complaints.Notify.Default = config.NotifyRoute{Webhook: hook}
	cfg.Complaints.Notify.WebhookSecret = "hook-key"
	cfg.Followup.Delay = 0
	cfg.Followup.Fallback = "none"
	return cfg
}

// followupFlow is the demo's follow-up flow, as flows.dir holds it.
func followupFlow(t *testing.T) map[string]string {
	text, err := os.ReadFile("flows/followup.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"followup.yaml": string(text)}
}

// TestServeFollowUpVisit is a complaint's whole life through serve on the
// emulator and PostgreSQL: a caller reaches agent 1001, who registers the
// caller's complaint during the call and, as its owner, resolves it late
// in the evening. The follow-up visit's task is made at once, but 22:50
// is outside the allowed hours (09:00-20:00): nobody is dialled at night.
// At 09:00 the next morning Hotline dials the customer through the trunk,
// who answers, hears the follow-up flow's questions and keys 5 and 4: the
// task is done and satisfied, and the complaint is followed up and
// closed, its history saying so with the answers.
func TestServeFollowUpVisit(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	hook := newNoticeHook(t)
	cfg := followupCentre(t, hook.URL)
	cfg.Database.URL = pgtest.New(t)
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 7, 22, 50, 0, 0, shanghai))
	var trunk *aritest.Endpoint
	s := serveWith(t, ctx, cfg, serveOptions{clock: clock, flows: followupFlow(t), edit: func(emu *aritest.Server) {
		emu.AddEndpoint("PJSIP", "1001", aritest.AnswerAfter(100*time.Millisecond))
		trunk = emu.AddEndpoint("PJSIP", "trunk", aritest.ManualAnswer())
	}})
	// The clocks' scan and the follow-ups' loop wait on their tickers.
	if err := clock.BlockUntilContext(ctx, 2); err != nil {
		t.Fatal(err)
	}

	agent := s.login("li.na", "pw")
	wang := s.login("wang", "pw")
	watch := watchComplaints(t, ctx, s, wang)
	stream := s.api.stream(agent)
	defer stream.close()
	s.api.do(http.StatusOK, "POST", "/api/agents/1001/login", agent, nil, nil)
	s.api.do(http.StatusOK, "POST", "/api/agents/1001/ready", agent, nil, nil)
	caller, err := s.emu.Dial(ctx, aritest.Call{From: "13800138000", To: "4008009999", Language: "zh"})
	if err != nil {
		t.Fatal(err)
	}
	stream.until(func(v console.SnapshotView) bool { return agentState(v, "1001") == queue.OnCall })
	var c console.ComplaintView
	s.api.do(http.StatusCreated, "POST", "/api/complaints", agent, console.ComplaintRequest{
		Complainant: "张先生", Content: "扫地机器人充电座不工作", Category: "quality", Wants: "更换充电座",
	}, &c)
	caller.Hangup()
	stream.until(func(v console.SnapshotView) bool { return agentState(v, "1001") != queue.OnCall })
	s.api.do(http.StatusOK, "POST", "/api/complaints/"+c.ID+"/resolve", agent, console.ComplaintActionRequest{Note: "已寄出新充电座，顺丰 SF123"}, nil)

	// 22:51: the next pass makes the task; it waits for 09:00.
	clock.Advance(time.Minute)
	var view console.ComplaintView
	get := func() console.ComplaintView {
		var v struct {
			console.ComplaintView
			FollowUps []console.FollowUpView `json:"followups"`
		}
		s.api.do(http.StatusOK, "GET", "/api/complaints/"+c.ID, wang, nil, &v)
		view = v.ComplaintView
		view.FollowUps = v.FollowUps
		return view
	}
	morning := time.Date(2026, 12, 8, 9, 0, 0, 0, shanghai)
	watch.until(ctx, c.ID, func() bool { v := get(); return len(v.FollowUps) == 1 && !v.FollowUps[0].NotBefore.Before(morning) })
	task := view.FollowUps[0]
	if task.State != followup.Pending || task.Mode != followup.Auto || !task.NotBefore.Equal(morning) || task.Attempts != 0 {
		t.Fatalf("the task at 22:51: %+v, want pending (auto) until %v with no attempt", task.Task, morning)
	}

	// Through the night the loop passes and dials nobody; at 09:00 it dials.
	if err := clock.BlockUntilContext(ctx, 2); err != nil {
		t.Fatal(err)
	}
	clock.Advance(morning.Sub(clock.Now()))
	p, err := trunk.NextCall(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.Dialed() != "13800138000" {
		t.Errorf("dialled %q, want the complainant's 13800138000", p.Dialed())
	}
	if err := p.Answer(); err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct{ prompt, key string }{{"sound:hotline/zh/followup/product", "5"}, {"sound:hotline/zh/followup/service", "4"}} {
		if _, err := p.WaitHeard(ctx, q.prompt); err != nil {
			t.Fatalf("the customer did not hear %s: %v", q.prompt, err)
		}
		if err := p.Press(q.key); err != nil {
			t.Fatal(err)
		}
	}
	watch.until(ctx, c.ID, func() bool { return get().State == complaints.Closed })
	task = view.FollowUps[0]
	r := task.Result
	if task.State != followup.Done || r == nil || !r.Reached || r.Satisfied == nil || !*r.Satisfied ||
		r.Answers["followup_product"] != "5" || r.Answers["followup_service"] != "4" || len(task.Tries) != 1 || task.Tries[0].Outcome != followup.OutcomeAnswered {
		t.Fatalf("the task after the call: %+v (result %+v), want done, satisfied, product 5 and service 4", task.Task, r)
	}
	var steps []string
	for _, ch := range view.Changes {
		steps = append(steps, string(ch.Action)+" by "+ch.Actor)
	}
	want := []string{"register by 1001", "notify by system", "resolve by 1001", "follow_up by followup", "close by followup"}
	if strings.Join(steps, ", ") != strings.Join(want, ", ") {
		t.Errorf("history %v, want %v", steps, want)
	}
	fu := view.Changes[len(view.Changes)-2]
	if !strings.Contains(fu.Note, "followup_product=5") || !strings.Contains(fu.Note, "followup_service=4") || !strings.Contains(fu.Note, task.ID) {
		t.Errorf("the follow-up's note %q, want the task and the answers", fu.Note)
	}
	// The follow-up call is the centre's, not a call to the hotline: the
	// report counts the customer's one call.
	var report struct {
		Total struct{ Offered, Answered int64 }
	}
	day := time.Now().UTC()
	s.api.do(http.StatusOK, "GET", "/api/reports?from="+day.AddDate(0, 0, -1).Format(time.DateOnly)+"&to="+day.AddDate(0, 0, 2).Format(time.DateOnly)+"&tz=UTC", wang, nil, &report)
	if report.Total.Offered != 1 || report.Total.Answered != 1 {
		t.Errorf("the report's totals %+v, want the customer's one call (the follow-up visit is not a call to the hotline)", report.Total)
	}
	t.Logf("complaint %s: %v; follow-up %s dialled at %v, %+v", c.ID, steps, task.ID, task.Tries[0].Started.In(shanghai), *r)
}

// scanned is the log line of each scan of the complaints' clocks (the
// debug one when nothing was due, the info one when notices went out).
var scanLines = []string{`"msg":"complaints: the clocks were scanned; nothing was due"`, `"msg":"complaints: warnings and breaches sent"`}

func (s *served) scans() int {
	n := 0
	for _, l := range scanLines {
		n += strings.Count(s.logs.String(), l)
	}
	return n
}

// waitScans waits until s has scanned the clocks n times.
func (s *served) waitScans(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	for s.scans() < n {
		s.logs.mu.Lock()
		changed := s.logs.changed
		s.logs.mu.Unlock()
		if s.scans() >= n {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("waiting for scan %d of the complaints' clocks: %v (%d so far)", n, ctx.Err(), s.scans())
		}
	}
}

// TestServeBreachEscalatedOnceByTwoInstances: two instances of serve, each
// on its own Asterisk, share one database and one (injected) clock. A
// complaint registered on the first is not resolved: when the clock
// passes 20 h, then 24 h, its warning and its breach's escalation each
// reach the team's webhook exactly once, and its history keeps one
// warning and one breach, although both instances scanned the clocks
// after each deadline (and once more after that).
func TestServeBreachEscalatedOnceByTwoInstances(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	hook := newNoticeHook(t)
	cfg := followupCentre(t, hook.URL)
	cfg.Database.URL = pgtest.New(t)
	cfg.Log.Level = "debug"
	cfg.Followup.After.Complaints = "off"
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 7, 10, 0, 0, 0, shanghai))
	a := serveWith(t, ctx, cfg, serveOptions{clock: clock, instance: "a"})
	b := serveWith(t, ctx, cfg, serveOptions{clock: clock, instance: "b"})
	both := []*served{a, b}
	for _, s := range both {
		s.waitScans(t, ctx, 1)
	}

	wang := a.login("wang", "pw")
	var c console.ComplaintView
	a.api.do(http.StatusCreated, "POST", "/api/complaints", wang, console.ComplaintRequest{
		Hotline: "4008009999", Complainant: "李女士", Contact: "13900139000", Content: "安装师傅态度恶劣", Category: "technician-attitude", Wants: "道歉并重新安装",
	}, &c)
	if want := time.Date(2026, 12, 8, 10, 0, 0, 0, shanghai); !c.ResolveDue.Equal(want) {
		t.Fatalf("due %v, want %v (24 h)", c.ResolveDue, want)
	}
	// Each deadline passed, the clock moves on a minute twice, and each
	// time every instance scans again: its scans are one after another, so
	// at least one of them began after the first minute's move, the
	// deadline well behind (a scan woken during a long move can read a time
	// the move passes through).
	pass := func(to time.Time, kind string) {
		t.Helper()
		clock.Advance(to.Sub(clock.Now()))
		for key := ""; key != kind+" "+c.ID; {
			select {
			case key = <-hook.got:
			case <-ctx.Done():
				t.Fatalf("no %s reached the webhook", kind)
			}
		}
		for range 2 {
			counts := []int{a.scans(), b.scans()}
			clock.Advance(time.Minute)
			for i, s := range both {
				s.waitScans(t, ctx, counts[i]+1)
			}
		}
	}
	pass(time.Date(2026, 12, 8, 6, 1, 0, 0, shanghai), "warning")
	pass(time.Date(2026, 12, 8, 10, 1, 0, 0, shanghai), "breach")
	for _, kind := range []string{"warning", "breach"} {
		if n := hook.n(kind + " " + c.ID); n != 1 {
			t.Errorf("%d %s notices of %s reached the webhook, want 1", n, kind, c.ID)
		}
	}
	var got console.ComplaintView
	b.api.do(http.StatusOK, "GET", "/api/complaints/"+c.ID, b.login("wang", "pw"), nil, &got)
	count := map[complaints.Action]int{}
	for _, ch := range got.Changes {
		count[ch.Action]++
	}
	if count[complaints.ActWarning] != 1 || count[complaints.ActBreach] != 1 || !got.Breached {
		t.Errorf("history %v (breached %v), want one warning and one breach", count, got.Breached)
	}
	t.Logf("instance a scanned %d times, b %d; webhook: %v", a.scans(), b.scans(), hook.count)
}
