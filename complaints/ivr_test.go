package complaints_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// keptMessages is a Messages that keeps which voice messages it was
// given, and names each recording as the pipeline's adapter does.
type keptMessages struct {
	mu   sync.Mutex
	kept map[string]int
}

func (k *keptMessages) KeepMessage(_ context.Context, c complaints.IVRComplaint) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.kept == nil {
		k.kept = map[string]int{}
	}
	id := fmt.Sprintf("msg-%s-%d", c.CallID, c.Seq)
	k.kept[id]++
	return id, nil
}

// ivrJourney is a call's journey in which the IVR took a complaint down
// at the call's fourth event, as the complaint node notes it.
func ivrJourney(callID, caller string, at time.Time, category string) *ivr.Journey {
	ev := func(seq int, kind, node string, d map[string]any) ivr.JourneyEvent {
		return ivr.JourneyEvent{Seq: seq, At: at.Add(time.Duration(seq) * time.Second), Kind: kind, Node: node, Detail: d}
	}
	return &ivr.Journey{
		CallID: callID, Hotline: "400-cal", Caller: caller, Flow: "smart-home", FlowVersion: 1, Language: "zh",
		Arrived: at, Answered: at, Ended: at.Add(40 * time.Second), Outcome: ivr.OutcomeMessage, HungUpBy: ivr.HungUpByCaller,
		Events: []ivr.JourneyEvent{
			ev(1, ivr.EventNode, "main", map[string]any{"kind": "menu"}),
			ev(2, ivr.EventKey, "main", map[string]any{"key": "3"}),
			ev(3, ivr.EventNode, "speak", map[string]any{"kind": "complaint"}),
			ev(4, ivr.EventComplaint, "speak", map[string]any{
				"category": category, "fallback": "quality", "contact": "13912345678", "team": "",
				"hotline": "400-cal", "caller": caller, "recording": "complaint-" + callID, "seconds": 17,
				"started_at": at.Add(5 * time.Second).Format(time.RFC3339Nano), "ended_by": "caller",
				"path": "main[3] > speak",
			}),
		},
	}
}

