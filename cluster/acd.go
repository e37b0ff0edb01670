package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// ACD is the cluster as the ACD's shared router (acd.Config.Shared): the
// ACD's reports become this instance's rows, its decisions Route, and the
// cluster's events the ACD's. Refusals (a call or agent that moved on,
// another instance's call) match acd.ErrSharedRefused; other errors (the
// database) are the ACD's to retry. Its Events channel is open until
// Close or ctx ends.
//
// A call's ID in the cluster is its instance's name, ':' and the ID the
// ACD knows it by (its channel's, which two Asterisk servers may both
// use: a uniqueid is the time and a counter); this instance's calls come
// back to the ACD under their own IDs, other instances' (the calls that
// hold this instance's agents) under the cluster's.
func (c *Cluster) ACD(ctx context.Context) acd.Shared {
	a := &acdRouter{c: c, events: make(chan acd.SharedEvent), softBox: newSoftBox()}
	go a.relay(ctx)
	go a.receiveLoop(ctx) // messages.go
	return a
}

type acdRouter struct {
	c      *Cluster
	events chan acd.SharedEvent
	softBox
}

// key is the cluster's ID of this instance's call id. An ID that holds a
// ':' is one already: a call-back this instance adopted from another keeps
// its cluster ID (the ACD's own IDs, channel IDs, hold none).
func (a *acdRouter) key(id string) string {
	if strings.Contains(id, ":") {
		return id
	}
	return a.c.Instance() + ":" + id
}

// local is the ACD's ID of the cluster's call id.
func (a *acdRouter) local(id string) string {
	if rest, ok := strings.CutPrefix(id, a.c.Instance()+":"); ok {
		return rest
	}
	return id
}

// screenPop is what Caller.Details holds for the ACD: the agent's home
// shows it.
type screenPop struct {
	Number   string   `json:"number,omitempty"`
	Hotline  string   `json:"hotline,omitempty"`
	Language string   `json:"language,omitempty"`
	Path     []string `json:"path,omitempty"`
}

// refused marks the cluster's refusals as the ACD's ErrSharedRefused.
func refused(err error) error {
	var te *queue.TransitionError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, queue.ErrUnknownCall), errors.Is(err, queue.ErrCallState), errors.Is(err, queue.ErrNotOffered),
		errors.Is(err, queue.ErrDuplicateCall), errors.Is(err, queue.ErrUnknownAgent), errors.Is(err, queue.ErrUnknownQueue),
		errors.Is(err, ErrNotOwner), errors.As(err, &te):
		return fmt.Errorf("%w: %w", acd.ErrSharedRefused, err)
	}
	return err
}

func (a *acdRouter) Instance() string { return a.c.Instance() }

func (a *acdRouter) Enqueue(ctx context.Context, cl acd.SharedCaller) error {
	skills := map[string]int{}
	for _, s := range cl.Skills {
		skills[s] = queue.MinSkillLevel
	}
	details, err := json.Marshal(screenPop{Number: cl.Number, Hotline: cl.Hotline, Language: cl.Language, Path: cl.Path})
	if err != nil {
		return err
	}
	return refused(a.c.Enqueue(ctx, Caller{CallID: a.key(cl.CallID), Queue: cl.Queue, Priority: cl.Priority, Arrived: cl.Arrived,
		Skills: skills, Details: details}))
}

func (a *acdRouter) Abandon(ctx context.Context, callID string) error {
	return refused(a.c.Abandon(ctx, a.key(callID)))
}

func (a *acdRouter) Answered(ctx context.Context, callID, agent string) error {
	return refused(a.c.Answered(ctx, a.key(callID), agent))
}

func (a *acdRouter) NoAnswer(ctx context.Context, callID, agent string) error {
	return refused(a.c.NoAnswer(ctx, a.key(callID), agent))
}

func (a *acdRouter) EndCall(ctx context.Context, callID string) error {
	return refused(a.c.EndCall(ctx, a.key(callID)))
}

// Decline takes the call ID as SharedHold gave it: another instance's
// call, under the cluster's ID.
func (a *acdRouter) Decline(ctx context.Context, callID, agent string, to queue.AgentState, reason string) error {
	return refused(a.c.Decline(ctx, a.key(callID), agent, to, reason)) // another instance's call, or this one's own
}

func (a *acdRouter) Login(ctx context.Context, agent string) error {
	return refused(a.c.Login(ctx, agent))
}

