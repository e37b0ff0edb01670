package store

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/acd"
)

// ACDStateConfig configures an ACDState. Zero durations take defaults.
type ACDStateConfig struct {
	// Instance names this process in the rows it writes.
	Instance string
	// WriteTimeout bounds one batch's transaction.
	WriteTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between attempts while
	// PostgreSQL is unreachable.
	MinBackoff, MaxBackoff time.Duration
	Logger                 *slog.Logger
}

// ACDState keeps the ACD's current state in PostgreSQL (the agent_status
// and queued_calls tables): it is the ACD's acd.LiveStore. Changes are
// handed over without waiting and written by a goroutine of its own, in
// batches of one transaction; only the newest change of each row is kept
// while a batch is written, so it never holds more than one pending change
// per agent and per call. While PostgreSQL is unreachable the changes wait
// in memory and are written once it answers; a row is only ever replaced
// by a change at least as new as the one it holds, so an old change never
// overwrites a newer one, whoever writes it.
type ACDState struct {
	db  *pgxpool.Pool
	cfg ACDStateConfig
	log *slog.Logger

	mu      sync.Mutex
	agents  map[string]acd.AgentRecord
	calls   map[string]callChange
	closed  bool
	changed chan struct{} // closed at the next batch written or failed
	err     error         // the last batch's error, nil once one is written

	wake    chan struct{}
	quit    chan struct{} // Close was called
	abandon chan struct{} // Close's ctx ended: stop with what is left
	done    chan struct{}
}

// callChange is a queued call's pending change: a new row, or its end.
type callChange struct {
	row  acd.QueuedCall
	gone bool
	at   time.Time
}

var _ acd.LiveStore = (*ACDState)(nil)

// NewACDState starts an ACDState on db.
func NewACDState(db *pgxpool.Pool, cfg ACDStateConfig) *ACDState {
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(cfg.MinBackoff, 5*time.Second)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &ACDState{
		db: db, cfg: cfg, log: cfg.Logger,
		agents: map[string]acd.AgentRecord{}, calls: map[string]callChange{},
		changed: make(chan struct{}),
		wake:    make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
		abandon: make(chan struct{}),
	}
	go s.run()
	return s
}

// SaveAgent implements acd.LiveStore.
func (s *ACDState) SaveAgent(a acd.AgentRecord) {
	s.put(func() { s.agents[a.Agent] = a })
}

// SaveCall implements acd.LiveStore.
func (s *ACDState) SaveCall(c acd.QueuedCall) {
	if c.Instance == "" {
		c.Instance = s.cfg.Instance
	}
	s.put(func() { s.calls[c.Call.CallID] = callChange{row: c, at: c.At} })
}

// ForgetCall implements acd.LiveStore.
func (s *ACDState) ForgetCall(callID string, at time.Time) {
	s.put(func() { s.calls[callID] = callChange{gone: true, at: at} })
}

func (s *ACDState) put(f func()) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.log.Warn("an ACD state change came after Close; it is not kept")
		return
	}
	f()
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Pending is how many changes wait to be written.
func (s *ACDState) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.agents) + len(s.calls)
}

// Changed returns a channel closed when the next batch has been written
// or has failed: tests wait on it rather than sleeping.
func (s *ACDState) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Close writes what is pending and stops. If ctx ends first, the changes
// not yet written are lost, and Close says how many.
func (s *ACDState) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.quit)
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		close(s.abandon)
		<-s.done
		return fmt.Errorf("%d ACD state changes were not written: %w", s.Pending(), ctx.Err())
	}
}

func (s *ACDState) run() {
	defer close(s.done)
	backoff := s.cfg.MinBackoff
	for {
		agents, calls := s.take()
		if len(agents)+len(calls) > 0 {
			err := s.write(agents, calls)
			if isDataError(err) {
				// No retry changes what PostgreSQL refuses as data.
				s.log.Error("PostgreSQL refused the ACD's state; dropping the batch", "agents", len(agents), "calls", len(calls), "error", err)
				err = nil
			}
			if err != nil {
				s.failed(agents, calls, err)
				t := time.NewTimer(backoff)
				select {
				case <-t.C:
				case <-s.abandon:
					t.Stop()
					return
				}
				backoff = min(2*backoff, s.cfg.MaxBackoff)
				continue
			}
			s.wrote()
			backoff = s.cfg.MinBackoff
			continue
		}
		select {
		case <-s.wake:
		case <-s.abandon:
			return
		case <-s.quit:
			if s.Pending() == 0 {
				return
			}
		}
	}
}

