package console_test

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/complaints"
	"github.com/hotline-ivr/hotline/complaints/followup"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/acd"
)

// fakeFollowUps is an in-memory follow-up service for the console's
// tests until package complaints/followup's Service is merged: the
// contract's preview steps (offered, taken, called, recorded), retries
// two hours apart up to the task's attempts, and the complaint's
// workflow after a result (satisfied: followed up and closed; not
// satisfied: reopened), on the test's clock.
type fakeFollowUps struct {
	clock      clockwork.Clock
	complaints *fakeComplaints // nil: none

	mu    sync.Mutex
	byID  map[string]*followup.Task
	order []string
	ended chan [3]string // PreviewEnded's calls: id, agent, outcome
}

func newFakeFollowUps(clock clockwork.Clock, fc *fakeComplaints) *fakeFollowUps {
	return &fakeFollowUps{clock: clock, complaints: fc, byID: map[string]*followup.Task{}, ended: make(chan [3]string, 10)}
}

// add keeps t as a new task, named and dated, and returns it.
func (f *fakeFollowUps) add(t followup.Task) followup.Task {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.clock.Now()
	t.ID = fmt.Sprintf("F%s-%06d", now.Format("20060102"), len(f.order)+1)
	t.Created = now
	if t.NotBefore.IsZero() {
		t.NotBefore = now
	}
	if t.MaxAttempts == 0 {
		t.MaxAttempts = 3
	}
	f.byID[t.ID] = &t
	f.order = append(f.order, t.ID)
	return f.copy(&t)
}

func (f *fakeFollowUps) copy(t *followup.Task) followup.Task {
	out := *t
	out.Tries = slices.Clone(t.Tries)
	if t.Result != nil {
		r := *t.Result
		r.Answers = maps.Clone(t.Result.Answers)
		out.Result = &r
	}
	return out
}

func (f *fakeFollowUps) task(id string) (*followup.Task, error) {
	t, ok := f.byID[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", followup.ErrNotFound, id)
	}
	return t, nil
}

func (f *fakeFollowUps) List(_ context.Context, flt followup.Filter) ([]followup.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []followup.Task
	for i := len(f.order) - 1; i >= 0; i-- {
		t := f.byID[f.order[i]]
		switch {
		case len(flt.States) > 0 && !slices.Contains(flt.States, t.State),
			flt.Mode != "" && t.Mode != flt.Mode,
			flt.Agent != "" && t.Agent != flt.Agent,
			flt.Team != "" && t.Team != flt.Team,
			flt.ComplaintID != "" && t.ComplaintID != flt.ComplaintID,
			!flt.From.IsZero() && t.Created.Before(flt.From),
			!flt.To.IsZero() && !t.Created.Before(flt.To):
			continue
		}
		cp := f.copy(t)
		cp.Tries = nil
		out = append(out, cp)
	}
	return out, nil
}

func (f *fakeFollowUps) Get(_ context.Context, id string) (followup.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.task(id)
	if err != nil {
		return followup.Task{}, err
	}
	return f.copy(t), nil
}

func (f *fakeFollowUps) ForComplaint(_ context.Context, complaintID string) ([]followup.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []followup.Task
	for _, id := range f.order {
		if t := f.byID[id]; t.ComplaintID == complaintID {
			cp := f.copy(t)
			cp.Tries = nil // as a list: the console reads the attempts with Get
			out = append(out, cp)
		}
	}
	return out, nil
}

func (f *fakeFollowUps) Take(_ context.Context, id, agent string) (followup.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.task(id)
	if err != nil {
		return followup.Task{}, err
	}
	switch {
	case t.State != followup.Offered:
		return followup.Task{}, fmt.Errorf("%w: follow-up %s is %s, not offered", followup.ErrStep, id, t.State)
	case t.Agent != "" && t.Agent != agent:
		return followup.Task{}, fmt.Errorf("%w: follow-up %s is agent %s's", followup.ErrStep, id, t.Agent)
	}
	t.Agent = agent
	return f.copy(t), nil
}

// mine is the agent's task in a state it may call or record.
func (f *fakeFollowUps) mine(id, agent string) (*followup.Task, error) {
	t, err := f.task(id)
	if err != nil {
		return nil, err
	}
	switch {
	case t.State != followup.Offered:
		return nil, fmt.Errorf("%w: follow-up %s is %s", followup.ErrStep, id, t.State)
	case t.Agent != agent:
		return nil, fmt.Errorf("%w: follow-up %s: take it first (it is not agent %s's)", followup.ErrStep, id, agent)
	}
	return t, nil
}

func (f *fakeFollowUps) StartPreview(ctx context.Context, id, agent string, dial func(ctx context.Context, number string) (string, error)) (followup.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.mine(id, agent)
	if err != nil {
		return followup.Task{}, err
	}
	if t.Attempts >= t.MaxAttempts {
		return followup.Task{}, fmt.Errorf("%w: follow-up %s has had its %d attempts", followup.ErrStep, id, t.MaxAttempts)
	}
	now := f.clock.Now()
	t.Attempts++
	a := followup.Attempt{Seq: t.Attempts, Number: t.Number, Started: now, By: agent}
	callID, err := dial(ctx, t.Number)
	if err != nil {
		a.Ended, a.Outcome = now, followup.OutcomeFailed
		t.Tries = append(t.Tries, a)
		return followup.Task{}, fmt.Errorf("follow-up %s: calling the customer: %w", id, err)
	}
	a.CallID = callID
	t.Tries = append(t.Tries, a)
	return f.copy(t), nil
}

