package console

import (
	"context"
	"net/http"

	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// The agents' actions, POST /api/agents/{id}/...: each answers with the
// agent as it is afterwards, its call included, so the console needs no
// second request to redraw.

// NotReadyRequest is the body of POST /api/agents/{id}/not-ready.
type NotReadyRequest struct {
	Reason string `json:"reason"` // required: a break, a meeting, training...
}

// TransferRequest is the body of POST /api/agents/{id}/transfer: exactly
// one of Queue (a blind transfer into a queue) and Agent (to a Ready agent
// by 工号).
type TransferRequest struct {
	Queue string `json:"queue,omitempty"`
	Agent string `json:"agent,omitempty"`
}

// act decodes the body into req (nil: the body must be empty or {}), runs
// do on the path's agent, and answers with the agent.
func (s *Server) act(w http.ResponseWriter, r *http.Request, req any, do func(ctx context.Context, id string) error) error {
	if req == nil {
		req = &struct{}{}
	}
	if err := decode(r, req); err != nil {
		return err
	}
	id := r.PathValue("id")
	if err := do(r.Context(), id); err != nil {
		return err
	}
	v, err := agentWithCall(s.acd.Snapshot(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) agentLogin(w http.ResponseWriter, r *http.Request, _ session) error {
	return s.act(w, r, nil, s.acd.Login)
}

func (s *Server) agentLogout(w http.ResponseWriter, r *http.Request, _ session) error {
	return s.act(w, r, nil, s.acd.Logout)
}

func (s *Server) agentReady(w http.ResponseWriter, r *http.Request, _ session) error {
	return s.act(w, r, nil, s.acd.Ready)
}

func (s *Server) agentNotReady(w http.ResponseWriter, r *http.Request, _ session) error {
	var req NotReadyRequest
	return s.act(w, r, &req, func(ctx context.Context, id string) error {
		return s.acd.NotReady(ctx, id, req.Reason)
	})
}

// agentEndWrapUp ends the agent's wrap-up early. It is Ready under another
// name, refused outside wrap-up so that a stale button cannot make a
// not-ready agent take calls.
func (s *Server) agentEndWrapUp(w http.ResponseWriter, r *http.Request, _ session) error {
	return s.act(w, r, nil, func(ctx context.Context, id string) error {
		a, err := agentWithCall(s.acd.Snapshot(), id)
		if err != nil {
			return err
		}
		if a.State != queue.WrapUp {
			return httpErrorf(http.StatusConflict, "agent %s is not in wrap-up: it is %s", id, a.State)
		}
		return s.acd.Ready(ctx, id)
	})
}

func (s *Server) agentHold(w http.ResponseWriter, r *http.Request, _ session) error {
	return s.act(w, r, nil, s.acd.Hold)
}

func (s *Server) agentUnhold(w http.ResponseWriter, r *http.Request, _ session) error {
	return s.act(w, r, nil, s.acd.Unhold)
}

// PhraseRequest is the body of POST /api/agents/{id}/phrase.
type PhraseRequest struct {
	Phrase string `json:"phrase"`
}

// PhraseView is one of the agent's scripted phrases (GET /api/phrases).
type PhraseView struct {
	Name     string `json:"name"`
	EndsCall bool   `json:"ends_call"` // a script that ends the call after its waits
}

// listPhrases handles GET /api/phrases.
func (s *Server) listPhrases(w http.ResponseWriter, _ *http.Request, _ session) error {
	var out []PhraseView
	for _, n := range acd.Phrases() {
		out = append(out, PhraseView{Name: n, EndsCall: acd.EndsCall(n)})
	}
	writeJSON(w, http.StatusOK, struct {
		Phrases []PhraseView `json:"phrases"`
	}{out})
	return nil
}

// agentPhrase handles POST /api/agents/{id}/phrase.
func (s *Server) agentPhrase(w http.ResponseWriter, r *http.Request, _ session) error {
	var req PhraseRequest
	return s.act(w, r, &req, func(ctx context.Context, id string) error {
		if req.Phrase == "" {
			return httpErrorf(http.StatusBadRequest, "phrase is required: one of GET /api/phrases")
		}
		return s.acd.Phrase(ctx, id, req.Phrase)
	})
}

// agentSurvey handles POST /api/agents/{id}/survey: the agent's part ends
// and the caller goes on to the flow's survey.
func (s *Server) agentSurvey(w http.ResponseWriter, r *http.Request, _ session) error {
	return s.act(w, r, nil, s.acd.SendToSurvey)
}

func (s *Server) agentTransfer(w http.ResponseWriter, r *http.Request, _ session) error {
	var req TransferRequest
	return s.act(w, r, &req, func(ctx context.Context, id string) error {
		switch {
		case (req.Queue == "") == (req.Agent == ""):
			return httpErrorf(http.StatusBadRequest, "give exactly one of queue and agent: where the call goes")
		case req.Agent == id:
			return httpErrorf(http.StatusBadRequest, "agent %s already has the call", id)
		case req.Queue != "":
			return s.acd.TransferToQueue(ctx, id, req.Queue)
		}
		return s.acd.TransferToAgent(ctx, id, req.Agent)
	})
}
