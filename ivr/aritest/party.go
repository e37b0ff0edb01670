package aritest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/ivr/media"
)

// Heard is one thing a party heard, in order: a prompt (Media is its URI,
// e.g. "sound:welcome"), music on hold ("moh:default"), a ringing
// indication ("indication:ringing"), a DTMF digit sent to it ("dtmf:5"),
// or a beep before a recording.
type Heard struct {
	Media      string
	Language   string
	PlaybackID string
	Via        string // "channel", "bridge:<id>" or "recording"
	Start, End time.Time
	// State is "playing" until it ends, then "done" (played out),
	// "stopped" (cut short: barge-in, hangup, DELETE) or "failed".
	State string
}

// Party is a scripted caller or agent on the far side of a channel: it
// dials in or is rung, presses digits, sends audio, hangs up, and reports
// what it heard. Its methods are safe for concurrent use.
type Party struct {
	s  *Server
	ch *channel

	// guarded by s.mu
	log       []*Heard
	answered  time.Time
	endedAt   time.Time
	cause     int
	hungUpBy  string // "party" or "asterisk"
	dialed    string
	notify    chan struct{}
	done      chan struct{}
	endpoint  *Endpoint
	ringStart time.Time
	watch     func() // a load's scripted caller, told of every change
}

func newParty(s *Server, ch *channel) *Party {
	p := &Party{s: s, ch: ch, notify: make(chan struct{}), done: make(chan struct{})}
	ch.party = p
	return p
}

// Call is an inbound call to the hotline.
type Call struct {
	From     string // the caller's number (caller ID)
	Name     string // the caller ID name
	To       string // the dialled number
	Language string // the channel language (default "en")
	Context  string // the dialplan context (default "from-pstn")
}

// Dial places an inbound call as if it came in over a SIP trunk: the
// channel rings, the dialplan routes To to Stasis(app, args), and the
// application gets StasisStart. With no client connected for the
// application the call is declined (ErrDeclined), as on a real Asterisk.
func (s *Server) Dial(ctx context.Context, c Call) (*Party, error) {
	return s.dialIn(ctx, c, nil)
}

// dialIn is Dial; entering, when not nil, runs under s.mu just before the
// channel enters Stasis, so what it sets up on the party (a load caller's
// script) is in place before the application can play to it.
func (s *Server) dialIn(ctx context.Context, c Call, entering func(*Party)) (*Party, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	context := orDefault(c.Context, "from-pstn")
	ch := s.newChannel(channelOpts{
		tech: "PJSIP", resource: "trunk", state: "Ring", language: c.Language,
		caller: callerIDJSON{Name: c.Name, Number: c.From}, context: context, exten: c.To, native: true,
	})
	p := newParty(s, ch)
	route, found := s.route(context, c.To)
	if !found {
		s.hangup(ch, CauseUnallocated, false, false)
		return p, fmt.Errorf("dialling %s: %w", c.To, ErrUnallocated)
	}
	if !s.active(route.App) {
		s.hangup(ch, CauseCallRejected, false, false)
		return p, fmt.Errorf("dialling %s to Stasis(%s): %w", c.To, route.App, ErrDeclined)
	}
	if entering != nil {
		entering(p)
	}
	s.enterStasis(ch, route.App, route.Args)
	return p, nil
}

// ID is the channel's unique id.
func (p *Party) ID() string { return p.ch.id }

// Name is the channel name, e.g. "PJSIP/trunk-0000000a".
func (p *Party) Name() string { return p.ch.name }

// Dialed is the number an outbound call to this party dialled (for a call
// to "PJSIP/13800138000@trunk", "13800138000").
func (p *Party) Dialed() string {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	return p.dialed
}

// Done is closed when the channel is destroyed.
func (p *Party) Done() <-chan struct{} { return p.done }

// Snapshot is a party's state at one moment.
type Snapshot struct {
	State    string // the channel state: Ring, Ringing, Up...
	Answered bool
	HungUp   bool
	Cause    int    // hangup cause once hung up
	HungUpBy string // "party" or "asterisk"
	Heard    []Heard
}

// Snapshot returns the party's state now.
func (p *Party) Snapshot() Snapshot {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	return p.snapshot()
}

func (p *Party) snapshot() Snapshot {
	sn := Snapshot{State: p.ch.state, Answered: !p.answered.IsZero() || p.ch.state == "Up",
		HungUp: p.ch.destroyed, Cause: p.cause, HungUpBy: p.hungUpBy}
	sn.Heard = make([]Heard, len(p.log))
	for i, h := range p.log {
		sn.Heard[i] = *h
	}
	return sn
}

// Heard lists what the party heard so far, in order.
func (p *Party) Heard() []Heard { return p.Snapshot().Heard }

// HeardMedia lists the media URIs heard so far, in order.
func (p *Party) HeardMedia() []string {
	var out []string
	for _, h := range p.Heard() {
		out = append(out, h.Media)
	}
	return out
}

// Wait blocks until cond holds for the party's state, or ctx ends.
func (p *Party) Wait(ctx context.Context, cond func(Snapshot) bool) (Snapshot, error) {
	for {
		p.s.mu.Lock()
		sn := p.snapshot()
		ch := p.notify
		p.s.mu.Unlock()
		if cond(sn) {
			return sn, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return sn, fmt.Errorf("waiting on %s (heard %v): %w", p.ch.name, mediaOf(sn.Heard), ctx.Err())
		}
	}
}

func mediaOf(hs []Heard) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Media + "(" + h.State + ")"
	}
	return out
}

