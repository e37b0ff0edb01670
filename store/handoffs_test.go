package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// TestHandoffsSaveAndTakeOnce: a saved state comes back whole (journey
// included) once; a second Take, by this instance or another, finds
// nothing.
func TestHandoffsSaveAndTakeOnce(t *testing.T) {
	db := open(t, pgtest.New(t))
	clk := clockwork.NewFakeClockAt(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	a := store.NewHandoffs(db, "hotline-1", clk)
	b := store.NewHandoffs(db, "hotline-2", clk)
	arrived := time.Date(2026, 11, 23, 9, 59, 0, 0, time.UTC)
	st := ivr.CallState{CallID: "ch-1", Channel: "PJSIP/trunk-1", Caller: "13800138000", Hotline: "4008001234",
		Language: "zh", Flow: "smart-home", FlowVersion: 3, Node: "main", Vars: map[string]string{"lang": "zh"},
		Path: []string{"welcome", "main"}, Arrived: arrived,
		Journey: &ivr.Journey{CallID: "ch-1", Arrived: arrived, Events: []ivr.JourneyEvent{{Seq: 1, At: arrived, Kind: ivr.EventArrived}}}}
	other := ivr.CallState{CallID: "ch-2", Node: "survey"}
	if err := a.Save(t.Context(), []ivr.CallState{st, other}); err != nil {
		t.Fatal(err)
	}
	got, found, err := b.Take(t.Context(), "ch-1")
	if err != nil || !found {
		t.Fatalf("Take: found %t, %v", found, err)
	}
	if got.Node != "main" || got.FlowVersion != 3 || got.Vars["lang"] != "zh" || len(got.Path) != 2 ||
		!got.Arrived.Equal(arrived) || got.Journey == nil || len(got.Journey.Events) != 1 || got.Journey.Events[0].Kind != ivr.EventArrived {
		t.Errorf("took %+v", got)
	}
	if _, found, err := a.Take(t.Context(), "ch-1"); err != nil || found {
		t.Errorf("a second Take found %t, %v; want nothing", found, err)
	}
	if _, found, err := a.Take(t.Context(), "no-such"); err != nil || found {
		t.Errorf("Take of an unknown channel: %t, %v", found, err)
	}
	if err := a.Save(t.Context(), []ivr.CallState{{Node: "x"}}); !errors.Is(err, store.ErrBadHandoff) {
		t.Errorf("saving a state without a channel: %v, want ErrBadHandoff", err)
	}
}

// TestHandoffsTakenByExactlyOne: instances racing to adopt the same
// channel: exactly one gets its state.
func TestHandoffsTakenByExactlyOne(t *testing.T) {
	db := open(t, pgtest.New(t))
	h := store.NewHandoffs(db, "hotline-1", nil)
	if err := h.Save(t.Context(), []ivr.CallState{{CallID: "ch-1", Node: "main"}}); err != nil {
		t.Fatal(err)
	}
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		got int
	)
	for range 8 {
		wg.Go(func() {
			_, found, err := store.NewHandoffs(db, "other", nil).Take(t.Context(), "ch-1")
			if err != nil {
				t.Error(err)
			}
			if found {
				mu.Lock()
				got++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if got != 1 {
		t.Fatalf("%d instances took the call, want exactly 1", got)
	}
}

// TestHandoffsExpire: rows older than the age are deleted, newer kept;
// saving again replaces a channel's row.
func TestHandoffsExpire(t *testing.T) {
	db := open(t, pgtest.New(t))
	clk := clockwork.NewFakeClockAt(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	h := store.NewHandoffs(db, "hotline-1", clk)
	if err := h.Save(t.Context(), []ivr.CallState{{CallID: "old", Node: "a"}}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Hour)
	if err := h.Save(t.Context(), []ivr.CallState{{CallID: "new", Node: "a"}, {CallID: "new", Node: "b"}}); err != nil {
		t.Fatal(err)
	}
	n, err := h.Expire(t.Context(), time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("expired %d, %v; want 1", n, err)
	}
	if st, found, _ := h.Take(t.Context(), "new"); !found || st.Node != "b" {
		t.Errorf("the newer row: found %t node %q, want the last save (b)", found, st.Node)
	}
}
