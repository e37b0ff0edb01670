package console

import (
	"log/slog"
	"net/http"

	"github.com/hotline-ivr/hotline/ivr/acd"
)

// Supervision: a supervisor's phone joins an agent's call to listen, to
// whisper to the agent, or to barge in. Each start, change and end is
// logged with who did it, since listening to a call is access to the
// caller's personal data (service standards §6).

// SuperviseRequest is the body of POST /api/agents/{id}/supervise.
type SuperviseRequest struct {
	// Device may be left out: the supervisor's phone is the device of its
	// console user, like "PJSIP/2001", and no other is accepted, so that
	// nobody can make the PBX dial another number into a customer's call.
	Device string   `json:"device,omitempty"`
	Mode   acd.Mode `json:"mode"` // listen, whisper or barge
}

// SupervisionRequest is the body of POST /api/supervision/{session}.
type SupervisionRequest struct {
	Mode acd.Mode `json:"mode"`
}

// Supervision is a supervision session, as the API answers it.
type Supervision struct {
	Session string   `json:"session"`
	Agent   string   `json:"agent,omitempty"`
	Mode    acd.Mode `json:"mode"`
}

func checkMode(m acd.Mode) error {
	if !m.Valid() {
		return httpErrorf(http.StatusBadRequest, "mode must be listen, whisper or barge, not %q", m)
	}
	return nil
}

// supervise handles POST /api/agents/{id}/supervise.
func (s *Server) supervise(w http.ResponseWriter, r *http.Request, sess session) error {
	var req SuperviseRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := checkMode(req.Mode); err != nil {
		return err
	}
	device := sess.user.Device
	switch {
	case device == "":
		return httpErrorf(http.StatusForbidden, "no device is configured for you to listen in from: an administrator gives your user its phone (device, like PJSIP/2001)")
	case req.Device != "" && req.Device != device:
		s.log.WarnContext(r.Context(), "console: supervision from another device refused", slog.String("user", sess.user.Name),
			slog.String("device", req.Device), slog.String("own_device", device))
		return httpErrorf(http.StatusForbidden, "you may listen in only from your own device, %s, not %s", device, req.Device)
	}
	agent := r.PathValue("id")
	id, err := s.acd.Supervise(r.Context(), agent, device, req.Mode)
	if err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "console: supervision started", slog.String("user", sess.user.Name),
		slog.String("agent", agent), slog.String("device", device), slog.String("mode", string(req.Mode)), slog.String("session", id))
	writeJSON(w, http.StatusOK, Supervision{Session: id, Agent: agent, Mode: req.Mode})
	return nil
}

// setSupervision handles POST /api/supervision/{session}: a change of mode.
func (s *Server) setSupervision(w http.ResponseWriter, r *http.Request, sess session) error {
	var req SupervisionRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := checkMode(req.Mode); err != nil {
		return err
	}
	id := r.PathValue("session")
	if err := s.acd.SetSupervision(r.Context(), id, req.Mode); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "console: supervision changed", slog.String("user", sess.user.Name),
		slog.String("session", id), slog.String("mode", string(req.Mode)))
	writeJSON(w, http.StatusOK, Supervision{Session: id, Mode: req.Mode})
	return nil
}

// endSupervision handles DELETE /api/supervision/{session}.
func (s *Server) endSupervision(w http.ResponseWriter, r *http.Request, sess session) error {
	id := r.PathValue("session")
	if err := s.acd.EndSupervision(r.Context(), id); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "console: supervision ended", slog.String("user", sess.user.Name), slog.String("session", id))
	w.WriteHeader(http.StatusNoContent)
	return nil
}
