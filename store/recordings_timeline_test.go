package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/recordings"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestRecordingDetailsAndTimelineEvents: a recording's details carry its
// agents (its own, then each later segment's, once each), its legal hold
// and its call's outcome and CSAT; its timeline events are its call's
// events within its span and its markers, each in order, details decoded.
func TestRecordingDetailsAndTimelineEvents(t *testing.T) {
	clk := clockwork.NewFakeClockAt(time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC))
	db := open(t, pgtest.New(t))
	recs := store.NewRecordings(db, clk)
	j := recordingJob(1)
	j.AgentID = "1001"
	if err := recs.AddJob(t.Context(), j); err != nil {
		t.Fatal(err)
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Exec(t.Context(), sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	s := j.Start
	exec(`INSERT INTO calls (id, outcome) VALUES ($1, 'queued')`, j.CallID)
	exec(`INSERT INTO survey_answers (call_id, question, score, at) VALUES ($1, 'csat', 4, $2), ($1, 'resolved', 1, $2)`, j.CallID, j.End)
	exec(`INSERT INTO call_events (call_id, seq, at, kind, node, detail) VALUES
		($1, 1, $2, 'queue', 'support', '{"queue":"support"}'),
		($1, 2, $3, 'key', 'menu', '{"digit":"*"}'),
		($1, 3, $4, 'hangup', NULL, NULL),
		('another-call', 1, $3, 'key', 'menu', '{"digit":"1"}')`,
		j.CallID, s.Add(-time.Minute), s.Add(10*time.Second), j.End.Add(time.Second))
	exec(`INSERT INTO recording_markers (recording_id, seq, at, kind, actor, reason, detail) VALUES
		($1, 1, $2, 'pci_pause', '1001', 'card number', NULL),
		($1, 2, $3, 'agent', '1002', '', '{"from":"1001"}'),
		($1, 3, $4, 'agent', '1001', '', NULL),
		($1, 4, $4, 'detail', '', '', '"text"')`,
		j.ID, s.Add(5*time.Second), s.Add(20*time.Second), s.Add(40*time.Second))

	d, err := recs.Details(t.Context(), j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(d.Agents) != "[1001 1002]" || d.Outcome != "queued" || d.CSAT != 4 || d.Kind != "conversation" || d.LegalHold || d.State != recordings.Pending {
		t.Errorf("details: %+v", d)
	}
	if !d.TookPart("1002") || d.TookPart("1003") || d.TookPart("") {
		t.Errorf("TookPart wrong for agents %v", d.Agents)
	}
	who := recordings.Actor{User: "root", Role: "admin", ClientAddr: "192.0.2.1"}
	if err := recs.SetLegalHold(t.Context(), j.ID, true, who, "court"); err != nil {
		t.Fatal(err)
	}
	if d, _ = recs.Details(t.Context(), j.ID); !d.LegalHold || d.LegalHoldBy != "root" || d.LegalHoldReason != "court" || !d.LegalHoldAt.Equal(clk.Now()) {
		t.Errorf("held details: %+v", d)
	}
	if _, err := recs.Details(t.Context(), "nope"); !errors.Is(err, recordings.ErrUnknownRecording) {
		t.Errorf("unknown recording: %v", err)
	}

	call, markers, err := recs.TimelineEvents(t.Context(), j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(call) != 1 || call[0].Kind != "key" || call[0].Node != "menu" || call[0].Detail["digit"] != "*" || call[0].Source != recordings.SourceCall {
		t.Errorf("call events within the recording: %+v", call)
	}
	var got []string
	for _, m := range markers {
		got = append(got, fmt.Sprintf("%d %s %s %s %v", m.Seq, m.Kind, m.Actor, m.Reason, m.Detail))
	}
	want := "[1 pci_pause 1001 card number map[] 2 agent 1002  map[from:1001] 3 agent 1001  map[] 4 detail   map[value:text]]"
	if fmt.Sprint(got) != want {
		t.Errorf("markers %v, want %s", got, want)
	}
	timeline := recordings.MergeTimeline(d.Start, d.End, call, markers)
	var offsets []string
	for _, e := range timeline {
		offsets = append(offsets, fmt.Sprintf("%s %s", e.Offset, e.Kind))
	}
	if fmt.Sprint(offsets) != "[5s pci_pause 10s key 20s agent 40s agent 40s detail]" {
		t.Errorf("merged timeline: %v", offsets)
	}
	if _, _, err := recs.TimelineEvents(t.Context(), "nope"); !errors.Is(err, recordings.ErrUnknownRecording) {
		t.Errorf("unknown recording's timeline: %v", err)
	}
}
