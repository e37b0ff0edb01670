package queue_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

// TestOutboundReservesTheAgent: an agent calling out is Reserved at once,
// so a caller who arrives meanwhile goes to another agent; answered and
// ended, the call sends the agent to its queue's wrap-up and then back to
// ready, counting in none of the queue's statistics.
func TestOutboundReservesTheAgent(t *testing.T) {
	e := newEnv(t, queue.QueueConfig{Name: "service", WrapUp: 30 * time.Second})
	e.agent("1001", nil)
	e.agent("1002", nil)
	e.ready("1001")
	o, err := e.c.Outbound("out-1", "1001", "service", "13800000001")
	e.must(err)
	if o.CallID != "out-1" || o.Agent != "1001" || o.Device != "PJSIP/1001" || !o.Outbound || o.Number != "13800000001" || o.Callback {
		t.Fatalf("offer %+v", o)
	}
	if st, _ := e.state("1001"); st != queue.Reserved {
		t.Fatalf("agent 1001 is %s, want ringing", st)
	}
	if _, err := e.c.Outbound("out-2", "1001", "service", "13800000002"); !errors.Is(err, queue.ErrIllegalTransition) {
		t.Fatalf("a second outbound call for a ringing agent: %v, want ErrIllegalTransition", err)
	}
	e.enqueue("c1", "service", 0)
	if got := pairs(e.next().Offers); len(got) != 0 {
		t.Fatalf("offers %v while the only ready agent calls out", got)
	}
	e.must(e.c.Answered("out-1", "1001"))
	e.ready("1002")
	if got, want := pairs(e.next().Offers), []string{"c1>1002"}; !slices.Equal(got, want) {
		t.Fatalf("offers %v, want %v", got, want)
	}
	e.must(e.c.Answered("c1", "1002"))
	if _, err := e.c.Transfer("out-1", "service"); !errors.Is(err, queue.ErrCallState) {
		t.Fatalf("transferring an outbound call: %v, want ErrCallState", err)
	}
	if id, _, err := e.c.Dispose("1001"); err != nil || id != "out-1" {
		t.Fatalf("disposition for %q, %v", id, err)
	}
	e.must(e.c.EndCall("out-1"))
	if st, _ := e.state("1001"); st != queue.WrapUp {
		t.Fatalf("agent 1001 is %s after the conversation, want wrap-up", st)
	}
	e.advance(30 * time.Second)
	e.next()
	if st, _ := e.state("1001"); st != queue.Ready {
		t.Fatalf("agent 1001 is %s after its wrap-up, want ready", st)
	}
	qs, _ := e.c.QueueStatus("service")
	if qs.Answered != 1 || qs.Missed != 0 || qs.Abandoned != 0 { // c1 only
		t.Errorf("queue totals %+v: an outbound call counted", qs)
	}
	var got []string
	changes, _ := e.c.DrainStateChanges()
	for _, c := range changes {
		if c.Agent == "1001" && c.CallID == "out-1" {
			got = append(got, c.State.String())
		}
	}
	if want := []string{"ringing", "on call", "wrap-up", "ready"}; !slices.Equal(got, want) {
		t.Errorf("agent 1001's changes for the call %v, want %v", got, want)
	}
}

// TestOutboundBackToNotReady: an agent not ready (with a reason) who calls
// out goes back to not ready with that reason, whether its own phone was
// not answered, the customer was not reached, or after the conversation's
// wrap-up.
func TestOutboundBackToNotReady(t *testing.T) {
	e := newEnv(t, queue.QueueConfig{Name: "service", WrapUp: 10 * time.Second, RequireDisposition: true})
	e.agent("1001", nil)
	e.ready("1001")
	e.must(e.c.SetNotReady("1001", "follow-ups"))
	back := func(what string) {
		t.Helper()
		if st, reason := e.state("1001"); st != queue.NotReady || reason != "follow-ups" {
			t.Fatalf("%s: agent 1001 is %s (%s), want not ready (follow-ups)", what, st, reason)
		}
	}
	_, err := e.c.Outbound("out-1", "1001", "service", "13800000001")
	e.must(err)
	e.must(e.c.NoAnswer("out-1", "1001"))
	back("its own phone not answered")
	if _, err := e.c.Agent("1001"); err != nil {
		t.Fatal(err)
	}

	_, err = e.c.Outbound("out-2", "1001", "service", "13800000001")
	e.must(err)
	e.must(e.c.Answered("out-2", "1001"))
	e.must(e.c.OutboundFailed("out-2"))
	back("the customer not reached")
	if err := e.c.OutboundFailed("out-2"); !errors.Is(err, queue.ErrUnknownCall) {
		t.Fatalf("ending it twice: %v", err)
	}

	_, err = e.c.Outbound("out-3", "1001", "service", "13800000001")
	e.must(err)
	e.must(e.c.Abandon("out-3"))
	back("withdrawn while ringing")

	_, err = e.c.Outbound("out-4", "1001", "service", "13800000001")
	e.must(err)
	e.must(e.c.Answered("out-4", "1001"))
	e.must(e.c.EndCall("out-4"))
	if st, _ := e.state("1001"); st != queue.WrapUp {
		t.Fatalf("agent 1001 is %s after the conversation, want wrap-up", st)
	}
	// The queue's required disposition is not required of an outbound call.
	e.advance(10 * time.Second)
	e.next()
	back("after the wrap-up")
	if err := e.c.OutboundFailed("c9"); !errors.Is(err, queue.ErrUnknownCall) {
		t.Fatalf("an unknown call: %v", err)
	}
}

// TestOutboundRefused: only a logged-in agent with no call may call out.
func TestOutboundRefused(t *testing.T) {
	e := newEnv(t, queue.QueueConfig{Name: "service", WrapUp: 10 * time.Second})
	e.agent("1001", nil)
	e.agent("1002", nil)
	if _, err := e.c.Outbound("out-1", "1001", "service", "138"); !errors.Is(err, queue.ErrIllegalTransition) {
		t.Fatalf("logged out: %v", err)
	}
	e.ready("1001", "1002")
	e.enqueue("c1", "service", 0)
	e.next()
	ringing := e.ringing("c1")
	if _, err := e.c.Outbound("out-1", ringing, "service", "138"); !errors.Is(err, queue.ErrIllegalTransition) {
		t.Fatalf("ringing: %v", err)
	}
	e.must(e.answer("c1"))
	if _, err := e.c.Outbound("out-1", ringing, "service", "138"); !errors.Is(err, queue.ErrIllegalTransition) {
		t.Fatalf("on call: %v", err)
	}
	e.must(e.c.EndCall("c1"))
	if _, err := e.c.Outbound("out-1", ringing, "service", "138"); !errors.Is(err, queue.ErrIllegalTransition) {
		t.Fatalf("in wrap-up: %v", err)
	}
	other := "1001"
	if ringing == other {
		other = "1002"
	}
	if _, err := e.c.Outbound("c1x", other, "nowhere", "138"); !errors.Is(err, queue.ErrUnknownQueue) {
		t.Fatalf("unknown queue: %v", err)
	}
	if _, err := e.c.Outbound("c1x", other, "service", ""); !errors.Is(err, queue.ErrNoNumber) {
		t.Fatalf("no number: %v", err)
	}
	e.enqueue("c2", "service", 0)
	if _, err := e.c.Outbound("c2", other, "service", "138"); !errors.Is(err, queue.ErrDuplicateCall) {
		t.Fatalf("an ID in use: %v", err)
	}
	if st, _ := e.state(other); st != queue.Ready && st != queue.Reserved {
		t.Fatalf("agent %s is %s", other, st)
	}
}
