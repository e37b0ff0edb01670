package queue_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

// TestCallStatus: Call says where a call stands on both sides of a remote
// offer: waiting, offered to the remote agent (Remote) at the caller's
// instance and held (Held) at the agent's home, connected, then unknown.
func TestCallStatus(t *testing.T) {
	in := newInstances(t, queue.QueueConfig{Name: "service", WrapUp: 30 * time.Second})
	call := func(e *env, id string) queue.CallStatus {
		t.Helper()
		st, err := e.c.Call(id)
		e.must(err)
		return st
	}
	if st := call(in.a, "c1"); st != (queue.CallStatus{State: "waiting"}) {
		t.Errorf("waiting caller: %+v", st)
	}
	in.offer(t)
	if st := call(in.a, "c1"); st != (queue.CallStatus{State: "offered", Agent: "1001", Remote: true}) {
		t.Errorf("the caller's instance: %+v", st)
	}
	if st := call(in.b, "c1"); st != (queue.CallStatus{State: "offered", Agent: "1001", Held: true}) {
		t.Errorf("the agent's home: %+v", st)
	}
	in.a.must(in.a.c.Answered("c1", "1001"))
	in.b.must(in.b.c.Answered("c1", "1001"))
	if st := call(in.b, "c1"); st != (queue.CallStatus{State: "connected", Agent: "1001", Held: true}) {
		t.Errorf("the agent's home, connected: %+v", st)
	}
	in.b.must(in.b.c.EndCall("c1"))
	if _, err := in.b.c.Call("c1"); !errors.Is(err, queue.ErrUnknownCall) {
		t.Errorf("an ended call: %v, want ErrUnknownCall", err)
	}
}
