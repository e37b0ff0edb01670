package console_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/media"
	"github.com/hotline-ivr/hotline/recordings"
)

// searchFixture stores five recordings, newest last: r4 is agent 1002's,
// taken over by 1001 after a transfer (an "agent" marker).
func searchFixture(r *recEnv) {
	r.add(rec{id: "r1", agent: "1001", caller: "13800138001", queue: "support", outcome: "queued", length: 60 * time.Second, csat: 5})
	r.add(rec{id: "r2", agent: "1002", caller: "13900139002", queue: "complaints", outcome: "transferred", start: time.Hour, length: 180 * time.Second, pci: 1, csat: 2})
	r.add(rec{id: "r3", agent: "1001", caller: "13900139002", hotline: "4008005678", queue: "support", outcome: "queued", start: 2 * time.Hour, length: 30 * time.Second, pci: 2})
	r.add(rec{id: "r4", agent: "1002", caller: "13800138001", hotline: "4008005678", queue: "support", outcome: "abandoned", start: 3 * time.Hour, length: 90 * time.Second, csat: 4})
	r.add(rec{id: "r5", agent: "1003", caller: "13700137000", queue: "support", outcome: "queued", start: 24 * time.Hour, length: 120 * time.Second})
	r.marker("r4", 1, recT0.Add(3*time.Hour+30*time.Second), "transfer", "1002", "", map[string]any{"to": "1001"})
	r.marker("r4", 2, recT0.Add(3*time.Hour+31*time.Second), "agent", "1001", "", nil)
}

// TestRecordingSearch: every filter of GET /api/recordings, keyset paging,
// and the 400s of bad parameters.
func TestRecordingSearch(t *testing.T) {
	r := newRecEnv(t)
	searchFixture(r)
	boss := r.login("boss")
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{"r5", "r4", "r3", "r2", "r1"}},
		{"from=2026-11-02T09:30:00%2B08:00&to=2026-11-02T05:30:00Z", []string{"r4", "r3", "r2", "r1"}},
		{"hotline=4008005678", []string{"r4", "r3"}},
		{"queue=complaints", []string{"r2"}},
		{"agent=1001", []string{"r4", "r3", "r1"}}, // r4 by its transfer segment
		{"agent=1002", []string{"r4", "r2"}},
		{"caller=13800138001", []string{"r4", "r1"}},
		{"outcome=queued", []string{"r5", "r3", "r1"}},
		{"min_duration=90s", []string{"r5", "r4", "r2"}},
		{"max_duration=60", []string{"r3", "r1"}},
		{"min_duration=1m&max_duration=100s", []string{"r4", "r1"}},
		{"pci_pause=true", []string{"r3", "r2"}},
		{"pci_pause=false", []string{"r5", "r4", "r1"}},
		{"min_csat=4", []string{"r4", "r1"}},
		{"max_csat=2", []string{"r2"}},
		{"queue=support&outcome=queued&agent=1001", []string{"r3", "r1"}},
		{"state=deleted", nil},
	} {
		got, _ := r.search(boss, c.query)
		wantIDs(t, "search "+c.query, got, c.want...)
	}

	var pages [][]string
	after := ""
	for range 5 {
		ids, next := r.search(boss, "limit=2&after="+after)
		pages = append(pages, ids)
		if next == "" {
			break
		}
		after = next
	}
	if fmt.Sprint(pages) != "[[r5 r4] [r3 r2] [r1]]" {
		t.Errorf("pages of 2: %v, want [[r5 r4] [r3 r2] [r1]]", pages)
	}

	for _, q := range []string{"min_csat=9", "from=yesterday", "colour=blue", "min_duration=2m&max_duration=1m",
		"pci_pause=maybe", "after=not-a-cursor", "limit=100000", "state=lost", "hotline=" + strings.Repeat("9", 3000)} {
		res := r.do("GET", "/api/recordings?"+q, boss, "")
		if res.status != http.StatusBadRequest {
			t.Errorf("search %s: %d %s, want 400", q, res.status, res.body)
		}
	}

	// The view: what a manager sees of r2.
	var page console.RecordingPage
	r.must(http.StatusOK, "GET", "/api/recordings?queue=complaints", boss, "", &page)
	v := page.Recordings[0]
	if v.Caller != "13900139002" || v.CallerMasked || v.Outcome != "transferred" || v.CSAT != 2 || v.PCIPauses != 1 ||
		v.DurationSeconds != 180 || v.State != "cleaned" || v.Audio != "/api/recordings/r2/audio" || v.Download != "/api/recordings/r2/download" {
		t.Errorf("r2 as a manager sees it: %+v", v)
	}
}

