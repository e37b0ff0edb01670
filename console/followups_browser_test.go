package console_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hotline-ivr/hotline/complaints/followup"
	"github.com/hotline-ivr/hotline/ivr/acd"
)

// endCall ends a call the ACD dialled out, as the customer hanging up
// does.
func (d *dialACD) endCall(id string) {
	d.mu.Lock()
	delete(d.calls, id)
	d.mu.Unlock()
	d.changed()
}

// fuRowIDs is the expression listing the desk's follow-up rows' IDs.
const fuRowIDs = `[...document.querySelectorAll("#fu-mine-rows tr")].map(r => r.dataset.id)`

// TestBrowserFollowUpsDesk: the agent's desk lists the follow-ups offered
// to it and its team, due first, the customer's number masked; opening
// one shows its complaint (content, wants, resolution, history) and the
// original call; the agent takes it and calls: the ACD is asked for the
// call, and the panel follows its phases from the desk's call view; once
// it is over, the result form refuses "not satisfied" without a note at
// the note's field, and takes it with one: the complaint is reopened.
func TestBrowserFollowUpsDesk(t *testing.T) {
	fe := newFollowUpEnv(t)
	fx := fe.fixture(t)
	fe.acd.mustReady(t, "1001")

	b := newBrowser(t)
	b.open(fe.ts.URL, "lilei")
	b.do("the follow-up panel", chromedp.WaitVisible("#agent-followups"))
	b.until("two follow-ups", `document.querySelectorAll("#fu-mine-rows tr").length === 2`, `document.getElementById("fu-mine-rows").textContent`)
	if got := eval[[]string](b, fuRowIDs); !slices.Equal(got, []string{fx.mine.ID, fx.team.ID}) {
		t.Errorf("rows %v, want the one due first first", got)
	}
	row := `#fu-mine-rows tr[data-id="` + fx.team.ID + `"]`
	if got := b.text(row + " td:nth-child(3)"); got != "*******8000" {
		t.Errorf("the agent sees the customer as %q, want the number masked", got)
	}
	if got := b.text(row + " td:nth-child(5)"); got != "2026-03-02 10:00" {
		t.Errorf("the next try reads %q, want the centre's 10:00", got)
	}

	b.do("opening the follow-up", chromedp.Click(row), chromedp.WaitVisible("#fu-task"))
	b.untilText("#fu-task-state", "待回访")
	for field, want := range map[string]string{
		"content": "屏幕碎了，换货被拒", "wants": "换新机", "resolution": "已为客户换新机", "call": "call-0", "owner": "1002", "number": "*******8000",
	} {
		if got := b.text(`#fu-task-fields dd[data-field="` + field + `"]`); got != want {
			t.Errorf("the follow-up's %s reads %q, want %q", field, got, want)
		}
	}
	if got := eval[[]string](b, `[...document.querySelectorAll("#fu-task-history li")].map(l => l.dataset.action)`); !slices.Equal(got, []string{"register", "start", "resolve"}) {
		t.Errorf("the complaint's history %v", got)
	}
	if b.visible("#fu-call") || b.visible("#fu-result-form") {
		t.Error("a task offered to the team offers the call or the result before it is taken")
	}
	b.do("taking it", chromedp.Click("#fu-take"), chromedp.WaitVisible("#fu-call"))
	if task, _ := fe.fu.Get(t.Context(), fx.team.ID); task.Agent != "1001" {
		t.Errorf("the task is %q's after taking it", task.Agent)
	}

	b.do("calling", chromedp.Click("#fu-call"))
	b.untilText("#fu-call-state", "您的话机正在振铃，请接听")
	want := acd.OutboundRequest{Agent: "1001", Number: "13800138000", Hotline: "4008001234", Ref: "followup:" + fx.team.ID, LinkedCallID: "call-0"}
	if got := fe.dial.dialled(); !slices.EqualFunc(got, []acd.OutboundRequest{want}, sameOutbound) {
		t.Errorf("the ACD was asked %+v, want %+v", got, want)
	}
	b.untilText("#call-caller", "13800138000") // the desk's call view
	fe.acd.setPhase("out-1", acd.CallDialing)
	b.untilText("#fu-call-state", "正在呼叫客户…")
	fe.acd.setPhase("out-1", acd.CallTalking)
	b.untilText("#fu-call-state", "与客户通话中")
	if !eval[bool](b, `document.getElementById("fu-call").disabled`) {
		t.Error("a second call is offered during the call")
	}
	fe.dial.endCall("out-1")
	b.untilText("#fu-call-state", "通话已结束，请填写回访结果")
	b.do("the result form", chromedp.WaitVisible("#fu-result-form"))

	b.do("not satisfied, without a note",
		chromedp.SetValue("#fu-product", "3"),
		chromedp.SetValue("#fu-service", "2"),
		chromedp.Click("#fu-satisfied-no"),
		chromedp.Click("#fu-submit"),
		chromedp.WaitVisible("#fu-err-note"),
	)
	if got := b.text("#fu-err-note"); got != "客户不满意时必须填写客户意见" {
		t.Errorf("the note's error reads %q", got)
	}
	if task, _ := fe.fu.Get(t.Context(), fx.team.ID); task.Result != nil {
		t.Errorf("a refused result was kept: %+v", task.Result)
	}
	b.screenshot("followups-desk-error.png")
	b.do("with a note", chromedp.SendKeys("#fu-note", "新机也有划痕"), chromedp.Click("#fu-submit"), chromedp.WaitVisible("#fu-effect"))
	b.untilText("#fu-effect", "客户不满意，投诉已重新处理")
	if b.visible("#fu-err-note") {
		t.Error("the note's error is still shown")
	}
	task, err := fe.fu.Get(t.Context(), fx.team.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := task.Result; task.State != followup.Done || r == nil || !r.Reached || r.Satisfied == nil || *r.Satisfied ||
		r.Note != "新机也有划痕" || r.Answers["product"] != "3" || r.Answers["service"] != "2" || r.CallID != "out-1" {
		t.Errorf("recorded %+v, result %+v", task, task.Result)
	}
	if c := fe.fc.only(t, "1002"); c.State != "in_progress" {
		t.Errorf("the complaint is %s after the unsatisfied follow-up, want reopened (in progress)", c.State)
	}
	b.untilText("#fu-task-state", "已完成")
	b.until("the done task off the list", `document.querySelectorAll("#fu-mine-rows tr").length === 1`, `document.getElementById("fu-mine-rows").textContent`)
	b.screenshot("followups-desk.png")

	// The task offered to the agent itself: called, not reached, it is
	// tried again later.
	row = `#fu-mine-rows tr[data-id="` + fx.mine.ID + `"]`
	b.do("opening the agent's own task", chromedp.Click(row))
	b.untilText(`#fu-task-fields dd[data-field="number"]`, "*******9000")
	if b.visible("#fu-take") || b.visible("#fu-effect") {
		t.Error("the agent's own task offers to take it, or shows the last task's result")
	}
	b.do("calling", chromedp.Click("#fu-call"))
	b.untilText("#fu-call-state", "您的话机正在振铃，请接听")
	fe.dial.endCall("out-2")
	b.untilText("#fu-call-state", "通话已结束，请填写回访结果")
	b.do("not reached", chromedp.Click(`#fu-result-form input[name=reached][value=no]`), chromedp.WaitNotVisible("#fu-answers"))
	b.do("submitting", chromedp.Click("#fu-submit"), chromedp.WaitVisible("#fu-effect"))
	b.untilText("#fu-effect", "未联系上客户，将于 2026-03-02 11:00 后再次回访")
	b.untilText(row+" td:nth-child(5)", "2026-03-02 11:00")
	b.untilText(row+" td:nth-child(6)", "1 / 3")

	b.setLanguage("en")
	b.untilText("#fu-task-state", "Offered")
	b.untilText("#fu-effect", "Not reached: tried again from 2026-03-02 11:00")
}

// TestBrowserFollowUpsList: the supervisors' follow-ups page lists every
// task with its state, mode, attempts, next try in the centre's time,
// result and satisfaction, filters by state, and leads to a complaint,
// whose page lists its follow-ups with their attempts and results.
func TestBrowserFollowUpsList(t *testing.T) {
	fe := newFollowUpEnv(t)
	fx := fe.fixture(t)
	fe.acd.mustReady(t, "1001")
	lilei := fe.login("lilei")
	fe.must(http.StatusOK, "POST", "/api/followups/"+fx.team.ID+"/take", lilei, "", nil)
	fe.must(http.StatusOK, "POST", "/api/followups/"+fx.team.ID+"/dial", lilei, "", nil)
	fe.dial.endCall("out-1")
	fe.must(http.StatusOK, "POST", "/api/followups/"+fx.team.ID+"/result", lilei, `{"reached":false}`, nil)
	fe.must(http.StatusOK, "POST", "/api/followups/"+fx.team.ID+"/dial", lilei, "", nil)
	fe.dial.endCall("out-2")
	fe.must(http.StatusOK, "POST", "/api/followups/"+fx.team.ID+"/result", lilei,
		`{"reached":true,"satisfied":true,"answers":{"product":"5","service":"4"},"note":"已正常使用"}`, nil)

	b := newBrowser(t)
	b.open(fe.ts.URL, "wang")
	b.tab("followups", "#fu-list")
	b.until("six follow-ups", `document.querySelectorAll("#fu-list tbody tr").length === 6`, `document.querySelector("#fu-list tbody").textContent`)
	cell := func(id string, col int) string {
		return b.text(fmt.Sprintf(`#fu-list tr[data-id=%q] td:nth-child(%d)`, id, col))
	}
	for _, c := range []struct {
		id   string
		col  int
		want string
	}{
		{fx.team.ID, 2, "投诉解决后回访"},
		{fx.team.ID, 3, fx.complaint.ID},
		{fx.team.ID, 4, "13800138000"},
		{fx.team.ID, 5, "人工预览外呼"},
		{fx.team.ID, 6, "已完成"},
		{fx.team.ID, 7, "1001"},
		{fx.team.ID, 8, "2 / 3"},
		{fx.team.ID, 10, "已联系上 · 已正常使用"},
		{fx.team.ID, 11, "满意 · 产品 5 分 · 服务 4 分"},
		{fx.pending.ID, 5, "自动外呼"},
		{fx.pending.ID, 6, "等待外呼"},
		{fx.pending.ID, 9, "2026-03-02 12:00"},
		{fx.sales.ID, 6, "待回访"},
		{fx.sales.ID, 7, "sales"},
		{fx.done.ID, 11, "满意 · 产品 5 分 · 服务 4 分"},
	} {
		if got := cell(c.id, c.col); got != c.want {
			t.Errorf("%s column %d reads %q, want %q", c.id, c.col, got, c.want)
		}
	}
	if got := b.text("#fu-list-next"); got != "下次尝试（CST）" {
		t.Errorf("the next try's heading %q, want the centre's zone named", got)
	}
	b.screenshot("followups.png")
	b.do("only the done ones", chromedp.SetValue("#fu-filter", "done"))
	eval[bool](b, `document.getElementById("fu-filter").dispatchEvent(new Event("change"))`)
	b.until("two done", `document.querySelectorAll("#fu-list tbody tr").length === 2`, `document.querySelector("#fu-list tbody").textContent`)

	// The complaint's page lists its follow-ups.
	b.do("opening the complaint", chromedp.Click(`#fu-list button[data-complaint="`+fx.complaint.ID+`"]`), chromedp.WaitVisible("#cmp-detail"))
	b.do("its follow-ups", chromedp.WaitVisible("#cmp-followups"))
	frow := `#cmp-fu-rows tr[data-id="` + fx.team.ID + `"]`
	b.untilText(frow+" .fu-state", "已完成")
	if got := eval[[]string](b, `[...document.querySelectorAll('`+frow+` .fu-tries li')].map(l => l.dataset.outcome)`); !slices.Equal(got, []string{"no_answer", "answered"}) {
		t.Errorf("the follow-up's attempts %v", got)
	}
	if got := b.text(frow + " .fu-satisfaction"); got != "满意 · 产品 5 分 · 服务 4 分" {
		t.Errorf("the follow-up's satisfaction on the complaint's page %q", got)
	}
	if got := b.text(frow + " .fu-tries li:first-child"); !strings.Contains(got, "1001") || !strings.Contains(got, "无人接听") || !strings.Contains(got, "out-1") {
		t.Errorf("the first attempt reads %q", got)
	}
	b.untilText("#cmp-state", "已结案")
	b.screenshot("complaint-followups.png")
	b.setLanguage("en")
	b.untilText(frow+" .fu-state", "Done")
}
