package console

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/complaints/followup"
	"github.com/hotline-ivr/hotline/ivr/acd"
)

// FollowUps is the follow-up visits' service (package complaints/followup's
// Service): the console lists and reads the tasks, and an agent takes a
// preview task, calls the customer through the ACD and records the
// result; the automated visits run elsewhere (serve). followup.ErrInvalid
// is answered 400, ErrNotFound 404, ErrStep 409, each with its message.
type FollowUps interface {
	List(ctx context.Context, f followup.Filter) ([]followup.Task, error)
	Get(ctx context.Context, id string) (followup.Task, error) // with Tries
	ForComplaint(ctx context.Context, complaintID string) ([]followup.Task, error)
	Take(ctx context.Context, id, agent string) (followup.Task, error)
	// StartPreview records an attempt of the agent's and calls dial with
	// the customer's number; dial's error fails the attempt.
	StartPreview(ctx context.Context, id, agent string, dial func(ctx context.Context, number string) (callID string, err error)) (followup.Task, error)
	Record(ctx context.Context, id, agent string, o followup.Outcome) (followup.Task, error)
	// PreviewEnded takes the ACD's word on how the agent's call ended
	// (acd.Outbound*: a customer not reached ends the attempt, an agent
	// who did not answer its own phone gives it back).
	PreviewEnded(ctx context.Context, id, agent, outcome string) (followup.Task, error)
}

// OutboundDialer is the ACD's call out for an agent (*acd.Service's
// Dial): the agent's device rings first, then the customer is dialled.
// The console's [ACD] is checked for it; without it a follow-up cannot be
// called from the desk (503). acd.ErrCannotDial is answered 409.
type OutboundDialer interface {
	Dial(ctx context.Context, req acd.OutboundRequest) (callID string, err error)
}

// followUpStates are the task states, as the API names them.
var followUpStates = []followup.State{followup.Pending, followup.Dialling, followup.Offered, followup.Done, followup.Unreached, followup.Cancelled}

// openFollowUp says whether a task still waits for an attempt or a result.
func openFollowUp(st followup.State) bool {
	return st == followup.Pending || st == followup.Dialling || st == followup.Offered
}

// scoreAnswers are the follow-up's questions the desk's form asks, each a
// score from 1 to 5: the product's state and the service.
var scoreAnswers = []string{"product", "service"}

// FollowUpView is a follow-up task as a user may see it: the customer's
// number (and each attempt's) masked to its last 4 characters for the
// roles that see callers masked (agents dial through the server, never by
// hand), the times in the centre's time zone. GET /api/followups/{id}
// adds the complaint's summary and, for the roles that hear every
// recording, the original call's recording.
type FollowUpView struct {
	followup.Task
	NumberMasked bool               `json:"number_masked,omitempty"`
	Complaint    *FollowUpComplaint `json:"complaint,omitempty"`
	// RecordingID is the original call's recorded conversation, and
	// Recording its page in the API (GET /api/recordings/{id}).
	RecordingID string `json:"recording_id,omitempty"`
	Recording   string `json:"recording,omitempty"`
	// Effect is, in the answer of POST .../result, what the result did:
	// closed (the complaint is closed), reopened (the complaint is being
	// handled again), satisfied or unsatisfied (a task without a
	// complaint), done, retry (the task waits for another try, from
	// not_before) or unreached (every attempt failed).
	Effect string `json:"effect,omitempty"`
}

// FollowUpComplaint is the complaint a follow-up is for, as the agent
// calling the customer needs it.
type FollowUpComplaint struct {
	ID          string              `json:"id"`
	State       complaints.State    `json:"state"`
	Registered  time.Time           `json:"registered_at"`
	Complainant string              `json:"complainant"`
	Category    string              `json:"category"`
	Content     string              `json:"content"`
	Wants       string              `json:"wants"`
	Resolution  string              `json:"resolution"`
	Owner       string              `json:"owner"`
	Changes     []complaints.Change `json:"changes"`
}

