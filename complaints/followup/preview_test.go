package followup_test

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/complaints/followup"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// call inserts a finished call record, as the journeys' store keeps it.
func (b *base) callRecord(id, caller, disposition string, answered bool, ended time.Time) {
	b.t.Helper()
	var agentAt *time.Time
	if answered {
		v := ended.Add(-5 * time.Minute)
		agentAt = &v
	}
	if _, err := b.db.Exec(b.ctx, `
		INSERT INTO calls (id, hotline, caller, arrived_at, answered_at, ended_at, agent_id, agent_answered_at, disposition, outcome)
		VALUES ($1, '4008001234', $2, $3, $3, $4, CASE WHEN $5::timestamptz IS NULL THEN NULL ELSE '1001' END, $5, NULLIF($6, ''), 'queued')`,
		id, caller, ended.Add(-10*time.Minute), ended, agentAt, disposition); err != nil {
		b.t.Fatal(err)
	}
}

// TestPreviewTakeRace: a repair booking's task is offered to the team;
// of eight agents who take it at once, one wins; the others are refused.
func TestPreviewTakeRace(t *testing.T) {
	b := newBase(t, at("2026-12-07 10:00"))
	in := b.instance("a", b.clk, aritest.ManualAnswer(), func(c *followup.Config) {
		c.Policy.Complaint = ""
		c.Policy.DispositionMode, c.Policy.Dispositions, c.Policy.Team = followup.Preview, []string{"repair-booked"}, "after-sales"
	})
	b.callRecord("call-1", "13800138001", "repair-booked", true, at("2026-12-07 09:30"))
	b.callRecord("call-2", "13800138002", "inquiry", true, at("2026-12-07 09:40"))
	b.callRecord("call-3", "13800138003", "repair-booked", true, at("2026-11-20 09:40")) // long ago
	in.pass()
	in.pass()
	ts, err := in.svc.List(b.ctx, followup.Filter{Team: "after-sales", States: []followup.State{followup.Offered}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].CallID != "call-1" || ts[0].Reason != followup.ForDisposition || ts[0].Agent != "" || ts[0].Number != "13800138001" {
		t.Fatalf("tasks %+v, want call-1's offered to the team", ts)
	}
	id := ts[0].ID
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []string
	refused := 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			agent := fmt.Sprintf("10%02d", i)
			_, err := in.svc.Take(b.ctx, id, agent)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, agent)
			case errors.Is(err, followup.ErrStep):
				refused++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(won) != 1 || refused != 7 {
		t.Fatalf("won by %v, %d refused; want one winner", won, refused)
	}
	mustEqual(t, "taken by", b.task(id).Agent, won[0])
	if _, err := in.svc.Take(b.ctx, id, won[0]); err != nil {
		t.Errorf("the taker takes it again: %v", err)
	}
	mine, err := in.svc.List(b.ctx, followup.Filter{Agent: won[0]})
	if err != nil || len(mine) != 1 {
		t.Errorf("the agent's list %v, %v", mine, err)
	}
}

