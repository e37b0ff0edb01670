package acd

// The browser softphone's side of the agent's leg (device WebRTC/<id>):
// it rings in the console, not by originate; the agent's answer makes an
// externalMedia channel, which becomes the leg's channel and, once in
// Stasis, is joined to the browser's session (Softphones.Attach). The
// agent's call operations that work for any device (Reject, Hangup,
// SendDTMF) are here too.

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

// Errors of the softphone operations.
var (
	// ErrNotSoftphone means the agent's device is a SIP phone: the call is
	// answered on that phone, not from the console.
	ErrNotSoftphone = errors.New("the agent's device is not the browser softphone: answer on your phone")
	// ErrNotRinging means the agent's call was already answered: hang up
	// instead of rejecting it.
	ErrNotRinging = errors.New("the agent's call is not ringing")
	// ErrBadDTMF means digits that are not 1 to 32 of 0-9, *, #, A-D.
	ErrBadDTMF = errors.New("DTMF digits must be 1 to 32 of 0-9, *, #, A-D")
	// errNoSoftphones: Config.Softphones is nil.
	errNoSoftphones = errors.New("this service has no softphone gateway (Config.Softphones)")
)

// maxDTMF bounds the digits of one SendDTMF.
const maxDTMF = 32

// softphoneID is the softphone session ID of a WebRTC/<id> device.
func softphoneID(device string) (string, bool) {
	id, ok := strings.CutPrefix(device, SoftphonePrefix)
	if !ok || id == "" {
		return "", false
	}
	return id, true
}

// externalHost is where the externalMedia channel of softphone id sends.
func (s *Service) externalHost(id string) (string, error) {
	if s.cfg.Softphones == nil {
		return "", errNoSoftphones
	}
	host, err := s.cfg.Softphones.ExternalHost(id)
	if err != nil {
		return "", fmt.Errorf("softphone %s: %w", id, err)
	}
	return host, nil
}

// ringSoftphone rings an agent's browser: the call's view says ringing
// (the console's incoming-call panel) for as long as an originate would
// ring. A browser with no open session is like a failed originate.
func (ses *session) ringSoftphone(ctx context.Context, l *leg, timeout time.Duration) {
	if ses.ringRemoteSoft(l, timeout) {
		return // shared_soft.go
	}
	if _, err := ses.s.externalHost(l.soft); err != nil {
		ses.log.Warn("could not ring the agent's softphone", "agent", l.offer.Agent, "error", err)
		ses.legNoAnswer(ctx, l)
		return
	}
	ses.stopRingTimer()
	ses.ringTimer = ses.s.newTimer(timeout)
}

// softRingTimeout: the softphone rang as long as an originate would have;
// the unanswered leg ends as that originate's timeout would.
func (ses *session) softRingTimeout(ctx context.Context) {
	l := ses.leg
	if l == nil || l.soft == "" || !l.answered.IsZero() {
		return
	}
	ses.log.Info("the agent's softphone rang out", "agent", l.offer.Agent)
	ses.legNoAnswer(ctx, l)
}

func (ses *session) stopRingTimer() {
	if ses.ringTimer != nil {
		ses.ringTimer.done()
		ses.ringTimer = nil
	}
}

// legNoAnswer ends an unanswered leg as ring-no-answer: the phone (if
// there is a channel) is hung up and the center told.
func (ses *session) legNoAnswer(ctx context.Context, l *leg) {
	if ses.leg == l {
		ses.dropLeg(ctx)
	}
	ses.missed(l)
}

// softphoneAnswered: the leg's externalMedia channel is in Stasis. Its
// RTP address goes to the softphone, and the call goes on as a SIP
// phone's answer does.
func (ses *session) softphoneAnswered(ctx context.Context) {
	l := ses.leg
	if ses.remoteMedia(ctx, l) {
		return // shared_soft.go
	}
	ses.stopRingTimer()
	if err := ses.s.attachSoftphone(ctx, l.soft, l.channel); err != nil {
		ses.log.Warn("joining the agent's softphone to the call", "agent", l.offer.Agent, "error", err)
		ses.legNoAnswer(ctx, l)
		return
	}
	l.attached = true
	ses.agentAnswered(ctx)
}

