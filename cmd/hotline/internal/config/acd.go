package config

import (
	"maps"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/queue"
)

// Queue is one agent queue (queues: in the file). Flows hand callers to it
// by name; its keys are those of queue.QueueConfig.
type Queue struct {
	Name     string   `yaml:"name"`
	Skills   []string `yaml:"skills"`   // skills an agent needs, all of them, to serve it
	Strategy string   `yaml:"strategy"` // how a Ready agent is picked: longest-idle, round-robin, ...
	// Levels relax the minimum skill level a caller needs as its wait grows.
	Levels       []Level       `yaml:"levels"`
	RingTimeout  time.Duration `yaml:"ring_timeout"`   // how long one offer rings an agent
	WrapUp       time.Duration `yaml:"wrap_up"`        // after each call, before the agent is Ready again
	MaxWait      time.Duration `yaml:"max_wait"`       // 0: no limit
	MaxLength    int           `yaml:"max_length"`     // live callers waiting; 0: no limit
	Overflow     Overflow      `yaml:"overflow"`       // past max_wait, at a full queue, or an unstaffed one
	WhenNoAgents string        `yaml:"when_no_agents"` // wait or overflow
	KeepArrival  bool          `yaml:"keep_arrival"`   // callers moved in keep their place
	ServiceLevel time.Duration `yaml:"service_level"`  // the answer-time threshold of the service level
	// AnnounceEvery is how often waiting callers hear their position and
	// estimated wait; 0: never.
	AnnounceEvery time.Duration `yaml:"announce_every"`
	// CallbackAfter is the wait after which callers are offered a call-back
	// that keeps their place; 0: never.
	CallbackAfter  time.Duration `yaml:"callback_after"`
	HandleWindow   int           `yaml:"handle_window"`    // handle times the estimated wait averages
	HandleTimeSeed time.Duration `yaml:"handle_time_seed"` // stands in for the average until there is one
	// Record records the queue's agent conversations (the default); false
	// switches it off.
	Record bool `yaml:"record"`
	// RequireDisposition keeps an agent in wrap-up after each call until it
	// gives the call a disposition code (past wrap_up if need be).
	RequireDisposition bool `yaml:"require_disposition"`
}

// UnmarshalYAML starts each item of queues: from DefaultQueue, so that the
// keys it leaves out keep their defaults.
func (q *Queue) UnmarshalYAML(n *yaml.Node) error {
	type plain Queue
	*q = DefaultQueue()
	return n.Decode((*plain)(q))
}

// Level is the minimum skill level a caller needs once it has waited After.
type Level struct {
	After    time.Duration `yaml:"after"`
	MinLevel int           `yaml:"min_level"`
}

// Overflow is what happens to a caller who overflows a queue.
type Overflow struct {
	Action string `yaml:"action"` // hangup, message, callback or queue
	Queue  string `yaml:"queue"`  // action queue: where the caller goes
	Prompt string `yaml:"prompt"` // hangup, message: the prompt; "" for the flow's own
}

// Agent is an agent (agents: in the file), known by its 工号.
type Agent struct {
	ID     string         `yaml:"id"` // the 工号 callers hear, like "1001"
	Name   string         `yaml:"name"`
	Device string         `yaml:"device"` // where to ring it, like PJSIP/1001
	Skills map[string]int `yaml:"skills"` // skill: level, 1 to 10
	Queues []string       `yaml:"queues"` // only these queues; empty: every queue whose skills it has
	// Team is the team the agent is in, for QA's report by team; "" is
	// none.
	Team string `yaml:"team"`
}

// Callbacks is how customers who booked a call-back are dialled.
type Callbacks struct {
	// CustomerEndpoint dials a customer; %s is the number.
	CustomerEndpoint string        `yaml:"customer_endpoint"`
	CallerID         string        `yaml:"caller_id"` // what customers see: the hotline number
	Attempts         int           `yaml:"attempts"`  // dials per request
	RetryDelay       time.Duration `yaml:"retry_delay"`
	RingTimeout      time.Duration `yaml:"ring_timeout"`
}

// Transfers is how the flows' transfer nodes reach external numbers: a
// call to the trunk, bridged with the caller on answer.
type Transfers struct {
	Endpoint    string        `yaml:"endpoint"`     // %s is the number, like PJSIP/%s@trunk
	RingTimeout time.Duration `yaml:"ring_timeout"` // when the node sets no timeout
}

// Instance names this server among those sharing one database: who is
// dialling a call-back. It must be unique and stable across restarts.
type Instance struct {
	Name string `yaml:"name"`
}