// TestRecordingRoles: an agent finds and hears only the recordings of its
// own calls (a transfer segment included), with callers masked; QA
// reviewers hear all, masked; managers and supervisors see the numbers.
// Every refusal is a 403 and an audit row "denied".
func TestRecordingRoles(t *testing.T) {
	r := newRecEnv(t)
	searchFixture(r)
	lilei, hanmei, qiu, boss, wang := r.login("lilei"), r.login("hanmei"), r.login("qiu"), r.login("boss"), r.login("wang")

	ids, _ := r.search(lilei, "")
	wantIDs(t, "agent 1001's search", ids, "r4", "r3", "r1")
	ids, _ = r.search(lilei, "agent=1001&queue=support")
	wantIDs(t, "agent 1001's search of its own by name", ids, "r4", "r3", "r1")
	ids, _ = r.search(hanmei, "")
	wantIDs(t, "agent 1002's search", ids, "r4", "r2")
	ids, _ = r.search(qiu, "")
	wantIDs(t, "QA's search", ids, "r5", "r4", "r3", "r2", "r1")

	// The test the issue asks for: agent 1001 asks for agent 1002's
	// recording.
	for _, path := range []string{"/api/recordings/r2", "/api/recordings/r2/audio", "/api/recordings/r2/download", "/api/recordings/r2/timeline"} {
		res := r.do("GET", path, lilei, "")
		if res.status != http.StatusForbidden || !strings.Contains(res.errorMessage(t), "your own calls") {
			t.Errorf("GET %s as agent 1001: %d %s, want 403", path, res.status, res.body)
		}
	}
	denied := r.audit(recordings.AuditQuery{Actor: "lilei", Action: recordings.ActionDenied})
	if len(denied) != 4 {
		t.Fatalf("audit rows of lilei's refusals: %+v, want 4", denied)
	}
	for i, e := range denied {
		if e.Role != "agent" || e.RecordingID != "r2" || e.ClientAddr != "127.0.0.1" || !strings.Contains(e.Detail, "agent \"1001\"") ||
			!strings.Contains(e.Detail, "GET /api/recordings/r2") || e.At.IsZero() {
			t.Errorf("denied row %d: %+v", i, e)
		}
	}
	if got := r.audit(recordings.AuditQuery{RecordingID: "r2", Action: recordings.ActionPlay}); len(got) != 0 {
		t.Errorf("a refused play is audited as a play: %+v", got)
	}

	r.must(http.StatusOK, "GET", "/api/recordings/r4", lilei, "", nil) // its transfer segment
	r.must(http.StatusForbidden, "GET", "/api/recordings/r1/audio", hanmei, "", nil)
	r.must(http.StatusNotFound, "GET", "/api/recordings/nope", lilei, "", nil)

	// Searching another agent's recordings, or by caller without seeing
	// callers, is refused and audited.
	r.must(http.StatusForbidden, "GET", "/api/recordings?agent=1002", lilei, "", nil)
	r.must(http.StatusForbidden, "GET", "/api/recordings?caller=13800138001", qiu, "", nil)
	r.must(http.StatusForbidden, "GET", "/api/recordings?caller=13800138001", lilei, "", nil)
	for _, who := range []string{"lilei", "qiu"} {
		rows := r.audit(recordings.AuditQuery{Actor: who, Action: recordings.ActionDenied})
		if len(rows) == 0 || !strings.Contains(rows[len(rows)-1].Detail, "search") {
			t.Errorf("%s's refused search is not audited: %+v", who, rows)
		}
	}

	// Masking: agents and QA see the last 4 digits; managers and
	// supervisors the number.
	for _, c := range []struct {
		token, caller string
		masked        bool
	}{{lilei, "*******8001", true}, {qiu, "*******8001", true}, {boss, "13800138001", false}, {wang, "13800138001", false}} {
		var v console.RecordingView
		r.must(http.StatusOK, "GET", "/api/recordings/r1", c.token, "", &v)
		if v.Caller != c.caller || v.CallerMasked != c.masked {
			t.Errorf("caller shown as %q (masked %v), want %q", v.Caller, v.CallerMasked, c.caller)
		}
		var page console.RecordingPage
		r.must(http.StatusOK, "GET", "/api/recordings?queue=support&outcome=queued&to=2026-11-02T02:00:00Z", c.token, "", &page)
		if len(page.Recordings) != 1 || page.Recordings[0].Caller != c.caller {
			t.Errorf("caller in the search: %+v, want %q", page.Recordings, c.caller)
		}
	}
	var v console.RecordingView
	r.must(http.StatusOK, "GET", "/api/recordings/r4", boss, "", &v)
	if fmt.Sprint(v.Agents) != "[1002 1001]" {
		t.Errorf("r4's agents: %v, want [1002 1001]", v.Agents)
	}
}

