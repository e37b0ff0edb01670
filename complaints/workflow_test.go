package complaints_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
)

// TestWorkflow takes a complaint through every step, with a hand-off, a
// customer's feedback and a reopening, and checks every change is kept
// with who, when and the note, the owner never changes, and each notice
// goes out once.
func TestWorkflow(t *testing.T) {
	start := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC) // 18:00 in Shanghai
	r := newRig(t, start)
	s := r.service(t)
	ctx := t.Context()

	c, err := s.Register(ctx, registration("400-cal", "quality"), "agent-wang")
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "id", c.ID, "C20261206-000001")
	mustEqual(t, "state", c.State, complaints.Notified)
	mustEqual(t, "owner", c.Owner, "agent-wang")
	mustSlice(t, "teams", c.Teams, []string{"quality-dept"})
	mustTime(t, "resolve due", c.ResolveDue, start.Add(24*time.Hour))
	mustEqual(t, "feedback due", c.FeedbackDue.IsZero(), true)
	mustSlice(t, "notices of the registration", kinds(r.inbox.take()), []string{"registered@quality-dept"})

	step := func(actor string, a complaints.Action, note, team string, want complaints.State) complaints.Complaint {
		t.Helper()
		r.clock.Advance(time.Hour)
		c, err := s.Act(ctx, c.ID, actor, a, note, team)
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		mustEqual(t, string(a)+": state", c.State, want)
		mustEqual(t, string(a)+": owner", c.Owner, "agent-wang")
		return c
	}
	step("agent-wang", complaints.ActStart, "calling the service centre", "", complaints.InProgress)
	c = step("sup-li", complaints.ActHandOff, "the installer's branch must look", "install-north", complaints.InProgress)
	mustSlice(t, "teams after the hand-off", c.Teams, []string{"quality-dept", "install-north"})
	mustSlice(t, "notices of the hand-off", kinds(r.inbox.take()), []string{"hand_off@install-north"})
	c = step("agent-wang", complaints.ActFeedback, "the customer called again: still leaking", "", complaints.InProgress)
	mustTime(t, "feedback due", c.FeedbackDue, start.Add(3*time.Hour+72*time.Hour))
	c = step("agent-zhao", complaints.ActResolve, "replaced with a new machine", "", complaints.Resolved)
	mustEqual(t, "resolution", c.Resolution, "replaced with a new machine")
	mustEqual(t, "resolve clock stopped", c.ResolveDue.IsZero(), true)
	mustEqual(t, "feedback clock stopped", c.FeedbackDue.IsZero(), true)
	step("agent-wang", complaints.ActFollowUp, "customer: the new machine leaks too", "", complaints.FollowedUp)
	c = step("agent-wang", complaints.ActReopen, "not satisfied", "", complaints.InProgress)
	mustTime(t, "reopened: the 24 h clock restarts", c.ResolveDue, start.Add(6*time.Hour+24*time.Hour))
	mustSlice(t, "notices of the reopening", kinds(r.inbox.take()), []string{"reopened@quality-dept", "reopened@install-north", "reopened@to:agent-wang"})
	step("agent-wang", complaints.ActResolve, "refund agreed", "", complaints.Resolved)
	step("agent-wang", complaints.ActFollowUp, "customer satisfied", "", complaints.FollowedUp)
	c = step("agent-wang", complaints.ActClose, "", "", complaints.Closed)
	mustEqual(t, "final resolution", c.Resolution, "refund agreed")

	got, err := s.Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i, ch := range got.Changes {
		mustEqual(t, "seq", ch.Seq, i+1)
		lines = append(lines, strings.Join([]string{ch.At.UTC().Format("15:04"), ch.Actor, string(ch.Action), string(ch.From), string(ch.To), ch.Note, ch.Team}, "|"))
	}
	mustSlice(t, "changes", lines, []string{
		"10:00|agent-wang|register||registered||quality-dept",
		"10:00|system|notify|registered|notified|notice queued for the team|quality-dept",
		"11:00|agent-wang|start|notified|in_progress|calling the service centre|",
		"12:00|sup-li|hand_off|in_progress|in_progress|the installer's branch must look|install-north",
		"13:00|agent-wang|feedback|in_progress|in_progress|the customer called again: still leaking|",
		"14:00|agent-zhao|resolve|in_progress|resolved|replaced with a new machine|",
		"15:00|agent-wang|follow_up|resolved|followed_up|customer: the new machine leaks too|",
		"16:00|agent-wang|reopen|followed_up|in_progress|not satisfied|",
		"17:00|agent-wang|resolve|in_progress|resolved|refund agreed|",
		"18:00|agent-wang|follow_up|resolved|followed_up|customer satisfied|",
		"19:00|agent-wang|close|followed_up|closed||",
	})
	mustEqual(t, "owner kept", got.Owner, "agent-wang")
	mustEqual(t, "no stray notices", len(r.inbox.take()), 0)

	// The next registration of the day in the centre's zone is numbered next.
	c2, err := s.Register(ctx, registration("400-cal", "damaged"), "agent-zhao")
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "second id (the Shanghai day turned at 16:00 UTC)", c2.ID, "C20261207-000001")
}