// Console is the web console's API: who may sign in.
type Console struct {
	Users      []User        `yaml:"users"`
	SessionTTL time.Duration `yaml:"session_ttl"` // how long a sign-in lasts
	// PasswordChecks bounds the sign-ins whose password is checked at once;
	// 0 means half the CPUs, at least one.
	PasswordChecks int `yaml:"password_checks"`
}

// User is someone who may sign in to the console. The password is kept as
// its bcrypt hash, which "hotline passwd" makes; the password itself never
// goes in the file.
type User struct {
	Name         string `yaml:"name"`
	Role         string `yaml:"role"`   // agent, qa, manager, supervisor or admin
	Agent        string `yaml:"agent"`  // the user's 工号; required for an agent
	Device       string `yaml:"device"` // supervisor, admin: the phone it listens in from
	PasswordHash string `yaml:"password_hash"`
}

// The names the file gives to the queue package's choices.
var (
	overflowActions = map[string]queue.ActionKind{
		"hangup":   queue.ActionHangup,
		"message":  queue.ActionMessage,
		"callback": queue.ActionCallbackOffer,
		"queue":    queue.ActionQueue,
	}
	overflowActionNames = []string{"hangup", "message", "callback", "queue"}
	noAgentsChoices     = map[string]queue.NoAgents{"wait": queue.NoAgentsWait, "overflow": queue.NoAgentsOverflow}
	noAgentsNames       = []string{"wait", "overflow"}
)

// strategyNames lists the routing strategies by the names
// queue.ParseStrategy reads.
func strategyNames() []string {
	var names []string
	for s := queue.Strategy(0); ; s++ {
		if _, err := queue.ParseStrategy(s.String()); err != nil {
			return names
		}
		names = append(names, s.String())
	}
}

// QueueConfig is the queue as the queue package takes it. Names the file
// got wrong (which validation reports) become the zero choice.
func (q Queue) QueueConfig() queue.QueueConfig {
	strategy, _ := queue.ParseStrategy(q.Strategy)
	qc := queue.QueueConfig{
		Name:           q.Name,
		Skills:         slices.Clone(q.Skills),
		Strategy:       strategy,
		RingTimeout:    q.RingTimeout,
		WrapUp:         q.WrapUp,
		MaxWait:        q.MaxWait,
		MaxLength:      q.MaxLength,
		Overflow:       queue.Action{Kind: overflowActions[q.Overflow.Action], Queue: q.Overflow.Queue, Prompt: q.Overflow.Prompt},
		WhenNoAgents:   noAgentsChoices[q.WhenNoAgents],
		KeepArrival:    q.KeepArrival,
		ServiceLevel:   q.ServiceLevel,
		AnnounceEvery:  q.AnnounceEvery,
		CallbackAfter:  q.CallbackAfter,
		HandleWindow:   q.HandleWindow,
		HandleTimeSeed: q.HandleTimeSeed,
		NoRecording:    !q.Record,

		RequireDisposition: q.RequireDisposition,
	}
	for _, l := range q.Levels {
		qc.Levels = append(qc.Levels, queue.LevelStep{After: l.After, MinLevel: l.MinLevel})
	}
	return qc
}

// AgentConfig is the agent as the queue package takes it.
func (a Agent) AgentConfig() queue.AgentConfig {
	return queue.AgentConfig{
		ID: a.ID, Name: a.Name, Device: a.Device,
		Skills: maps.Clone(a.Skills), Queues: slices.Clone(a.Queues),
	}
}

// AgentTeams maps each agent in a team to its team (QA's report by team).
func (c Config) AgentTeams() map[string]string {
	out := map[string]string{}
	for _, a := range c.Agents {
		if a.Team != "" {
			out[a.ID] = a.Team
		}
	}
	return out
}

// QueueConfigs is every queue of the file, as queue.New takes them.
func (c Config) QueueConfigs() []queue.QueueConfig {
	out := make([]queue.QueueConfig, len(c.Queues))
	for i, q := range c.Queues {
		out[i] = q.QueueConfig()
	}
	return out
}

// ConsoleUsers is the console's users, as console.New takes them.
func (c Config) ConsoleUsers() []console.User {
	out := make([]console.User, len(c.Console.Users))
	for i, u := range c.Console.Users {
		out[i] = console.User{Name: u.Name, Role: console.Role(u.Role), Agent: u.Agent, Device: u.Device, PasswordHash: u.PasswordHash}
	}
	return out
}
