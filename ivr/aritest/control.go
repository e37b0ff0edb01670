package aritest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The control API lets another process script the emulator over HTTP
// (cmd/ariemu with a load generator): the same Dial, Party and Endpoint
// operations as the Go scripting API, under /aritest/, behind the same
// credentials as the ARI. It is not part of ARI and Asterisk has nothing
// like it. Every JSON name it reads or writes is snake_case, durations are
// Go duration strings ("2s", "10m"), and errors are {"message": "..."} as
// in ARI.
//
//	POST   /aritest/calls                 {"from","to","name","language"} -> 201 call
//	GET    /aritest/calls/{id}            -> call; ended calls stay queryable (Config.CallRetention)
//	GET    /aritest/calls/{id}/wait?heard=URI|state=Up|hangup=1&timeout=10s
//	POST   /aritest/calls/{id}/dtmf?digits=12#
//	POST   /aritest/calls/{id}/tone?freq=440&ms=1000
//	DELETE /aritest/calls/{id}
//	POST   /aritest/endpoints             {"tech","resource","behavior","delay"}
//	POST   /aritest/events/cut            {"app","for"} -> 200 {"app","until"}
//	GET    /aritest/stats
//	POST   /aritest/load                  LoadSpec -> 202; GET /aritest/load -> LoadStatus
type controlCall struct {
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	State     string         `json:"state"`
	Answered  bool           `json:"answered"`
	HungUp    bool           `json:"hung_up"`
	Cause     int            `json:"cause,omitempty"`
	CauseText string         `json:"cause_txt,omitempty"`
	HungUpBy  string         `json:"hung_up_by,omitempty"`
	Heard     []controlHeard `json:"heard"`
}

type controlHeard struct {
	Media      string `json:"media"`
	Language   string `json:"language,omitempty"`
	PlaybackID string `json:"playback_id,omitempty"`
	Via        string `json:"via"`
	State      string `json:"state"`
	Start      string `json:"start"`
	End        string `json:"end,omitempty"`
}

func callJSON(p *Party, sn Snapshot) controlCall {
	c := controlCall{ID: p.ch.id, Name: p.ch.name, State: sn.State, Answered: sn.Answered, HungUp: sn.HungUp,
		Cause: sn.Cause, HungUpBy: sn.HungUpBy, Heard: []controlHeard{}}
	if sn.HungUp {
		c.CauseText = CauseText(sn.Cause)
	}
	for _, h := range sn.Heard {
		ch := controlHeard{Media: h.Media, Language: h.Language, PlaybackID: h.PlaybackID, Via: h.Via, State: h.State, Start: ariTime(h.Start)}
		if !h.End.IsZero() {
			ch.End = ariTime(h.End)
		}
		c.Heard = append(c.Heard, ch)
	}
	return c
}

type controlDial struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Name     string `json:"name"`
	Language string `json:"language"`
}

type controlEndpoint struct {
	Tech     string `json:"tech"`
	Resource string `json:"resource"`
	Behavior string `json:"behavior"`
	Delay    string `json:"delay"`
}

// decodeControl reads a JSON body strictly: unknown names are errors.
func decodeControl(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s %s: the body is not the JSON object this wants: %w", r.Method, r.URL.Path, err)
	}
	return nil
}

