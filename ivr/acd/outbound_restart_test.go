package acd_test

import (
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
)

// TestDialInterruptedByRestart: an instance that stops while its agent
// calls out ends the call cleanly (an outbound call is not adopted): the
// customer's phone and the agent's are hung up, the outcome says so, and
// the next instance has the agent free again, in the state it had before
// (or, after a conversation, through its wrap-up to ready).
func TestDialInterruptedByRestart(t *testing.T) {
	tests := []struct {
		name     string
		answered bool // the customer answered before the stop
		want     string
	}{
		{"while the customer's phone rings", false, acd.OutboundInterrupted},
		{"during the conversation", true, acd.OutboundTalked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRestartRig(t)
			trunk := r.emu.AddEndpoint("PJSIP", "trunk", aritest.ManualAnswer())
			ep := r.emu.AddEndpoint("PJSIP", "1001", aritest.AnswerAfter(time.Second))
			a := r.start("A", queue.QueueConfig{WrapUp: 30 * time.Second}, "1001")
			a.must(a.svc.Login(r.ctx, "1001"))
			a.must(a.svc.Ready(r.ctx, "1001"))
			var o outcomes
			_, err := a.svc.Dial(r.ctx, followUp("1001", "13800000001", &o))
			a.must(err)
			var customer, agent *aritest.Party
			a.until("the customer dialled", func() bool { customer = pending(trunk); return customer != nil })
			agent = pending(ep)
			if tt.answered {
				a.must(customer.Answer())
				a.until("the bridge", func() bool { return findBridgeOf(t, r, customer.ID(), agent.ID()) != "" })
			}
			a.stop()
			if !customer.Snapshot().HungUp || !agent.Snapshot().HungUp {
				t.Errorf("after the stop: customer hung up %v, agent hung up %v; want both", customer.Snapshot().HungUp, agent.Snapshot().HungUp)
			}
			if got := o.list(); len(got) != 1 || got[0] != tt.want {
				t.Errorf("outcomes %v, want %s", got, tt.want)
			}
			calls := a.records.agentCalls()
			if len(calls) != 1 || calls[0].EndedBy != "system" || calls[0].Outbound == nil || calls[0].Outbound.Outcome != tt.want {
				t.Errorf("A recorded %+v", calls)
			}

			b := r.start("B", queue.QueueConfig{WrapUp: 30 * time.Second}, "1001")
			b.until("1001 ready again", func() bool {
				st, _ := b.center.Agent("1001")
				return st.State == queue.Ready
			})
		})
	}
}
