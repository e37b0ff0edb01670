package queue_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

func TestOverflowByMaxWait(t *testing.T) {
	tests := []struct {
		name       string
		action     queue.Action
		wantQueued bool   // still waiting after the overflow
		wantQueue  string // where
	}{
		{"apology and hang-up", queue.Action{Kind: queue.ActionHangup}, false, ""},
		{"voice message", queue.Action{Kind: queue.ActionMessage, Prompt: "leave-message"}, false, ""},
		{"call-back offer", queue.Action{Kind: queue.ActionCallbackOffer}, true, "sales"},
		{"another queue", queue.Action{Kind: queue.ActionQueue, Queue: "general"}, true, "general"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t,
				queue.QueueConfig{Name: "sales", MaxWait: time.Minute, Overflow: tt.action},
				queue.QueueConfig{Name: "general"},
			)
			e.enqueue("c1", "sales", 0)
			e.advance(30 * time.Second)
			e.enqueue("c2", "sales", 0)
			e.advance(30*time.Second - time.Nanosecond)
			if d := e.next(); len(d.Overflows) != 0 {
				t.Fatalf("overflows %+v before the max wait", d.Overflows)
			}
			e.advance(time.Nanosecond)
			d := e.next()
			want := []queue.Overflow{{CallID: "c1", Queue: "sales", Reason: queue.OverflowMaxWait, Action: tt.action, Queued: tt.wantQueued}}
			if !slices.Equal(d.Overflows, want) {
				t.Fatalf("overflows %+v, want %+v", d.Overflows, want)
			}
			p, err := e.c.Position("c1")
			switch {
			case tt.wantQueued && (err != nil || p.Queue != tt.wantQueue):
				t.Fatalf("c1 at %+v, %v; want waiting in %s", p, err, tt.wantQueue)
			case !tt.wantQueued && !errors.Is(err, queue.ErrUnknownCall):
				t.Fatalf("c1 at %+v, %v; want gone", p, err)
			}
			// Once only: another minute overflows c2 (30 s later than c1),
			// never c1 again.
			e.advance(time.Minute)
			d = e.next()
			for _, ov := range d.Overflows {
				if ov.CallID == "c1" && ov.Queue == "sales" {
					t.Fatalf("c1 overflowed sales twice: %+v", d.Overflows)
				}
			}
			if !slices.ContainsFunc(d.Overflows, func(ov queue.Overflow) bool { return ov.CallID == "c2" }) {
				t.Fatalf("overflows %+v, want c2's", d.Overflows)
			}
		})
	}
}

func TestOverflowByMaxLength(t *testing.T) {
	e := newEnv(t,
		queue.QueueConfig{Name: "sales", MaxLength: 2, Overflow: queue.Action{Kind: queue.ActionQueue, Queue: "general"}},
		queue.QueueConfig{Name: "general", MaxLength: 1, Overflow: queue.Action{Kind: queue.ActionMessage}},
	)
	tests := []struct {
		id        string
		wantQueue string // "" for not queued
		wantOvs   []queue.Overflow
	}{
		{"c1", "sales", nil},
		{"c2", "sales", nil},
		{"c3", "general", []queue.Overflow{{CallID: "c3", Queue: "sales", Reason: queue.OverflowMaxLength, Action: queue.Action{Kind: queue.ActionQueue, Queue: "general"}, Queued: true}}},
		{"c4", "", []queue.Overflow{
			{CallID: "c4", Queue: "sales", Reason: queue.OverflowMaxLength, Action: queue.Action{Kind: queue.ActionQueue, Queue: "general"}, Queued: true},
			{CallID: "c4", Queue: "general", Reason: queue.OverflowMaxLength, Action: queue.Action{Kind: queue.ActionMessage}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			ad := e.enqueue(tt.id, "sales", 0)
			if ad.Queued != (tt.wantQueue != "") || ad.Place.Queue != tt.wantQueue || !slices.Equal(ad.Overflows, tt.wantOvs) {
				t.Fatalf("admission %+v, want queue %q, overflows %+v", ad, tt.wantQueue, tt.wantOvs)
			}
		})
	}
	t.Run("call-backs do not count", func(t *testing.T) {
		e.must(e.c.RequestCallback("c1", "r1", ""))
		if ad := e.enqueue("c5", "sales", 0); !ad.Queued || ad.Place.Queue != "sales" {
			t.Fatalf("admission %+v, want queued in sales", ad)
		}
		ad, err := e.c.AddCallback(queue.Callback{ID: "r2", Queue: "sales", Number: "13800000002"})
		e.must(err)
		if !ad.Queued {
			t.Fatalf("call-back admission %+v, want queued", ad)
		}
	})
}

func TestNoAgentsLoggedIn(t *testing.T) {
	overflow := queue.Action{Kind: queue.ActionMessage, Prompt: "closed"}
	tests := []struct {
		name       string
		policy     queue.NoAgents
		agentState queue.AgentState
		wantQueued bool
	}{
		{"wait: joins anyway", queue.NoAgentsWait, queue.LoggedOut, true},
		{"overflow: refused", queue.NoAgentsOverflow, queue.LoggedOut, false},
		{"overflow: a not-ready agent is logged in", queue.NoAgentsOverflow, queue.NotReady, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, queue.QueueConfig{Name: "sales", WhenNoAgents: tt.policy, Overflow: overflow})
			e.agent("1001", nil)
			if tt.agentState == queue.NotReady {
				e.must(e.c.Login("1001"))
			}
			ad := e.enqueue("c1", "sales", 0)
			if ad.Queued != tt.wantQueued {
				t.Fatalf("admission %+v, want queued %v", ad, tt.wantQueued)
			}
			if !tt.wantQueued {
				want := []queue.Overflow{{CallID: "c1", Queue: "sales", Reason: queue.OverflowNoAgents, Action: overflow}}
				if !slices.Equal(ad.Overflows, want) {
					t.Fatalf("overflows %+v, want %+v", ad.Overflows, want)
				}
			}
		})
	}
}

