package console_test

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
)

// calibrationTab opens the calibration page.
func (b *browser) calibrationTab() {
	b.t.Helper()
	b.tab("calibration", "#calibration")
}

// scoreCalibration has the signed-in reviewer open calibration id from
// the calibration page, answer every human item yes but the ones in
// differ, and submit; it returns the answers the page submitted.
func (b *browser) scoreCalibration(id int64, differ map[string]string) scorecard.Answers {
	b.t.Helper()
	card := scorecard.Standard()
	row := fmt.Sprintf(`#cal-mine tr[data-calibration="%d"]`, id)
	b.until("the calibration waiting", `!!document.querySelector('`+row+`')`, `document.querySelector("#cal-mine tbody").textContent`)
	b.do("scoring it", chromedp.Click(row+` button[data-score]`), chromedp.WaitVisible("#qa-work"))
	b.until("the scorecard", fmt.Sprintf(`document.querySelectorAll("#qa-card .qa-item").length === %d`, len(card.Items())), `document.querySelectorAll("#qa-card .qa-item").length`)
	b.untilText("#qa-state", "草稿")
	b.until("the waveform drawn", `Number(document.getElementById("qa-wave").dataset.drawn) > 100`, `document.getElementById("qa-wave").dataset.drawn`)
	// The same scoring view as the review page: the suggestions filled in.
	if got := eval[string](b, `document.querySelector('.qa-item[data-item="satisfaction"] .qa-suggestion')?.dataset.suggested ?? ""`); got != "4" {
		b.t.Errorf("the satisfaction item suggests %q, want the survey's 4", got)
	}
	for _, item := range []string{"greeting", "agent_id", "forbidden_wording", "privacy", "anything_else", "hold_time", "dead_air", "first_contact"} {
		b.answer(item, "yes")
	}
	b.answer("complaint_registered", "na")
	for item, a := range differ {
		b.answer(item, a)
	}
	b.wantScore("zh")
	got := pageAnswers(b)
	b.do("submitting", chromedp.Click(`[data-qa-act="submit"]`))
	b.untilText("#qa-state", "已提交")
	if b.visible("#qa-actions") || !eval[bool](b, `[...document.querySelectorAll("#qa-card input")].every(i => i.disabled)`) {
		b.t.Error("a submitted calibration evaluation can still be changed")
	}
	b.do("back to the calibrations", chromedp.Click("#qa-back"), chromedp.WaitVisible("#calibration"))
	b.until("no longer waiting", `!document.querySelector('`+row+`')`, `document.querySelector("#cal-mine tbody").textContent`)
	return got
}

