package acd

// A browser agent across instances (deploy/scale-out.md, step 5): the
// agent's browser signed in at its home instance (where its softphone
// session is, in that instance's gateway), the caller at another (whose
// Asterisk holds the call). The caller's instance rings nothing: the
// home's console shows the held call ringing, with its screen pop, and
// the two instances carry the answer out by messages (SharedSoft: rows
// and NOTIFY in PostgreSQL, package cluster):
//
//	home (agent's browser)                caller's instance (Asterisk)
//	Answer in the page ── answer(host) ─▶ externalMedia to host; on its
//	                                      StasisStart, its RTP address
//	Attach(channel, address) ◀─ media ──  (UNICASTRTP_LOCAL_ADDRESS/PORT)
//	                        ── attached ▶ answered: agent ID, whisper,
//	                                      bridge, recording, as any agent
//	Reject, Hangup, DTMF, Hold, Unhold,
//	the browser gone     ── reject, … ─▶ carried out on the call
//	hold-ended, -no-answer, … (the cluster's events) ◀─ the call's end:
//	Detach
//
// Mute stays with the home's gateway. Nothing waits on a message: the
// caller's instance ends an answer whose attach is not confirmed within
// remoteAttachTimeout (and one never answered at its ring timeout) as
// ring-no-answer, and the home gives up an answer whose media does not
// come within remoteAnswerTimeout (telling the caller's instance to end
// it as ring-no-answer). The messages go through the reports' queue, in
// order and retried while the database is away.

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

// SharedSoft is what a Shared router also implements to carry browser
// agents' calls across instances; without it, a remote agent on the
// browser softphone cannot be rung (no answer).
type SharedSoft interface {
	// SendSoft sends m to instance to. m.CallID is the ACD's own ID of
	// the call on the caller's instance (kinds FromCaller), the router's
	// (SharedHold's) on the agent's home.
	SendSoft(ctx context.Context, to string, m SoftMsg) error
	// SoftMsgs are the messages for this instance, with From set and the
	// call's ID as this instance knows it; read until Run ends.
	SoftMsgs() <-chan SoftMsg
}

// SoftKind says what a SoftMsg is.
type SoftKind string

// The messages. Media goes from the caller's instance to the agent's
// home; all others from the home to the caller's instance.
const (
	SoftAnswer   SoftKind = "answer"   // the agent answered in the page; Host: where to send the audio
	SoftMedia    SoftKind = "media"    // the externalMedia channel is up: Channel, Asterisk (its RTP address)
	SoftAttached SoftKind = "attached" // the home's gateway took the channel's audio: bridge
	SoftReject   SoftKind = "reject"   // not answered after all (declined, no media, an attach failed): ring-no-answer
	SoftHangup   SoftKind = "hangup"   // the agent hung up in the page
	SoftGone     SoftKind = "gone"     // the agent's browser is gone (Reason): ring-no-answer, or the agent's hang-up
	SoftDTMF     SoftKind = "dtmf"     // digits from the page to the caller
	SoftHold     SoftKind = "hold"
	SoftUnhold   SoftKind = "unhold"
)

// FromCaller says the caller's instance sends it (to the agent's home).
func (k SoftKind) FromCaller() bool { return k == SoftMedia }

// SoftMsg is a message about a browser agent's call between the caller's
// instance and the agent's home.
type SoftMsg struct {
	Kind     SoftKind `json:"kind"`
	CallID   string   `json:"call_id"`
	Agent    string   `json:"agent"`
	From     string   `json:"from,omitempty"` // the sender, set on receipt
	Host     string   `json:"host,omitempty"`
	Channel  string   `json:"channel,omitempty"`
	Asterisk string   `json:"asterisk,omitempty"` // host:port
	Digits   string   `json:"digits,omitempty"`
	Reason   string   `json:"reason,omitempty"`
}