// TestPreviewDialAndRecord: the owner of a resolved complaint is offered
// its follow-up; only the agent it is offered to may call; a call not
// answered counts an attempt and the task is offered again; a dial that
// fails counts too; the answer satisfied follows the complaint up and
// closes it, by the agent.
func TestPreviewDialAndRecord(t *testing.T) {
	b := newBase(t, at("2026-12-07 10:00"))
	in := b.instance("a", b.clk, aritest.ManualAnswer(), func(c *followup.Config) { c.Policy.Complaint = followup.Preview })
	c := b.resolved("13800138001")
	in.pass()
	task := b.only(in.svc, c.ID)
	if task.State != followup.Offered || task.Mode != followup.Preview || task.Agent != "1001" || task.Team != "quality-dept" {
		t.Fatalf("task %+v, want offered to the owner 1001 and team quality-dept", task)
	}
	if _, err := in.svc.Take(b.ctx, task.ID, "1002"); !errors.Is(err, followup.ErrStep) {
		t.Errorf("another agent takes the owner's task: %v, want ErrStep", err)
	}
	var dialled []string
	dial := func(_ context.Context, number string) (string, error) {
		dialled = append(dialled, number)
		return fmt.Sprintf("out-%d", len(dialled)), nil
	}
	if _, err := in.svc.StartPreview(b.ctx, task.ID, "1002", dial); !errors.Is(err, followup.ErrStep) {
		t.Errorf("another agent calls: %v, want ErrStep", err)
	}
	got, err := in.svc.StartPreview(b.ctx, task.ID, "1001", dial)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tries) != 1 || got.Tries[0].CallID != "out-1" || got.Tries[0].By != "1001" || got.Tries[0].Outcome != "" || got.Attempts != 1 {
		t.Fatalf("after the dial: %+v, want one attempt under way on out-1 by 1001", got.Tries)
	}
	if _, err := in.svc.StartPreview(b.ctx, task.ID, "1001", dial); !errors.Is(err, followup.ErrStep) {
		t.Errorf("a second call while one is under way: %v, want ErrStep", err)
	}
	if got, err = in.svc.Record(b.ctx, task.ID, "1001", followup.Outcome{Reached: false}); err != nil {
		t.Fatal(err)
	}
	if got.State != followup.Offered || got.Agent != "1001" || got.Tries[0].Outcome != followup.OutcomeNoAnswer {
		t.Fatalf("not reached: %+v, want offered again to the owner, the attempt not answered", got)
	}
	// The per-number limits hold for agents too: the next call 20 min
	// after the last.
	if _, err := in.svc.StartPreview(b.ctx, task.ID, "1001", dial); !errors.Is(err, followup.ErrStep) || !strings.Contains(err.Error(), "10:20") {
		t.Errorf("a call 0 min after the last: %v, want ErrStep saying from 10:20", err)
	}
	b.clk.Advance(20 * time.Minute)
	failing := func(context.Context, string) (string, error) { return "", errors.New("the agent cannot call out now") }
	if _, err := in.svc.StartPreview(b.ctx, task.ID, "1001", failing); err == nil {
		t.Fatal("a failed dial returned no error")
	}
	if got = b.task(task.ID); got.Attempts != 2 || got.Tries[1].Outcome != followup.OutcomeFailed || got.State != followup.Offered {
		t.Fatalf("after a failed dial: %+v", got)
	}
	b.clk.Advance(time.Hour)
	if _, err := in.svc.StartPreview(b.ctx, task.ID, "1001", dial); err != nil {
		t.Fatal(err)
	}
	if _, err := in.svc.Record(b.ctx, task.ID, "1001", followup.Outcome{Reached: true}); !errors.Is(err, followup.ErrInvalid) {
		t.Errorf("reached without satisfied: %v, want ErrInvalid", err)
	}
	no := false
	if _, err := in.svc.Record(b.ctx, task.ID, "1001", followup.Outcome{Reached: true, Satisfied: &no}); !errors.Is(err, followup.ErrInvalid) {
		t.Errorf("not satisfied without a note: %v, want ErrInvalid", err)
	}
	yes := true
	got, err = in.svc.Record(b.ctx, task.ID, "1001", followup.Outcome{Reached: true, Satisfied: &yes,
		Answers: map[string]string{"product": "正常使用", "service": "满意"}, Note: "客户表示已修好"})
	if err != nil {
		t.Fatal(err)
	}
	r := got.Result
	if got.State != followup.Done || r == nil || !r.Reached || !*r.Satisfied || r.By != "1001" || r.CallID != "out-2" || r.Answers["service"] != "满意" {
		t.Fatalf("result %+v of %+v, want done, satisfied, by 1001 on out-2", r, got)
	}
	if slices.Compare(dialled, []string{"13800138001", "13800138001"}) != 0 {
		t.Errorf("dialled %v", dialled)
	}
	if _, err := in.svc.Record(b.ctx, task.ID, "1001", followup.Outcome{Reached: true, Satisfied: &yes}); !errors.Is(err, followup.ErrStep) {
		t.Errorf("a second result: %v, want ErrStep", err)
	}
	cp, err := b.cs.Get(b.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "complaint", cp.State, complaints.Closed)
	fu := cp.Changes[len(cp.Changes)-2]
	if fu.Action != complaints.ActFollowUp || fu.Actor != "1001" || !strings.Contains(fu.Note, "客户表示已修好") || !strings.Contains(fu.Note, "service=满意") {
		t.Errorf("follow-up change %+v, want by 1001 with the answers and the note", fu)
	}
}

