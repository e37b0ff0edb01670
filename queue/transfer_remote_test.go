package queue_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

// TestTransferToRemote: a's caller, on the call with a's own agent 2001,
// is transferred to b's agent 1001 (held at b): 2001 wraps up, the offer
// rings 1001 from a with the queue's ring timeout; the ring running out
// puts the caller back in its place, first in line. Refused: an agent
// signed in here (TransferToAgent's), no ID, a call not connected.
func TestTransferToRemote(t *testing.T) {
	in := newInstances(t, queue.QueueConfig{Name: "service", RingTimeout: 15 * time.Second, WrapUp: 30 * time.Second})
	a := in.a
	a.agent("2001", nil)
	a.ready("2001")
	if _, err := a.c.TransferToRemote("c1", queue.RemoteAgent{ID: "1001"}); !errors.Is(err, queue.ErrCallState) {
		t.Errorf("transferring a waiting call: %v, want ErrCallState", err)
	}
	o, err := a.c.Assign("c1", "2001")
	a.must(err)
	a.must(a.c.Answered("c1", o.Agent))
	if _, err := a.c.TransferToRemote("c1", queue.RemoteAgent{ID: "2001"}); !errors.Is(err, queue.ErrInvalidAgent) {
		t.Errorf("transferring to a remote agent signed in here: %v, want ErrInvalidAgent", err)
	}
	if _, err := a.c.TransferToRemote("c1", queue.RemoteAgent{}); !errors.Is(err, queue.ErrInvalidAgent) {
		t.Errorf("transferring to a remote agent without an ID: %v, want ErrInvalidAgent", err)
	}
	a.advance(time.Minute)
	o, err = a.c.TransferToRemote("c1", queue.RemoteAgent{ID: "1001", Name: "王芳", Device: "PJSIP/1001@kamailio"})
	a.must(err)
	if o.CallID != "c1" || o.Agent != "1001" || o.Device != "PJSIP/1001@kamailio" || !o.Deadline.Equal(a.clk.Now().Add(15*time.Second)) {
		t.Errorf("offer %+v", o)
	}
	if st, _ := a.state("2001"); st != queue.WrapUp {
		t.Errorf("2001 is %s after transferring, want wrap-up", st)
	}
	if _, err := a.c.TransferToRemote("c1", queue.RemoteAgent{ID: "1001"}); !errors.Is(err, queue.ErrCallState) {
		t.Errorf("transferring a ringing call: %v, want ErrCallState", err)
	}
	a.check()
	a.advance(15 * time.Second)
	d := a.next()
	if len(d.RingTimeouts) != 1 || d.RingTimeouts[0].Agent != "1001" {
		t.Fatalf("ring timeouts %+v, want 1001's", d.RingTimeouts)
	}
	if p, err := a.c.Position("c1"); err != nil || p.Position != 1 {
		t.Errorf("the caller after the ring-out: %+v, %v; want first in line", p, err)
	}
	a.check()
}
