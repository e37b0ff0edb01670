package ivr

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/hotline-ivr/hotline/callflow"
)

// instrumentation names the engine's tracer and meter.
const instrumentation = "github.com/hotline-ivr/hotline/ivr"

// Flows finds the flow version a new call to a dialled number runs; a
// call keeps the *callflow.Flow it started with across reloads.
type Flows interface {
	ForNumber(number string) (*callflow.Flow, bool)
}

// Queues takes callers the flow hands to an agent queue. The queue
// issue's ACD implements it; until then a queue node runs against
// whatever the program wires in (nil: the caller hears the apology).
type Queues interface {
	// Enqueue hands the caller over and returns once the call has left the
	// queue (answered by an agent, overflowed). When the caller hangs up,
	// ctx is cancelled and Enqueue must return promptly.
	Enqueue(ctx context.Context, req QueueRequest) (QueueResult, error)
}

// QueueRequest is a caller handed to a queue.
type QueueRequest struct {
	CallID, Caller, Hotline, Language string
	Queue                             string
	Priority                          int
	Skills                            []string
	Path                              []string // the IVR path, for the agent's whisper and screen pop
	Vars                              map[string]string
	// Keys carries the keys the caller presses while queued (a call-back
	// request, say); the queue reads them or they are dropped.
	Keys <-chan string
	// Answered is called (from any goroutine) when an agent takes the
	// call, so the journey knows it was answered even if the caller hangs
	// up before Enqueue returns.
	Answered func(QueueResult)

	// Flow, FlowVersion and Node say where the call runs, so that queues
	// that persist their callers can resume them there after a restart
	// (see Resumer).
	Flow        string
	FlowVersion int
	Node        string
	// Arrived is when the caller first joined this queue; zero means now.
	// A caller resumed after a restart keeps its place with it.
	Arrived time.Time
	// Resume says the call was in this queue node when the last instance
	// stopped: the queue attaches it to its surviving conversation with an
	// agent if there is one, else queues it again at Arrived.
	Resume bool
}

// QueueResult says how the caller left the queue.
type QueueResult struct {
	Outcome    string // answered, overflow, callback (see the Queue* outcomes)
	Agent      string
	AnsweredAt time.Time // when the agent answered; the reports' speed of answer
}

// How a caller left the queue: QueueResult.Outcome.
const (
	// QueueAnswered: an agent took the call and the conversation ended
	// with the caller still on the line; the flow goes on (a survey).
	QueueAnswered = "answered"
	// QueueOverflow: the queue turned the caller away (full, no agents,
	// waited too long); the flow's on_fail path takes it.
	QueueOverflow = "overflow"
	// QueueCallback: the caller booked a call-back that keeps its place and
	// heard the confirmation; the call ends.
	QueueCallback = "callback"
)

// Transferer sends a caller to an external number (a blind transfer).
type Transferer interface {
	Transfer(ctx context.Context, channelID, number string) error
}

// EngineConfig wires an Engine. Flows and Media are required.
type EngineConfig struct {
	Flows     Flows
	Media     Media
	Queues    Queues
	Transfers Transferer
	// HTTP does the lookups (nil: http.DefaultClient); each is bounded by
	// its node's timeout.
	HTTP     *http.Client
	Journeys JourneySink
	Clock    clockwork.Clock // nil: the real clock
	Logger   *slog.Logger    // nil: discard
	// Reconcile lists the channels in the application (GET
	// /applications/{name} channel_ids); nil skips reconciliation.
	Reconcile func(ctx context.Context) ([]string, error)
	// Durations tells how long each sound plays, to bound the wait for
	// the end of a prompt (see SoundDurations); nil, or a sound it does
	// not know, gets a generous bound.
	Durations Durations
}

