package aritest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Behavior is how a SIP endpoint treats a call that rings it.
type Behavior struct {
	mode  string // answer, manual, never, reject, busy
	delay time.Duration
}

// AnswerAfter answers every call after ringing for d.
func AnswerAfter(d time.Duration) Behavior { return Behavior{mode: "answer", delay: d} }

// ManualAnswer rings until the test calls Party.Answer or Party.Reject.
func ManualAnswer() Behavior { return Behavior{mode: "manual"} }

// NeverAnswer rings until the caller gives up (originate timeout).
func NeverAnswer() Behavior { return Behavior{mode: "never"} }

// Reject declines every call after ringing for d (SIP 603, cause 21).
func Reject(d time.Duration) Behavior { return Behavior{mode: "reject", delay: d} }

// Busy answers every call with busy (SIP 486, cause 17).
func Busy() Behavior { return Behavior{mode: "busy"} }

// Endpoint is a SIP endpoint (an agent's phone, or a trunk to customers)
// that tests register, unregister and script.
type Endpoint struct {
	s        *Server
	tech     string
	resource string

	// guarded by s.mu
	online   bool
	behavior Behavior
	channels []*channel
	calls    []*Party // rung and not yet taken by NextCall
	notify   chan struct{}
}

func (e *Endpoint) key() string { return e.tech + "/" + e.resource }

// AddEndpoint creates a registered (online) endpoint, e.g. ("PJSIP",
// "1001"). A "trunk" endpoint takes calls to "PJSIP/<number>@trunk".
func (s *Server) AddEndpoint(tech, resource string, b Behavior) *Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := &Endpoint{s: s, tech: tech, resource: resource, online: true, behavior: b, notify: make(chan struct{})}
	s.endpoints[e.key()] = e
	s.emit("EndpointStateChange", fields{"endpoint": e.json()}, scope{endpoint: e})
	return e
}

// SetBehavior changes how later calls are treated.
func (e *Endpoint) SetBehavior(b Behavior) {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	e.behavior = b
}

// Register brings the endpoint online.
func (e *Endpoint) Register() { e.setOnline(true) }

// Unregister takes it offline: calls to it fail with cause 20.
func (e *Endpoint) Unregister() { e.setOnline(false) }

func (e *Endpoint) setOnline(on bool) {
	s := e.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.online == on {
		return
	}
	e.online = on
	s.emit("EndpointStateChange", fields{"endpoint": e.json()}, scope{endpoint: e})
}

// NextCall waits for the next call that rings the endpoint.
func (e *Endpoint) NextCall(ctx context.Context) (*Party, error) {
	s := e.s
	for {
		s.mu.Lock()
		if len(e.calls) > 0 {
			p := e.calls[0]
			e.calls = e.calls[1:]
			s.mu.Unlock()
			return p, nil
		}
		ch := e.notify
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for a call to %s: %w", e.key(), ctx.Err())
		}
	}
}

func (e *Endpoint) json() endpointJSON {
	ids := make([]string, 0, len(e.channels))
	for _, ch := range e.channels {
		ids = append(ids, ch.id)
	}
	state := "offline"
	if e.online {
		state = "online"
	}
	return endpointJSON{Technology: e.tech, Resource: e.resource, State: state, ChannelIDs: ids}
}

// findEndpoint resolves a dial string's resource: "1001", or
// "13800138000@trunk" (a number through a trunk endpoint).
func (s *Server) findEndpoint(resource string) (*Endpoint, string) {
	if e := s.endpoints["PJSIP/"+resource]; e != nil {
		return e, resource
	}
	if number, trunk, found := strings.Cut(resource, "@"); found {
		return s.endpoints["PJSIP/"+trunk], number
	}
	return nil, resource
}

// dial rings an outbound channel's endpoint. Callers hold s.mu.
func (s *Server) dial(ch *channel) {
	if ch.destroyed || ch.dialing || ch.party != nil {
		return
	}
	e, number := s.findEndpoint(ch.resource)
	ch.dialing = true
	s.emitDial(ch, "")
	if e == nil || !e.online {
		ch.dialing = false
		s.emitDial(ch, "CHANUNAVAIL")
		s.hangup(ch, CauseSubscriberAbsent, false, false)
		return
	}
	p := newParty(s, ch)
	p.dialed, p.endpoint, p.ringStart = number, e, s.now()
	ch.endpoint = e
	e.channels = append(e.channels, ch)
	s.setState(ch, "Ringing")
	s.emitDial(ch, "RINGING")
	e.calls = append(e.calls, p)
	close(e.notify)
	e.notify = make(chan struct{})
	switch b := e.behavior; b.mode {
	case "answer":
		ch.answerTask = s.after(b.delay, func() { s.answerOutbound(ch) })
	case "reject":
		ch.answerTask = s.after(b.delay, func() { s.rejectCall(ch, CauseCallRejected, "BUSY") })
	case "busy":
		ch.answerTask = s.after(0, func() { s.rejectCall(ch, CauseUserBusy, "BUSY") })
	}
	if ch.dialTimeout > 0 {
		ch.dialTask = s.after(ch.dialTimeout, func() { s.rejectCall(ch, CauseNoAnswer, "NOANSWER") })
	}
}

// answerOutbound: the far end picked up. An originated channel now enters
// its Stasis application. Callers hold s.mu.
func (s *Server) answerOutbound(ch *channel) {
	if ch.destroyed || !ch.dialing {
		return
	}
	s.cancel(ch.dialTask)
	s.cancel(ch.answerTask)
	ch.dialing = false
	if ch.party != nil {
		ch.party.answered = s.now()
	}
	s.answer(ch)
	s.emitDial(ch, "ANSWER")
	if ch.app == "" && ch.dialApp != "" {
		if !s.active(ch.dialApp) {
			s.hangup(ch, CauseCallRejected, true, false)
			return
		}
		s.enterStasis(ch, ch.dialApp, ch.dialArgs)
	}
}

// rejectCall ends a ringing outbound channel without an answer.
// Callers hold s.mu.
func (s *Server) rejectCall(ch *channel, cause int, dialstatus string) {
	if ch.destroyed || !ch.dialing {
		return
	}
	s.cancel(ch.dialTask)
	s.cancel(ch.answerTask)
	ch.dialing = false
	s.emitDial(ch, dialstatus)
	s.hangup(ch, cause, ch.app != "", false)
}

func (s *Server) endpointRoutes() {
	s.handle("GET /endpoints list List[Endpoint]", nil, func(q *request) response {
		out := make([]endpointJSON, 0, len(s.endpoints))
		for _, k := range sortedKeys(s.endpoints) {
			out = append(out, s.endpoints[k].json())
		}
		return ok(out)
	})
	s.handle("GET /endpoints/{tech} listByTech List[Endpoint]", []string{"tech"}, func(q *request) response {
		tech := q.str("tech")
		out := []endpointJSON{}
		for _, k := range sortedKeys(s.endpoints) {
			if e := s.endpoints[k]; strings.EqualFold(e.tech, tech) {
				out = append(out, e.json())
			}
		}
		if len(out) == 0 && !strings.EqualFold(tech, "PJSIP") {
			return fail(http.StatusNotFound, "No Endpoints found - invalid tech %s", tech)
		}
		return ok(out)
	})
	s.handle("GET /endpoints/{tech}/{resource} get Endpoint", []string{"tech", "resource"}, func(q *request) response {
		e := s.endpoints[q.str("tech")+"/"+q.str("resource")]
		if e == nil {
			return fail(http.StatusNotFound, "Endpoint not found")
		}
		return ok(e.json())
	})
}
