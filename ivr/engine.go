package ivr

import (
	"context"
	"errors"
	"fmt"
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
	// ctx is cancelled and Enqueue must return promptly; if the queues
	// learn of the hang-up first, Enqueue returns ErrCallerGone.
	Enqueue(ctx context.Context, req QueueRequest) (QueueResult, error)
}

// QueueRequest is a caller handed to a queue.
type QueueRequest struct {
	CallID, Caller, Hotline, Language string
	Queue                             string
	Priority                          int
	Skills                            []string
	Path                              []string          // the IVR path, for the agent's whisper and screen pop
	Vars                              map[string]string // sensitive ones masked (see record.go): queues may persist them
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
	// EndedBy says, for an answered call, how the agent's part ended:
	// EndedByAgent (the agent hung up) or EndedBySurvey (the agent sent
	// the caller on to the flow, its survey, without hanging up on it).
	EndedBy string
}

// ErrCallerGone is what Queues.Enqueue returns when the queues learnt of
// the caller's hang-up before the engine did: the call ended by the
// caller, not a queue failure.
var ErrCallerGone = errors.New("the caller hung up")

// How an agent's part of an answered call ended: QueueResult.EndedBy.
const (
	EndedByAgent  = "agent"
	EndedBySurvey = "survey"
	// EndedByScript: the agent ran a script that ends the call (a silent
	// caller, a bad line): the engine hangs the caller up at once, as the
	// agent's.
	EndedByScript = "script"
)

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
	// Handoffs keeps the state of the calls still in the IVR when a drain
	// times out, for the next instance (see resume.go); nil: they start
	// their flow again there, with an apology.
	Handoffs Handoffs
	// Trunk lets the engine carry out the flows' transfer nodes itself
	// when Transfers is nil (see TrunkConfig).
	Trunk TrunkConfig
	// Durations tells how long each sound plays, to bound the wait for
	// the end of a prompt (see SoundDurations); nil, or a sound it does
	// not know, gets a generous bound.
	Durations Durations
	// Recorder records the IVR part of the calls to the hotlines for
	// which RecordIVR is true (see record.go); either nil: none is
	// recorded.
	Recorder  Recorder
	RecordIVR func(hotline string) bool
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

	ctx    context.Context // calls run under it; cancelled (cause ErrStopping) when a drain times out
	cancel context.CancelCauseFunc

	mu       sync.Mutex
	calls    map[string]*call // by channel id
	owners   map[string]*call // by playback id and recording name
	running  int              // call goroutines
	idle     chan struct{}    // closed when running drops to 0 (made by Drain)
	draining bool
	stopped  bool        // the drain timed out: calls are left to the next instance
	handoffs []CallState // of the calls stopped in the IVR, saved by Drain
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
	ctx, cancel := context.WithCancelCause(context.Background())
	e := &Engine{
		cfg: cfg, clock: cfg.Clock, log: cfg.Logger, tracer: otel.Tracer(instrumentation),
		ctx: ctx, cancel: cancel, calls: map[string]*call{}, owners: map[string]*call{},
	}
	meter := otel.Meter(instrumentation)
	e.metrics.active, _ = meter.Int64UpDownCounter("hotline.ivr.calls.active", metric.WithDescription("calls in the IVR now"))
	e.metrics.outcomes, _ = meter.Int64Counter("hotline.ivr.calls", metric.WithDescription("calls that left the IVR, by outcome"))
	e.metrics.nodeTime, _ = meter.Float64Histogram("hotline.ivr.node.duration", metric.WithUnit("s"),
		metric.WithDescription("time spent in a flow node"), metric.WithExplicitBucketBoundaries(nodeBuckets...))
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
	e.mu.Lock()
	at := e.downSince
	if at.IsZero() {
		at = e.now()
	}
	e.mu.Unlock()
	if e.cfg.Reconcile == nil {
		e.mu.Lock()
		e.downSince = time.Time{}
		e.mu.Unlock()
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

// downEvent tells a call the events socket dropped: the end of what it
// waits for may never be seen, so its wait's bound is armed now.
type downEvent struct{ ari.EventData }

// Keys makes downEvent an ari.Event; it concerns no ARI resource.
func (*downEvent) Keys() ari.Keys { return nil }

// isDown says whether the events socket is down (since the first connect).
func (e *Engine) isDown() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return !e.downSince.IsZero()
}

// Disconnected is told the events socket closed. Every call waiting for
// the end of a playback or recording arms the bound of its wait.
func (e *Engine) Disconnected(err error) {
	e.mu.Lock()
	if e.downSince.IsZero() {
		e.downSince = e.now()
	}
	waiting := map[*call]bool{}
	for _, c := range e.owners {
		waiting[c] = true
	}
	e.mu.Unlock()
	for c := range waiting {
		c.box.put(&downEvent{})
	}
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
		if c := e.owner(ev.Channel.ID); c != nil {
			c.box.put(ev) // the far end of a transfer
			return
		}
		e.start(ev)
		return
	case *ari.Dial:
		e.route(e.owner(ev.Peer.ID), ev)
		return
	case *ari.ChannelStateChange:
		e.route(e.owner(ev.Channel.ID), ev)
		return
	case *ari.PlaybackStarted:
		e.route(e.owner(ev.Playback.ID), ev) // arms the bound of the wait for its end
		return
	case *ari.PlaybackContinuing:
		return
	case *ari.RecordingStarted:
		e.route(e.owner(ev.Recording.Name), ev)
		return
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
		e.routeChannelEnd(ev.Channel.ID, ev)
	case *ari.ChannelDestroyed:
		e.routeChannelEnd(ev.Channel.ID, ev)
	}
}