// TestRecordingRange: the audio streams with HTTP Range, as a browser
// seeks: 206 with Content-Range, suffix ranges, If-Range on the ETag, 416
// past the end; the download is an attachment. Each request is audited.
func TestRecordingRange(t *testing.T) {
	r := newRecEnv(t)
	j := r.add(rec{id: "r1", agent: "1001", caller: "13800138001"})
	whole, err := r.bucket.ReadAll(t.Context(), j.BlobKey)
	if err != nil {
		t.Fatal(err)
	}
	size := len(whole)
	lilei := r.login("lilei")

	res := r.do("GET", "/api/recordings/r1/audio", lilei, "")
	if res.status != http.StatusOK || !bytes.Equal(res.body, whole) || res.header.Get("Accept-Ranges") != "bytes" ||
		res.header.Get("Content-Type") != "audio/wav" || res.header.Get("ETag") != `"`+j.SHA256+`"` ||
		!strings.HasPrefix(res.header.Get("Content-Disposition"), "inline") {
		t.Fatalf("whole file: %d, %d bytes, headers %v", res.status, len(res.body), res.header)
	}

	for _, c := range []struct {
		rng        string
		from, to   int // the bytes expected, [from, to)
		contentRng string
	}{
		{"bytes=44-143", 44, 144, fmt.Sprintf("bytes 44-143/%d", size)},
		{"bytes=32044-", 32044, size, fmt.Sprintf("bytes 32044-%d/%d", size-1, size)}, // a seek to 1 s
		{"bytes=-100", size - 100, size, fmt.Sprintf("bytes %d-%d/%d", size-100, size-1, size)},
	} {
		res := r.do("GET", "/api/recordings/r1/audio", lilei, "", "Range", c.rng)
		if res.status != http.StatusPartialContent || res.header.Get("Content-Range") != c.contentRng || !bytes.Equal(res.body, whole[c.from:c.to]) {
			t.Errorf("Range %s: %d, Content-Range %q, %d bytes; want 206, %q and bytes [%d, %d)",
				c.rng, res.status, res.header.Get("Content-Range"), len(res.body), c.contentRng, c.from, c.to)
		}
	}
	res = r.do("GET", "/api/recordings/r1/audio", lilei, "", "Range", fmt.Sprintf("bytes=%d-", size+10))
	if res.status != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("a range past the end: %d, want 416", res.status)
	}
	res = r.do("GET", "/api/recordings/r1/audio", lilei, "", "Range", "bytes=0-9", "If-Range", `"`+j.SHA256+`"`)
	if res.status != http.StatusPartialContent || len(res.body) != 10 {
		t.Errorf("If-Range with the ETag: %d, %d bytes; want 206 and 10", res.status, len(res.body))
	}
	res = r.do("GET", "/api/recordings/r1/audio", lilei, "", "Range", "bytes=0-9", "If-Range", `"another"`)
	if res.status != http.StatusOK || len(res.body) != size {
		t.Errorf("If-Range with another ETag: %d, %d bytes; want 200 and the whole file", res.status, len(res.body))
	}

	res = r.do("GET", "/api/recordings/r1/download", lilei, "")
	if res.status != http.StatusOK || !bytes.Equal(res.body, whole) || res.header.Get("Content-Disposition") != `attachment; filename=r1.wav` {
		t.Errorf("download: %d, %d bytes, Content-Disposition %q", res.status, len(res.body), res.header.Get("Content-Disposition"))
	}

	// Every request is audited, as it is asked (the 416 too: the
	// audit is written before the answer).
	plays := r.audit(recordings.AuditQuery{RecordingID: "r1", Action: recordings.ActionPlay})
	var details []string
	for _, e := range plays {
		if e.Actor != "lilei" || e.Role != "agent" || e.ClientAddr != "127.0.0.1" {
			t.Errorf("play row %+v", e)
		}
		details = append(details, e.Detail)
	}
	want := []string{"whole file", "range bytes=44-143", "range bytes=32044-", "range bytes=-100",
		fmt.Sprintf("range bytes=%d-", size+10), "range bytes=0-9", "range bytes=0-9"}
	if fmt.Sprint(details) != fmt.Sprint(want) {
		t.Errorf("play rows: %q, want %q", details, want)
	}
	if d := r.audit(recordings.AuditQuery{RecordingID: "r1", Action: recordings.ActionDownload}); len(d) != 1 || d[0].Actor != "lilei" {
		t.Errorf("download rows: %+v", d)
	}
}

