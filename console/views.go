package console

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// The JSON shapes of the live state. Names are snake_case and durations are
// seconds (a float, to the millisecond), named with a _seconds suffix, so
// that a browser needs no Go knowledge to read them. Lists are never null.

// SnapshotView is the live state as one user may see it: a supervisor sees
// everything, an agent its own agent and calls and every queue's totals.
type SnapshotView struct {
	At     time.Time      `json:"at"`
	Queues []QueueView    `json:"queues"`
	Agents []AgentView    `json:"agents"`
	Calls  []acd.CallView `json:"calls"`
}

// QueueView is a queue's wallboard line.
type QueueView struct {
	Name               string  `json:"name"`
	Waiting            int     `json:"waiting"`
	WaitingCallbacks   int     `json:"waiting_callbacks"`
	LongestWaitSeconds float64 `json:"longest_wait_seconds"`
	LoggedIn           int     `json:"logged_in"`
	Staffed            int     `json:"staffed"`
	Ready              int     `json:"ready"`
	AHTSeconds         float64 `json:"aht_seconds"`

	// The totals of today: the centre's day (in its time zone) from
	// Since, the day's midnight, or the server's start when it started
	// that day without the call records of the day before it (no
	// database, or PostgreSQL down).
	Day   string    `json:"day"` // the day's date, like 2026-12-06
	Since time.Time `json:"since"`

	Answered           int `json:"answered"`
	AnsweredInSL       int `json:"answered_in_sl"`
	Abandoned          int `json:"abandoned"`
	Overflowed         int `json:"overflowed"`
	Missed             int `json:"missed"`
	Callbacks          int `json:"callbacks"`
	CallbacksConnected int `json:"callbacks_connected"`
	CallbacksCancelled int `json:"callbacks_cancelled"`
	// ServiceLevel is the share answered within the queue's service-level
	// time, 0 to 1.
	ServiceLevel float64 `json:"service_level"`
	// AbandonRate is the share of the queue's callers who hung up waiting:
	// Abandoned ÷ (Answered + Abandoned), call-backs apart, 0 to 1; 0
	// before the first caller is answered or abandons.
	AbandonRate float64 `json:"abandon_rate"`
}

// AgentView is an agent as it is now.
type AgentView struct {
	ID     string           `json:"id"` // the 工号
	Name   string           `json:"name"`
	Device string           `json:"device"`
	State  queue.AgentState `json:"state"` // logged_out, not_ready, ready, ringing, on_call, wrap_up
	Reason string           `json:"reason,omitempty"`
	// Since is when it entered State; left out for an agent that has not
	// logged in since the server started.
	Since time.Time `json:"since,omitzero"`
	// InStateSeconds is how long it has been in State, at the snapshot's
	// time: 0 when Since is unknown.
	InStateSeconds    float64        `json:"in_state_seconds"`
	CallID            string         `json:"call_id,omitempty"`
	Queue             string         `json:"queue,omitempty"`
	WrapUpEnds        time.Time      `json:"wrap_up_ends,omitzero"`
	WrapUpLeftSeconds float64        `json:"wrap_up_left_seconds,omitempty"`
	Skills            map[string]int `json:"skills"`
	Queues            []string       `json:"queues"`
	Answered          int            `json:"answered"`
	// Call is the agent's current call, for the screen pop; only in
	// GET /api/agents/{id} and the agent actions' answers.
	Call *acd.CallView `json:"call,omitempty"`
}

// seconds renders d for the API.
func seconds(d time.Duration) float64 { return d.Round(time.Millisecond).Seconds() }

// view is what u may see of snap.
func view(snap acd.Snapshot, u User) SnapshotView {
	v := SnapshotView{At: snap.At, Queues: []QueueView{}, Agents: []AgentView{}, Calls: []acd.CallView{}}
	for _, q := range snap.Queues {
		v.Queues = append(v.Queues, queueView(q))
	}
	all := u.Role.can(seeAll)
	for _, a := range snap.Agents {
		if all || a.ID == u.Agent {
			v.Agents = append(v.Agents, agentView(a, snap.At))
		}
	}
	for _, c := range snap.Calls {
		if all || (u.Agent != "" && c.Agent == u.Agent) {
			v.Calls = append(v.Calls, callView(c))
		}
	}
	return v
}