func controlError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"message": fmt.Sprintf(format, args...)})
}

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request, path string) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case r.Method == http.MethodPost && path == "/calls":
		var req controlDial
		if err := decodeControl(r, &req); err != nil {
			controlError(w, http.StatusBadRequest, "%v", err)
			return
		}
		if req.To == "" {
			controlError(w, http.StatusBadRequest, "POST /aritest/calls: \"to\" (the dialled number) is required")
			return
		}
		p, err := s.Dial(r.Context(), Call{From: req.From, To: req.To, Name: req.Name, Language: req.Language})
		switch {
		case errors.Is(err, ErrDeclined):
			controlError(w, http.StatusForbidden, "%v", err)
			return
		case errors.Is(err, ErrUnallocated):
			controlError(w, http.StatusNotFound, "%v", err)
			return
		case err != nil:
			controlError(w, http.StatusServiceUnavailable, "%v", err)
			return
		}
		s.mu.Lock()
		s.keepCall(p)
		s.mu.Unlock()
		writeJSON(w, http.StatusCreated, callJSON(p, p.Snapshot()))
	case r.Method == http.MethodPost && path == "/endpoints":
		var req controlEndpoint
		if err := decodeControl(r, &req); err != nil {
			controlError(w, http.StatusBadRequest, "%v", err)
			return
		}
		if req.Resource == "" {
			controlError(w, http.StatusBadRequest, "POST /aritest/endpoints: \"resource\" is required")
			return
		}
		b, err := ParseBehavior(req.Behavior, req.Delay)
		if err != nil {
			controlError(w, http.StatusBadRequest, "POST /aritest/endpoints: %v", err)
			return
		}
		s.AddEndpoint(orDefault(req.Tech, "PJSIP"), req.Resource, b)
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPost && path == "/events/cut":
		s.serveCut(w, r)
	case path == "/load":
		s.serveLoad(w, r)
	case r.Method == http.MethodGet && path == "/stats":
		writeJSON(w, http.StatusOK, s.Stats())
	case len(segs) >= 2 && segs[0] == "calls":
		s.mu.Lock()
		s.pruneCalls()
		p := s.parties[segs[1]]
		s.mu.Unlock()
		if p == nil {
			controlError(w, http.StatusNotFound, "no call %q (calls placed with POST /aritest/calls are kept for %s after they end)", segs[1], s.callRetention())
			return
		}
		s.controlCallOp(w, r, p, segs[2:])
	default:
		controlError(w, http.StatusNotFound, "Resource not found")
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
		freq, ferr := strconv.ParseFloat(q.Get("freq"), 64)
		ms, merr := strconv.Atoi(q.Get("ms"))
		if ferr != nil || merr != nil || freq <= 0 || ms <= 0 {
			controlError(w, http.StatusBadRequest, "tone: want freq (Hz) > 0 and ms > 0, got freq=%q ms=%q", q.Get("freq"), q.Get("ms"))
			return
		}
		err = p.SendTone(time.Duration(ms)*time.Millisecond, freq)
	case r.Method == http.MethodGet && op == "wait":
		timeout, perr := time.ParseDuration(orDefault(q.Get("timeout"), "10s"))
		if perr != nil {
			controlError(w, http.StatusBadRequest, "wait: timeout: %v", perr)
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
		controlError(w, http.StatusNotFound, "Resource not found")
		return
	}
	if err != nil {
		controlError(w, http.StatusConflict, "%v", err)
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

// endedCall is a control API call that has ended, kept for queries.
type endedCall struct {
	id string
	at time.Time
}

// Defaults of how long and how many ended control API calls are kept.
const (
	defaultCallRetention    = 10 * time.Minute
	defaultCallRetentionMax = 1000
)

func (s *Server) callRetention() time.Duration {
	if s.cfg.CallRetention == 0 {
		return defaultCallRetention
	}
	return max(s.cfg.CallRetention, 0)
}

// keepCall makes a call placed through the control API queryable by its
// id. Callers hold s.mu.
func (s *Server) keepCall(p *Party) {
	s.parties[p.ch.id] = p
	if p.ch.destroyed {
		s.retireCall(p.ch.id) // it ended before the answer went out
	}
}

// retireCall starts the retention of an ended call. Callers hold s.mu.
func (s *Server) retireCall(id string) {
	if _, kept := s.parties[id]; !kept {
		return
	}
	s.ended = append(s.ended, endedCall{id: id, at: s.now()})
	s.pruneCalls()
}

// pruneCalls forgets ended calls past their retention, and the oldest
// beyond the bound. Callers hold s.mu.
func (s *Server) pruneCalls() {
	limit := s.cfg.CallRetentionMax
	if limit == 0 {
		limit = defaultCallRetentionMax
	}
	cutoff := s.now().Add(-s.callRetention())
	n := 0
	for n < len(s.ended) && (len(s.ended)-n > max(limit, 0) || !s.ended[n].at.After(cutoff)) {
		delete(s.parties, s.ended[n].id)
		n++
	}
	if n > 0 {
		s.ended = append(s.ended[:0], s.ended[n:]...)
	}
}