// TestRecordingTimeline: the call's events within the recording and its
// markers, merged at their offsets from its start, with the waveform
// summary (customer left, agent right), cached after the first request;
// the caller's number in events masked for QA.
func TestRecordingTimeline(t *testing.T) {
	r := newRecEnv(t)
	// 2 s: the customer talks throughout, the agent in the second second.
	audio := stereo(media.Tone(2*time.Second, 0.3, 440), append(media.Silence(time.Second), media.Tone(time.Second, 0.3, 1400)...))
	j := r.add(rec{id: "t1", agent: "1001", caller: "13800138001", length: time.Minute, audio: audio})
	s := j.Start
	r.callEvent(j.CallID, 1, s.Add(-90*time.Second), "arrived", "", map[string]any{"caller": "13800138001"})
	r.callEvent(j.CallID, 2, s.Add(-60*time.Second), "key", "menu", map[string]any{"digit": "*"})
	r.callEvent(j.CallID, 3, s.Add(-30*time.Second), "queue", "support", map[string]any{"queue": "support", "priority": 0})
	r.callEvent(j.CallID, 4, s, "queue", "support", map[string]any{"queue": "support", "result": "answered", "agent": "1001"})
	r.callEvent(j.CallID, 5, s.Add(12*time.Second), "lookup", "order", map[string]any{"caller": "13800138001", "latency_ms": 40})
	r.callEvent(j.CallID, 6, s.Add(61*time.Second), "survey", "csat", map[string]any{"score": 5})
	r.marker("t1", 1, s.Add(1500*time.Millisecond), "agent_id", "1001", "", map[string]any{"agent": "1001"})
	r.marker("t1", 2, s.Add(10*time.Second), "pci_pause", "1001", "card number", nil)
	r.marker("t1", 3, s.Add(25*time.Second), "pci_resume", "1001", "card number taken", nil)
	r.marker("t1", 4, s.Add(30*time.Second), "hold", "1001", "", nil)
	r.marker("t1", 5, s.Add(40*time.Second), "unhold", "1001", "", nil)
	r.marker("t1", 6, s.Add(50*time.Second), "transfer", "1001", "", map[string]any{"to": "1002"})
	r.marker("t1", 7, s.Add(50*time.Second), "agent", "1002", "", nil)
	r.marker("t1", 8, s.Add(time.Minute), "hangup", "caller", "", nil)

	var tl console.TimelineView
	r.must(http.StatusOK, "GET", "/api/recordings/t1/timeline", r.login("boss"), "", &tl)
	var got []string
	for _, e := range tl.Events {
		got = append(got, fmt.Sprintf("%g %s %s %s %s", e.OffsetSeconds, e.Source, e.Kind, e.Actor, e.Reason))
	}
	want := []string{
		"0 call queue  ",
		"1.5 recording agent_id 1001 ",
		"10 recording pci_pause 1001 card number",
		"12 call lookup  ",
		"25 recording pci_resume 1001 card number taken",
		"30 recording hold 1001 ",
		"40 recording unhold 1001 ",
		"50 recording transfer 1001 ",
		"50 recording agent 1002 ",
		"60 recording hangup caller ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if tl.Events[3].Detail["caller"] != "13800138001" || tl.Events[3].Node != "order" || tl.Events[0].Detail["result"] != "answered" {
		t.Errorf("events' details: %+v, %+v", tl.Events[0], tl.Events[3])
	}
	if fmt.Sprint(tl.Recording.Agents) != "[1001 1002]" {
		t.Errorf("agents %v, want [1001 1002]", tl.Recording.Agents)
	}

	w := tl.Waveform
	if w == nil || w.IntervalSeconds != 0.1 || len(w.Left) != 20 || len(w.Right) != 20 {
		t.Fatalf("waveform %+v, want 20 peaks per channel at 0.1 s", w)
	}
	for i := range 20 {
		agent := i >= 10
		if w.Left[i] < 9000 || (w.Right[i] > 9000) != agent || (w.Right[i] == 0) == agent {
			t.Errorf("peaks %d: customer %d, agent %d; want the customer throughout and the agent from 1 s", i, w.Left[i], w.Right[i])
		}
	}
	if ok, err := r.bucket.Exists(t.Context(), recordings.PeaksKey("t1")); err != nil || !ok {
		t.Errorf("the waveform is not cached at %s: %v", recordings.PeaksKey("t1"), err)
	}

	// QA: the same, the caller masked; agent 1002 took part (the
	// transfer), agent 1003 did not.
	var qa console.TimelineView
	r.must(http.StatusOK, "GET", "/api/recordings/t1/timeline", r.login("qiu"), "", &qa)
	if qa.Events[3].Detail["caller"] != "*******8001" || qa.Recording.Caller != "*******8001" || len(qa.Waveform.Left) != 20 {
		t.Errorf("QA's timeline: event %+v, caller %q", qa.Events[3], qa.Recording.Caller)
	}
	r.must(http.StatusOK, "GET", "/api/recordings/t1/timeline", r.login("hanmei"), "", nil)
	if rows := r.audit(recordings.AuditQuery{RecordingID: "t1", Action: recordings.ActionList}); len(rows) != 3 || rows[0].Detail != "timeline" {
		t.Errorf("timeline audit rows: %+v, want 3", rows)
	}
}

