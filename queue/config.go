package queue

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Strategy is how a queue picks among the Ready agents who can take a
// caller. Ties always go to the agent who has been idle longest, then to
// the one added to the center first.
type Strategy uint8

const (
	// LongestIdle picks the agent whose last call ended longest ago (or who
	// logged in longest ago, for one who has had no call yet).
	LongestIdle Strategy = iota
	// RoundRobin picks the agent this queue offered a call to least
	// recently, so offers rotate among its agents.
	RoundRobin
	// FewestCalls picks the agent who has answered the fewest of this
	// queue's calls.
	FewestCalls
	// SkillsByLevel picks the agent with the highest levels (their sum) in
	// the skills the caller needs.
	SkillsByLevel
)

var strategyNames = [...]string{
	LongestIdle:   "longest-idle",
	RoundRobin:    "round-robin",
	FewestCalls:   "fewest-calls",
	SkillsByLevel: "skills-by-level",
}

func (s Strategy) String() string {
	if int(s) < len(strategyNames) {
		return strategyNames[s]
	}
	return fmt.Sprintf("Strategy(%d)", uint8(s))
}

// ParseStrategy reads a strategy's name, as String writes it.
func ParseStrategy(name string) (Strategy, error) {
	for i, n := range strategyNames {
		if n == name {
			return Strategy(i), nil
		}
	}
	return 0, fmt.Errorf("%w: %q is not a routing strategy; use one of %v", ErrInvalidQueue, name, strategyNames)
}

// LevelStep is the minimum skill level a caller needs from its agent once it
// has waited After.
type LevelStep struct {
	After    time.Duration
	MinLevel int // 1 to 10; 1 is any agent with the skill
}

// NoAgents is what a queue does while none of its agents is logged in.
type NoAgents uint8

const (
	// NoAgentsWait lets callers join and wait anyway.
	NoAgentsWait NoAgents = iota
	// NoAgentsOverflow refuses new callers with the overflow action, and
	// overflows the live callers waiting when its last agent logs out.
	// Call-backs still join and wait.
	NoAgentsOverflow
)

// ActionKind is what happens to a caller who overflows a queue.
type ActionKind uint8

const (
	// ActionHangup plays an apology and hangs up. It is the default.
	ActionHangup ActionKind = iota
	// ActionMessage plays a voice message (or takes one: the flow decides
	// what Prompt means) and leaves the queue.
	ActionMessage
	// ActionCallbackOffer offers the caller a call-back. After the maximum
	// wait the caller keeps waiting while the offer plays; at a full or
	// unstaffed queue it was not queued, and the engine queues the
	// call-back with AddCallback if the caller accepts.
	ActionCallbackOffer
	// ActionQueue moves the caller to another queue; the center does the
	// move itself.
	ActionQueue
)

var actionNames = [...]string{
	ActionHangup:        "hangup",
	ActionMessage:       "message",
	ActionCallbackOffer: "callback-offer",
	ActionQueue:         "queue",
}

func (k ActionKind) String() string {
	if int(k) < len(actionNames) {
		return actionNames[k]
	}
	return fmt.Sprintf("ActionKind(%d)", uint8(k))
}

// Action is an overflow action, as data the engine acts on.
type Action struct {
	Kind   ActionKind
	Queue  string // ActionQueue: where the caller goes
	Prompt string // ActionHangup, ActionMessage: the prompt to play; "" for the flow's default
}

// QueueConfig is one queue's rules. Zero values take the defaults listed
// with [QueueConfig.WithDefaults].
type QueueConfig struct {
	Name string
	// Skills an agent needs, all of them, to serve the queue; each caller
	// may add its own (its language, say). An agent may further limit
	// itself to some queues with AgentConfig.Queues.
	Skills   []string
	Strategy Strategy
	// Levels relax the minimum level an agent needs in each of the
	// caller's skills as its wait grows, like 8 for the first 30 s, then 5,
	// then any: {{0, 8}, {30 * time.Second, 5}, {time.Minute, 1}}. The
	// first step is at 0, Afters increase and levels never rise. Empty
	// means any level.
	Levels []LevelStep

	// RingTimeout is how long one offer rings an agent before it counts as
	// no answer.
	RingTimeout time.Duration
	// WrapUp is the time an agent has after each of this queue's calls
	// before it is Ready again; 0 means none.
	WrapUp time.Duration
	// RequireDisposition keeps an agent in wrap-up after each of this
	// queue's calls until it gives the call a disposition (a category of
	// inquiry or complaint), past WrapUp if need be.
	RequireDisposition bool

	// MaxWait is the longest a live caller waits in this queue (counted
	// from joining it) before Overflow; 0 means no limit.
	MaxWait time.Duration
	// MaxLength is the most live callers that may wait in the queue (call-
	// backs hold no line and do not count); 0 means no limit.
	MaxLength int
	// Overflow is what happens to a caller past MaxWait, at a full queue,
	// or at an unstaffed one under NoAgentsOverflow.
	Overflow Action
	// WhenNoAgents is the behaviour while none of the agents is logged in.
	WhenNoAgents NoAgents
	// KeepArrival lets callers transferred or overflowed into this queue
	// keep their original arrival time (and so their place in the order);
	// otherwise they join at the back of their priority.
	KeepArrival bool

	// ServiceLevel is the answer-time threshold for the queue's service
	// level (the share of callers answered within it).
	ServiceLevel time.Duration
	// AnnounceEvery is how often the engine tells waiting callers their
	// position and estimated wait (接一、顾二、招呼三); 0 means never.
	AnnounceEvery time.Duration
	// CallbackAfter is the wait after which the engine offers a caller a
	// call-back that keeps its place; 0 means never (an overflow action may
	// still offer one).
	CallbackAfter time.Duration
	// HandleWindow is how many recent handle times the estimated wait
	// averages.
	HandleWindow int
	// HandleTimeSeed stands in for the average handle time until the queue
	// has one of its own; 0 leaves the estimate unknown until then.
	HandleTimeSeed time.Duration

	// NoRecording switches off the recording of this queue's agent
	// conversations, which the ACD records by default.
	NoRecording bool
}