func queueView(q queue.QueueStatus) QueueView {
	v := QueueView{
		Name: q.Name, Waiting: q.Waiting, WaitingCallbacks: q.WaitingCallbacks,
		LongestWaitSeconds: seconds(q.LongestWait),
		LoggedIn:           q.LoggedIn, Staffed: q.Staffed, Ready: q.Ready,
		AHTSeconds: seconds(q.AHT),
		Answered:   q.Answered, AnsweredInSL: q.AnsweredInSL, Abandoned: q.Abandoned,
		Day: q.Day.Format(time.DateOnly), Since: q.Since,
		Overflowed: q.Overflowed, Missed: q.Missed, Callbacks: q.Callbacks,
		CallbacksConnected: q.CallbacksConnected, CallbacksCancelled: q.CallbacksCancelled,
		ServiceLevel: q.ServiceLevel,
	}
	if n := q.Answered + q.Abandoned; n > 0 {
		v.AbandonRate = float64(q.Abandoned) / float64(n)
	}
	return v
}

func agentView(a queue.AgentStatus, at time.Time) AgentView {
	v := AgentView{
		ID: a.ID, Name: a.Name, Device: a.Device, State: a.State, Reason: a.Reason,
		Since:  a.Since,
		CallID: a.CallID, Queue: a.Queue, WrapUpEnds: a.WrapUpEnds,
		Skills: maps.Clone(a.Skills), Queues: slices.Clone(a.Queues),
		Answered: a.Answered,
	}
	if !a.Since.IsZero() {
		// Never from the zero time: that difference saturates at the
		// largest duration (9223372036.85 s).
		v.InStateSeconds = seconds(max(at.Sub(a.Since), 0))
	}
	if v.Skills == nil {
		v.Skills = map[string]int{}
	}
	if v.Queues == nil {
		v.Queues = []string{}
	}
	if a.State == queue.WrapUp && !a.WrapUpEnds.IsZero() {
		v.WrapUpLeftSeconds = seconds(max(a.WrapUpEnds.Sub(at), 0))
	}
	return v
}

// callView returns c with empty lists and maps rather than null.
func callView(c acd.CallView) acd.CallView {
	c.Path, c.Vars = slices.Clone(c.Path), maps.Clone(c.Vars)
	if c.Path == nil {
		c.Path = []string{}
	}
	if c.Vars == nil {
		c.Vars = map[string]string{}
	}
	return c
}

// agentWithCall returns agent id of snap with its current call: the one
// its status names, else any connected to it.
func agentWithCall(snap acd.Snapshot, id string) (AgentView, error) {
	i := slices.IndexFunc(snap.Agents, func(a queue.AgentStatus) bool { return a.ID == id })
	if i < 0 {
		return AgentView{}, fmt.Errorf("%w: %s", queue.ErrUnknownAgent, id)
	}
	a := snap.Agents[i]
	v := agentView(a, snap.At)
	var call *acd.CallView
	for _, c := range snap.Calls {
		if c.Agent != id {
			continue
		}
		if c.CallID == a.CallID || call == nil {
			call = &c
		}
	}
	if call != nil {
		c := callView(*call)
		v.Call = &c
	}
	return v, nil
}

// listAgents handles GET /api/agents.
func (s *Server) listAgents(w http.ResponseWriter, r *http.Request, sess session) error {
	v := view(s.acd.Snapshot(), sess.user)
	writeJSON(w, http.StatusOK, struct {
		At     time.Time   `json:"at"`
		Agents []AgentView `json:"agents"`
	}{v.At, v.Agents})
	return nil
}

// getAgent handles GET /api/agents/{id}.
func (s *Server) getAgent(w http.ResponseWriter, r *http.Request, sess session) error {
	v, err := agentWithCall(s.acd.Snapshot(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// listQueues handles GET /api/queues.
func (s *Server) listQueues(w http.ResponseWriter, r *http.Request, sess session) error {
	v := view(s.acd.Snapshot(), sess.user)
	writeJSON(w, http.StatusOK, struct {
		At     time.Time   `json:"at"`
		Queues []QueueView `json:"queues"`
	}{v.At, v.Queues})
	return nil
}

// listCalls handles GET /api/calls: every call for a supervisor, an agent's
// own for an agent.
func (s *Server) listCalls(w http.ResponseWriter, r *http.Request, sess session) error {
	v := view(s.acd.Snapshot(), sess.user)
	writeJSON(w, http.StatusOK, struct {
		At    time.Time      `json:"at"`
		Calls []acd.CallView `json:"calls"`
	}{v.At, v.Calls})
	return nil
}
