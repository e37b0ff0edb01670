package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

// QueueView is one queue across the whole centre.
type QueueView struct {
	Name        string
	Waiting     int           // waiting callers, call-backs included
	Callbacks   int           // of them, call-back requests
	LongestWait time.Duration // of the waiting
	Offered     int           // ringing an agent
	Connected   int
	Ready       int // its agents Ready
	Staffed     int // its agents logged in and not NotReady
	// ByInstance splits the same by instance: callers by the instance
	// holding them, agents by their home instance.
	ByInstance map[string]*InstanceCounts
}

// InstanceCounts is one instance's share of a queue.
type InstanceCounts struct {
	Waiting, Callbacks, Offered, Connected int
	LongestWait                            time.Duration
	Ready, Staffed                         int
}

// Queues is every queue's state across the centre, by name.
func (c *Cluster) Queues(ctx context.Context) ([]QueueView, error) {
	qs, err := loadQueues(ctx, c.db)
	if err != nil {
		return nil, fmt.Errorf("reading the queues: %w", err)
	}
	now := c.now()
	views := map[string]*QueueView{}
	for name := range qs {
		views[name] = &QueueView{Name: name, ByInstance: map[string]*InstanceCounts{}}
	}
	inst := func(v *QueueView, i string) *InstanceCounts {
		if v.ByInstance[i] == nil {
			v.ByInstance[i] = &InstanceCounts{}
		}
		return v.ByInstance[i]
	}
	rows, err := c.db.Query(ctx, `
		SELECT queue, instance, state, callback, count(*), min(arrived) FROM cluster_callers
		 GROUP BY queue, instance, state, callback`)
	if err != nil {
		return nil, fmt.Errorf("reading the callers: %w", err)
	}
	for rows.Next() {
		var q, i, state string
		var cb bool
		var n int
		var first time.Time
		if err := rows.Scan(&q, &i, &state, &cb, &n, &first); err != nil {
			rows.Close()
			return nil, err
		}
		v := views[q]
		if v == nil {
			continue
		}
		ic := inst(v, i)
		switch state {
		case "waiting":
			v.Waiting += n
			ic.Waiting += n
			if cb {
				v.Callbacks += n
				ic.Callbacks += n
			}
			w := now.Sub(first)
			v.LongestWait, ic.LongestWait = max(v.LongestWait, w), max(ic.LongestWait, w)
		case "offered":
			v.Offered += n
			ic.Offered += n
		case "connected":
			v.Connected += n
			ic.Connected += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = c.db.Query(ctx, `
		SELECT state, coalesce(home, ''), skills, queues, count(*) FROM cluster_agents WHERE state NOT IN (0, 1)
		 GROUP BY state, home, skills, queues`)
	if err != nil {
		return nil, fmt.Errorf("reading the agents: %w", err)
	}
	for rows.Next() {
		var a readyAgent
		var state int16
		var n int
		if err := rows.Scan(&state, &a.home, &a.skills, &a.queues, &n); err != nil {
			rows.Close()
			return nil, err
		}
		for name, q := range qs {
			if !a.serves(q) {
				continue
			}
			v := views[name]
			ic := inst(v, a.home)
			v.Staffed += n
			ic.Staffed += n
			if queue.AgentState(state) == queue.Ready {
				v.Ready += n
				ic.Ready += n
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]QueueView, 0, len(views))
	for _, v := range views {
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b QueueView) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// AgentView is one agent across the centre.
type AgentView struct {
	ID, Name, Device string
	State            queue.AgentState
	Reason           string
	Since            time.Time
	CallID           string    // Reserved, OnCall: the call; WrapUp: the call wrapped up
	Queue            string    // that call's queue
	CallInstance     string    // the caller's instance
	Home             string    // the instance whose console or phone it uses
	WrapUpEnds       time.Time // WrapUp
	// Disposition: WrapUp after a call of a queue that requires a
	// disposition: it ends when the agent's home says, not at WrapUpEnds.
	Disposition bool
	Skills      map[string]int
	Queues      []string
}

// Agents is every agent, by ID.
func (c *Cluster) Agents(ctx context.Context) ([]AgentView, error) {
	rows, err := c.db.Query(ctx, `
		SELECT id, name, device, state, reason, since, coalesce(call_id, ''), coalesce(call_queue, ''), coalesce(call_instance, ''),
		       coalesce(home, ''), wrap_until, wrap_hold, skills, queues
		  FROM cluster_agents ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("reading the agents: %w", err)
	}
	defer rows.Close()
	var out []AgentView
	for rows.Next() {
		var a AgentView
		var state int16
		var wrap *time.Time
		if err := rows.Scan(&a.ID, &a.Name, &a.Device, &state, &a.Reason, &a.Since, &a.CallID, &a.Queue, &a.CallInstance,
			&a.Home, &wrap, &a.Disposition, &a.Skills, &a.Queues); err != nil {
			return nil, fmt.Errorf("reading the agents: %w", err)
		}
		a.State = queue.AgentState(state)
		if wrap != nil {
			a.WrapUpEnds = *wrap
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// CallView is one of this instance's callers as the centre has it.
type CallView struct {
	CallID, Queue string
	Priority      int
	Arrived       time.Time
	State         string // waiting, offered or connected
	Agent         string // offered, connected
	// The agent's name, device and home (offered, connected): what the
	// caller's instance needs to ring it.
	AgentName, Device, Home string
	Deadline                time.Time
	Attempts                int
	Callback                bool
	Number                  string
}

// Calls lists this instance's callers, in order (priority, then arrival):
// what it reconciles its own calls with after EventResync (an offer it
// missed is one it must carry out; one that rang out meanwhile is one to
// stop ringing).
func (c *Cluster) Calls(ctx context.Context) ([]CallView, error) {
	rows, err := c.db.Query(ctx, `
		SELECT x.call_id, x.queue, x.priority, x.arrived, x.state, coalesce(x.agent, ''), coalesce(g.name, ''), coalesce(g.device, ''),
		       coalesce(g.home, ''), x.offer_deadline, x.attempts, x.callback, x.number
		  FROM cluster_callers x LEFT JOIN cluster_agents g ON g.id = x.agent
		 WHERE x.instance = $1 ORDER BY x.priority DESC, x.arrived, x.seq`, c.cfg.Instance)
	if err != nil {
		return nil, fmt.Errorf("reading instance %s's calls: %w", c.cfg.Instance, err)
	}
	defer rows.Close()
	var out []CallView
	for rows.Next() {
		var v CallView
		var deadline *time.Time
		if err := rows.Scan(&v.CallID, &v.Queue, &v.Priority, &v.Arrived, &v.State, &v.Agent, &v.AgentName, &v.Device, &v.Home, &deadline, &v.Attempts, &v.Callback, &v.Number); err != nil {
			return nil, fmt.Errorf("reading instance %s's calls: %w", c.cfg.Instance, err)
		}
		if deadline != nil {
			v.Deadline = *deadline
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// HeldCall is a call of another instance that holds one of this instance's
// agents, or that its agent is wrapping up.
type HeldCall struct {
	// Offer is the call as its EventHold had it (Details included;
	// Deadline, Waited and Priority only while it rings or is
	// connected).
	Offer Offer
	// State is the call's: offered (the agent rings), connected (the
	// agent is on it) or ended (the agent wraps it up).
	State string
	// WrapUpEnds, Disposition: ended: the agent's wrap-up, as
	// EventHoldEnded or EventHoldLost had it.
	WrapUpEnds  time.Time
	Disposition bool
}

// HeldCalls lists the calls of other instances that hold this instance's
// agents (ringing or connected) or that its agents wrap up, by agent:
// what a home reconciles its queue.Center with after EventResync (a call
// it does not hold is one to Hold; one it holds that is not listed ended
// while it was not listening, and the agent's state in Agents says how).
func (c *Cluster) HeldCalls(ctx context.Context) ([]HeldCall, error) {
	rows, err := c.db.Query(ctx, `
		SELECT g.id, g.name, g.device, g.call_id, g.call_queue, g.call_instance, g.state, g.wrap_until, g.wrap_hold,
		       x.state, x.priority, x.callback, x.number, x.arrived, x.attempts, x.offer_deadline, x.details::text
		  FROM cluster_agents g LEFT JOIN cluster_callers x ON x.call_id = g.call_id AND x.agent = g.id
		 WHERE g.home = $1 AND g.state IN (3, 4, 5) AND g.call_instance IS NOT NULL AND g.call_instance <> $1
		 ORDER BY g.id`, c.cfg.Instance)
	if err != nil {
		return nil, fmt.Errorf("reading the calls holding instance %s's agents: %w", c.cfg.Instance, err)
	}
	defer rows.Close()
	now := c.now()
	var out []HeldCall
	for rows.Next() {
		var h HeldCall
		o := &h.Offer
		var state int16
		var wrap, arrived, deadline *time.Time
		var xstate, number *string
		var priority, attempts *int
		var callback *bool
		var details []byte
		if err := rows.Scan(&o.Agent, &o.AgentName, &o.Device, &o.CallID, &o.Queue, &o.Instance, &state, &wrap, &h.Disposition,
			&xstate, &priority, &callback, &number, &arrived, &attempts, &deadline, &details); err != nil {
			return nil, fmt.Errorf("reading the calls holding instance %s's agents: %w", c.cfg.Instance, err)
		}
		o.Home = c.cfg.Instance
		switch {
		case queue.AgentState(state) == queue.WrapUp:
			h.State = "ended"
			if wrap != nil {
				h.WrapUpEnds = *wrap
			}
		case xstate == nil:
			continue // cannot be: a reserved agent's caller row is there
		default:
			h.State, h.Disposition = *xstate, false
			o.Priority, o.Callback, o.Number, o.Attempt = *priority, *callback, *number, *attempts
			o.Waited = now.Sub(*arrived)
			if deadline != nil {
				o.Deadline = *deadline
			}
			if details != nil {
				o.Details = json.RawMessage(details)
			}
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