// routeChannelEnd routes the end of a channel: a caller's to its call, a
// transfer's far end to the call it was dialled for.
func (e *Engine) routeChannelEnd(id string, ev ari.Event) {
	if c := e.call(id); c != nil {
		c.box.put(ev)
		return
	}
	if c := e.owner(id); c != nil {
		c.box.put(legEvent(ev))
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
// StasisStart argument, else the dialplan extension. Calls that arrive
// while draining are answered and run as any other until the engine
// stops; once it has stopped they are left in Stasis for the next
// instance to adopt.
func (e *Engine) start(ev *ari.StasisStart) {
	number := ev.Channel.Dialplan.Exten
	if len(ev.Args) > 0 && ev.Args[0] != "" {
		number = ev.Args[0]
	}
	e.launch(newCall(e, ev.Channel.ID, ev.Channel.Name, number, ev.Channel.Caller.Number))
}

// launch registers c and runs it on its own goroutine; false when a call
// already owns the channel or the engine has stopped.
func (e *Engine) launch(c *call) bool {
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		e.log.Info("a call arrived after the engine stopped; it is left to the next instance", "call", c.id)
		return false
	}
	if _, dup := e.calls[c.id]; dup {
		e.mu.Unlock()
		return false
	}
	e.calls[c.id] = c
	e.running++
	e.mu.Unlock()
	e.metrics.active.Add(e.ctx, 1)
	go func() {
		c.run(e.ctx)
		e.mu.Lock()
		delete(e.calls, c.id)
		for _, id := range c.owned { // none unless a disown was skipped
			delete(e.owners, id)
		}
		if c.handoff != nil {
			e.handoffs = append(e.handoffs, *c.handoff)
		}
		e.running--
		if e.running == 0 && e.idle != nil {
			close(e.idle)
			e.idle = nil
		}
		e.mu.Unlock()
		e.metrics.active.Add(context.WithoutCancel(e.ctx), -1)
	}()
	return true
}

// handoffTimeout bounds what a stopping engine still does for its calls:
// music on hold for each, and saving their states.
const handoffTimeout = 5 * time.Second

// Drain lets the calls in progress finish until ctx is done. Meanwhile new
// calls are still answered and run by this instance (/healthz says it is
// draining, so load balancers send new calls elsewhere; a call that does
// arrive is served, never ignored).
//
// When ctx ends first, the engine stops driving its calls but does not
// hang them up: they stay in Asterisk for the next instance to adopt (see
// resume.go). Each call's context is cancelled with the cause ErrStopping;
// a call in the IVR gets music on hold, so that nobody waits in silence,
// and its CallState (journey so far included) is saved to Handoffs; a
// call inside Queues.Enqueue is left to the queues, which persist it. No
// journey is written for a stopped call: the instance that ends it writes
// it. Drain then returns an error wrapping ctx.Err().
func (e *Engine) Drain(ctx context.Context) error {
	e.mu.Lock()
	e.draining = true
	idle := e.waitIdle()
	e.mu.Unlock()
	select {
	case <-idle:
		e.mu.Lock()
		e.stopped = true
		e.mu.Unlock()
		e.cancel(nil)
		return nil
	case <-ctx.Done():
	}
	e.mu.Lock()
	e.stopped = true
	n := len(e.calls)
	idle = e.waitIdle()
	e.mu.Unlock()
	e.log.Warn("drain timed out: the calls still up are left to the next instance", "calls", n)
	e.cancel(ErrStopping)
	<-idle
	e.mu.Lock()
	states := e.handoffs
	e.handoffs = nil
	e.mu.Unlock()
	err := fmt.Errorf("%d calls left to the next instance: %w", n, ctx.Err())
	if len(states) > 0 {
		if e.cfg.Handoffs == nil {
			e.log.Warn("no handoff store: the next instance starts these calls again", "calls", len(states))
			return err
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handoffTimeout)
		defer cancel()
		if serr := e.cfg.Handoffs.Save(sctx, states); serr != nil {
			return errors.Join(err, fmt.Errorf("saving the calls' states: %w", serr))
		}
		e.log.Info("calls in the IVR handed to the next instance", "calls", len(states))
	}
	return err
}

// waitIdle returns a channel closed once no call runs. Callers hold e.mu.
func (e *Engine) waitIdle() <-chan struct{} {
	if e.running == 0 {
		done := make(chan struct{})
		close(done)
		return done
	}
	if e.idle == nil {
		e.idle = make(chan struct{})
	}
	return e.idle
}

// now is the engine's clock.
func (e *Engine) now() time.Time { return e.clock.Now() }
