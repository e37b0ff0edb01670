package console

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/pion/sdp/v3"

	"github.com/hotline-ivr/hotline/console/softphone"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// The browser softphone's signalling and the calls' buttons on it.
//
// A signed-in user whose phone is the browser (its device is
// acd.SoftphonePrefix + its softphone ID) keeps one session on the
// softphone gateway: POST /api/softphone carries the page's SDP offer and
// answers the gateway's answer, complete with its ICE candidates; the page
// trickles its own candidates to POST /api/softphone/candidate; DELETE
// /api/softphone ends it, and so does signing out (or the sign-in's
// expiry, when the console notices it). POST /api/softphone/mute mutes the
// browser's audio towards the call. The calls themselves are the agent's:
// POST /api/agents/{id}/answer, /reject, /hangup and /dtmf, through [ACD].

// SoftphoneOffer is the body of POST /api/softphone: the page's SDP offer.
type SoftphoneOffer struct {
	SDP string `json:"sdp"`
}

// SoftphoneAnswer answers POST /api/softphone: the gateway's SDP answer,
// which holds all its ICE candidates, and the session's ID (the device is
// acd.SoftphonePrefix + Session).
type SoftphoneAnswer struct {
	SDP     string `json:"sdp"`
	Session string `json:"session"`
}

// SoftphoneConfig answers GET /api/softphone: what the page's
// RTCPeerConnection is to be made with. The gateway is a lite ICE agent
// on addresses browsers reach; a browser behind a NAT or a firewall that
// lets no UDP out reaches it through the configured TURN servers (one
// that shares a secret with Hotline with a username and credential of
// the signed-in user's own, valid for its TTL).
type SoftphoneConfig struct {
	ICEServers []softphone.ICEServer `json:"ice_servers"`
}

// SoftphoneCandidate is the body of POST /api/softphone/candidate: one ICE
// candidate the page trickles, as RTCIceCandidate.toJSON() writes it. An
// empty candidate (the end of the page's candidates) is accepted and
// ignored.
type SoftphoneCandidate = softphone.ICECandidate

// MuteRequest is the body of POST /api/softphone/mute.
type MuteRequest struct {
	On *bool `json:"on"`
}

// MuteState answers POST /api/softphone/mute.
type MuteState struct {
	Muted bool `json:"muted"`
}

// DTMFRequest is the body of POST /api/agents/{id}/dtmf.
type DTMFRequest struct {
	Digits string `json:"digits"`
}

// maxDTMF bounds the digits of one DTMF request: an account number, say.
const maxDTMF = 32

// openTimeout bounds POST /api/softphone: the gateway gathers its ICE
// candidates before it answers.
const openTimeout = 10 * time.Second

// errNoSoftphone answers the softphone routes of a server without one.
var errNoSoftphone = httpErrorf(http.StatusNotFound, "this server has no softphone")

// phoneID is the softphone session ID of u: its 工号 when it has one, else
// its user name.
func phoneID(u User) string {
	if u.Agent != "" {
		return u.Agent
	}
	return u.Name
}

// phoneHandler is a softphone route's handler: id is the user's session ID.
type phoneHandler func(w http.ResponseWriter, r *http.Request, sess session, id string) error

// withPhone runs h for a signed-in user who may have a softphone, on a
// server that has one.
func (s *Server) withPhone(h phoneHandler) http.Handler {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request, sess session) error {
		if s.phone == nil {
			return errNoSoftphone
		}
		u := sess.user
		if u.Agent == "" && !u.Role.can(ownSoftphone) {
			return httpErrorf(http.StatusForbidden, "role %s has no phone: the softphone is for agents, supervisors and administrators", u.Role)
		}
		return h(w, r, sess, phoneID(u))
	})
}

// device is the user's phone: its agent's device in the ACD, or its own
// configured one.
func (s *Server) device(u User) (string, error) {
	if u.Agent == "" {
		return u.Device, nil
	}
	if s.acd == nil {
		return "", errNoACD
	}
	for _, a := range s.acd.Snapshot().Agents {
		if a.ID == u.Agent {
			return a.Device, nil
		}
	}
	return "", httpErrorf(http.StatusNotFound, "agent %s is not configured on this server", u.Agent)
}

