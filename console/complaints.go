package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// Complaints is the complaint workflow (*complaints.Service): the console
// registers complaints, reads them and acts on them; the clocks, warnings
// and notices run elsewhere (serve). complaints.ErrInvalid is answered
// 400, ErrNotFound 404, ErrStep 409, each with its message. List must
// honour Filter.Unowned: an agent's list is its own complaints and those
// nobody owns yet.
type Complaints interface {
	Register(ctx context.Context, r complaints.Registration, owner string) (complaints.Complaint, error)
	Get(ctx context.Context, id string) (complaints.Complaint, error)
	List(ctx context.Context, f complaints.Filter) ([]complaints.Complaint, error)
	Act(ctx context.Context, id, actor string, a complaints.Action, note, team string) (complaints.Complaint, error)
}

// ComplaintsByContact is what a [Complaints] may also do: list a
// contact's complaints in the given states, newest first, at most limit.
// The screen pop uses it when the Complaints has it; without it the
// console lists the open complaints (at most 500) and picks the caller's.
type ComplaintsByContact interface {
	ListByContact(ctx context.Context, contact string, states []complaints.State, limit int) ([]complaints.Complaint, error)
}

// The complaint states that are still open (not closed).
var openStates = []complaints.State{"registered", "notified", "in_progress", "resolved", "followed_up"}

// complaintActions are the workflow's actions, as the path names them.
var complaintActions = []complaints.Action{"notify", "start", "resolve", "follow_up", "close", "reopen", "hand_off", "feedback", "take"}

// ComplaintView is a complaint as a user may see it: the contact masked
// to its last 4 characters for the roles that see callers masked.
type ComplaintView struct {
	complaints.Complaint
	ContactMasked bool `json:"contact_masked,omitempty"`
	// Message is where its voice message plays (GET
	// /api/complaints/{id}/message) when it has one and the user may hear
	// it now: the roles that hear every recording, and its owner (an agent
	// hears an unowned complaint's message once it took it). "" otherwise.
	Message string `json:"message,omitempty"`
	// FollowUps are its follow-up visits with their attempts and results
	// (GET /api/complaints/{id} on a server with [FollowUps]: [] when
	// none; left out on a server without them).
	FollowUps []FollowUpView `json:"followups,omitzero"`
}

// ComplaintListView is GET /api/complaints: the complaints, the running
// clocks' overdue first then by their deadline, and the server's time to
// count down from.
type ComplaintListView struct {
	At         time.Time       `json:"at"`
	Complaints []ComplaintView `json:"complaints"`
}

// ComplaintRequest is the body of POST /api/complaints. An agent's
// complaint is for its current call, or the last it took (in wrap-up):
// CallID, when given, must be that call; Contact and Hotline left empty
// are the call's caller and hotline.
type ComplaintRequest struct {
	CallID      string `json:"call_id,omitempty"`
	Hotline     string `json:"hotline,omitempty"`
	Complainant string `json:"complainant"`
	Contact     string `json:"contact,omitempty"`
	Content     string `json:"content"`
	Category    string `json:"category"`
	Wants       string `json:"wants"`
	Team        string `json:"team,omitempty"`
}

// ComplaintActionRequest is the body of POST /api/complaints/{id}/{action}.
type ComplaintActionRequest struct {
	Note string `json:"note,omitempty"`
	Team string `json:"team,omitempty"`
}

// errNoComplaints answers on a server without the complaint workflow.
var errNoComplaints = httpErrorf(http.StatusServiceUnavailable, "complaints are not available on this server")

// withComplaints runs h for a signed-in user when this server has the
// complaint workflow.
func (s *Server) withComplaints(h handler) http.Handler {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request, sess session) error {
		if s.complaints == nil {
			return errNoComplaints
		}
		return h(w, r, sess)
	})
}

// complaintOwner is who owns the complaints u registers: its agent (工号),
// else its user name.
func complaintOwner(u User) string {
	if u.Agent != "" {
		return u.Agent
	}
	return u.Name
}

// mayReadComplaint says whether u sees complaint c: the roles that
// handle complaints see all; a user with a 工号 sees its own and those
// nobody owns yet (the IVR's, until someone takes them: 待认领), which it
// may take.
func mayReadComplaint(u User, c complaints.Complaint) bool {
	return u.Role.can(handleComplaints) || c.Owner == complaintOwner(u) || c.Owner == "" && u.Agent != ""
}

