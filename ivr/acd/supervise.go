package acd

import (
	"context"
	"fmt"
	"time"

	"github.com/CyCoreSystems/ari/v6"
)

// supervisorRing is how long a supervisor's phone rings.
const supervisorRing = 30 * time.Second

// supervision is a supervisor on an agent's call: their phone's channel,
// bridged with a snoop on the agent's channel (ChanSpy's way): listen
// hears both sides, whisper also speaks into the agent's ear, barge
// speaks to both.
type supervision struct {
	id      string
	channel string // the supervisor's phone
	device  string
	mode    Mode
	soft    string // the supervisor's softphone session (device WebRTC/<id>): channel is its externalMedia
	up      bool   // the supervisor answered
	snoop   string // the snoop channel on the agent's leg
	bridge  string // the supervisor with the snoop
}

// Supervise rings the supervisor's device and, once answered, joins the
// agent's call in mode: listen (hear both sides), whisper (also speak to
// the agent alone) or barge (join the conversation). It returns the
// session's ID for SetSupervision and EndSupervision.
func (s *Service) Supervise(ctx context.Context, agent, device string, mode Mode) (string, error) {
	if !mode.Valid() {
		return "", fmt.Errorf("supervision mode %q: want listen, whisper or barge", mode)
	}
	if device == "" {
		return "", fmt.Errorf("supervision needs the supervisor's device (like PJSIP/2001)")
	}
	return s.onCall(ctx, agent, func(ctx context.Context, ses *session) (string, error) {
		sup := &supervision{id: s.newID(), channel: s.newID(), device: device, mode: mode}
		sup.soft, _ = softphoneID(device)
		s.ownChannel(sup.channel, ses)
		if sup.soft != "" {
			// The click is the answer: the browser's externalMedia channel
			// is made at once and joins on its StasisStart.
			host, err := s.externalHost(sup.soft)
			if err == nil {
				err = s.pbx.ExternalMedia(ctx, sup.channel, host)
			}
			if err != nil {
				s.disown(sup.channel)
				return "", fmt.Errorf("connecting the supervisor's softphone: %w", err)
			}
		} else if err := s.pbx.Originate(ctx, sup.channel, device, "Supervisor", supervisorRing, "supervisor"); err != nil {
			s.disown(sup.channel)
			return "", fmt.Errorf("ringing the supervisor at %s: %w", device, err)
		}
		ses.sups[sup.id] = sup
		s.mu.Lock()
		s.sups[sup.id] = ses
		s.mu.Unlock()
		ses.log.Info("supervisor joining", "supervision", sup.id, "device", device, "mode", mode)
		return sup.id, nil
	})
}

// SetSupervision changes a supervision's mode (say, from listen to
// whisper) without ringing the supervisor again.
func (s *Service) SetSupervision(ctx context.Context, id string, mode Mode) error {
	if !mode.Valid() {
		return fmt.Errorf("supervision mode %q: want listen, whisper or barge", mode)
	}
	_, err := s.onSupervision(ctx, id, func(ctx context.Context, ses *session, sup *supervision) error {
		if sup.mode == mode {
			return nil
		}
		if sup.up {
			ses.detach(ctx, sup)
		}
		sup.mode = mode
		if sup.up {
			ses.attach(ctx, sup)
		}
		return nil
	})
	return err
}

// EndSupervision hangs up the supervisor.
func (s *Service) EndSupervision(ctx context.Context, id string) error {
	_, err := s.onSupervision(ctx, id, func(ctx context.Context, ses *session, sup *supervision) error {
		ses.endSupervision(ctx, sup)
		return nil
	})
	return err
}

func (s *Service) onSupervision(ctx context.Context, id string, do func(context.Context, *session, *supervision) error) (string, error) {
	s.mu.Lock()
	ses := s.sups[id]
	s.mu.Unlock()
	if ses == nil {
		return "", ErrNoSupervision
	}
	v, err := ses.command(ctx, func(ctx context.Context, ses *session) (string, error) {
		sup := ses.sups[id]
		if sup == nil {
			return "", ErrNoSupervision
		}
		return "", do(ctx, ses, sup)
	})
	if err == ErrNoCall {
		err = ErrNoSupervision
	}
	return v, err
}

