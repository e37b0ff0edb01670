package console_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/console"
)

// moveDue sets a complaint's 24-hour deadline and its flags, as the
// workflow's clock scan would find it.
func (f *fakeComplaints) moveDue(id string, due time.Time, warned, breached bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.byID[id]
	c.ResolveDue, c.Warned, c.Breached = due, warned, breached
}

// only is the fake's one complaint owned by owner.
func (f *fakeComplaints) only(t *testing.T, owner string) complaints.Complaint {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []complaints.Complaint
	for _, id := range f.order {
		if c := f.byID[id]; c.Owner == owner {
			out = append(out, f.copy(c))
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d complaints owned by %s, want 1", len(out), owner)
	}
	return out[0]
}

// all is every complaint of the fake, oldest first.
func (f *fakeComplaints) all() []complaints.Complaint {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []complaints.Complaint
	for _, id := range f.order {
		out = append(out, f.copy(f.byID[id]))
	}
	return out
}

// rowIDs is the expression listing the complaints list's rows' IDs.
const rowIDs = `[...document.querySelectorAll("#cmp-list tbody tr")].map(r => r.dataset.id)`

// TestBrowserComplaints: during a call the agent registers a complaint
// from the desk, pre-filled with the caller's number, in a category of the
// dispositions; the supervisor's list shows it with a live countdown to
// its 24-hour deadline, marks it when the workflow warns and when it
// breaches (and puts it first, overdue), and the workflow's buttons take
// it from notified to closed, reopened and handed off, its history
// growing; the agent's own list follows live, and the screen pop of the
// caller's next call shows the open complaint.
func TestBrowserComplaints(t *testing.T) {
	e, fc := newComplaintEnv(t)
	wangTok := e.login("wang")
	var earlier console.ComplaintView
	e.must(http.StatusCreated, "POST", "/api/complaints", wangTok,
		`{"hotline":"4008001234","contact":"13900139000","complainant":"李女士","content":"来信投诉","category":"service"}`, &earlier)
	e.clock.Advance(time.Minute)
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")

	agent := newBrowser(t)
	agent.open(e.ts.URL, "lilei")
	agent.untilText("#call-caller", "13800138000")
	agent.do("the complaint form", chromedp.WaitVisible("#cmp-form"))
	if got := eval[string](agent, `document.getElementById("cmp-contact").value`); got != "13800138000" {
		t.Errorf("the form's contact is pre-filled with %q, want the caller's number", got)
	}
	agent.untilContains("#cmp-for", "call-1")
	if got := eval[[]string](agent, `[...document.querySelectorAll("#cmp-category option")].map(o => o.textContent)`); !slices.Equal(got, []string{"产品质量", "服务态度"}) {
		t.Errorf("the categories offered %v, want the complaint categories", got)
	}
	agent.do("registering the complaint",
		chromedp.SendKeys("#cmp-complainant", "张先生"),
		chromedp.SetValue("#cmp-category", "quality"),
		chromedp.SendKeys("#cmp-content", "屏幕碎了，换货被拒"),
		chromedp.SendKeys("#cmp-wants", "换新机"),
		chromedp.Click("#cmp-submit"),
		chromedp.WaitVisible("#cmp-saved"),
	)
	c := fc.only(t, "1001")
	if c.CallID != "call-1" || c.Contact != "13800138000" || c.Hotline != "4008001234" || c.Category != "quality" ||
		c.Complainant != "张先生" || c.Wants != "换新机" || c.Source != "agent" {
		t.Errorf("registered %+v", c)
	}
	agent.untilContains("#cmp-saved", c.ID)
	agent.until("the agent's own list", `document.querySelectorAll("#my-complaints-rows tr").length === 1`, `document.getElementById("my-complaints-rows").textContent`)
	agent.untilContains(`#my-complaints-rows tr[data-id="`+c.ID+`"]`, "已登记")

	sup := newBrowser(t)
	sup.open(e.ts.URL, "wang")
	sup.tab("complaints", "#cmp-list")
	sup.until("both complaints listed", `document.querySelectorAll("#cmp-list tbody tr").length === 2`, `document.querySelector("#cmp-list tbody").textContent`)
	if got := eval[[]string](sup, rowIDs); !slices.Equal(got, []string{earlier.ID, c.ID}) {
		t.Errorf("rows %v, want the earlier deadline first", got)
	}
	due := `#cmp-list tr[data-id="` + c.ID + `"] .cmp-due`
	// The server's clock stands still; the page counts down on its own.
	sup.until("the countdown", fmt.Sprintf(`/^剩余 (24:00:00|23:59:\d\d)$/.test(document.querySelector(%q).textContent)`, due), fmt.Sprintf(`document.querySelector(%q).textContent`, due))

	// The workflow warns: the row is marked.
	fc.moveDue(c.ID, e.clock.Now().Add(4*time.Hour), true, false)
	if err := e.srv.Notify(t.Context(), complaints.Notice{ID: "w1", Kind: complaints.NoticeWarning, ComplaintID: c.ID}); err != nil {
		t.Fatal(err)
	}
	sup.untilText(`#cmp-list tr[data-id="`+c.ID+`"] .cmp-marks`, "即将超时")
	sup.until("the countdown moved", fmt.Sprintf(`/^剩余 (4:00:00|3:59:\d\d)$/.test(document.querySelector(%q).textContent)`, due), fmt.Sprintf(`document.querySelector(%q).textContent`, due))
	// It breaches: marked, overdue, first.
	fc.moveDue(c.ID, e.clock.Now().Add(-time.Hour), true, true)
	if err := e.srv.Notify(t.Context(), complaints.Notice{ID: "b1", Kind: complaints.NoticeBreach, ComplaintID: c.ID}); err != nil {
		t.Fatal(err)
	}
	sup.untilText(`#cmp-list tr[data-id="`+c.ID+`"] .cmp-marks`, "已超时·已升级")
	sup.until("overdue", fmt.Sprintf(`/^超时 1:00:\d\d$/.test(document.querySelector(%q).textContent)`, due), fmt.Sprintf(`document.querySelector(%q).textContent`, due))
	if got := eval[[]string](sup, rowIDs); !slices.Equal(got, []string{c.ID, earlier.ID}) {
		t.Errorf("rows %v, want the overdue one first", got)
	}
	if !eval[bool](sup, fmt.Sprintf(`document.querySelector(%q).hasAttribute("data-over")`, due)) {
		t.Error("the overdue countdown is not marked")
	}
	sup.screenshot("complaints.png")

	// The complaint's page: its fields, its history, the workflow.
	sup.do("opening the complaint", chromedp.Click(`#cmp-list tr[data-id="`+c.ID+`"]`), chromedp.WaitVisible("#cmp-detail"))
	sup.untilText("#cmp-state", "已登记")
	for field, want := range map[string]string{"contact": "13800138000", "owner": "1001", "wants": "换新机", "call": "call-1", "category": "产品质量"} {
		if got := sup.text(`#cmp-fields dd[data-field="` + field + `"]`); got != want {
			t.Errorf("the complaint's %s reads %q, want %q", field, got, want)
		}
	}
	if !sup.visible("#cmp-breached") || !strings.HasPrefix(sup.text("#cmp-countdown"), "超时") {
		t.Error("the complaint's page does not show the breach")
	}
	act := func(action, wantState string) {
		t.Helper()
		sup.do("clicking "+action, chromedp.Click(`#cmp-actions [data-cmp-act="`+action+`"]`))
		sup.untilText("#cmp-state", wantState)
	}
	// The buttons follow the workflow: a registered complaint may be
	// resolved at once, and takes the customer's feedback.
	for _, a := range []string{"resolve", "feedback", "notify", "start"} {
		if eval[bool](sup, `document.querySelector('[data-cmp-act="`+a+`"]').disabled`) {
			t.Errorf("%s is not offered on a registered complaint", a)
		}
	}
	act("notify", "已通知")
	// A team typed in is for a hand-off: another step leaves it out.
	sup.do("typing a team", chromedp.SendKeys("#cmp-team", "logistics"))
	act("start", "处理中")
	// Resolving needs the resolution: the server's reason is shown.
	sup.do("resolving without a resolution", chromedp.Click(`#cmp-actions [data-cmp-act="resolve"]`))
	sup.untilContains("#flash", "note: a resolution says how it was resolved")
	sup.do("writing the resolution", chromedp.SendKeys("#cmp-note", "已为客户换新机"))
	act("resolve", "已解决")
	sup.untilText(`#cmp-fields dd[data-field="resolution"]`, "已为客户换新机")
	if sup.text("#cmp-countdown") != "" || sup.visible("#cmp-breached") {
		t.Error("a resolved complaint still shows its clock or its breach")
	}
	act("follow_up", "已回访")
	act("close", "已结案")
	for _, a := range []string{"close", "feedback", "resolve"} {
		if !eval[bool](sup, `document.querySelector('[data-cmp-act="`+a+`"]').disabled`) {
			t.Errorf("%s is offered on a closed complaint", a)
		}
	}
	act("reopen", "处理中")
	// The team typed in before is still there for the hand-off.
	sup.do("handing off", chromedp.Click(`#cmp-actions [data-cmp-act="hand_off"]`))
	sup.untilText(`#cmp-fields dd[data-field="teams"]`, "quality, logistics")
	sup.untilText(`#cmp-fields dd[data-field="owner"]`, "1001")
	if got := eval[[]string](sup, `[...document.querySelectorAll("#cmp-history li")].map(l => l.dataset.action)`); !slices.Equal(got,
		[]string{"register", "notify", "start", "resolve", "follow_up", "close", "reopen", "hand_off"}) {
		t.Errorf("history %v", got)
	}
	got := fc.only(t, "1001")
	if got.State != "in_progress" || got.Changes[len(got.Changes)-1].Actor != "wang" {
		t.Errorf("the workflow has %s, last by %s", got.State, got.Changes[len(got.Changes)-1].Actor)
	}
	sup.screenshot("complaint.png")
	sup.setLanguage("en")
	sup.untilText("#cmp-state", "In progress")
	sup.do("back to the list", chromedp.Click("#cmp-back"), chromedp.WaitVisible("#cmp-list"))
	sup.until("the countdown in English", fmt.Sprintf(`/^(24:00:00|23:59:\d\d) left$/.test(document.querySelector(%q).textContent)`, due), fmt.Sprintf(`document.querySelector(%q).textContent`, due))
	sup.untilText(`#cmp-list tr[data-id="`+c.ID+`"] td:nth-child(7)`, "In progress")

	// The agent's list followed the supervisor's steps live.
	agent.untilContains(`#my-complaints-rows tr[data-id="`+c.ID+`"]`, "处理中")

	// The caller calls again: the screen pop shows the open complaint.
	if err := e.acd.SendToSurvey(t.Context(), "1001"); err != nil {
		t.Fatal(err)
	}
	agent.untilText("#state-label", "话后处理")
	if !agent.visible("#cmp-form") {
		t.Fatal("in wrap-up the complaint form is gone: the agent registers for its last call there")
	}
	agent.do("registering in wrap-up",
		chromedp.SendKeys("#cmp-complainant", "张先生"),
		chromedp.SetValue("#cmp-category", "service"),
		chromedp.SendKeys("#cmp-content", "坐席态度差"),
		chromedp.Click("#cmp-submit"),
	)
	agent.until("the second complaint", `document.querySelectorAll("#my-complaints-rows tr").length === 2`, `document.getElementById("my-complaints-rows").textContent`)
	var second complaints.Complaint
	for _, x := range fc.all() {
		if x.ID != c.ID && x.Owner == "1001" {
			second = x
		}
	}
	if second.CallID != "call-1" || second.Contact != "13800138000" || second.Category != "service" {
		t.Errorf("registered in wrap-up: %+v; want it for the last call", second)
	}
	if err := e.acd.Ready(t.Context(), "1001"); err != nil {
		t.Fatal(err)
	}
	// The caller has an open complaint of another agent's too: shown,
	// with its owner, but not to be opened (it is not 1001's to read).
	other, err := fc.Register(t.Context(), complaints.Registration{Hotline: "4008001234", Source: "agent",
		Complainant: "张先生", Contact: "13800138000", Content: "物流太慢", Category: "service"}, "1002")
	if err != nil {
		t.Fatal(err)
	}
	e.acd.connect(t, "call-2", "support", "1001", "13800138000")
	agent.untilContains("#cmp-for", "call-2")
	agent.untilContains("#caller-complaints-rows", c.ID)
	agent.until("the caller's three open complaints", `document.querySelectorAll("#caller-complaints-rows li").length === 3`, `document.getElementById("caller-complaints-rows").textContent`)
	if got := eval[[]string](agent, `[...document.querySelectorAll("#caller-complaints-rows li[data-id]")].map(l => l.dataset.id)`); slices.Contains(got, other.ID) || len(got) != 2 {
		t.Errorf("the screen pop opens %v, want the agent's two and not 1002's %s", got, other.ID)
	}
	agent.untilContains(`#caller-complaints-rows li[data-owner="1002"]`, other.ID)
	agent.screenshot("complaints-agent.png")
}

// TestBrowserNoComplaints: on a server without the complaint workflow
// the complaints tab and the desk's form are not shown, and the page
// logs no error.
func TestBrowserNoComplaints(t *testing.T) {
	e := newEnv(t)
	e.acd.mustReady(t, "1001")
	e.acd.connect(t, "call-1", "support", "1001", "13800138000")
	b := newBrowser(t)
	b.open(e.ts.URL, "wang")
	b.until("the complaints tab hidden", `document.querySelector('#tabs button[data-view="complaints"]').hidden`, `document.querySelector('#tabs button[data-view="complaints"]').hidden`)
	if !b.visible("#board") {
		t.Error("the supervisor does not land on the wallboard")
	}
	a := newBrowser(t)
	a.open(e.ts.URL, "lilei")
	a.untilText("#call-caller", "13800138000")
	a.until("the complaints tab hidden", `document.querySelector('#tabs button[data-view="complaints"]').hidden`, `document.querySelector('#tabs button[data-view="complaints"]').hidden`)
	if a.visible("#agent-complaints") || a.visible("#cmp-form") {
		t.Error("the desk offers complaints on a server without them")
	}
}

// TestBrowserComplaintIVR: a complaint the IVR took down, registered by the
// real workflow from the call's journey with its voice message in the
// archive, is nobody's: both agents' desks and the complaints list show it
// as unclaimed (待认领) with the take button; its page shows the source
// IVR, 待认领 as its owner, the take alone among the steps, and that its
// message is heard once taken. The agent takes it there: it is the
// agent's, the other agent's desk drops it at once, and the page's player
// plays the message from its route (200, audio/wav, the message's 2 s).
// A second one is taken from the list's button.
func TestBrowserComplaintIVR(t *testing.T) {
	e := newIVREnv(t)
	c := e.ivrComplaint("1765000001.1", "13800138001", 2)
	other := newBrowser(t)
	other.open(e.ts.URL, "hanmei")
	other.untilContains(`#my-complaints-rows tr[data-id="`+c.ID+`"]`, "待认领")

	b := newBrowser(t)
	b.open(e.ts.URL, "lilei")
	desk := `#my-complaints-rows tr[data-id="` + c.ID + `"]`
	b.untilContains(desk, "待认领")
	if !b.visible(desk+` button[data-cmp-take]`) || b.text(desk+` button[data-cmp-take]`) != "认领" {
		t.Error("the desk's unclaimed complaint has no take button")
	}

	b.do("opening the complaints", chromedp.Click(`#tabs button[data-view="complaints"]`), chromedp.WaitVisible("#cmp-list"))
	row := `#cmp-list tr[data-id="` + c.ID + `"]`
	b.untilText(row+" .cmp-owner .badge", "待认领")
	if !b.visible(row + ` .cmp-owner button[data-cmp-take]`) {
		t.Error("the list's unclaimed complaint has no take button")
	}
	other.screenshot("complaint-ivr-desk.png")
	b.do("opening the complaint", chromedp.Click(row+" td:first-child"), chromedp.WaitVisible("#cmp-detail"))
	field := func(name string) string { return `#cmp-fields dd[data-field="` + name + `"]` }
	b.untilText(field("owner"), "待认领")
	for name, want := range map[string]string{"source": "IVR 语音留言", "contact": "*******8001", "call": "1765000001.1", "category": "产品质量"} {
		if got := b.text(field(name)); got != want {
			t.Errorf("the complaint's %s reads %q, want %q", name, got, want)
		}
	}
	take := `#cmp-actions [data-cmp-act="take"]`
	if !b.visible(take) || !b.visible("#cmp-unclaimed") {
		t.Error("the unowned complaint's page offers no take")
	}
	if got := eval[[]string](b, `[...document.querySelectorAll("#cmp-actions button:not([disabled])")].map(b => b.dataset.cmpAct)`); !slices.Equal(got, []string{"take"}) {
		t.Errorf("the steps offered on the unowned complaint: %v, want the take alone", got)
	}
	if b.visible("#cmp-audio") || !strings.Contains(b.text("#cmp-message-hint"), "认领后可收听") {
		t.Errorf("before the take the page plays the message or does not say why not (%q)", b.text("#cmp-message-hint"))
	}
	b.screenshot("complaint-ivr-unclaimed.png")

	b.do("taking it", chromedp.Click(take))
	b.untilText(field("owner"), "1001")
	if b.visible(take) || b.visible("#cmp-unclaimed") {
		t.Error("the taken complaint's page still offers the take")
	}
	if got := eval[[]string](b, `[...document.querySelectorAll("#cmp-history li")].map(l => l.dataset.action)`); !slices.Equal(got, []string{"register", "notify", "take"}) {
		t.Errorf("history %v", got)
	}
	if got, err := e.svc.Get(t.Context(), c.ID); err != nil || got.Owner != "1001" {
		t.Errorf("the workflow has owner %q (%v), want 1001", got.Owner, err)
	}
	other.until("the other agent's desk drops it", fmt.Sprintf(`!document.querySelector('#my-complaints-rows tr[data-id="%s"]')`, c.ID), `document.getElementById("my-complaints-rows").textContent`)

	// The player: its source is the complaint's message route, which
	// answers the WAV; the element loads its 2 s.
	b.do("the player", chromedp.WaitVisible("#cmp-audio"))
	if src := eval[string](b, `new URL(document.getElementById("cmp-audio").src).pathname`); src != "/api/complaints/"+c.ID+"/message" {
		t.Errorf("the player plays %s", src)
	}
	if got := evalAwait[string](b, `fetch(document.getElementById("cmp-audio").src).then(r => r.status + " " + r.headers.get("Content-Type"))`); got != "200 audio/wav" {
		t.Errorf("the player's source answers %q, want 200 audio/wav", got)
	}
	b.until("the message loaded", `document.getElementById("cmp-audio").readyState >= 1`, `document.getElementById("cmp-audio").error?.message ?? document.getElementById("cmp-audio").readyState`)
	if d := eval[float64](b, `document.getElementById("cmp-audio").duration`); d < 1.9 || d > 2.1 {
		t.Errorf("the player has %v s of audio, want the message's 2 s", d)
	}
	b.screenshot("complaint-ivr.png")
	b.setLanguage("en")
	b.untilText(field("source"), "IVR voice message")
	b.untilText(`#cmp-message h3`, "Voice message")

	// A second one, taken from the list's button.
	d := e.ivrComplaint("1765000002.2", "13800138002", 1)
	b.do("back to the list", chromedp.Click("#cmp-back"), chromedp.WaitVisible("#cmp-list"))
	row = `#cmp-list tr[data-id="` + d.ID + `"]`
	b.untilText(row+" .cmp-owner .badge", "Unclaimed")
	// Clicked in the page: the list is drawn again as updates come, and a
	// node found a moment before may be gone by the click.
	if !eval[bool](b, fmt.Sprintf(`(() => { const t = document.querySelector(%q); if (!t) return false; t.click(); return true })()`, row+` button[data-cmp-take]`)) {
		t.Fatalf("no take button in the list's row of %s", d.ID)
	}
	b.untilText(row+" .cmp-owner", "1001")
	if b.visible("#cmp-detail") {
		t.Error("the list's take opened the complaint")
	}
	b.setLanguage("zh")
	b.do("the desk", chromedp.Click(`#tabs button[data-view="agent"]`), chromedp.WaitVisible("#my-complaints"))
	b.until("the desk lists both as the agent's", `document.querySelectorAll("#my-complaints-rows tr").length === 2 && !document.querySelector("#my-complaints-rows tr[data-unowned]")`, `document.getElementById("my-complaints-rows").textContent`)

	// A third, taken from the desk's button.
	f := e.ivrComplaint("1765000003.3", "13800138003", 1)
	desk = `#my-complaints-rows tr[data-id="` + f.ID + `"]`
	b.untilContains(desk, "待认领")
	b.do("taking it from the desk", chromedp.Click(desk+` button[data-cmp-take]`))
	b.until("the desk's take", fmt.Sprintf(`!!document.querySelector('%s') && !document.querySelector('%s[data-unowned]')`, desk, desk), `document.getElementById("my-complaints-rows").textContent`)
	if got, err := e.svc.Get(t.Context(), f.ID); err != nil || got.Owner != "1001" {
		t.Errorf("taken from the desk: owner %q (%v), want 1001", got.Owner, err)
	}
}
