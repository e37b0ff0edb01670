package cluster

import (
	"cmp"
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/queue"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// routeLock is the advisory lock of the centre's routing decision (and of
// the reaper, which changes the same rows): one decision at a time.
const routeLock int64 = 0x686f746c696e6501 // "hotline", 1

// Offer is a call the cluster reserved an agent for. The caller's instance
// rings the agent at Device (through its own Asterisk, or over the trunk to
// the agent's) and reports Answered or NoAnswer.
type Offer struct {
	CallID    string
	Instance  string // the caller's instance: the one that carries the offer out
	Agent     string
	AgentName string
	Device    string
	Home      string // the agent's home instance
	Queue     string
	Priority  int
	Callback  bool   // a call-back: ring the agent, then dial Number once it answers
	Number    string // the call-back's number
	Waited    time.Duration
	Attempt   int       // 1 for the first offer, 2 after one rang out...
	Deadline  time.Time // when it rings out
	// Details is the caller's screen pop (Caller.Details), as given.
	Details json.RawMessage `json:",omitempty"`
	// DetailsOmitted: the event could not carry Details (a notification
	// holds less than 8000 bytes); HeldCalls or Calls has them.
	DetailsOmitted bool `json:",omitempty"`
}

// Decision is what one Route pass did for this instance.
type Decision struct {
	// Offers are the new offers for this instance's callers.
	Offers []Offer
	// RingTimeouts are this instance's callers whose offers this pass found
	// rung out: stop ringing; the caller is back in its place, the agent
	// NotReady "missed". (Those applied by another instance arrive as
	// EventRingTimeout.)
	RingTimeouts []Offer
	// Wake is when time alone next makes routing work due, as far as this
	// pass saw (an offer's deadline, a wrap-up's end, a caller's skill
	// requirement relaxing); zero if nothing.
	Wake time.Time
}

// Route runs one routing decision for the whole centre in one transaction,
// under the routing lock: it applies the ring timeouts and the ended
// wrap-ups that are due, then matches waiting callers, priority then
// arrival across every queue and instance, each with the first Ready agent
// by its queue's strategy who has its skills at the level its wait
// requires. Offers for other instances' callers are committed and those
// instances notified; this instance's are returned.
func (c *Cluster) Route(ctx context.Context) (Decision, error) {
	d, err := c.route(ctx)
	if err != nil && pgconn.SafeToRetry(err) && ctx.Err() == nil {
		d, err = c.route(ctx) // a connection the database closed
	}
	if err != nil {
		return Decision{}, fmt.Errorf("routing at instance %s: %w", c.cfg.Instance, err)
	}
	return d, nil
}

// querier is a connection or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// route is one decision. Its transaction is opened in the first batch and
// committed in the last, so the routing lock is held for as few round
// trips as it can be: the first batch (BEGIN, the lock, ring-outs,
// wrap-ups, the Ready agents, the queues, the buckets' first callers), one
// statement per offer, and the last batch (round-robin counters,
// notifications, COMMIT).
func (c *Cluster) route(ctx context.Context) (d Decision, err error) {
	conn, err := c.db.Acquire(ctx)
	if err != nil {
		return d, err
	}
	defer conn.Release()
	open := true
	defer func() {
		if open { // best effort: Release drops a connection left in a transaction
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			_, _ = conn.Exec(rctx, "ROLLBACK")
			cancel()
		}
	}()
	var ns notes
	now := c.now()
	var b pgx.Batch
	b.Queue(`BEGIN`)
	b.Queue(`SELECT pg_advisory_xact_lock($1)`, routeLock)
	b.Queue(expireSQL, now, queue.ReasonMissed)
	b.Queue(wrapUpSQL, now)
	b.Queue(readySQL)
	b.Queue(queuesSQL)
	b.Queue(headsSQL)
	br := conn.SendBatch(ctx, &b)
	_, err = br.Exec()
	var agents []*readyAgent
	var qs map[string]*qcfg
	var heads []*waiter
	if err == nil {
		agents, qs, heads, err = c.expire(ctx, br, now, &d, &ns)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return d, err
	}
	if err := c.match(ctx, conn, now, agents, qs, heads, &d, &ns); err != nil {
		return d, err
	}
	var fin pgx.Batch
	for _, q := range qs {
		if q.touched {
			fin.Queue(`UPDATE cluster_queues SET rr = $2 WHERE name = $1`, q.name, q.rr)
		}
	}
	ns.queue(&fin)
	fin.Queue(`COMMIT`)
	if err := conn.SendBatch(ctx, &fin).Close(); err != nil {
		return d, err
	}
	open = false
	return d, nil
}

const expireSQL = `
		WITH o AS (
			SELECT call_id, agent, offer_deadline FROM cluster_callers
			 WHERE state = 'offered' AND offer_deadline <= $1 ORDER BY call_id FOR UPDATE),
		x AS (
			UPDATE cluster_callers c SET state = 'waiting', agent = NULL, offer_deadline = NULL
			  FROM o WHERE c.call_id = o.call_id AND c.state = 'offered'
			RETURNING c.call_id, c.instance, c.queue, c.priority, c.callback, c.number, c.arrived, c.attempts, o.agent, o.offer_deadline),
		a AS (
			UPDATE cluster_agents g SET state = 1, reason = $2, since = $1, call_id = NULL, call_queue = NULL, call_instance = NULL
			  FROM x WHERE g.id = x.agent AND g.state = 3 AND g.call_id = x.call_id
			RETURNING g.id, g.name, g.device, g.home)
		SELECT x.call_id, x.instance, x.queue, x.priority, x.callback, x.number, x.arrived, x.attempts, x.agent, x.offer_deadline,
		       coalesce(a.name, ''), coalesce(a.device, ''), coalesce(a.home, '')
		  FROM x LEFT JOIN a ON a.id = x.agent`

const wrapUpSQL = `
		UPDATE cluster_agents SET state = 2, reason = '', since = $1, call_id = NULL, call_queue = NULL, call_instance = NULL, wrap_until = NULL
		 WHERE state = 5 AND wrap_until <= $1 AND NOT wrap_hold`

// headsSQL reads the first callers of every bucket (queue, class,
// priority), by a skip scan of the waiting callers' index, when an agent is
// Ready at all.
const headsSQL = `
		WITH RECURSIVE b(queue, class, priority) AS (
			(SELECT queue, class, priority FROM cluster_callers
			  WHERE state = 'waiting' AND EXISTS (SELECT 1 FROM cluster_agents WHERE state = 2)
			  ORDER BY queue, class, priority LIMIT 1)
			UNION ALL
			SELECT n.queue, n.class, n.priority FROM b CROSS JOIN LATERAL (
				SELECT c.queue, c.class, c.priority FROM cluster_callers c
				 WHERE c.state = 'waiting' AND (c.queue, c.class, c.priority) > (b.queue, b.class, b.priority)
				 ORDER BY c.queue, c.class, c.priority LIMIT 1) n)
		SELECT h.* FROM b CROSS JOIN LATERAL (
			SELECT ` + waiterCols + ` FROM cluster_callers c
			 WHERE c.state = 'waiting' AND c.queue = b.queue AND c.class = b.class AND c.priority = b.priority
			 ORDER BY c.arrived, c.seq LIMIT 8) h
		 ORDER BY h.queue, h.class, h.priority, h.arrived, h.seq`

const readySQL = `SELECT id, name, device, coalesce(home, ''), seq, skills, queues, idle_since, rr, answered FROM cluster_agents WHERE state = 2`

// expire reads the batch's results: it applies the offers rung out and the
// wrap-ups ended, and returns the Ready agents and the queues.
func (c *Cluster) expire(ctx context.Context, br pgx.BatchResults, now time.Time, d *Decision, n *notes) (agents []*readyAgent, qs map[string]*qcfg, heads []*waiter, err error) {
	if _, err := br.Exec(); err != nil {
		return nil, nil, nil, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, nil, nil, err
	}
	var timeouts []Offer
	for rows.Next() {
		o, err := scanOffer(rows, now)
		if err != nil {
			rows.Close()
			return nil, nil, nil, err
		}
		timeouts = append(timeouts, o)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, nil, err
	}
	for _, o := range timeouts {
		if o.Instance == c.cfg.Instance {
			d.RingTimeouts = append(d.RingTimeouts, o)
		} else if err := n.add(instanceChannel(o.Instance), Event{Kind: EventRingTimeout, Offer: o}); err != nil {
			return nil, nil, nil, err
		}
		if err := tellHome(n, EventHoldNoAnswer, o.Home, HomeCall{CallID: o.CallID, Instance: o.Instance, Agent: o.Agent, Queue: o.Queue,
			State: queue.NotReady, Reason: queue.ReasonMissed}); err != nil {
			return nil, nil, nil, err
		}
	}
	if _, err := br.Exec(); err != nil {
		return nil, nil, nil, err
	}
	rows, err = br.Query()
	if err != nil {
		return nil, nil, nil, err
	}
	if agents, err = scanReady(rows); err != nil {
		return nil, nil, nil, err
	}
	if rows, err = br.Query(); err != nil {
		return nil, nil, nil, err
	}
	if qs, err = scanQueues(rows); err != nil {
		return nil, nil, nil, err
	}
	if rows, err = br.Query(); err != nil {
		return nil, nil, nil, err
	}
	heads, err = scanWaiters(rows)
	return agents, qs, heads, err
}

// readyAgent is a Ready agent as routing sees it.
type readyAgent struct {
	id, name, device, home string
	seq                    int64
	skills                 map[string]int
	queues                 []string
	idle                   int64
	rr                     map[string]int64
	answered               map[string]int64
	taken                  bool
}

func (a *readyAgent) serves(q *qcfg) bool {
	if len(a.queues) > 0 && !slices.Contains(a.queues, q.name) {
		return false
	}
	for _, s := range q.skills {
		if a.skills[s] < queue.MinSkillLevel {
			return false
		}
	}
	return true
}

// waiter is a waiting caller as routing sees it.
type waiter struct {
	callID, instance, queue, class, number string
	priority, attempts                     int
	arrived                                time.Time
	seq                                    int64
	skills                                 map[string]int
	callback                               bool
}

func (w *waiter) ahead(o *waiter) bool {
	if w.priority != o.priority {
		return w.priority > o.priority
	}
	if !w.arrived.Equal(o.arrived) {
		return w.arrived.Before(o.arrived)
	}
	return w.seq < o.seq
}

// bucket is the waiting callers of one queue, class and priority, in
// order; items are fetched a batch at a time.
type bucket struct {
	q      *qcfg
	items  []*waiter
	more   bool // items was a full batch: there may be more
	skills []string
	agents []*readyAgent // the Ready agents who may serve it, by strategy
}

type buckets []*bucket

func (h buckets) Len() int           { return len(h) }
func (h buckets) Less(i, j int) bool { return h[i].items[0].ahead(h[j].items[0]) }
func (h buckets) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *buckets) Push(x any)        { *h = append(*h, x.(*bucket)) }
func (h *buckets) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// headBatch is the LIMIT of headsSQL: callers read per bucket at first.
const headBatch = 8

