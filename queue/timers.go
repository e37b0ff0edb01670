package queue

import (
	"container/heap"
	"time"
)

type timerKind uint8

const (
	wrapUpTimer  timerKind = iota // an agent's wrap-up ends
	ringTimer                     // an offer rings out
	maxWaitTimer                  // a caller reaches its queue's MaxWait
)

// timer is something due at a time. Timers are never cancelled: gen
// identifies the wrap-up, offer or wait it was set for, and a timer whose
// moment has passed (the agent left wrap-up, the offer was answered) is
// dropped when it comes due.
type timer struct {
	at   time.Time
	kind timerKind
	a    *agent
	e    *entry
	gen  uint64
}

// timerHeap is a min-heap of timers by time.
type timerHeap []timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = timer{}
	*h = old[:len(old)-1]
	return t
}

func (h *timerHeap) add(t timer) { heap.Push(h, t) }

// expire carries out the timers due by now, in time order.
func (c *Center) expire(now time.Time, d *Decision) {
	for len(c.timers) > 0 && !c.timers[0].at.After(now) {
		t := heap.Pop(&c.timers).(timer)
		switch t.kind {
		case wrapUpTimer:
			// Without the disposition its queue requires, the agent stays
			// in wrap-up until it gives one (Dispose).
			if a := t.a; a.state == WrapUp && a.wrapGen == t.gen && (!a.wrapRequire || a.wrapDone) {
				c.endWrapUp(now, a)
			}
		case ringTimer:
			if e := t.e; e.state == offered && e.offerGen == t.gen {
				d.RingTimeouts = append(d.RingTimeouts, c.offerOf(now, e))
				c.missed(now, e)
			}
		case maxWaitTimer:
			if e := t.e; e.state == waiting && e.visit == t.gen && !e.callback && !e.callbackOffered {
				c.overflow(now, e, OverflowMaxWait, d)
			}
		}
	}
}
