package complaints_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
)

// scanTogether runs a scan on each service at once and returns how many
// each claimed.
func scanTogether(t *testing.T, ss ...*complaints.Service) []int {
	t.Helper()
	counts := make([]int, len(ss))
	var wg sync.WaitGroup
	for i, s := range ss {
		wg.Go(func() {
			n, err := s.Scan(t.Context())
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	return counts
}

// TestScanOnce: with two Services scanning at once on one database, each
// complaint's warning (at 20 h) and breach (at 24 h) go out exactly once;
// a new Service (a restart) sends neither again.
func TestScanOnce(t *testing.T) {
	start := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	r := newRig(t, start)
	a, b := r.serviceBatch(t, 7), r.serviceBatch(t, 7) // small batches: the two scans interleave
	const n = 300
	ids := map[string]bool{}
	for i := range n {
		reg := registration("400-cal", "quality")
		reg.CallID = fmt.Sprintf("call-%d", i)
		c, err := a.Register(t.Context(), reg, "agent-wang")
		if err != nil {
			t.Fatal(err)
		}
		ids[c.ID] = true
	}
	r.inbox.take()
	sum := func(c []int) int { return c[0] + c[1] }

	r.clock.Advance(20*time.Hour - time.Second)
	mustEqual(t, "claimed before the warning time", sum(scanTogether(t, a, b)), 0)
	r.clock.Advance(time.Second)
	c := scanTogether(t, a, b)
	t.Logf("warnings claimed by each Service: %v", c)
	mustEqual(t, "warnings claimed", sum(c), n)
	mustEqual(t, "warnings claimed again", sum(scanTogether(t, a, b)), 0)
	warned := r.inbox.take()
	mustEqual(t, "warnings sent", len(warned), n)
	seen := map[string]bool{}
	for _, w := range warned {
		if w.Kind != complaints.NoticeWarning || !ids[w.ComplaintID] || seen[w.ComplaintID] {
			t.Fatalf("unexpected notice %+v", w)
		}
		seen[w.ComplaintID] = true
		mustSlice(t, "warning to", w.To, []string{"agent-wang", "sup-li"})
		mustTime(t, "warning's due", w.Due, start.Add(24*time.Hour))
	}
	list, err := a.List(t.Context(), complaints.Filter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "warned shows", list[0].Warned, true)
	mustEqual(t, "not breached yet", list[0].Breached, false)

	r.clock.Advance(4 * time.Hour)
	c = scanTogether(t, a, b)
	mustEqual(t, "breaches claimed", sum(c), n)
	t.Logf("breaches claimed by each Service: %v", c)
	breached := r.inbox.take()
	seen = map[string]bool{}
	for _, w := range breached {
		if w.Kind != complaints.NoticeBreach || seen[w.ComplaintID] {
			t.Fatalf("unexpected notice %+v", w)
		}
		seen[w.ComplaintID] = true
	}
	mustEqual(t, "breaches sent", len(seen), n)

	restarted := r.service(t)
	r.clock.Advance(time.Hour)
	mustEqual(t, "claimed after a restart", sum(scanTogether(t, restarted, b)), 0)
	mustEqual(t, "notices after a restart", len(r.inbox.take()), 0)
	got, err := restarted.Get(t.Context(), list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "breached shows", got.Breached, true)
}

// TestBusinessHourClock: a complaint registered on a Friday afternoon on
// a hotline with Mon–Fri 09:00–18:00 hours (Shanghai) is due on
// Wednesday 14:00, warned on Wednesday 10:00 (hand-computed in
// TestHoursAdd), not over the weekend.
func TestBusinessHourClock(t *testing.T) {
	fri := time.Date(2026, 12, 4, 17, 0, 0, 0, shanghai)
	r := newRig(t, fri)
	s := r.service(t)
	c, err := s.Register(t.Context(), registration("400-biz", "quality"), "agent-wang")
	if err != nil {
		t.Fatal(err)
	}
	mustTime(t, "resolve due", c.ResolveDue, time.Date(2026, 12, 9, 14, 0, 0, 0, shanghai))
	r.inbox.take()
	scanAt := func(at time.Time) []string {
		t.Helper()
		r.clock.Advance(at.Sub(r.clock.Now()))
		if _, err := s.Scan(t.Context()); err != nil {
			t.Fatal(err)
		}
		return kinds(r.inbox.take())
	}
	mustSlice(t, "Monday morning (a calendar clock would have broken)", scanAt(time.Date(2026, 12, 7, 9, 0, 0, 0, shanghai)), nil)
	mustSlice(t, "Wednesday 09:59", scanAt(time.Date(2026, 12, 9, 9, 59, 0, 0, shanghai)), nil)
	mustSlice(t, "Wednesday 10:00", scanAt(time.Date(2026, 12, 9, 10, 0, 0, 0, shanghai)), []string{"warning@to:agent-wang"})
	over, err := s.List(t.Context(), complaints.Filter{Overdue: true})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "overdue at 10:00", len(over), 0)
	mustSlice(t, "Wednesday 14:00", scanAt(time.Date(2026, 12, 9, 14, 0, 0, 0, shanghai)), []string{"breach@to:agent-wang"})
	if over, err = s.List(t.Context(), complaints.Filter{Overdue: true}); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "overdue at 14:00", len(over), 1)
	got, err := s.Get(t.Context(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, ch := range got.Changes[2:] {
		lines = append(lines, ch.At.In(shanghai).Format("Mon 15:04")+"|"+ch.Actor+"|"+string(ch.Action)+"|"+string(ch.From)+"|"+string(ch.To)+"|"+ch.Note)
	}
	mustSlice(t, "the scan's changes", lines, []string{
		"Wed 10:00|system|warning|notified|notified|the resolve clock's warning: sent to the owner and the supervisors",
		"Wed 14:00|system|breach|notified|notified|the resolve clock broke: escalated to the owner and the supervisors",
	})
}

// TestFeedbackClock: the customer's feedback starts the category's
// feedback clock (48 h for damaged, warning 2 h before); its breach
// escalates once; reopening restarts the 12 h resolve clock (the
// feedback's clock runs on until the resolution answers it).
func TestFeedbackClock(t *testing.T) {
	start := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	r := newRig(t, start)
	s := r.service(t)
	ctx := t.Context()
	c, err := s.Register(ctx, registration("400-cal", "damaged"), "agent-wang")
	if err != nil {
		t.Fatal(err)
	}
	mustTime(t, "resolve due", c.ResolveDue, start.Add(12*time.Hour))
	if c, err = s.Act(ctx, c.ID, "agent-wang", complaints.ActResolve, "sent a new one", ""); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(30 * time.Hour)
	if n, err := s.Scan(ctx); err != nil || n != 0 {
		t.Fatalf("scan of a resolved complaint: %d, %v", n, err)
	}
	if c, err = s.Act(ctx, c.ID, "agent-wang", complaints.ActFeedback, "the new one is scratched", ""); err != nil {
		t.Fatal(err)
	}
	mustTime(t, "feedback due", c.FeedbackDue, start.Add(78*time.Hour))
	r.inbox.take()
	r.clock.Advance(46 * time.Hour)
	if _, err := s.Scan(ctx); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(2 * time.Hour)
	for range 2 {
		if _, err := s.Scan(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ns := r.inbox.take()
	mustSlice(t, "feedback clock's notices", kinds(ns), []string{"warning@to:agent-wang", "breach@to:agent-wang"})
	if len(ns) == 2 {
		mustTime(t, "breach's due", ns[1].Due, start.Add(78*time.Hour))
	}
	if c, err = s.Get(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "breached", c.Breached, true)
	if c, err = s.Act(ctx, c.ID, "agent-wang", complaints.ActReopen, "customer wants a refund", ""); err != nil {
		t.Fatal(err)
	}
	mustTime(t, "reopened: resolve due", c.ResolveDue, r.clock.Now().Add(12*time.Hour))
	mustTime(t, "reopened: the feedback is still not answered", c.FeedbackDue, start.Add(78*time.Hour))
	mustEqual(t, "reopened: the unanswered feedback's breach shows", c.Breached, true)
	if c, err = s.Act(ctx, c.ID, "agent-wang", complaints.ActResolve, "refunded", ""); err != nil {
		t.Fatal(err)
	}
	if c, err = s.Act(ctx, c.ID, "agent-wang", complaints.ActReopen, "customer wants an apology too", ""); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "reopened again: a fresh clock, not warned", c.Warned, false)
	mustEqual(t, "reopened again: not breached", c.Breached, false)
	mustEqual(t, "no feedback clock", c.FeedbackDue.IsZero(), true)
}

// TestRun: Run scans at once and then every period on the clock, until
// its context ends.
func TestRun(t *testing.T) {
	start := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	r := newRig(t, start)
	s := r.service(t)
	c, err := s.Register(t.Context(), registration("400-cal", "quality"), "agent-wang")
	if err != nil {
		t.Fatal(err)
	}
	r.inbox.take()
	r.inbox.mu.Lock()
	r.inbox.sent = make(chan complaints.Notice, 4)
	r.inbox.mu.Unlock()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, time.Minute) }()
	if err := r.clock.BlockUntilContext(ctx, 1); err != nil { // the ticker, after the first scan
		t.Fatal(err)
	}
	r.clock.Advance(20 * time.Hour)
	n := <-r.inbox.sent
	mustEqual(t, "notice", string(n.Kind)+" "+n.ComplaintID, "warning "+c.ID)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestScanNotifierDown: a warning whose notice cannot be queued is not
// marked; the next scan, with the notifier back, sends it, once.
func TestScanNotifierDown(t *testing.T) {
	start := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	r := newRig(t, start)
	s := r.serviceBatch(t, 2)
	for range 5 {
		if _, err := s.Register(t.Context(), registration("400-cal", "quality"), "agent-wang"); err != nil {
			t.Fatal(err)
		}
	}
	r.inbox.take()
	r.clock.Advance(20 * time.Hour)
	r.inbox.setFailing(true)
	n, err := s.Scan(t.Context())
	if !errors.Is(err, errDown) || n != 0 {
		t.Fatalf("scan with the notifier down: %d, %v", n, err)
	}
	r.inbox.setFailing(false)
	if n, err = s.Scan(t.Context()); err != nil || n != 5 {
		t.Fatalf("scan with the notifier back: %d, %v", n, err)
	}
	if n, err = s.Scan(t.Context()); err != nil || n != 0 {
		t.Fatalf("scan again: %d, %v", n, err)
	}
	mustEqual(t, "warnings sent", len(r.inbox.take()), 5)
}