const waiterCols = `call_id, instance, queue, class, number, priority, attempts, arrived, seq, skills, callback`

func scanWaiters(rows pgx.Rows) ([]*waiter, error) {
	var out []*waiter
	for rows.Next() {
		var w waiter
		if err := rows.Scan(&w.callID, &w.instance, &w.queue, &w.class, &w.number, &w.priority, &w.attempts, &w.arrived, &w.seq, &w.skills, &w.callback); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, &w)
	}
	return out, rows.Err()
}

// match makes the offers.
func (c *Cluster) match(ctx context.Context, tx querier, now time.Time, agents []*readyAgent, qs map[string]*qcfg, heads []*waiter, d *Decision, n *notes) error {
	if len(agents) == 0 {
		return nil
	}
	var h buckets
	for i := 0; i < len(heads); {
		j := i + 1
		for j < len(heads) && heads[j].queue == heads[i].queue && heads[j].class == heads[i].class && heads[j].priority == heads[i].priority {
			j++
		}
		q := qs[heads[i].queue]
		if q != nil {
			b := &bucket{q: q, items: heads[i:j:j], more: j-i == headBatch}
			b.prepare(agents)
			if len(b.agents) > 0 {
				h = append(h, b)
			}
		}
		i = j
	}
	heap.Init(&h)
	free := len(agents)
	for len(h) > 0 && free > 0 {
		b := h[0]
		w := b.items[0]
		a := b.first(now.Sub(w.arrived), w)
		if a == nil {
			// No agent for the first caller, so none for the later ones
			// (they need as much or more); the bucket is done.
			if t, ok := b.q.nextRelax(w.arrived, now.Sub(w.arrived)); ok {
				d.wakeAt(t)
			}
			heap.Pop(&h)
			continue
		}
		ok, err := c.offer(ctx, tx, now, b.q, w, a, d, n)
		if err != nil {
			return err
		}
		if ok {
			free--
		}
		// ok: the caller is offered; !ok && a.taken: the agent went
		// (retry the caller); !ok otherwise: the caller went.
		if !ok && a.taken {
			free--
			continue
		}
		b.items = b.items[1:]
		if len(b.items) == 0 && b.more {
			if err := b.fetch(ctx, tx, w); err != nil {
				return err
			}
		}
		if len(b.items) == 0 {
			heap.Pop(&h)
		} else {
			heap.Fix(&h, 0)
		}
	}
	return nil
}