// complaintView is what u sees of c.
func (s *Server) complaintView(u User, c complaints.Complaint) ComplaintView {
	v := ComplaintView{Complaint: c}
	if v.Teams == nil {
		v.Teams = []string{}
	}
	if !u.Role.can(seeCallers) && v.Contact != "" {
		v.Contact, v.ContactMasked = maskCaller(v.Contact), true
	}
	if c.MessageRecording != "" && s.recordings != nil && mayHearComplaintMessage(u, c) {
		v.Message = "/api/complaints/" + url.PathEscape(c.ID) + "/message"
	}
	return v
}

// mayHearComplaintMessage says whether u may play c's voice message: the
// roles that hear every recording, and its owner.
func mayHearComplaintMessage(u User, c complaints.Complaint) bool {
	return u.Role.can(hearRecordings) || c.Owner != "" && c.Owner == complaintOwner(u)
}

// runningDue is c's running clock's deadline: the 24-hour one, else the
// 3-day one; zero when none runs.
func runningDue(c complaints.Complaint) time.Time {
	switch {
	case !c.ResolveDue.IsZero():
		return c.ResolveDue
	case !c.FeedbackDue.IsZero():
		return c.FeedbackDue
	}
	return time.Time{}
}

// sortByDue orders complaints by their running clock's deadline (the
// overdue first), those without one last, newest first.
func sortByDue(cs []complaints.Complaint) {
	slices.SortStableFunc(cs, func(a, b complaints.Complaint) int {
		da, db := runningDue(a), runningDue(b)
		switch {
		case da.IsZero() && db.IsZero():
			return b.Registered.Compare(a.Registered)
		case da.IsZero():
			return 1
		case db.IsZero():
			return -1
		}
		return da.Compare(db)
	})
}

// registerComplaint handles POST /api/complaints.
func (s *Server) registerComplaint(w http.ResponseWriter, r *http.Request, sess session) error {
	u := sess.user
	if u.Agent == "" && !u.Role.can(handleComplaints) {
		return httpErrorf(http.StatusForbidden, "role %s registers no complaints: agents, supervisors, managers and administrators do", u.Role)
	}
	var req ComplaintRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	reg := complaints.Registration{
		CallID: req.CallID, Hotline: req.Hotline, Source: "api",
		Complainant: strings.TrimSpace(req.Complainant), Contact: strings.TrimSpace(req.Contact),
		Content: strings.TrimSpace(req.Content), Category: req.Category, Wants: strings.TrimSpace(req.Wants),
		Team: req.Team,
	}
	if u.Agent != "" {
		call, err := s.agentComplaintCall(u.Agent, req.CallID)
		if err != nil {
			return err
		}
		if call != nil {
			reg.CallID, reg.Source = call.CallID, "agent"
			if reg.Hotline == "" {
				reg.Hotline = call.Hotline
			}
			if reg.Contact == "" {
				reg.Contact = call.Caller
			}
		}
	}
	if reg.Category != "" && len(s.dispositionCodes) > 0 && !slices.ContainsFunc(s.dispositionCodes, func(d DispositionView) bool {
		return d.Code == reg.Category && d.Kind == "complaint"
	}) {
		return httpErrorf(http.StatusBadRequest, "category %q is not a complaint category: one of GET /api/dispositions of kind complaint", reg.Category)
	}
	c, err := s.complaints.Register(r.Context(), reg, complaintOwner(u))
	if err != nil {
		return err
	}
	s.complaintEvents.publish(complaintEvent{ID: c.ID, Kind: "registered", Owner: c.Owner})
	writeJSON(w, http.StatusCreated, s.complaintView(u, c))
	return nil
}

// agentComplaintCall is the call an agent registers a complaint for: its
// current call, or the last it took; want, when given, must be one of
// them. It is nil when the agent has had no call since the server started
// and names none.
func (s *Server) agentComplaintCall(agent, want string) (*acd.CallView, error) {
	if s.acd == nil {
		if want != "" {
			return nil, httpErrorf(http.StatusBadRequest, "call %s: the calls are not available on this server", want)
		}
		return nil, nil
	}
	a, err := agentWithCall(s.acd.Snapshot(), agent)
	if errors.Is(err, queue.ErrUnknownAgent) && want == "" {
		return nil, nil // a user whose 工号 takes no calls here
	}
	if err != nil {
		return nil, err
	}
	if a.Call != nil {
		s.lastCalls.remember(*a.Call)
	}
	last, ok := s.lastCalls.of(agent)
	switch {
	case a.Call != nil && (want == "" || want == a.Call.CallID):
		return a.Call, nil
	case ok && (want == "" || want == last.CallID):
		return &last, nil
	case want != "":
		return nil, httpErrorf(http.StatusBadRequest, "call %s is not agent %s's current or last call", want, agent)
	}
	return nil, nil
}

