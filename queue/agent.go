package queue

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// AgentConfig describes an agent.
type AgentConfig struct {
	ID     string // the 工号 announced to callers, like "1001"
	Name   string
	Device string // where to ring the agent, like "PJSIP/1001"
	// Skills with their levels, 1 to 10.
	Skills map[string]int
	// Queues limits the agent to these queues; empty means every queue
	// whose skills it has.
	Queues []string
}

// AgentStatus is an agent as it is now.
type AgentStatus struct {
	ID, Name, Device string
	State            AgentState
	Reason           string    // why NotReady (or why Ready again after an offer was withdrawn)
	Since            time.Time // when it entered State
	CallID           string    // Reserved, OnCall: the call; WrapUp: the call wrapped up
	Queue            string    // that call's queue
	WrapUpEnds       time.Time // WrapUp: when the queue's wrap-up time runs out
	// NeedsDisposition says, in WrapUp, that the agent cannot be Ready
	// before it gives the call a disposition (the queue's
	// RequireDisposition), even once WrapUpEnds has passed.
	NeedsDisposition bool
	Skills           map[string]int
	Queues           []string // the queues it serves now
	Answered         int      // calls answered since it was added
}

// agent is an agent's state in the center.
type agent struct {
	cfg     AgentConfig
	seq     uint64  // order added, the last tie-break
	members []*line // the queues it serves

	state  AgentState
	reason string
	since  time.Time
	entry  *entry // Reserved, OnCall: the call

	idleSince time.Time         // end of its last call, or its login
	rr        map[string]uint64 // per queue: its last offer's round-robin number
	answered  map[string]int    // per queue: calls answered
	total     int
	slots     []slotRef // the ready indexes it is in
	wrapGen   uint64    // identifies the current wrap-up's timer
	wrapEnds  time.Time
	// The wrap-up's call and queue; whether the queue wants a disposition
	// before Ready, and whether one was given.
	wrapCall, wrapQueue   string
	wrapCallback          bool
	wrapRequire, wrapDone bool
	// The state the wrap-up's end leads to: Ready, or for an outbound call
	// the state the agent had before it (wrapBackReason its reason).
	wrapBack       AgentState
	wrapBackReason string
	handleLine     *line // OnCall, WrapUp: the queue whose handle time is running
	handleFrom     time.Time
	// foreign: an agent of another instance, offered one of this center's
	// callers by the shared router (AssignRemote). It stands for the
	// agent in that call alone: it is in no map, index or count of the
	// center, and its changes are logged by its own instance.
	foreign bool
}

func (a *agent) id() string { return a.cfg.ID }

func (a *agent) serves(l *line) bool {
	if len(a.cfg.Queues) > 0 && !slices.Contains(a.cfg.Queues, l.name) {
		return false
	}
	return a.hasAll(l.cfg.Skills)
}

func (a *agent) hasAll(skills []string) bool {
	for _, s := range skills {
		if a.cfg.Skills[s] < MinSkillLevel {
			return false
		}
	}
	return true
}

func (c AgentConfig) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: agent %q: %s", ErrInvalidAgent, c.ID, fmt.Sprintf(format, args...)))
	}
	if !namePattern.MatchString(c.ID) {
		bad("%q is not a usable agent ID; use letters and digits, like 1001", c.ID)
	}
	for _, s := range slices.Sorted(maps.Keys(c.Skills)) {
		switch lv := c.Skills[s]; {
		case s == "":
			bad("a skill name is empty")
		case lv < MinSkillLevel || lv > MaxSkillLevel:
			bad("skill %q: level %d is outside %d to %d", s, lv, MinSkillLevel, MaxSkillLevel)
		}
	}
	if msg := checkSkills(c.Queues); msg != "" {
		bad("queues: %s", msg)
	}
	return errors.Join(errs...)
}

// SetAgent adds an agent (logged out) or changes one's name, device, skills
// and queues; its state stays as it is.
func (c *Center) SetAgent(cfg AgentConfig) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	cfg.Skills = maps.Clone(cfg.Skills)
	cfg.Queues = slices.Clone(cfg.Queues)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, q := range cfg.Queues {
		if _, err := c.line(q); err != nil {
			return fmt.Errorf("%w: agent %q: queues: %w", ErrInvalidAgent, cfg.ID, err)
		}
	}
	a, ok := c.agents[cfg.ID]
	if !ok {
		a = &agent{seq: c.nextSeq(), rr: map[string]uint64{}, answered: map[string]int{}}
		c.agents[cfg.ID] = a
	} else {
		c.leave(a)
	}
	a.cfg = cfg
	c.join(a)
	return nil
}

// RemoveAgent removes a logged-out agent.
func (c *Center) RemoveAgent(id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, err := c.agent(id)
	if err != nil {
		return err
	}
	if a.state != LoggedOut {
		return fmt.Errorf("%w: agent %s is %s", ErrAgentLoggedIn, id, a.state)
	}
	c.leave(a)
	delete(c.agents, id)
	return nil
}

func (c *Center) agent(id string) (*agent, error) {
	a, ok := c.agents[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownAgent, id)
	}
	return a, nil
}

// join makes a serve the queues it qualifies for.
func (c *Center) join(a *agent) {
	for _, l := range c.order {
		if a.serves(l) {
			a.members = append(a.members, l)
			l.members = append(l.members, a)
			l.count(a.state, +1)
		}
	}
	if a.state == Ready {
		c.index(a)
	}
}

