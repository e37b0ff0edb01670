package store_test

import (
	"maps"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/recordings"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestRecordingBacklog: three jobs added, one of them fetched, count as
// two pending and one fetched; a job that failed for good is not in the
// backlog.
func TestRecordingBacklog(t *testing.T) {
	clk := clockwork.NewFakeClockAt(time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC))
	recs := store.NewRecordings(open(t, pgtest.New(t)), clk)
	empty, err := recs.Backlog(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := map[recordings.State]int64{recordings.Pending: 0, recordings.Fetched: 0, recordings.Stored: 0, recordings.Deleting: 0}
	if !maps.Equal(empty, want) {
		t.Errorf("an empty pipeline's backlog: %v, want %v", empty, want)
	}
	for i := range 4 {
		if err := recs.AddJob(t.Context(), recordingJob(i)); err != nil {
			t.Fatal(err)
		}
	}
	jobs, err := recs.ClaimJobs(t.Context(), "hotline-1", 2, time.Minute)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("claimed %d jobs (%v), want 2", len(jobs), err)
	}
	fetched := jobs[0]
	fetched.State, fetched.SHA256, fetched.Size, fetched.Audio = recordings.Fetched, "00", 1, time.Second
	if err := recs.AdvanceJob(t.Context(), "hotline-1", recordings.Pending, fetched, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := recs.ReleaseJob(t.Context(), "hotline-1", jobs[1].ID, "the file is gone", true, time.Time{}); err != nil {
		t.Fatal(err)
	}
	got, err := recs.Backlog(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want[recordings.Pending], want[recordings.Fetched] = 2, 1
	if !maps.Equal(got, want) {
		t.Errorf("the backlog: %v, want %v", got, want)
	}
}