func scanReady(rows pgx.Rows) ([]*readyAgent, error) {
	var out []*readyAgent
	for rows.Next() {
		var a readyAgent
		var idle time.Time
		if err := rows.Scan(&a.id, &a.name, &a.device, &a.home, &a.seq, &a.skills, &a.queues, &idle, &a.rr, &a.answered); err != nil {
			rows.Close()
			return nil, err
		}
		a.idle = idle.UnixNano()
		out = append(out, &a)
	}
	return out, rows.Err()
}

// prepare lists the Ready agents who may serve b's class, in the order of
// its queue's strategy (as queue's rank: then idle longest, then added
// first).
func (b *bucket) prepare(agents []*readyAgent) {
	w := b.items[0]
	b.skills = slices.Clone(b.q.skills)
	for s := range w.skills {
		if !slices.Contains(b.skills, s) {
			b.skills = append(b.skills, s)
		}
	}
	type ranked struct {
		a, b, seq int64
		ag        *readyAgent
	}
	var rs []ranked
	for _, a := range agents {
		if !a.serves(b.q) {
			continue
		}
		ok := true
		sum := 0
		for _, s := range b.skills {
			if a.skills[s] < queue.MinSkillLevel {
				ok = false
				break
			}
			sum += a.skills[s]
		}
		if !ok {
			continue
		}
		r := ranked{seq: a.seq, ag: a}
		switch b.q.strategy {
		case queue.RoundRobin:
			r.a, r.b = a.rr[b.q.name], a.idle
		case queue.FewestCalls:
			r.a, r.b = a.answered[b.q.name], a.idle
		case queue.SkillsByLevel:
			r.a, r.b = -int64(sum), a.idle
		default:
			r.a = a.idle
		}
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(x, y ranked) int {
		switch {
		case x.a != y.a:
			return cmp.Compare(x.a, y.a)
		case x.b != y.b:
			return cmp.Compare(x.b, y.b)
		}
		return cmp.Compare(x.seq, y.seq)
	})
	b.agents = make([]*readyAgent, len(rs))
	for i, r := range rs {
		b.agents[i] = r.ag
	}
}