// supervisorEvent handles the events of a supervision's channels.
func (ses *session) supervisorEvent(ctx context.Context, id string, ev ari.Event) {
	for _, sup := range ses.sups {
		switch {
		case id == sup.channel:
			switch ev.(type) {
			case *ari.StasisStart:
				if sup.soft != "" {
					if err := ses.s.attachSoftphone(ctx, sup.soft, sup.channel); err != nil {
						ses.log.Warn("joining the supervisor's softphone", "supervision", sup.id, "error", err)
						ses.endSupervision(ctx, sup)
						return
					}
				}
				sup.up = true
				ses.attach(ctx, sup)
			case *ari.ChannelDestroyed:
				sup.up = false
				ses.endSupervision(ctx, sup)
			}
			return
		case id == sup.snoop:
			if _, ok := ev.(*ari.StasisStart); ok && sup.bridge == "" {
				ses.bridgeSnoop(ctx, sup)
			}
			return
		}
	}
}

// attach joins an answered supervisor to the call in its mode.
func (ses *session) attach(ctx context.Context, sup *supervision) {
	s := ses.s
	if ses.phase != connected || ses.leg == nil {
		return
	}
	// Every mode is a snoop on the agent's channel that hears both
	// directions; what differs is where the supervisor's voice goes.
	whisper := "none"
	switch sup.mode {
	case Whisper:
		whisper = "out" // into the agent's ear only
	case Barge:
		whisper = "both" // to the agent, and out of the agent's channel to the caller
	}
	sup.snoop = s.newID()
	s.ownChannel(sup.snoop, ses)
	if err := s.pbx.Snoop(ctx, ses.leg.channel, sup.snoop, "both", whisper, "snoop"); err != nil {
		ses.log.Warn("snooping on the agent", "error", err)
		s.disown(sup.snoop)
		sup.snoop = ""
	}
}

// bridgeSnoop puts the supervisor with the snoop once it is in Stasis.
func (ses *session) bridgeSnoop(ctx context.Context, sup *supervision) {
	s := ses.s
	id := s.newID()
	s.own(id, ses)
	if err := s.pbx.CreateBridge(ctx, id, "mixing"); err != nil {
		ses.log.Warn("bridging the supervisor", "error", err)
		s.disown(id)
		return
	}
	sup.bridge = id
	for _, ch := range []string{sup.snoop, sup.channel} {
		if err := s.pbx.AddToBridge(ctx, id, ch); err != nil {
			ses.log.Warn("bridging the supervisor", "error", err)
		}
	}
}

// detach takes the supervisor off the call, keeping their phone up.
func (ses *session) detach(ctx context.Context, sup *supervision) {
	s := ses.s
	if sup.snoop != "" {
		_ = s.pbx.Hangup(ctx, sup.snoop, "normal")
		s.disown(sup.snoop)
		sup.snoop = ""
	}
	if sup.bridge != "" {
		_ = s.pbx.DestroyBridge(ctx, sup.bridge)
		s.disown(sup.bridge)
		sup.bridge = ""
	}
}

func (ses *session) endSupervision(ctx context.Context, sup *supervision) {
	s := ses.s
	ses.detach(ctx, sup)
	if sup.soft != "" && s.cfg.Softphones != nil {
		s.cfg.Softphones.Detach(sup.soft, sup.channel)
	}
	// Ringing, up or already gone: hanging up is harmless in each case.
	_ = s.pbx.Hangup(ctx, sup.channel, "normal")
	s.disown(sup.channel)
	delete(ses.sups, sup.id)
	s.mu.Lock()
	delete(s.sups, sup.id)
	s.mu.Unlock()
	ses.log.Info("supervisor left", "supervision", sup.id)
}

func (ses *session) endSupervisions(ctx context.Context) {
	for _, sup := range ses.sups {
		ses.endSupervision(ctx, sup)
	}
}
