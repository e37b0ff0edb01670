package queue

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Config sets up a [Center].
type Config struct {
	// Clock stamps every state change and drives every timer; nil means the
	// real clock.
	Clock clockwork.Clock
	// Queues are the center's queues; more can be added with SetQueue.
	Queues []QueueConfig
	// Location is the time zone of the centre's day: the queues' totals
	// (QueueStatus) count from its local midnight. nil means time.Local.
	Location *time.Location
	// StateLogLimit bounds the agent state changes kept until drained; the
	// oldest are dropped (and counted) past it. 0 means DefaultStateLogLimit.
	StateLogLimit int
	// SharedRouting says the center is one of several instances whose
	// queues are one (shared.go): a shared router matches callers with
	// agents across them, so Next makes no offers of its own.
	SharedRouting bool
}

// DefaultStateLogLimit is the default Config.StateLogLimit.
const DefaultStateLogLimit = 100_000

// Center is the ACD: the queues, the agents, the callers waiting and the
// calls in progress. It is safe for concurrent use. Create one with New.
type Center struct {
	mu          sync.Mutex
	clock       clockwork.Clock
	lines       map[string]*line
	order       []*line // lines in the order they were added, for determinism
	agents      map[string]*agent
	entries     map[string]*entry   // waiting, ringing and connected, by call or call-back ID
	spent       map[string]struct{} // call-back request IDs that were served or cancelled
	timers      timerHeap
	log         stateLog
	ready       int    // agents in Ready
	seq         uint64 // arrival and agent order
	lastArrival int64  // the latest fresh arrival, in wall-clock nanoseconds
	offers      uint64 // offer generations
	day         day    // what the queues' totals count
	shared      bool   // Config.SharedRouting
}

// New returns a Center with the configured queues, or every problem with
// them.
func New(cfg Config) (*Center, error) {
	c := &Center{
		clock:   cfg.Clock,
		lines:   map[string]*line{},
		agents:  map[string]*agent{},
		entries: map[string]*entry{},
		spent:   map[string]struct{}{},
		log:     stateLog{limit: cfg.StateLogLimit},
		shared:  cfg.SharedRouting,
	}
	if c.clock == nil {
		c.clock = clockwork.NewRealClock()
	}
	if c.log.limit <= 0 {
		c.log.limit = DefaultStateLogLimit
	}
	c.day.loc = cfg.Location
	if c.day.loc == nil {
		c.day.loc = time.Local
	}
	now := c.clock.Now()
	c.day.begin(now)
	c.day.since = now.In(c.day.loc)
	var errs []error
	cfgs := map[string]QueueConfig{}
	for _, q := range cfg.Queues {
		if err := q.Validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := cfgs[q.Name]; dup {
			errs = append(errs, fmt.Errorf("%w: queue %q is configured twice", ErrInvalidQueue, q.Name))
			continue
		}
		cfgs[q.Name] = q.WithDefaults().clone()
	}
	errs = append(errs, checkOverflows(cfgs)...)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, q := range cfg.Queues {
		l := newLine(cfgs[q.Name])
		c.lines[l.name] = l
		c.order = append(c.order, l)
	}
	return c, nil
}

// checkOverflows reports overflows into queues that do not exist and
// overflow loops.
func checkOverflows(cfgs map[string]QueueConfig) []error {
	var errs []error
	names := make([]string, 0, len(cfgs))
	for name := range cfgs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		q := cfgs[name]
		if q.Overflow.Kind != ActionQueue {
			continue
		}
		if _, ok := cfgs[q.Overflow.Queue]; !ok {
			errs = append(errs, fmt.Errorf("%w: queue %q: overflow.queue: there is no queue %q", ErrInvalidQueue, name, q.Overflow.Queue))
			continue
		}
		path := []string{name}
		for next := q.Overflow; next.Kind == ActionQueue; next = cfgs[next.Queue].Overflow {
			if _, ok := cfgs[next.Queue]; !ok {
				break
			}
			if slices.Contains(path, next.Queue) {
				if next.Queue == name { // report each loop once, from its first queue
					errs = append(errs, fmt.Errorf("%w: queue %q: overflow.queue: the overflows loop: %v", ErrInvalidQueue, name, append(path, next.Queue)))
				}
				break
			}
			path = append(path, next.Queue)
		}
	}
	return errs
}

// SetQueue adds a queue or replaces one's configuration. Callers waiting in
// it keep their places; agents are matched to it again by its skills. A new
// MaxWait applies to callers from their next wait on (joining, or coming
// back from an offer).
func (c *Center) SetQueue(q QueueConfig) error {
	if err := q.Validate(); err != nil {
		return err
	}
	q = q.WithDefaults().clone()
	c.mu.Lock()
	defer c.mu.Unlock()
	cfgs := make(map[string]QueueConfig, len(c.lines)+1)
	for name, l := range c.lines {
		cfgs[name] = l.cfg
	}
	cfgs[q.Name] = q
	if err := errors.Join(checkOverflows(cfgs)...); err != nil {
		return err
	}
	// Take every agent out of the indexes and memberships, change the
	// queue, put them back.
	for _, a := range c.agents {
		c.leave(a)
	}
	l, ok := c.lines[q.Name]
	if !ok {
		l = newLine(q)
		c.lines[q.Name] = l
		c.order = append(c.order, l)
	} else {
		l.reconfigure(q)
	}
	for _, a := range c.sortedAgents() {
		c.join(a)
	}
	return nil
}

// Queue returns a queue's configuration (with its defaults).
func (c *Center) Queue(name string) (QueueConfig, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.lines[name]
	if !ok {
		return QueueConfig{}, fmt.Errorf("%w: %q", ErrUnknownQueue, name)
	}
	return l.cfg.clone(), nil
}

func (c *Center) line(name string) (*line, error) {
	l, ok := c.lines[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownQueue, name)
	}
	return l, nil
}

func (c *Center) sortedAgents() []*agent {
	as := make([]*agent, 0, len(c.agents))
	for _, a := range c.agents {
		as = append(as, a)
	}
	slices.SortFunc(as, func(x, y *agent) int { return cmp.Compare(x.seq, y.seq) })
	return as
}

func (c *Center) nextSeq() uint64 {
	c.seq++
	return c.seq
}

// Wake returns the next time at which time alone makes work due in Next: a
// wrap-up ends, an offer rings out, a caller reaches its queue's maximum
// wait, or a waiting caller's skill requirement relaxes. ok is false when
// nothing is pending. It may be early (the work may have gone), never late.
func (c *Center) Wake() (at time.Time, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) > 0 {
		at, ok = c.timers[0].at, true
	}
	now := c.clock.Now()
	for _, l := range c.order {
		for _, cl := range l.classes {
			for _, b := range cl.buckets {
				e := b.head()
				if t, relax := l.cfg.nextRelax(time.Unix(0, e.arrived), e.waited(now)); relax && (!ok || t.Before(at)) {
					at, ok = t, true
				}
			}
		}
	}
	return at, ok
}
