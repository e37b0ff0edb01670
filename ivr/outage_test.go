package ivr_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

// deadAir is the longest silence a party heard between the start of its
// first sound and the end of its last: gaps between one sound's end and
// the next one's start.
func deadAir(hs []aritest.Heard) time.Duration {
	var longest time.Duration
	var heardTo time.Time // the end of all heard so far
	for i, h := range hs {
		if i > 0 && !heardTo.IsZero() && h.Start.After(heardTo) {
			longest = max(longest, h.Start.Sub(heardTo))
		}
		if h.End.IsZero() {
			return longest // still playing (hold music) to the end
		}
		if h.End.After(heardTo) {
			heardTo = h.End
		}
	}
	return longest
}

// TestHundredCallsThroughTenSecondCut: 100 callers hear the welcome when
// the events socket goes down for 10 s; every welcome ends during the
// cut. No caller waits more than the bound for the menu, each then
// chooses 1 and is served, and each call has one record with the right
// outcome.
func TestHundredCallsThroughTenSecondCut(t *testing.T) {
	const calls = 100
	r := newRig(t, "http://127.0.0.1:1", nil)
	parties := make([]*aritest.Party, calls)
	for i := range parties {
		parties[i] = r.dial(fmt.Sprintf("1380000%04d", i))
	}
	all := func(cond func(aritest.Snapshot) bool) func(aritest.Snapshot) bool {
		return func(aritest.Snapshot) bool {
			for _, p := range parties {
				if !cond(p.Snapshot()) {
					return false
				}
			}
			return true
		}
	}
	heard := func(media string) func(aritest.Snapshot) bool {
		return func(sn aritest.Snapshot) bool { return indexOf(sn.Heard, media) >= 0 }
	}
	r.until(parties[0], "every welcome", all(heard(sound("zh", "demo/welcome"))))
	r.clk.Advance(5 * time.Second)
	r.emu.Sync()
	r.cut()
	for range 100 { // 10 s without the socket
		r.clk.Advance(100 * time.Millisecond)
		r.emu.Sync()
		r.quiesce(r.ctx)
	}
	r.connect()
	r.until(parties[0], "every menu", all(heard(sound("zh", "demo/main-menu"))))
	for _, p := range parties {
		r.press(p, "1")
	}
	r.until(parties[0], "every hang-up", all(func(sn aritest.Snapshot) bool { return sn.HungUp }))

	var worst time.Duration
	over5 := 0
	for _, p := range parties {
		d := deadAir(p.Heard())
		worst = max(worst, d)
		if d > 5*time.Second {
			over5++
		}
	}
	records, wrong := map[string]int{}, 0
	for range calls {
		j := r.journey()
		records[j.CallID]++
		if j.Outcome != ivr.OutcomeSelfService {
			wrong++
		}
	}
	t.Logf("10 s cut, %d calls: longest dead air %v, %d callers with dead air over 5 s, %d calls without one record, %d wrong outcomes",
		calls, worst, over5, calls-len(records), wrong)
	if over5 > 0 || len(records) != calls || wrong > 0 || worst > 2*time.Second+100*time.Millisecond {
		t.Errorf("longest dead air %v (want at most the 2 s margin), over 5 s: %d, records for %d of %d calls, wrong outcomes %d",
			worst, over5, len(records), calls, wrong)
	}
}

// TestHundredCallsThroughRestart: 50 callers in the menu and 50 in a
// queue when instance A's drain times out; instance B resumes them all.
// Nobody is hung up or left in silence, and each call has one record.
func TestHundredCallsThroughRestart(t *testing.T) {
	const calls = 100
	queues := newPersistentQueues()
	queues.requests = make(chan ivr.QueueRequest, calls)
	handoffs := &memHandoffs{states: map[string]ivr.CallState{}}
	configure := func(c *ivr.EngineConfig) { c.Queues, c.Handoffs = queues, handoffs }
	r := newRouteRigWith(t, configure)
	parties := make([]*aritest.Party, calls)
	for i := range parties {
		parties[i] = r.dial(fmt.Sprintf("1390000%04d", i))
	}
	for i, p := range parties {
		r.heard(p, sound("zh", "demo/main-menu"))
		if i%2 == 1 {
			r.press(p, "2")
			<-queues.requests
		}
	}
	drainAt := r.clk.Now()
	ctx, timeout := context.WithCancel(r.ctx)
	timeout()
	if err := r.engine.Drain(ctx); err == nil {
		t.Fatal("the drain did not time out")
	}
	r.cut()
	r.restart(configure)
	for i, p := range parties {
		if i%2 == 0 {
			r.heard(p, sound("zh", "resume-sorry"))
		}
	}
	for i := range calls / 2 {
		select {
		case req := <-queues.requests:
			if !req.Resume {
				t.Errorf("%s queued again without Resume", req.CallID)
			}
		case <-r.ctx.Done():
			nodes := map[string]int{}
			for _, st := range handoffs.states {
				nodes[st.Node]++
			}
			t.Fatalf("only %d of the %d queued callers went back to their queue; queues kept %d at the stop; handoffs by node %v",
				i, calls/2, len(queues.stopped), nodes)
		}
	}
	r.until(parties[0], "the menus again", func(aritest.Snapshot) bool {
		for i, p := range parties {
			h := p.Heard()
			if i%2 == 0 && h[len(h)-1].Media != sound("zh", "demo/main-menu") {
				return false
			}
		}
		return true
	})
	hungUp := 0
	for _, p := range parties {
		if p.Snapshot().HungUp {
			hungUp++
		}
		_ = p.Hangup()
	}
	// The IVR callers' audio across the restart; the queued ones hear what
	// the queues play (nothing, with this fake: the ACD plays hold music).
	var worst time.Duration
	over5 := 0
	for i, p := range parties {
		if i%2 == 1 {
			continue
		}
		hs := p.Heard()
		from := 0
		for j, h := range hs {
			if h.Start.Before(drainAt) {
				from = j
			}
		}
		d := deadAir(hs[from:])
		worst = max(worst, d)
		if d > 5*time.Second {
			over5++
		}
	}
	records := map[string]int{}
	wrong := 0
	for range calls {
		j := r.journey()
		records[j.CallID]++
		if want := ivr.OutcomeAbandoned; j.Outcome != want {
			wrong++
		}
	}
	select {
	case j := <-r.journeys:
		records[j.CallID]++
	default:
	}
	t.Logf("restart, %d calls (50 in the IVR, 50 queued): %d hung up by the restart, IVR callers' longest dead air across it %v, %d over 5 s, %d calls without exactly one record, %d wrong outcomes",
		calls, hungUp, worst, over5, calls-len(records), wrong)
	for id, n := range records {
		if n != 1 {
			t.Errorf("%s has %d records", id, n)
		}
	}
	if hungUp > 0 || over5 > 0 || len(records) != calls || wrong > 0 {
		t.Errorf("hung up %d, over 5 s %d, records for %d of %d, wrong outcomes %d", hungUp, over5, len(records), calls, wrong)
	}
}