// failed gives back what was not written, under anything newer.
func (s *ACDState) failed(agents map[string]acd.AgentRecord, calls map[string]callChange, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range agents {
		if _, newer := s.agents[k]; !newer {
			s.agents[k] = v
		}
	}
	for k, v := range calls {
		if _, newer := s.calls[k]; !newer {
			s.calls[k] = v
		}
	}
	if s.err == nil {
		s.log.Warn("cannot write the ACD's state to PostgreSQL; keeping it until it answers", "error", err)
	}
	s.err = err
	s.notifyLocked()
}

func (s *ACDState) wrote() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		s.log.Info("PostgreSQL is reachable again; the ACD's state is written")
	}
	s.err = nil
	s.notifyLocked()
}

func (s *ACDState) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Err is why the last batch failed; nil once one is written.
func (s *ACDState) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *ACDState) take() (map[string]acd.AgentRecord, map[string]callChange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	agents, calls := s.agents, s.calls
	s.agents, s.calls = map[string]acd.AgentRecord{}, map[string]callChange{}
	return agents, calls
}

const (
	upsertAgent = `INSERT INTO agent_status (agent_id, state, reason, since, call_id, queue, instance, updated)
VALUES ($1, $2, $3, $4, $5, $6, $7, now())
ON CONFLICT (agent_id) DO UPDATE SET state = excluded.state, reason = excluded.reason, since = excluded.since,
	call_id = excluded.call_id, queue = excluded.queue, instance = excluded.instance, updated = now()
WHERE agent_status.since <= excluded.since`
	upsertCall = `INSERT INTO queued_calls (call_id, instance, at, phase, queue, priority, skills, queue_arrived, call,
	bridge_id, agent_id, agent_channel, answered_at, holds, hold_time, held_since, transfers, queue_order, updated)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, now())
ON CONFLICT (call_id) DO UPDATE SET instance = excluded.instance, at = excluded.at, phase = excluded.phase,
	queue = excluded.queue, priority = excluded.priority, skills = excluded.skills,
	queue_arrived = excluded.queue_arrived, call = excluded.call, bridge_id = excluded.bridge_id,
	agent_id = excluded.agent_id, agent_channel = excluded.agent_channel, answered_at = excluded.answered_at,
	holds = excluded.holds, hold_time = excluded.hold_time, held_since = excluded.held_since,
	transfers = excluded.transfers, queue_order = excluded.queue_order, updated = now()
WHERE queued_calls.at <= excluded.at`
	deleteCall = `DELETE FROM queued_calls WHERE call_id = $1 AND at <= $2`
)

func (s *ACDState) write(agents map[string]acd.AgentRecord, calls map[string]callChange) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	var b pgx.Batch
	for _, a := range agents {
		state, err := a.State.MarshalText()
		if err != nil {
			s.log.Error("dropping an agent state that has no name", "agent", a.Agent, "error", err)
			continue
		}
		b.Queue(upsertAgent, a.Agent, string(state), text(a.Reason), a.Since, text(a.CallID), text(a.Queue), text(s.cfg.Instance))
	}
	for id, c := range calls {
		if c.gone {
			b.Queue(deleteCall, id, c.at)
			continue
		}
		r := c.row
		call, err := json.Marshal(wireCallStateOf(r.Call))
		if err != nil {
			s.log.Error("dropping a queued call's state that does not encode", "call", id, "error", err)
			continue
		}
		skills := r.Skills
		if skills == nil {
			skills = []string{}
		}
		b.Queue(upsertCall, id, r.Instance, r.At, string(r.Phase), r.Queue, int32(r.Priority), skills,
			r.Call.QueueArrived, json.RawMessage(call), text(r.Bridge), text(r.Agent), text(r.AgentChannel),
			moment(r.Answered), int32(r.Holds), r.HoldTime, moment(r.HeldSince), int32(r.Transfers), int64(min(r.Order, 1<<62)))
	}
	if b.Len() == 0 {
		return nil
	}
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error { return tx.SendBatch(ctx, &b).Close() })
}