// FollowUpListView is GET /api/followups: the tasks, those still open
// first by their next try (not_before), then the others newest first;
// the server's time, and the centre's time zone the times are given in.
type FollowUpListView struct {
	At        time.Time      `json:"at"`
	TimeZone  string         `json:"time_zone"`
	FollowUps []FollowUpView `json:"followups"`
}

// errNoFollowUps answers on a server without follow-up visits.
var errNoFollowUps = httpErrorf(http.StatusServiceUnavailable, "follow-up visits are not available on this server")

// withFollowUps runs h for a signed-in user when this server has the
// follow-up visits.
func (s *Server) withFollowUps(h handler) http.Handler {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request, sess session) error {
		if s.followUps == nil {
			return errNoFollowUps
		}
		return h(w, r, sess)
	})
}

// mayReadFollowUp says whether u sees task t: the roles that handle
// complaints see all; an agent those offered to it or taken by it, and
// those offered to its team that no agent has taken.
func (s *Server) mayReadFollowUp(u User, t followup.Task) bool {
	if u.Role.can(handleComplaints) {
		return true
	}
	if u.Agent == "" {
		return false
	}
	if t.Agent == u.Agent {
		return true
	}
	team := s.teams[u.Agent]
	return t.Agent == "" && team != "" && t.Team == team
}

// followUpView is what u sees of t.
func (s *Server) followUpView(u User, t followup.Task) FollowUpView {
	v := FollowUpView{Task: t}
	v.Created, v.NotBefore = s.centreTime(t.Created), s.centreTime(t.NotBefore)
	v.Tries = slices.Clone(t.Tries)
	if !u.Role.can(seeCallers) {
		v.Number, v.NumberMasked = maskCaller(t.Number), true
		for i := range v.Tries {
			v.Tries[i].Number = maskCaller(v.Tries[i].Number)
		}
	}
	if t.Result != nil {
		res := *t.Result
		res.At = s.centreTime(res.At)
		v.Result = &res
	}
	return v
}

// centreTime is t in the centre's time zone; the zero time stays zero.
func (s *Server) centreTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(s.location)
}

// sortFollowUps orders tasks: the open ones first, by their next try,
// then the others newest first.
func sortFollowUps(ts []followup.Task) {
	slices.SortStableFunc(ts, func(a, b followup.Task) int {
		oa, ob := openFollowUp(a.State), openFollowUp(b.State)
		switch {
		case oa && !ob:
			return -1
		case ob && !oa:
			return 1
		case oa:
			return cmp.Or(a.NotBefore.Compare(b.NotBefore), strings.Compare(a.ID, b.ID))
		}
		return cmp.Or(b.Created.Compare(a.Created), strings.Compare(b.ID, a.ID))
	})
}

// followUpFilter reads GET /api/followups's query.
func followUpFilter(r *http.Request, loc *time.Location) (followup.Filter, error) {
	q := r.URL.Query()
	f := followup.Filter{Agent: q.Get("agent"), Team: q.Get("team"), ComplaintID: q.Get("complaint")}
	for _, v := range q["state"] {
		for st := range strings.SplitSeq(v, ",") {
			if st = strings.TrimSpace(st); st == "" {
				continue
			}
			if !slices.Contains(followUpStates, followup.State(st)) {
				return f, httpErrorf(http.StatusBadRequest, "state: %q is not a follow-up state (pending, dialling, offered, done, unreached, cancelled)", st)
			}
			f.States = append(f.States, followup.State(st))
		}
	}
	switch m := followup.Mode(q.Get("mode")); m {
	case "", followup.Auto, followup.Preview:
		f.Mode = m
	default:
		return f, httpErrorf(http.StatusBadRequest, "mode: %q is not a follow-up mode (auto, preview)", m)
	}
	var err error
	if f.From, f.To, f.Limit, err = listWindow(q, loc); err != nil {
		return f, err
	}
	return f, nil
}