func TestLastAgentLogsOut(t *testing.T) {
	tests := []struct {
		policy queue.NoAgents
		want   []string // calls overflowed
	}{
		{queue.NoAgentsWait, nil},
		{queue.NoAgentsOverflow, []string{"vip", "c1", "c2"}},
	}
	for _, tt := range tests {
		t.Run(map[queue.NoAgents]string{queue.NoAgentsWait: "wait", queue.NoAgentsOverflow: "overflow"}[tt.policy], func(t *testing.T) {
			e := newEnv(t, queue.QueueConfig{Name: "sales", WhenNoAgents: tt.policy})
			e.agent("1001", nil)
			e.agent("1002", nil)
			e.must(e.c.Login("1001"))
			e.must(e.c.Login("1002"))
			e.enqueue("c1", "sales", 0)
			e.enqueue("c2", "sales", 0)
			e.enqueue("vip", "sales", 9)
			_, err := e.c.AddCallback(queue.Callback{ID: "r1", Queue: "sales", Number: "1"})
			e.must(err)
			e.must(e.c.Logout("1001"))
			if d := e.next(); len(d.Overflows) != 0 {
				t.Fatalf("overflows %+v with an agent still logged in", d.Overflows)
			}
			e.must(e.c.Logout("1002"))
			var got []string
			for _, ov := range e.next().Overflows {
				got = append(got, ov.CallID)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("overflowed %v, want %v", got, tt.want)
			}
			if _, err := e.c.Position("r1"); err != nil {
				t.Fatalf("call-back r1: %v; call-backs wait for the agents to come back", err)
			}
		})
	}
}

func TestCallbackOfferIsMadeOnce(t *testing.T) {
	// A caller offered a call-back after the max wait who keeps waiting is
	// not offered it again: not after an agent misses its call, nor when
	// the queue's last agent logs out.
	offer := queue.Action{Kind: queue.ActionCallbackOffer}
	e := newEnv(t, queue.QueueConfig{Name: "sales", MaxWait: time.Minute, Overflow: offer, WhenNoAgents: queue.NoAgentsOverflow})
	e.agent("1001", nil)
	e.must(e.c.Login("1001"))
	e.enqueue("c1", "sales", 0)
	e.advance(time.Minute)
	want := []queue.Overflow{{CallID: "c1", Queue: "sales", Reason: queue.OverflowMaxWait, Action: offer, Queued: true}}
	if got := e.next().Overflows; !slices.Equal(got, want) {
		t.Fatalf("overflows %+v, want %+v", got, want)
	}
	e.ready("1001")
	if got := pairs(e.next().Offers); !slices.Equal(got, []string{"c1>1001"}) {
		t.Fatalf("offers %v, want [c1>1001]", got)
	}
	e.must(e.noAnswer("c1"))
	if got := e.next().Overflows; len(got) != 0 {
		t.Fatalf("overflows %+v after the missed offer, want none", got)
	}
	e.must(e.c.Logout("1001"))
	if got := e.next().Overflows; len(got) != 0 {
		t.Fatalf("overflows %+v after the last agent left, want none", got)
	}
	if p, err := e.c.Position("c1"); err != nil || p.Position != 1 {
		t.Fatalf("c1 at %+v, %v; want still first in line", p, err)
	}
}

func TestMaxWaitIsPerQueue(t *testing.T) {
	// A caller moved to another queue waits by that queue's rules: the
	// first queue's max wait no longer applies, and the new one counts from
	// the move.
	tests := []struct {
		name      string
		secondMax time.Duration
		want      time.Duration // after the move, when it overflows; 0: never
	}{
		{"no max wait there", 0, 0},
		{"a longer one, from the move", 2 * time.Minute, 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t,
				queue.QueueConfig{Name: "first", MaxWait: time.Minute},
				queue.QueueConfig{Name: "second", MaxWait: tt.secondMax, KeepArrival: true},
			)
			e.enqueue("c1", "first", 0)
			e.advance(30 * time.Second)
			_, err := e.c.Transfer("c1", "second")
			e.must(err)
			var got time.Duration
			for step := time.Duration(0); step <= 5*time.Minute; step += 10 * time.Second {
				if ovs := e.next().Overflows; len(ovs) > 0 {
					if ovs[0].Queue != "second" {
						t.Fatalf("overflow %+v after %v, from the wrong queue", ovs[0], step)
					}
					got = step
					break
				}
				e.advance(10 * time.Second)
			}
			if got != tt.want {
				t.Fatalf("overflowed %v after the move, want %v (0: never)", got, tt.want)
			}
		})
	}
}