// TestPreviewUnreached: an agent's attempts run out: unreached; a
// result then is refused. A complaint closed by hand before its task ran
// cancels the task.
func TestPreviewUnreached(t *testing.T) {
	b := newBase(t, at("2026-12-07 10:00"))
	in := b.instance("a", b.clk, aritest.ManualAnswer(), func(c *followup.Config) {
		c.Policy.Complaint, c.Policy.PreviewAttempts, c.Policy.Attempts = followup.Preview, 2, 2
	})
	c := b.resolved("13800138001")
	in.pass()
	task := b.only(in.svc, c.ID)
	for range 2 {
		if _, err := in.svc.Record(b.ctx, task.ID, "1001", followup.Outcome{Reached: false, Note: "无人接听"}); err != nil {
			t.Fatal(err)
		}
	}
	got := b.task(task.ID)
	if got.State != followup.Unreached || got.Attempts != 2 || got.Result == nil || got.Result.Reached || got.Result.By != "1001" {
		t.Fatalf("after two calls not answered: %+v, want unreached by 1001", got)
	}
	if _, err := in.svc.Record(b.ctx, task.ID, "1001", followup.Outcome{Reached: false}); !errors.Is(err, followup.ErrStep) {
		t.Errorf("a result of an unreached task: %v, want ErrStep", err)
	}
	// The complaint followed up by hand: the next resolution's task is
	// cancelled before anyone calls.
	c2 := b.resolved("13800138002")
	in.pass()
	t2 := b.only(in.svc, c2.ID)
	if _, err := b.cs.Act(b.ctx, c2.ID, "1001", complaints.ActFollowUp, "客户来电表示满意", ""); err != nil {
		t.Fatal(err)
	}
	in.pass()
	mustEqual(t, "the task of a complaint followed up by hand", b.task(t2.ID).State, followup.Cancelled)
}

// TestSampleTrigger: the answered calls whose IDs hash below the share
// get a task each, the same ones on every pass; unanswered calls and the
// follow-up flow's own calls none.
func TestSampleTrigger(t *testing.T) {
	b := newBase(t, at("2026-12-07 10:00"))
	in := b.instance("a", b.clk, aritest.ManualAnswer(), func(c *followup.Config) {
		c.Policy.Complaint = ""
		c.Policy.SampleMode, c.Policy.SampleShare, c.Policy.Team = followup.Preview, 0.3, "qa"
	})
	var want []string
	for i := range 40 {
		id := fmt.Sprintf("call-%02d", i)
		answered := i%5 != 0
		b.callRecord(id, fmt.Sprintf("139%08d", i), "", answered, at("2026-12-07 09:00"))
		sum := md5.Sum([]byte(id))
		if answered && float64(binary.BigEndian.Uint32(sum[:4])) < 0.3*4294967296 {
			want = append(want, id)
		}
	}
	if _, err := b.db.Exec(b.ctx, `INSERT INTO calls (id, hotline, caller, arrived_at, ended_at, agent_answered_at)
		VALUES ('followup-f1-1', $1, '4008001234', $2, $2, $2)`, flowNumber, at("2026-12-07 09:00")); err != nil {
		t.Fatal(err)
	}
	in.pass()
	in.pass()
	ts, err := in.svc.List(b.ctx, followup.Filter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, task := range ts {
		if task.Reason != followup.ForSample || task.Team != "qa" || task.State != followup.Offered {
			t.Errorf("task %+v, want a sample offered to qa", task)
		}
		got = append(got, task.CallID)
	}
	slices.Sort(got)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("sampled %v, want %v", got, want)
	}
}

