package queue

import (
	"cmp"
	"slices"
)

// rank orders the Ready agents of one class of callers by the queue's
// strategy: the first is offered first. A Ready agent's rank does not
// change while it is Ready; whatever changes it takes the agent out of
// Ready first (or goes through reindex).
type rank struct {
	a, b int64
	seq  uint64 // unique: the agent's order
}

func (r rank) cmp(o rank) int {
	switch {
	case r.a != o.a:
		return cmp.Compare(r.a, o.a)
	case r.b != o.b:
		return cmp.Compare(r.b, o.b)
	}
	return cmp.Compare(r.seq, o.seq)
}

// slot is a Ready agent in an index, with its lowest level in the class's
// skills (so the level check while routing is one comparison).
type slot struct {
	r     rank
	level int
	a     *agent
}

// agentIndex holds a class's Ready agents sorted by rank. A sorted slice:
// there are at most a few thousand agents, so inserting and deleting by
// binary search and copy costs about a microsecond, and scanning in order is
// as fast as it gets.
type agentIndex struct {
	slots []slot
}

func (x *agentIndex) insert(s slot) {
	i, _ := slices.BinarySearchFunc(x.slots, s.r, func(s slot, r rank) int { return s.r.cmp(r) })
	x.slots = slices.Insert(x.slots, i, s)
}

func (x *agentIndex) remove(r rank) {
	if i, ok := slices.BinarySearchFunc(x.slots, r, func(s slot, r rank) int { return s.r.cmp(r) }); ok {
		x.slots = slices.Delete(x.slots, i, i+1)
	}
}

// first returns the first agent with at least level min in every skill.
func (x *agentIndex) first(min int) *agent {
	for i := range x.slots {
		if x.slots[i].level >= min {
			return x.slots[i].a
		}
	}
	return nil
}

// slotRef remembers where an agent was indexed, to take it out again.
type slotRef struct {
	x *agentIndex
	r rank
}

// rank computes a's rank among the Ready agents for class cl of line l.
func (l *line) rank(a *agent, cl *class) rank {
	idle := a.idleSince.UnixNano()
	switch l.cfg.Strategy {
	case RoundRobin:
		return rank{a: int64(a.rr[l.name]), b: idle, seq: a.seq}
	case FewestCalls:
		return rank{a: int64(a.answered[l.name]), b: idle, seq: a.seq}
	case SkillsByLevel:
		sum := 0
		for _, s := range cl.skills {
			sum += a.cfg.Skills[s]
		}
		return rank{a: -int64(sum), b: idle, seq: a.seq}
	default: // LongestIdle
		return rank{a: idle, seq: a.seq}
	}
}

// level is a's lowest level among skills; MaxSkillLevel when there are
// none, since then any requirement holds.
func (a *agent) level(skills []string) int {
	level := MaxSkillLevel
	for _, s := range skills {
		level = min(level, a.cfg.Skills[s])
	}
	return level
}

// index puts a Ready agent into the ready index of every class of callers
// it can serve.
func (c *Center) index(a *agent) {
	for _, l := range a.members {
		for _, cl := range l.classes {
			c.indexIn(a, cl)
		}
	}
}

func (c *Center) indexIn(a *agent, cl *class) {
	if !a.hasAll(cl.skills) {
		return
	}
	r := cl.line.rank(a, cl)
	cl.ready.insert(slot{r: r, level: a.level(cl.skills), a: a})
	a.slots = append(a.slots, slotRef{x: &cl.ready, r: r})
}

func (c *Center) unindex(a *agent) {
	for _, s := range a.slots {
		s.x.remove(s.r)
	}
	clear(a.slots)
	a.slots = a.slots[:0]
}
