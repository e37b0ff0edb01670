package queue

import (
	"cmp"
	"fmt"
	"time"
)

// Caller is a call handed to a queue.
type Caller struct {
	CallID   string
	Queue    string
	Priority int      // higher is served first; the flow sets it (VIP, key accounts)
	Skills   []string // skills the caller needs besides the queue's, like its language
	Number   string   // the caller's number, the default for a call-back
	// Arrived is when the caller joined; zero means now. A caller taken
	// over from elsewhere (another server, a restart) keeps its place by
	// giving its original arrival.
	Arrived time.Time
}

// Admission says where a caller handed to a queue (or transferred, or
// turned into a call-back) went.
type Admission struct {
	// Queued is false when the caller was not queued: the last overflow
	// says what to do with it.
	Queued bool
	// Place is where it waits, when Queued.
	Place Place
	// Overflows are the overflows on the way, in order: into other queues
	// (the center moved the caller) and, when not Queued, the last one.
	Overflows []Overflow
}

// Place is a waiting caller's place, for its announcements.
type Place struct {
	CallID   string
	Queue    string
	Position int           // 1 is next
	Waiting  int           // callers in the queue, call-backs included
	Waited   time.Duration // since arrival
	EWT      time.Duration // estimated wait; see the package doc
	EWTKnown bool
	Callback bool // a call-back keeping its place
	// CanCallback says the engine may offer this caller a call-back: the
	// queue offers them and the caller has waited CallbackAfter.
	CanCallback bool
	// Arrived is the arrival that orders it within its priority, and Seq
	// the center's order among callers who arrived at the same moment:
	// a caller handed to another center (a restart) in Seq order with
	// its Arrived keeps its place.
	Arrived time.Time
	Seq     uint64
}

type entryState uint8

const (
	gone      entryState = iota // left the center
	waiting                     // in line
	offered                     // ringing an agent
	connected                   // talking to an agent
)

var entryStates = [...]string{gone: "gone", waiting: "waiting", offered: "ringing an agent", connected: "connected to an agent"}

func (s entryState) String() string { return entryStates[s] }

// entry is a caller or a call-back in the center.
type entry struct {
	id       string // the call ID, or the call-back request ID
	line     *line
	class    *class
	priority int
	own      []string // its own skills, sorted
	number   string
	callback bool
	disposed bool // its agent gave it a disposition during the call

	arrived int64  // wall-clock nanoseconds: the order within a priority
	seq     uint64 // the tie-break, kept with arrived
	entered time.Time

	state           entryState
	agent           *agent // offered, connected
	visit           uint64 // identifies the current wait's max-wait timer
	offerGen        uint64 // identifies the current offer's ring timer
	attempts        int
	callbackOffered bool // overflowed with a call-back offer in this queue: never again

	// An agent's outbound call (outbound.go): the state the agent goes
	// back to, with its reason.
	outbound   bool
	back       AgentState
	backReason string

	// foreign: another instance's caller, offered to one of this center's
	// agents by the shared router (Hold). It is in no line and counts in
	// none of the queue's totals (its own instance counts it).
	foreign bool
}

// cmpPlace orders callers of one priority: by arrival, then by the order
// the center saw them.
func (e *entry) cmpPlace(o *entry) int {
	if e.arrived != o.arrived {
		return cmp.Compare(e.arrived, o.arrived)
	}
	return cmp.Compare(e.seq, o.seq)
}

// ahead reports whether e is served before o (across classes and queues
// too): priority first, then arrival.
func (e *entry) ahead(o *entry) bool {
	if e.priority != o.priority {
		return e.priority > o.priority
	}
	return e.cmpPlace(o) < 0
}

func (e *entry) waited(now time.Time) time.Duration {
	return time.Duration(now.UnixNano() - e.arrived)
}

func (e *entry) stateError(op string) error {
	return fmt.Errorf("%w: cannot %s call %s: it is %s", ErrCallState, op, e.id, e.state)
}

