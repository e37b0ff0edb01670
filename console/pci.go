package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// PCIControl pauses and resumes the recording of an agent's current call
// while the caller gives card data by voice (*acd.Service). The paused
// time is silence in the recording, and each pause and resume is a marker
// of its timeline with the reason. acd.ErrNoCall (the agent has no
// recorded call) is answered 409.
type PCIControl interface {
	PauseRecording(ctx context.Context, agent, reason string) error
	ResumeRecording(ctx context.Context, agent, reason string) error
}

// errNoPCI answers the PCI endpoints on a server that cannot pause
// recordings.
var errNoPCI = httpErrorf(http.StatusServiceUnavailable, "pausing call recordings is not available on this server")

// PCIView is the answer to a PCI pause or resume.
type PCIView struct {
	Agent     string `json:"agent"`
	Recording string `json:"recording"` // "paused" or "resumed"
	Reason    string `json:"reason"`
}

// forAgentRecording runs h on the agent {id} of the path for a user who
// may pause its recording: the agent itself, on its own call, or a
// supervisor or administrator (the roles that act on every agent).
func (s *Server) forAgentRecording(h handler) http.Handler {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request, sess session) error {
		id := r.PathValue("id")
		switch u := sess.user; {
		case u.Role.can(actOnAll), id == u.Agent && u.Agent != "":
		case u.Agent == "":
			return httpErrorf(http.StatusForbidden, "role %s pauses no agent's recording: only the agent, supervisors and administrators do", u.Role)
		default:
			return httpErrorf(http.StatusForbidden, "you may pause only your own call's recording (agent %s), not agent %s's", u.Agent, id)
		}
		if s.pci == nil {
			return errNoPCI
		}
		return h(w, r, sess)
	})
}

// pciReason reads the body's reason. A pause or resume by someone else
// than the agent names them in the reason, which the recording's marker
// keeps: "taking the card number (by supervisor wang)".
func pciReason(r *http.Request, sess session) (string, error) {
	var req ReasonRequest
	if err := decode(r, &req); err != nil {
		return "", err
	}
	reason := strings.TrimSpace(req.Reason)
	if reason == "" {
		return "", httpErrorf(http.StatusBadRequest, "reason is required: the recording's timeline keeps why it was paused")
	}
	if u := sess.user; u.Agent != r.PathValue("id") || u.Agent == "" {
		reason = fmt.Sprintf("%s (by %s %s)", reason, u.Role, u.Name)
	}
	return reason, nil
}

// pciPause handles POST /api/agents/{id}/recording/pause.
func (s *Server) pciPause(w http.ResponseWriter, r *http.Request, sess session) error {
	reason, err := pciReason(r, sess)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := s.pci.PauseRecording(r.Context(), id, reason); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, PCIView{Agent: id, Recording: "paused", Reason: reason})
	return nil
}

// pciResume handles POST /api/agents/{id}/recording/resume.
func (s *Server) pciResume(w http.ResponseWriter, r *http.Request, sess session) error {
	reason, err := pciReason(r, sess)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := s.pci.ResumeRecording(r.Context(), id, reason); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, PCIView{Agent: id, Recording: "resumed", Reason: reason})
	return nil
}