// Load implements acd.LiveStore: every agent's state, and every queued
// call, by queue arrival.
func (s *ACDState) Load(ctx context.Context) ([]acd.AgentRecord, []acd.QueuedCall, error) {
	rows, err := s.db.Query(ctx, `SELECT agent_id, state, coalesce(reason, ''), since, coalesce(call_id, ''), coalesce(queue, '')
FROM agent_status ORDER BY agent_id`)
	if err != nil {
		return nil, nil, fmt.Errorf("reading agent_status: %w", err)
	}
	var agents []acd.AgentRecord
	for rows.Next() {
		var a acd.AgentRecord
		var state string
		if err := rows.Scan(&a.Agent, &state, &a.Reason, &a.Since, &a.CallID, &a.Queue); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("reading agent_status: %w", err)
		}
		if err := a.State.UnmarshalText([]byte(state)); err != nil {
			s.log.Error("agent_status: skipping a row with an unknown state", "agent", a.Agent, "error", err)
			continue
		}
		agents = append(agents, a)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("reading agent_status: %w", err)
	}
	rows, err = s.db.Query(ctx, `SELECT call_id, instance, at, phase, queue, priority, skills, queue_arrived, call,
	coalesce(bridge_id, ''), coalesce(agent_id, ''), coalesce(agent_channel, ''), answered_at, holds, hold_time,
	held_since, transfers, queue_order
FROM queued_calls ORDER BY priority DESC, queue_arrived, queue_order, call_id`)
	if err != nil {
		return nil, nil, fmt.Errorf("reading queued_calls: %w", err)
	}
	defer rows.Close()
	var calls []acd.QueuedCall
	for rows.Next() {
		var (
			c                  acd.QueuedCall
			id, phase          string
			priority, holds, n int32
			order              int64
			call               []byte
			answered, held     *time.Time
		)
		if err := rows.Scan(&id, &c.Instance, &c.At, &phase, &c.Queue, &priority, &c.Skills, &c.Call.QueueArrived, &call,
			&c.Bridge, &c.Agent, &c.AgentChannel, &answered, &holds, &c.HoldTime, &held, &n, &order); err != nil {
			return nil, nil, fmt.Errorf("reading queued_calls: %w", err)
		}
		var w wireCallState
		if err := json.Unmarshal(call, &w); err != nil {
			s.log.Error("queued_calls: skipping a row whose call does not decode", "call", id, "error", err)
			continue
		}
		qa := c.Call.QueueArrived
		c.Call = w.callState()
		c.Call.CallID, c.Call.QueueArrived = id, qa
		c.Phase, c.Priority, c.Holds, c.Transfers, c.Order = acd.Phase(phase), int(priority), int(holds), int(n), uint64(order)
		if answered != nil {
			c.Answered = *answered
		}
		if held != nil {
			c.HeldSince = *held
		}
		calls = append(calls, c)
	}
	return agents, calls, rows.Err()
}

// wireCallState is the queued_calls.call column: where the call runs.
type wireCallState struct {
	Channel     string            `json:"channel,omitzero"`
	Caller      string            `json:"caller,omitzero"`
	Hotline     string            `json:"hotline,omitzero"`
	Language    string            `json:"language,omitzero"`
	Flow        string            `json:"flow,omitzero"`
	FlowVersion int               `json:"flow_version,omitzero"`
	Node        string            `json:"node,omitzero"`
	Vars        map[string]string `json:"vars,omitempty"`
	Path        []string          `json:"path,omitempty"`
	Arrived     time.Time         `json:"arrived,omitzero"`
}

func wireCallStateOf(c ivr.CallState) wireCallState {
	return wireCallState{Channel: c.Channel, Caller: c.Caller, Hotline: c.Hotline, Language: c.Language, Flow: c.Flow,
		FlowVersion: c.FlowVersion, Node: c.Node, Vars: c.Vars, Path: c.Path, Arrived: c.Arrived}
}

func (w wireCallState) callState() ivr.CallState {
	return ivr.CallState{Channel: w.Channel, Caller: w.Caller, Hotline: w.Hotline, Language: w.Language, Flow: w.Flow,
		FlowVersion: w.FlowVersion, Node: w.Node, Vars: w.Vars, Path: w.Path, Arrived: w.Arrived}
}