// WaitHeard waits until the party has heard media (a URI, or a prefix
// ending in "*") start, and returns that entry.
func (p *Party) WaitHeard(ctx context.Context, media string) (Heard, error) {
	var found Heard
	_, err := p.Wait(ctx, func(sn Snapshot) bool {
		for _, h := range sn.Heard {
			if matchMedia(media, h.Media) {
				found = h
				return true
			}
		}
		return false
	})
	return found, err
}

func matchMedia(pattern, m string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(m, prefix)
	}
	return pattern == m
}

// WaitState waits until the channel reaches a state ("Up"...).
func (p *Party) WaitState(ctx context.Context, state string) error {
	_, err := p.Wait(ctx, func(sn Snapshot) bool { return sn.State == state || sn.HungUp })
	if err == nil && p.Snapshot().State != state {
		return fmt.Errorf("%s hung up before reaching %s: %w", p.ch.name, state, ErrHungUp)
	}
	return err
}

// WaitHangup waits until the channel is destroyed and returns the cause.
func (p *Party) WaitHangup(ctx context.Context) (int, error) {
	select {
	case <-p.done:
		return p.Snapshot().Cause, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("waiting for %s to hang up: %w", p.ch.name, ctx.Err())
	}
}

// dtmfDigits are the keys a party can press.
const dtmfDigits = "0123456789*#ABCD"

// Press sends DTMF digits (0-9, *, #, A-D), each reported to the
// application as ChannelDtmfReceived of 100 ms unless the channel is in a
// native two-party bridge.
func (p *Party) Press(digits string) error {
	for _, d := range digits {
		if !strings.ContainsRune(dtmfDigits, d) {
			return fmt.Errorf("aritest: %q is not a DTMF digit", d)
		}
	}
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ch.destroyed {
		return ErrHungUp
	}
	for _, d := range digits {
		s.dtmf(p.ch, string(d), 100)
	}
	return nil
}

// dtmf delivers one digit pressed on ch. Callers hold s.mu.
func (s *Server) dtmf(ch *channel, digit string, ms int) {
	if r := ch.record; r != nil && r.state == "recording" {
		if r.terminateOn == "any" || r.terminateOn == digit {
			s.finishRecording(r, "done", "")
		}
	}
	if ch.dtmfReported() {
		s.noteDTMF(ch)
		s.emit("ChannelDtmfReceived", fields{"digit": digit, "duration_ms": ms, "channel": ch.json()}, ch.scope())
	}
}

// Send sends audio (8 kHz linear PCM) starting now.
func (p *Party) Send(samples []int16) error {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ch.destroyed {
		return ErrHungUp
	}
	now := s.now()
	s.addAudio(p.ch, segment{start: now, end: now.Add(media.DurationOf(len(samples))), pcm: samples, silent: media.IsSilent(samples)})
	return nil
}

// SendTone sends a tone of the given frequencies for d, starting now.
func (p *Party) SendTone(d time.Duration, freqs ...float64) error {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ch.destroyed {
		return ErrHungUp
	}
	now := s.now()
	s.addAudio(p.ch, segment{start: now, end: now.Add(d), tone: freqs, amp: 0.5})
	return nil
}

// SendWAV sends the audio of an 8 kHz mono WAV file, starting now.
func (p *Party) SendWAV(path string) error {
	samples, err := media.ReadWAVFile(path)
	if err != nil {
		return err
	}
	return p.Send(samples)
}

// Hangup hangs up from the party's side (cause 16, normal clearing).
func (p *Party) Hangup() error { return p.HangupCause(CauseNormalClearing) }

// HangupCause hangs up from the party's side with a cause.
func (p *Party) HangupCause(cause int) error {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ch.destroyed {
		return ErrHungUp
	}
	p.hungUpBy = "party"
	if p.ch.dialing {
		s.rejectCall(p.ch, cause, "CANCEL")
		return nil
	}
	s.hangup(p.ch, cause, true, false)
	return nil
}

// Answer answers a call ringing at an agent's endpoint.
func (p *Party) Answer() error {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ch.destroyed {
		return ErrHungUp
	}
	if !p.ch.dialing {
		return fmt.Errorf("aritest: %s is not ringing", p.ch.name)
	}
	s.answerOutbound(p.ch)
	return nil
}

// Reject declines a call ringing at an agent's endpoint (SIP 603).
func (p *Party) Reject() error {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !p.ch.dialing {
		return fmt.Errorf("aritest: %s is not ringing", p.ch.name)
	}
	p.hungUpBy = "party"
	s.rejectCall(p.ch, CauseCallRejected, "BUSY")
	return nil
}

// heard appends an entry and wakes waiters. Callers hold s.mu.
func (p *Party) heard(h Heard) *Heard {
	if h.State == "" {
		h.State = "playing"
	}
	e := &h
	p.log = append(p.log, e)
	p.changed()
	return e
}

// endIndication closes the last open entry of media (music, ringing).
func (p *Party) endIndication(media string, at time.Time) {
	for i := len(p.log) - 1; i >= 0; i-- {
		if p.log[i].Media == media && p.log[i].State == "playing" {
			p.log[i].State, p.log[i].End = "done", at
			p.changed()
			return
		}
	}
}

// changed wakes everyone waiting on the party. Callers hold s.mu.
func (p *Party) changed() {
	close(p.notify)
	p.notify = make(chan struct{})
	if p.watch != nil {
		p.watch()
	}
}

// ended records the hangup. Callers hold s.mu.
func (p *Party) ended(cause int, at time.Time) {
	p.cause, p.endedAt = cause, at
	if p.hungUpBy == "" {
		p.hungUpBy = "asterisk"
	}
	for _, h := range p.log {
		if h.State == "playing" {
			h.State, h.End = "stopped", at
		}
	}
	p.changed()
	close(p.done)
}
