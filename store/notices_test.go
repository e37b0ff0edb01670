package store_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

func testNotice(id string) complaints.Notice {
	return complaints.Notice{ID: id, Kind: complaints.NoticeRegistered, ComplaintID: "cmp-" + id, Team: "repairs",
		Subject: "新投诉 " + id, Body: "客户反映：热水器不出热水",
		At: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), Due: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}
}

// TestNoticesOutbox: a notice queued twice is one row per channel; a
// claim counts an attempt and holds the row for its lease; a retry is due
// at the time given, with the error kept; an outcome from an instance
// whose lease ran out (and another took the row) is refused; delivered
// and failed rows are never claimed again.
func TestNoticesOutbox(t *testing.T) {
	ctx := t.Context()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	out := store.NewNotices(open(t, pgtest.New(t)), clock)

	n := testNotice("n1")
	ds := []store.NoticeDelivery{
		{Notice: n, Channel: store.NoticeWebhook, Targets: []string{"https://example.com/hook"}},
		{Notice: n, Channel: store.NoticeEmail, Targets: []string{"repairs@example.com"}},
	}
	if added, err := out.Enqueue(ctx, ds); err != nil || added != 2 {
		t.Fatalf("Enqueue: %d, %v", added, err)
	}
	if added, err := out.Enqueue(ctx, ds); err != nil || added != 0 {
		t.Fatalf("Enqueue again: %d, %v", added, err)
	}
	if _, err := out.Enqueue(ctx, []store.NoticeDelivery{{Notice: n, Channel: "fax", Targets: []string{"x"}}}); !errors.Is(err, store.ErrBadNotice) {
		t.Errorf("Enqueue on an unknown channel: %v", err)
	}
	if _, err := out.Enqueue(ctx, []store.NoticeDelivery{{Notice: testNotice("n2"), Channel: store.NoticeEmail}}); !errors.Is(err, store.ErrBadNotice) {
		t.Errorf("Enqueue with no targets: %v", err)
	}

	got, err := out.Claim(ctx, "a", 10, time.Minute)
	if err != nil || len(got) != 2 {
		t.Fatalf("Claim: %+v, %v", got, err)
	}
	if got[0].Notice.Subject != n.Subject || !got[0].Notice.At.Equal(n.At) || !got[0].Notice.Due.Equal(n.Due) ||
		got[0].Attempts != 1 || got[0].State != store.NoticePending {
		t.Errorf("claimed %+v", got[0])
	}
	if again, err := out.Claim(ctx, "b", 10, time.Minute); err != nil || len(again) != 0 {
		t.Fatalf("claimed while leased: %+v, %v", again, err)
	}
	if at, ok, err := out.NextDue(ctx); err != nil || !ok || !at.Equal(clock.Now().Add(time.Minute)) {
		t.Errorf("NextDue while leased: %v %v %v", at, ok, err)
	}

	// The webhook is retried in 30 s; the e-mail's lease runs out and b takes it.
	retryAt := clock.Now().Add(30 * time.Second)
	if err := out.Retry(ctx, "a", "n1", store.NoticeWebhook, "HTTP 503", retryAt); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	got, err = out.Claim(ctx, "b", 10, time.Minute)
	// Earliest due first: the e-mail (due since 9:00), then the webhook (9:00:30).
	if err != nil || len(got) != 2 || got[1].Channel != store.NoticeWebhook || got[1].Attempts != 2 ||
		got[1].LastError != "HTTP 503" || !got[1].NextAt.Equal(retryAt) || got[0].Attempts != 2 {
		t.Fatalf("Claim after the retry time and the lease: %+v, %v", got, err)
	}
	// b stops and starts again: what it had claimed is due at once.
	if n, err := out.Recover(ctx, "b"); err != nil || n != 2 {
		t.Fatalf("Recover: %d, %v", n, err)
	}
	if got, err = out.Claim(ctx, "b", 10, time.Minute); err != nil || len(got) != 2 || got[0].Attempts != 3 {
		t.Fatalf("Claim after Recover: %+v, %v", got, err)
	}
	if _, err := out.Recover(ctx, ""); !errors.Is(err, store.ErrNoInstance) {
		t.Errorf("Recover without an instance: %v", err)
	}
	if err := out.Delivered(ctx, "a", "n1", store.NoticeEmail); !errors.Is(err, store.ErrNoticeLost) {
		t.Errorf("a late outcome from a: %v", err)
	}
	if err := out.Delivered(ctx, "b", "n1", store.NoticeEmail); err != nil {
		t.Fatal(err)
	}
	if err := out.Fail(ctx, "b", "n1", store.NoticeWebhook, "HTTP 400: bad payload"); err != nil {
		t.Fatal(err)
	}
	if err := out.Fail(ctx, "b", "n1", store.NoticeWebhook, "again"); !errors.Is(err, store.ErrNoticeLost) {
		t.Errorf("an outcome twice: %v", err)
	}
	clock.Advance(time.Hour)
	if got, err := out.Claim(ctx, "c", 10, time.Minute); err != nil || len(got) != 0 {
		t.Errorf("claimed a finished row: %+v, %v", got, err)
	}
	if _, ok, err := out.NextDue(ctx); err != nil || ok {
		t.Errorf("NextDue with nothing pending: %v %v", ok, err)
	}
	all, err := out.OfComplaint(ctx, "cmp-n1")
	if err != nil || len(all) != 2 {
		t.Fatalf("OfComplaint: %+v, %v", all, err)
	}
	for _, d := range all {
		want := map[store.NoticeChannel]store.NoticeState{store.NoticeEmail: store.NoticeDelivered, store.NoticeWebhook: store.NoticeFailed}[d.Channel]
		if d.State != want || d.Done.IsZero() {
			t.Errorf("%s: %s at %v, want %s", d.Key(), d.State, d.Done, want)
		}
	}
	if d, err := out.Get(ctx, "n1", store.NoticeWebhook); err != nil || d.LastError != "HTTP 400: bad payload" || d.Attempts != 3 {
		t.Errorf("Get: %+v, %v", d, err)
	}
	if _, err := out.Get(ctx, "n9", store.NoticeWebhook); !errors.Is(err, store.ErrUnknownNotice) {
		t.Errorf("Get of an unknown notice: %v", err)
	}
}

// TestNoticesClaimConcurrently: instances claiming at once get different
// rows, and between them all of them.
func TestNoticesClaimConcurrently(t *testing.T) {
	ctx := t.Context()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	out := store.NewNotices(open(t, pgtest.New(t)), clock)
	var ds []store.NoticeDelivery
	for i := range 200 {
		ds = append(ds, store.NoticeDelivery{Notice: testNotice(fmt.Sprintf("n%03d", i)), Channel: store.NoticeWebhook,
			Targets: []string{"https://example.com/hook"}})
	}
	if _, err := out.Enqueue(ctx, ds); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var claimed []string
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for {
				got, err := out.Claim(ctx, fmt.Sprint("w", w), 7, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					claimed = append(claimed, d.Notice.ID)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(claimed)
	if len(claimed) != 200 || len(slices.Compact(claimed)) != 200 {
		t.Errorf("claimed %d rows, %d different; want 200", len(claimed), len(slices.Compact(slices.Clone(claimed))))
	}
}