// writeJourneys writes journeys through the call-records writer, as the
// engine's journey sink does, and waits until they are in PostgreSQL.
func writeJourneys(t *testing.T, db *pgxpool.Pool, js ...*ivr.Journey) {
	t.Helper()
	w, err := store.NewWriter(db, store.WriterConfig{SpoolDir: t.TempDir(), Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range js {
		w.RecordJourney(t.Context(), j)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func ivrService(t *testing.T, db *pgxpool.Pool, clock clockwork.Clock, in *inbox, msgs complaints.Messages, batch int) *complaints.Service {
	t.Helper()
	s, err := complaints.New(complaints.Config{
		Store: store.NewComplaints(db), Notifier: in, Categories: categories, Zone: shanghai,
		Supervisors: []string{"sup-li"}, Messages: msgs, ScanBatch: batch, Clock: clock, Logger: quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestIngestIVROnce: two Services registering the IVR's complaints at once
// register each exactly once, with everything the call gave, no owner,
// the 24 h clock from the call's time, and the voice message linked; a
// later pass (or a restarted Service) registers nothing again.
func TestIngestIVROnce(t *testing.T) {
	start := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	r := newRig(t, start.Add(time.Hour))
	const n = 120
	var js []*ivr.Journey
	for i := range n {
		category := "damaged"
		if i%3 == 0 {
			category = "not-configured" // falls back to quality
		}
		js = append(js, ivrJourney(fmt.Sprintf("17650000%02d.%d", i%100, i), fmt.Sprintf("1380000%04d", i), start.Add(time.Duration(i)*time.Second), category))
	}
	writeJourneys(t, r.db, js...)
	msgs := &keptMessages{}
	a, b := ivrService(t, r.db, r.clock, r.inbox, msgs, 7), ivrService(t, r.db, r.clock, r.inbox, msgs, 7)
	counts := make([]int, 2)
	var wg sync.WaitGroup
	for i, s := range []*complaints.Service{a, b} {
		wg.Go(func() {
			got, err := s.IngestIVR(t.Context())
			if err != nil {
				t.Error(err)
			}
			counts[i] = got
		})
	}
	wg.Wait()
	t.Logf("registered by each Service: %v", counts)
	mustEqual(t, "registered", counts[0]+counts[1], n)
	var pending int
	if err := r.db.QueryRow(t.Context(), `SELECT count(*) FROM ivr_complaints_pending`).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "events still queued", pending, 0)
	// The journeys written again (a spool replayed after a crash) queue
	// nothing: a restarted Service registers nothing again.
	writeJourneys(t, r.db, js...)
	again, err := ivrService(t, r.db, r.clock, r.inbox, msgs, 0).IngestIVR(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "registered again", again, 0)

	list, err := a.List(t.Context(), complaints.Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "complaints", len(list), n)
	calls := map[string]bool{}
	for _, c := range list {
		if calls[c.CallID] {
			t.Errorf("call %s has two complaints", c.CallID)
		}
		calls[c.CallID] = true
	}
	registered := 0
	for _, nt := range r.inbox.take() {
		if nt.Kind == complaints.NoticeRegistered {
			registered++
		}
	}
	mustEqual(t, "registration notices", registered, n)

	c, err := a.Get(t.Context(), list[len(list)-1].ID) // the oldest: call 0, category not configured
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "source", c.Source, "ivr")
	mustEqual(t, "call", c.CallID, "1765000000.0")
	mustEqual(t, "owner", c.Owner, "")
	mustEqual(t, "complainant", c.Complainant, "来电 13800000000")
	mustEqual(t, "contact", c.Contact, "13912345678")
	mustEqual(t, "category (the fallback)", c.Category, "quality")
	mustSlice(t, "teams", c.Teams, []string{"quality-dept"})
	mustEqual(t, "state", c.State, complaints.Notified)
	mustTime(t, "registered at the call's time", c.Registered, start.Add(4*time.Second))
	mustTime(t, "due 24 h after the call", c.ResolveDue, start.Add(4*time.Second+24*time.Hour))
	mustEqual(t, "message recording", c.MessageRecording, "msg-1765000000.0-4")
	for _, want := range []string{"语音留言 17 秒", "main[3] > speak", "not-configured"} {
		if !strings.Contains(c.Content, want) {
			t.Errorf("content %q lacks %q", c.Content, want)
		}
	}
	if len(c.Changes) < 1 || c.Changes[0].Actor != complaints.IVRActor || c.Changes[0].Action != complaints.ActRegister {
		t.Errorf("first change %+v", c.Changes)
	}
	msgs.mu.Lock()
	mustEqual(t, "voice messages kept", len(msgs.kept), n)
	msgs.mu.Unlock()
}

// TestIngestIVRAfterAnOutage: the call ends while PostgreSQL is down; its
// journey waits in the spool, the scan meanwhile fails (and registers
// nothing); once PostgreSQL is back the journey is written and the next
// scan registers the complaint, once.
func TestIngestIVRAfterAnOutage(t *testing.T) {
	ctx := t.Context()
	srv := pgtest.NewServer(t)
	if err := srv.CreateDatabase(ctx, "hotline"); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, srv.DatabaseURL("hotline"), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(start.Add(time.Minute))
	in := &inbox{}
	svc := ivrService(t, db, clock, in, nil, 0)
	w, err := store.NewWriter(db, store.WriterConfig{SpoolDir: t.TempDir(), Logger: quiet(), MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(context.WithoutCancel(ctx))

	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	w.RecordJourney(ctx, ivrJourney("1765000001.1", "13800000001", start, "damaged"))
	waitHealth(t, w, "the journey spooled", func(h store.Health) bool { return h.Spooled > 0 })
	if n, err := svc.IngestIVR(ctx); err == nil || n != 0 {
		t.Errorf("IngestIVR with PostgreSQL down: %d, %v; want an error", n, err)
	}
	if err := srv.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, w, "the spool written", func(h store.Health) bool { return h.Spooled == 0 && h.Queued == 0 && h.Written > 0 })
	n, err := svc.IngestIVR(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "registered after the outage", n, 1)
	if n, _ := svc.IngestIVR(ctx); n != 0 {
		t.Errorf("registered again: %d", n)
	}
	list, err := svc.List(ctx, complaints.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].CallID != "1765000001.1" || list[0].Category != "damaged" || list[0].MessageRecording != "" {
		t.Errorf("complaints %+v", list)
	}
}

func waitHealth(t *testing.T, w *store.Writer, what string, cond func(store.Health) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for {
		changed := w.Changed()
		h := w.Health()
		if cond(h) {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v; health %+v", what, ctx.Err(), h)
		}
	}
}

// TestFirstTakerOwns: nobody owns an IVR complaint; its warning goes to
// the supervisors alone; the first person to take a step on it (here two
// agents at once) owns it for good: the other's take is refused, and a
// later step by anybody else leaves the owner as it is.
func TestFirstTakerOwns(t *testing.T) {
	start := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	r := newRig(t, start.Add(time.Minute))
	writeJourneys(t, r.db, ivrJourney("1765000002.2", "13800000002", start, "quality"))
	svc := ivrService(t, r.db, r.clock, r.inbox, nil, 0)
	if n, err := svc.IngestIVR(t.Context()); err != nil || n != 1 {
		t.Fatalf("IngestIVR: %d, %v", n, err)
	}
	list, err := svc.List(t.Context(), complaints.Filter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("List: %v, %v", list, err)
	}
	id := list[0].ID
	r.inbox.take()
	unowned := func() []string {
		t.Helper()
		cs, err := svc.List(t.Context(), complaints.Filter{Unowned: true})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	mustSlice(t, "the unowned", unowned(), []string{id})
	if _, err := svc.List(t.Context(), complaints.Filter{Unowned: true, Owner: "agent-wang"}); !errors.Is(err, complaints.ErrInvalid) {
		t.Errorf("a filter of an owner's and the unowned: %v, want ErrInvalid", err)
	}

	r.clock.Advance(20 * time.Hour)
	if _, err := svc.Scan(t.Context()); err != nil {
		t.Fatal(err)
	}
	ns := r.inbox.take()
	if len(ns) != 1 || ns[0].Kind != complaints.NoticeWarning || strings.Join(ns[0].To, ",") != "sup-li" {
		t.Errorf("the unowned complaint's warning: %+v, want one to sup-li alone", ns)
	}

	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, agent := range []string{"agent-wang", "agent-zhao"} {
		wg.Go(func() { _, errs[i] = svc.Act(t.Context(), id, agent, complaints.ActTake, "", "") })
	}
	wg.Wait()
	var owner, other string
	switch {
	case errs[0] == nil && errors.Is(errs[1], complaints.ErrStep):
		owner, other = "agent-wang", "agent-zhao"
	case errs[1] == nil && errors.Is(errs[0], complaints.ErrStep):
		owner, other = "agent-zhao", "agent-wang"
	default:
		t.Fatalf("two takes at once: %v; want one taken, one refused", errs)
	}
	mustSlice(t, "the unowned once taken", unowned(), nil)
	if _, err := svc.Act(t.Context(), id, owner, complaints.ActTake, "", ""); !errors.Is(err, complaints.ErrStep) {
		t.Errorf("take by the owner again: %v, want ErrStep", err)
	}
	if _, err := svc.Act(t.Context(), id, other, complaints.ActStart, "", ""); err != nil {
		t.Fatal(err)
	}
	c, err := svc.Act(t.Context(), id, "sup-li", complaints.ActHandOff, "", "logistics")
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "owner after others' steps", c.Owner, owner)
	c, err = svc.Act(t.Context(), id, other, complaints.ActResolve, "换货", "")
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "owner after the resolution", c.Owner, owner)
}

// TestFirstStepOwns: any step by a person on an unowned complaint makes
// that person the owner, as a take does.
func TestFirstStepOwns(t *testing.T) {
	start := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	r := newRig(t, start.Add(time.Minute))
	writeJourneys(t, r.db, ivrJourney("1765000003.3", "13800000003", start, "quality"))
	svc := ivrService(t, r.db, r.clock, r.inbox, nil, 0)
	if _, err := svc.IngestIVR(t.Context()); err != nil {
		t.Fatal(err)
	}
	list, err := svc.List(t.Context(), complaints.Filter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("List: %v, %v", list, err)
	}
	c, err := svc.Act(t.Context(), list[0].ID, "sup-li", complaints.ActHandOff, "", "logistics")
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "owner", c.Owner, "sup-li")
	if _, err := svc.Act(t.Context(), list[0].ID, "agent-wang", complaints.ActTake, "", ""); !errors.Is(err, complaints.ErrStep) {
		t.Errorf("take of an owned complaint: %v, want ErrStep", err)
	}
	// An agent's complaint has its registering agent as owner from the start.
	own, err := svc.Register(t.Context(), registration("400-cal", "quality"), "agent-qian")
	if err != nil {
		t.Fatal(err)
	}
	c, err = svc.Act(t.Context(), own.ID, "agent-sun", complaints.ActStart, "", "")
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "registering agent stays owner", c.Owner, "agent-qian")
}