// TestRecordingRetention: only administrators hold, release and delete
// (others are refused and audited); a legal hold blocks the retention
// job and a deletion by hand; a deleted recording's audio is gone (410).
func TestRecordingRetention(t *testing.T) {
	r := newRecEnv(t)
	r.add(rec{id: "r1", agent: "1001", caller: "13800138001"})
	r.add(rec{id: "r2", agent: "1001", caller: "13800138001", start: time.Minute})
	root, wang := r.login("root"), r.login("wang")

	r.must(http.StatusForbidden, "POST", "/api/recordings/r1/legal-hold", wang, `{"reason":"complaint"}`, nil)
	r.must(http.StatusForbidden, "DELETE", "/api/recordings/r1", wang, `{"reason":"asked"}`, nil)
	if rows := r.audit(recordings.AuditQuery{Actor: "wang", Action: recordings.ActionDenied}); len(rows) != 2 ||
		rows[0].RecordingID != "r1" || !strings.Contains(rows[0].Detail, "legal hold") || !strings.Contains(rows[1].Detail, "delete") {
		t.Errorf("wang's refusals in the audit: %+v", rows)
	}
	r.must(http.StatusBadRequest, "POST", "/api/recordings/r1/legal-hold", root, `{}`, nil)

	var v console.RecordingView
	r.must(http.StatusOK, "POST", "/api/recordings/r1/legal-hold", root, `{"reason":"court case 2026-118"}`, &v)
	if v.LegalHold == nil || v.LegalHold.By != "root" || v.LegalHold.Reason != "court case 2026-118" {
		t.Errorf("held: %+v", v.LegalHold)
	}
	r.must(http.StatusConflict, "DELETE", "/api/recordings/r1", root, `{"reason":"caller asked for erasure"}`, nil)

	// Both expire; the retention job deletes only the unheld one.
	r.rclock.Advance(31 * 24 * time.Hour)
	if n, err := r.janitor.Sweep(t.Context()); err != nil || n != 1 {
		t.Fatalf("sweep: %d deleted, %v; want 1 (r2)", n, err)
	}
	r.must(http.StatusGone, "GET", "/api/recordings/r2/audio", root, "", nil)
	r.must(http.StatusOK, "GET", "/api/recordings/r1/audio", root, "", nil)

	var released, deleted console.RecordingView
	r.must(http.StatusOK, "POST", "/api/recordings/r1/legal-hold/release", root, `{"reason":"case closed"}`, &released)
	if released.LegalHold != nil {
		t.Errorf("released, still held: %+v", released.LegalHold)
	}
	r.must(http.StatusOK, "DELETE", "/api/recordings/r1", root, `{"reason":"caller asked for erasure"}`, &deleted)
	if deleted.State != "deleted" || deleted.Audio != "" {
		t.Errorf("deleted: %+v", deleted)
	}
	r.must(http.StatusGone, "GET", "/api/recordings/r1/download", root, "", nil)
	var tl console.TimelineView
	r.must(http.StatusOK, "GET", "/api/recordings/r1/timeline", root, "", &tl)
	if tl.Waveform != nil {
		t.Errorf("a deleted recording has a waveform: %+v", tl.Waveform)
	}
	if ok, _ := r.bucket.Exists(t.Context(), recordings.BlobKey("r1")); ok {
		t.Error("r1's audio is still in blob storage")
	}

	var got []string
	for _, e := range r.audit(recordings.AuditQuery{}) {
		if e.Action != recordings.ActionList && e.Action != recordings.ActionPlay && e.Action != recordings.ActionDownload {
			got = append(got, fmt.Sprintf("%s %s %s", e.Actor, e.Action, e.RecordingID))
		}
	}
	want := []string{"wang denied r1", "wang denied r1", "root legal_hold r1", "retention retention_delete r2",
		"root legal_hold_release r1", "root delete r1"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit: %q, want %q", got, want)
	}
}