// attachSoftphone gives softphone id the externalMedia channel's own RTP
// address, which Asterisk has once the channel is in Stasis.
func (s *Service) attachSoftphone(ctx context.Context, id, channel string) error {
	if s.cfg.Softphones == nil {
		return errNoSoftphones
	}
	addr, err := s.pbx.ChannelVar(ctx, channel, "UNICASTRTP_LOCAL_ADDRESS")
	if err != nil {
		return fmt.Errorf("reading the externalMedia channel's address: %w", err)
	}
	port, err := s.pbx.ChannelVar(ctx, channel, "UNICASTRTP_LOCAL_PORT")
	if err != nil {
		return fmt.Errorf("reading the externalMedia channel's port: %w", err)
	}
	ap, err := netip.ParseAddrPort(joinHostPort(addr, port))
	if err != nil {
		return fmt.Errorf("the externalMedia channel's address %q port %q: %w", addr, port, err)
	}
	if err := s.cfg.Softphones.Attach(id, channel, ap); err != nil {
		return fmt.Errorf("attaching softphone %s: %w", id, err)
	}
	return nil
}

func joinHostPort(host, port string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + port
	}
	return host + ":" + port
}

// onLeg runs do in the session of the agent's leg, ringing or answered.
func (s *Service) onLeg(ctx context.Context, agent string, do func(context.Context, *session, *leg) error) error {
	if _, err := s.center.Agent(agent); err != nil {
		return err
	}
	s.mu.Lock()
	ses := s.byAgent[agent]
	s.mu.Unlock()
	if ses == nil {
		return ErrNoCall
	}
	_, err := ses.command(ctx, func(ctx context.Context, ses *session) (string, error) {
		if ses.leg == nil || ses.leg.offer.Agent != agent || ses.phase == done {
			return "", ErrNoCall
		}
		return "", do(ctx, ses, ses.leg)
	})
	return err
}

// Answer answers the call ringing on the agent's browser softphone: an
// externalMedia channel is made to the softphone's media address, and
// once it is in Stasis the softphone is attached to it and the call goes
// on as a SIP phone's answer does (the agent's ID to the caller, the
// whisper, the bridge, the recording). It returns once Asterisk made the
// channel. ErrNoCall if nothing rings for the agent; ErrNotSoftphone for
// an agent on a SIP phone. A browser with no open session, or Asterisk
// refusing the channel, is no answer: the call goes on to the next agent.
func (s *Service) Answer(ctx context.Context, agent string) error {
	if remote, err := s.shared.softOp(agent, SoftAnswer, ""); remote {
		return err // shared_soft.go
	}
	return s.onLeg(ctx, agent, func(ctx context.Context, ses *session, l *leg) error {
		switch {
		case l.soft == "":
			return ErrNotSoftphone
		case !l.answered.IsZero() || l.media:
			return fmt.Errorf("%w: the call is already answered", ErrNotRinging)
		}
		// An answer after the ring timeout is refused, as a SIP phone's
		// late answer is.
		if st, err := s.center.Agent(agent); err == nil && (st.State != queue.Reserved || st.CallID != ses.id) {
			ses.log.Info("late answer; releasing the agent", "agent", agent)
			ses.dropLeg(ctx)
			return fmt.Errorf("%w: the call stopped ringing", ErrNoCall)
		}
		host, err := s.externalHost(l.soft)
		if err != nil {
			ses.log.Warn("answering on the softphone", "agent", agent, "error", err)
			ses.legNoAnswer(ctx, l)
			return err
		}
		l.media = true
		s.ownChannel(l.channel, ses)
		if err := s.pbx.ExternalMedia(ctx, l.channel, host); err != nil {
			ses.log.Warn("making the softphone's externalMedia channel", "agent", agent, "error", err)
			l.media = false
			ses.legNoAnswer(ctx, l)
			return fmt.Errorf("connecting the softphone: %w", err)
		}
		ses.log.Info("agent answers on the softphone", "agent", agent, "channel", l.channel)
		return nil
	})
}

