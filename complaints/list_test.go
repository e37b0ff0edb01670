package complaints_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
)

// TestList: every filter, newest first, and the owner kept across
// hand-offs.
func TestList(t *testing.T) {
	start := time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	r := newRig(t, start)
	s := r.service(t)
	ctx := t.Context()
	reg := func(category, owner string) string {
		t.Helper()
		r.clock.Advance(time.Hour)
		c, err := s.Register(ctx, registration("400-cal", category), owner)
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	act := func(id string, a complaints.Action, note, team string) {
		t.Helper()
		if _, err := s.Act(ctx, id, "sup-li", a, note, team); err != nil {
			t.Fatal(err)
		}
	}
	q1 := reg("quality", "agent-wang") // 02:00, due 02:00 next day
	d1 := reg("damaged", "agent-zhao") // 03:00, due 15:00
	q2 := reg("quality", "agent-zhao") // 04:00
	d2 := reg("damaged", "agent-wang") // 05:00, due 17:00
	act(q1, complaints.ActHandOff, "", "install-north")
	act(q1, complaints.ActHandOff, "", "install-south")
	act(d1, complaints.ActStart, "", "")
	act(q2, complaints.ActResolve, "explained the warranty", "")

	r.clock.Advance(11 * time.Hour) // 16:00: d1 overdue, d2 not yet
	ids := func(f complaints.Filter) []string {
		t.Helper()
		cs, err := s.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			if c.Changes != nil {
				t.Errorf("List filled %s's changes", c.ID)
			}
			out = append(out, c.ID)
		}
		return out
	}
	mustSlice(t, "all, newest first", ids(complaints.Filter{}), []string{d2, q2, d1, q1})
	mustSlice(t, "limit", ids(complaints.Filter{Limit: 2}), []string{d2, q2})
	mustSlice(t, "states", ids(complaints.Filter{States: []complaints.State{complaints.InProgress, complaints.Resolved}}), []string{q2, d1})
	mustSlice(t, "owner", ids(complaints.Filter{Owner: "agent-wang"}), []string{d2, q1})
	mustSlice(t, "team", ids(complaints.Filter{Team: "install-south"}), []string{q1})
	mustSlice(t, "category", ids(complaints.Filter{Category: "damaged"}), []string{d2, d1})
	mustSlice(t, "overdue", ids(complaints.Filter{Overdue: true}), []string{d1})
	mustSlice(t, "registered in [03:00, 05:00)", ids(complaints.Filter{From: start.Add(2 * time.Hour), To: start.Add(4 * time.Hour)}), []string{q2, d1})
	r.clock.Advance(10 * time.Hour) // 02:00 next day: q1's 24 h are up too
	mustSlice(t, "overdue later", ids(complaints.Filter{Overdue: true, Owner: "agent-wang"}), []string{d2, q1})
	mustSlice(t, "overdue of a team", ids(complaints.Filter{Overdue: true, Team: "logistics", States: []complaints.State{complaints.InProgress}}), []string{d1})

	// The screen pop: a caller's open complaints by its number.
	other := registration("400-cal", "quality")
	other.Contact = "13900139000"
	r.clock.Advance(time.Minute)
	o, err := s.Register(ctx, other, "agent-zhao")
	if err != nil {
		t.Fatal(err)
	}
	byContact := func(contact string, states ...complaints.State) []string {
		t.Helper()
		cs, err := s.ListByContact(ctx, contact, states, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	mustSlice(t, "the other caller's", byContact("13900139000"), []string{o.ID})
	mustSlice(t, "the first caller's open ones", byContact("13800138000", complaints.Registered, complaints.Notified, complaints.InProgress), []string{d2, d1, q1})
	mustSlice(t, "no contact", byContact(""), nil)

	c, err := s.Get(ctx, q1)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "owner after two hand-offs", c.Owner, "agent-wang")
	mustSlice(t, "teams after two hand-offs", c.Teams, []string{"quality-dept", "install-north", "install-south"})
	if _, err := s.List(ctx, complaints.Filter{States: []complaints.State{"archived"}}); !errors.Is(err, complaints.ErrInvalid) {
		t.Errorf("an unknown state: got %v", err)
	}
}