// RemoteSoftphones is what Config.Softphones also implements when other
// instances' Asterisks reach the gateway at another address than this
// instance's (its external host as they see it); without it they use
// ExternalHost's.
type RemoteSoftphones interface {
	RemoteHost(id string) (string, error)
}

// The timeouts of the messages.
const (
	// remoteAttachTimeout: the caller's instance, from the agent's answer
	// to the home's attach.
	remoteAttachTimeout = 5 * time.Second
	// remoteAnswerTimeout: the home, from the answer to the channel's
	// media.
	remoteAnswerTimeout = 10 * time.Second
)

// softShare is the sharing's part for browser agents across instances.
type softShare struct {
	mu     sync.Mutex
	held   map[string]*heldCall // the home's: by agent, other instances' calls holding its agents
	remote map[*leg]string      // the caller's side: legs of another instance's browser agents -> the home, once it answered
	kick   chan struct{}        // the home's answer deadlines changed
}

// heldCall is another instance's call holding one of this instance's
// agents, as its home follows it.
type heldCall struct {
	o        SharedOffer
	since    time.Time // the caller joined its queue
	answered time.Time // hold-answered
	answerBy time.Time // the agent answered in the page: the media is due by then
	channel  string    // attached: the caller's Asterisk's externalMedia channel
	held     bool
}

func (sh *sharing) softs() *softShare {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.soft == nil {
		sh.soft = &softShare{held: map[string]*heldCall{}, remote: map[*leg]string{}, kick: make(chan struct{}, 1)}
	}
	return sh.soft
}

func (sh *sharing) softAPI() SharedSoft {
	if sh == nil {
		return nil
	}
	ss, _ := sh.api.(SharedSoft)
	return ss
}

// sendSoft queues m for instance to.
func (sh *sharing) sendSoft(to string, m SoftMsg) {
	ss := sh.softAPI()
	if ss == nil {
		return
	}
	sh.report(fmt.Sprintf("softphone %s %s to %s", m.Kind, m.CallID, to), func(ctx context.Context) error {
		return ss.SendSoft(ctx, to, m)
	})
}

// --- the agent's home ---------------------------------------------------------

// softEvent follows the router's events about the calls holding this
// instance's agents (hooked in event).
func (sh *sharing) softEvent(ev SharedEvent) {
	o := ev.Offer
	switch ev.Kind {
	case SharedHold, SharedHoldAnswered, SharedHoldNoAnswer, SharedHoldAbandoned, SharedHoldEnded, SharedHoldLost:
	default:
		return
	}
	ss := sh.softs()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ev.Kind == SharedHold {
		ss.held[o.Agent] = &heldCall{o: o, since: sh.s.clock.Now().Add(-o.Waited)} // when the caller joined
		return
	}
	hc := ss.held[o.Agent]
	if hc == nil || hc.o.CallID != o.CallID {
		return
	}
	if ev.Kind == SharedHoldAnswered {
		hc.answered, hc.answerBy = sh.s.clock.Now(), time.Time{}
		return
	}
	delete(ss.held, o.Agent)
	sh.detachHeld(hc)
}

// detachHeld ends the held call's part in the agent's softphone.
func (sh *sharing) detachHeld(hc *heldCall) {
	if id, ok := softphoneID(hc.o.Device); ok && hc.channel != "" && sh.s.cfg.Softphones != nil {
		sh.s.cfg.Softphones.Detach(id, hc.channel)
	}
}

