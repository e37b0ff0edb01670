package store_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/complaints/followup"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestFollowupsNumbering: tasks made at once by many makers, through
// Create and through the calls' trigger, are numbered 1 to n over the
// day without gaps, each source once.
func TestFollowupsNumbering(t *testing.T) {
	ctx := t.Context()
	db := open(t, pgtest.New(t))
	fs := store.NewFollowups(db)
	now := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	for i := range 30 {
		if _, err := db.Exec(ctx, `INSERT INTO calls (id, hotline, caller, arrived_at, ended_at, disposition)
			VALUES ($1, '4008001234', $2, $3, $3, 'repair-booked')`, fmt.Sprintf("call-%02d", i), fmt.Sprintf("139%08d", i), now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	tr := followup.Triggers{Dispositions: followup.Auto, Codes: []string{"repair-booked"}, MaxAttempts: 3}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := fs.Trigger(ctx, "20261207", now, tr)
			errs <- err
		}()
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("test:%d", i%10) // each key twice
			_, _, err := fs.Create(ctx, "20261207", key, followup.Task{Reason: followup.ForSample, Number: "13800138000",
				Mode: followup.Preview, State: followup.Offered, Created: now, NotBefore: now, MaxAttempts: 3})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	ts, err := fs.List(ctx, followup.Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var ids, want []string
	for _, task := range ts {
		ids = append(ids, task.ID)
	}
	for n := 1; n <= 40; n++ {
		want = append(want, fmt.Sprintf("F20261207-%06d", n))
	}
	slices.Sort(ids)
	if !slices.Equal(ids, want) {
		t.Errorf("IDs %v, want F20261207-000001 to -000040", ids)
	}
}

// TestFollowupsClaimAndUpdate: a claim takes one due task per number and
// none whose number is dialled; Update keeps the attempts and the
// result; Expired finds a lease past its end.
func TestFollowupsClaimAndUpdate(t *testing.T) {
	ctx := t.Context()
	db := open(t, pgtest.New(t))
	fs := store.NewFollowups(db)
	now := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	for i, n := range []string{"1", "1", "2"} {
		if _, _, err := fs.Create(ctx, "20261207", fmt.Sprintf("k%d", i), followup.Task{Reason: followup.ForSample, Number: n,
			Mode: followup.Auto, State: followup.Pending, Created: now, NotBefore: now, MaxAttempts: 2}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fs.Claim(ctx, now, "", now, 5, followup.Limits{}); err == nil {
		t.Error("a claim without an instance was taken")
	}
	got, err := fs.Claim(ctx, now, "x", now.Add(time.Minute), 5, followup.Limits{PerDay: 3, Gap: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Number == got[1].Number || got[0].State != followup.Dialling || got[0].Attempts != 1 || len(got[0].Tries) != 1 {
		t.Fatalf("claimed %+v, want one per number, dialling, with its attempt", got)
	}
	if again, err := fs.Claim(ctx, now.Add(2*time.Minute), "y", now.Add(time.Hour), 5, followup.Limits{}); err != nil || len(again) != 0 {
		t.Fatalf("a claim while both numbers are dialled: %+v, %v", again, err)
	}
	if n, last, err := fs.NumberUse(ctx, "1", now.Add(2*time.Minute)); err != nil || n != 1 || !last.Equal(now) {
		t.Errorf("number 1's use: %d attempts, last %v, %v; want 1 at %v", n, last, err, now)
	}
	if n, _, err := fs.NumberUse(ctx, "1", now.Add(25*time.Hour)); err != nil || n != 0 {
		t.Errorf("number 1's use a day later: %d attempts, %v; want 0", n, err)
	}
	exp, err := fs.Expired(ctx, now.Add(2*time.Minute), "")
	if err != nil || len(exp) != 2 {
		t.Fatalf("expired %v, %v; want both leases", exp, err)
	}
	yes := true
	end := now.Add(90 * time.Second)
	done, err := fs.Update(ctx, got[0].ID, func(task *followup.Task, l *followup.Lease) error {
		if l.Instance != "x" || !l.Until.Equal(now.Add(time.Minute)) {
			t.Errorf("lease %+v", l)
		}
		task.Tries[0].Outcome, task.Tries[0].Ended, task.Tries[0].CallID = followup.OutcomeAnswered, end, "ch-1"
		task.State = followup.Done
		task.Result = &followup.Result{Reached: true, Satisfied: &yes, Answers: map[string]string{"followup_service": "5"}, CallID: "ch-1", By: "auto", At: end}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	read, err := fs.Get(ctx, done.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := read.Result; read.State != followup.Done || r == nil || !*r.Satisfied || r.Answers["followup_service"] != "5" || !r.At.Equal(end) {
		t.Errorf("read back %+v (result %+v)", read, read.Result)
	}
	if tr := read.Tries; len(tr) != 1 || tr[0].Outcome != followup.OutcomeAnswered || !tr[0].Ended.Equal(end) || tr[0].CallID != "ch-1" {
		t.Errorf("tries %+v", tr)
	}
	if exp, _ := fs.Expired(ctx, now.Add(2*time.Minute), ""); len(exp) != 1 {
		t.Errorf("expired after the result: %v, want the other only", exp)
	}
	if _, err := fs.Get(ctx, "F20261207-999999"); err == nil {
		t.Error("an unknown task was found")
	}
}
