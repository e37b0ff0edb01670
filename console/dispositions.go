package console

import (
	"context"
	"net/http"
)

// Dispositioner takes the code and note an agent gives its call at
// wrap-up (*acd.Service): acd.ErrBadDisposition (a code not in the
// list) is answered 400, queue.ErrNoCallToDispose (no call on hand or in
// wrap-up) 409. A queue that requires one keeps its agent in wrap-up
// until then: ready is refused with queue.ErrNoDisposition (409).
type Dispositioner interface {
	SetDisposition(ctx context.Context, agent, code, note string) error
}

// DispositionView is one code agents may give a call: an inquiry or
// complaint category, named in zh and en.
type DispositionView struct {
	Code string `json:"code"`
	Kind string `json:"kind"` // inquiry or complaint
	Zh   string `json:"zh"`
	En   string `json:"en"`
}

// DispositionRequest is the body of POST /api/agents/{id}/disposition.
type DispositionRequest struct {
	Code string `json:"code"`
	Note string `json:"note,omitempty"`
}

// errNoDispositions answers on a server without an ACD to take them.
var errNoDispositions = httpErrorf(http.StatusServiceUnavailable, "dispositions are not available on this server")

// listDispositions handles GET /api/dispositions: the codes, for the
// wrap-up form.
func (s *Server) listDispositions(w http.ResponseWriter, _ *http.Request, _ session) error {
	writeJSON(w, http.StatusOK, struct {
		Dispositions []DispositionView `json:"dispositions"`
	}{append([]DispositionView{}, s.dispositionCodes...)})
	return nil
}

// agentDisposition handles POST /api/agents/{id}/disposition.
func (s *Server) agentDisposition(w http.ResponseWriter, r *http.Request, _ session) error {
	if s.dispositions == nil {
		return errNoDispositions
	}
	var req DispositionRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Code == "" {
		return httpErrorf(http.StatusBadRequest, "code is required: one of GET /api/dispositions")
	}
	id := r.PathValue("id")
	if err := s.dispositions.SetDisposition(r.Context(), id, req.Code, req.Note); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, DispositionRequest{Code: req.Code, Note: req.Note})
	return nil
}
