package console_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/recordings"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// fakeComplaints is an in-memory complaint workflow for the console's
// tests until package complaints' Service is merged: the contract's
// states and steps, a 24-hour clock from registration and a 3-day one
// from feedback, on the test's clock.
type fakeComplaints struct {
	clock clockwork.Clock
	mu    sync.Mutex
	byID  map[string]*complaints.Complaint
	order []string
}

func newFakeComplaints(clock clockwork.Clock) *fakeComplaints {
	return &fakeComplaints{clock: clock, byID: map[string]*complaints.Complaint{}}
}

func (f *fakeComplaints) Register(_ context.Context, r complaints.Registration, owner string) (complaints.Complaint, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Content == "":
		return complaints.Complaint{}, fmt.Errorf("%w: content: say what the complaint is", complaints.ErrInvalid)
	case r.Category == "":
		return complaints.Complaint{}, fmt.Errorf("%w: category: a complaint category is required", complaints.ErrInvalid)
	}
	now := f.clock.Now()
	c := &complaints.Complaint{
		ID: fmt.Sprintf("C%s-%06d", now.Format("20060102"), len(f.order)+1), CallID: r.CallID, Hotline: r.Hotline,
		Source: r.Source, Registered: now, Complainant: r.Complainant, Contact: r.Contact, Content: r.Content,
		Category: r.Category, Wants: r.Wants, Owner: owner, State: "registered", ResolveDue: now.Add(24 * time.Hour),
	}
	team := r.Team
	if team == "" {
		team = "quality"
	}
	c.Teams = []string{team}
	c.Changes = []complaints.Change{{Seq: 1, At: now, Actor: owner, Action: "register", To: "registered", Team: team}}
	f.byID[c.ID] = c
	f.order = append(f.order, c.ID)
	return f.copy(c), nil
}

func (f *fakeComplaints) copy(c *complaints.Complaint) complaints.Complaint {
	out := *c
	out.Teams = slices.Clone(c.Teams)
	out.Changes = slices.Clone(c.Changes)
	return out
}

func (f *fakeComplaints) Get(_ context.Context, id string) (complaints.Complaint, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.byID[id]
	if !ok {
		return complaints.Complaint{}, fmt.Errorf("%w: %s", complaints.ErrNotFound, id)
	}
	return f.copy(c), nil
}

func (f *fakeComplaints) List(_ context.Context, flt complaints.Filter) ([]complaints.Complaint, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	var out []complaints.Complaint
	for i := len(f.order) - 1; i >= 0; i-- {
		c := f.byID[f.order[i]]
		due := c.ResolveDue
		if due.IsZero() {
			due = c.FeedbackDue
		}
		switch {
		case len(flt.States) > 0 && !slices.Contains(flt.States, c.State),
			flt.Owner != "" && c.Owner != flt.Owner,
			flt.Unowned && c.Owner != "",
			flt.Team != "" && !slices.Contains(c.Teams, flt.Team),
			flt.Category != "" && c.Category != flt.Category,
			flt.Overdue && (due.IsZero() || due.After(now)),
			!flt.From.IsZero() && c.Registered.Before(flt.From),
			!flt.To.IsZero() && !c.Registered.Before(flt.To):
			continue
		}
		cp := f.copy(c)
		cp.Changes = nil
		out = append(out, cp)
	}
	return out, nil
}

// steps are the fake's workflow: from which states each action goes to
// which.
var steps = map[complaints.Action]struct {
	from []complaints.State
	to   complaints.State
}{
	"notify":    {[]complaints.State{"registered"}, "notified"},
	"start":     {[]complaints.State{"registered", "notified"}, "in_progress"},
	"resolve":   {[]complaints.State{"notified", "in_progress"}, "resolved"},
	"follow_up": {[]complaints.State{"resolved"}, "followed_up"},
	"close":     {[]complaints.State{"followed_up"}, "closed"},
	"reopen":    {[]complaints.State{"resolved", "followed_up", "closed"}, "in_progress"},
	"feedback":  {[]complaints.State{"resolved", "followed_up", "closed"}, "in_progress"},
}

func (f *fakeComplaints) Act(_ context.Context, id, actor string, a complaints.Action, note, team string) (complaints.Complaint, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.byID[id]
	if !ok {
		return complaints.Complaint{}, fmt.Errorf("%w: %s", complaints.ErrNotFound, id)
	}
	now := f.clock.Now()
	from := c.State
	if a != "hand_off" && team != "" { // as the service: a team is a hand-off's alone
		return complaints.Complaint{}, fmt.Errorf("%w: team: only a hand_off names a team", complaints.ErrInvalid)
	}
	if c.Owner != "" && a == "take" {
		return complaints.Complaint{}, fmt.Errorf("%w: take complaint %s: it is owned by %s", complaints.ErrStep, id, c.Owner)
	}
	if c.Owner == "" {
		c.Owner = actor // 首问负责制: the first to take a step owns it
	}
	switch a {
	case "take":
	case "hand_off":
		if team == "" {
			return complaints.Complaint{}, fmt.Errorf("%w: team: a hand-off names the team", complaints.ErrInvalid)
		}
		c.Teams = append(c.Teams, team)
	case "resolve":
		if note == "" {
			return complaints.Complaint{}, fmt.Errorf("%w: note: a resolution says how it was resolved", complaints.ErrInvalid)
		}
		fallthrough
	default:
		st := steps[a]
		if !slices.Contains(st.from, c.State) {
			return complaints.Complaint{}, fmt.Errorf("%w: complaint %s is %s: it cannot %s", complaints.ErrStep, id, c.State, a)
		}
		c.State = st.to
	}
	switch a {
	case "resolve":
		c.Resolution, c.ResolveDue, c.Warned, c.Breached = note, time.Time{}, false, false
	case "feedback":
		c.FeedbackDue = now.Add(72 * time.Hour)
	case "reopen":
		c.ResolveDue = now.Add(24 * time.Hour)
	}
	c.Changes = append(c.Changes, complaints.Change{Seq: len(c.Changes) + 1, At: now, Actor: actor, Action: a, From: from, To: c.State, Note: note, Team: team})
	return f.copy(c), nil
}

