package softphone

import (
	"time"

	"github.com/pion/webrtc/v4"
)

// Reason says why the watchdog thinks a browser is gone.
type Reason string

const (
	// ReasonNoMedia: a call is attached and the browser has sent no RTP
	// for [Config.NoMediaTimeout] (a frozen tab, a muted-at-source
	// browser that stopped its track, a dead network path in one
	// direction). The session stays open; for the ACD, a call being
	// offered is not answered, one in progress has lost its agent.
	ReasonNoMedia Reason = "no-media"
	// ReasonICE: the ICE connection has been disconnected or failed for
	// [Config.ICEGrace]. The session stays open (ICE may yet recover,
	// and is reported again if it drops again after recovering).
	ReasonICE Reason = "ice"
	// ReasonClosed: the peer connection closed (the tab closed or the
	// browser hung up the connection: DTLS close_notify) or failed
	// outright. The session is closed and forgotten; this is the last
	// report about it.
	ReasonClosed Reason = "closed"
)

// Report is one watchdog finding.
type Report struct {
	Session string    // the session's ID
	Call    string    // the call attached when it was found, "" if none
	Reason  Reason    // why
	Detail  string    // for people: what exactly was seen
	At      time.Time // when (the gateway's clock)
}

// watch checks every session a few times per timeout until the gateway
// closes.
func (g *Gateway) watch() {
	defer g.wg.Done()
	period := min(g.cfg.NoMediaTimeout, g.cfg.ICEGrace) / 4
	if period < 10*time.Millisecond {
		period = 10 * time.Millisecond
	}
	tick := g.clock.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-tick.Chan():
			now := g.clock.Now()
			for _, s := range g.snapshot() {
				s.check(now)
			}
		}
	}
}

// check reports what is overdue on s at now.
func (s *Session) check(now time.Time) {
	if a := s.att.Load(); a != nil && !a.reported.Load() {
		last := a.at
		if rx := time.Unix(0, s.lastRx.Load()); rx.After(last) {
			last = rx
		}
		if silent := now.Sub(last); silent >= s.g.cfg.NoMediaTimeout && a.reported.CompareAndSwap(false, true) {
			s.report(Report{Call: a.call, Reason: ReasonNoMedia, At: now,
				Detail: "no RTP from the browser for " + silent.Round(time.Millisecond).String() + " with a call attached"})
		}
	}
	s.mu.Lock()
	due := !s.iceSince.IsZero() && !s.iceReported && !s.dead && !s.closing && now.Sub(s.iceSince) >= s.g.cfg.ICEGrace
	var since time.Duration
	if due {
		s.iceReported = true
		since = now.Sub(s.iceSince)
	}
	s.mu.Unlock()
	if due {
		s.report(Report{Call: s.Call(), Reason: ReasonICE, At: now,
			Detail: "ICE disconnected or failed for " + since.Round(time.Millisecond).String()})
	}
}

func (s *Session) onICEState(state webrtc.ICEConnectionState) {
	s.g.log.Info("softphone: ICE state", "session", s.id, "state", state.String())
	now := s.g.clock.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch state {
	case webrtc.ICEConnectionStateDisconnected, webrtc.ICEConnectionStateFailed:
		if s.iceSince.IsZero() {
			s.iceSince = now
		}
	case webrtc.ICEConnectionStateConnected, webrtc.ICEConnectionStateCompleted:
		s.iceSince, s.iceReported = time.Time{}, false
	}
}

func (s *Session) onPCState(state webrtc.PeerConnectionState) {
	s.g.log.Info("softphone: peer connection state", "session", s.id, "state", state.String())
	var detail string
	switch state {
	case webrtc.PeerConnectionStateClosed:
		detail = "the peer connection closed (the browser closed it, or its tab)"
	case webrtc.PeerConnectionStateFailed:
		if s.pc.ICEConnectionState() == webrtc.ICEConnectionStateFailed {
			return // ICE's grace decides
		}
		detail = "the peer connection failed (DTLS)"
	default:
		return
	}
	s.mu.Lock()
	if s.closing || s.dead {
		s.mu.Unlock()
		return
	}
	s.dead = true
	s.mu.Unlock()
	call := s.Call()
	// Close from a goroutine of our own: pion calls this handler from its
	// own, which Close would wait on.
	go func() {
		_ = s.Close()
		s.report(Report{Call: call, Reason: ReasonClosed, At: s.g.clock.Now(), Detail: detail})
	}()
}

func (s *Session) report(r Report) {
	r.Session = s.id
	s.g.log.Warn("softphone: browser lost", "session", s.id, "call", r.Call, "reason", string(r.Reason), "detail", r.Detail)
	if f := s.g.cfg.OnDead; f != nil {
		f(r)
	}
}
