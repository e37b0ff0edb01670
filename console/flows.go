package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/hotline-ivr/hotline/callflow"
)

// Flows is the flow registry as administrators use it.
type Flows interface {
	// Reload reads the flow files again. The report lists every problem;
	// a file with problems never replaces the version that is active.
	Reload(ctx context.Context) (callflow.Report, error)
	// List returns the active flows.
	List() []*callflow.Flow
}

// FlowView is an active flow.
type FlowView struct {
	Name      string   `json:"name"`
	File      string   `json:"file"`
	Version   int      `json:"version"`
	Numbers   []string `json:"numbers"`
	Languages []string `json:"languages"`
}

// FlowVersion names one version of a flow.
type FlowVersion struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
}

// ProblemView is one problem with a flow file, where it is and how to fix
// it.
type ProblemView struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

// ReloadView is the answer to POST /api/admin/flows/reload: 200 when every
// file is valid, 422 with Error and Problems when some are not (the valid
// ones are loaded all the same; the others keep their old version).
type ReloadView struct {
	Error     string        `json:"error,omitempty"`
	Loaded    []FlowVersion `json:"loaded"`    // new versions now active
	Unchanged []FlowVersion `json:"unchanged"` // files that did not change
	Kept      []FlowVersion `json:"kept"`      // invalid files: their old version stays active
	Removed   []string      `json:"removed"`   // flows no file defines any more
	Problems  []ProblemView `json:"problems"`
}

// reloadFlows handles POST /api/admin/flows/reload.
func (s *Server) reloadFlows(w http.ResponseWriter, r *http.Request, sess session) error {
	if err := decode(r, &struct{}{}); err != nil {
		return err
	}
	rep, err := s.flows.Reload(r.Context())
	problems := rep.Problems
	if ps, ok := errors.AsType[callflow.Problems](err); ok && len(problems) == 0 {
		problems = ps
	}
	if err != nil && len(problems) == 0 {
		return fmt.Errorf("reload flows: %w", err)
	}

	// The report names unchanged and kept flows; their versions are the
	// active ones.
	active := map[string]int{}
	for _, f := range s.flows.List() {
		active[f.Name] = f.Version
	}
	versions := func(names []string) []FlowVersion {
		out := []FlowVersion{}
		for _, n := range names {
			out = append(out, FlowVersion{n, active[n]})
		}
		return out
	}
	v := ReloadView{
		Loaded: []FlowVersion{}, Unchanged: versions(rep.Unchanged), Kept: versions(rep.Kept),
		Removed: append([]string{}, rep.Removed...), Problems: []ProblemView{},
	}
	for _, f := range rep.Loaded {
		v.Loaded = append(v.Loaded, FlowVersion{f.Name, f.Version})
	}
	for _, p := range problems {
		v.Problems = append(v.Problems, ProblemView{File: p.File, Line: p.Line, Field: p.Field, Message: p.Msg, Hint: p.Hint})
	}
	s.log.InfoContext(r.Context(), "console: flows reloaded", "user", sess.user.Name,
		"loaded", len(v.Loaded), "kept", len(v.Kept), "removed", len(v.Removed), "problems", len(v.Problems))
	if len(problems) > 0 {
		v.Error = fmt.Sprintf("the flow files have %d problem(s); no invalid file was loaded", len(problems))
		writeJSON(w, http.StatusUnprocessableEntity, v)
		return nil
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// listFlows handles GET /api/admin/flows.
func (s *Server) listFlows(w http.ResponseWriter, r *http.Request, _ session) error {
	out := []FlowView{}
	for _, f := range s.flows.List() {
		out = append(out, FlowView{
			Name: f.Name, File: f.File, Version: f.Version,
			Numbers:   append([]string{}, f.Numbers...),
			Languages: append([]string{}, f.Languages...),
		})
	}
	writeJSON(w, http.StatusOK, struct {
		Flows []FlowView `json:"flows"`
	}{out})
	return nil
}