// listFollowUps handles GET /api/followups: supervisors, managers and
// administrators see every task; an agent those offered to it or its
// team, and those it took.
func (s *Server) listFollowUps(w http.ResponseWriter, r *http.Request, sess session) error {
	u := sess.user
	f, err := followUpFilter(r, s.location)
	if err != nil {
		return err
	}
	var ts []followup.Task
	if u.Role.can(handleComplaints) {
		if ts, err = s.followUps.List(r.Context(), f); err != nil {
			return err
		}
	} else {
		if ts, err = s.agentFollowUps(r.Context(), u, f); err != nil {
			return err
		}
	}
	sortFollowUps(ts)
	out := FollowUpListView{At: s.clock.Now().In(s.location), TimeZone: s.location.String(), FollowUps: make([]FollowUpView, 0, len(ts))}
	for _, t := range ts {
		out.FollowUps = append(out.FollowUps, s.followUpView(u, t))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// agentFollowUps lists what f selects of the tasks offered to u's agent
// or taken by it, and of those offered to its team that no agent took.
func (s *Server) agentFollowUps(ctx context.Context, u User, f followup.Filter) ([]followup.Task, error) {
	if u.Agent == "" {
		return nil, httpErrorf(http.StatusForbidden, "role %s has no follow-up visits: agents see theirs, supervisors, managers and administrators all", u.Role)
	}
	team := s.teams[u.Agent]
	if f.Agent != "" && f.Agent != u.Agent {
		return nil, httpErrorf(http.StatusForbidden, "you may see only your own follow-ups (agent %s), not %s's", u.Agent, f.Agent)
	}
	if f.Team != "" && f.Team != team {
		if team == "" {
			return nil, httpErrorf(http.StatusForbidden, "agent %s is in no team: it sees only the follow-ups offered to it", u.Agent)
		}
		return nil, httpErrorf(http.StatusForbidden, "you may see only your team's follow-ups (team %s), not team %s's", team, f.Team)
	}
	var out []followup.Task
	seen := map[string]bool{}
	add := func(ts []followup.Task) {
		for _, t := range ts {
			if !seen[t.ID] && s.mayReadFollowUp(u, t) {
				seen[t.ID] = true
				out = append(out, t)
			}
		}
	}
	if f.Team == "" {
		mine := f
		mine.Agent = u.Agent
		ts, err := s.followUps.List(ctx, mine)
		if err != nil {
			return nil, err
		}
		add(ts)
	}
	if team != "" && f.Agent == "" {
		theirs := f
		theirs.Team = team
		ts, err := s.followUps.List(ctx, theirs)
		if err != nil {
			return nil, err
		}
		add(ts)
	}
	if limit := cmp.Or(f.Limit, 50); len(out) > limit {
		sortFollowUps(out)
		out = out[:limit]
	}
	return out, nil
}

// followUpFor reads the path's task for u: one it may not see is
// answered 404, like one that does not exist.
func (s *Server) followUpFor(r *http.Request, u User) (followup.Task, error) {
	id := r.PathValue("id")
	t, err := s.followUps.Get(r.Context(), id)
	if err != nil {
		return t, err
	}
	if !s.mayReadFollowUp(u, t) {
		return followup.Task{}, fmt.Errorf("%w: %s", followup.ErrNotFound, id)
	}
	return t, nil
}

// getFollowUp handles GET /api/followups/{id}: the task with its
// attempts, its complaint's summary and, for the roles that hear every
// recording, the original call's recording.
func (s *Server) getFollowUp(w http.ResponseWriter, r *http.Request, sess session) error {
	t, err := s.followUpFor(r, sess.user)
	if err != nil {
		return err
	}
	v, err := s.followUpDetail(r.Context(), sess.user, t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// followUpDetail is t for u with its complaint and recording.
func (s *Server) followUpDetail(ctx context.Context, u User, t followup.Task) (FollowUpView, error) {
	v := s.followUpView(u, t)
	var owner string
	if t.ComplaintID != "" && s.complaints != nil {
		c, err := s.complaints.Get(ctx, t.ComplaintID)
		switch {
		case errors.Is(err, complaints.ErrNotFound):
			// gone (erased): the task is shown without it
		case err != nil:
			return v, err
		default:
			owner = c.Owner
			v.Complaint = &FollowUpComplaint{
				ID: c.ID, State: c.State, Registered: s.centreTime(c.Registered), Complainant: c.Complainant,
				Category: c.Category, Content: c.Content, Wants: c.Wants, Resolution: c.Resolution, Owner: c.Owner,
				Changes: slices.Clone(c.Changes),
			}
			if v.Complaint.Changes == nil {
				v.Complaint.Changes = []complaints.Change{}
			}
		}
	}
	// The original call's recording: the conversation of the agent who
	// took the call (the complaint's owner), for the roles that hear
	// every recording. Without QA's records it is not looked up.
	if t.CallID != "" && owner != "" && s.qa != nil && u.Role.can(hearRecordings) {
		id, err := s.qa.Recording(ctx, t.CallID, owner)
		if err != nil {
			return v, err
		}
		if id != "" {
			v.RecordingID, v.Recording = id, "/api/recordings/"+id
		}
	}
	return v, nil
}

// followUpAgent is the agent u acts as on a follow-up: its 工号.
func followUpAgent(u User) (string, error) {
	if u.Agent == "" {
		return "", httpErrorf(http.StatusForbidden, "user %s has no 工号: follow-up visits are taken, called and recorded by agents", u.Name)
	}
	return u.Agent, nil
}

// takeFollowUp handles POST /api/followups/{id}/take: the agent takes a
// task offered to it or its team.
func (s *Server) takeFollowUp(w http.ResponseWriter, r *http.Request, sess session) error {
	agent, err := followUpAgent(sess.user)
	if err != nil {
		return err
	}
	if err := decode(r, &struct{}{}); err != nil {
		return err
	}
	t, err := s.followUpFor(r, sess.user)
	if err != nil {
		return err
	}
	if t, err = s.followUps.Take(r.Context(), t.ID, agent); err != nil {
		return err
	}
	return s.followUpAnswer(w, r, sess.user, t, "take")
}

// dialFollowUp handles POST /api/followups/{id}/dial: the agent calls the
// customer of a task it took, through the ACD (its own phone rings
// first), for the task's hotline, the call linked to the original one.
func (s *Server) dialFollowUp(w http.ResponseWriter, r *http.Request, sess session) error {
	agent, err := followUpAgent(sess.user)
	if err != nil {
		return err
	}
	if err := decode(r, &struct{}{}); err != nil {
		return err
	}
	t, err := s.followUpFor(r, sess.user)
	if err != nil {
		return err
	}
	dialer, ok := s.acd.(OutboundDialer)
	if !ok {
		return httpErrorf(http.StatusServiceUnavailable, "calling out is not available on this server: its ACD does not dial")
	}
	id, hotline, original := t.ID, t.Hotline, t.CallID
	dial := func(ctx context.Context, number string) (string, error) {
		return dialer.Dial(ctx, acd.OutboundRequest{
			Agent: agent, Number: number, Hotline: hotline,
			Ref: "followup:" + id, LinkedCallID: original,
			Ended: func(outcome string) { s.followUpCallEnded(id, agent, outcome) },
		})
	}
	if t, err = s.followUps.StartPreview(r.Context(), id, agent, dial); err != nil {
		return err
	}
	return s.followUpAnswer(w, r, sess.user, t, "dial")
}

// recordFollowUp handles POST /api/followups/{id}/result: the agent's
// result of a task it called (followup.Outcome).
func (s *Server) recordFollowUp(w http.ResponseWriter, r *http.Request, sess session) error {
	agent, err := followUpAgent(sess.user)
	if err != nil {
		return err
	}
	var o followup.Outcome
	if err := decode(r, &o); err != nil {
		return err
	}
	o.Note = strings.TrimSpace(o.Note)
	if err := checkOutcome(o); err != nil {
		return err
	}
	t, err := s.followUpFor(r, sess.user)
	if err != nil {
		return err
	}
	if t, err = s.followUps.Record(r.Context(), t.ID, agent, o); err != nil {
		return err
	}
	return s.followUpAnswer(w, r, sess.user, t, "result")
}

// checkOutcome checks an agent's result, naming the field at fault: a
// customer reached says whether it is satisfied, one not satisfied says
// why (the note), the scores are from 1 to 5, and a customer not reached
// answered nothing.
func checkOutcome(o followup.Outcome) error {
	if !o.Reached {
		switch {
		case o.Satisfied != nil:
			return httpErrorf(http.StatusBadRequest, "satisfied: a customer who was not reached gave no answer (leave it out)")
		case len(o.Answers) > 0:
			return httpErrorf(http.StatusBadRequest, "answers: a customer who was not reached gave no answers (leave them out)")
		}
		return nil
	}
	if o.Satisfied == nil {
		return httpErrorf(http.StatusBadRequest, "satisfied: say whether the customer is satisfied (required when reached)")
	}
	if !*o.Satisfied && o.Note == "" {
		return httpErrorf(http.StatusBadRequest, "note: say what the customer is not satisfied with (required when not satisfied)")
	}
	for _, q := range scoreAnswers {
		v, ok := o.Answers[q]
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 5 {
			return httpErrorf(http.StatusBadRequest, "answers.%s: %q is not a score from 1 to 5", q, v)
		}
	}
	return nil
}

// followUpAnswer answers a step on t with the task as u sees it (with
// its complaint), what a result did, and tells the complaint's pages.
func (s *Server) followUpAnswer(w http.ResponseWriter, r *http.Request, u User, t followup.Task, step string) error {
	v, err := s.followUpDetail(r.Context(), u, t)
	if err != nil {
		return err
	}
	if step == "result" {
		v.Effect = followUpEffect(t, v.Complaint)
	}
	if t.ComplaintID != "" {
		ev := complaintEvent{ID: t.ComplaintID, Kind: "followup_" + step}
		if v.Complaint != nil {
			ev.Owner = v.Complaint.Owner
		}
		s.complaintEvents.publish(ev)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// followUpEffect says what a recorded result did (FollowUpView.Effect):
// from the complaint's state after it when the task has one.
func followUpEffect(t followup.Task, c *FollowUpComplaint) string {
	switch t.State {
	case followup.Pending, followup.Offered, followup.Dialling:
		return "retry"
	case followup.Unreached:
		return "unreached"
	case followup.Cancelled:
		return "cancelled"
	}
	if c != nil {
		switch c.State {
		case "closed":
			return "closed"
		case "registered", "notified", "in_progress":
			return "reopened"
		}
	}
	if t.Result != nil && t.Result.Satisfied != nil {
		if *t.Result.Satisfied {
			return "satisfied"
		}
		return "unsatisfied"
	}
	return "done"
}

// complaintFollowUps are a complaint's follow-ups, with their attempts,
// as u sees them; nil on a server without follow-ups.
func (s *Server) complaintFollowUps(ctx context.Context, u User, complaintID string) ([]FollowUpView, error) {
	if s.followUps == nil {
		return nil, nil
	}
	ts, err := s.followUps.ForComplaint(ctx, complaintID)
	if err != nil {
		return nil, err
	}
	out := make([]FollowUpView, 0, len(ts))
	for _, t := range ts {
		if t.Attempts > 0 && len(t.Tries) == 0 {
			if t, err = s.followUps.Get(ctx, t.ID); err != nil {
				return nil, err
			}
		}
		out = append(out, s.followUpView(u, t))
	}
	return out, nil
}

// FollowUpChanged tells the pages of a follow-up task's complaint that
// the task moved on (the automated service's attempts and results: the
// console's own steps tell them already). It returns at once.
func (s *Server) FollowUpChanged(t followup.Task) {
	if t.ComplaintID == "" {
		return
	}
	s.complaintEvents.publish(complaintEvent{ID: t.ComplaintID, Kind: "followup_" + string(t.State), Owner: t.Agent})
}

// followUpCallEnded tells the follow-ups how an agent's call of task id
// ended (the ACD calls it on the call's goroutine, which it must not
// hold up), and the task's complaint pages that it moved.
func (s *Server) followUpCallEnded(id, agent, outcome string) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		t, err := s.followUps.PreviewEnded(ctx, id, agent, outcome)
		if err != nil {
			s.log.Error("console: the end of an agent's follow-up call was not kept", "followup", id, "agent", agent, "outcome", outcome, "error", err)
			return
		}
		s.FollowUpChanged(t)
	}()
}