// Engine runs calls: it implements [Handler], so [Conn] feeds it every event
// of the application. One goroutine owns each call; the engine routes each
// event to its call through maps keyed by channel, playback and recording
// id, so an event costs the same whether ten calls are up or ten thousand.
type Engine struct {
	cfg    EngineConfig
	clock  clockwork.Clock
	log    *slog.Logger
	tracer trace.Tracer

	ctx    context.Context // calls run under it; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	calls  map[string]*call // by channel id
	owners map[string]*call // by playback id and recording name
	closed bool
	// downSince is when the events socket last dropped (zero while it is
	// up): a channel found gone at the reconnect ended no later.
	downSince time.Time

	metrics engineMetrics
	seen    atomic.Int64 // events routed, for tests that must not move time under one in flight
}

type engineMetrics struct {
	active   metric.Int64UpDownCounter
	outcomes metric.Int64Counter
	nodeTime metric.Float64Histogram
}

// NewEngine returns an engine ready to be given to Conn.Run.
func NewEngine(cfg EngineConfig) *Engine {
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{
		cfg: cfg, clock: cfg.Clock, log: cfg.Logger, tracer: otel.Tracer(instrumentation),
		ctx: ctx, cancel: cancel, calls: map[string]*call{}, owners: map[string]*call{},
	}
	meter := otel.Meter(instrumentation)
	e.metrics.active, _ = meter.Int64UpDownCounter("hotline.ivr.calls.active", metric.WithDescription("calls in the IVR now"))
	e.metrics.outcomes, _ = meter.Int64Counter("hotline.ivr.calls", metric.WithDescription("calls that left the IVR, by outcome"))
	e.metrics.nodeTime, _ = meter.Float64Histogram("hotline.ivr.node.duration", metric.WithUnit("s"),
		metric.WithDescription("time spent in a flow node"))
	return e
}

// EventsSeen counts the events the engine has routed to its calls.
func (e *Engine) EventsSeen() int64 { return e.seen.Load() }

// Active is the number of calls the engine runs now.
func (e *Engine) Active() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.calls)
}

// Connected reconciles after a (re)connect, because the events sent while
// the socket was down are gone:
//
//   - a call whose channel vanished meanwhile ends as lost, hung up by the
//     system, at the moment the socket dropped;
//   - every call still up is told to ask Asterisk about the playback or
//     recording it waits on (its end may have been missed);
//   - channels in the application that no call owns are adopted (see
//     adopt and the restart contract in resume.go).
func (e *Engine) Connected(ctx context.Context) error {
	if e.cfg.Reconcile == nil {
		return nil
	}
	ids, err := e.cfg.Reconcile(ctx)
	if err != nil {
		return err
	}
	present := make(map[string]bool, len(ids))
	for _, id := range ids {
		present[id] = true
	}
	e.mu.Lock()
	at := e.downSince
	if at.IsZero() {
		at = e.now()
	}
	e.downSince = time.Time{}
	var lost []*call
	for id, c := range e.calls {
		if !present[id] {
			lost = append(lost, c)
		}
	}
	type recheck struct {
		c  *call
		id string
	}
	var checks []recheck
	for id, c := range e.owners {
		if present[c.id] {
			checks = append(checks, recheck{c, id})
		}
	}
	e.mu.Unlock()
	for _, c := range lost {
		c.box.put(&lostEvent{at: at})
	}
	for _, r := range checks {
		r.c.box.put(&recheckEvent{id: r.id})
	}
	if n := len(lost); n > 0 {
		e.log.Warn("calls lost while ARI was disconnected", "calls", n, "since", at)
	}
	return e.adopt(ctx, ids)
}

// lostEvent tells a call its channel is gone; at is the last moment it
// was known to be up.
type lostEvent struct {
	ari.EventData
	at time.Time
}

// Keys makes lostEvent an ari.Event; it concerns no ARI resource.
func (*lostEvent) Keys() ari.Keys { return nil }

// recheckEvent tells a call to ask Asterisk about the playback or
// recording id it waits on: its end may have come while the socket was
// down.
type recheckEvent struct {
	ari.EventData
	id string
}

// Keys makes recheckEvent an ari.Event; it concerns no ARI resource.
func (*recheckEvent) Keys() ari.Keys { return nil }