// Reject refuses the call ringing for the agent, on any device (a SIP
// phone's ringing channel is hung up): it counts as ring-no-answer and
// the call goes on to the next agent. ErrNoCall if nothing rings.
func (s *Service) Reject(ctx context.Context, agent string) error {
	if remote, err := s.shared.softOp(agent, SoftReject, ""); remote {
		return err // shared_soft.go
	}
	return s.onLeg(ctx, agent, func(ctx context.Context, ses *session, l *leg) error {
		if !l.answered.IsZero() {
			return fmt.Errorf("%w: the call is answered; hang up instead", ErrNotRinging)
		}
		ses.log.Info("agent rejects the call", "agent", agent)
		ses.legNoAnswer(ctx, l)
		return nil
	})
}

// Hangup hangs up the agent's call, on any device: the agent's channel is
// hung up and the call ends as when the agent hangs up its phone. A call
// still ringing is rejected.
func (s *Service) Hangup(ctx context.Context, agent string) error {
	if remote, err := s.shared.softOp(agent, SoftHangup, ""); remote {
		return err // shared_soft.go
	}
	return s.onLeg(ctx, agent, func(ctx context.Context, ses *session, l *leg) error {
		if l.answered.IsZero() {
			ses.log.Info("agent hangs up the ringing call", "agent", agent)
			ses.legNoAnswer(ctx, l)
			return nil
		}
		ses.log.Info("agent hangs up", "agent", agent)
		// Its ChannelDestroyed ends the call (agentGone).
		return s.pbx.Hangup(ctx, l.channel, "normal")
	})
}

// SendDTMF sends digits from the agent to the other party of its
// connected call (the caller; a call-back's customer), so that the far
// end gets them (an IVR the agent transfers through, say).
func (s *Service) SendDTMF(ctx context.Context, agent, digits string) error {
	if n := len(digits); n == 0 || n > maxDTMF || strings.Trim(digits, "0123456789*#ABCD") != "" {
		return fmt.Errorf("%w: got %q", ErrBadDTMF, digits)
	}
	if remote, err := s.shared.softOp(agent, SoftDTMF, digits); remote {
		return err // shared_soft.go
	}
	_, err := s.onCall(ctx, agent, func(ctx context.Context, ses *session) (string, error) {
		if ses.caller == "" {
			return "", ErrNoCall
		}
		if err := s.pbx.SendDTMF(ctx, ses.caller, digits); err != nil {
			return "", fmt.Errorf("sending DTMF %s: %w", digits, err)
		}
		ses.log.Info("agent sent DTMF", "agent", agent, "digits", len(digits))
		return "", nil
	})
	return err
}

// SoftphoneGone is the softphone gateway's word that the browser of
// softphone session id is gone (no media, ICE failed, tab closed): the
// call ringing on it is ring-no-answer, the call talking on it ends as
// the agent hanging up, and a supervision from it ends. It does not wait
// for that to be done.
func (s *Service) SoftphoneGone(id, reason string) {
	s.shared.softGone(id, reason) // shared_soft.go
	s.mu.Lock()
	var targets []*session
	if ses := s.byAgent[id]; ses != nil {
		targets = append(targets, ses)
	}
	for _, ses := range s.sups {
		if !slices.Contains(targets, ses) {
			targets = append(targets, ses)
		}
	}
	s.mu.Unlock()
	for _, ses := range targets {
		ses.put(command{reply: make(chan commandResult, 1), do: func(ctx context.Context, ses *session) (string, error) {
			if l := ses.leg; l != nil && l.soft == id {
				ses.log.Info("the agent's softphone is gone", "agent", l.offer.Agent, "reason", reason)
				if l.answered.IsZero() {
					ses.legNoAnswer(ctx, l)
				} else if err := s.pbx.Hangup(ctx, l.channel, "normal"); err != nil {
					ses.log.Warn("hanging up the gone softphone's channel", "error", err)
				}
			}
			for _, sup := range ses.sups {
				if sup.soft == id {
					ses.log.Info("the supervisor's softphone is gone", "supervision", sup.id, "reason", reason)
					ses.endSupervision(ctx, sup)
				}
			}
			return "", nil
		}})
	}
}