// mark sets a complaint's warning and breach flags, as the clocks' scan
// does.
func (f *fakeComplaints) mark(id string, warned, breached bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.byID[id].Warned, f.byID[id].Breached = warned, breached
}

// complaintCodes are the test's disposition codes: one inquiry, two
// complaint categories.
var complaintCodes = []console.DispositionView{
	{Code: "usage", Kind: "inquiry", Zh: "产品使用方法", En: "How to use the product"},
	{Code: "quality", Kind: "complaint", Zh: "产品质量", En: "Product quality"},
	{Code: "service", Kind: "complaint", Zh: "服务态度", En: "Service attitude"},
}

// newComplaintEnv is a console with the fake workflow and the codes.
func newComplaintEnv(t *testing.T) (*env, *fakeComplaints) {
	t.Helper()
	var fc *fakeComplaints
	e := newEnv(t, func(c *console.Config) {
		fc = newFakeComplaints(c.Clock)
		c.Complaints, c.Dispositions = fc, complaintCodes
	})
	return e, fc
}

const complaintBody = `{"complainant":"张先生","content":"屏幕碎了，换货被拒","category":"quality","wants":"换新机"}`

// TestComplaintRegisterByAgent: an agent on a call registers a complaint
// for it: the owner is its 工号, the contact and hotline are the call's,
// the source is the agent; it sees the contact masked, a supervisor whole.
func TestComplaintRegisterByAgent(t *testing.T) {
	e, _ := newComplaintEnv(t)
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	lilei, wang := e.login("lilei"), e.login("wang")

	var c console.ComplaintView
	e.must(http.StatusCreated, "POST", "/api/complaints", lilei, complaintBody, &c)
	if c.Owner != "1001" || c.CallID != "call-1" || c.Hotline != "4008001234" || c.Source != "agent" || c.State != "registered" {
		t.Errorf("registered %+v; want owner 1001, call-1, hotline 4008001234, source agent, registered", c.Complaint)
	}
	if c.Contact != "*******8000" || !c.ContactMasked {
		t.Errorf("the agent sees contact %q (masked %v), want it masked to its last 4 digits", c.Contact, c.ContactMasked)
	}
	if want := start.Add(24 * time.Hour); !c.ResolveDue.Equal(want) {
		t.Errorf("resolve due %v, want %v", c.ResolveDue, want)
	}
	var full console.ComplaintView
	e.must(http.StatusOK, "GET", "/api/complaints/"+c.ID, wang, "", &full)
	if full.Contact != "13800138000" || full.ContactMasked || len(full.Changes) != 1 {
		t.Errorf("the supervisor reads %+v; want the whole contact and the history", full)
	}

	// A call that is not the agent's is refused; the agent's own is taken.
	r := e.do("POST", "/api/complaints", lilei, `{"call_id":"call-9","complainant":"x","content":"y","category":"quality"}`)
	if r.status != http.StatusBadRequest || !strings.Contains(r.errorMessage(t), "call-9 is not agent 1001's current or last call") {
		t.Errorf("someone else's call: %d %s", r.status, r.body)
	}

	// After the call, in wrap-up, the agent registers for the call it took.
	if err := e.acd.SendToSurvey(t.Context(), "1001"); err != nil {
		t.Fatal(err)
	}
	var after console.ComplaintView
	e.must(http.StatusCreated, "POST", "/api/complaints", lilei, `{"complainant":"张先生","content":"又打来","category":"service"}`, &after)
	if after.CallID != "call-1" || after.Hotline != "4008001234" {
		t.Errorf("in wrap-up the complaint is for call %q hotline %q, want the last call", after.CallID, after.Hotline)
	}

	// A supervisor without a 工号 registers as itself, without a call.
	var sup console.ComplaintView
	e.must(http.StatusCreated, "POST", "/api/complaints", wang,
		`{"hotline":"4008001234","complainant":"李女士","contact":"13900139000","content":"投诉信","category":"service"}`, &sup)
	if sup.Owner != "wang" || sup.Source != "api" || sup.CallID != "" || sup.Contact != "13900139000" {
		t.Errorf("the supervisor's complaint: %+v", sup.Complaint)
	}
}