// TestBrowserCalibration: a supervisor starts a calibration of a recorded
// call for two QA reviewers in the page; each finds it waiting, scores it
// blind in the review page's scoring view (the other's timed comment and
// answers hidden) and submits; the first sees the report still blind, the
// supervisor the progress; once both have submitted the report shows the
// mean score, the spread, each item's consensus and agreement (the low
// ones marked) and each reviewer's deviation and differing items, as
// evaluation.Calibrate makes them of the answers submitted; in zh and en.
func TestBrowserCalibration(t *testing.T) {
	q := newQAEnv(t)
	r := q.recEnv
	qaCall(r, q.qa)
	card := scorecard.Standard()

	b := newBrowser(t)
	b.open(r.ts.URL, "wang")
	b.calibrationTab()
	if !b.visible("#cal-new") {
		t.Fatal("a supervisor is not offered to start a calibration")
	}
	b.until("the reviewers to pick", `!!document.querySelector('#cal-reviewers input[value="qa2"]')`, `document.getElementById("cal-reviewers").textContent`)
	if got := eval[[]string](b, `[...document.querySelectorAll("#cal-reviewers input")].map(i => i.value)`); !slices.Contains(got, "qiu") || slices.Contains(got, "lilei") {
		t.Errorf("the reviewers offered: %q", got)
	}
	// The call is chosen from its recording on the review page.
	b.tab("recordings", "#rec-form")
	b.do("the recordings of support", chromedp.SendKeys(`#rec-form input[name=queue]`, "support"), chromedp.Click(`#rec-form button[type=submit]`))
	b.do("reviewing r1", chromedp.Click(`tr[data-recording="r1"] button[data-review]`), chromedp.WaitVisible("#qa-work"))
	b.do("calibrating on its call", chromedp.WaitVisible("#qa-calibrate"), chromedp.Click("#qa-calibrate"), chromedp.WaitVisible("#calibration"))
	if call, agent := eval[string](b, `document.querySelector("#cal-new input[name=call_id]").value`), eval[string](b, `document.querySelector("#cal-new input[name=agent]").value`); call != "call-r1" || agent != "1001" {
		t.Errorf("the form is filled in with call %q, agent %q; want r1's call-r1, 1001", call, agent)
	}
	b.do("starting a calibration with one reviewer", chromedp.Click(`#cal-reviewers input[value="qiu"]`), chromedp.Click("#cal-create"))
	b.untilContains("#flash", "two reviewers")
	b.do("starting a calibration", chromedp.Click(`#cal-reviewers input[value="qa2"]`), chromedp.Click("#cal-create"))
	b.until("the calibration created", `!!document.body.dataset.calCreated`, `document.getElementById("flash").textContent`)
	id, err := strconv.ParseInt(eval[string](b, `document.body.dataset.calCreated`), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	row := fmt.Sprintf(`#cal-all tr[data-calibration="%d"]`, id)
	b.untilContains(row+" .cal-progress-cell", "已提交 0/2")
	if !b.visible("#cal-mine-none") {
		t.Error("the organiser, not a reviewer, has calibrations waiting")
	}

	// qiu scores it (and comments on the recording), then sees the report
	// blind until qa2 has submitted.
	b.do("signing out", chromedp.Click("#signout"), chromedp.WaitVisible("#signin"))
	b.open(r.ts.URL, "qiu")
	b.calibrationTab()
	qiuRow := fmt.Sprintf(`#cal-mine tr[data-calibration="%d"]`, id)
	b.until("qiu's calibration waiting", `!!document.querySelector('`+qiuRow+`')`, `document.querySelector("#cal-mine tbody").textContent`)
	b.do("scoring it", chromedp.Click(qiuRow+` button[data-score]`), chromedp.WaitVisible("#qa-work"))
	b.untilContains("#qa-title", "盲评")
	if b.visible("#qa-calibrate") {
		t.Error("a QA reviewer is offered to start a calibration")
	}
	b.do("commenting", chromedp.SendKeys("#qa-comment-body", "开场白不完整"), chromedp.Click("#qa-comment-add"))
	b.until("the comment on the timeline", `!!document.querySelector("#qa-comment-marks .qa-comment-mark")`, `document.getElementById("qa-comments").textContent`)
	b.do("back", chromedp.Click("#qa-back"), chromedp.WaitVisible("#calibration"))
	qiu := b.scoreCalibration(id, map[string]string{"greeting": "no"})
	b.untilContains(row+" .cal-progress-cell", "已提交 1/2")
	b.do("the progress", chromedp.Click(row+" button[data-report]"), chromedp.WaitVisible("#cal-report"))
	b.untilContains("#cal-blind", "qa2")
	if b.visible("#cal-result") {
		t.Error("a reviewer sees the report before every reviewer has submitted")
	}
	if got := eval[[]string](b, `[...document.querySelectorAll("#cal-progress .cal-who")].map(w => w.dataset.reviewer + ":" + w.dataset.submitted)`); !slices.Equal(got, []string{"qa2:false", "qiu:true"}) {
		t.Errorf("the progress: %q", got)
	}

	// qa2 scores it otherwise, blind: nothing of qiu's is shown.
	b.do("signing out", chromedp.Click("#signout"), chromedp.WaitVisible("#signin"))
	b.open(r.ts.URL, "qa2")
	b.calibrationTab()
	qa2Row := fmt.Sprintf(`#cal-mine tr[data-calibration="%d"]`, id)
	b.until("qa2's calibration waiting", `!!document.querySelector('`+qa2Row+`')`, `document.querySelector("#cal-mine tbody").textContent`)
	b.do("opening it", chromedp.Click(qa2Row+` button[data-score]`), chromedp.WaitVisible("#qa-work"))
	b.until("the waveform drawn", `Number(document.getElementById("qa-wave").dataset.drawn) > 100`, `document.getElementById("qa-wave").dataset.drawn`)
	b.untilText("#qa-state", "草稿")
	if n := eval[int](b, `document.querySelectorAll("#qa-comments li").length`); n != 0 || strings.Contains(b.text("#qa-history"), "qiu") {
		t.Errorf("qa2 sees qiu's work: %d comments, history %q", n, b.text("#qa-history"))
	}
	if got := eval[string](b, `document.querySelector('.qa-item[data-item="greeting"]').dataset.answer`); got != "" {
		t.Errorf("qa2's greeting is already answered %q", got)
	}
	b.do("back", chromedp.Click("#qa-back"), chromedp.WaitVisible("#calibration"))
	qa2 := b.scoreCalibration(id, map[string]string{"anything_else": "no", "satisfaction": "2", "caller_hung_up_first": "no"})

	// What evaluation.Calibrate makes of the two.
	var all []evaluation.Scored
	for _, s := range []struct {
		who string
		a   scorecard.Answers
	}{{"qa2", qa2}, {"qiu", qiu}} {
		res, err := card.Score(s.a)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, evaluation.Scored{Reviewer: s.who, Answers: s.a, Result: res})
	}
	want := evaluation.Calibrate(card, all)
	if want.ScoreSpread == 0 || want.Agreement == 1 {
		t.Fatalf("the reviewers agree: %+v", want)
	}

	// The report, for qa2 now, and for the supervisor.
	checkReport := func() {
		t.Helper()
		b.until("the report", `document.getElementById("cal-report").dataset.complete === "true"`, `document.getElementById("cal-blind").textContent + document.getElementById("flash").textContent`)
		num := func(sel string) float64 {
			return eval[float64](b, `Number(document.getElementById("`+sel+`").dataset.value)`)
		}
		if num("cal-mean") != want.MeanScore || num("cal-spread") != want.ScoreSpread || num("cal-agreement") != want.Agreement {
			t.Errorf("mean %v, spread %v, agreement %v; want %v, %v, %v", num("cal-mean"), num("cal-spread"), num("cal-agreement"), want.MeanScore, want.ScoreSpread, want.Agreement)
		}
		if got := b.text("#cal-mean"); got != fmt.Sprintf("%.1f", want.MeanScore) {
			t.Errorf("the mean reads %q", got)
		}
		type itemRow struct {
			Item, Consensus string
			Agreement       float64
			Low             bool
		}
		items := eval[[]itemRow](b, `[...document.querySelectorAll("#cal-items tbody tr")].map(r => ({Item: r.dataset.item, Consensus: r.dataset.consensus,
			Agreement: Number(r.dataset.agreement), Low: r.dataset.low === "true" && r.classList.contains("low")}))`)
		if len(items) != len(want.Items) {
			t.Fatalf("%d items in the report, want %d", len(items), len(want.Items))
		}
		low := 0
		for i, w := range want.Items {
			g := items[i]
			if g.Item != w.Item || g.Consensus != w.Consensus || g.Agreement != w.Agreement || g.Low != (w.Agreement < 0.75) {
				t.Errorf("item %s: %+v, want %+v", w.Item, g, w)
			}
			if g.Low {
				low++
			}
		}
		ties := 0
		for _, w := range want.Items {
			if w.Consensus == "" {
				ties++
			}
		}
		if got := eval[string](b, `document.getElementById("cal-ties").dataset.count`); got != strconv.Itoa(ties) || (ties > 0) != b.visible("#cal-ties") {
			t.Errorf("the items without consensus: %s shown, want %d", got, ties)
		}
		if low != 4 { // greeting, anything_else, satisfaction, caller_hung_up_first: one each
			t.Errorf("%d items marked low, want the 4 the reviewers answered apart", low)
		}
		type revRow struct {
			Reviewer, Differs string
			Score, Deviation  float64
		}
		revs := eval[[]revRow](b, `[...document.querySelectorAll("#cal-reviewers-table tbody tr")].map(r => ({Reviewer: r.dataset.reviewer,
			Differs: r.dataset.differs, Score: Number(r.dataset.score), Deviation: Number(r.dataset.deviation)}))`)
		if len(revs) != len(want.Reviewers) {
			t.Fatalf("%d reviewers in the report, want %d", len(revs), len(want.Reviewers))
		}
		for i, w := range want.Reviewers {
			g := revs[i]
			if g.Reviewer != w.Reviewer || g.Score != w.Score || math.Abs(g.Deviation-w.Deviation) > 1e-9 || g.Differs != strings.Join(w.Disagrees, " ") {
				t.Errorf("reviewer %s: %+v, want %+v", w.Reviewer, g, w)
			}
		}
	}
	b.until("qa2's progress", `(document.querySelector('`+row+` .cal-progress-cell')?.textContent ?? "").includes("已提交 2/2")`, `document.querySelector("#cal-all tbody").textContent`)
	b.do("qa2 reads the report", chromedp.Click(row+" button[data-report]"), chromedp.WaitVisible("#cal-report"))
	checkReport()

	b.do("signing out", chromedp.Click("#signout"), chromedp.WaitVisible("#signin"))
	b.open(r.ts.URL, "wang")
	b.calibrationTab()
	b.untilContains(row+" .cal-progress-cell", "已提交 2/2")
	b.do("the supervisor reads the report", chromedp.Click(row+" button[data-report]"), chromedp.WaitVisible("#cal-report"))
	checkReport()
	b.untilContains(`#cal-items tr[data-item="greeting"] td:nth-child(2)`, "无共识")
	b.screenshot("calibration.png")

	b.setLanguage("en")
	b.untilContains("#cal-title", "Calibration #")
	b.untilContains(`#cal-items tr[data-item="greeting"] td:nth-child(2)`, "No consensus")
	b.untilText(`#cal-items thead th:nth-child(3)`, "Agreement")
}