// Disconnected is told the events socket closed.
func (e *Engine) Disconnected(err error) {
	e.mu.Lock()
	if e.downSince.IsZero() {
		e.downSince = e.now()
	}
	e.mu.Unlock()
	e.log.Warn("ARI events disconnected; calls keep running and their events resume on reconnect", "error", err)
}

// quiet reports whether every call waits (for an event, or on a timer not
// yet due) with nothing in its mailbox: moving a fake clock then cannot
// pass under work in flight. For tests.
func (e *Engine) quiet() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now().UnixNano()
	for _, c := range e.calls {
		p := c.parked.Load()
		if p == 0 || (p != parkedIdle && p <= now) || c.box.pending() {
			return false
		}
	}
	return true
}

// Event routes one ARI event to the call that owns it.
func (e *Engine) Event(ctx context.Context, ev ari.Event) {
	defer e.seen.Add(1)
	switch ev := ev.(type) {
	case *ari.StasisStart:
		e.start(ev)
		return
	case *ari.PlaybackStarted, *ari.PlaybackContinuing:
		return // only the end of a playback matters
	case *ari.PlaybackFinished:
		e.route(e.owner(ev.Playback.ID), ev)
		return
	case *ari.RecordingFinished:
		e.route(e.owner(ev.Recording.Name), ev)
		return
	case *ari.RecordingFailed:
		e.route(e.owner(ev.Recording.Name), ev)
		return
	case *ari.ChannelDtmfReceived:
		e.route(e.call(ev.Channel.ID), ev)
	case *ari.ChannelHangupRequest:
		e.route(e.call(ev.Channel.ID), ev)
	case *ari.StasisEnd:
		e.route(e.call(ev.Channel.ID), ev)
	case *ari.ChannelDestroyed:
		e.route(e.call(ev.Channel.ID), ev)
	}
}

func (e *Engine) route(c *call, ev ari.Event) {
	if c != nil {
		c.box.put(ev)
	}
}

func (e *Engine) call(id string) *call {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[id]
}

func (e *Engine) owner(id string) *call {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.owners[id]
}

// own routes events of a playback id or recording name to c. Only c's
// goroutine calls it, and disown when done.
func (e *Engine) own(id string, c *call) {
	e.mu.Lock()
	e.owners[id] = c
	e.mu.Unlock()
	c.owned = append(c.owned, id)
}

func (e *Engine) disown(id string, c *call) {
	e.mu.Lock()
	delete(e.owners, id)
	e.mu.Unlock()
	if i := slices.Index(c.owned, id); i >= 0 {
		c.owned = slices.Delete(c.owned, i, i+1)
	}
}

// start begins a call on the flow of the dialled number: the first
// StasisStart argument, else the dialplan extension.
func (e *Engine) start(ev *ari.StasisStart) {
	number := ev.Channel.Dialplan.Exten
	if len(ev.Args) > 0 && ev.Args[0] != "" {
		number = ev.Args[0]
	}
	c := newCall(e, ev.Channel.ID, ev.Channel.Name, number, ev.Channel.Caller.Number)
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	if _, dup := e.calls[c.id]; dup {
		e.mu.Unlock()
		return
	}
	e.calls[c.id] = c
	e.wg.Add(1)
	e.mu.Unlock()
	e.metrics.active.Add(e.ctx, 1)
	go func() {
		defer e.wg.Done()
		c.run(e.ctx)
		e.mu.Lock()
		delete(e.calls, c.id)
		for _, id := range c.owned { // none unless a disown was skipped
			delete(e.owners, id)
		}
		e.mu.Unlock()
		e.metrics.active.Add(context.WithoutCancel(e.ctx), -1)
	}()
}

// Drain waits until every call has ended or ctx is done, then stops the
// rest: a graceful drain takes no new calls (Asterisk's dialplan falls back
// once the application is gone) and lets calls in progress finish.
func (e *Engine) Drain(ctx context.Context) error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	done := make(chan struct{})
	go func() {
		e.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		e.cancel()
		return nil
	case <-ctx.Done():
		e.cancel()
		<-done
		return ctx.Err()
	}
}

// now is the engine's clock.
func (e *Engine) now() time.Time { return e.clock.Now() }