func (a *acdRouter) SetReady(ctx context.Context, agent string) error {
	return refused(a.c.SetReady(ctx, agent))
}

func (a *acdRouter) SetNotReady(ctx context.Context, agent, reason string) error {
	return refused(a.c.SetNotReady(ctx, agent, reason))
}

func (a *acdRouter) Logout(ctx context.Context, agent string) error {
	return refused(a.c.Logout(ctx, agent))
}

func (a *acdRouter) Route(ctx context.Context) (acd.SharedDecision, error) {
	d, err := a.c.Route(ctx)
	if err != nil {
		return acd.SharedDecision{}, err
	}
	out := acd.SharedDecision{Wake: d.Wake}
	for _, o := range d.Offers {
		out.Offers = append(out.Offers, a.offer(o))
	}
	for _, o := range d.RingTimeouts {
		out.RingTimeouts = append(out.RingTimeouts, a.offer(o))
	}
	return out, nil
}

func (a *acdRouter) Events() <-chan acd.SharedEvent { return a.events }

// offer is an offer as the ACD takes it.
func (a *acdRouter) offer(o Offer) acd.SharedOffer {
	out := acd.SharedOffer{CallID: a.local(o.CallID), Instance: o.Instance, Agent: o.Agent, AgentName: o.AgentName,
		Device: o.Device, Home: o.Home, Queue: o.Queue, Deadline: o.Deadline, Attempt: o.Attempt, Waited: o.Waited}
	var sp screenPop
	if len(o.Details) > 0 && json.Unmarshal(o.Details, &sp) == nil {
		out.Number, out.Language, out.Path, out.Hotline = sp.Number, sp.Language, sp.Path, sp.Hotline
	}
	return out
}

// relay turns the cluster's events into the ACD's, until Close or ctx
// ends.
func (a *acdRouter) relay(ctx context.Context) {
	defer close(a.events)
	kinds := map[EventKind]acd.SharedEventKind{
		EventWork: acd.SharedWork, EventResync: acd.SharedResync, EventOffer: acd.SharedOffered,
		EventRingTimeout: acd.SharedRingTimeout, EventWithdrawn: acd.SharedWithdrawn, EventHold: acd.SharedHold,
		EventHoldAnswered: acd.SharedHoldAnswered, EventHoldNoAnswer: acd.SharedHoldNoAnswer,
		EventHoldAbandoned: acd.SharedHoldAbandoned, EventHoldEnded: acd.SharedHoldEnded, EventHoldLost: acd.SharedHoldLost,
	}
	for e := range a.c.Events() {
		if a.softEvent(e) {
			continue // messages.go
		}
		k, ok := kinds[e.Kind]
		if !ok {
			a.c.log.Warn("cluster: an event the ACD does not know", "kind", e.Kind)
			continue
		}
		o := a.offer(e.Offer)
		if e.Kind != EventHold && e.Call.CallID != "" {
			o = acd.SharedOffer{CallID: a.local(e.Call.CallID), Instance: e.Call.Instance, Agent: e.Call.Agent, Queue: e.Call.Queue,
				AgentState: e.Call.State, Reason: e.Call.Reason, WrapUpEnds: e.Call.WrapUpEnds,
				WaitingForDisposition: e.Call.Disposition}
		}
		select {
		case a.events <- acd.SharedEvent{Kind: k, Offer: o}:
		case <-ctx.Done():
			return
		}
	}
}

func (a *acdRouter) Centre(ctx context.Context) (acd.SharedCentre, error) {
	qs, err := a.c.Queues(ctx)
	if err != nil {
		return acd.SharedCentre{}, err
	}
	as, err := a.c.Agents(ctx)
	if err != nil {
		return acd.SharedCentre{}, err
	}
	out := acd.SharedCentre{Queues: map[string]acd.SharedQueue{}, Agents: map[string]acd.SharedAgent{}}
	for _, q := range qs {
		out.Queues[q.Name] = acd.SharedQueue{Waiting: q.Waiting, Callbacks: q.Callbacks, LongestWait: q.LongestWait}
	}
	for _, g := range as {
		out.Agents[g.ID] = acd.SharedAgent{State: g.State, Reason: g.Reason, Since: g.Since, CallID: a.local(g.CallID),
			Queue: g.Queue, Home: g.Home, WrapUpEnds: g.WrapUpEnds, Disposition: g.Disposition}
	}
	return out, nil
}
