package queue

import (
	"fmt"
	"slices"
	"time"
)

// OverflowReason is why a caller overflowed a queue.
type OverflowReason uint8

const (
	// OverflowMaxWait: the caller waited the queue's MaxWait.
	OverflowMaxWait OverflowReason = iota + 1
	// OverflowMaxLength: the queue already held MaxLength live callers.
	OverflowMaxLength
	// OverflowNoAgents: none of the queue's agents is logged in, and the
	// queue's WhenNoAgents is NoAgentsOverflow.
	OverflowNoAgents
)

var reasonNames = [...]string{OverflowMaxWait: "max-wait", OverflowMaxLength: "max-length", OverflowNoAgents: "no-agents"}

func (r OverflowReason) String() string {
	if r > 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("OverflowReason(%d)", uint8(r))
}

// Overflow is a caller leaving a queue by its overflow rule.
type Overflow struct {
	CallID string
	Queue  string // the queue it overflowed
	Reason OverflowReason
	Action Action
	// Queued says the caller still waits: in Action.Queue after an
	// ActionQueue (the center moved it), or in Queue while an
	// ActionCallbackOffer after MaxWait plays. Otherwise it has left the
	// center and the engine carries out Action.
	Queued bool
}

// refuses says why l does not take e now, if it does not.
func (l *line) refuses(e *entry, shared bool) (OverflowReason, bool) {
	switch {
	case e.callback:
		return 0, false // call-backs hold no line and wait for agents to come back
	case l.cfg.WhenNoAgents == NoAgentsOverflow && l.loggedIn == 0 && !shared:
		// With shared routing, the agents of other instances may staff
		// the queue: this center cannot tell.
		return OverflowNoAgents, true
	case l.cfg.MaxLength > 0 && l.live >= l.cfg.MaxLength:
		return OverflowMaxLength, true
	}
	return 0, false
}

// admit puts e (not in any line) into l, following overflows into other
// queues. moved says e comes from another queue, so l's KeepArrival
// decides whether it keeps its arrival. When no queue takes it, e leaves
// the center.
func (c *Center) admit(now time.Time, e *entry, l *line, moved bool) Admission {
	var ad Admission
	visited := []*line{}
	for {
		if moved && !l.cfg.KeepArrival {
			e.arrived, e.seq = 0, 0
			c.arrive(now, e, time.Time{})
		}
		reason, refused := l.refuses(e, c.shared)
		if !refused {
			e.entered = now
			c.place(now, e, l)
			ad.Queued, ad.Place = true, c.place1(now, e)
			return ad
		}
		c.stats(now, l).overflowed++
		ov := Overflow{CallID: e.id, Queue: l.name, Reason: reason, Action: l.cfg.Overflow}
		visited = append(visited, l)
		if next := c.lines[ov.Action.Queue]; ov.Action.Kind == ActionQueue && next != nil && !slices.Contains(visited, next) {
			ov.Queued = true
			ad.Overflows = append(ad.Overflows, ov)
			l, moved = next, true
			continue
		}
		if ov.Action.Kind == ActionQueue { // a loop, which validation rules out
			ov.Action = Action{Kind: ActionHangup}
		}
		ad.Overflows = append(ad.Overflows, ov)
		c.drop(e)
		return ad
	}
}

// overflow applies e's queue's overflow rule to e, waiting in line.
func (c *Center) overflow(now time.Time, e *entry, reason OverflowReason, d *Decision) {
	l := e.line
	ov := Overflow{CallID: e.id, Queue: l.name, Reason: reason, Action: l.cfg.Overflow}
	c.stats(now, l).overflowed++
	switch ov.Action.Kind {
	case ActionCallbackOffer:
		e.callbackOffered = true
		ov.Queued = true
		d.Overflows = append(d.Overflows, ov)
	case ActionQueue:
		c.unplace(e)
		e.callbackOffered = false
		ov.Queued = true
		d.Overflows = append(d.Overflows, ov)
		ad := c.admit(now, e, c.lines[ov.Action.Queue], true)
		d.Overflows = append(d.Overflows, ad.Overflows...)
	default:
		c.unplace(e)
		c.drop(e)
		d.Overflows = append(d.Overflows, ov)
	}
}

// unstaffed overflows the live callers of queues whose last agent logged
// out, under NoAgentsOverflow.
func (c *Center) unstaffed(now time.Time, d *Decision) {
	for _, l := range c.order {
		if !l.emptied {
			continue
		}
		l.emptied = false
		if l.cfg.WhenNoAgents != NoAgentsOverflow || l.loggedIn > 0 {
			continue
		}
		var out []*entry
		for _, cl := range l.classes {
			for _, b := range cl.buckets {
				for _, e := range b.items {
					if !e.callback && !e.callbackOffered {
						out = append(out, e)
					}
				}
			}
		}
		slices.SortFunc(out, func(x, y *entry) int {
			if x.ahead(y) {
				return -1
			}
			return 1
		})
		for _, e := range out {
			c.overflow(now, e, OverflowNoAgents, d)
		}
	}
}
