package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/recordings"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestRecordingMarkers: a job's markers are stored with it (AddJob, one
// transaction), with its kind, linked call and side lead; AddMarkers
// appends after them in order; markers of an unknown recording, or
// without a kind, are refused; adding the job again adds no markers twice.
func TestRecordingMarkers(t *testing.T) {
	clk := clockwork.NewFakeClockAt(time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC))
	recs := store.NewRecordings(open(t, pgtest.New(t)), clk)
	j := recordingJob(1)
	j.Kind, j.LinkedCallID, j.AgentLead = recordings.Conversation, "call-000", -12*time.Millisecond
	j.Markers = []recordings.Marker{
		{At: j.Start, Kind: "agent", Actor: "1001"},
		{At: j.Start.Add(10 * time.Second), Kind: "pci_pause", Actor: "1001", Reason: "card number"},
	}
	for range 2 {
		if err := recs.AddJob(t.Context(), j); err != nil {
			t.Fatal(err)
		}
	}
	more := []recordings.Marker{{At: j.Start.Add(20 * time.Second), Kind: "pci_resume", Actor: "1001", Reason: "done",
		Detail: map[string]string{"digits": "masked"}}}
	if err := recs.AddMarkers(t.Context(), j.ID, more); err != nil {
		t.Fatal(err)
	}
	got, err := recs.Get(t.Context(), j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != recordings.Conversation || got.LinkedCallID != "call-000" || got.AgentLead != -12*time.Millisecond {
		t.Errorf("job read back %+v", got)
	}
	ms, err := recs.Markers(t.Context(), j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 || ms[0].Kind != "agent" || ms[1].Reason != "card number" || ms[2].Kind != "pci_resume" ||
		ms[2].Detail["digits"] != "masked" || ms[0].Detail != nil || !ms[1].At.Equal(j.Start.Add(10*time.Second)) {
		t.Errorf("markers %+v", ms)
	}
	if err := recs.AddMarkers(t.Context(), "no-such", more); !errors.Is(err, recordings.ErrUnknownRecording) {
		t.Errorf("markers of an unknown recording: %v", err)
	}
	if err := recs.AddMarkers(t.Context(), j.ID, []recordings.Marker{{At: j.Start}}); !errors.Is(err, recordings.ErrBadJob) {
		t.Errorf("a marker without a kind: %v", err)
	}
}
