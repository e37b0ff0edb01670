package console_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
	"github.com/hotline-ivr/hotline/store"
)

// speech is d of a tone swelling and fading like syllables (a caller's or
// an agent's turn), or of silence when freq is 0.
func speech(d time.Duration, freq float64) []int16 {
	if freq == 0 {
		return make([]int16, media.SamplesFor(d))
	}
	out := media.Tone(d, 0.5, freq)
	for i := range out {
		at := float64(i) / 8000
		out[i] = int16(float64(out[i]) * (0.3 + 0.7*math.Abs(math.Sin(math.Pi*3.3*at)*math.Sin(math.Pi*0.7*at+1))))
	}
	return out
}

// qaCall stores a 12 s conversation of agent 1001 (call-r1, recording r1)
// with its call record (the caller hung up first, one 2 s hold, CSAT 4),
// markers (the hold from 2 s to 4 s, a PCI pause from 6 s to 8 s) and
// picks it for review.
func qaCall(r *recEnv, qa *store.QA) {
	t := r.t
	// The caller speaks, then the agent, then both in turn; the agent's
	// side is silent while the caller holds and while the recording
	// pauses.
	left := slices.Concat(speech(2*time.Second, 300), speech(4*time.Second, 0), speech(2*time.Second, 0), speech(2*time.Second, 350), speech(2*time.Second, 0))
	right := slices.Concat(speech(2*time.Second, 0), speech(2*time.Second, 0), speech(2*time.Second, 900), speech(2*time.Second, 0), speech(2*time.Second, 0), speech(2*time.Second, 800))
	start := recT0
	r.exec(`INSERT INTO calls (id, caller, arrived_at, queue, queued_at, agent_id, agent_answered_at, ended_at, hung_up_by, holds, hold_time, transfers)
		VALUES ('call-r1', '13800138001', $1, 'support', $1, '1001', $1, $2, 'caller', 1, '2s', 0)`, start, start.Add(12*time.Second))
	r.exec(`INSERT INTO survey_answers (call_id, question, score, at) VALUES ('call-r1', 'csat', 4, $1)`, start.Add(13*time.Second))
	r.add(rec{id: "r1", agent: "1001", caller: "13800138001", queue: "support", length: 12 * time.Second, audio: stereo(left, right)})
	r.marker("r1", 1, start.Add(2*time.Second), "hold", "1001", "", nil)
	r.marker("r1", 2, start.Add(4*time.Second), "unhold", "1001", "", nil)
	r.marker("r1", 3, start.Add(6*time.Second), "pci_pause", "1001", "客户提供银行卡信息", nil)
	r.marker("r1", 4, start.Add(8*time.Second), "pci_resume", "1001", "客户提供银行卡信息", nil)
	if n, err := qa.AddPicks(t.Context(), []evaluation.Pick{{CallID: "call-r1", Agent: "1001", Reasons: []string{evaluation.ReasonRandom}}}); err != nil || n != 1 {
		t.Fatalf("picking call-r1: %d, %v", n, err)
	}
}

// pageAnswers are the answers checked on the page's scorecard.
func pageAnswers(b *browser) scorecard.Answers {
	b.t.Helper()
	var out scorecard.Answers
	s := eval[string](b, `JSON.stringify(Object.fromEntries([...document.querySelectorAll("#qa-card input:checked")].map(i => [i.name, i.value])))`)
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		b.t.Fatal(err)
	}
	return out
}

// answer checks an answer on the page's scorecard, as a person clicks it
// (a click in the page, again until the item has the answer: a click
// from outside can land on a node the page has just drawn anew).
func (b *browser) answer(item, value string) {
	b.t.Helper()
	b.until("answering "+item+" "+value, fmt.Sprintf(`(() => {
		const input = document.querySelector('#qa-card input[name=%q][value=%q]');
		if (!input || input.disabled) return false;
		if (!input.checked) input.click();
		return document.querySelector('#qa-card .qa-item[data-item=%q]')?.dataset.answer === %q;
	})()`, item, value, item, value), fmt.Sprintf(`document.querySelector('#qa-card .qa-item[data-item=%q]')?.dataset.answer`, item))
}