// heldViews adds the calls holding this instance's agents to a snapshot:
// the agent's console shows them ringing (its incoming-call panel, the
// screen pop from the offer's details) and then talking.
func (sh *sharing) heldViews(sn *Snapshot) {
	if sh == nil {
		return
	}
	ss := sh.softs()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for agent, hc := range ss.held {
		st, err := sh.s.center.Agent(agent)
		if err != nil || st.CallID != hc.o.CallID || (st.State != queue.Reserved && st.State != queue.OnCall) {
			continue
		}
		v := CallView{CallID: hc.o.CallID, Queue: hc.o.Queue, Agent: agent, Caller: hc.o.Number, Hotline: hc.o.Hotline,
			Language: hc.o.Language, Path: slices.Clone(hc.o.Path), Arrived: hc.since, Phase: CallRinging}
		if st.State == queue.OnCall {
			v.Answered, v.Phase, v.Held = hc.answered, CallTalking, hc.held
			if hc.held {
				v.Phase = CallHeld
			}
		}
		sn.Calls = append(sn.Calls, v)
	}
}

// heldFor is the held call of agent, nil if none; with ss.mu held.
func (sh *sharing) heldFor(agent string) (*softShare, *heldCall) {
	if sh == nil {
		return nil, nil
	}
	ss := sh.softs()
	ss.mu.Lock()
	hc := ss.held[agent]
	if hc == nil {
		ss.mu.Unlock()
		return nil, nil
	}
	if st, err := sh.s.center.Agent(agent); err != nil || st.CallID != hc.o.CallID {
		ss.mu.Unlock()
		return nil, nil
	}
	return ss, hc
}

// remoteHost is where another instance's Asterisk sends softphone id's
// audio.
func (s *Service) remoteHost(id string) (string, error) {
	if rs, ok := s.cfg.Softphones.(RemoteSoftphones); ok {
		host, err := rs.RemoteHost(id)
		if err != nil {
			return "", fmt.Errorf("softphone %s: %w", id, err)
		}
		return host, nil
	}
	return s.externalHost(id)
}

// softOp is an agent's operation from this instance's console on a call
// of another instance holding the agent (hooked in Answer, Reject,
// Hangup, SendDTMF, Hold and Unhold): handled says it was one.
func (sh *sharing) softOp(agent string, kind SoftKind, digits string) (handled bool, err error) {
	ss, hc := sh.heldFor(agent)
	if hc == nil {
		if kind == SoftAnswer && sh != nil {
			return sh.answerHere(agent)
		}
		return false, nil
	}
	defer ss.mu.Unlock()
	soft, isSoft := softphoneID(hc.o.Device)
	m := SoftMsg{Kind: kind, CallID: hc.o.CallID, Agent: agent, Digits: digits}
	ringing := hc.answered.IsZero()
	switch kind {
	case SoftAnswer:
		switch {
		case !isSoft:
			return true, ErrNotSoftphone
		case !ringing || !hc.answerBy.IsZero():
			return true, fmt.Errorf("%w: the call is already answered", ErrNotRinging)
		}
		host, err := sh.s.remoteHost(soft)
		if err != nil {
			sh.s.log.Warn("answering another server's call on the softphone", "agent", agent, "call", hc.o.CallID, "error", err)
			sh.sendSoft(hc.o.Instance, SoftMsg{Kind: SoftReject, CallID: hc.o.CallID, Agent: agent, Reason: err.Error()})
			return true, err
		}
		m.Host = host
		hc.answerBy = sh.s.clock.Now().Add(remoteAnswerTimeout)
		select {
		case ss.kick <- struct{}{}:
		default:
		}
		sh.s.log.Info("agent answers another server's call on the softphone", "agent", agent, "call", hc.o.CallID)
	case SoftReject:
		if !ringing {
			return true, fmt.Errorf("%w: the call is answered; hang up instead", ErrNotRinging)
		}
	case SoftHangup:
		if ringing {
			m.Kind = SoftReject
		}
	case SoftDTMF:
		if ringing {
			return true, ErrNoCall
		}
	case SoftHold, SoftUnhold:
		switch {
		case ringing:
			return true, ErrNoCall
		case kind == SoftHold && hc.held:
			return true, ErrHeld
		case kind == SoftUnhold && !hc.held:
			return true, ErrNotHeld
		}
		hc.held = kind == SoftHold
		sh.s.wake()
	}
	sh.sendSoft(hc.o.Instance, m)
	return true, nil
}