// TestComplaintRoles: agents see and act on their own complaints only (any
// other is 404, as if it did not exist); supervisors and managers see and
// act on all; QA has none.
func TestComplaintRoles(t *testing.T) {
	e, _ := newComplaintEnv(t)
	e.acd.mustReady(t, "1001", "1002")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	e.acd.connect(t, "call-2", "support", "1002", "13700137000")
	lilei, hanmei, wang, boss, qiu := e.login("lilei"), e.login("hanmei"), e.login("wang"), e.login("boss"), e.login("qiu")
	var c1, c2 console.ComplaintView
	e.must(http.StatusCreated, "POST", "/api/complaints", lilei, complaintBody, &c1)
	e.must(http.StatusCreated, "POST", "/api/complaints", hanmei, complaintBody, &c2)

	var list console.ComplaintListView
	e.must(http.StatusOK, "GET", "/api/complaints", lilei, "", &list)
	if len(list.Complaints) != 1 || list.Complaints[0].ID != c1.ID {
		t.Errorf("lilei lists %+v, want only its own %s", list.Complaints, c1.ID)
	}
	if !list.At.Equal(start) {
		t.Errorf("the list's time %v, want the server's clock %v", list.At, start)
	}
	if r := e.do("GET", "/api/complaints?owner=1002", lilei, ""); r.status != http.StatusForbidden {
		t.Errorf("an agent listing another's complaints: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/complaints/"+c2.ID, lilei, ""); r.status != http.StatusNotFound {
		t.Errorf("an agent reading another's complaint: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/complaints/"+c2.ID+"/start", lilei, "{}"); r.status != http.StatusNotFound {
		t.Errorf("an agent acting on another's complaint: %d %s", r.status, r.body)
	}
	var acted console.ComplaintView
	e.must(http.StatusOK, "POST", "/api/complaints/"+c1.ID+"/start", lilei, `{"note":"联系质检"}`, &acted)
	if acted.State != "in_progress" || acted.Changes[len(acted.Changes)-1].Actor != "1001" {
		t.Errorf("the owner's start: %+v", acted.Complaint)
	}
	for _, tok := range []string{wang, boss} {
		e.must(http.StatusOK, "GET", "/api/complaints", tok, "", &list)
		if len(list.Complaints) != 2 {
			t.Errorf("a supervisor or manager lists %d complaints, want 2", len(list.Complaints))
		}
	}
	e.must(http.StatusOK, "POST", "/api/complaints/"+c2.ID+"/hand_off", boss, `{"team":"logistics","note":"物流破损"}`, &acted)
	if !slices.Equal(acted.Teams, []string{"quality", "logistics"}) || acted.Owner != "1002" {
		t.Errorf("after the manager's hand-off: teams %v owner %s; want the team added, the owner kept", acted.Teams, acted.Owner)
	}
	if acted.Changes[len(acted.Changes)-1].Actor != "boss" {
		t.Errorf("the hand-off's actor %q, want boss", acted.Changes[len(acted.Changes)-1].Actor)
	}
	for _, r := range []response{
		e.do("GET", "/api/complaints", qiu, ""),
		e.do("POST", "/api/complaints", qiu, complaintBody),
	} {
		if r.status != http.StatusForbidden {
			t.Errorf("QA: %d %s, want 403", r.status, r.body)
		}
	}
	if r := e.do("GET", "/api/complaints", "", ""); r.status != http.StatusUnauthorized {
		t.Errorf("signed out: %d", r.status)
	}
}

// TestComplaintErrors: the workflow's refusals keep their messages: 400
// for a registration or action that does not fit, 404 for no such
// complaint or action, 409 for a step the workflow refuses; a query that
// does not parse is 400; a server without the workflow answers 503.
func TestComplaintErrors(t *testing.T) {
	e, _ := newComplaintEnv(t)
	wang := e.login("wang")
	var c console.ComplaintView
	e.must(http.StatusCreated, "POST", "/api/complaints", wang, `{"contact":"13900139000","complainant":"李女士","content":"投诉","category":"quality"}`, &c)
	for _, tt := range []struct {
		method, path, body string
		status             int
		msg                string
	}{
		{"POST", "/api/complaints", `{"complainant":"a","category":"quality"}`, 400, "content: say what the complaint is"},
		{"POST", "/api/complaints", `{"complainant":"a","content":"b","category":"usage"}`, 400, `category "usage" is not a complaint category`},
		{"POST", "/api/complaints", `{"complainant":"a","bogus":1}`, 400, "bogus"},
		{"GET", "/api/complaints/C0-404", "", 404, "C0-404"},
		{"POST", "/api/complaints/" + c.ID + "/close", "{}", 409, "is registered: it cannot close"},
		{"POST", "/api/complaints/" + c.ID + "/resolve", "{}", 400, "note: a resolution says how"},
		{"POST", "/api/complaints/" + c.ID + "/hand_off", "{}", 400, "team: a hand-off names the team"},
		{"POST", "/api/complaints/" + c.ID + "/explode", "{}", 404, `no complaint action "explode"`},
		{"GET", "/api/complaints?state=lost", "", 400, `"lost" is not a complaint state`},
		{"GET", "/api/complaints?overdue=maybe", "", 400, "overdue"},
		{"GET", "/api/complaints?from=yesterday", "", 400, "from"},
		{"GET", "/api/complaints?from=2026-03-03&to=2026-03-02", "", 400, "is not before"},
		{"GET", "/api/complaints?limit=501", "", 400, "limit"},
	} {
		r := e.do(tt.method, tt.path, wang, tt.body)
		if r.status != tt.status || !strings.Contains(r.errorMessage(t), tt.msg) {
			t.Errorf("%s %s %s: %d %s; want %d with %q", tt.method, tt.path, tt.body, r.status, r.body, tt.status, tt.msg)
		}
	}

	plain := newEnv(t)
	if r := plain.do("GET", "/api/complaints", plain.login("wang"), ""); r.status != http.StatusServiceUnavailable {
		t.Errorf("no workflow: %d %s", r.status, r.body)
	}
}

// TestComplaintListOverdueFirst: the list is ordered by the running
// clock's deadline, the overdue first, those without a running clock
// last; the filters reach the workflow.
func TestComplaintListOverdueFirst(t *testing.T) {
	e, _ := newComplaintEnv(t)
	wang := e.login("wang")
	reg := func(content string) string {
		var c console.ComplaintView
		e.must(http.StatusCreated, "POST", "/api/complaints", wang, `{"contact":"13900139000","complainant":"a","content":"`+content+`","category":"quality"}`, &c)
		return c.ID
	}
	first := reg("first")
	e.clock.Advance(2 * time.Hour)
	second := reg("second")
	e.clock.Advance(time.Hour)
	resolved := reg("resolved")
	e.must(http.StatusOK, "POST", "/api/complaints/"+resolved+"/start", wang, "{}", nil)
	e.must(http.StatusOK, "POST", "/api/complaints/"+resolved+"/resolve", wang, `{"note":"换新"}`, nil)
	e.clock.Advance(22 * time.Hour) // first is 25 h old: overdue
	wang = e.login("wang")          // the sign-in lasts 12 h

	var list console.ComplaintListView
	e.must(http.StatusOK, "GET", "/api/complaints", wang, "", &list)
	var ids []string
	for _, c := range list.Complaints {
		ids = append(ids, c.ID)
	}
	if want := []string{first, second, resolved}; !slices.Equal(ids, want) {
		t.Errorf("order %v, want %v (overdue first, no clock last)", ids, want)
	}
	e.must(http.StatusOK, "GET", "/api/complaints?overdue=true", wang, "", &list)
	if len(list.Complaints) != 1 || list.Complaints[0].ID != first {
		t.Errorf("overdue: %+v, want only %s", list.Complaints, first)
	}
	e.must(http.StatusOK, "GET", "/api/complaints?state=resolved,closed&category=quality", wang, "", &list)
	if len(list.Complaints) != 1 || list.Complaints[0].ID != resolved {
		t.Errorf("state=resolved: %+v", list.Complaints)
	}
}

// TestComplaintScreenPop: the screen pop lists the open complaints of the
// caller of the agent's call, and nobody else's.
func TestComplaintScreenPop(t *testing.T) {
	e, _ := newComplaintEnv(t)
	wang := e.login("wang")
	var mine, other console.ComplaintView
	e.must(http.StatusCreated, "POST", "/api/complaints", wang, `{"contact":"13800138000","complainant":"张先生","content":"旧投诉","category":"quality"}`, &mine)
	e.must(http.StatusCreated, "POST", "/api/complaints", wang, `{"contact":"13900139000","complainant":"李女士","content":"别人的","category":"quality"}`, &other)
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	var pop console.ComplaintListView
	e.must(http.StatusOK, "GET", "/api/agents/1001/caller-complaints", e.login("lilei"), "", &pop)
	if len(pop.Complaints) != 1 || pop.Complaints[0].ID != mine.ID || pop.Complaints[0].Owner != "wang" {
		t.Errorf("the caller's open complaints: %+v, want %s", pop.Complaints, mine.ID)
	}
	if r := e.do("GET", "/api/agents/1001/caller-complaints", e.login("hanmei"), ""); r.status != http.StatusForbidden {
		t.Errorf("another agent's screen pop: %d", r.status)
	}
}

// TestComplaintStream: the complaint stream tells a supervisor of every
// registration, step, warning and breach, and an agent of its own
// complaints' only.
func TestComplaintStream(t *testing.T) {
	e, fc := newComplaintEnv(t)
	e.acd.mustReady(t, "1001", "1002")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	e.acd.connect(t, "call-2", "support", "1002", "13700137000")
	lilei, hanmei, wang := e.login("lilei"), e.login("hanmei"), e.login("wang")
	sup, agent2 := e.openComplaintStream(wang), e.openComplaintStream(hanmei)

	var c1, c2 console.ComplaintView
	e.must(http.StatusCreated, "POST", "/api/complaints", lilei, complaintBody, &c1)
	if ev := sup.next(); ev.name != "complaint" || ev.data != `{"id":"`+c1.ID+`","kind":"registered"}` {
		t.Errorf("the supervisor's event %+v", ev)
	}
	e.must(http.StatusCreated, "POST", "/api/complaints", hanmei, complaintBody, &c2)
	// hanmei's stream's first event is its own: lilei's was not sent to it.
	if ev := agent2.next(); ev.data != `{"id":"`+c2.ID+`","kind":"registered"}` {
		t.Errorf("hanmei's first event %+v, want its own complaint's", ev)
	}
	if ev := sup.next(); ev.data != `{"id":"`+c2.ID+`","kind":"registered"}` {
		t.Errorf("the supervisor's event %+v", ev)
	}
	// The workflow's clock marks a breach and notifies: the event follows.
	fc.mark(c2.ID, true, true)
	if err := e.srv.Notify(t.Context(), complaints.Notice{ID: "n1", Kind: complaints.NoticeBreach, ComplaintID: c2.ID}); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*stream{"supervisor": sup, "owner": agent2} {
		if ev := s.next(); ev.data != `{"id":"`+c2.ID+`","kind":"breach"}` {
			t.Errorf("the %s's event %+v, want the breach", name, ev)
		}
	}
}

// openComplaintStream opens GET /api/complaints/stream as token's user and
// reads its opening comment.
func (e *env) openComplaintStream(token string) *stream {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	req, err := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/api/complaints/stream", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("complaint stream: status %d", resp.StatusCode)
	}
	s := &stream{t: e.t, body: resp.Body, rd: bufio.NewReader(resp.Body), stop: cancel}
	e.t.Cleanup(s.close)
	if ev := s.next(); ev.comment != "complaints" {
		e.t.Fatalf("complaint stream opened with %+v", ev)
	}
	return s
}

// TestComplaintRegisterWithoutCall: an agent with no call since the
// server started registers a complaint through the API without one: its
// own, from the API, with the contact it gives.
func TestComplaintRegisterWithoutCall(t *testing.T) {
	e, _ := newComplaintEnv(t)
	var c console.ComplaintView
	e.must(http.StatusCreated, "POST", "/api/complaints", e.login("hanmei"),
		`{"hotline":"4008001234","contact":"13700137000","complainant":"王先生","content":"来信","category":"service"}`, &c)
	if c.Owner != "1002" || c.CallID != "" || c.Source != "api" || c.Hotline != "4008001234" {
		t.Errorf("registered %+v; want hanmei's, from the API, without a call", c.Complaint)
	}
}

// ivrEnv is a console with the real complaint workflow (complaints.Service
// on store.Complaints) and the recordings in one PostgreSQL: the IVR's
// complaints come from calls' journeys written as the engine writes them
// and are registered by the Service's IngestIVR, nobody owning them, their
// voice messages stored as the recordings' pipeline leaves them.
type ivrEnv struct {
	*recEnv
	svc *complaints.Service
}

func newIVREnv(t *testing.T) *ivrEnv {
	t.Helper()
	db, err := store.Open(t.Context(), pgtest.New(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	r := &recEnv{db: db, rclock: clockwork.NewFakeClockAt(start)}
	r.store = store.NewRecordings(db, r.rclock)
	r.bucket, err = recordings.OpenBucket(t.Context(), "file://"+t.TempDir()+"?no_tmp_dir=1&metadata=skip")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.bucket.Close() })
	r.janitor = recordings.NewJanitor(r.store, r.bucket, nil)
	archive := recordings.NewArchive(r.store, r.bucket, r.janitor)
	e := &ivrEnv{recEnv: r}
	live := &liveComplaints{}
	r.env = newEnv(t, func(c *console.Config) {
		e.svc, err = complaints.New(complaints.Config{
			Store: store.NewComplaints(db), Notifier: live,
			Categories:  map[string]complaints.Category{"quality": {Team: "quality"}, "service": {Team: "service"}},
			Supervisors: []string{"wang"}, Messages: ivrMessages{r}, Clock: c.Clock, Logger: c.Logger,
		})
		if err != nil {
			t.Fatal(err)
		}
		c.Recordings, c.Complaints, c.Dispositions = archive, e.svc, complaintCodes
	})
	live.srv.Store(r.srv)
	return e
}

// liveComplaints tells the console the workflow's notices, as serve's
// liveNotices does (the console is made after the Service).
type liveComplaints struct {
	srv atomic.Pointer[console.Server]
}

func (l *liveComplaints) Notify(ctx context.Context, n complaints.Notice) error {
	if s := l.srv.Load(); s != nil {
		return s.Notify(ctx, n)
	}
	return nil
}

// ivrMessages keeps the IVR's voice messages as the recordings' pipeline
// leaves them: a job of kind message (recordings.MessageJob, as serve's
// adapter makes it), its audio (a mono WAV of a tone as long as the
// message) in the blob storage, cleaned.
type ivrMessages struct{ r *recEnv }

func (m ivrMessages) KeepMessage(ctx context.Context, c complaints.IVRComplaint) (string, error) {
	j := recordings.MessageJob(c.CallID, c.Seq, c.Recording, c.StartedAt, c.At, c.Seconds, c.Hotline, c.Caller)
	j.Expires = j.Start.Add(30 * 24 * time.Hour)
	var wav bytes.Buffer
	if err := media.WriteWAV(&wav, media.Tone(time.Duration(c.Seconds)*time.Second, 0.3, 440)); err != nil {
		return "", err
	}
	audio := wav.Bytes()
	if err := m.r.store.AddJob(ctx, j); err != nil {
		return "", err
	}
	claimed, err := m.r.store.ClaimJobs(ctx, "test", 1, time.Minute)
	if err != nil || len(claimed) != 1 || claimed[0].ID != j.ID {
		return "", fmt.Errorf("claiming %s: %v, %v", j.ID, claimed, err)
	}
	sum := sha256.Sum256(audio)
	j.State, j.SHA256, j.Size, j.Audio = recordings.Fetched, hex.EncodeToString(sum[:]), int64(len(audio)), time.Duration(c.Seconds)*time.Second
	if err := m.r.store.AdvanceJob(ctx, "test", recordings.Pending, j, time.Minute); err != nil {
		return "", err
	}
	j.State, j.BlobKey = recordings.Stored, recordings.BlobKey(j.ID)
	if err := m.r.bucket.WriteAll(ctx, j.BlobKey, audio, nil); err != nil {
		return "", err
	}
	if err := m.r.store.AdvanceJob(ctx, "test", recordings.Fetched, j, time.Minute); err != nil {
		return "", err
	}
	j.State = recordings.Cleaned
	if err := m.r.store.AdvanceJob(ctx, "test", recordings.Stored, j, time.Minute); err != nil {
		return "", err
	}
	return j.ID, nil
}

// ivrComplaint writes the journey of a call in which the IVR took a
// complaint down (a voice message of seconds, category quality), through
// the call records' writer as the engine's journey sink does, registers it
// as the Service's scan does, and returns it.
func (e *ivrEnv) ivrComplaint(callID, caller string, seconds int) complaints.Complaint {
	t := e.t
	t.Helper()
	at := e.clock.Now().Add(-time.Minute)
	ev := func(seq int, kind, node string, d map[string]any) ivr.JourneyEvent {
		return ivr.JourneyEvent{Seq: seq, At: at.Add(time.Duration(seq) * time.Second), Kind: kind, Node: node, Detail: d}
	}
	j := &ivr.Journey{
		CallID: callID, Hotline: "4008001234", Caller: caller, Flow: "main", FlowVersion: 1, Language: "zh",
		Arrived: at, Answered: at, Ended: at.Add(time.Duration(seconds+10) * time.Second), Outcome: ivr.OutcomeMessage, HungUpBy: ivr.HungUpByCaller,
		Events: []ivr.JourneyEvent{
			ev(1, ivr.EventNode, "main", map[string]any{"kind": "menu"}),
			ev(2, ivr.EventKey, "main", map[string]any{"key": "3"}),
			ev(3, ivr.EventNode, "complaint", map[string]any{"kind": "complaint"}),
			ev(4+seconds, ivr.EventComplaint, "complaint", map[string]any{
				"category": "quality", "fallback": "quality", "contact": caller, "team": "",
				"hotline": "4008001234", "caller": caller, "recording": "complaint-" + callID, "seconds": seconds,
				"started_at": at.Add(4 * time.Second).Format(time.RFC3339Nano), "ended_by": "caller",
				"path": "main[3] > complaint",
			}),
		},
	}
	w, err := store.NewWriter(e.db, store.WriterConfig{SpoolDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(e.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	w.RecordJourney(t.Context(), j)
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.IngestIVR(t.Context()); err != nil || n != 1 {
		t.Fatalf("registering call %s's complaint: %d registered, %v", callID, n, err)
	}
	cs, err := e.svc.List(t.Context(), complaints.Filter{Unowned: true, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.CallID == callID {
			return c
		}
	}
	t.Fatalf("call %s's complaint is not among the unowned: %+v", callID, cs)
	return complaints.Complaint{}
}

// listIDs is GET /api/complaints?query as token's user: the IDs listed.
func (e *env) listIDs(token, query string) []string {
	e.t.Helper()
	var list console.ComplaintListView
	e.must(http.StatusOK, "GET", "/api/complaints"+query, token, "", &list)
	ids := []string{}
	for _, c := range list.Complaints {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestComplaintTakeRoles: a complaint the IVR took down is nobody's (待认领):
// every agent lists it beside its own (the contact masked) and reads it,
// but hears its voice message only once it took it; an agent takes it
// and it is the agent's for good: the others no longer see it (404), and
// their take answers 409 naming the owner; an agent's other steps wait
// for the take; QA has none; supervisors list the unowned and their
// first step, a take too, makes them the owner. The streams tell every
// agent of an unowned complaint's registration and taking, then only the
// owner.
func TestComplaintTakeRoles(t *testing.T) {
	e := newIVREnv(t)
	lilei, hanmei, wang, boss, qiu := e.login("lilei"), e.login("hanmei"), e.login("wang"), e.login("boss"), e.login("qiu")
	agentStream := e.openComplaintStream(hanmei)
	var own console.ComplaintView
	e.must(http.StatusCreated, "POST", "/api/complaints", wang,
		`{"hotline":"4008001234","contact":"13900139000","complainant":"李女士","content":"来信","category":"service"}`, &own)
	a := e.ivrComplaint("1765000001.1", "13800138001", 2)
	b := e.ivrComplaint("1765000002.2", "13800138002", 3)
	if a.Owner != "" || a.Source != "ivr" || a.MessageRecording == "" || a.State != complaints.Notified {
		t.Fatalf("the IVR's complaint %+v; want unowned, from the IVR, notified, with its voice message", a)
	}
	for _, id := range []string{a.ID, b.ID} {
		if ev := agentStream.next(); ev.data != `{"id":"`+id+`","kind":"registered"}` {
			t.Errorf("an agent's stream: %+v, want the unowned %s's registration", ev, id)
		}
	}

	// Agents: their own (none yet) and the unowned; the contact masked, the
	// message not theirs to hear yet.
	for agent, tok := range map[string]string{"1001": lilei, "1002": hanmei} {
		wantIDs(t, "an agent's list", e.listIDs(tok, ""), a.ID, b.ID)
		wantIDs(t, "an agent's unowned", e.listIDs(tok, "?unowned=true"), a.ID, b.ID)
		wantIDs(t, "an agent's own", e.listIDs(tok, "?owner="+agent), []string{}...)
	}
	var seen console.ComplaintView
	e.must(http.StatusOK, "GET", "/api/complaints/"+a.ID, lilei, "", &seen)
	if seen.Owner != "" || seen.Contact != "*******8001" || !seen.ContactMasked || seen.Message != "" || len(seen.Changes) != 2 {
		t.Errorf("an agent reads the unowned complaint: %+v; want it unowned, masked, without its message to play, with its history", seen)
	}
	if r := e.do("GET", "/api/complaints/"+a.ID+"/message", lilei, ""); r.status != http.StatusForbidden {
		t.Errorf("an agent plays the unowned complaint's message: %d, want 403", r.status)
	}
	if r := e.do("POST", "/api/complaints/"+a.ID+"/start", lilei, "{}"); r.status != http.StatusForbidden || !strings.Contains(r.errorMessage(t), "take it first") {
		t.Errorf("an agent starts the unowned complaint: %d %s, want 403: take it first", r.status, r.body)
	}
	if r := e.do("GET", "/api/complaints/"+own.ID, lilei, ""); r.status != http.StatusNotFound {
		t.Errorf("an agent reads the supervisor's complaint: %d, want 404", r.status)
	}
	if r := e.do("POST", "/api/complaints/"+own.ID+"/take", lilei, "{}"); r.status != http.StatusNotFound {
		t.Errorf("an agent takes the supervisor's complaint: %d %s, want 404", r.status, r.body)
	}

	// lilei takes a: it is its own, with its message to hear.
	var took console.ComplaintView
	e.must(http.StatusOK, "POST", "/api/complaints/"+a.ID+"/take", lilei, "{}", &took)
	last := took.Changes[len(took.Changes)-1]
	if took.Owner != "1001" || last.Action != complaints.ActTake || last.Actor != "1001" || took.Message != "/api/complaints/"+a.ID+"/message" {
		t.Errorf("taken: owner %q, last change %+v, message %q", took.Owner, last, took.Message)
	}
	if ev := agentStream.next(); ev.data != `{"id":"`+a.ID+`","kind":"take"}` {
		t.Errorf("the other agent's stream: %+v, want a's taking", ev)
	}
	res := e.do("GET", took.Message, lilei, "")
	if res.status != http.StatusOK || res.header.Get("Content-Type") != "audio/wav" || len(res.body) != 44+2*2*8000 {
		t.Errorf("the owner plays the message: %d %s, %d bytes; want 200 audio/wav, 2 s of 8 kHz", res.status, res.header.Get("Content-Type"), len(res.body))
	}
	wantIDs(t, "the taker's list", e.listIDs(lilei, ""), a.ID, b.ID)
	wantIDs(t, "the taker's own", e.listIDs(lilei, "?owner=1001"), a.ID)
	wantIDs(t, "the other agent's list", e.listIDs(hanmei, ""), b.ID)
	if r := e.do("GET", "/api/complaints/"+a.ID, hanmei, ""); r.status != http.StatusNotFound {
		t.Errorf("another agent reads the taken complaint: %d, want 404", r.status)
	}
	if r := e.do("GET", "/api/complaints/"+a.ID+"/message", hanmei, ""); r.status != http.StatusNotFound {
		t.Errorf("another agent plays the taken complaint's message: %d, want 404", r.status)
	}
	r := e.do("POST", "/api/complaints/"+a.ID+"/take", hanmei, "{}")
	if r.status != http.StatusConflict || !strings.Contains(r.errorMessage(t), "taken by 1001") {
		t.Errorf("another agent's take after it: %d %s; want 409 naming 1001", r.status, r.body)
	}
	if r := e.do("POST", "/api/complaints/"+a.ID+"/take", lilei, "{}"); r.status != http.StatusConflict || !strings.Contains(r.errorMessage(t), "yours already") {
		t.Errorf("the owner's take again: %d %s; want 409", r.status, r.body)
	}
	e.must(http.StatusOK, "POST", "/api/complaints/"+a.ID+"/start", lilei, `{"note":"已联系客户"}`, nil)

	// QA has no complaints, unowned or not.
	for _, tt := range []struct{ method, path string }{
		{"GET", "/api/complaints"}, {"GET", "/api/complaints?unowned=true"},
	} {
		if r := e.do(tt.method, tt.path, qiu, ""); r.status != http.StatusForbidden {
			t.Errorf("QA %s %s: %d, want 403", tt.method, tt.path, r.status)
		}
	}
	for _, tt := range []struct{ method, path, body string }{
		{"GET", "/api/complaints/" + b.ID, ""}, {"POST", "/api/complaints/" + b.ID + "/take", "{}"},
	} {
		if r := e.do(tt.method, tt.path, qiu, tt.body); r.status != http.StatusNotFound {
			t.Errorf("QA %s %s: %d, want 404", tt.method, tt.path, r.status)
		}
	}

	// Supervisors and managers: every complaint, the unowned on their own;
	// one hears the message of any; a take by the supervisor makes it its.
	wantIDs(t, "the manager's list", e.listIDs(boss, ""), own.ID, a.ID, b.ID)
	wantIDs(t, "the manager's unowned", e.listIDs(boss, "?unowned=true"), b.ID)
	if r := e.do("GET", "/api/complaints?unowned=true&owner=wang", boss, ""); r.status != http.StatusBadRequest {
		t.Errorf("unowned and an owner: %d, want 400", r.status)
	}
	var sup console.ComplaintView
	e.must(http.StatusOK, "GET", "/api/complaints/"+b.ID, wang, "", &sup)
	if sup.Contact != "13800138002" || sup.ContactMasked || sup.Message != "/api/complaints/"+b.ID+"/message" {
		t.Errorf("a supervisor reads the unowned complaint: %+v", sup)
	}
	if r := e.do("GET", sup.Message, wang, ""); r.status != http.StatusOK || len(r.body) != 44+3*2*8000 {
		t.Errorf("a supervisor plays the unowned complaint's message: %d, %d bytes", r.status, len(r.body))
	}
	e.must(http.StatusOK, "POST", "/api/complaints/"+b.ID+"/take", wang, "{}", &sup)
	if sup.Owner != "wang" {
		t.Errorf("the supervisor's take: owner %q", sup.Owner)
	}
	if ev := agentStream.next(); ev.data != `{"id":"`+b.ID+`","kind":"take"}` {
		t.Errorf("an agent's stream: %+v, want b's taking", ev)
	}
	wantIDs(t, "the agent's list once all are taken", e.listIDs(hanmei, ""), []string{}...)
	if r := e.do("POST", "/api/complaints/"+a.ID+"/take", boss, "{}"); r.status != http.StatusConflict || !strings.Contains(r.errorMessage(t), "owned by 1001") {
		t.Errorf("the manager takes lilei's complaint: %d %s, want 409 naming 1001", r.status, r.body)
	}
}

// TestComplaintTakeRace: two agents take one unowned complaint at once,
// over and over: each time one has it, the other is answered 409 naming
// it, and the complaint keeps the one owner with one take in its history.
func TestComplaintTakeRace(t *testing.T) {
	e := newIVREnv(t)
	tokens := map[string]string{"1001": e.login("lilei"), "1002": e.login("hanmei")}
	wins := map[string]int{}
	for i := range 6 {
		c := e.ivrComplaint(fmt.Sprintf("176500001%d.1", i), fmt.Sprintf("1380013810%d", i), 1)
		type answer struct {
			status int
			body   string
			err    error
		}
		answers := map[string]answer{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		ready := make(chan struct{})
		for agent, tok := range tokens {
			req, err := http.NewRequestWithContext(t.Context(), "POST", e.ts.URL+"/api/complaints/"+c.ID+"/take", strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			wg.Go(func() {
				<-ready
				var a answer
				resp, err := e.ts.Client().Do(req)
				if err == nil {
					var b []byte
					b, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					a = answer{status: resp.StatusCode, body: string(b)}
				}
				a.err = err
				mu.Lock()
				answers[agent] = a
				mu.Unlock()
			})
		}
		close(ready)
		wg.Wait()
		var winner, loser string
		switch {
		case answers["1001"].status == http.StatusOK && answers["1002"].status == http.StatusConflict:
			winner, loser = "1001", "1002"
		case answers["1002"].status == http.StatusOK && answers["1001"].status == http.StatusConflict:
			winner, loser = "1002", "1001"
		default:
			t.Fatalf("two takes of %s at once: %+v; want one 200, one 409", c.ID, answers)
		}
		wins[winner]++
		if strings.Contains(answers[loser].body, "refuses the step") {
			wins["lost in the workflow's lock"]++ // both read it unowned; the row's lock decided
		}
		if !strings.Contains(answers[loser].body, winner) {
			t.Errorf("the lost take's answer %s does not name the owner %s", answers[loser].body, winner)
		}
		got, err := e.svc.Get(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		takes := 0
		for _, ch := range got.Changes {
			if ch.Action == complaints.ActTake {
				takes++
			}
		}
		if got.Owner != winner || takes != 1 {
			t.Errorf("after the race: owner %q, %d takes; want %s and one", got.Owner, takes, winner)
		}
	}
	t.Logf("wins: %v", wins)
}