// phoneOpen handles POST /api/softphone: a new session for the user's
// page, replacing the one it had (a reloaded tab, or the page reconnecting
// after a failure). The old one is closed first, even when the new offer
// is then refused: the page sends one only to replace its connection.
func (s *Server) phoneOpen(w http.ResponseWriter, r *http.Request, sess session, id string) error {
	var req SoftphoneOffer
	if err := decode(r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.SDP) == "" {
		return httpErrorf(http.StatusBadRequest, "sdp is required: the page's SDP offer")
	}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(req.SDP); err != nil {
		return httpErrorf(http.StatusBadRequest, "sdp is not an SDP offer: %v", err)
	}
	dev, err := s.device(sess.user)
	if err != nil {
		return err
	}
	if want := acd.SoftphonePrefix + id; dev != want {
		if dev == "" {
			return httpErrorf(http.StatusConflict, "you have no phone configured; the browser softphone is device %s", want)
		}
		return httpErrorf(http.StatusConflict, "your phone is %s, not the browser softphone (%s): answer on your phone", dev, want)
	}
	ctx, cancel := context.WithTimeout(r.Context(), openTimeout)
	defer cancel()
	var answer string
	for range 2 { // a concurrent open may take the ID between close and open
		s.closePhone(id)
		_, answer, err = s.phone.Open(ctx, id, req.SDP)
		if !errors.Is(err, softphone.ErrExists) {
			break
		}
	}
	switch {
	case errors.Is(err, softphone.ErrNoPCMU):
		return httpErrorf(http.StatusBadRequest, "the offer has no audio the softphone can take: it needs PCMU/8000 (G.711 µ-law)")
	case errors.Is(err, softphone.ErrClosed):
		return httpErrorf(http.StatusServiceUnavailable, "the softphone is shutting down: try again in a moment")
	case errors.Is(err, softphone.ErrExists):
		return httpErrorf(http.StatusConflict, "another page of yours is opening the softphone at the same time: try again")
	case err != nil:
		return err
	}
	s.log.InfoContext(r.Context(), "console: softphone open", slog.String("user", sess.user.Name), slog.String("session", id))
	if agent := sess.user.Agent; agent != "" && s.acd != nil {
		// An agent in a conversation whose browser side went with a
		// restart gets it back on this connection.
		switch err := s.acd.Reconnect(r.Context(), agent); {
		case err == nil:
			s.log.InfoContext(r.Context(), "console: softphone rejoined the agent's call", slog.String("agent", agent))
		case errors.Is(err, acd.ErrNoCall), errors.Is(err, acd.ErrNotSoftphone), errors.Is(err, queue.ErrUnknownAgent):
		default:
			s.log.WarnContext(r.Context(), "console: the softphone could not rejoin the agent's call", slog.String("agent", agent), slog.Any("error", err))
		}
	}
	writeJSON(w, http.StatusOK, SoftphoneAnswer{SDP: answer, Session: id})
	return nil
}

// phoneSession is the user's open session, or a 409 saying there is none.
func (s *Server) phoneSession(id string) (*softphone.Session, error) {
	ps, err := s.phone.Session(id)
	if errors.Is(err, softphone.ErrNoSession) {
		return nil, httpErrorf(http.StatusConflict, "your softphone is not connected (no session %s): the page connects it with POST /api/softphone", id)
	}
	return ps, err
}

// phoneConfig handles GET /api/softphone: the ICE servers (STUN, TURN)
// for the page's peer connection, a TURN server with a shared secret
// with credentials of the signed-in user's own.
func (s *Server) phoneConfig(w http.ResponseWriter, _ *http.Request, ss session, _ string) error {
	servers := s.phone.ICEServersFor(ss.user.Name)
	writeJSON(w, http.StatusOK, SoftphoneConfig{ICEServers: servers})
	return nil
}

