package queue_test

import (
	"slices"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/queue"
)

func TestStateChangesForReporting(t *testing.T) {
	e := newEnv(t, queue.QueueConfig{Name: "service", WrapUp: 30 * time.Second})
	e.agent("1001", nil)
	e.must(e.c.Login("1001"))
	e.advance(time.Minute)
	e.must(e.c.SetReady("1001"))
	e.enqueue("c1", "service", 0)
	e.advance(time.Second)
	e.next()
	e.advance(5 * time.Second)
	e.must(e.answer("c1"))
	e.advance(3 * time.Minute)
	e.must(e.c.EndCall("c1"))
	e.advance(30 * time.Second)
	e.next()
	e.must(e.c.SetNotReady("1001", "lunch"))
	e.must(e.c.Logout("1001"))

	type change struct {
		at                  time.Duration
		from, to            queue.AgentState
		reason, call, queue string
	}
	want := []change{
		{0, queue.LoggedOut, queue.NotReady, "login", "", ""},
		{time.Minute, queue.NotReady, queue.Ready, "", "", ""},
		{61 * time.Second, queue.Ready, queue.Reserved, "", "c1", "service"},
		{66 * time.Second, queue.Reserved, queue.OnCall, "", "c1", "service"},
		{246 * time.Second, queue.OnCall, queue.WrapUp, "", "c1", "service"},
		{276 * time.Second, queue.WrapUp, queue.Ready, "", "c1", "service"}, // the end of c1's wrap-up
		{276 * time.Second, queue.Ready, queue.NotReady, "lunch", "", ""},
		{276 * time.Second, queue.NotReady, queue.LoggedOut, "", "", ""},
	}
	changes, dropped := e.c.DrainStateChanges()
	var got []change
	for _, ch := range changes {
		if ch.Agent != "1001" {
			t.Fatalf("change for agent %q", ch.Agent)
		}
		got = append(got, change{ch.At.Sub(t0), ch.From, ch.State, ch.Reason, ch.CallID, ch.Queue})
	}
	if !slices.Equal(got, want) || dropped != 0 {
		t.Fatalf("got %+v (%d dropped),\nwant %+v", got, dropped, want)
	}
	if again, _ := e.c.DrainStateChanges(); len(again) != 0 {
		t.Fatalf("a second drain got %d changes, want none", len(again))
	}
}

func TestStateLogLimit(t *testing.T) {
	c, err := queue.New(queue.Config{Clock: clockwork.NewFakeClock(), StateLogLimit: 10, Queues: []queue.QueueConfig{{Name: "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetAgent(queue.AgentConfig{ID: "1001"}); err != nil {
		t.Fatal(err)
	}
	c.Login("1001")
	for range 12 { // 25 changes in all
		c.SetReady("1001")
		c.SetNotReady("1001", "break")
	}
	changes, dropped := c.DrainStateChanges()
	if len(changes)+dropped != 25 || len(changes) > 10 || changes[len(changes)-1].Reason != "break" {
		t.Fatalf("kept %d, dropped %d; want 25 in all, at most 10 kept, the newest last", len(changes), dropped)
	}
}