// TestRecordingAuditAPI: managers and administrators query the audit and
// export it as CSV; the others are refused, and audited.
func TestRecordingAuditAPI(t *testing.T) {
	r := newRecEnv(t)
	r.add(rec{id: "r1", agent: "1001", caller: "13800138001"})
	r.add(rec{id: "r2", agent: "1002", caller: "=cmd|' /C calc'!A0", start: time.Minute})
	lilei, boss := r.login("lilei"), r.login("boss")
	r.must(http.StatusOK, "GET", "/api/recordings/r1/audio", lilei, "", nil)
	r.must(http.StatusForbidden, "GET", "/api/recordings/r2/audio", lilei, "", nil)
	r.must(http.StatusOK, "GET", "/api/recordings?queue=support", boss, "", nil)

	var page console.AuditPage
	r.must(http.StatusOK, "GET", "/api/audit/recordings", boss, "", &page)
	var got []string
	for _, e := range page.Entries {
		got = append(got, fmt.Sprintf("%s/%s/%s/%s", e.Actor, e.Role, e.Action, e.RecordingID))
	}
	if want := "[lilei/agent/play/r1 lilei/agent/denied/r2 boss/manager/list/]"; fmt.Sprint(got) != want {
		t.Errorf("audit: %v, want %s", got, want)
	}
	r.must(http.StatusOK, "GET", "/api/audit/recordings?recording=r2&actor=lilei&action=denied&from=2026-11-01T00:00:00Z", r.login("root"), "", &page)
	if len(page.Entries) != 1 || page.Entries[0].RecordingID != "r2" || page.Entries[0].ClientAddr != "127.0.0.1" {
		t.Errorf("filtered audit: %+v", page.Entries)
	}
	var first, second console.AuditPage
	r.must(http.StatusOK, "GET", "/api/audit/recordings?limit=1", boss, "", &first)
	r.must(http.StatusOK, "GET", fmt.Sprintf("/api/audit/recordings?limit=1&after=%d", first.Next), boss, "", &second)
	if len(first.Entries) != 1 || first.Next != first.Entries[0].Seq || len(second.Entries) != 1 || second.Entries[0].Action != "denied" {
		t.Errorf("audit pages of 1: %+v then %+v", first, second)
	}
	r.must(http.StatusBadRequest, "GET", "/api/audit/recordings?action=peek", boss, "", nil)

	res := r.do("GET", "/api/audit/recordings.csv?actor=lilei", boss, "")
	if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(res.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV: %d %v", res.status, res.header)
	}
	rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(recordings.AuditCSVHeader, ",") ||
		rows[1][2] != "lilei" || rows[1][4] != "play" || rows[2][4] != "denied" || rows[2][5] != "r2" {
		t.Errorf("CSV rows: %q", rows)
	}

	for _, who := range []string{"lilei", "qiu", "wang"} {
		tok := r.login(who)
		r.must(http.StatusForbidden, "GET", "/api/audit/recordings", tok, "", nil)
		r.must(http.StatusForbidden, "GET", "/api/audit/recordings.csv", tok, "", nil)
		if rows := r.audit(recordings.AuditQuery{Actor: who, Action: recordings.ActionDenied}); len(rows) < 2 ||
			!strings.Contains(rows[len(rows)-1].Detail, "audit") {
			t.Errorf("%s's refused audit reads: %+v", who, rows)
		}
	}
}

