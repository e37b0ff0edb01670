package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/recordings"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

func recordingJob(i int) recordings.Job {
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	return recordings.Job{
		ID: fmt.Sprintf("rec-%03d", i), CallID: fmt.Sprintf("call-%03d", i),
		Customer: fmt.Sprintf("c-%03d", i), Agent: fmt.Sprintf("a-%03d", i),
		Start: at, End: at.Add(90 * time.Second), Expires: at.Add(180 * 24 * time.Hour),
	}
}

// TestRecordingClaimsAreDisjoint: instances claiming at once (FOR UPDATE
// SKIP LOCKED) get different jobs, never wait for each other, and between
// them claim every job exactly once.
func TestRecordingClaimsAreDisjoint(t *testing.T) {
	clk := clockwork.NewFakeClockAt(time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC))
	recs := store.NewRecordings(open(t, pgtest.New(t)), clk)
	const n = 120
	for i := range n {
		if err := recs.AddJob(t.Context(), recordingJob(i)); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	claims := map[string]int{}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for {
				jobs, err := recs.ClaimJobs(t.Context(), fmt.Sprintf("hotline-%d", w), 7, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(jobs) == 0 {
					return
				}
				mu.Lock()
				for _, j := range jobs {
					claims[j.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claims) != n {
		t.Errorf("%d jobs claimed, want %d", len(claims), n)
	}
	for id, c := range claims {
		if c != 1 {
			t.Errorf("%s claimed %d times", id, c)
		}
	}
}

// TestRecordingJobGuards: a step is recorded only by the instance holding
// the job in the state it left; a lapsed lease is taken over, and the old
// holder's next step is refused; Recover hands back only the instance's
// own claims.
func TestRecordingJobGuards(t *testing.T) {
	clk := clockwork.NewFakeClockAt(time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC))
	recs := store.NewRecordings(open(t, pgtest.New(t)), clk)
	ctx := t.Context()
	for i := range 2 {
		if err := recs.AddJob(ctx, recordingJob(i)); err != nil {
			t.Fatal(err)
		}
	}
	a, err := recs.ClaimJobs(ctx, "A", 1, time.Minute)
	if err != nil || len(a) != 1 || a[0].ID != "rec-000" || a[0].Attempts != 1 {
		t.Fatalf("A claimed %+v (%v), want rec-000 at attempt 1", a, err)
	}
	j := a[0]
	j.State, j.SHA256, j.Size, j.Audio = recordings.Fetched, "ab", 10, 90*time.Second
	if err := recs.AdvanceJob(ctx, "B", recordings.Pending, j, time.Minute); !errors.Is(err, recordings.ErrJobLost) {
		t.Errorf("B recording A's step: %v, want ErrJobLost", err)
	}
	ahead := j
	ahead.State, ahead.BlobKey = recordings.Stored, "k"
	if err := recs.AdvanceJob(ctx, "A", recordings.Fetched, ahead, time.Minute); !errors.Is(err, recordings.ErrJobLost) {
		t.Errorf("a step from a state the job is not in: %v, want ErrJobLost", err)
	}
	if err := recs.AdvanceJob(ctx, "A", recordings.Pending, ahead, time.Minute); err == nil || errors.Is(err, recordings.ErrJobLost) {
		t.Errorf("skipping a step: %v, want refused as no step of the pipeline", err)
	}
	if err := recs.AdvanceJob(ctx, "A", recordings.Pending, j, time.Minute); err != nil {
		t.Fatal(err)
	}
	// A stalls; its lease lapses; B takes the job over where it was.
	clk.Advance(2 * time.Minute)
	b, err := recs.ClaimJobs(ctx, "B", 5, time.Minute)
	if err != nil || len(b) != 2 {
		t.Fatalf("B claimed %d (%v), want both", len(b), err)
	}
	if b[0].ID != "rec-000" || b[0].State != recordings.Fetched || b[0].SHA256 != "ab" || b[0].Audio != 90*time.Second || b[0].Attempts != 2 {
		t.Errorf("B took over %+v, want rec-000 fetched at attempt 2 with A's hash", b[0])
	}
	j.State, j.BlobKey = recordings.Stored, "k"
	if err := recs.AdvanceJob(ctx, "A", recordings.Fetched, j, time.Minute); !errors.Is(err, recordings.ErrJobLost) {
		t.Errorf("A after losing the job: %v, want ErrJobLost", err)
	}
	if err := recs.ReleaseJob(ctx, "A", "rec-000", "late", true, clk.Now()); !errors.Is(err, recordings.ErrJobLost) {
		t.Errorf("A releasing a job it lost: %v, want ErrJobLost", err)
	}
	if n, err := recs.RecoverJobs(ctx, "A"); n != 0 || err != nil {
		t.Errorf("A recovered %d (%v), want 0: it holds nothing", n, err)
	}
	if n, err := recs.RecoverJobs(ctx, "B"); n != 2 || err != nil {
		t.Errorf("B recovered %d (%v), want 2", n, err)
	}
	if err := recs.ReleaseJob(ctx, "B", "rec-001", "x", false, clk.Now()); !errors.Is(err, recordings.ErrJobLost) {
		t.Errorf("releasing after Recover: %v, want ErrJobLost", err)
	}
	c, err := recs.ClaimJobs(ctx, "C", 5, time.Minute)
	if err != nil || len(c) != 2 {
		t.Fatalf("after B's recovery C claimed %d (%v), want both", len(c), err)
	}
	if err := recs.ReleaseJob(ctx, "C", "rec-001", "not a WAV", true, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if got, err := recs.Get(ctx, "rec-001"); err != nil || got.State != recordings.Failed || got.LastError != "not a WAV" {
		t.Errorf("rec-001: %+v (%v), want failed with its reason", got, err)
	}
	if _, err := recs.Get(ctx, "nope"); !errors.Is(err, recordings.ErrUnknownRecording) {
		t.Errorf("unknown: %v, want ErrUnknownRecording", err)
	}
	if _, err := recs.ClaimJobs(ctx, "", 1, time.Minute); !errors.Is(err, store.ErrNoInstance) {
		t.Errorf("no instance: %v, want ErrNoInstance", err)
	}
}