// leave takes a out of its queues (and their ready indexes) without
// changing its state; join puts it back.
func (c *Center) leave(a *agent) {
	if a.state == Ready {
		c.unindex(a)
	}
	for _, l := range a.members {
		l.count(a.state, -1)
		l.members = slices.DeleteFunc(l.members, func(m *agent) bool { return m == a })
	}
	a.members = a.members[:0]
}

// Login logs an agent in, NotReady with reason "login"; SetReady makes it
// take calls.
func (c *Center) Login(id string) error {
	return c.byAgent(id, NotReady, ReasonLogin, byLogin)
}

// SetReady makes an agent take calls; from WrapUp, it ends the wrap-up
// early.
func (c *Center) SetReady(id string) error {
	return c.byAgent(id, Ready, "", byAgent)
}

// SetNotReady stops an agent taking calls, for a reason the reports show
// (a break, a meeting, training).
func (c *Center) SetNotReady(id, reason string) error {
	if reason == "" {
		return fmt.Errorf("%w: agent %s", ErrNoReason, id)
	}
	return c.byAgent(id, NotReady, reason, byAgent)
}

// Logout logs an agent out. An agent who is Reserved or OnCall must finish
// the call first.
func (c *Center) Logout(id string) error {
	return c.byAgent(id, LoggedOut, "", byAgent)
}

func (c *Center) byAgent(id string, to AgentState, reason string, by cause) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, err := c.agent(id)
	if err != nil {
		return err
	}
	if a.state == WrapUp && to == Ready && a.wrapRequire && !a.wrapDone {
		return fmt.Errorf("%w: agent %s, call %s", ErrNoDisposition, id, a.wrapCall)
	}
	now := c.clock.Now()
	if err := c.transition(now, a, to, by, reason, nil); err != nil {
		return err
	}
	if by == byLogin {
		// Idle since login: a new agent goes after those who have waited
		// longer since their last call.
		c.reindex(a, func() { a.idleSince = now })
	}
	return nil
}

// reindex changes a ready-index key of a.
func (c *Center) reindex(a *agent, change func()) {
	if a.state == Ready {
		c.unindex(a)
		defer c.index(a)
	}
	change()
}

// transition moves a to state to, checked against the state machine, and
// records it. e is the call the change is about, if any.
func (c *Center) transition(now time.Time, a *agent, to AgentState, by cause, reason string, e *entry) error {
	from := a.state
	if !allowed(from, to, by) {
		return &TransitionError{Agent: a.id(), From: from, To: to}
	}
	if a.foreign {
		// Another instance's agent (shared.go) stands for the agent in
		// this center's call alone: in no index or count, and its changes
		// are logged by its home.
		a.enter(now, to, reason, e)
		return nil
	}
	if from == Ready {
		c.unindex(a)
		c.ready--
	}
	for _, l := range a.members {
		l.count(from, -1)
	}
	a.enter(now, to, reason, e)
	for _, l := range a.members {
		l.count(to, +1)
	}
	if to == Ready {
		c.ready++
		c.index(a)
	}
	ch := AgentStateChange{Agent: a.id(), At: now, From: from, State: to, Reason: reason}
	switch {
	case e != nil:
		ch.CallID, ch.Queue, ch.Callback = e.id, e.line.name, e.callback
	case from == WrapUp:
		ch.CallID, ch.Queue, ch.Callback = a.wrapCall, a.wrapQueue, a.wrapCallback // the end of its wrap-up
	}
	c.log.add(ch)
	return nil
}

// enter puts a in state to, holding e when Reserved or OnCall; leaving
// WrapUp ends the handle time of its call's queue.
func (a *agent) enter(now time.Time, to AgentState, reason string, e *entry) {
	if a.state == WrapUp && a.handleLine != nil {
		a.handleLine.handle.add(now.Sub(a.handleFrom))
		a.handleLine = nil
	}
	a.state, a.reason, a.since = to, reason, now
	a.entry = nil
	if to == Reserved || to == OnCall {
		a.entry = e
	}
}

// mustTransition is a transition the center's own bookkeeping guarantees
// to be legal; failing it is a bug in this package.
func (c *Center) mustTransition(now time.Time, a *agent, to AgentState, reason string, e *entry) {
	if err := c.transition(now, a, to, byCall, reason, e); err != nil {
		panic("queue: internal error: " + err.Error())
	}
}

// Agent returns an agent's status.
func (c *Center) Agent(id string) (AgentStatus, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, err := c.agent(id)
	if err != nil {
		return AgentStatus{}, err
	}
	return a.status(), nil
}

// Agents returns every agent's status, in the order they were added.
func (c *Center) Agents() []AgentStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	as := c.sortedAgents()
	out := make([]AgentStatus, len(as))
	for i, a := range as {
		out[i] = a.status()
	}
	return out
}

func (a *agent) status() AgentStatus {
	s := AgentStatus{
		ID: a.cfg.ID, Name: a.cfg.Name, Device: a.cfg.Device,
		State: a.state, Reason: a.reason, Since: a.since,
		Skills: maps.Clone(a.cfg.Skills), Answered: a.total,
	}
	if a.entry != nil {
		s.CallID, s.Queue = a.entry.id, a.entry.line.name
	}
	if a.state == WrapUp {
		s.WrapUpEnds, s.CallID, s.Queue = a.wrapEnds, a.wrapCall, a.wrapQueue
		s.NeedsDisposition = a.wrapRequire && !a.wrapDone
	}
	for _, l := range a.members {
		s.Queues = append(s.Queues, l.name)
	}
	return s
}