// first is the first free agent with the levels a caller who waited wait
// needs.
func (b *bucket) first(wait time.Duration, w *waiter) *readyAgent {
	min := b.q.minLevel(wait)
	for _, a := range b.agents {
		if a.taken {
			continue
		}
		ok := true
		for _, s := range b.skills {
			if a.skills[s] < max(min, w.skills[s]) {
				ok = false
				break
			}
		}
		if ok {
			return a
		}
	}
	return nil
}

// fetch reads the bucket's next callers after last.
func (b *bucket) fetch(ctx context.Context, tx querier, last *waiter) error {
	const batch = 64
	rows, err := tx.Query(ctx, `
		SELECT `+waiterCols+` FROM cluster_callers
		 WHERE state = 'waiting' AND queue = $1 AND class = $2 AND priority = $3 AND (arrived, seq) > ($4, $5)
		 ORDER BY arrived, seq LIMIT 64`, last.queue, last.class, last.priority, last.arrived, last.seq)
	if err != nil {
		return err
	}
	items, err := scanWaiters(rows)
	if err != nil {
		return err
	}
	b.items, b.more = items, len(items) == batch
	return nil
}

// offer reserves a for w. It reports false when the caller or the agent
// changed since they were read (a.taken then says it was the agent).
func (c *Cluster) offer(ctx context.Context, tx querier, now time.Time, q *qcfg, w *waiter, a *readyAgent, d *Decision, n *notes) (bool, error) {
	deadline := now.Add(q.ringTimeout)
	rr := q.rr + 1
	// Both rows in one statement: the caller if still waiting, then the
	// agent if still Ready (each re-checked on its latest version).
	var attempts *int
	var reserved bool
	var details []byte
	err := tx.QueryRow(ctx, `
		WITH c AS (
			UPDATE cluster_callers SET state = 'offered', agent = $2, offer_deadline = $3, attempts = attempts + 1
			 WHERE call_id = $1 AND state = 'waiting' RETURNING attempts, details),
		a AS (
			UPDATE cluster_agents SET state = 3, reason = '', since = $4, call_id = $1, call_queue = $5, call_instance = $6,
			       rr = jsonb_set(rr, ARRAY[$5::text], to_jsonb($7::bigint))
			 WHERE id = $2 AND state = 2 AND EXISTS (SELECT 1 FROM c) RETURNING id)
		SELECT (SELECT attempts FROM c), EXISTS (SELECT 1 FROM a), (SELECT details::text FROM c)`,
		w.callID, a.id, deadline, now, q.name, w.instance, rr).Scan(&attempts, &reserved, &details)
	if err != nil {
		return false, err
	}
	if attempts == nil {
		return false, nil // the caller left or was turned meanwhile
	}
	a.taken = true
	if !reserved { // the agent left Ready meanwhile: the caller waits again
		_, err := tx.Exec(ctx, `UPDATE cluster_callers SET state = 'waiting', agent = NULL, offer_deadline = NULL, attempts = attempts - 1 WHERE call_id = $1`, w.callID)
		return false, err
	}
	q.rr, q.touched = rr, true
	o := Offer{
		CallID: w.callID, Instance: w.instance, Agent: a.id, AgentName: a.name, Device: a.device, Home: a.home,
		Queue: q.name, Priority: w.priority, Callback: w.callback, Number: w.number,
		Waited: now.Sub(w.arrived), Attempt: *attempts, Deadline: deadline,
	}
	if details != nil {
		o.Details = json.RawMessage(details)
	}
	d.wakeAt(deadline)
	if a.home != "" && a.home != w.instance {
		if err := n.add(instanceChannel(a.home), Event{Kind: EventHold, Offer: o}); err != nil {
			return true, err
		}
	}
	if w.instance == c.cfg.Instance {
		d.Offers = append(d.Offers, o)
		return true, nil
	}
	return true, n.add(instanceChannel(w.instance), Event{Kind: EventOffer, Offer: o})
}