// Reconnect joins the agent's new softphone session to its conversation:
// after a restart the conversation's externalMedia channel is still in
// Asterisk, but the browser's side of it went with the last instance; a
// browser that opens a new session while its agent talks gets a new
// externalMedia channel in the conversation's bridge (on its
// StasisStart), and the old channel is hung up. ErrNoCall unless the
// agent's call is talking (or held); ErrNotSoftphone for a SIP phone.
func (s *Service) Reconnect(ctx context.Context, agent string) error {
	_, err := s.onCall(ctx, agent, func(ctx context.Context, ses *session) (string, error) {
		l := ses.leg
		switch {
		case l.soft == "":
			return "", ErrNotSoftphone
		case l.renew != "":
			return "", nil // under way
		}
		host, err := s.externalHost(l.soft)
		if err != nil {
			return "", err
		}
		l.renew = s.newID()
		s.ownChannel(l.renew, ses)
		if err := s.pbx.ExternalMedia(ctx, l.renew, host); err != nil {
			s.disown(l.renew)
			l.renew = ""
			return "", fmt.Errorf("connecting the softphone again: %w", err)
		}
		ses.log.Info("agent's softphone reconnecting", "agent", agent, "channel", l.renew, "old", l.channel)
		return "", nil
	})
	return err
}

// softphoneRenewed: Reconnect's new externalMedia channel is in Stasis; it
// takes the old one's place in the conversation (and under the
// supervisors' snoops), and the old one is hung up.
func (ses *session) softphoneRenewed(ctx context.Context) {
	s := ses.s
	l := ses.leg
	ch := l.renew
	l.renew = ""
	drop := func(why string, err error) {
		ses.log.Warn("reconnecting the softphone", "step", why, "error", err)
		s.disown(ch)
		_ = s.pbx.Hangup(ctx, ch, "normal")
	}
	if ses.phase != connected || ses.bridge == "" {
		drop("the call is no longer connected", ErrNoCall)
		return
	}
	if err := s.attachSoftphone(ctx, l.soft, ch); err != nil {
		drop("attaching", err)
		return
	}
	if err := s.pbx.AddToBridge(ctx, ses.bridge, ch); err != nil {
		s.cfg.Softphones.Detach(l.soft, ch)
		drop("bridging", err)
		return
	}
	var sups []*supervision
	for _, sup := range ses.sups {
		if sup.up {
			ses.detach(ctx, sup)
			sups = append(sups, sup)
		}
	}
	old, wasAttached := l.channel, l.attached
	l.channel, l.attached = ch, true
	s.disown(old)
	if wasAttached {
		s.cfg.Softphones.Detach(l.soft, old)
	}
	if err := s.pbx.Hangup(ctx, old, "normal"); err != nil && !errors.Is(gone(err), ErrGone) {
		ses.log.Debug("hanging up the softphone's old channel", "error", err)
	}
	for _, sup := range sups {
		ses.attach(ctx, sup)
	}
	if ses.held {
		ses.persist(PhaseHeld)
	} else {
		ses.persist(PhaseTalking)
	}
	ses.log.Info("agent's softphone reconnected", "agent", l.offer.Agent, "channel", ch)
}
