package cluster

import (
	"context"
	"encoding/json"
	"fmt"

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
	// notifications sent meanwhile are lost. Route once, and reconcile
	// this instance's calls with Calls.
	EventResync EventKind = "resync"
)

// Event is a wake-up from the database.
type Event struct {
	Kind     EventKind `json:"kind"`
	Offer    Offer     `json:"offer,omitzero"`
	Instance string    `json:"instance,omitempty"` // EventWork: the instance that made it
}

// workChannel is where every instance hears of new routing work.
const workChannel = "hotline_cluster_work"

// instanceChannel is where an instance hears of its callers' offers.
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
// callers decided elsewhere, routing work, and resyncs after the LISTEN
// connection came back. The caller must keep reading it; it is closed by
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
