package aritest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The control API lets another process script the emulator over HTTP
// (cmd/ariemu with a load generator): the same Dial, Party and Endpoint
// operations as the Go scripting API, under /aritest/, behind the same
// credentials as the ARI. It is not part of ARI and Asterisk has nothing
// like it.
//
//	POST   /aritest/calls                 {"from","to","name","language"} -> 201 call
//	GET    /aritest/calls/{id}            -> call (state, heard, hung_up, cause)
//	GET    /aritest/calls/{id}/wait?heard=URI|state=Up|hangup=1&timeout=10s
//	POST   /aritest/calls/{id}/dtmf?digits=12#
//	POST   /aritest/calls/{id}/tone?freq=440&ms=1000
//	DELETE /aritest/calls/{id}
//	POST   /aritest/endpoints             {"tech","resource","behavior","delay"}
//	GET    /aritest/stats
//	POST   /aritest/load                  LoadSpec -> 202; GET /aritest/load -> LoadStatus
type controlCall struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	State    string         `json:"state"`
	HungUp   bool           `json:"hung_up"`
	Cause    int            `json:"cause,omitempty"`
	HungUpBy string         `json:"hung_up_by,omitempty"`
	Heard    []controlHeard `json:"heard"`
}

type controlHeard struct {
	Media string `json:"media"`
	State string `json:"state"`
	Start string `json:"start"`
	End   string `json:"end,omitempty"`
}

func callJSON(p *Party, sn Snapshot) controlCall {
	c := controlCall{ID: p.ch.id, Name: p.ch.name, State: sn.State, HungUp: sn.HungUp, Cause: sn.Cause, HungUpBy: sn.HungUpBy, Heard: []controlHeard{}}
	for _, h := range sn.Heard {
		ch := controlHeard{Media: h.Media, State: h.State, Start: ariTime(h.Start)}
		if !h.End.IsZero() {
			ch.End = ariTime(h.End)
		}
		c.Heard = append(c.Heard, ch)
	}
	return c
}

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request, path string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case r.Method == http.MethodPost && path == "/calls":
		var req struct{ From, To, Name, Language string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.To == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "want a JSON body with at least \"to\""})
			return
		}
		p, err := s.Dial(r.Context(), Call{From: req.From, To: req.To, Name: req.Name, Language: req.Language})
		switch {
		case errors.Is(err, ErrDeclined):
			writeJSON(w, http.StatusForbidden, map[string]string{"message": err.Error()})
			return
		case errors.Is(err, ErrUnallocated):
			writeJSON(w, http.StatusNotFound, map[string]string{"message": err.Error()})
			return
		case err != nil:
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": err.Error()})
			return
		}
		s.mu.Lock()
		s.parties[p.ch.id] = p
		s.mu.Unlock()
		writeJSON(w, http.StatusCreated, callJSON(p, p.Snapshot()))
	case r.Method == http.MethodPost && path == "/endpoints":
		var req struct{ Tech, Resource, Behavior, Delay string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Resource == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "want a JSON body with at least \"resource\""})
			return
		}
		b, err := ParseBehavior(req.Behavior, req.Delay)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
			return
		}
		s.AddEndpoint(orDefault(req.Tech, "PJSIP"), req.Resource, b)
		w.WriteHeader(http.StatusNoContent)
	case path == "/load":
		s.serveLoad(w, r)
	case r.Method == http.MethodGet && path == "/stats":
		writeJSON(w, http.StatusOK, s.Stats())
	case len(segs) >= 2 && segs[0] == "calls":
		s.mu.Lock()
		p := s.parties[segs[1]]
		s.mu.Unlock()
		if p == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"message": "no such call"})
			return
		}
		s.controlCallOp(w, r, p, segs[2:])
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Resource not found"})
	}
}

func (s *Server) controlCallOp(w http.ResponseWriter, r *http.Request, p *Party, rest []string) {
	q := r.URL.Query()
	op := ""
	if len(rest) > 0 {
		op = rest[0]
	}
	var err error
	switch {
	case r.Method == http.MethodGet && op == "":
		writeJSON(w, http.StatusOK, callJSON(p, p.Snapshot()))
		return
	case r.Method == http.MethodDelete && op == "":
		err = p.Hangup()
	case r.Method == http.MethodPost && op == "dtmf":
		err = p.Press(q.Get("digits"))
	case r.Method == http.MethodPost && op == "tone":
		freq, _ := strconv.ParseFloat(q.Get("freq"), 64)
		ms, _ := strconv.Atoi(q.Get("ms"))
		if freq <= 0 || ms <= 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "want freq>0 and ms>0"})
			return
		}
		err = p.SendTone(time.Duration(ms)*time.Millisecond, freq)
	case r.Method == http.MethodGet && op == "wait":
		timeout, perr := time.ParseDuration(orDefault(q.Get("timeout"), "10s"))
		if perr != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "timeout: " + perr.Error()})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		heard, state, hangup := q.Get("heard"), q.Get("state"), q.Get("hangup") != ""
		sn, werr := p.Wait(ctx, func(sn Snapshot) bool {
			switch {
			case hangup:
				return sn.HungUp
			case state != "":
				return sn.State == state || sn.HungUp
			}
			for _, h := range sn.Heard {
				if matchMedia(heard, h.Media) {
					return true
				}
			}
			return sn.HungUp
		})
		status := http.StatusOK
		if werr != nil {
			status = http.StatusRequestTimeout
		}
		writeJSON(w, status, callJSON(p, sn))
		return
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Resource not found"})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusConflict, map[string]string{"message": err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ParseBehavior reads "answer"/"manual"/"never"/"reject"/"busy" and a delay.
func ParseBehavior(name, delay string) (Behavior, error) {
	var d time.Duration
	if delay != "" {
		var err error
		if d, err = time.ParseDuration(delay); err != nil {
			return Behavior{}, errors.New("delay: " + err.Error())
		}
	}
	switch name {
	case "", "answer":
		return AnswerAfter(d), nil
	case "manual":
		return ManualAnswer(), nil
	case "never":
		return NeverAnswer(), nil
	case "reject":
		return Reject(d), nil
	case "busy":
		return Busy(), nil
	}
	return Behavior{}, errors.New("behavior: want answer, manual, never, reject or busy, got " + strconv.Quote(name))
}