// TestRun: Run recovers, then passes on its period: a task made while it
// runs is dialled on the next tick; it returns when ctx ends.
func TestRun(t *testing.T) {
	b := newBase(t, at("2026-12-07 10:00"))
	in := b.instance("a", b.clk, aritest.ManualAnswer(), nil)
	ctx, cancel := context.WithCancel(b.ctx)
	done := make(chan error, 1)
	go func() { done <- in.svc.Run(ctx) }()
	b.clk.BlockUntilContext(b.ctx, 1) // the ticker after the first pass
	c := b.resolved("13800138001")
	b.clk.Advance(time.Minute)
	p := in.call()
	mustEqual(t, "dialled", p.Dialed(), "13800138001")
	mustEqual(t, "the task", b.only(in.svc, c.ID).State, followup.Dialling)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestPreviewRefusals: no agent, a result too long, an unknown task.
func TestPreviewRefusals(t *testing.T) {
	b := newBase(t, at("2026-12-07 10:00"))
	in := b.instance("a", b.clk, aritest.ManualAnswer(), func(c *followup.Config) { c.Policy.Complaint = followup.Preview })
	c := b.resolved("13800138001")
	in.pass()
	task := b.only(in.svc, c.ID)
	if _, err := in.svc.Take(b.ctx, task.ID, " "); !errors.Is(err, followup.ErrInvalid) {
		t.Errorf("no agent: %v, want ErrInvalid", err)
	}
	if _, err := in.svc.Record(b.ctx, task.ID, "", followup.Outcome{}); !errors.Is(err, followup.ErrInvalid) {
		t.Errorf("no agent: %v, want ErrInvalid", err)
	}
	if _, err := in.svc.Record(b.ctx, task.ID, "1001", followup.Outcome{Note: strings.Repeat("长", 4001)}); !errors.Is(err, followup.ErrInvalid) {
		t.Errorf("a note too long: %v, want ErrInvalid", err)
	}
	if _, err := in.svc.Take(b.ctx, "F20261207-999999", "1001"); !errors.Is(err, followup.ErrNotFound) {
		t.Errorf("an unknown task: %v, want ErrNotFound", err)
	}
	if _, err := in.svc.List(b.ctx, followup.Filter{States: []followup.State{"lost"}}); !errors.Is(err, followup.ErrInvalid) {
		t.Errorf("an unknown state: %v, want ErrInvalid", err)
	}
	mustEqual(t, "the task", b.task(task.ID).State, followup.Offered)
	// Nor do agents call customers at night.
	b.clk.Advance(at("2026-12-07 20:00").Sub(b.clk.Now()))
	dial := func(context.Context, string) (string, error) { return "out-1", nil }
	if _, err := in.svc.StartPreview(b.ctx, task.ID, "1001", dial); !errors.Is(err, followup.ErrStep) || !strings.Contains(err.Error(), "2026-12-08 09:00") {
		t.Errorf("a call at 20:00: %v, want ErrStep saying from 09:00 the next day", err)
	}
}

// TestConfig: what New refuses, and its defaults' allowed hours (every
// day 09:00–20:00 in the zone).
func TestConfig(t *testing.T) {
	b := newBase(t, at("2026-12-07 10:00"))
	dialer := followup.NewARIDialer(nil, "hotline")
	for _, tt := range []struct {
		name string
		cfg  followup.Config
	}{
		{"no store", followup.Config{Complaints: b.cs}},
		{"a bad mode", followup.Config{Store: b.store, Complaints: b.cs, Policy: followup.Policy{Complaint: "robot"}}},
		{"a share above 1", followup.Config{Store: b.store, Complaints: b.cs, Policy: followup.Policy{SampleShare: 1.5}}},
		{"a bad fallback", followup.Config{Store: b.store, Complaints: b.cs, Policy: followup.Policy{Fallback: "email"}}},
		{"a dialler without an instance", followup.Config{Store: b.store, Complaints: b.cs, Dialer: dialer,
			Policy: followup.Policy{FlowNumber: flowNumber, Endpoint: "PJSIP/%s@trunk"}}},
		{"a dialler without a flow", followup.Config{Store: b.store, Complaints: b.cs, Dialer: dialer, Instance: "a",
			Policy: followup.Policy{Endpoint: "PJSIP/%s@trunk"}}},
		{"bad hours", followup.Config{Store: b.store, Complaints: b.cs,
			Policy: followup.Policy{Hours: complaints.Hours{Week: [7][]complaints.Span{{{From: 20 * time.Hour, To: 9 * time.Hour}}}}}}},
	} {
		if _, err := followup.New(tt.cfg); !errors.Is(err, followup.ErrInvalid) && !errors.Is(err, complaints.ErrInvalid) {
			t.Errorf("%s: %v, want refused as invalid", tt.name, err)
		}
	}
	// Without a dialler automated tasks wait; the triggers still make
	// them, at the default hours.
	b.clk.Advance(at("2026-12-07 20:30").Sub(b.clk.Now()))
	svc, err := followup.New(followup.Config{Store: b.store, Complaints: b.cs, Zone: shanghai, Clock: b.clk, Logger: quiet(),
		Policy: followup.Policy{Complaint: followup.Auto}})
	if err != nil {
		t.Fatal(err)
	}
	c := b.resolved("13800138001")
	if err := svc.Pass(b.ctx); err != nil {
		t.Fatal(err)
	}
	task := b.only(svc, c.ID)
	mustTime(t, "not before", task.NotBefore, at("2026-12-08 09:00"))
	mustEqual(t, "max attempts", task.MaxAttempts, followup.DefaultAttempts)
}

// TestPreviewEnded: the ACD's word on an agent's call: a customer not
// reached ends the attempt with its outcome and offers the task again
// (its attempts used: unreached); an agent who did not answer its own
// phone gives the attempt back; a conversation, or a call whose result
// the agent recorded already, changes nothing.
func TestPreviewEnded(t *testing.T) {
	b := newBase(t, at("2026-12-07 10:00"))
	in := b.instance("a", b.clk, aritest.ManualAnswer(), func(c *followup.Config) {
		c.Policy.Complaint = followup.Preview
		c.Policy.MinGap = time.Minute
		c.Policy.PreviewAttempts = 3
	})
	c := b.resolved("13800138001")
	in.pass()
	task := b.only(in.svc, c.ID)
	n := 0
	dial := func(context.Context, string) (string, error) { n++; return fmt.Sprintf("out-%d", n), nil }
	call := func() {
		t.Helper()
		b.clk.Advance(time.Minute)
		if _, err := in.svc.StartPreview(b.ctx, task.ID, "1001", dial); err != nil {
			t.Fatal(err)
		}
	}
	ended := func(outcome string) followup.Task {
		t.Helper()
		if _, err := in.svc.PreviewEnded(b.ctx, task.ID, "1001", outcome); err != nil {
			t.Fatal(err)
		}
		return b.task(task.ID)
	}

	call()
	got := ended(followup.CallAgentNoAnswer)
	if got.Attempts != 0 || len(got.Tries) != 0 || got.State != followup.Offered {
		t.Fatalf("after the agent's phone rang out: %+v, want the attempt given back", got)
	}
	call()
	if got = ended(followup.CallTalked); len(got.Tries) != 1 || got.Tries[0].Outcome != "" {
		t.Fatalf("after a conversation: %+v, want the attempt still open for the agent's result", got.Tries)
	}
	if _, err := in.svc.Record(b.ctx, task.ID, "1001", followup.Outcome{Reached: false}); err != nil {
		t.Fatal(err)
	}
	// The call's end after the agent's result changes nothing.
	if got = ended(followup.CallNoAnswer); len(got.Tries) != 1 || got.Tries[0].Outcome != followup.OutcomeNoAnswer || got.State != followup.Offered {
		t.Fatalf("an end after the result: %+v", got)
	}
	// The agent's "not reached" after the ACD said so is that call's, not
	// another attempt.
	call()
	got = ended(followup.CallNoAnswer)
	if _, err := in.svc.Record(b.ctx, task.ID, "1001", followup.Outcome{Reached: false}); err != nil {
		t.Fatal(err)
	}
	if got2 := b.task(task.ID); got2.Attempts != got.Attempts || len(got2.Tries) != len(got.Tries) {
		t.Fatalf("the agent's not reached after the ACD's: %d attempts, want %d", got2.Attempts, got.Attempts)
	}
	call()
	got = ended(followup.CallBusy)
	if len(got.Tries) != 3 || got.Tries[2].Outcome != followup.OutcomeBusy || got.Tries[2].Ended.IsZero() || got.State != followup.Unreached {
		t.Fatalf("busy on the last attempt: %+v (tries %+v), want unreached", got, got.Tries)
	}
	if _, err := in.svc.PreviewEnded(b.ctx, task.ID, "1001", "exploded"); !errors.Is(err, followup.ErrInvalid) {
		t.Errorf("an unknown outcome: %v, want ErrInvalid", err)
	}
}