// TestRecordingsUnavailable: a server without the recordings answers
// their endpoints 503.
func TestRecordingsUnavailable(t *testing.T) {
	e := newEnv(t)
	tok := e.login("boss")
	for _, p := range []string{"/api/recordings", "/api/recordings/r1", "/api/recordings/r1/audio", "/api/audit/recordings"} {
		e.must(http.StatusServiceUnavailable, "GET", p, tok, "", nil)
	}
	e.must(http.StatusUnauthorized, "GET", "/api/recordings", "", "", nil)
}

// TestRecordingAccessNeedsItsAudit: when the audit cannot be written (the
// database refuses the row), the access is refused with a 500 and no
// audio leaves the server.
func TestRecordingAccessNeedsItsAudit(t *testing.T) {
	r := newRecEnv(t)
	r.add(rec{id: "r1", agent: "1001", caller: "13800138001"})
	r.exec(`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'the audit disk is full'; END $$`)
	r.exec(`CREATE TRIGGER refuse_audit BEFORE INSERT ON recording_audit FOR EACH ROW EXECUTE FUNCTION refuse_audit()`)
	boss := r.login("boss")
	for _, c := range []struct{ path, token string }{
		{"/api/recordings/r1/audio", boss}, {"/api/recordings/r1/download", boss}, {"/api/recordings/r1", boss},
		{"/api/recordings/r1/timeline", boss}, {"/api/recordings", boss}, {"/api/recordings/r1/audio", r.login("hanmei")},
	} {
		res := r.do("GET", c.path, c.token, "")
		if res.status != http.StatusInternalServerError || bytes.Contains(res.body, []byte("RIFF")) {
			t.Errorf("GET %s without an audit: %d, %d bytes; want 500 and no audio", c.path, res.status, len(res.body))
		}
	}
	if !strings.Contains(r.logs.String(), "the audit disk is full") {
		t.Errorf("the audit's failure is not logged: %s", r.logs.String())
	}
}
