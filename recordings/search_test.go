package recordings_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/recordings"
)

// searchRow is a recording of the search test with what its call's
// records hold.
type searchRow struct {
	job     recordings.Job
	outcome string
	csat    int
	state   recordings.State
}

// TestSearch: every filter selects exactly the recordings it should
// (checked against the same filter written plainly in Go), newest first,
// and keyset pages cover the results once each, even when recordings are
// added between two pages.
func TestSearch(t *testing.T) {
	rig := newRig(t, nil)
	p := rig.pipeline("hotline-1", recordings.Config{})
	hotlines := []string{"4008001234", "4008005678"}
	queues := []string{"after-sales", "complaints", "vip"}
	outcomes := []string{"answered", "abandoned", ""}
	states := []recordings.State{recordings.Cleaned, recordings.Cleaned, recordings.Stored, recordings.Failed, recordings.Deleted}
	var rows []searchRow
	for i := range 40 {
		j := splitJob(fmt.Sprintf("s%02d", i), time.Duration(30+i*7)*time.Second)
		j.Start = t0.Add(time.Duration(i%13) * time.Hour) // ties in start time: the ID breaks them
		j.End = j.Start.Add(time.Duration(30+i*7) * time.Second)
		j.Hotline, j.Queue = hotlines[i%2], queues[i%3]
		j.AgentID = fmt.Sprintf("10%02d", i%4)
		j.Caller = fmt.Sprintf("1380013%04d", i%5)
		j.PCIPauses = i % 3 % 2
		enqueue(t, p, j)
		r := searchRow{job: j, outcome: outcomes[i%3], csat: i % 6, state: states[i%5]}
		rows = append(rows, r)
		// What the call's records would hold, and how far the recording got.
		if _, err := rig.db.Exec(t.Context(), "UPDATE recordings SET state = $2 WHERE id = $1", j.ID, string(r.state)); err != nil {
			t.Fatal(err)
		}
		if r.outcome != "" {
			if _, err := rig.db.Exec(t.Context(), "INSERT INTO calls (id, outcome) VALUES ($1, $2)", j.CallID, r.outcome); err != nil {
				t.Fatal(err)
			}
		}
		if r.csat > 0 {
			if _, err := rig.db.Exec(t.Context(), "INSERT INTO survey_answers (call_id, question, score, at) VALUES ($1, 'csat', $2, $3)", j.CallID, r.csat, j.End); err != nil {
				t.Fatal(err)
			}
		}
	}
	yes, no := true, false
	for _, c := range []struct {
		name  string
		s     recordings.Search
		match func(searchRow) bool
	}{
		{"playable (default)", recordings.Search{}, func(searchRow) bool { return true }},
		{"period", recordings.Search{From: t0.Add(2 * time.Hour), To: t0.Add(5 * time.Hour)},
			func(r searchRow) bool {
				return !r.job.Start.Before(t0.Add(2*time.Hour)) && r.job.Start.Before(t0.Add(5*time.Hour))
			}},
		{"hotline", recordings.Search{Hotline: "4008005678"}, func(r searchRow) bool { return r.job.Hotline == "4008005678" }},
		{"queue", recordings.Search{Queue: "vip"}, func(r searchRow) bool { return r.job.Queue == "vip" }},
		{"agent", recordings.Search{AgentID: "1002"}, func(r searchRow) bool { return r.job.AgentID == "1002" }},
		{"caller", recordings.Search{Caller: "13800130001"}, func(r searchRow) bool { return r.job.Caller == "13800130001" }},
		{"outcome", recordings.Search{Outcome: "abandoned"}, func(r searchRow) bool { return r.outcome == "abandoned" }},
		{"duration", recordings.Search{MinDuration: 100 * time.Second, MaxDuration: 200 * time.Second},
			func(r searchRow) bool { d := r.job.Length(); return d >= 100*time.Second && d <= 200*time.Second }},
		{"pci paused", recordings.Search{PCIPause: &yes}, func(r searchRow) bool { return r.job.PCIPauses > 0 }},
		{"never paused", recordings.Search{PCIPause: &no}, func(r searchRow) bool { return r.job.PCIPauses == 0 }},
		{"csat 4-5", recordings.Search{MinCSAT: 4}, func(r searchRow) bool { return r.csat >= 4 }},
		{"csat 1-2", recordings.Search{MaxCSAT: 2}, func(r searchRow) bool { return r.csat >= 1 && r.csat <= 2 }},
		{"failed ones", recordings.Search{States: []recordings.State{recordings.Failed}}, nil},
		{"combined", recordings.Search{Hotline: "4008005678", Queue: "after-sales", MinCSAT: 1, PCIPause: &no},
			func(r searchRow) bool {
				return r.job.Hotline == "4008005678" && r.job.Queue == "after-sales" && r.csat >= 1 && r.job.PCIPauses == 0
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var want []string
			for _, r := range sorted(rows) {
				playable := r.state == recordings.Stored || r.state == recordings.Cleaned
				if c.match == nil && r.state == recordings.Failed || c.match != nil && playable && c.match(r) {
					want = append(want, r.job.ID)
				}
			}
			if len(want) == 0 {
				t.Fatal("the case selects nothing: it would prove nothing")
			}
			got := searchAll(t, rig, c.s, 3)
			if !slices.Equal(got, want) {
				t.Errorf("got  %v\nwant %v", got, want)
			}
		})
	}

	// Pages stay right while a newer recording arrives between two.
	s := recordings.Search{Limit: 5}
	first, err := rig.store.Search(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	late := splitJob("late", time.Minute)
	late.Start, late.End = t0.Add(100*time.Hour), t0.Add(100*time.Hour+time.Minute)
	enqueue(t, p, late)
	if _, err := rig.db.Exec(t.Context(), "UPDATE recordings SET state = 'cleaned' WHERE id = 'late'"); err != nil {
		t.Fatal(err)
	}
	s.After = first.Next
	second, err := rig.store.Search(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	all := searchAll(t, rig, recordings.Search{}, 100)
	var got []string
	for _, f := range append(first.Recordings, second.Recordings...) {
		got = append(got, f.ID)
	}
	if !slices.Equal(got, all[1:11]) {
		t.Errorf("two pages %v, want %v (the late one, newest, is not on them)", got, all[1:11])
	}
	f := first.Recordings[0]
	if f.Outcome == "" && f.CSAT == 0 {
		t.Errorf("first result %+v carries neither outcome nor CSAT", f)
	}

	for _, bad := range []struct {
		s    recordings.Search
		want string
	}{
		{recordings.Search{From: t0, To: t0.Add(-time.Hour)}, "ends before it starts"},
		{recordings.Search{MinCSAT: 6}, "csat minimum: 6"},
		{recordings.Search{MinDuration: time.Minute, MaxDuration: time.Second}, "below the minimum"},
		{recordings.Search{After: "garbage!"}, "not a cursor"},
		{recordings.Search{Limit: 501}, "limit"},
		{recordings.Search{States: []recordings.State{"lost"}}, `"lost"`},
	} {
		if _, err := rig.store.Search(t.Context(), bad.s); !errors.Is(err, recordings.ErrBadSearch) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: %v, want ErrBadSearch with %q", bad.s, err, bad.want)
		}
	}
}

// sorted orders rows as the search does: newest start first, then ID
// descending.
func sorted(rows []searchRow) []searchRow {
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b searchRow) int {
		if c := b.job.Start.Compare(a.job.Start); c != 0 {
			return c
		}
		return strings.Compare(b.job.ID, a.job.ID)
	})
	return out
}

// searchAll follows a search's pages of size limit to the end.
func searchAll(t *testing.T, rig *rig, s recordings.Search, limit int) []string {
	t.Helper()
	s.Limit = limit
	var ids []string
	for range 100 {
		page, err := rig.store.Search(t.Context(), s)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Recordings {
			ids = append(ids, f.ID)
		}
		if len(page.Recordings) > limit {
			t.Fatalf("page of %d, limit %d", len(page.Recordings), limit)
		}
		if page.Next == "" {
			return ids
		}
		s.After = page.Next
	}
	t.Fatal("more than 100 pages")
	return nil
}
