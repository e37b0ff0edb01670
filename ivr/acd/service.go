package acd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/CyCoreSystems/ari/v6"
	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/prompts"
	"github.com/hotline-ivr/hotline/queue"
)

// idPrefix starts the id of every ARI resource the service creates
// (agent and customer channels, snoops, bridges, playbacks), so that
// [Service.Handler] can tell its events from the engine's by the id alone.
const idPrefix = "acd-"

// Defaults of Config.
const (
	DefaultMOHClass            = "default"
	DefaultCallbackAttempts    = 3
	DefaultCallbackRetryDelay  = 5 * time.Minute
	DefaultCallbackRingTimeout = 30 * time.Second
	DefaultKeyTimeout          = 8 * time.Second
	// cleanupTimeout bounds the REST calls that tidy up after a call, made
	// when the call's own context is already gone.
	cleanupTimeout = 10 * time.Second
	// ringGrace lets the center's ring timer decide before Asterisk's
	// originate timeout does, so both never race to count a miss.
	ringGrace = 2 * time.Second
)

// Records takes what the service produces for the call records: agent
// state changes and the agent's part of each call. Its methods must not
// block for long.
type Records interface {
	AgentStateChanges(changes []queue.AgentStateChange)
	AgentCall(rec AgentCall)
	// Disposition is an agent's wrap-up code and note for a call.
	Disposition(d Disposition)
}

// AgentCall is one agent's handling of a call, written when it ends.
type AgentCall struct {
	CallID    string
	Agent     string
	Queue     string
	Callback  bool
	Answered  time.Time
	Ended     time.Time
	Holds     int
	HoldTime  time.Duration
	Transfers int    // transfers the agent made of this call
	EndedBy   string // "agent", "caller" or "transfer"
	// Outbound is set for the agent's own outbound call (Service.Dial),
	// which no engine call records: the call's own facts. Its agent's part
	// is recorded once the customer was dialled, reached or not.
	Outbound *OutboundCall
}

// Config wires a Service. Center and PBX are required.
type Config struct {
	Center *queue.Center
	PBX    PBX
	Clock  clockwork.Clock // nil: the real clock
	Logger *slog.Logger    // nil: discard

	// MOHClass is the music-on-hold class callers wait with.
	MOHClass string
	// AgentLanguage is the language of the whispers agents hear (zh).
	AgentLanguage string
	// Whisper is what an agent hears before a caller is put through: by
	// default the queue's name (prompt queues/<queue>) and the menu
	// choices of the caller's IVR path (prompts nodes/<node>), each when
	// the prompt exists.
	Whisper func(lang, queue string, path []string) []string

	// CustomerEndpoint dials a call-back's customer; %s is the number
	// ("PJSIP/%s@trunk").
	CustomerEndpoint string
	// CallerID is presented to customers called back (the hotline number).
	CallerID string
	// Callbacks keeps call-back requests across restarts and instances;
	// nil keeps them in memory only.
	Callbacks CallbackStore
	// Instance names this process for Callbacks (who is dialling).
	Instance            string
	CallbackAttempts    int           // dial attempts per request
	CallbackRetryDelay  time.Duration // between attempts
	CallbackRingTimeout time.Duration // how long a customer's phone rings
	// CallbackLanguage is what customers called back hear (zh).
	CallbackLanguage string
	// KeyTimeout bounds the caller's answer in the call-back dialogue.
	KeyTimeout time.Duration
	// OutboundQueue is the queue whose wrap-up time (and recording rule)
	// applies to agents' outbound calls (Dial); empty: the first queue the
	// agent serves.
	OutboundQueue string

	Records Records // nil: state changes are dropped after routing

	// Dispositions are the codes an agent may give a call at wrap-up (the
	// inquiry and complaint categories); none: SetDisposition refuses all.
	Dispositions []string

	// Recorder records every agent conversation (ivr/recorder), except
	// those of queues with NoRecording; nil records nothing.
	Recorder ivr.Recorder

	// Reconcile lists the channels in the application (GET
	// /applications/{name} channel_ids), the engine's Reconcile; after a
	// reconnect, a channel of the service that is gone (its hang-up was
	// lost with the socket) ends as if its ChannelDestroyed had come. Nil
	// skips it.
	Reconcile func(ctx context.Context) ([]string, error)

	// Live keeps the agents' states and the queued callers across
	// restarts (see Stopping and Resumable); nil keeps them in memory
	// only. It needs Reconcile.
	Live LiveStore
	// Softphones carries the audio of agents and supervisors whose device
	// starts with SoftphonePrefix; nil: such devices cannot be rung.
	Softphones Softphones

	// AdoptWait bounds how long a caller adopted from the last instance
	// waits for the engine to take it back before it hears the apology.
	AdoptWait time.Duration

	// Shared makes the service one of several instances whose queues are
	// one (shared.go); Center must then have SharedRouting. Nil: alone.
	Shared Shared
	// SharedFallbackAfter is how long the shared router may fail to
	// decide before the Center routes this instance's callers to its own
	// agents by itself, until the router is back (shared_fallback.go);
	// 0: DefaultSharedFallbackAfter.
	SharedFallbackAfter time.Duration
	// CentreTotals reads the whole centre's totals of today from the call
	// records, for the views of a shared service (shared_totals.go); nil:
	// the views show this instance's own.
	CentreTotals CentreTotalsFunc
}

