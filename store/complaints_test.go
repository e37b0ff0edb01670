package store_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestComplaintsStore: IDs numbered per day without gaps or repeats under
// concurrent registrations; a step that fails changes nothing; the
// changes are numbered in order; unknown IDs are ErrNotFound.
func TestComplaintsStore(t *testing.T) {
	db, err := store.Open(t.Context(), pgtest.New(t), 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	cs := store.NewComplaints(db)
	ctx := t.Context()
	at := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	rec := complaints.Record{Complaint: complaints.Complaint{
		Hotline: "400", Source: "api", Registered: at, Complainant: "a", Contact: "b", Content: "c", Category: "quality",
		Owner: "agent-wang", Teams: []string{"quality-dept"}, State: complaints.Registered,
	}, Resolve: complaints.Clock{Due: at.Add(24 * time.Hour), WarnAt: at.Add(20 * time.Hour)}}
	first := complaints.Change{At: at, Actor: "agent-wang", Action: complaints.ActRegister, To: complaints.Registered}

	const n = 40
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, err := cs.Create(ctx, "20261206", rec, first)
			if err != nil {
				t.Error(err)
			}
			ids[i] = r.ID
		})
	}
	wg.Wait()
	slices.Sort(ids)
	for i, id := range ids {
		mustBe(t, "id", id, fmt.Sprintf("C20261206-%06d", i+1))
	}
	other, err := cs.Create(ctx, "20261207", rec, first)
	if err != nil {
		t.Fatal(err)
	}
	mustBe(t, "another day's first", other.ID, "C20261207-000001")

	refused := errors.New("refused")
	_, _, err = cs.Update(ctx, ids[0], func(r *complaints.Record) (complaints.Change, error) {
		r.State, r.Teams = complaints.Closed, append(r.Teams, "x")
		return complaints.Change{}, refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("a refused step: %v", err)
	}
	r, changes, err := cs.Get(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	mustBe(t, "state after a refused step", r.State, complaints.Registered)
	mustBe(t, "changes after a refused step", len(changes), 1)
	mustBe(t, "clock kept", r.Resolve.Due.Equal(at.Add(24*time.Hour)), true)

	r, ch, err := cs.Update(ctx, ids[0], func(r *complaints.Record) (complaints.Change, error) {
		r.State, r.Resolution, r.Resolve = complaints.Resolved, "done", complaints.Clock{}
		return complaints.Change{At: at.Add(time.Hour), Actor: "agent-wang", Action: complaints.ActResolve, From: complaints.Registered, To: complaints.Resolved, Note: "done"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mustBe(t, "change numbered", ch.Seq, 2)
	if r, _, err = cs.Get(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	mustBe(t, "stopped clock kept as NULL", r.Resolve.Due.IsZero() && r.Resolve.WarnAt.IsZero(), true)
	mustBe(t, "resolution", r.Resolution, "done")

	if _, _, err := cs.Get(ctx, "C1"); !errors.Is(err, complaints.ErrNotFound) {
		t.Errorf("Get unknown: %v", err)
	}
	if _, _, err := cs.Update(ctx, "C1", nil); !errors.Is(err, complaints.ErrNotFound) {
		t.Errorf("Update unknown: %v", err)
	}
}

func mustBe[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}