// answerHere refuses to answer here a call ringing another instance's
// browser agent: it answers in its home's console.
func (sh *sharing) answerHere(agent string) (bool, error) {
	remote := false
	err := sh.s.onLeg(context.Background(), agent, func(_ context.Context, ses *session, l *leg) error {
		remote = ses.isRemote(l)
		return nil
	})
	if err != nil || !remote {
		return false, nil
	}
	return true, fmt.Errorf("%w: agent %s answers in the console of the server it signed in to", ErrNotSoftphone, agent)
}

// softGone: the gateway's watchdog says softphone id's browser is gone;
// the caller's instance of a call holding its agent hears it.
func (sh *sharing) softGone(id, reason string) {
	if sh == nil {
		return
	}
	ss := sh.softs()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for agent, hc := range ss.held {
		if soft, ok := softphoneID(hc.o.Device); ok && soft == id {
			sh.s.log.Info("the softphone of an agent on another server's call is gone", "agent", agent, "call", hc.o.CallID, "reason", reason)
			sh.sendSoft(hc.o.Instance, SoftMsg{Kind: SoftGone, CallID: hc.o.CallID, Agent: agent, Reason: reason})
		}
	}
}

// homeMedia: the caller's instance made the externalMedia channel; the
// agent's softphone takes its audio, and the caller's instance is told.
func (sh *sharing) homeMedia(m SoftMsg) {
	ss := sh.softs()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	reject := func(why error) {
		sh.s.log.Warn("joining the softphone to another server's call", "agent", m.Agent, "call", m.CallID, "error", why)
		sh.sendSoft(m.From, SoftMsg{Kind: SoftReject, CallID: m.CallID, Agent: m.Agent, Reason: why.Error()})
	}
	hc := ss.held[m.Agent]
	if hc == nil || hc.o.CallID != m.CallID || hc.answerBy.IsZero() {
		reject(fmt.Errorf("%w: no answer of agent %s waits for call %s", ErrNoCall, m.Agent, m.CallID))
		return
	}
	hc.answerBy = time.Time{}
	soft, _ := softphoneID(hc.o.Device)
	ap, err := netip.ParseAddrPort(m.Asterisk)
	if err == nil && sh.s.cfg.Softphones == nil {
		err = errNoSoftphones
	}
	if err == nil {
		err = sh.s.cfg.Softphones.Attach(soft, m.Channel, ap)
	}
	if err != nil {
		reject(fmt.Errorf("attaching softphone %s to channel %s at %q: %w", soft, m.Channel, m.Asterisk, err))
		return
	}
	hc.channel = m.Channel
	sh.sendSoft(m.From, SoftMsg{Kind: SoftAttached, CallID: m.CallID, Agent: m.Agent, Channel: m.Channel})
}

// answersDue gives up the answers whose media did not come in time, and
// returns the next deadline (zero: none).
func (sh *sharing) answersDue() time.Time {
	ss := sh.softs()
	now := sh.s.clock.Now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var next time.Time
	for agent, hc := range ss.held {
		switch {
		case hc.answerBy.IsZero():
		case !hc.answerBy.After(now):
			sh.s.log.Warn("another server did not carry out the softphone's answer in time; ring-no-answer", "agent", agent, "call", hc.o.CallID)
			hc.answerBy = time.Time{}
			sh.sendSoft(hc.o.Instance, SoftMsg{Kind: SoftReject, CallID: hc.o.CallID, Agent: agent, Reason: "no media in time"})
		case next.IsZero() || hc.answerBy.Before(next):
			next = hc.answerBy
		}
	}
	return next
}