// TestRefusals: what the workflow and the validation refuse, and how they
// say it.
func TestRefusals(t *testing.T) {
	r := newRig(t, time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC))
	s := r.service(t)
	ctx := t.Context()
	for _, tt := range []struct {
		name  string
		reg   func(*complaints.Registration)
		owner string
		want  string
	}{
		{"no owner", func(*complaints.Registration) {}, "", "owner is required"},
		{"no complainant", func(r *complaints.Registration) { r.Complainant = "  " }, "a", "complainant is required"},
		{"no contact", func(r *complaints.Registration) { r.Contact = "" }, "a", "contact is required"},
		{"no content", func(r *complaints.Registration) { r.Content = "" }, "a", "content is required"},
		{"content too long", func(r *complaints.Registration) { r.Content = strings.Repeat("漏", 4001) }, "a", "content is longer than 4000 characters"},
		{"unknown category", func(r *complaints.Registration) { r.Category = "price" }, "a", `category "price" is not a configured complaint category`},
		{"bad source", func(r *complaints.Registration) { r.Source = "fax" }, "a", `source "fax" is not one of agent, ivr, api`},
		{"no team at all", func(r *complaints.Registration) { r.Category = "no-team" }, "a", `team is required: category "no-team" has no default team`},
	} {
		reg := registration("400-cal", "quality")
		tt.reg(&reg)
		_, err := s.Register(ctx, reg, tt.owner)
		if !errors.Is(err, complaints.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want ErrInvalid saying %q", tt.name, err, tt.want)
		}
	}
	c, err := s.Register(ctx, registration("400-cal", "no-team"), "agent-wang")
	if err == nil {
		t.Fatalf("registered %s without a team", c.ID)
	}
	reg := registration("400-cal", "no-team")
	reg.Team = "quality-dept"
	if c, err = s.Register(ctx, reg, "agent-wang"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		a          complaints.Action
		note, team string
		err        error
		want       string
	}{
		{complaints.ActClose, "", "", complaints.ErrStep, "only a followed-up complaint is closed (it is notified)"},
		{complaints.ActFollowUp, "x", "", complaints.ErrStep, "only a resolved complaint is followed up"},
		{complaints.ActReopen, "x", "", complaints.ErrStep, "only a resolved, followed-up or closed complaint is reopened"},
		{complaints.ActNotify, "", "", complaints.ErrStep, "the team was told already"},
		{complaints.ActResolve, "", "", complaints.ErrInvalid, "note is required: the resolution"},
		{complaints.ActFeedback, " ", "", complaints.ErrInvalid, "note is required: the customer's feedback"},
		{complaints.ActHandOff, "", "", complaints.ErrInvalid, "team is required"},
		{complaints.ActHandOff, "", "quality-dept", complaints.ErrStep, "team quality-dept is responsible already"},
		{complaints.ActStart, "", "x", complaints.ErrInvalid, "only a hand_off names a team"},
		{"archive", "", "", complaints.ErrInvalid, `action "archive" is not one of`},
	} {
		_, err := s.Act(ctx, c.ID, "agent-wang", tt.a, tt.note, tt.team)
		if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %v saying %q", tt.a, err, tt.err, tt.want)
		}
	}
	if _, err := s.Act(ctx, c.ID, "", complaints.ActStart, "", ""); !errors.Is(err, complaints.ErrInvalid) {
		t.Errorf("no actor: got %v", err)
	}
	if _, err := s.Act(ctx, "C20261206-999999", "a", complaints.ActStart, "", ""); !errors.Is(err, complaints.ErrNotFound) {
		t.Errorf("unknown ID: got %v", err)
	}
	if _, err := s.Get(ctx, "nope"); !errors.Is(err, complaints.ErrNotFound) {
		t.Errorf("Get unknown: got %v", err)
	}
	got, err := s.Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "refused steps leave no change", len(got.Changes), 2)
	mustEqual(t, "state kept", got.State, complaints.Notified)
}

// TestNotifierDown: a notice that cannot be queued does not undo the
// step; the registration stays registered until ActNotify succeeds.
func TestNotifierDown(t *testing.T) {
	r := newRig(t, time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC))
	s := r.service(t)
	ctx := t.Context()
	r.inbox.setFailing(true)
	c, err := s.Register(ctx, registration("400-cal", "quality"), "agent-wang")
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "state", c.State, complaints.Registered)
	if c, err = s.Act(ctx, c.ID, "sup-li", complaints.ActHandOff, "", "install-north"); err != nil {
		t.Fatal(err)
	}
	mustSlice(t, "hand-off kept", c.Teams, []string{"quality-dept", "install-north"})
	r.inbox.setFailing(false)
	if c, err = s.Act(ctx, c.ID, "agent-wang", complaints.ActNotify, "", ""); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "state", c.State, complaints.Notified)
	mustSlice(t, "notices", kinds(r.inbox.take()), []string{"registered@quality-dept", "registered@install-north"})
}
