package softphone

import (
	"time"
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
	// ReasonICE: the ICE connection has been disconnected (nothing from
	// the browser, not even its connectivity checks, for
	// [Config.ICEDisconnectedTimeout]) for [Config.ICEGrace] more. The session stays open (ICE may yet recover,
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
	period := min(g.cfg.NoMediaTimeout, g.cfg.ICEGrace, g.cfg.ICEDisconnectedTimeout) / 4
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
	// ICE: disconnected once nothing has come from the browser for
	// ICEDisconnectedTimeout, reported after ICEGrace more; anything
	// heard again makes it connected (and reportable again).
	heard := time.Unix(0, s.heard.Load())
	since := heard.Add(s.g.cfg.ICEDisconnectedTimeout)
	s.mu.Lock()
	if now.Before(since) {
		s.iceReported = false
	}
	due := !now.Before(since) && !s.iceReported && !s.dead && !s.closing && now.Sub(since) >= s.g.cfg.ICEGrace
	if due {
		s.iceReported = true
	}
	s.mu.Unlock()
	if due {
		s.report(Report{Call: s.Call(), Reason: ReasonICE, At: now,
			Detail: "nothing from the browser (media or ICE checks) for " + now.Sub(heard).Round(time.Millisecond).String()})
	}
}

// report hands r, about s, to Config.OnDead.
func (s *Session) report(r Report) {
	r.Session = s.id
	s.g.log.Warn("softphone: browser lost", "session", s.id, "call", r.Call, "reason", string(r.Reason), "detail", r.Detail)
	if f := s.g.cfg.OnDead; f != nil {
		f(r)
	}
}