// listComplaints handles GET /api/complaints.
func (s *Server) listComplaints(w http.ResponseWriter, r *http.Request, sess session) error {
	u := sess.user
	f, err := complaintFilter(r, s.location)
	if err != nil {
		return err
	}
	handles := u.Role.can(handleComplaints)
	if !handles {
		if u.Agent == "" {
			return httpErrorf(http.StatusForbidden, "role %s has no complaints: only their owners, supervisors, managers and administrators see them", u.Role)
		}
		if f.Owner != "" && f.Owner != u.Agent {
			return httpErrorf(http.StatusForbidden, "you may see only your own complaints (owner %s) and those nobody owns yet, not %s's", u.Agent, f.Owner)
		}
	}
	var cs []complaints.Complaint
	if handles || f.Owner != "" || f.Unowned {
		cs, err = s.complaints.List(r.Context(), f)
	} else { // an agent's own and those nobody owns yet (待认领), which it may take
		cs, err = s.ownAndUnowned(r.Context(), u.Agent, f)
	}
	if err != nil {
		return err
	}
	// Whatever the workflow answered, a user lists only what it may read.
	cs = slices.DeleteFunc(cs, func(c complaints.Complaint) bool { return !mayReadComplaint(u, c) })
	sortByDue(cs)
	out := ComplaintListView{At: s.clock.Now(), Complaints: make([]ComplaintView, 0, len(cs))}
	for _, c := range cs {
		out.Complaints = append(out.Complaints, s.complaintView(u, c))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// ownAndUnowned lists, as f selects them, agent's complaints and those
// nobody owns yet: the newest f.Limit (0: 50) of both.
func (s *Server) ownAndUnowned(ctx context.Context, agent string, f complaints.Filter) ([]complaints.Complaint, error) {
	own, unowned := f, f
	own.Owner, unowned.Unowned = agent, true
	cs, err := s.complaints.List(ctx, own)
	if err != nil {
		return nil, err
	}
	more, err := s.complaints.List(ctx, unowned)
	if err != nil {
		return nil, err
	}
	cs = append(cs, more...)
	slices.SortFunc(cs, func(a, b complaints.Complaint) int {
		if c := b.Registered.Compare(a.Registered); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	return cs[:min(len(cs), limit)], nil
}

// complaintFilter reads GET /api/complaints's query.
func complaintFilter(r *http.Request, loc *time.Location) (complaints.Filter, error) {
	q := r.URL.Query()
	f := complaints.Filter{Owner: q.Get("owner"), Team: q.Get("team"), Category: q.Get("category")}
	for _, v := range q["state"] {
		for st := range strings.SplitSeq(v, ",") {
			if st = strings.TrimSpace(st); st == "" {
				continue
			}
			if !slices.Contains(openStates, complaints.State(st)) && st != "closed" {
				return f, httpErrorf(http.StatusBadRequest, "state: %q is not a complaint state (registered, notified, in_progress, resolved, followed_up, closed)", st)
			}
			f.States = append(f.States, complaints.State(st))
		}
	}
	for _, p := range []struct {
		name string
		to   *bool
	}{{"overdue", &f.Overdue}, {"unowned", &f.Unowned}} {
		if v := q.Get(p.name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return f, httpErrorf(http.StatusBadRequest, "%s: %q is not true or false", p.name, v)
			}
			*p.to = b
		}
	}
	if f.Unowned && f.Owner != "" {
		return f, httpErrorf(http.StatusBadRequest, "owner %s and unowned: a list is of an owner's complaints or of those nobody owns, not both", f.Owner)
	}
	var err error
	if f.From, f.To, f.Limit, err = listWindow(q, loc); err != nil {
		return f, err
	}
	return f, nil
}

// complaintFor reads the path's complaint for u: one it may not see is
// answered 404, like one that does not exist.
func (s *Server) complaintFor(r *http.Request, u User) (complaints.Complaint, error) {
	id := r.PathValue("id")
	c, err := s.complaints.Get(r.Context(), id)
	if err != nil {
		return c, err
	}
	if !mayReadComplaint(u, c) {
		return complaints.Complaint{}, notYours{c}
	}
	return c, nil
}

// notYours is a complaint u may not see: answered as if there were none
// (404).
type notYours struct{ c complaints.Complaint }

func (e notYours) Error() string { return fmt.Sprintf("%v: %s", complaints.ErrNotFound, e.c.ID) }
func (e notYours) Unwrap() error { return complaints.ErrNotFound }

// getComplaint handles GET /api/complaints/{id}: the complaint with its
// history.
func (s *Server) getComplaint(w http.ResponseWriter, r *http.Request, sess session) error {
	c, err := s.complaintFor(r, sess.user)
	if err != nil {
		return err
	}
	v := s.complaintView(sess.user, c)
	if v.FollowUps, err = s.complaintFollowUps(r.Context(), sess.user, c.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// actOnComplaint handles POST /api/complaints/{id}/{action}: its owner,
// supervisors, managers and administrators act on a complaint; a
// complaint nobody owns yet (the IVR's) is taken (take) by an agent, or
// by a supervisor's first step: then it is theirs for good (首问负责制).
// A take that comes after another's answers 409 naming the owner.
func (s *Server) actOnComplaint(w http.ResponseWriter, r *http.Request, sess session) error {
	u := sess.user
	a := complaints.Action(r.PathValue("action"))
	if !slices.Contains(complaintActions, a) {
		return httpErrorf(http.StatusNotFound, "no complaint action %q (actions: notify, start, resolve, follow_up, close, reopen, hand_off, feedback, take)", a)
	}
	var req ComplaintActionRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	c, err := s.complaintFor(r, u)
	if nv := (notYours{}); a == complaints.ActTake && errors.As(err, &nv) && nv.c.Source == "ivr" && u.Agent != "" {
		// An IVR complaint every agent saw unowned, taken by another
		// first: the agent's page learns who has it.
		return httpErrorf(http.StatusConflict, "complaint %s was taken by %s first: it is theirs (首问负责制)", nv.c.ID, nv.c.Owner)
	}
	if err != nil {
		return err
	}
	if !u.Role.can(handleComplaints) && c.Owner != complaintOwner(u) {
		if c.Owner == "" && a != complaints.ActTake {
			return httpErrorf(http.StatusForbidden, "complaint %s is nobody's yet: take it first (POST /api/complaints/%s/take), then it is yours", c.ID, c.ID)
		}
		if c.Owner != "" {
			return httpErrorf(http.StatusForbidden, "complaint %s is %s's: only its owner and supervisors act on it", c.ID, c.Owner)
		}
	}
	wasUnowned := c.Owner == ""
	c, err = s.complaints.Act(r.Context(), c.ID, complaintOwner(u), a, strings.TrimSpace(req.Note), strings.TrimSpace(req.Team))
	if err != nil {
		return err
	}
	if c.Changes == nil { // the workflow's Act answers without the history: the page shows it
		if c, err = s.complaints.Get(r.Context(), c.ID); err != nil {
			return err
		}
	}
	s.complaintEvents.publish(complaintEvent{ID: c.ID, Kind: string(a), Owner: c.Owner, Unowned: wasUnowned})
	v := s.complaintView(u, c)
	if v.FollowUps, err = s.complaintFollowUps(r.Context(), u, c.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// callerComplaints handles GET /api/agents/{id}/caller-complaints: for
// the screen pop, the open complaints of the caller of the agent's call.
func (s *Server) callerComplaints(w http.ResponseWriter, r *http.Request, sess session) error {
	if s.complaints == nil {
		return errNoComplaints
	}
	a, err := agentWithCall(s.acd.Snapshot(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if a.Call == nil {
		return httpErrorf(http.StatusNotFound, "agent %s has no call ringing or connected", a.ID)
	}
	s.lastCalls.remember(*a.Call)
	var cs []complaints.Complaint
	if byContact, ok := s.complaints.(ComplaintsByContact); ok {
		cs, err = byContact.ListByContact(r.Context(), a.Call.Caller, openStates, 20)
	} else {
		var all []complaints.Complaint
		all, err = s.complaints.List(r.Context(), complaints.Filter{States: openStates, Limit: 500})
		for _, c := range all {
			if c.Contact == a.Call.Caller {
				cs = append(cs, c)
			}
		}
	}
	if err != nil {
		return err
	}
	sortByDue(cs)
	out := ComplaintListView{At: s.clock.Now(), Complaints: make([]ComplaintView, 0, len(cs))}
	for _, c := range cs {
		out.Complaints = append(out.Complaints, s.complaintView(sess.user, c))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

var _ complaints.Notifier = (*Server)(nil)

// Notify takes the complaint workflow's notices (it is a
// complaints.Notifier, for the console's live event): the event streams
// of complaints tell the pages, which read the lists again. It returns at
// once.
func (s *Server) Notify(ctx context.Context, n complaints.Notice) error {
	ev := complaintEvent{ID: n.ComplaintID, Kind: string(n.Kind)}
	if s.complaints != nil {
		// The owner's agent is told too; without it only those who see
		// every complaint are.
		if c, err := s.complaints.Get(ctx, n.ComplaintID); err == nil {
			ev.Owner, ev.Unowned = c.Owner, c.Owner == ""
		}
	}
	s.complaintEvents.publish(ev)
	return nil
}

// complaintEvent is a change of a complaint, for the event streams.
type complaintEvent struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"` // registered, an action, warning, breach...
	Owner string `json:"-"`
	// Unowned: the complaint is, or was until this event, nobody's: every
	// agent's list shows it (待认领), so every agent is told.
	Unowned bool `json:"-"`
}

// complaintHub fans complaint events out to the open streams.
type complaintHub struct {
	mu   sync.Mutex
	subs map[*complaintSub]struct{}
}

// complaintSub is one open complaint stream: events queue up to its
// buffer; past it the stream sends "resync" (read everything again).
type complaintSub struct {
	user   User
	events chan complaintEvent
}

func (h *complaintHub) join(u User) *complaintSub {
	sub := &complaintSub{user: u, events: make(chan complaintEvent, 32)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[*complaintSub]struct{}{}
	}
	h.subs[sub] = struct{}{}
	return sub
}

func (h *complaintHub) leave(sub *complaintSub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, sub)
}

// publish tells the streams that may see ev: those of the roles that see
// every complaint, its owner's, and every agent's while nobody owns it.
func (h *complaintHub) publish(ev complaintEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		u := sub.user
		if !u.Role.can(handleComplaints) && (ev.Owner == "" || ev.Owner != complaintOwner(u)) && !(ev.Unowned && u.Agent != "") {
			continue
		}
		select {
		case sub.events <- ev:
		default:
			// Full: the page reads everything again on the next event.
			select {
			case <-sub.events:
			default:
			}
			select {
			case sub.events <- complaintEvent{Kind: "resync"}:
			default:
			}
		}
	}
}

// complaintStream handles GET /api/complaints/stream: server-sent events
// "complaint" ({"id", "kind"}) when a complaint the user may see is
// registered, changes, is warned about or breaches.
func (s *Server) complaintStream(w http.ResponseWriter, r *http.Request, sess session) error {
	sub := s.complaintEvents.join(sess.user)
	defer s.complaintEvents.leave(sub)
	heartbeat := s.clock.NewTicker(heartbeatEvery)
	defer heartbeat.Stop()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(msg []byte) error {
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := w.Write(msg); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := send([]byte(": complaints\n\n")); err != nil {
		return nil
	}
	for {
		var msg []byte
		select {
		case <-r.Context().Done():
			return nil
		case <-s.done:
			return nil
		case ev := <-sub.events:
			b, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			msg = fmt.Appendf(nil, "event: complaint\ndata: %s\n\n", b)
		case <-heartbeat.Chan():
			msg = []byte(": heartbeat\n\n")
		}
		if err := send(msg); err != nil {
			return nil
		}
	}
}

// callMemo keeps each agent's last call seen, so that an agent registers a
// complaint for the call it just took, in its wrap-up.
type callMemo struct {
	mu    sync.Mutex
	calls map[string]acd.CallView // by agent
}

func (m *callMemo) remember(c acd.CallView) {
	if c.Agent == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.calls == nil {
		m.calls = map[string]acd.CallView{}
	}
	m.calls[c.Agent] = c
}

func (m *callMemo) of(agent string) (acd.CallView, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.calls[agent]
	return c, ok
}

// rememberCalls notes every agent's call of snap.
func (m *callMemo) rememberCalls(snap acd.Snapshot) {
	for _, c := range snap.Calls {
		m.remember(c)
	}
}
