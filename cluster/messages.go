package cluster

// Messages between two instances about one call (migration 0017): what a
// browser agent signed in at one server (its home, where its softphone
// gateway is) and the caller's server (whose Asterisk holds the call) tell
// each other while the agent answers and talks: the answer with the
// gateway's address, the externalMedia channel's address, the attach,
// the agent's hang-up, digits, hold. A message is a row, kept until its
// receiver reads it; the NOTIFY sent with it (EventMessage on the
// receiver's channel, in the same transaction) only wakes the receiver.
// A receiver whose LISTEN connection was lost reads the rows it missed
// after the resync; a message lost all the same (its receiver was down
// for longer than MessageTTL) is the callers' to time out.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hotline-ivr/hotline/ivr/acd"
)

// EventMessage: messages wait for this instance: Receive them.
const EventMessage EventKind = "message"

// MessageTTL is how old a message may get unread: older ones are deleted
// by any instance's Receive (the calls they were about timed out long
// before).
const MessageTTL = time.Minute

// Message is a message from one instance to another about a call.
type Message struct {
	From, To string
	CallID   string // the cluster's ID of the call
	Sent     time.Time
	Body     json.RawMessage // the callers' own
}

// ErrBadMessage: a message with no receiver, call or body.
var ErrBadMessage = errors.New("cluster: a message needs a receiver, a call and a JSON body")

// Send sends a message about call callID to instance to, and wakes it.
func (c *Cluster) Send(ctx context.Context, to, callID string, body json.RawMessage) error {
	if to == "" || callID == "" || !json.Valid(body) {
		return fmt.Errorf("%w: to %q, call %q", ErrBadMessage, to, callID)
	}
	wake, err := json.Marshal(Event{Kind: EventMessage, Instance: c.cfg.Instance})
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, c.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO cluster_messages (to_instance, from_instance, call_id, sent_at, body)
			VALUES ($1, $2, $3, $4, $5)`, to, c.cfg.Instance, callID, c.now(), []byte(body)); err != nil {
			return fmt.Errorf("instance %s: a message to %s about call %s: %w", c.cfg.Instance, to, callID, err)
		}
		_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, instanceChannel(to), string(wake))
		return err
	})
}

// Receive takes the messages waiting for this instance, in the order they
// were sent; each is returned once. It deletes too any instance's
// messages older than MessageTTL.
func (c *Cluster) Receive(ctx context.Context) ([]Message, error) {
	rows, err := c.db.Query(ctx, `WITH d AS (
			DELETE FROM cluster_messages WHERE to_instance = $1 OR sent_at < $2
			RETURNING seq, to_instance, from_instance, call_id, sent_at, body)
		SELECT from_instance, call_id, sent_at, body FROM d WHERE to_instance = $1 AND sent_at >= $2 ORDER BY seq`,
		c.cfg.Instance, c.now().Add(-MessageTTL))
	if err != nil {
		return nil, fmt.Errorf("instance %s: receiving messages: %w", c.cfg.Instance, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) {
		m := Message{To: c.cfg.Instance}
		var body []byte
		err := r.Scan(&m.From, &m.CallID, &m.Sent, &body)
		m.Body = body
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("instance %s: receiving messages: %w", c.cfg.Instance, err)
	}
	return out, nil
}

// --- the ACD's side: acd.SharedSoft -------------------------------------------

// softBox carries the ACD's softphone messages (acd.SharedSoft) over Send
// and Receive: one goroutine receives on each EventMessage and resync.
type softBox struct {
	softs chan acd.SoftMsg
	recv  chan struct{} // receive again
}

func newSoftBox() softBox {
	return softBox{softs: make(chan acd.SoftMsg), recv: make(chan struct{}, 1)}
}

// SoftMsgs are the softphone messages for this instance.
func (a *acdRouter) SoftMsgs() <-chan acd.SoftMsg { return a.softs }

// SendSoft sends m to instance to. The call's ID is this instance's own
// when it is the caller's instance (its messages to the agent's home),
// else the cluster's (as the home's hold gave it).
func (a *acdRouter) SendSoft(ctx context.Context, to string, m acd.SoftMsg) error {
	id := m.CallID
	if m.Kind.FromCaller() {
		id = a.key(id)
	}
	m.CallID, m.From = id, ""
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return a.c.Send(ctx, to, id, body)
}

// softEvent takes the cluster's events the messages need: an
// EventMessage (consumed) and a resync (passed on too).
func (a *acdRouter) softEvent(e Event) (consumed bool) {
	if e.Kind != EventMessage && e.Kind != EventResync {
		return false
	}
	select {
	case a.recv <- struct{}{}:
	default:
	}
	return e.Kind == EventMessage
}

// receiveLoop receives the messages when woken (and once at the start),
// until ctx ends; a failed read is tried again after a second.
func (a *acdRouter) receiveLoop(ctx context.Context) {
	a.recv <- struct{}{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.recv:
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ms, err := a.c.Receive(rctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			a.c.log.Warn("cluster: receiving messages; trying again", "err", err)
			go func() {
				select {
				case <-a.c.clock.After(time.Second):
				case <-ctx.Done():
					return
				}
				select {
				case a.recv <- struct{}{}:
				default:
				}
			}()
			continue
		}
		for _, m := range ms {
			var sm acd.SoftMsg
			if err := json.Unmarshal(m.Body, &sm); err != nil {
				a.c.log.Warn("cluster: a message it cannot read", "from", m.From, "call", m.CallID, "err", err)
				continue
			}
			sm.From, sm.CallID = m.From, a.local(m.CallID)
			select {
			case a.softs <- sm:
			case <-ctx.Done():
				return
			}
		}
	}
}