// softLoop takes the messages and keeps the home's answer deadlines,
// until ctx ends.
func (sh *sharing) softLoop(ctx context.Context) {
	api := sh.softAPI()
	if api == nil {
		return
	}
	ss := sh.softs()
	msgs := api.SoftMsgs()
	var due *timer
	stop := func() {
		if due != nil {
			due.done()
			due = nil
		}
	}
	defer stop()
	for {
		var dueC <-chan time.Time
		if due != nil {
			dueC = due.Chan()
		}
		select {
		case <-ctx.Done():
			return
		case m, ok := <-msgs:
			if !ok {
				msgs = nil
				continue
			}
			sh.softMsg(ctx, m)
		case <-ss.kick:
		case <-dueC:
		}
		stop()
		if next := sh.answersDue(); !next.IsZero() {
			due = sh.s.newTimer(max(next.Sub(sh.s.clock.Now()), time.Millisecond))
		}
	}
}

// softMsg handles a message: the home's (media) or the caller's side's.
func (sh *sharing) softMsg(ctx context.Context, m SoftMsg) {
	s := sh.s
	if m.Kind == SoftMedia {
		sh.homeMedia(m)
		return
	}
	s.mu.Lock()
	ses := s.sessions[m.CallID]
	s.mu.Unlock()
	if ses == nil {
		s.log.Debug("a softphone message about a call that is gone", "kind", m.Kind, "call", m.CallID, "agent", m.Agent)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, sharedTimeout)
	defer cancel()
	var err error
	switch m.Kind {
	case SoftDTMF, SoftHold, SoftUnhold:
		_, err = s.onCall(ctx, m.Agent, func(ctx context.Context, on *session) (string, error) {
			if on != ses {
				return "", ErrNoCall
			}
			return "", nil
		})
		if err == nil {
			switch m.Kind {
			case SoftDTMF:
				err = s.SendDTMF(ctx, m.Agent, m.Digits)
			case SoftHold:
				err = s.Hold(ctx, m.Agent)
			default:
				err = s.Unhold(ctx, m.Agent)
			}
		}
	default:
		ses.put(command{reply: make(chan commandResult, 1), do: func(ctx context.Context, ses *session) (string, error) {
			ses.remoteSoftMsg(ctx, m)
			return "", nil
		}})
	}
	if err != nil {
		s.log.Warn("another server's softphone request", "kind", m.Kind, "call", m.CallID, "agent", m.Agent, "error", err)
	}
}

// --- the caller's instance ---------------------------------------------------

// isRemote says whether the leg rings another instance's browser agent
// (ringRemoteSoft found so).
func (ses *session) isRemote(l *leg) bool {
	sh := ses.s.shared
	if sh == nil || l.soft == "" {
		return false
	}
	ss := sh.softs()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	_, ok := ss.remote[l]
	return ok
}

// ringRemoteSoft rings another instance's browser agent, when the leg's
// agent is one (the Center here did not reserve the agent itself:
// AssignRemote): its home's console shows the call; here it rings as long
// as a phone would (hooked in ringSoftphone).
func (ses *session) ringRemoteSoft(l *leg, timeout time.Duration) bool {
	sh := ses.s.shared
	if sh == nil || l.soft == "" || sh.softAPI() == nil {
		return false
	}
	if st, err := ses.s.center.Agent(l.offer.Agent); err == nil && st.State == queue.Reserved && st.CallID == ses.id {
		return false // this instance's own agent
	}
	ss := sh.softs()
	ss.mu.Lock()
	ss.remote[l] = ""
	ss.mu.Unlock()
	ses.log.Info("ringing another server's browser agent", "agent", l.offer.Agent)
	ses.stopRingTimer()
	ses.ringTimer = ses.s.newTimer(timeout)
	return true
}

// legGone forgets a leg (hooked in legEnded).
func (sh *sharing) legGone(l *leg) {
	if sh == nil || l.soft == "" {
		return
	}
	ss := sh.softs()
	ss.mu.Lock()
	delete(ss.remote, l)
	ss.mu.Unlock()
}

func (sh *sharing) homeOf(l *leg) string {
	ss := sh.softs()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.remote[l]
}

