package queue

import (
	"slices"
	"strings"
)

// line is a queue's state in the center: its callers, sorted into classes
// by the skills they need, and its agents.
type line struct {
	name    string
	cfg     QueueConfig
	classes []*class          // in the order they appeared
	byKey   map[string]*class // by the callers' own skills
	members []*agent

	loggedIn int  // members not LoggedOut
	staffed  int  // members Ready, Reserved, OnCall or WrapUp
	waiting  int  // entries in line, call-backs included
	live     int  // live callers in line (for MaxLength)
	emptied  bool // its last agent logged out since Next last looked
	rr       uint64
	handle   handleWindow
	stats    counters
}

// counters are a queue's totals of the centre's day (see day); read and
// count them through Center.stats, which starts a new day when one is due.
type counters struct {
	answered, answeredInSL, abandoned, overflowed, missed int
	callbacks, callbacksConnected, callbacksCancelled     int
}

func newLine(cfg QueueConfig) *line {
	l := &line{name: cfg.Name, cfg: cfg, byKey: map[string]*class{}}
	l.handle.resize(cfg.HandleWindow)
	return l
}

// reconfigure changes the queue's rules. The agents are out of its indexes
// and members (SetQueue takes them out and puts them back).
func (l *line) reconfigure(cfg QueueConfig) {
	l.cfg = cfg
	l.handle.resize(cfg.HandleWindow)
	for _, cl := range l.classes {
		cl.skills = unionSkills(cfg.Skills, cl.own)
	}
}

// count adds d agents in state s to the queue's counts.
func (l *line) count(s AgentState, d int) {
	if s == LoggedOut {
		return
	}
	l.loggedIn += d
	if l.loggedIn == 0 && d < 0 {
		l.emptied = true
	}
	if s != NotReady {
		l.staffed += d
	}
}

// class is the callers of one queue who need the same skills: the queue's
// and their own. Its callers wait in one FIFO per priority; its Ready
// agents are indexed by the queue's strategy. Within one bucket the wait
// only shrinks towards the back, so the requirement only tightens: if no
// Ready agent can take a bucket's first caller, none can take the rest.
type class struct {
	line    *line
	own     []string // the callers' own skills, sorted
	skills  []string // the queue's and theirs, sorted
	ready   agentIndex
	buckets map[int]*bucket // by priority
}

// classFor returns the class for callers with their own skills own
// (sorted, deduplicated), making it (and indexing the Ready agents for it)
// the first time.
func (c *Center) classFor(l *line, own []string) *class {
	key := strings.Join(own, "\x00")
	if cl, ok := l.byKey[key]; ok {
		return cl
	}
	cl := &class{line: l, own: own, skills: unionSkills(l.cfg.Skills, own), buckets: map[int]*bucket{}}
	l.byKey[key] = cl
	l.classes = append(l.classes, cl)
	for _, a := range l.members {
		if a.state == Ready {
			c.indexIn(a, cl)
		}
	}
	return cl
}

// normSkills sorts and deduplicates a caller's skills.
func normSkills(skills []string) []string {
	s := slices.Clone(skills)
	s = slices.DeleteFunc(s, func(x string) bool { return x == "" })
	slices.Sort(s)
	return slices.Compact(s)
}

func unionSkills(a, b []string) []string {
	s := append(slices.Clone(a), b...)
	slices.Sort(s)
	return slices.Compact(s)
}

// bucket is the callers of one class and priority in arrival order. A
// sorted slice: arrivals go to the back and offers take from the front, both
// O(1); a caller back from an offer that rang out, or transferred with its
// arrival time, is put in its place by binary search, and an abandon is
// taken out the same way.
type bucket struct {
	prio  int
	items []*entry
}

func (b *bucket) head() *entry { return b.items[0] }

func (b *bucket) search(e *entry) (int, bool) {
	return slices.BinarySearchFunc(b.items, e, func(x, y *entry) int { return x.cmpPlace(y) })
}

func (b *bucket) insert(e *entry) {
	if n := len(b.items); n == 0 || b.items[n-1].cmpPlace(e) < 0 {
		b.items = append(b.items, e)
		return
	}
	i, _ := b.search(e)
	b.items = slices.Insert(b.items, i, e)
}

func (b *bucket) remove(e *entry) {
	i, ok := b.search(e)
	if !ok {
		panic("queue: internal error: a waiting caller is not in its line")
	}
	if i == 0 {
		b.items[0] = nil
		b.items = b.items[1:]
		return
	}
	b.items = slices.Delete(b.items, i, i+1)
}

// before counts the callers ahead of e in b (b has e's priority).
func (b *bucket) before(e *entry) int {
	i, _ := b.search(e)
	return i
}