// PreviewEnded says how a call ended on f.ended (made when nil), and
// changes nothing.
func (f *fakeFollowUps) PreviewEnded(_ context.Context, id, agent, outcome string) (followup.Task, error) {
	f.mu.Lock()
	ended := f.ended
	t, err := f.task(id)
	var task followup.Task
	if err == nil {
		task = f.copy(t)
	}
	f.mu.Unlock()
	if ended != nil {
		ended <- [3]string{id, agent, outcome}
	}
	return task, err
}

func (f *fakeFollowUps) Record(ctx context.Context, id, agent string, o followup.Outcome) (followup.Task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, err := f.mine(id, agent)
	if err != nil {
		return followup.Task{}, err
	}
	if len(t.Tries) == 0 {
		return followup.Task{}, fmt.Errorf("%w: follow-up %s: call the customer before recording a result", followup.ErrStep, id)
	}
	if o.Reached && o.Satisfied == nil {
		return followup.Task{}, fmt.Errorf("%w: satisfied: required when reached", followup.ErrInvalid)
	}
	now := f.clock.Now()
	last := &t.Tries[len(t.Tries)-1]
	last.Ended = now
	if !o.Reached {
		last.Outcome = followup.OutcomeNoAnswer
		if t.Attempts >= t.MaxAttempts {
			t.State = followup.Unreached
			t.Result = &followup.Result{By: agent, At: now, Note: o.Note}
		} else {
			t.NotBefore = now.Add(2 * time.Hour)
		}
		return f.copy(t), nil
	}
	last.Outcome = followup.OutcomeAnswered
	t.State = followup.Done
	t.Result = &followup.Result{Reached: true, Satisfied: o.Satisfied, Answers: maps.Clone(o.Answers), Note: o.Note, CallID: last.CallID, By: agent, At: now}
	if f.complaints != nil && t.ComplaintID != "" {
		steps := []complaints.Action{"follow_up", "close"}
		if !*o.Satisfied {
			steps = []complaints.Action{"follow_up", "reopen"}
		}
		for _, a := range steps {
			if _, err := f.complaints.Act(ctx, t.ComplaintID, agent, a, o.Note, ""); err != nil {
				return followup.Task{}, err
			}
		}
	}
	return f.copy(t), nil
}

// dialACD is the test center with the ACD's call out: it keeps each
// request, and rings the agent's phone with the call, as the ACD does;
// refuse, when set, refuses the next call.
type dialACD struct {
	*centerACD
	dmu      sync.Mutex
	requests []acd.OutboundRequest
	refuse   error
}

func (d *dialACD) Dial(_ context.Context, req acd.OutboundRequest) (string, error) {
	d.dmu.Lock()
	if err := d.refuse; err != nil {
		d.refuse = nil
		d.dmu.Unlock()
		return "", err
	}
	d.requests = append(d.requests, req)
	id := fmt.Sprintf("out-%d", len(d.requests))
	d.dmu.Unlock()
	now := d.clock.Now()
	d.mu.Lock()
	d.calls[id] = &acd.CallView{
		CallID: id, Agent: req.Agent, Caller: req.Number, Hotline: req.Hotline, Language: "zh",
		Path: []string{}, Vars: map[string]string{}, Arrived: now, Phase: acd.CallRinging,
	}
	d.mu.Unlock()
	d.changed()
	return id, nil
}

func (d *dialACD) dialled() []acd.OutboundRequest {
	d.dmu.Lock()
	defer d.dmu.Unlock()
	return slices.Clone(d.requests)
}

// recordingQA is QA's records as the follow-ups use them: the recording
// of an agent's part of a call ("call/agent" -> recording). Nothing else
// of QA is used by these tests.
type recordingQA struct {
	console.QA
	recordings map[string]string
}

func (q recordingQA) Recording(_ context.Context, callID, agent string) (string, error) {
	return q.recordings[callID+"/"+agent], nil
}

// followUpEnv is a console with complaints, follow-ups, the ACD's call
// out, QA's recordings, and the agents' teams: 1001 and 1002 in care,
// 1003 in sales.
type followUpEnv struct {
	*env
	fc   *fakeComplaints
	fu   *fakeFollowUps
	dial *dialACD
}

func newFollowUpEnv(t *testing.T) *followUpEnv {
	t.Helper()
	fe := &followUpEnv{}
	fe.env = newEnv(t, func(c *console.Config) {
		fe.fc = newFakeComplaints(c.Clock)
		fe.fu = newFakeFollowUps(c.Clock, fe.fc)
		fe.dial = &dialACD{centerACD: c.ACD.(*centerACD)}
		c.ACD, c.Complaints, c.Dispositions, c.FollowUps = fe.dial, fe.fc, complaintCodes, fe.fu
		c.AgentTeams = map[string]string{"1001": "care", "1002": "care", "1003": "sales"}
		c.QA = recordingQA{recordings: map[string]string{"call-0/1002": "rec-0"}}
		c.Location = time.FixedZone("CST", 8*3600)
	})
	return fe
}

