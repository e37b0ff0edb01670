package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hotline-ivr/hotline/queue"
	"github.com/jackc/pgx/v5"
)

// EventKind says what an Event is about.
type EventKind string

// The events.
const (
	// EventOffer: another instance made an offer for one of this
	// instance's callers (Offer): carry it out.
	EventOffer EventKind = "offer"
	// EventRingTimeout: another instance found an offer of one of this
	// instance's callers rung out (Offer): stop ringing.
	EventRingTimeout EventKind = "ring-timeout"
	// EventWork: routing work appeared somewhere (a caller, an agent
	// Ready, a caller back in line): Route.
	EventWork EventKind = "work"
	// EventResync: the LISTEN connection was lost and is back;
	// notifications sent meanwhile are lost. Route once, reconcile this
	// instance's calls with Calls, and its agents held by other
	// instances' calls with HeldCalls: Hold those it does not hold yet,
	// apply each one's state (answered: OnCall; gone from the list: the
	// agent's state in Agents — Ready, NotReady "missed" or WrapUp — says
	// how the call ended), and Lost the calls it holds that are not
	// listed and whose agents are elsewhere.
	EventResync EventKind = "resync"
)

// The events to an agent's home: the steps of a call of another instance
// (the caller's) that holds one of this instance's agents, so that its
// queue.Center follows it. They go to the home's channel only when the
// home is not the caller's instance (that one knows already), in the
// transaction of the change, in the order of the changes; each carries
// the call ID, agent, queue and caller's instance (Event.Call; EventHold
// the whole Offer instead).
const (
	// EventHold: one of this instance's agents is reserved for another
	// instance's caller (Offer, with its Details: the screen pop). Sent
	// by the instance that routed. The home calls
	// queue.Center.Hold(Offer.CallID, Offer.Agent, Offer.Queue).
	EventHold EventKind = "hold"
	// EventHoldAnswered: the agent answered (Call; State OnCall). Sent by
	// the caller's instance (Answered). Center.Answered.
	EventHoldAnswered EventKind = "hold-answered"
	// EventHoldNoAnswer: the agent did not answer, or the offer rang out
	// (Call; State NotReady, Reason "missed"). Sent by the caller's
	// instance (NoAnswer) or by the instance whose Route found it rung
	// out. Center.NoAnswer.
	EventHoldNoAnswer EventKind = "hold-no-answer"
	// EventHoldAbandoned: the caller hung up while the agent rang (Call;
	// State Ready, Reason "abandoned"). Sent by the caller's instance
	// (Abandon). Center.Abandon.
	EventHoldAbandoned EventKind = "hold-abandoned"
	// EventHoldEnded: the answered call ended (Call; State WrapUp with
	// WrapUpEnds, or Ready without a wrap-up; Disposition when the
	// queue requires one: the wrap-up then ends when the home says, with
	// SetReady, SetNotReady or Logout). Sent by the caller's instance
	// (EndCall). Center.EndCall.
	EventHoldEnded EventKind = "hold-ended"
	// EventHoldLost: the caller's instance died and was reaped (Call;
	// Reason "instance lost"): a ringing agent is Ready again (State
	// Ready), one on the call goes to wrap-up as after EndCall (State,
	// WrapUpEnds, Disposition). Sent by the reaper (Reap, or the caller's
	// own Leave). Center.Lost.
	EventHoldLost EventKind = "hold-lost"
)

// HomeCall is a step of a call of another instance that holds one of this
// instance's agents, and the agent's state after it.
type HomeCall struct {
	CallID   string
	Instance string // the caller's instance
	Agent    string
	Queue    string
	State    queue.AgentState // the agent's state after the step
	Reason   string           // the agent's reason with it: "missed", "abandoned", "instance lost"
	// WrapUpEnds: State WrapUp: when it ends by time (unless
	// Disposition).
	WrapUpEnds time.Time
	// Disposition: State WrapUp: the queue requires a disposition; the
	// wrap-up ends only when the home says (SetReady, SetNotReady,
	// Logout).
	Disposition bool
}

// Event is a wake-up from the database.
type Event struct {
	Kind     EventKind `json:"kind"`
	Offer    Offer     `json:"offer,omitzero"`
	Call     HomeCall  `json:"call,omitzero"`      // the EventHold… steps but EventHold
	Instance string    `json:"instance,omitempty"` // EventWork: the instance that made it
}

// tellHome notes event kind for the agent's home, unless the home is the
// caller's instance or none.
func tellHome(n *notes, kind EventKind, home string, hc HomeCall) error {
	if home == "" || home == hc.Instance {
		return nil
	}
	return n.add(instanceChannel(home), Event{Kind: kind, Call: hc})
}

// workChannel is where every instance hears of new routing work.
const workChannel = "hotline_cluster_work"

// instanceChannel is where an instance hears of its callers' offers and
// of the steps of other instances' calls that hold its agents.
func instanceChannel(instance string) string { return "hotline_cluster_" + instance }

func notifyWork(ctx context.Context, tx pgx.Tx, from string) error {
	p, err := json.Marshal(Event{Kind: EventWork, Instance: from})
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, workChannel, string(p))
	return err
}

// Events are the instance's wake-ups: offers and ring timeouts of its
// callers decided elsewhere, the steps of other instances' calls that hold
// its agents (EventHold…), routing work, and resyncs after the LISTEN
// connection came back (then reconcile with Calls and HeldCalls). The caller must keep reading it; it is closed by
// Close.
func (c *Cluster) Events() <-chan Event { return c.events }

// listen opens the dedicated LISTEN connection.
func (c *Cluster) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, c.db.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("instance %s: the LISTEN connection: %w", c.cfg.Instance, err)
	}
	for _, ch := range []string{workChannel, instanceChannel(c.cfg.Instance)} {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			conn.Close(context.Background())
			return nil, fmt.Errorf("instance %s: LISTEN %s: %w", c.cfg.Instance, ch, err)
		}
	}
	return conn, nil
}

// listenLoop delivers notifications, and reconnects (every
// Config.Reconnect, on the clock) when the connection is lost.
func (c *Cluster) listenLoop(ctx context.Context, conn *pgx.Conn) {
	defer c.wg.Done()
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for {
		for conn == nil {
			select {
			case <-ctx.Done():
				return
			case <-c.clock.After(c.cfg.Reconnect):
			}
			var err error
			if conn, err = c.listen(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				c.log.Warn("cluster: reconnecting the LISTEN connection", "err", err)
				continue
			}
			c.log.Info("cluster: the LISTEN connection is back")
			if !c.deliver(ctx, Event{Kind: EventResync}) {
				return
			}
		}
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.log.Warn("cluster: the LISTEN connection failed", "err", err)
			conn.Close(context.Background())
			conn = nil
			continue
		}
		var e Event
		if err := json.Unmarshal([]byte(n.Payload), &e); err != nil {
			c.log.Warn("cluster: a notification it cannot read", "channel", n.Channel, "err", err)
			continue
		}
		if e.Kind == EventWork && e.Instance == c.cfg.Instance {
			continue // its own: it routes after its own changes
		}
		if !c.deliver(ctx, e) {
			return
		}
	}
}

func (c *Cluster) deliver(ctx context.Context, e Event) bool {
	select {
	case c.events <- e:
		return true
	case <-ctx.Done():
		return false
	}
}