// Service is the ARI side of the ACD: it implements [ivr.Queues] for the
// engine (callers wait with music and announcements, agents are rung,
// whispered to and bridged), carries out call-backs, and gives agents and
// supervisors their operations. One goroutine (Run) turns the center's
// decisions into work; each queued call is owned by one session goroutine,
// which alone touches its channels, so no two goroutines ever act on one
// call.
type Service struct {
	cfg    Config
	center *queue.Center
	shared *sharing // nil alone
	pbx    PBX
	clock  clockwork.Clock
	log    *slog.Logger

	kick   chan struct{} // wakes Run: something changed in the center
	seq    atomic.Uint64 // resource ids
	tag    string        // this process's own part of them
	seen   atomic.Int64  // events routed through Handler
	busy   atomic.Int64  // messages queued or being handled, and pending kicks (tests wait for 0)
	timers timerBook

	mu       sync.Mutex
	sessions map[string]*session // by the center's call id
	owners   map[string]*session // by ARI resource id
	channels map[string]bool     // which owned resources are channels (reconcile)
	byAgent  map[string]*session // ringing or talking to the agent
	sups     map[string]*session // by supervision id
	subs     map[chan struct{}]struct{}
	runCtx   context.Context // set by Run: call-back sessions run under it
	started  chan struct{}   // closed once Run has set runCtx
	wg       sync.WaitGroup  // call-back sessions and delayed retries

	stopping     atomic.Bool         // see Stopping
	adopted      map[string]*session // adopted callers no Enqueue has taken yet
	restored     bool                // the conn goroutine's alone
	disconnected time.Time           // the events socket closed (the conn goroutine's)
}