// resolvedComplaint registers a complaint of call-0, taken by 1002, and
// resolves it.
func (fe *followUpEnv) resolvedComplaint(t *testing.T) complaints.Complaint {
	t.Helper()
	ctx := t.Context()
	c, err := fe.fc.Register(ctx, complaints.Registration{
		CallID: "call-0", Hotline: "4008001234", Source: "agent", Complainant: "张先生", Contact: "13800138000",
		Content: "屏幕碎了，换货被拒", Category: "quality", Wants: "换新机",
	}, "1002")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []complaints.Action{"start", "resolve"} {
		if c, err = fe.fc.Act(ctx, c.ID, "1002", a, "已为客户换新机", ""); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// fixture is the test's tasks.
type fixture struct {
	complaint complaints.Complaint
	// team: offered to care; mine: to 1001; theirs: care's, taken by
	// 1002; sales: offered to sales; done: an automated one, done;
	// pending: an automated one, waiting.
	team, mine, theirs, sales, done, pending followup.Task
}

func (fe *followUpEnv) fixture(t *testing.T) fixture {
	t.Helper()
	c := fe.resolvedComplaint(t)
	yes := true
	fx := fixture{complaint: c}
	fx.team = fe.fu.add(followup.Task{Reason: followup.ForComplaint, ComplaintID: c.ID, CallID: "call-0", Hotline: "4008001234",
		Number: "13800138000", Mode: followup.Preview, State: followup.Offered, Team: "care", NotBefore: start.Add(time.Hour)})
	fx.mine = fe.fu.add(followup.Task{Reason: followup.ForDisposition, CallID: "call-5", Hotline: "4008001234",
		Number: "13900139000", Mode: followup.Preview, State: followup.Offered, Agent: "1001", NotBefore: start.Add(30 * time.Minute)})
	fx.theirs = fe.fu.add(followup.Task{Reason: followup.ForSample, CallID: "call-6", Hotline: "4008001234",
		Number: "13700137000", Mode: followup.Preview, State: followup.Offered, Team: "care", Agent: "1002"})
	fx.sales = fe.fu.add(followup.Task{Reason: followup.ForSample, CallID: "call-7", Hotline: "4008001234",
		Number: "13600136000", Mode: followup.Preview, State: followup.Offered, Team: "sales"})
	fx.done = fe.fu.add(followup.Task{Reason: followup.ForSample, CallID: "call-8", Hotline: "4008001234",
		Number: "13500135000", Mode: followup.Auto, State: followup.Done, Attempts: 1,
		Result: &followup.Result{Reached: true, Satisfied: &yes, Answers: map[string]string{"product": "5", "service": "4"}, By: "auto", At: start}})
	fx.pending = fe.fu.add(followup.Task{Reason: followup.ForSample, CallID: "call-9", Hotline: "4008001234",
		Number: "13400134000", Mode: followup.Auto, State: followup.Pending, NotBefore: start.Add(3 * time.Hour)})
	return fx
}

func followUpIDs(vs []console.FollowUpView) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

// TestFollowUpListRoles: supervisors, managers and administrators list
// every task, the open ones first by their next try; an agent lists
// those offered to it or to its team (not another's of its team, not
// another team's); QA none; an agent may not ask for another agent's or
// team's; the filters reach the service.
func TestFollowUpListRoles(t *testing.T) {
	fe := newFollowUpEnv(t)
	fx := fe.fixture(t)
	all := []string{fx.theirs.ID, fx.done.ID, fx.sales.ID, fx.mine.ID, fx.team.ID, fx.pending.ID}
	slices.Sort(all)
	for _, name := range []string{"wang", "boss", "root"} {
		var l console.FollowUpListView
		fe.must(http.StatusOK, "GET", "/api/followups", fe.login(name), "", &l)
		got := followUpIDs(l.FollowUps)
		// theirs and sales are due at start, mine at 9:30, team at 10:00,
		// pending at 12:00; done last.
		if want := []string{fx.theirs.ID, fx.sales.ID, fx.mine.ID, fx.team.ID, fx.pending.ID, fx.done.ID}; !slices.Equal(got, want) {
			t.Errorf("%s lists %v, want %v", name, got, want)
		}
		if l.TimeZone != "CST" || !l.At.Equal(start) {
			t.Errorf("%s: at %v in %q", name, l.At, l.TimeZone)
		}
	}
	for name, want := range map[string][]string{
		"lilei":  {fx.mine.ID, fx.team.ID},
		"hanmei": {fx.theirs.ID, fx.team.ID},
	} {
		var l console.FollowUpListView
		fe.must(http.StatusOK, "GET", "/api/followups", fe.login(name), "", &l)
		if got := followUpIDs(l.FollowUps); !slices.Equal(got, want) {
			t.Errorf("%s lists %v, want %v", name, got, want)
		}
	}
	lilei := fe.login("lilei")
	var own console.FollowUpListView
	fe.must(http.StatusOK, "GET", "/api/followups?agent=1001", lilei, "", &own)
	if got := followUpIDs(own.FollowUps); !slices.Equal(got, []string{fx.mine.ID}) {
		t.Errorf("lilei's own: %v", got)
	}
	fe.must(http.StatusOK, "GET", "/api/followups?team=care", lilei, "", &own)
	if got := followUpIDs(own.FollowUps); !slices.Equal(got, []string{fx.team.ID}) {
		t.Errorf("lilei's team's: %v", got)
	}
	for _, c := range []struct{ path, user, msg string }{
		{"/api/followups", "qiu", "role qa has no follow-up visits"},
		{"/api/followups?agent=1002", "lilei", "only your own follow-ups (agent 1001), not 1002's"},
		{"/api/followups?team=sales", "lilei", "only your team's follow-ups (team care), not team sales's"},
	} {
		r := fe.do("GET", c.path, fe.login(c.user), "")
		if r.status != http.StatusForbidden || !strings.Contains(r.errorMessage(t), c.msg) {
			t.Errorf("%s as %s: %d %s; want 403 %q", c.path, c.user, r.status, r.body, c.msg)
		}
	}
	wang := fe.login("wang")
	for q, want := range map[string][]string{
		"?state=done":                      {fx.done.ID},
		"?state=offered,pending&mode=auto": {fx.pending.ID},
		"?mode=preview&team=care":          {fx.theirs.ID, fx.team.ID},
		"?agent=1002":                      {fx.theirs.ID},
		"?complaint=" + fx.complaint.ID:    {fx.team.ID},
		"?from=2026-03-02&to=2026-03-03":   {fx.theirs.ID, fx.sales.ID, fx.mine.ID, fx.team.ID, fx.pending.ID, fx.done.ID},
		"?from=2026-03-03":                 nil,
	} {
		var l console.FollowUpListView
		fe.must(http.StatusOK, "GET", "/api/followups"+q, wang, "", &l)
		if got := followUpIDs(l.FollowUps); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", q, got, want)
		}
	}
	for q, msg := range map[string]string{
		"?state=lost":                    `state: "lost" is not a follow-up state`,
		"?mode=robot":                    `mode: "robot" is not a follow-up mode (auto, preview)`,
		"?from=yesterday":                `from: "yesterday" is neither a date`,
		"?from=2026-03-03&to=2026-03-02": "from 2026-03-03 is not before to 2026-03-02",
		"?limit=501":                     `limit: "501" is not a number from 1 to 500`,
	} {
		r := fe.do("GET", "/api/followups"+q, wang, "")
		if r.status != http.StatusBadRequest || !strings.Contains(r.errorMessage(t), msg) {
			t.Errorf("%s: %d %s; want 400 %q", q, r.status, r.body, msg)
		}
	}
}

// TestFollowUpReadMasking: an agent reads a task it may see with the
// customer's number masked (the attempts' too) and the complaint's
// summary, without the recording; one it may not see is 404, as one that
// does not exist; a supervisor reads the whole number, the complaint's
// history and the original call's recording.
func TestFollowUpReadMasking(t *testing.T) {
	fe := newFollowUpEnv(t)
	fx := fe.fixture(t)
	fe.acd.mustReady(t, "1001")
	lilei, wang := fe.login("lilei"), fe.login("wang")
	fe.must(http.StatusOK, "POST", "/api/followups/"+fx.team.ID+"/take", lilei, "", nil)
	fe.must(http.StatusOK, "POST", "/api/followups/"+fx.team.ID+"/dial", lilei, "", nil)

	var v console.FollowUpView
	fe.must(http.StatusOK, "GET", "/api/followups/"+fx.team.ID, lilei, "", &v)
	if v.Number != "*******8000" || !v.NumberMasked || len(v.Tries) != 1 || v.Tries[0].Number != "*******8000" {
		t.Errorf("the agent reads number %q (masked %v), tries %+v; want every number masked", v.Number, v.NumberMasked, v.Tries)
	}
	c := v.Complaint
	if c == nil || c.ID != fx.complaint.ID || c.Content != "屏幕碎了，换货被拒" || c.Wants != "换新机" || c.Resolution != "已为客户换新机" ||
		c.Owner != "1002" || c.Category != "quality" || len(c.Changes) != 3 || c.State != "resolved" {
		t.Fatalf("the agent reads the complaint %+v", c)
	}
	if v.CallID != "call-0" || v.RecordingID != "" || v.Recording != "" {
		t.Errorf("the agent reads call %q, recording %q %q; want the call without the recording", v.CallID, v.RecordingID, v.Recording)
	}
	if !strings.Contains(string(fe.do("GET", "/api/followups/"+fx.team.ID, lilei, "").body), `"not_before":"2026-03-02T10:00:00+08:00"`) {
		t.Error("not_before is not in the centre's time zone")
	}
	for _, id := range []string{fx.theirs.ID, fx.sales.ID, fx.done.ID, "F20260302-999999"} {
		r := fe.do("GET", "/api/followups/"+id, lilei, "")
		if r.status != http.StatusNotFound || !strings.Contains(r.errorMessage(t), "no such follow-up: "+id) {
			t.Errorf("lilei reads %s: %d %s; want 404", id, r.status, r.body)
		}
	}
	if r := fe.do("GET", "/api/followups/"+fx.team.ID, fe.login("qiu"), ""); r.status != http.StatusNotFound {
		t.Errorf("QA reads a follow-up: %d %s", r.status, r.body)
	}

	var full console.FollowUpView
	fe.must(http.StatusOK, "GET", "/api/followups/"+fx.team.ID, wang, "", &full)
	if full.Number != "13800138000" || full.NumberMasked || full.Tries[0].Number != "13800138000" {
		t.Errorf("the supervisor reads %q, tries %+v; want the whole number", full.Number, full.Tries)
	}
	if full.RecordingID != "rec-0" || full.Recording != "/api/recordings/rec-0" {
		t.Errorf("the supervisor reads recording %q %q, want rec-0's page", full.RecordingID, full.Recording)
	}
	// A task without a complaint has no summary and no recording.
	var sample console.FollowUpView
	fe.must(http.StatusOK, "GET", "/api/followups/"+fx.done.ID, wang, "", &sample)
	if sample.Complaint != nil || sample.RecordingID != "" || sample.Result == nil || sample.Result.Answers["product"] != "5" {
		t.Errorf("the done sample reads %+v", sample)
	}
	var list console.FollowUpListView
	fe.must(http.StatusOK, "GET", "/api/followups", lilei, "", &list)
	for _, f := range list.FollowUps {
		if !f.NumberMasked || !strings.HasPrefix(f.Number, "*******") {
			t.Errorf("the agent's list shows %s's number %q", f.ID, f.Number)
		}
	}
}

// TestFollowUpDial: the agent takes a task offered to its team and calls:
// the ACD is asked for the agent's call to the whole number, for the
// task's hotline, referring to the task and linked to the original call;
// the attempt keeps the call. A refused call out is 409 with the ACD's
// reason.
func TestFollowUpDial(t *testing.T) {
	fe := newFollowUpEnv(t)
	fx := fe.fixture(t)
	fe.acd.mustReady(t, "1001")
	lilei := fe.login("lilei")

	// Not taken yet: the service refuses the call.
	r := fe.do("POST", "/api/followups/"+fx.team.ID+"/dial", lilei, "")
	if r.status != http.StatusConflict || !strings.Contains(r.errorMessage(t), "take it first") {
		t.Errorf("calling before taking: %d %s", r.status, r.body)
	}
	var v console.FollowUpView
	fe.must(http.StatusOK, "POST", "/api/followups/"+fx.team.ID+"/take", lilei, "", &v)
	if v.Agent != "1001" || v.State != followup.Offered {
		t.Errorf("taken: %+v", v.Task)
	}
	// 1002 cannot take it now, nor see it.
	if r := fe.do("POST", "/api/followups/"+fx.team.ID+"/take", fe.login("hanmei"), ""); r.status != http.StatusNotFound {
		t.Errorf("1002 takes 1001's task: %d %s", r.status, r.body)
	}

	fe.dial.dmu.Lock()
	fe.dial.refuse = fmt.Errorf("agent 1001 is on a call: %w", acd.ErrCannotDial)
	fe.dial.dmu.Unlock()
	r = fe.do("POST", "/api/followups/"+fx.team.ID+"/dial", lilei, "")
	if r.status != http.StatusConflict || !strings.Contains(r.errorMessage(t), "agent 1001 is on a call: the agent cannot call out now") {
		t.Errorf("a refused call out: %d %s", r.status, r.body)
	}

	fe.must(http.StatusOK, "POST", "/api/followups/"+fx.team.ID+"/dial", lilei, "", &v)
	want := acd.OutboundRequest{Agent: "1001", Number: "13800138000", Hotline: "4008001234", Ref: "followup:" + fx.team.ID, LinkedCallID: "call-0"}
	if got := fe.dial.dialled(); !slices.EqualFunc(got, []acd.OutboundRequest{want}, sameOutbound) {
		t.Errorf("the ACD was asked %+v, want %+v", got, want)
	}
	if len(v.Tries) != 2 || v.Tries[0].Outcome != followup.OutcomeFailed || v.Tries[1].CallID != "out-1" || v.Tries[1].By != "1001" || v.Attempts != 2 {
		t.Errorf("attempts %+v (%d)", v.Tries, v.Attempts)
	}
	if c, ok := fe.acd.call("out-1"); !ok || c.Agent != "1001" || c.Phase != acd.CallRinging {
		t.Errorf("the agent's phone: %+v %v; want the call ringing", c, ok)
	}
	// The ACD says how the call ended: the follow-ups hear it.
	if req := fe.dial.dialled()[0]; req.Ended == nil {
		t.Error("the call out has no Ended: its end would not reach the follow-ups")
	} else {
		req.Ended("busy")
		select {
		case got := <-fe.fu.ended:
			if got != [3]string{fx.team.ID, "1001", "busy"} {
				t.Errorf("the follow-ups heard %v, want %s's call by 1001 busy", got, fx.team.ID)
			}
		case <-t.Context().Done():
			t.Fatal("the follow-ups never heard how the call ended")
		}
	}

	// Users without a 工号 take, call and record nothing; a server whose
	// ACD does not dial refuses the call.
	for _, step := range []string{"take", "dial", "result"} {
		r := fe.do("POST", "/api/followups/"+fx.sales.ID+"/"+step, fe.login("wang"), "")
		if r.status != http.StatusForbidden || !strings.Contains(r.errorMessage(t), "user wang has no 工号") {
			t.Errorf("wang %s: %d %s", step, r.status, r.body)
		}
	}
	var fu *fakeFollowUps
	plain := newEnv(t, func(c *console.Config) {
		fu = newFakeFollowUps(c.Clock, nil)
		c.FollowUps = fu
	})
	task := fu.add(followup.Task{Number: "13800138000", Mode: followup.Preview, State: followup.Offered, Agent: "1001"})
	r = plain.do("POST", "/api/followups/"+task.ID+"/dial", plain.login("lilei"), "")
	if r.status != http.StatusServiceUnavailable || !strings.Contains(r.errorMessage(t), "calling out is not available on this server") {
		t.Errorf("a server whose ACD does not dial: %d %s", r.status, r.body)
	}
}

// TestFollowUpResult: the result form's rules name the field at fault
// (satisfied, note, the scores, and nothing asked of a customer not
// reached); a customer not reached leaves the task for a retry; a
// satisfied one closes the complaint, an unsatisfied one reopens it;
// the complaint's page lists its follow-ups with their attempts.
func TestFollowUpResult(t *testing.T) {
	fe := newFollowUpEnv(t)
	fx := fe.fixture(t)
	fe.acd.mustReady(t, "1001")
	lilei := fe.login("lilei")
	base := "/api/followups/" + fx.team.ID
	fe.must(http.StatusOK, "POST", base+"/take", lilei, "", nil)

	// No call yet: the service refuses the result.
	r := fe.do("POST", base+"/result", lilei, `{"reached":false}`)
	if r.status != http.StatusConflict || !strings.Contains(r.errorMessage(t), "call the customer before recording a result") {
		t.Errorf("a result before the call: %d %s", r.status, r.body)
	}
	fe.must(http.StatusOK, "POST", base+"/dial", lilei, "", nil)
	for body, msg := range map[string]string{
		`{"reached":true}`:                                               "satisfied: say whether the customer is satisfied (required when reached)",
		`{"reached":true,"satisfied":false}`:                             "note: say what the customer is not satisfied with (required when not satisfied)",
		`{"reached":true,"satisfied":false,"note":"  "}`:                 "note: say what the customer is not satisfied with",
		`{"reached":true,"satisfied":true,"answers":{"product":"6"}}`:    `answers.product: "6" is not a score from 1 to 5`,
		`{"reached":true,"satisfied":true,"answers":{"service":"good"}}`: `answers.service: "good" is not a score from 1 to 5`,
		`{"reached":false,"satisfied":true}`:                             "satisfied: a customer who was not reached gave no answer",
		`{"reached":false,"answers":{"product":"3"}}`:                    "answers: a customer who was not reached gave no answers",
		`{"reached":"yes"}`:                                              `field "reached" must be`,
		`{"reached":true,"mood":"ok"}`:                                   `unknown field "mood"`,
	} {
		r := fe.do("POST", base+"/result", lilei, body)
		if r.status != http.StatusBadRequest || !strings.Contains(r.errorMessage(t), msg) {
			t.Errorf("%s: %d %s; want 400 %q", body, r.status, r.body, msg)
		}
	}

	// Not reached: tried again in two hours.
	var v console.FollowUpView
	fe.must(http.StatusOK, "POST", base+"/result", lilei, `{"reached":false,"note":"无人接听"}`, &v)
	if v.Effect != "retry" || v.State != followup.Offered || !v.NotBefore.Equal(start.Add(2*time.Hour)) {
		t.Errorf("not reached: effect %q, %s, next try %v", v.Effect, v.State, v.NotBefore)
	}
	// Reached, not satisfied: the complaint is reopened.
	fe.must(http.StatusOK, "POST", base+"/dial", lilei, "", nil)
	fe.must(http.StatusOK, "POST", base+"/result", lilei, `{"reached":true,"satisfied":false,"answers":{"product":"2","service":"3"},"note":"新机也有划痕"}`, &v)
	if v.Effect != "reopened" || v.State != followup.Done || v.Result == nil || *v.Result.Satisfied || v.Result.Answers["product"] != "2" ||
		v.Result.CallID != "out-2" || v.Complaint.State != "in_progress" {
		t.Errorf("not satisfied: effect %q, %+v, complaint %+v", v.Effect, v.Task, v.Complaint)
	}
	if c := fe.fc.only(t, "1002"); c.State != "in_progress" || c.Changes[len(c.Changes)-1].Note != "新机也有划痕" {
		t.Errorf("the complaint is %s after an unsatisfied follow-up", c.State)
	}
	// Done: no further step.
	if r := fe.do("POST", base+"/result", lilei, `{"reached":false}`); r.status != http.StatusConflict {
		t.Errorf("a second result: %d %s", r.status, r.body)
	}

	// A second follow-up, satisfied: the complaint is closed.
	fe.mustResolve(t, fx.complaint.ID)
	second := fe.fu.add(followup.Task{Reason: followup.ForComplaint, ComplaintID: fx.complaint.ID, CallID: "call-0", Hotline: "4008001234",
		Number: "13800138000", Mode: followup.Preview, State: followup.Offered, Agent: "1001"})
	fe.must(http.StatusOK, "POST", "/api/followups/"+second.ID+"/dial", lilei, "", nil)
	fe.must(http.StatusOK, "POST", "/api/followups/"+second.ID+"/result", lilei, `{"reached":true,"satisfied":true,"answers":{"product":"5","service":"5"}}`, &v)
	if v.Effect != "closed" || v.Complaint.State != "closed" {
		t.Errorf("satisfied: effect %q, complaint %s", v.Effect, v.Complaint.State)
	}

	// The complaint's page lists both, with their attempts and results.
	var cv console.ComplaintView
	fe.must(http.StatusOK, "GET", "/api/complaints/"+fx.complaint.ID, fe.login("wang"), "", &cv)
	if got := followUpIDs(cv.FollowUps); !slices.Equal(got, []string{fx.team.ID, second.ID}) {
		t.Fatalf("the complaint's follow-ups %v", got)
	}
	if f := cv.FollowUps[0]; len(f.Tries) != 2 || f.Tries[0].Outcome != followup.OutcomeNoAnswer || f.Tries[1].Outcome != followup.OutcomeAnswered ||
		f.Result == nil || f.Result.Note != "新机也有划痕" || f.Number != "13800138000" {
		t.Errorf("the first follow-up on the complaint's page: %+v", f)
	}
	// A step on the complaint answers with them too.
	fe.must(http.StatusOK, "POST", "/api/complaints/"+fx.complaint.ID+"/feedback", fe.login("wang"), `{"note":"客户又来电"}`, &cv)
	if got := followUpIDs(cv.FollowUps); !slices.Equal(got, []string{fx.team.ID, second.ID}) {
		t.Errorf("the complaint's step answers with follow-ups %v", got)
	}
	// Its owner (an agent) sees them masked.
	fe.must(http.StatusOK, "GET", "/api/complaints/"+fx.complaint.ID, fe.login("hanmei"), "", &cv)
	if len(cv.FollowUps) != 2 || cv.FollowUps[1].Number != "*******8000" || cv.FollowUps[1].Tries[0].Number != "*******8000" {
		t.Errorf("the owner reads the follow-ups %+v", cv.FollowUps)
	}
}

// mustResolve takes a reopened complaint to resolved again.
func (fe *followUpEnv) mustResolve(t *testing.T, id string) {
	t.Helper()
	if _, err := fe.fc.Act(t.Context(), id, "1002", "resolve", "再次换新", ""); err != nil {
		t.Fatal(err)
	}
}

// TestFollowUpUnavailable: a server without follow-ups answers their
// routes 503, and the complaint's page has none.
func TestFollowUpUnavailable(t *testing.T) {
	e, fc := newComplaintEnv(t)
	wang := e.login("wang")
	for _, c := range []struct{ method, path string }{
		{"GET", "/api/followups"}, {"GET", "/api/followups/F1"}, {"POST", "/api/followups/F1/take"},
		{"POST", "/api/followups/F1/dial"}, {"POST", "/api/followups/F1/result"},
	} {
		r := e.do(c.method, c.path, wang, "")
		if r.status != http.StatusServiceUnavailable || r.errorMessage(t) != "follow-up visits are not available on this server" {
			t.Errorf("%s %s: %d %s", c.method, c.path, r.status, r.body)
		}
	}
	c, err := fc.Register(t.Context(), complaints.Registration{Complainant: "x", Content: "y", Category: "quality"}, "wang")
	if err != nil {
		t.Fatal(err)
	}
	r := e.must(http.StatusOK, "GET", "/api/complaints/"+c.ID, wang, "", nil)
	if strings.Contains(string(r.body), "followups") {
		t.Errorf("a server without follow-ups lists some: %s", r.body)
	}
	// With them, a complaint without any says so.
	fe := newFollowUpEnv(t)
	c = fe.resolvedComplaint(t)
	if r := fe.must(http.StatusOK, "GET", "/api/complaints/"+c.ID, fe.login("wang"), "", nil); !strings.Contains(string(r.body), `"followups":[]`) {
		t.Errorf("a complaint without follow-ups reads %s", r.body)
	}
}

// TestFollowUpRoutesRoles: who may use each route on which task: without
// a session none; QA has no follow-ups; supervisors, managers and
// administrators read every task but, without a 工号, take, call and
// record none; an agent acts on those offered to it or its team, and
// another's is 404 as if it did not exist.
func TestFollowUpRoutesRoles(t *testing.T) {
	type route struct{ method, path, body string }
	routes := func(fx fixture) map[string]route {
		return map[string]route{
			"list":        {"GET", "/api/followups", ""},
			"read team":   {"GET", "/api/followups/" + fx.team.ID, ""},
			"read sales":  {"GET", "/api/followups/" + fx.sales.ID, ""},
			"take team":   {"POST", "/api/followups/" + fx.team.ID + "/take", ""},
			"take sales":  {"POST", "/api/followups/" + fx.sales.ID + "/take", ""},
			"dial mine":   {"POST", "/api/followups/" + fx.mine.ID + "/dial", ""},
			"result mine": {"POST", "/api/followups/" + fx.mine.ID + "/result", `{"reached":false}`},
		}
	}
	want := map[string]map[string]int{
		"":       {"list": 401, "read team": 401, "read sales": 401, "take team": 401, "take sales": 401, "dial mine": 401, "result mine": 401},
		"lilei":  {"list": 200, "read team": 200, "read sales": 404, "take team": 200, "take sales": 404, "dial mine": 200, "result mine": 409},
		"hanmei": {"list": 200, "read team": 200, "read sales": 404, "take team": 200, "take sales": 404, "dial mine": 404, "result mine": 404},
		"qiu":    {"list": 403, "read team": 404, "read sales": 404, "take team": 403, "take sales": 403, "dial mine": 403, "result mine": 403},
		"boss":   {"list": 200, "read team": 200, "read sales": 200, "take team": 403, "take sales": 403, "dial mine": 403, "result mine": 403},
		"wang":   {"list": 200, "read team": 200, "read sales": 200, "take team": 403, "take sales": 403, "dial mine": 403, "result mine": 403},
		"root":   {"list": 200, "read team": 200, "read sales": 200, "take team": 403, "take sales": 403, "dial mine": 403, "result mine": 403},
	}
	for user, statuses := range want {
		for name, status := range statuses {
			fe := newFollowUpEnv(t)
			fx := fe.fixture(t)
			token := ""
			if user != "" {
				token = fe.login(user)
			}
			r := routes(fx)[name]
			if got := fe.do(r.method, r.path, token, r.body); got.status != status {
				t.Errorf("%s %s (%s) as %q: %d %s, want %d", r.method, r.path, name, user, got.status, got.body, status)
			}
		}
	}
}

// TestFollowUpEvents: each step of a complaint's follow-up is an event on
// the complaint stream, for the complaint's owner and the supervisors
// (the pages read the follow-ups again).
func TestFollowUpEvents(t *testing.T) {
	fe := newFollowUpEnv(t)
	fx := fe.fixture(t)
	sup := fe.openComplaintStream(fe.login("wang"))
	owner := fe.openComplaintStream(fe.login("hanmei")) // 1002 owns the complaint
	lilei := fe.login("lilei")
	for _, step := range []struct{ path, body string }{{"take", ""}, {"dial", ""}, {"result", `{"reached":true,"satisfied":true}`}} {
		fe.must(http.StatusOK, "POST", "/api/followups/"+fx.team.ID+"/"+step.path, lilei, step.body, nil)
		want := fmt.Sprintf(`{"id":%q,"kind":"followup_%s"}`, fx.complaint.ID, step.path)
		for who, s := range map[string]*stream{"the supervisor": sup, "the owner": owner} {
			if ev := s.next(); ev.name != "complaint" || ev.data != want {
				t.Errorf("%s's stream after %s: %+v, want %s", who, step.path, ev, want)
			}
		}
	}
	// A task without a complaint tells no one.
	fe.must(http.StatusOK, "POST", "/api/followups/"+fx.mine.ID+"/dial", lilei, "", nil)
	if _, err := fe.fc.Act(t.Context(), fx.complaint.ID, "wang", "reopen", "again", ""); err != nil {
		t.Fatal(err)
	}
	if err := fe.srv.Notify(t.Context(), complaints.Notice{ID: "n1", Kind: complaints.NoticeWarning, ComplaintID: fx.complaint.ID}); err != nil {
		t.Fatal(err)
	}
	if ev := sup.next(); ev.data != fmt.Sprintf(`{"id":%q,"kind":"warning"}`, fx.complaint.ID) {
		t.Errorf("after the task without a complaint, the next event is %+v", ev)
	}
}

// sameOutbound compares two outbound requests but for their Ended funcs.
func sameOutbound(a, b acd.OutboundRequest) bool {
	a.Ended, b.Ended = nil, nil
	return a.Agent == b.Agent && a.Number == b.Number && a.Hotline == b.Hotline && a.Ref == b.Ref && a.LinkedCallID == b.LinkedCallID
}

// TestFollowUpCallOutcomes: the follow-ups take the ACD's words for how a
// call out ended, every one of them.
func TestFollowUpCallOutcomes(t *testing.T) {
	for _, p := range [][2]string{
		{acd.OutboundTalked, followup.CallTalked}, {acd.OutboundNoAnswer, followup.CallNoAnswer},
		{acd.OutboundBusy, followup.CallBusy}, {acd.OutboundRejected, followup.CallRejected},
		{acd.OutboundFailed, followup.CallFailed}, {acd.OutboundAgentNoAnswer, followup.CallAgentNoAnswer},
		{acd.OutboundCancelled, followup.CallCancelled}, {acd.OutboundInterrupted, followup.CallInterrupted},
	} {
		if p[0] != p[1] {
			t.Errorf("the ACD says %q where the follow-ups expect %q", p[0], p[1])
		}
	}
}