// remoteSoftMsg carries out the home's message on the session's call.
func (ses *session) remoteSoftMsg(ctx context.Context, m SoftMsg) {
	s := ses.s
	l := ses.leg
	if l == nil || l.offer.Agent != m.Agent || ses.phase == done || (m.Kind == SoftAnswer && !ses.isRemote(l)) {
		ses.log.Debug("a softphone message for a leg that is gone", "kind", m.Kind, "agent", m.Agent)
		if m.Kind == SoftAnswer {
			s.shared.sendSoft(m.From, SoftMsg{Kind: SoftMedia, CallID: ses.id, Agent: m.Agent}) // no channel: the home gives up
		}
		return
	}
	switch m.Kind {
	case SoftAnswer:
		if !l.answered.IsZero() || l.media {
			return
		}
		ss := s.shared.softs()
		ss.mu.Lock()
		ss.remote[l] = m.From
		ss.mu.Unlock()
		l.media = true
		s.ownChannel(l.channel, ses)
		if err := s.pbx.ExternalMedia(ctx, l.channel, m.Host); err != nil {
			ses.log.Warn("making the externalMedia channel to another server's softphone", "agent", m.Agent, "host", m.Host, "error", err)
			l.media = false
			ses.legNoAnswer(ctx, l)
			return
		}
		ses.log.Info("agent answers on another server's softphone", "agent", m.Agent, "home", m.From, "channel", l.channel)
		ses.stopRingTimer()
		ses.ringTimer = s.newTimer(remoteAttachTimeout)
	case SoftAttached:
		if !ses.isRemote(l) || !l.media || l.attached || m.Channel != l.channel {
			return
		}
		l.attached = true
		ses.stopRingTimer()
		ses.agentAnswered(ctx)
	case SoftReject, SoftHangup, SoftGone:
		if l.answered.IsZero() {
			ses.log.Info("another server's softphone does not take the call", "agent", m.Agent, "kind", m.Kind, "reason", m.Reason)
			ses.legNoAnswer(ctx, l)
			return
		}
		ses.log.Info("agent hangs up on another server's softphone", "agent", m.Agent, "kind", m.Kind, "reason", m.Reason)
		if err := s.pbx.Hangup(ctx, l.channel, "normal"); err != nil {
			ses.log.Warn("hanging up the remote softphone's channel", "error", err)
		}
	}
}

// remoteMedia: the externalMedia channel towards another instance's
// softphone is in Stasis; its RTP address goes to the agent's home
// (hooked in softphoneAnswered). The attach timer runs on.
func (ses *session) remoteMedia(ctx context.Context, l *leg) bool {
	sh := ses.s.shared
	if !ses.isRemote(l) {
		return false
	}
	home := sh.homeOf(l)
	ap, err := ses.s.mediaAddr(ctx, l.channel)
	if err != nil || home == "" {
		ses.log.Warn("joining another server's softphone to the call", "agent", l.offer.Agent, "error", err)
		ses.legNoAnswer(ctx, l)
		return true
	}
	sh.sendSoft(home, SoftMsg{Kind: SoftMedia, CallID: ses.id, Agent: l.offer.Agent, Channel: l.channel, Asterisk: ap.String()})
	return true
}

// mediaAddr is the externalMedia channel's own RTP address.
func (s *Service) mediaAddr(ctx context.Context, channel string) (netip.AddrPort, error) {
	addr, err := s.pbx.ChannelVar(ctx, channel, "UNICASTRTP_LOCAL_ADDRESS")
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("reading the externalMedia channel's address: %w", err)
	}
	port, err := s.pbx.ChannelVar(ctx, channel, "UNICASTRTP_LOCAL_PORT")
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("reading the externalMedia channel's port: %w", err)
	}
	ap, err := netip.ParseAddrPort(joinHostPort(addr, port))
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("the externalMedia channel's address %q port %q: %w", addr, port, err)
	}
	return ap, nil
}
