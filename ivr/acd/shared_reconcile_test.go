package acd_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
)

// lossy is an instance's router whose events (and decisions' offers) can
// be lost, as a notification is when the listening connection breaks, or
// a decision's reply when the connection drops after its commit; the test
// then says SharedResync, as the router does once it listens again.
type lossy struct {
	acd.Shared
	events  chan acd.SharedEvent
	mu      sync.Mutex
	drop    func(acd.SharedEvent) bool // under mu
	dropped chan acd.SharedEvent
}

func newLossy(ctx context.Context, inner acd.Shared) *lossy {
	l := &lossy{Shared: inner, events: make(chan acd.SharedEvent), dropped: make(chan acd.SharedEvent, 16)}
	go func() {
		defer close(l.events)
		for ev := range inner.Events() {
			if l.lose(ev) {
				continue
			}
			select {
			case l.events <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return l
}

func (l *lossy) Events() <-chan acd.SharedEvent { return l.events }

// lose says whether ev is lost, and tells the test.
func (l *lossy) lose(ev acd.SharedEvent) bool {
	l.mu.Lock()
	drop := l.drop != nil && l.drop(ev)
	if drop {
		l.drop = nil // one only
	}
	l.mu.Unlock()
	if drop {
		l.dropped <- ev
	}
	return drop
}

// Route loses its offers as its events are lost.
func (l *lossy) Route(ctx context.Context) (acd.SharedDecision, error) {
	d, err := l.Shared.Route(ctx)
	var kept []acd.SharedOffer
	for _, o := range d.Offers {
		if !l.lose(acd.SharedEvent{Kind: acd.SharedOffered, Offer: o}) {
			kept = append(kept, o)
		}
	}
	d.Offers = kept
	return d, err
}

// loseNext makes the next event of kind (for call, when not empty) lost.
func (l *lossy) loseNext(kind acd.SharedEventKind, call string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.drop = func(ev acd.SharedEvent) bool { return ev.Kind == kind && (call == "" || ev.Offer.CallID == call) }
}

// resync says what the router says once it listens again.
func (l *lossy) resync(t *testing.T) {
	select {
	case l.events <- acd.SharedEvent{Kind: acd.SharedResync}:
	case <-t.Context().Done():
		t.Fatal("the ACD did not take the resync")
	}
}

// lossyCentre is a centre whose instances' routers can lose events.
func lossyCentre(t *testing.T, q queue.QueueConfig, agents ...string) (*centre, map[string]*lossy) {
	ls := map[string]*lossy{}
	c := newCentreWrapped(t, q, func(name string, s acd.Shared) acd.Shared {
		l := newLossy(t.Context(), s)
		ls[name] = l
		return l
	}, agents...)
	return c, ls
}

// lost waits (the clock still) until l lost an event.
func lost(t *testing.T, l *lossy) acd.SharedEvent {
	t.Helper()
	select {
	case ev := <-l.dropped:
		return ev
	case <-t.Context().Done():
		t.Fatal("no event was lost")
		return acd.SharedEvent{}
	}
}

// TestSharedResyncLostHold: the agent's home misses the hold of its agent
// for another instance's caller (the agent rings there, but its home
// shows it ready); after the resync the home holds it, and follows the
// answer.
func TestSharedResyncLostHold(t *testing.T) {
	c, ls := lossyCentre(t, queue.QueueConfig{WrapUp: 10 * time.Second}, "1001")
	c.ready(c.b, "1001")
	ls["b"].loseNext(acd.SharedHold, "")
	caller := c.a.dial("13800000001")
	agent := c.ringing(c.a, "1001")
	lost(t, ls["b"])
	c.b.settle()
	if st, _ := c.b.center.Agent("1001"); st.State != queue.Ready {
		t.Fatalf("the home has 1001 %s without the hold; want still ready", st.State)
	}
	ls["b"].resync(t)
	c.wait("agent 1001 held at its home after the resync", func() bool {
		st, _ := c.b.center.Agent("1001")
		return st.State == queue.Reserved && st.CallID == "a:"+caller.ID()
	})
	if err := agent.Answer(); err != nil {
		t.Fatal(err)
	}
	c.until("agent 1001 on the call at its home", func() bool {
		st, _ := c.b.center.Agent("1001")
		return st.State == queue.OnCall
	})
}

// TestSharedResyncLostOffer: the caller's instance misses the router's
// offer of its caller (the event, or the decision's reply, is lost): the
// agent is reserved in the router but nothing rings; after the resync the
// caller's instance rings the agent, and the caller is put through.
func TestSharedResyncLostOffer(t *testing.T) {
	c, ls := lossyCentre(t, queue.QueueConfig{}, "1001")
	caller := c.a.dial("13800000001")
	c.until("the caller in the shared line", func() bool {
		qs, err := c.ca.Queues(t.Context())
		return err == nil && len(qs) == 1 && qs[0].Waiting == 1
	})
	ls["a"].loseNext(acd.SharedOffered, caller.ID())
	c.ready(c.b, "1001")
	lost(t, ls["a"])
	c.a.settle()
	ep := c.agentsOf[c.a]["1001"]
	if p := pending(ep); p != nil {
		t.Fatal("the agent rings although the offer was lost")
	}
	ls["a"].resync(t)
	var agent *aritest.Party
	c.wait("agent 1001 rung after the resync", func() bool {
		agent = pending(ep)
		return agent != nil
	})
	if err := agent.Answer(); err != nil {
		t.Fatal(err)
	}
	c.a.heard(caller, "sound:hotline/zh/std/agent-id")
	c.until("agent 1001 on the call at its home", func() bool {
		st, _ := c.b.center.Agent("1001")
		return st.State == queue.OnCall && st.CallID == "a:"+caller.ID()
	})
}

// TestSharedResyncLostEnd: the agent's home misses the end of another
// instance's call its agent was on (it would keep the agent on the call
// for ever); after the resync the agent wraps up and is ready again.
func TestSharedResyncLostEnd(t *testing.T) {
	c, ls := lossyCentre(t, queue.QueueConfig{WrapUp: 10 * time.Second}, "1001")
	c.ready(c.b, "1001")
	caller := c.a.dial("13800000001")
	agent := c.ringing(c.a, "1001")
	c.wait("agent 1001 held at its home", func() bool {
		st, _ := c.b.center.Agent("1001")
		return st.State == queue.Reserved
	})
	if err := agent.Answer(); err != nil {
		t.Fatal(err)
	}
	c.a.heard(caller, "sound:hotline/zh/std/agent-id")
	c.until("agent 1001 on the call at its home", func() bool {
		st, _ := c.b.center.Agent("1001")
		return st.State == queue.OnCall
	})
	ls["b"].loseNext(acd.SharedHoldEnded, "")
	if err := caller.Hangup(); err != nil {
		t.Fatal(err)
	}
	lost(t, ls["b"])
	c.b.settle()
	if st, _ := c.b.center.Agent("1001"); st.State != queue.OnCall {
		t.Fatalf("the home has 1001 %s without the end; want still on the call", st.State)
	}
	ls["b"].resync(t)
	c.wait("agent 1001 wrapping up after the resync", func() bool {
		st, _ := c.b.center.Agent("1001")
		return st.State == queue.WrapUp
	})
	c.until("agent 1001 ready again", func() bool {
		st, _ := c.b.center.Agent("1001")
		return st.State == queue.Ready && c.sharedState("1001") == queue.Ready
	})
}