// New returns a service; start it with Run and put Handler in front of the
// engine.
func New(cfg Config) (*Service, error) {
	if cfg.Center == nil || cfg.PBX == nil {
		return nil, errors.New("acd: a Center and a PBX are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MOHClass == "" {
		cfg.MOHClass = DefaultMOHClass
	}
	if cfg.AgentLanguage == "" {
		cfg.AgentLanguage = "zh"
	}
	if cfg.CallbackLanguage == "" {
		cfg.CallbackLanguage = "zh"
	}
	if cfg.Whisper == nil {
		cfg.Whisper = DefaultWhisper
	}
	if cfg.CustomerEndpoint == "" {
		cfg.CustomerEndpoint = "PJSIP/%s@trunk"
	}
	if !strings.Contains(cfg.CustomerEndpoint, "%s") {
		return nil, fmt.Errorf("acd: customer endpoint %q has no %%s for the number", cfg.CustomerEndpoint)
	}
	if cfg.CallbackAttempts <= 0 {
		cfg.CallbackAttempts = DefaultCallbackAttempts
	}
	if cfg.CallbackRetryDelay <= 0 {
		cfg.CallbackRetryDelay = DefaultCallbackRetryDelay
	}
	if cfg.CallbackRingTimeout <= 0 {
		cfg.CallbackRingTimeout = DefaultCallbackRingTimeout
	}
	if cfg.KeyTimeout <= 0 {
		cfg.KeyTimeout = DefaultKeyTimeout
	}
	if cfg.Callbacks == nil {
		cfg.Callbacks = NewMemoryCallbacks(cfg.Clock)
	}
	if cfg.AdoptWait <= 0 {
		cfg.AdoptWait = DefaultAdoptWait
	}
	if err := checkShared(cfg); err != nil {
		return nil, err
	}
	s := &Service{
		tag: newTag(),
		cfg: cfg, center: cfg.Center, pbx: cfg.PBX, clock: cfg.Clock, log: cfg.Logger,
		kick:     make(chan struct{}, 1),
		sessions: map[string]*session{}, owners: map[string]*session{}, channels: map[string]bool{}, byAgent: map[string]*session{},
		sups: map[string]*session{}, subs: map[chan struct{}]struct{}{},
		started: make(chan struct{}), adopted: map[string]*session{},
	}
	if cfg.Shared != nil {
		s.shared = newSharing(s, cfg.Shared)
	}
	return s, nil
}

// DefaultWhisper is the queue's name, then the menu choices on the
// caller's path, each as a prompt of ivr/prompts when it exists.
func DefaultWhisper(lang, queueName string, path []string) []string {
	var media []string
	if prompts.Has("queues/"+queueName, lang) {
		media = append(media, sound(lang, "agent/call-from"), sound(lang, "queues/"+queueName))
	}
	var chose []string
	for _, node := range path {
		if prompts.Has("nodes/"+node, lang) {
			chose = append(chose, sound(lang, "nodes/"+node))
		}
	}
	if len(chose) > 0 {
		media = append(media, sound(lang, "agent/caller-chose"))
		media = append(media, chose...)
	}
	return media
}

func sound(lang, name string) string { return "sound:" + prompts.Sound(name, lang) }

// Run turns the center's decisions into work until ctx ends: offers ring
// agents, ring timeouts stop them, overflows reach their callers, and time
// alone (wrap-ups, relaxing skills, maximum waits) is honoured at the
// center's Wake. It first hands the pending call-backs of the store back to
// the center, with their original arrival, so they keep their places.
func (s *Service) Run(ctx context.Context) error {
	s.mu.Lock()
	s.runCtx = ctx
	s.mu.Unlock()
	close(s.started)
	defer func() {
		// The sessions that end as the service stops (call-backs and
		// outbound calls) change their agents' states: recorded too.
		s.wg.Wait()
		s.drainStates()
	}()
	if s.shared != nil {
		// Its own requests first: those it left at a clean stop, those it
		// was dialling.
		if err := s.shared.takeCallbacks(ctx, []string{s.shared.me}); err != nil {
			s.log.Error("taking back this instance's call-backs", "error", err)
		}
		s.wg.Add(4)
		go func() { defer s.wg.Done(); s.shared.sendLoop(ctx) }()
		go func() { defer s.wg.Done(); s.shared.softLoop(ctx) }()
		go func() { defer s.wg.Done(); s.shared.routeLoop(ctx) }()
		go func() { defer s.wg.Done(); s.shared.centreLoop(ctx) }()
		s.shared.route()
	} else if err := s.restoreCallbacks(ctx); err != nil {
		s.log.Error("restoring pending call-backs", "error", err)
	}
	kicked := false // a kick is done with once the pass it caused handed out its work
	var woke *timer
	for {
		d := s.center.Next()
		if s.shared != nil {
			s.shared.servedHere(d.Offers) // made while the router is away
		}
		s.apply(d)
		s.drainStates()
		s.publish()
		var (
			t    *timer
			wake <-chan time.Time
		)
		if at, ok := s.center.Wake(); ok {
			wait := at.Sub(s.clock.Now())
			if wait <= 0 {
				continue // time moved during the pass: another one at once
			}
			t = s.newTimer(wait)
			wake = t.Chan()
		}
		// The pass is over and the next wake armed: what caused the pass
		// is done with.
		if kicked {
			s.busy.Add(-1)
			kicked = false
		}
		if woke != nil {
			woke.done()
			woke = nil
		}
		select {
		case <-ctx.Done():
			s.stopping.Store(true)
			if t != nil {
				t.done()
			}
			s.drainStates()
			return nil
		case <-s.kick:
			kicked = true
			if t != nil {
				t.done()
			}
		case <-wake:
			woke = t // done once the pass it woke is over
		}
	}
}

// wake makes Run look at the center again.
func (s *Service) wake() {
	s.busy.Add(1)
	select {
	case s.kick <- struct{}{}:
	default:
		s.busy.Add(-1)
	}
}

// apply hands each of the decision's items to the session of its call.
func (s *Service) apply(d queue.Decision) {
	for _, o := range d.Offers {
		if ses := s.session(o.CallID); ses != nil {
			ses.put(offerMsg{o})
			continue
		}
		if o.Callback {
			s.startCallback(o)
			continue
		}
		// A live caller always has its session until it leaves the center;
		// this would be a bug, so let the agent go rather than ring for
		// nobody.
		s.log.Error("offer for a call with no session; withdrawing it", "call", o.CallID, "agent", o.Agent)
		_ = s.center.Abandon(o.CallID)
		s.wake()
	}
	for _, o := range d.RingTimeouts {
		if ses := s.session(o.CallID); ses != nil {
			ses.put(ringTimeoutMsg{o})
			ses.sharedNoAnswer(o.Agent)
		}
	}
	for _, ov := range d.Overflows {
		if ses := s.session(ov.CallID); ses != nil {
			ses.put(overflowMsg{ov})
		}
	}
}

func (s *Service) drainStates() {
	changes, dropped := s.center.DrainStateChanges()
	if dropped > 0 {
		s.log.Warn("agent state changes were dropped before they were recorded", "dropped", dropped)
	}
	if len(changes) > 0 && s.cfg.Records != nil {
		s.cfg.Records.AgentStateChanges(changes)
	}
	if s.shared != nil {
		s.shared.publishStates(changes)
	}
	if s.cfg.Live != nil {
		latest := map[string]int{}
		for i, c := range changes {
			latest[c.Agent] = i
		}
		for _, i := range latest {
			c := changes[i]
			s.cfg.Live.SaveAgent(AgentRecord{Agent: c.Agent, State: c.State, Reason: c.Reason, Since: c.At,
				CallID: c.CallID, Queue: c.Queue})
		}
	}
}

func (s *Service) session(callID string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[callID]
}

// newID is a fresh id for an ARI resource the service creates.
// Each process has a random tag of its own, so that two instances (or one
// restarted on a clock that did not move, as tests' fake clocks) never
// name two resources alike in one Asterisk: Asterisk refuses the second
// (409).
func (s *Service) newID() string {
	return idPrefix + s.tag + strconv.FormatUint(s.seq.Add(1), 36) + "-" + strconv.FormatInt(s.clock.Now().UnixNano()%1e9, 36)
}

// newTag is a random tag of 5 base-36 characters.
func newTag() string {
	return strconv.FormatUint(1_679_616+rand.Uint64N(60_466_176-1_679_616), 36) // 36^4 to 36^5-1: always 5 characters
}

// own routes the events of resource id to ses. Only ses's goroutine
// calls it, so ses.owned needs no lock.
func (s *Service) own(id string, ses *session) {
	s.mu.Lock()
	s.owners[id] = ses
	s.mu.Unlock()
	ses.owned = append(ses.owned, id)
}

// ownChannel routes the events of a channel the service made to ses.
func (s *Service) ownChannel(id string, ses *session) {
	s.own(id, ses)
	s.mu.Lock()
	s.channels[id] = true
	s.mu.Unlock()
}

func (s *Service) disown(ids ...string) {
	s.mu.Lock()
	for _, id := range ids {
		delete(s.owners, id)
		delete(s.channels, id)
	}
	s.mu.Unlock()
}

// Handler puts the service in front of the engine: events about the
// resources the service made go to their session, all others to next.
func (s *Service) Handler(next ivr.Handler) ivr.Handler { return handler{s: s, next: next} }

// EventsSeen counts the events routed through Handler, to the service and
// to the engine alike.
func (s *Service) EventsSeen() int64 { return s.seen.Load() }

type handler struct {
	s    *Service
	next ivr.Handler
}

// Connected reconciles the service with Asterisk before the engine does
// (so that the engine finds the callers the service adopts, and a caller
// lost with the PBX is known as lost before the engine ends its call).
func (h handler) Connected(ctx context.Context) error {
	if rerr := h.s.reconcile(ctx); rerr != nil {
		h.s.log.Warn("reconciling the queue's channels after a reconnect", "error", rerr)
	}
	return h.next.Connected(ctx)
}

// reconcile, after every (re)connect: callers whose channel vanished
// while the events socket was down were lost with the PBX at the moment
// it went down; the service's channels that vanished end as if their
// ChannelDestroyed had come; every session asks Asterisk about the
// playbacks and the bridge it waits on; and, the first time, the last
// instance's agents and callers are restored.
func (s *Service) reconcile(ctx context.Context) error {
	if s.cfg.Reconcile == nil {
		return nil
	}
	ids, err := s.cfg.Reconcile(ctx)
	if err != nil {
		return err
	}
	present := make(map[string]bool, len(ids))
	for _, id := range ids {
		present[id] = true
	}
	lostAt := s.disconnected
	if lostAt.IsZero() {
		lostAt = s.clock.Now()
	}
	s.mu.Lock()
	var all []*session
	for id, ses := range s.sessions {
		all = append(all, ses)
		if ses.live && !present[id] {
			ses.markLost(lostAt)
			if ses.adopted {
				ses.put(callerGoneMsg{}) // no engine call may be there to say so
			}
		}
	}
	s.mu.Unlock()
	for _, ses := range all {
		ses.put(recheckMsg{})
	}
	if s.cfg.Live != nil && !s.restored {
		select {
		case <-s.started:
			s.restore(ctx, present)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	type lost struct {
		id  string
		ses *session
	}
	var gone []lost
	s.mu.Lock()
	for id := range s.channels {
		if !present[id] {
			gone = append(gone, lost{id, s.owners[id]})
		}
	}
	s.mu.Unlock()
	for _, g := range gone {
		// A phone still ringing is not in the application yet: only a
		// channel Asterisk no longer has is gone.
		if _, err := s.pbx.ChannelState(ctx, g.id); !errors.Is(err, ErrGone) {
			continue
		}
		s.log.Warn("a queue channel vanished while ARI was disconnected", "channel", g.id, "call", g.ses.id)
		ev := &ari.ChannelDestroyed{Cause: 0, CauseTxt: "vanished while ARI was disconnected"}
		ev.Timestamp = ari.DateTime(lostAt)
		ev.Channel.ID = g.id
		g.ses.put(eventMsg{id: g.id, ev: ev})
	}
	return nil
}
func (h handler) Disconnected(err error) {
	h.s.disconnected = h.s.clock.Now()
	h.next.Disconnected(err)
}

func (h handler) Event(ctx context.Context, ev ari.Event) {
	defer h.s.seen.Add(1)
	if id, ok := ownedID(ev); ok {
		h.s.route(id, ev)
		return
	}
	h.s.callerEvent(ev)
	h.next.Event(ctx, ev)
}

// callerEvent notes, before the engine hears of it, that a queued
// caller's channel is ending (hang-up request, StasisEnd, destroyed): its Enqueue's end is then a hang-up, even while
// stopping. An adopted caller's session is told at once: the engine may
// not have taken it back yet.
func (s *Service) callerEvent(ev ari.Event) {
	var id string
	switch ev := ev.(type) {
	case *ari.ChannelHangupRequest:
		id = ev.Channel.ID
	case *ari.StasisEnd:
		id = ev.Channel.ID
	case *ari.ChannelDestroyed:
		id = ev.Channel.ID
	default:
		return
	}
	s.mu.Lock()
	ses := s.sessions[id]
	s.mu.Unlock()
	if ses == nil || !ses.live {
		return
	}
	ses.callerEnded.Store(true)
	if ses.adopted {
		ses.put(callerGoneMsg{})
	}
}

// ownedID finds the id of a service resource that ev concerns. The common
// events are looked at directly; the rest through their keys.
func ownedID(ev ari.Event) (string, bool) {
	var id string
	switch ev := ev.(type) {
	case *ari.ChannelDtmfReceived:
		id = ev.Channel.ID
	case *ari.PlaybackStarted:
		id = ev.Playback.ID
	case *ari.PlaybackFinished:
		id = ev.Playback.ID
	case *ari.StasisStart:
		id = ev.Channel.ID
	case *ari.StasisEnd:
		id = ev.Channel.ID
	case *ari.ChannelDestroyed:
		id = ev.Channel.ID
	case *ari.ChannelHangupRequest:
		id = ev.Channel.ID
	default:
		for _, k := range ev.Keys() {
			if strings.HasPrefix(k.ID, idPrefix) {
				return k.ID, true
			}
		}
		return "", false
	}
	return id, strings.HasPrefix(id, idPrefix)
}

func (s *Service) route(id string, ev ari.Event) {
	s.mu.Lock()
	ses := s.owners[id]
	s.mu.Unlock()
	if ses != nil {
		ses.put(eventMsg{id: id, ev: ev})
	}
}

// Subscribe returns a signal that fires (coalesced) whenever the queues,
// agents or calls changed, and a function that ends the subscription.
func (s *Service) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}
}

func (s *Service) publish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Snapshot is the live state of the queues, agents and the calls ringing
// or connected to agents.
func (s *Service) Snapshot() Snapshot {
	sn := Snapshot{At: s.clock.Now(), Queues: s.center.Queues(), Agents: s.center.Agents()}
	if s.shared != nil {
		s.shared.whole(&sn)
	}
	s.mu.Lock()
	seen := map[*session]bool{}
	for _, ses := range s.byAgent {
		if seen[ses] {
			continue
		}
		seen[ses] = true
		sn.Calls = append(sn.Calls, ses.viewCopy())
	}
	s.mu.Unlock()
	s.shared.heldViews(&sn)
	sortCalls(sn.Calls)
	return sn
}