func (d *Decision) wakeAt(t time.Time) {
	if d.Wake.IsZero() || t.Before(d.Wake) {
		d.Wake = t
	}
}

// Wake is when time alone next makes routing work due anywhere in the
// centre: the earliest offer deadline or wrap-up end (skill levels relaxing
// are in Decision.Wake). ok is false when there is none.
func (c *Cluster) Wake(ctx context.Context) (at time.Time, ok bool, err error) {
	var t *time.Time
	err = c.db.QueryRow(ctx, `
		SELECT least((SELECT min(offer_deadline) FROM cluster_callers WHERE state = 'offered'),
		             (SELECT min(wrap_until) FROM cluster_agents WHERE state = 5 AND NOT wrap_hold))`).Scan(&t)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("reading the next routing deadline: %w", err)
	}
	if t == nil {
		return time.Time{}, false, nil
	}
	return *t, true, nil
}

// notes are notifications to send with the transaction.
type notes struct{ channels, payloads []string }

// maxPayload is PostgreSQL's limit on a notification's payload (less
// than 8000 bytes).
const maxPayload = 7999

func (n *notes) add(channel string, e Event) error {
	p, err := encodeEvent(e)
	if err != nil {
		return err
	}
	if len(p) > maxPayload && e.Offer.Details != nil {
		// Only unusually long IDs or names make this happen with
		// MaxDetails: send the offer without its screen pop (HeldCalls
		// and Calls have it) rather than fail the transaction.
		e.Offer.Details, e.Offer.DetailsOmitted = nil, true
		if p, err = encodeEvent(e); err != nil {
			return err
		}
	}
	if len(p) > maxPayload {
		return fmt.Errorf("a %s event for call %s%s is %d bytes, over the %d bytes of a notification", e.Kind, e.Offer.CallID, e.Call.CallID, len(p), maxPayload)
	}
	n.channels = append(n.channels, channel)
	n.payloads = append(n.payloads, p)
	return nil
}

// encodeEvent is an event's payload, without HTML escaping (which would
// make a screen pop up to six times its size).
func encodeEvent(e Event) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func (n notes) send(ctx context.Context, tx pgx.Tx) error {
	var b pgx.Batch
	n.queue(&b)
	if b.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, &b).Close()
}

func (n notes) queue(b *pgx.Batch) {
	if len(n.channels) > 0 {
		b.Queue(`SELECT pg_notify(ch, p) FROM unnest($1::text[], $2::text[]) AS t(ch, p)`, n.channels, n.payloads)
	}
}

// scanOffer reads an offer from a row of call_id, instance, queue,
// priority, callback, number, arrived, attempts, agent, offer_deadline and
// the agent's name, device and home.
func scanOffer(rows pgx.Rows, now time.Time) (Offer, error) {
	var o Offer
	var arrived time.Time
	err := rows.Scan(&o.CallID, &o.Instance, &o.Queue, &o.Priority, &o.Callback, &o.Number, &arrived, &o.Attempt,
		&o.Agent, &o.Deadline, &o.AgentName, &o.Device, &o.Home)
	o.Waited = now.Sub(arrived)
	return o, err
}