// Enqueue hands a caller to a queue. The caller may not be queued (a full
// queue, or no agents logged in under NoAgentsOverflow), or be queued
// elsewhere after an overflow into another queue: the Admission says.
func (c *Center) Enqueue(cl Caller) (Admission, error) {
	if cl.CallID == "" {
		return Admission{}, ErrMissingID
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	l, err := c.line(cl.Queue)
	if err != nil {
		return Admission{}, err
	}
	if _, dup := c.entries[cl.CallID]; dup {
		return Admission{}, fmt.Errorf("%w: %s", ErrDuplicateCall, cl.CallID)
	}
	now := c.clock.Now()
	e := &entry{id: cl.CallID, priority: cl.Priority, own: normSkills(cl.Skills), number: cl.Number}
	c.arrive(now, e, cl.Arrived)
	return c.admit(now, e, l, false), nil
}

// arrive stamps a new entry's arrival: at, or now when at is zero. Fresh
// arrivals never go before earlier ones, even if the wall clock steps back.
func (c *Center) arrive(now time.Time, e *entry, at time.Time) {
	e.seq = c.nextSeq()
	if !at.IsZero() && at.Before(now) {
		e.arrived = at.UnixNano()
		return
	}
	e.arrived = max(now.UnixNano(), c.lastArrival)
	c.lastArrival = e.arrived
}

// place puts e in line in l.
func (c *Center) place(now time.Time, e *entry, l *line) {
	e.line = l
	e.class = c.classFor(l, e.own)
	e.state = waiting
	e.agent = nil
	b, ok := e.class.buckets[e.priority]
	if !ok {
		b = &bucket{prio: e.priority}
		e.class.buckets[e.priority] = b
	}
	b.insert(e)
	l.waiting++
	e.visit++ // a new wait: timers of earlier ones are void
	if !e.callback {
		l.live++
		if l.cfg.MaxWait > 0 && !e.callbackOffered {
			c.timers.add(timer{at: e.entered.Add(l.cfg.MaxWait), kind: maxWaitTimer, e: e, gen: e.visit})
		}
	}
	c.entries[e.id] = e
}

// unplace takes e out of line.
func (c *Center) unplace(e *entry) {
	b := e.class.buckets[e.priority]
	b.remove(e)
	if len(b.items) == 0 {
		delete(e.class.buckets, e.priority)
	}
	e.line.waiting--
	if !e.callback {
		e.line.live--
	}
	e.state = gone
}

// drop forgets e.
func (c *Center) drop(e *entry) {
	e.state = gone
	e.agent = nil
	delete(c.entries, e.id)
}

// Position returns a waiting caller's place: its position, how many wait,
// and the estimated wait.
func (c *Center) Position(id string) (Place, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok {
		return Place{}, fmt.Errorf("%w: %s", ErrUnknownCall, id)
	}
	if e.state != waiting {
		return Place{}, e.stateError("tell the place of")
	}
	return c.place1(c.clock.Now(), e), nil
}

func (c *Center) place1(now time.Time, e *entry) Place {
	l := e.line
	p := Place{
		CallID: e.id, Queue: l.name, Position: l.position(e), Waiting: l.waiting,
		Waited: e.waited(now), Callback: e.callback, Arrived: time.Unix(0, e.arrived), Seq: e.seq,
	}
	p.EWT, p.EWTKnown = l.estimate(p.Position)
	p.CanCallback = !e.callback && l.cfg.CallbackAfter > 0 && p.Waited >= l.cfg.CallbackAfter
	return p
}

// position counts the callers ahead of e in its queue, plus one.
func (l *line) position(e *entry) int {
	n := 1
	for _, cl := range l.classes {
		for _, b := range cl.buckets {
			switch {
			case b.prio > e.priority:
				n += len(b.items)
			case b.prio == e.priority:
				n += b.before(e)
			}
		}
	}
	return n
}
