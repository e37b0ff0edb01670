package console

import (
	"net/http"
	"slices"
	"time"
)

// GET /api/qa/calibrations: the calibration sessions, for the
// calibration page. A supervisor, manager or administrator sees every
// one and the users they may pick as reviewers; any other reviewer sees
// only those they are in. Each shows who has submitted, never anyone's
// answers (those are the report's, once every reviewer has submitted).

// CalibrationView is a calibration session in the list.
type CalibrationView struct {
	ID               int64     `json:"id"`
	CallID           string    `json:"call_id"`
	Agent            string    `json:"agent"`
	Scorecard        string    `json:"scorecard"`
	ScorecardVersion int       `json:"scorecard_version"`
	Reviewers        []string  `json:"reviewers"`
	Submitted        []string  `json:"submitted"`
	Pending          []string  `json:"pending"`
	CreatedBy        string    `json:"created_by"`
	CreatedAt        time.Time `json:"created_at"`
	RecordingID      string    `json:"recording_id"`
}

// CalibrationsView is the answer of GET /api/qa/calibrations; Reviewers
// (the users who review calls) for the roles that set calibrations up,
// else empty.
type CalibrationsView struct {
	Calibrations []CalibrationView `json:"calibrations"`
	Reviewers    []string          `json:"reviewers"`
}

// listCalibrations handles GET /api/qa/calibrations?limit=, newest first.
func (s *Server) listCalibrations(w http.ResponseWriter, r *http.Request, sess session) error {
	q, err := onlyParams(r, "limit")
	if err != nil {
		return err
	}
	limit, err := limitParam(first(q, "limit"))
	if err != nil {
		return err
	}
	u := sess.user
	in := u.Name
	out := CalibrationsView{Calibrations: []CalibrationView{}, Reviewers: []string{}}
	if u.Role.can(superviseQA) {
		in = ""
		for _, o := range s.users {
			if o.Role.can(reviewCalls) {
				out.Reviewers = append(out.Reviewers, o.Name)
			}
		}
		slices.Sort(out.Reviewers)
	}
	list, err := s.qa.Calibrations(r.Context(), in, limit)
	if err != nil {
		return err
	}
	for _, c := range list {
		rec, err := s.qa.Recording(r.Context(), c.CallID, c.Agent)
		if err != nil {
			return err
		}
		v := CalibrationView{ID: c.ID, CallID: c.CallID, Agent: c.Agent, Scorecard: c.Scorecard, ScorecardVersion: c.ScorecardVersion,
			Reviewers: nonNilStrings(c.Reviewers), Submitted: nonNilStrings(c.Submitted), Pending: []string{},
			CreatedBy: c.CreatedBy, CreatedAt: c.Created, RecordingID: rec}
		for _, name := range c.Reviewers {
			if !slices.Contains(c.Submitted, name) {
				v.Pending = append(v.Pending, name)
			}
		}
		out.Calibrations = append(out.Calibrations, v)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
