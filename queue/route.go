package queue

import (
	"container/heap"
	"time"
)

// Offer is a call the center has reserved an agent for: ring the agent (at
// its Device) and report Answered or NoAnswer.
type Offer struct {
	CallID    string // the call, or the call-back request
	Agent     string // the agent's ID (工号), for the caller's announcement
	AgentName string
	Device    string
	Queue     string
	Priority  int
	// Callback says this is a call-back: ring the reserved agent, and once
	// it answers (Answered), dial the customer at Number.
	Callback bool
	Number   string // the customer's number: the call-back's, or the caller's ID
	// Outbound says this is the agent's own outbound call (Center.Outbound):
	// ring the agent, and once it answers, dial the customer at Number.
	Outbound bool

	Waited  time.Duration // since arrival
	Attempt int           // 1 for the call's first offer, 2 after one rang out...
	// Deadline is when the offer rings out: Next then counts it as no
	// answer (the agent becomes NotReady "missed") and lists it in
	// Decision.RingTimeouts for the engine to stop ringing.
	Deadline time.Time
}

// Decision is what Next decided.
type Decision struct {
	// Offers are new offers: each agent is now Reserved for the call.
	Offers []Offer
	// RingTimeouts are offers that rang out: stop ringing the agent; the
	// caller is back in its place.
	RingTimeouts []Offer
	// Overflows are callers that overflowed their queue, in order.
	Overflows []Overflow
}

// Next brings the center up to the clock's time and makes the routing
// decision. First what time made due: wrap-ups that ended make their agents
// Ready, offers past their deadline ring out, callers past their queue's
// MaxWait overflow, queues whose last agent logged out overflow their
// callers (under NoAgentsOverflow). Then it matches waiting callers with
// Ready agents and reserves them.
//
// Matching takes the waiting callers in order — priority, then arrival,
// across every queue — and gives each the first Ready agent, by its queue's
// strategy, who has the skills it needs at the level its wait requires. An
// agent who serves several queues therefore goes to the longest-waiting
// caller among them. The engine calls Next after each event it feeds in and
// at Wake.
func (c *Center) Next() Decision {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	var d Decision
	c.expire(now, &d)
	if c.shared {
		return d // the shared router decides (shared.go)
	}
	c.unstaffed(now, &d)
	c.route(now, &d)
	return d
}

// head is the first caller of a bucket, a candidate for the next offer.
type head struct {
	cl *class
	b  *bucket
}

type heads []head

func (h heads) Len() int           { return len(h) }
func (h heads) Less(i, j int) bool { return h[i].b.head().ahead(h[j].b.head()) }
func (h heads) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *heads) Push(x any)        { *h = append(*h, x.(head)) }
func (h *heads) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// route matches waiting callers with Ready agents. It looks only at the
// first caller of each bucket (class and priority) that has Ready agents at
// all; when no agent qualifies for a bucket's first caller, none does for
// the rest (see class), so the whole bucket is done. The cost is about
// buckets × log(buckets) plus, per offer, a scan of one class's Ready agents
// up to the first qualified one — independent of how many callers wait.
func (c *Center) route(now time.Time, d *Decision) {
	if c.ready == 0 {
		return
	}
	var h heads
	for _, l := range c.order {
		for _, cl := range l.classes {
			if len(cl.ready.slots) == 0 {
				continue
			}
			for _, b := range cl.buckets {
				h = append(h, head{cl: cl, b: b})
			}
		}
	}
	heap.Init(&h)
	for len(h) > 0 && c.ready > 0 {
		hd := heap.Pop(&h).(head)
		e := hd.b.head()
		a := hd.cl.ready.first(hd.cl.line.cfg.minLevel(e.waited(now)))
		if a == nil {
			continue
		}
		d.Offers = append(d.Offers, c.offer(now, e, a))
		if len(hd.b.items) > 0 && len(hd.cl.ready.slots) > 0 {
			heap.Push(&h, hd)
		}
	}
}

// offer reserves a for e, the first waiting caller of its bucket.
func (c *Center) offer(now time.Time, e *entry, a *agent) Offer {
	l := e.line
	c.unplace(e)
	e.state, e.agent = offered, a
	e.attempts++
	c.offers++
	e.offerGen = c.offers
	c.mustTransition(now, a, Reserved, "", e)
	l.rr++
	a.rr[l.name] = l.rr
	c.timers.add(timer{at: now.Add(l.cfg.RingTimeout), kind: ringTimer, e: e, gen: e.offerGen})
	return c.offerOf(now, e)
}

// offerOf describes e's current offer.
func (c *Center) offerOf(now time.Time, e *entry) Offer {
	a := e.agent
	return Offer{
		CallID: e.id, Agent: a.cfg.ID, AgentName: a.cfg.Name, Device: a.cfg.Device,
		Queue: e.line.name, Priority: e.priority, Callback: e.callback, Outbound: e.outbound, Number: e.number,
		Waited: e.waited(now), Attempt: e.attempts,
		Deadline: a.since.Add(e.line.cfg.RingTimeout),
	}
}
