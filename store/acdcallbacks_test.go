package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestStoreCallbacks runs the ACD's call-back store on PostgreSQL: the
// records go in and come back as the ACD gave them, and every refusal of
// the store is one of the two errors the ACD acts on.
func TestACDCallbacks(t *testing.T) {
	db, err := store.Open(t.Context(), pgtest.New(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	clk := clockwork.NewFakeClockAt(t0)
	cbs := store.NewACDCallbacks(store.NewCallbacks(db, clk), nil)
	ctx := t.Context()

	rec := acd.CallbackRecord{ID: "cb-c1", CallID: "c1", Queue: "after-sales", Priority: 5, Skills: []string{"zh"},
		Number: "13800138000", Arrived: t0.Add(-time.Minute), MaxAttempts: 2}
	if err := cbs.Add(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := cbs.Add(ctx, rec); !errors.Is(err, acd.ErrCallbackExists) || !errors.Is(err, store.ErrCallbackExists) {
		t.Errorf("Add twice: %v, want acd.ErrCallbackExists (wrapping the store's)", err)
	}
	got, err := cbs.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := rec
	want.NotBefore = t0 // the store's default: now
	if len(got) != 1 || !equalCallbackRecords(got[0], want) {
		t.Fatalf("Pending: %+v, want [%+v]", got, want)
	}

	notPending := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, acd.ErrCallbackNotPending) {
			t.Errorf("%s: %v, want acd.ErrCallbackNotPending", what, err)
		}
	}
	if n, err := cbs.Claim(ctx, "cb-c1", "a"); err != nil || n != 1 {
		t.Fatalf("Claim: %d, %v; want attempt 1", n, err)
	}
	_, err = cbs.Claim(ctx, "cb-c1", "b")
	notPending("a second claim", err) // store.ErrCallbackNotPending
	_, err = cbs.Claim(ctx, "cb-nobody", "a")
	notPending("claiming an unknown request", err) // store.ErrUnknownCallback
	retry, err := cbs.Failed(ctx, "cb-c1", "no answer", t0.Add(5*time.Minute))
	if err != nil || !retry {
		t.Fatalf("Failed: %v, %v; want a retry", retry, err)
	}
	_, err = cbs.Failed(ctx, "cb-c1", "no answer", t0)
	notPending("failing a request not being dialled", err) // store.ErrCallbackNotDialing
	_, err = cbs.Claim(ctx, "cb-c1", "a")
	notPending("claiming before the retry time", err) // store.ErrCallbackNotDue
	got, _ = cbs.Pending(ctx)
	if len(got) != 1 || got[0].Attempts != 1 || !got[0].NotBefore.Equal(t0.Add(5*time.Minute)) || got[0].Instance != "a" {
		t.Errorf("Pending after a failed attempt: %+v, want attempt 1 (dialled by a), due at +5m", got)
	}

	clk.Advance(5 * time.Minute)
	if n, err := cbs.Claim(ctx, "cb-c1", "a"); err != nil || n != 2 {
		t.Fatalf("Claim at the retry time: %d, %v; want attempt 2", n, err)
	}
	if err := cbs.Connected(ctx, "cb-c1"); err != nil {
		t.Fatal(err)
	}
	notPending("cancelling a connected request", cbs.Cancel(ctx, "cb-c1")) // store.ErrCallbackClosed

	// A dial interrupted by a stop is pending again after Recover.
	rec2 := acd.CallbackRecord{ID: "cb-c2", CallID: "c2", Queue: "vip", Number: "13900139000", Arrived: t0, MaxAttempts: 3}
	if err := cbs.Add(ctx, rec2); err != nil {
		t.Fatal(err)
	}
	if _, err := cbs.Claim(ctx, "cb-c2", "a"); err != nil {
		t.Fatal(err)
	}
	if n, err := cbs.Recover(ctx, "a"); err != nil || n != 1 {
		t.Fatalf("Recover: %d, %v; want 1", n, err)
	}
	got, _ = cbs.Pending(ctx)
	if ids := recordIDs(got); !slices.Equal(ids, []string{"cb-c2"}) || got[0].Instance != "a" {
		t.Errorf("Pending after Recover: %+v, want [cb-c2], interrupted at a", got)
	}
}

func equalCallbackRecords(a, b acd.CallbackRecord) bool {
	return a.ID == b.ID && a.CallID == b.CallID && a.Queue == b.Queue && a.Priority == b.Priority &&
		slices.Equal(a.Skills, b.Skills) && a.Number == b.Number && a.Arrived.Equal(b.Arrived) &&
		a.Attempts == b.Attempts && a.MaxAttempts == b.MaxAttempts && a.NotBefore.Equal(b.NotBefore)
}

func recordIDs(recs []acd.CallbackRecord) []string {
	var ids []string
	for _, r := range recs {
		ids = append(ids, r.ID)
	}
	return ids
}

// TestCallbacksBookedDuringAnOutage: a call-back booked while PostgreSQL
// is down is kept in the local spool (Add succeeds: the caller may hear
// the confirmation) and stored exactly once when PostgreSQL is back, with
// the place it was booked with.
func TestCallbacksBookedDuringAnOutage(t *testing.T) {
	ctx := t.Context()
	srv := pgtest.NewServer(t)
	if err := srv.CreateDatabase(ctx, "hotline"); err != nil {
		t.Fatal(err)
	}
	url := srv.DatabaseURL("hotline")
	db, err := store.Open(ctx, url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	clk := clockwork.NewFakeClockAt(t0)
	dir := t.TempDir()
	cbdb := store.NewCallbacks(db, clk)
	spool, err := store.OpenCallbackSpool(dir, cbdb, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer spool.Close()
	cbs := store.NewACDCallbacks(cbdb, spool)

	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	rec := acd.CallbackRecord{ID: "cb-c1", CallID: "c1", Queue: "after-sales", Priority: 5, Number: "13800138000",
		Arrived: t0.Add(-time.Minute), MaxAttempts: 2}
	if err := cbs.Add(ctx, rec); err != nil {
		t.Fatalf("Add while PostgreSQL is down: %v; want it kept in the spool", err)
	}
	if n := spool.Count(); n != 1 {
		t.Fatalf("spooled requests: %d, want 1", n)
	}
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	for spool.Count() > 0 { // the spool's goroutine retries with a backoff
		if err := spool.Replay(ctx); err != nil && !store.Unreachable(err) {
			t.Fatal(err)
		}
	}
	// A replay after a crash before the file was rewritten stores nothing twice.
	if err := spool.Keep(ctx, store.CallbackRequest{ID: "cb-c1", Queue: "after-sales", Number: "13800138000"}); err != nil {
		t.Fatal(err)
	}
	if err := spool.Replay(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := cbs.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := rec
	want.NotBefore = t0
	if len(got) != 1 || !equalCallbackRecords(got[0], want) {
		t.Errorf("Pending after the outage: %+v, want [%+v]", got, want)
	}
	if n := spool.Count(); n != 0 {
		t.Errorf("%d requests left in the spool", n)
	}
}