// phoneCandidate handles POST /api/softphone/candidate.
func (s *Server) phoneCandidate(w http.ResponseWriter, r *http.Request, _ session, id string) error {
	var c SoftphoneCandidate
	if err := decode(r, &c); err != nil {
		return err
	}
	ps, err := s.phoneSession(id)
	if err != nil {
		return err
	}
	if c.Candidate != "" {
		if err := ps.AddICECandidate(c); err != nil {
			return httpErrorf(http.StatusBadRequest, "the candidate was refused: %v", err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// phoneClose handles DELETE /api/softphone.
func (s *Server) phoneClose(w http.ResponseWriter, r *http.Request, sess session, id string) error {
	if _, err := s.phoneSession(id); err != nil {
		return err
	}
	s.closePhone(id)
	s.log.InfoContext(r.Context(), "console: softphone closed", slog.String("user", sess.user.Name), slog.String("session", id))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// phoneMute handles POST /api/softphone/mute.
func (s *Server) phoneMute(w http.ResponseWriter, r *http.Request, _ session, id string) error {
	var req MuteRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.On == nil {
		return httpErrorf(http.StatusBadRequest, "on is required: true to mute, false to unmute")
	}
	ps, err := s.phoneSession(id)
	if err != nil {
		return err
	}
	ps.SetMute(*req.On)
	writeJSON(w, http.StatusOK, MuteState{Muted: ps.Muted()})
	return nil
}

// closePhone closes session id if it is open.
func (s *Server) closePhone(id string) {
	if s.phone == nil {
		return
	}
	if ps, err := s.phone.Session(id); err == nil {
		if err := ps.Close(); err != nil {
			s.log.Warn("console: closing a softphone session", slog.String("session", id), slog.Any("error", err))
		}
	}
}

// signedOut closes u's softphone when u signs out or its sign-in is
// found expired. A page of u's still signed in elsewhere sees its
// connection fail and opens a new session.
func (s *Server) signedOut(u User) {
	s.closePhone(phoneID(u))
}

// agentCall is agent id's call in the snapshot, nil when it has none, and
// its device.
func (s *Server) agentCall(id string) (call *acd.CallView, device string, err error) {
	snap := s.acd.Snapshot()
	v, err := agentWithCall(snap, id)
	if err != nil {
		return nil, "", err
	}
	return v.Call, v.Device, nil
}

// ringing checks that agent id's call rings (what answer and reject act
// on) and returns its device.
func (s *Server) ringing(id string) (string, error) {
	c, dev, err := s.agentCall(id)
	switch {
	case err != nil:
		return "", err
	case c == nil:
		return "", httpErrorf(http.StatusConflict, "agent %s has no ringing call", id)
	case c.Phase != acd.CallRinging:
		return "", httpErrorf(http.StatusConflict, "agent %s has no ringing call: its call %s is %s", id, c.CallID, phaseName(c.Phase))
	}
	return dev, nil
}

// agentAnswer handles POST /api/agents/{id}/answer: the browser softphone
// answers the ringing call.
func (s *Server) agentAnswer(w http.ResponseWriter, r *http.Request, _ session) error {
	return s.act(w, r, nil, func(ctx context.Context, id string) error {
		dev, err := s.ringing(id)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(dev, acd.SoftphonePrefix) {
			return httpErrorf(http.StatusConflict, "agent %s answers on its phone, %s, not in the browser", id, dev)
		}
		if s.phone == nil {
			return errNoSoftphone
		}
		if _, err := s.phoneSession(strings.TrimPrefix(dev, acd.SoftphonePrefix)); err != nil {
			return err
		}
		return s.acd.Answer(ctx, id)
	})
}

// agentReject handles POST /api/agents/{id}/reject: the ringing call is
// refused, as a ring-no-answer.
func (s *Server) agentReject(w http.ResponseWriter, r *http.Request, _ session) error {
	return s.act(w, r, nil, func(ctx context.Context, id string) error {
		if _, err := s.ringing(id); err != nil {
			return err
		}
		return s.acd.Reject(ctx, id)
	})
}

// agentHangup handles POST /api/agents/{id}/hangup: the agent ends its
// call.
func (s *Server) agentHangup(w http.ResponseWriter, r *http.Request, _ session) error {
	return s.act(w, r, nil, func(ctx context.Context, id string) error {
		c, _, err := s.agentCall(id)
		if err != nil {
			return err
		}
		if c == nil {
			return httpErrorf(http.StatusConflict, "agent %s has no call to hang up", id)
		}
		return s.acd.Hangup(ctx, id)
	})
}

// agentDTMF handles POST /api/agents/{id}/dtmf: digits to the far end of
// the agent's call (an IVR the call was transferred to, say).
func (s *Server) agentDTMF(w http.ResponseWriter, r *http.Request, _ session) error {
	var req DTMFRequest
	return s.act(w, r, &req, func(ctx context.Context, id string) error {
		if err := checkDigits(req.Digits); err != nil {
			return err
		}
		c, _, err := s.agentCall(id)
		switch {
		case err != nil:
			return err
		case c == nil:
			return httpErrorf(http.StatusConflict, "agent %s has no call to send digits to", id)
		case c.Phase != acd.CallTalking:
			return httpErrorf(http.StatusConflict, "agent %s's call %s is %s: digits go only to a call in conversation", id, c.CallID, phaseName(c.Phase))
		}
		return s.acd.SendDTMF(ctx, id, req.Digits)
	})
}

// checkDigits accepts 1 to maxDTMF DTMF digits: 0-9, *, #, A-D.
func checkDigits(d string) error {
	if d == "" {
		return httpErrorf(http.StatusBadRequest, "digits is required: the DTMF digits to send (0-9, *, #, A-D)")
	}
	if len(d) > maxDTMF {
		return httpErrorf(http.StatusBadRequest, "digits has %d characters; at most %d are sent at once", len(d), maxDTMF)
	}
	for _, c := range d {
		if !strings.ContainsRune("0123456789*#ABCD", c) {
			return httpErrorf(http.StatusBadRequest, "digits %q has %q, which is not a DTMF digit (0-9, *, #, A-D)", d, c)
		}
	}
	return nil
}

// phaseName is a call phase for a message.
func phaseName(p acd.CallPhase) string {
	if p == "" {
		return string(acd.CallTalking)
	}
	return fmt.Sprint(p)
}
