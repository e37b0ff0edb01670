package queue_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/queue"
)

// TestSharedWithdraw: the router withdraws an offer to another instance's
// agent (its home declined it, or died): the caller is back in its place,
// ahead of a later caller, no miss is counted, and its ring timer is void;
// a stale or a local offer is refused.
func TestSharedWithdraw(t *testing.T) {
	e := newSharedEnv(t, clockwork.NewFakeClockAt(t0), queue.QueueConfig{Name: "service", RingTimeout: 15 * time.Second})
	e.agent("1001", nil)
	e.ready("1001")
	e.enqueue("c1", "service", 0)
	e.advance(time.Second)
	e.enqueue("c2", "service", 0)
	if _, err := e.c.AssignRemote("c1", queue.RemoteAgent{ID: "2001", Name: "Agent 2001", Device: "PJSIP/2001"}); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Withdraw("c1", "2002"); !errors.Is(err, queue.ErrNotOffered) {
		t.Errorf("withdrawing c1's offer to the wrong agent: %v, want ErrNotOffered", err)
	}
	e.must(e.c.Withdraw("c1", "2001"))
	if p, err := e.c.Position("c1"); err != nil || p.Position != 1 || p.Waiting != 2 {
		t.Fatalf("c1 at %+v, %v after its offer was withdrawn; want first of 2 again", p, err)
	}
	if err := e.c.Withdraw("c1", "2001"); !errors.Is(err, queue.ErrCallState) {
		t.Errorf("withdrawing it again: %v, want ErrCallState", err)
	}
	e.advance(20 * time.Second) // past the withdrawn offer's ring timeout
	if d := e.next(); len(d.RingTimeouts) != 0 {
		t.Errorf("ring timeouts %v after the offer was withdrawn", pairs(d.RingTimeouts))
	}
	qs, _ := e.c.QueueStatus("service")
	if qs.Missed != 0 || qs.Waiting != 2 {
		t.Errorf("queue status %+v, want nothing missed and 2 waiting", qs)
	}
	if got := states(e.c, "2001"); len(got) != 0 {
		t.Errorf("the remote agent's states were logged here: %v", got)
	}
	// An offer to this center's own agent is not the router's to withdraw.
	if _, err := e.c.Assign("c1", "1001"); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Withdraw("c1", "1001"); !errors.Is(err, queue.ErrInvalidAgent) {
		t.Errorf("withdrawing an offer to a local agent: %v, want ErrInvalidAgent", err)
	}
	if err := e.c.Withdraw("nobody", "2001"); !errors.Is(err, queue.ErrUnknownCall) {
		t.Errorf("withdrawing an unknown call: %v, want ErrUnknownCall", err)
	}
	// Once the caller is back, the router may offer it again.
	e.must(e.c.NoAnswer("c1", "1001"))
	if _, err := e.c.AssignRemote("c1", queue.RemoteAgent{ID: "2003", Device: "PJSIP/2003"}); err != nil {
		t.Errorf("offering c1 again after the withdrawal: %v", err)
	}
}