// wantScore waits for the page's score and grade to be what
// scorecard.Score makes of the answers checked, in lang.
func (b *browser) wantScore(lang string) scorecard.Result {
	b.t.Helper()
	res, err := scorecard.Standard().Score(pageAnswers(b))
	if err != nil {
		b.t.Fatalf("the page's answers: %v", err)
	}
	b.untilText("#qa-score", fmt.Sprintf("%.1f", res.Score))
	b.untilText("#qa-grade", res.Grade.Label(lang))
	return res
}

// TestBrowserReview: a QA reviewer opens a recording found by the search
// on the review page, releases a call it claimed, and starts from the
// review queue the
// evaluation of a call: the suggested answers are filled in with their
// reasons; the recording's two channels are drawn with the hold and the
// PCI gap shaded and the events under them; the reviewer seeks by
// clicking the waveform and an event, answers (an N/A, an auto-fail and back, an override
// of a suggestion) and sees the score and grade follow scorecard.Score,
// adds a timed comment that appears on the timeline, plays at 1.5×, and
// submits. The agent sees it read-only in "my evaluations" and disputes
// it, and acknowledges another (not recorded); a supervisor finds the dispute and re-scores it; the history shows
// every step.
func TestBrowserReview(t *testing.T) {
	q := newQAEnv(t)
	r := q.recEnv
	qaCall(r, q.qa)
	card := scorecard.Standard()
	// A second call of 1001's, not recorded, which qiu has started through
	// the API.
	q.call("call-r2", "1001", recT0.Add(time.Hour))
	qiu := r.login("qiu")
	var second console.EvaluationView
	r.must(http.StatusOK, "POST", "/api/qa/queue/call-r2/1001/start", qiu, "", &second)

	b := newBrowser(t)
	b.open(r.ts.URL, "qiu")
	if !b.visible("#review") || !b.visible("#qa-queue-card") {
		t.Fatal("a QA reviewer does not land on the review queue")
	}
	// A recording found by the search opens on the review page, without
	// a scorecard.
	b.tab("recordings", "#rec-form")
	b.do("the recordings of support", chromedp.SendKeys(`#rec-form input[name=queue]`, "support"), chromedp.Click(`#rec-form button[type=submit]`))
	b.do("reviewing r1", chromedp.Click(`tr[data-recording="r1"] button[data-review]`), chromedp.WaitVisible("#qa-work"))
	b.until("r1's waveform", `Number(document.getElementById("qa-wave").dataset.drawn) > 100`, `document.getElementById("qa-wave").dataset.drawn`)
	if b.visible("#qa-card") || b.text("#qa-title") != "录音 r1" || !b.visible(`#qa-timeline .qa-mark[data-kind="hold"]`) {
		t.Errorf("the recording opened from the search: title %q, scorecard shown %v", b.text("#qa-title"), b.visible("#qa-card"))
	}
	b.do("back to the lists", chromedp.Click("#qa-back"), chromedp.WaitVisible("#qa-lists"))
	// qiu gives up call-r2's claim from the queue.
	b.until("call-r2 claimed by qiu", `!!document.querySelector('#qa-queue tr[data-call="call-r2"] button[data-release]')`, `document.querySelector("#qa-queue tbody").textContent`)
	b.do("releasing call-r2", chromedp.Click(`#qa-queue tr[data-call="call-r2"] button[data-release]`))
	b.until("call-r2 unclaimed", `!document.querySelector('#qa-queue tr[data-call="call-r2"] button[data-release]')`, `document.querySelector("#qa-queue tbody").textContent`)
	if got := b.text(`#qa-queue tr[data-call="call-r2"] td:nth-child(5)`); got != "" {
		t.Errorf("call-r2 still claimed by %q after the release", got)
	}
	b.until("call-r1 in the queue", `!!document.querySelector('#qa-queue tr[data-call="call-r1"]')`, `document.querySelector("#qa-queue tbody").textContent`)
	if got := b.text(`#qa-queue tr[data-call="call-r1"] td:nth-child(3)`); got != "随机抽检" {
		t.Errorf("the reason reads %q", got)
	}
	b.do("starting the evaluation", chromedp.Click(`#qa-queue tr[data-call="call-r1"] button[data-start]`), chromedp.WaitVisible("#qa-work"))
	b.until("the scorecard", fmt.Sprintf(`document.querySelectorAll("#qa-card .qa-item").length === %d`, len(card.Items())), `document.querySelectorAll("#qa-card .qa-item").length`)
	b.untilText("#qa-state", "草稿")

	// The suggestions, filled in with why.
	for item, want := range map[string]string{"caller_hung_up_first": "yes", "holds": "yes", "transfers": "yes", "satisfaction": "4"} {
		sel := fmt.Sprintf(`#qa-card .qa-item[data-item=%q]`, item)
		if got := eval[string](b, `document.querySelector('`+sel+`').dataset.answer`); got != want {
			t.Errorf("%s filled in with %q, want the suggested %q", item, got, want)
		}
		if got := eval[string](b, `document.querySelector('`+sel+` .qa-suggestion')?.dataset.suggested ?? ""`); got != want {
			t.Errorf("%s shows the suggestion %q, want %q", item, got, want)
		}
		if why := b.text(sel + " .qa-suggestion"); !strings.Contains(why, "—") || strings.HasSuffix(strings.TrimSpace(why), "—") {
			t.Errorf("%s's suggestion has no reason: %q", item, why)
		}
	}
	if b.visible(`.qa-item[data-item="greeting"] .qa-suggestion`) {
		t.Error("the greeting (a human item) has a suggestion")
	}
	if !b.visible(`.qa-item[data-item="forbidden_wording"] .qa-autofail-item`) || b.visible(`.qa-item[data-item="greeting"] .qa-autofail-item`) {
		t.Error("the auto-fail items are not the ones marked")
	}

	// The recording: both lanes drawn, the hold and the PCI gap shaded,
	// the markers on the timeline.
	b.until("the audio loaded", `document.getElementById("qa-audio").readyState >= 1`, `document.getElementById("qa-audio").error?.message ?? document.getElementById("qa-audio").readyState`)
	b.until("the waveform drawn", `Number(document.getElementById("qa-wave").dataset.drawn) > 100`, `document.getElementById("qa-wave").dataset.drawn`)
	shades := eval[[]string](b, `[...document.querySelectorAll("#qa-shades .qa-shade")].map(s => s.className + " " + s.dataset.from + "-" + s.dataset.to)`)
	if !slices.Equal(shades, []string{"qa-shade hold 2-4", "qa-shade pci 6-8"}) {
		t.Errorf("shaded %q, want the hold 2-4 s and the PCI gap 6-8 s", shades)
	}
	// The caller's lane is loud in its first 2 s, the agent's silent then.
	lanes := eval[[]int](b, `(() => { const c = document.getElementById("qa-wave"), g = c.getContext("2d");
		const px = (y) => g.getImageData(Math.round(c.width * 0.08), Math.round(c.height * y), 1, 1).data[3];
		return [px(0.25), px(0.75)]; })()`)
	if lanes[0] == 0 || lanes[1] != 0 {
		t.Errorf("at 1 s the lanes' middle pixels are %v: want the caller's drawn and the agent's empty", lanes)
	}
	// Clicking the waveform at 3.5 s of 12 seeks there.
	at := eval[[]float64](b, `(() => { const r = document.getElementById("qa-wave").getBoundingClientRect(); return [r.left + r.width * 3.5 / 12, r.top + r.height / 4]; })()`)
	b.do("clicking the waveform", chromedp.MouseClickXY(at[0], at[1]))
	b.until("the player at 3.5 s", `Math.abs(document.getElementById("qa-audio").currentTime - 3.5) < 0.1`, `document.getElementById("qa-audio").currentTime`)
	b.untilText("#qa-time", "0:03 / 0:12")
	b.do("seeking to the end of the PCI gap", chromedp.Click(`#qa-timeline .qa-mark[data-kind="pci_resume"]`))
	b.until("the player at 8 s", `Math.abs(document.getElementById("qa-audio").currentTime - 8) < 0.05`, `document.getElementById("qa-audio").currentTime`)
	b.untilText("#qa-time", "0:08 / 0:12")

	// Answers: the human items yes, the complaint N/A, and the score.
	for _, item := range []string{"greeting", "agent_id", "forbidden_wording", "privacy", "anything_else", "hold_time", "dead_air", "first_contact"} {
		b.answer(item, "yes")
	}
	b.answer("complaint_registered", "na")
	// Everything yes but CSAT 4 (8 of its 10): 88 of the 90 that apply.
	res := b.wantScore("zh")
	if res.Score != 97.8 || b.text("#qa-pending") != "" {
		t.Errorf("every item yes or N/A, CSAT 4, scores %v (pending %q), want 97.8", res.Score, b.text("#qa-pending"))
	}
	// An auto-fail: forbidden wording scores the call 0.
	b.answer("forbidden_wording", "no")
	if res := b.wantScore("zh"); res.Score != 0 || !b.visible("#qa-autofail") {
		t.Errorf("forbidden wording: %v, auto-fail shown %v", res.Score, b.visible("#qa-autofail"))
	}
	b.answer("forbidden_wording", "yes")
	// Overriding suggestions: CSAT 4 read as 2, the caller as hanging up
	// last: 90 - 5 (hung up) - 10×3/5 (CSAT) out of the 90 that apply,
	// 87.8: ★★★.
	b.answer("satisfaction", "2")
	b.answer("caller_hung_up_first", "no")
	res = b.wantScore("zh")
	if want := math.Round(1000*(90-5-6)/90.0) / 10; res.Score != want || res.Score != 87.8 || res.Grade != scorecard.ThreeStars {
		t.Errorf("score %v (%s), want %v ★★★", res.Score, res.Grade, want)
	}
	if !b.visible(`.qa-item[data-item="satisfaction"] .qa-override`) || b.visible(`.qa-item[data-item="holds"] .qa-override`) {
		t.Error("the override is not marked on the item answered otherwise than suggested (only)")
	}

	// A timed comment at the player's time, placed on the timeline.
	b.do("commenting", chromedp.SendKeys("#qa-comment-body", "打断了客户"), chromedp.Click("#qa-comment-add"))
	b.until("the comment on the timeline", `!!document.querySelector("#qa-comment-marks .qa-comment-mark")`, `document.getElementById("qa-comments").textContent`)
	if off := eval[float64](b, `Number(document.querySelector("#qa-comment-marks .qa-comment-mark").dataset.offset)`); math.Abs(off-8) > 0.05 {
		t.Errorf("the comment is at %v s, want the player's 8 s", off)
	}
	if left := eval[string](b, `document.querySelector("#qa-comment-marks .qa-comment-mark").style.left`); !strings.HasPrefix(left, "66.6") {
		t.Errorf("the comment mark is at %s of the timeline, want 8 s of 12", left)
	}
	var comments struct {
		Comments []struct {
			OffsetSeconds float64 `json:"offset_seconds"`
			Author, Body  string
			EvaluationID  int64 `json:"evaluation_id"`
		} `json:"comments"`
	}
	r.must(http.StatusOK, "GET", "/api/recordings/r1/comments", r.login("qiu"), "", &comments)
	if len(comments.Comments) != 1 || comments.Comments[0].Body != "打断了客户" || comments.Comments[0].Author != "qiu" || comments.Comments[0].EvaluationID == 0 {
		t.Errorf("stored comments %+v", comments.Comments)
	}

	// Play at 1.5×: the player runs on from 8 s.
	b.do("1.5×", chromedp.Click(`#qa-speeds button[data-rate="1.5"]`))
	if rate := eval[float64](b, `document.getElementById("qa-audio").playbackRate`); rate != 1.5 || eval[string](b, `document.querySelector('#qa-speeds button[data-rate="1.5"]').getAttribute("aria-pressed")`) != "true" {
		t.Errorf("playback rate %v after 1.5×", rate)
	}
	b.do("playing", chromedp.Click("#qa-play"))
	b.until("the player running", `!document.getElementById("qa-audio").paused && document.getElementById("qa-audio").currentTime > 8.3`,
		`document.getElementById("qa-audio").currentTime + " " + document.getElementById("qa-audio").paused`)
	b.untilText("#qa-play", "暂停")
	b.do("pausing", chromedp.Click("#qa-play"))
	b.screenshot("review.png")

	b.do("submitting", chromedp.Click(`[data-qa-act="submit"]`))
	b.untilText("#qa-state", "已提交")
	if b.visible(`[data-qa-act="submit"]`) || !eval[bool](b, `[...document.querySelectorAll("#qa-card input")].every(i => i.disabled)`) {
		t.Error("a submitted evaluation can still be changed by its reviewer")
	}
	b.untilContains(`#qa-history li[data-action="submit"]`, "qiu")
	first := eval[string](b, `document.getElementById("qa-work").dataset.evaluation`)

	// call-r2 scored and submitted through the API (its claim is taken
	// again).
	r.must(http.StatusOK, "POST", "/api/qa/queue/call-r2/1001/start", qiu, "", &second)
	r.must(http.StatusOK, "POST", fmt.Sprintf("/api/qa/evaluations/%d/submit", second.ID), qiu, answersJSON(t, "", answers(nil)), &second)

	// The agent: "my evaluations", read-only, disputed with a comment.
	b.do("signing out", chromedp.Click("#signout"), chromedp.WaitVisible("#signin"))
	b.open(r.ts.URL, "lilei")
	b.tab("review", "#review")
	if b.visible("#qa-queue-card") {
		t.Error("an agent sees the review queue")
	}
	b.untilText("#qa-evals-title", "我的质检结果")
	b.until("the agent's two evaluations", `document.querySelectorAll("#qa-evals tbody tr").length === 2`, `document.querySelector("#qa-evals tbody").textContent`)
	// call-r2, not recorded: acknowledged.
	b.do("opening call-r2's", chromedp.Click(fmt.Sprintf(`#qa-evals tr[data-evaluation="%d"] button[data-open]`, second.ID)), chromedp.WaitVisible("#qa-work"))
	b.do("no recording", chromedp.WaitVisible("#qa-no-recording"))
	b.untilText("#qa-score", "100.0")
	b.do("acknowledging", chromedp.Click(`[data-qa-act="acknowledge"]`))
	b.untilText("#qa-state", "已确认")
	if b.visible("#qa-actions") {
		t.Error("actions offered on an acknowledged evaluation")
	}
	b.do("back to the lists", chromedp.Click("#qa-back"), chromedp.WaitVisible("#qa-lists"))
	b.until("call-r2's acknowledged", fmt.Sprintf(`document.querySelector('#qa-evals tr[data-evaluation="%d"]')?.dataset.state === "acknowledged"`, second.ID), `document.querySelector("#qa-evals tbody").textContent`)
	b.do("opening call-r1's", chromedp.Click(`#qa-evals tr[data-evaluation="`+first+`"] button[data-open]`), chromedp.WaitVisible("#qa-work"))
	b.until("the scorecard", fmt.Sprintf(`document.querySelectorAll("#qa-card .qa-item").length === %d`, len(card.Items())), `document.querySelectorAll("#qa-card .qa-item").length`)
	b.wantScore("zh")
	// The page draws the actions once it has the evaluation's state.
	b.until("the agent's view read-only with acknowledge and dispute", `[...document.querySelectorAll("#qa-card input")].every(i => i.disabled) &&
		document.querySelector('[data-qa-act="acknowledge"]')?.offsetParent != null &&
		document.querySelector('[data-qa-act="rescore"]')?.offsetParent == null`, `document.getElementById("qa-actions")?.outerHTML`)
	b.until("the comment shown to the agent", `!!document.querySelector("#qa-comment-marks .qa-comment-mark")`, `document.getElementById("qa-comments").textContent`)
	if b.visible("#qa-comment-form") {
		t.Error("an agent is offered to add comments")
	}
	b.do("disputing without a reason", chromedp.Click(`[data-qa-act="dispute"]`), chromedp.WaitVisible("#flash"))
	b.do("disputing", chromedp.SendKeys("#qa-act-comment", "客户先挂的机，系统记录有误"), chromedp.Click(`[data-qa-act="dispute"]`))
	b.until("disputed", `document.getElementById("qa-state").textContent === "申诉中"`, `document.getElementById("qa-state").textContent + " " + document.getElementById("flash").textContent`)
	b.untilContains(`#qa-history li[data-action="dispute"]`, "系统记录有误")

	// A supervisor: the disputed ones, re-scored with a comment.
	b.do("signing out", chromedp.Click("#signout"), chromedp.WaitVisible("#signin"))
	b.open(r.ts.URL, "wang")
	b.tab("review", "#review")
	b.until("the disputed evaluation", `document.querySelectorAll('#qa-evals tbody tr[data-state="disputed"]').length === 1`, `document.querySelector("#qa-evals tbody").textContent`)
	b.do("opening it", chromedp.Click(`#qa-evals tbody button[data-open]`), chromedp.WaitVisible("#qa-work"))
	b.until("the scorecard", fmt.Sprintf(`document.querySelectorAll("#qa-card .qa-item").length === %d`, len(card.Items())), `document.querySelectorAll("#qa-card .qa-item").length`)
	if !b.visible(`[data-qa-act="uphold"]`) || !b.visible(`[data-qa-act="rescore"]`) {
		t.Error("a supervisor is not offered uphold and re-score on a dispute")
	}
	b.answer("caller_hung_up_first", "yes")
	res = b.wantScore("zh")
	b.do("re-scoring", chromedp.SendKeys("#qa-act-comment", "核实：客户先挂机"), chromedp.Click(`[data-qa-act="rescore"]`))
	b.untilText("#qa-state", "已重新评分")
	if got := eval[[]string](b, `[...document.querySelectorAll("#qa-history li")].map(l => l.dataset.action)`); !slices.Contains(got, "submit") || !slices.Contains(got, "dispute") || got[len(got)-1] != "rescore" {
		t.Errorf("history %v, want submit, dispute, then rescore", got)
	}
	var ev struct {
		State string   `json:"state"`
		Score *float64 `json:"score"`
	}
	r.must(http.StatusOK, "GET", "/api/qa/evaluations/"+first, r.login("wang"), "", &ev)
	if ev.State != "rescored" || ev.Score == nil || *ev.Score != res.Score {
		t.Errorf("stored: %s, score %v; want rescored at the page's %v", ev.State, ev.Score, res.Score)
	}

	b.setLanguage("en")
	b.untilText("#qa-state", "Re-scored")
	b.untilText("#qa-grade", res.Grade.Label("en"))
	b.untilContains(`.qa-item[data-item="satisfaction"] .qa-suggestion`, "Suggested: 4")
}
