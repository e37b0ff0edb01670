package queue

import (
	"errors"
	"fmt"
	"slices"
)

// checkInvariants checks the center's bookkeeping against itself: every
// agent's state against its call, the ready indexes against the Ready
// agents, the lines against the calls, and the counters against recounts.
// It returns every violation found.
func (c *Center) checkInvariants() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	held := map[*entry]*agent{}
	ready := 0
	for id, a := range c.agents {
		if id != a.cfg.ID {
			bad("agent %s is filed as %s", a.cfg.ID, id)
		}
		switch a.state {
		case Reserved, OnCall:
			want := map[AgentState]entryState{Reserved: offered, OnCall: connected}[a.state]
			e := a.entry
			switch {
			case e == nil:
				bad("agent %s is %s without a call", id, a.state)
			case e.state != want || e.agent != a:
				bad("agent %s is %s with call %s, which is %s with agent %p", id, a.state, e.id, e.state, e.agent)
			case c.entries[e.id] != e:
				bad("agent %s holds call %s, which the center does not know", id, e.id)
			}
			if other, dup := held[e]; dup {
				bad("call %s is held by agents %s and %s", e.id, other.cfg.ID, id)
			}
			held[e] = a
		default:
			if a.entry != nil {
				bad("agent %s is %s but holds call %s", id, a.state, a.entry.id)
			}
		}
		if a.state == Ready {
			ready++
		} else if len(a.slots) > 0 {
			bad("agent %s is %s but in %d ready indexes", id, a.state, len(a.slots))
		}
		for _, l := range c.order {
			member := slices.Contains(a.members, l)
			if member != a.serves(l) {
				bad("agent %s: member of %s is %v, serves it is %v", id, l.name, member, a.serves(l))
			}
			if member != slices.Contains(l.members, a) {
				bad("agent %s: its queues and %s's members disagree", id, l.name)
			}
			for _, cl := range l.classes {
				n := 0
				for _, s := range cl.ready.slots {
					if s.a == a {
						n++
					}
				}
				want := 0
				if a.state == Ready && member && a.hasAll(cl.skills) {
					want = 1
				}
				if n != want {
					bad("agent %s (%s) is in the ready index of %s%v %d times, want %d", id, a.state, l.name, cl.own, n, want)
				}
			}
		}
	}
	if ready != c.ready {
		bad("%d agents are Ready, the center counts %d", ready, c.ready)
	}

	for id, e := range c.entries {
		if id != e.id {
			bad("call %s is filed as %s", e.id, id)
		}
		switch e.state {
		case waiting:
			if e.foreign {
				bad("call %s is another instance's but waits here", id)
				break
			}
			b := e.class.buckets[e.priority]
			if b == nil {
				bad("waiting call %s has no bucket", id)
				break
			}
			if i, ok := b.search(e); !ok || b.items[i] != e {
				bad("waiting call %s is not in its bucket", id)
			}
			if e.class.line != e.line {
				bad("call %s waits in %s in a class of %s", id, e.line.name, e.class.line.name)
			}
		case offered, connected:
			switch {
			case e.agent == nil:
				bad("call %s is %s but no agent holds it", id, e.state)
			case e.agent.foreign:
				if e.foreign {
					bad("call %s is another instance's and offered to another instance's agent %s", id, e.agent.cfg.ID)
				}
				if own := c.agents[e.agent.cfg.ID]; own != nil && own.state != LoggedOut {
					bad("call %s is offered to a foreign agent %s, who is signed in here", id, e.agent.cfg.ID)
				}
				want := map[entryState]AgentState{offered: Reserved, connected: OnCall}[e.state]
				if e.agent.state != want || e.agent.entry != e {
					bad("call %s is %s with foreign agent %s, which is %s", id, e.state, e.agent.cfg.ID, e.agent.state)
				}
			case held[e] != e.agent:
				bad("call %s is %s but no agent holds it", id, e.state)
			}
		default:
			bad("call %s is %s but still filed", id, e.state)
		}
		if _, spent := c.spent[id]; spent && e.callback && e.state != connected {
			bad("spent call-back %s is %s as a call-back", id, e.state) // a transferred one is a live call
		}
	}

	for _, l := range c.order {
		loggedIn, staffed, inLine, live := 0, 0, 0, 0
		for _, a := range l.members {
			if a.state != LoggedOut {
				loggedIn++
				if a.state != NotReady {
					staffed++
				}
			}
		}
		for _, cl := range l.classes {
			if !slices.IsSortedFunc(cl.ready.slots, func(x, y slot) int { return x.r.cmp(y.r) }) {
				bad("%s%v: ready index out of order", l.name, cl.own)
			}
			for _, s := range cl.ready.slots {
				if s.a.state != Ready {
					bad("%s%v: agent %s is indexed but %s", l.name, cl.own, s.a.cfg.ID, s.a.state)
				}
			}
			for prio, b := range cl.buckets {
				if len(b.items) == 0 || b.prio != prio {
					bad("%s%v: bucket %d is empty or mislabelled %d", l.name, cl.own, prio, b.prio)
				}
				for i, e := range b.items {
					if i > 0 && b.items[i-1].cmpPlace(e) >= 0 {
						bad("%s%v: bucket %d is out of order at %d", l.name, cl.own, prio, i)
					}
					if e.state != waiting || c.entries[e.id] != e || e.priority != prio || e.class != cl {
						bad("%s%v: bucket %d holds call %s, %s", l.name, cl.own, prio, e.id, e.state)
					}
					inLine++
					if !e.callback {
						live++
					}
				}
			}
		}
		if loggedIn != l.loggedIn || staffed != l.staffed || inLine != l.waiting || live != l.live {
			bad("queue %s counts logged in %d staffed %d waiting %d live %d; recount %d %d %d %d",
				l.name, l.loggedIn, l.staffed, l.waiting, l.live, loggedIn, staffed, inLine, live)
		}
	}
	return errors.Join(errs...)
}