// The defaults, all in one place.
const (
	DefaultRingTimeout  = 15 * time.Second
	DefaultServiceLevel = 20 * time.Second
	DefaultHandleWindow = 50
)

// Limits on skill levels.
const (
	MinSkillLevel = 1
	MaxSkillLevel = 10
)

// clone returns c with slices of its own, so the caller's stay theirs.
func (c QueueConfig) clone() QueueConfig {
	c.Skills = slices.Clone(c.Skills)
	c.Levels = slices.Clone(c.Levels)
	return c
}

// WithDefaults returns c with its zero values replaced by the defaults:
// RingTimeout DefaultRingTimeout, ServiceLevel DefaultServiceLevel,
// HandleWindow DefaultHandleWindow.
func (c QueueConfig) WithDefaults() QueueConfig {
	if c.RingTimeout == 0 {
		c.RingTimeout = DefaultRingTimeout
	}
	if c.ServiceLevel == 0 {
		c.ServiceLevel = DefaultServiceLevel
	}
	if c.HandleWindow == 0 {
		c.HandleWindow = DefaultHandleWindow
	}
	return c
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Validate reports every problem with the queue on its own (after
// defaults); whether an overflow target exists is checked by the [Center].
// Each problem matches [ErrInvalidQueue].
func (c QueueConfig) Validate() error {
	c = c.WithDefaults()
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: queue %q: %s: %s", ErrInvalidQueue, c.Name, field, fmt.Sprintf(format, args...)))
	}
	if !namePattern.MatchString(c.Name) {
		bad("name", "%q is not a usable queue name; use letters, digits, '.', '-' and '_'", c.Name)
	}
	if err := checkSkills(c.Skills); err != "" {
		bad("skills", "%s", err)
	}
	if int(c.Strategy) >= len(strategyNames) {
		bad("strategy", "%d is not a routing strategy; use one of %v", c.Strategy, strategyNames)
	}
	for i, s := range c.Levels {
		field := fmt.Sprintf("levels[%d]", i)
		switch {
		case i == 0 && s.After != 0:
			bad(field, "the first step must start at 0, not %v, so every wait has a level", s.After)
		case i > 0 && s.After <= c.Levels[i-1].After:
			bad(field, "starts at %v, not after the step before (%v); list steps in order", s.After, c.Levels[i-1].After)
		}
		switch {
		case s.MinLevel < MinSkillLevel || s.MinLevel > MaxSkillLevel:
			bad(field, "level %d is outside %d to %d", s.MinLevel, MinSkillLevel, MaxSkillLevel)
		case i > 0 && s.MinLevel > c.Levels[i-1].MinLevel:
			bad(field, "level %d is above the step before (%d); requirements may only relax as the wait grows", s.MinLevel, c.Levels[i-1].MinLevel)
		}
	}
	if c.RingTimeout < 0 {
		bad("ring_timeout", "%v is negative", c.RingTimeout)
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{{"wrap_up", c.WrapUp}, {"max_wait", c.MaxWait}, {"service_level", c.ServiceLevel}, {"announce_every", c.AnnounceEvery}, {"callback_after", c.CallbackAfter}, {"handle_time_seed", c.HandleTimeSeed}} {
		if d.v < 0 {
			bad(d.field, "%v is negative", d.v)
		}
	}
	if c.MaxLength < 0 {
		bad("max_length", "%d is negative; use 0 for no limit", c.MaxLength)
	}
	if c.HandleWindow < 0 {
		bad("handle_window", "%d is negative", c.HandleWindow)
	}
	if int(c.WhenNoAgents) > int(NoAgentsOverflow) {
		bad("when_no_agents", "%d is not a behaviour; use wait or overflow", c.WhenNoAgents)
	}
	switch a := c.Overflow; {
	case int(a.Kind) >= len(actionNames):
		bad("overflow", "%d is not an overflow action; use one of %v", a.Kind, actionNames)
	case a.Kind == ActionQueue && a.Queue == "":
		bad("overflow.queue", "an overflow to another queue needs the queue's name")
	case a.Kind == ActionQueue && a.Queue == c.Name:
		bad("overflow.queue", "a queue cannot overflow into itself")
	case a.Kind != ActionQueue && a.Queue != "":
		bad("overflow.queue", "only an overflow to another queue names one (the action is %s)", a.Kind)
	}
	return errors.Join(errs...)
}

// checkSkills says what is wrong with a list of skill names, or "".
func checkSkills(skills []string) string {
	for i, s := range skills {
		if s == "" {
			return fmt.Sprintf("skill %d is empty", i)
		}
		if slices.Contains(skills[:i], s) {
			return fmt.Sprintf("%q is listed twice", s)
		}
	}
	return ""
}

// minLevel is the level a caller who has waited w needs.
func (c *QueueConfig) minLevel(w time.Duration) int {
	level := MinSkillLevel
	for _, s := range c.Levels {
		if w < s.After {
			break
		}
		level = s.MinLevel
	}
	return level
}

// nextRelax is when the requirement for a caller who arrived at arrived
// next relaxes, if it still will.
func (c *QueueConfig) nextRelax(arrived time.Time, w time.Duration) (time.Time, bool) {
	for _, s := range c.Levels {
		if w < s.After {
			return arrived.Add(s.After), true
		}
	}
	return time.Time{}, false
}
