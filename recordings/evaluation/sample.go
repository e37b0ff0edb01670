package evaluation

import (
	"cmp"
	"encoding/binary"
	"hash/fnv"
	"slices"
	"time"
)

// Rules pick the calls QA reviews: some at random for every agent every
// week, and every call that needs a look.
type Rules struct {
	// RandomPerAgentWeek answered calls of each agent each week (Monday to
	// Sunday in the centre's time zone), picked at random.
	RandomPerAgentWeek int
	// CSATAtMost picks every call the caller rated this or lower (0: off).
	CSATAtMost int
	// Complaint picks every call with a complaint.
	Complaint bool
	// Transfer picks every call the agent transferred.
	Transfer bool
	// HoldOver picks every call held longer than this in all (0: off).
	HoldOver time.Duration
}

// Candidate is an agent's part of an answered call, as sampling sees it.
type Candidate struct {
	CallID, Agent string
	Ended         time.Time
	CSAT          int // 0: no survey answer
	Complaint     bool
	Transfers     int
	HoldTime      time.Duration
}

// The reasons a call is picked.
const (
	ReasonRandom    = "random"
	ReasonLowCSAT   = "low_csat"
	ReasonComplaint = "complaint"
	ReasonTransfer  = "transfer"
	ReasonLongHold  = "long_hold"
)

// Pick is a call picked for review, and why.
type Pick struct {
	CallID, Agent string
	Reasons       []string
}

// Sample picks calls for review by the rules. The random picks are a
// function of seed and the calls' IDs, so that running it again over the
// same week picks the same calls (and more calls arriving later do not
// reshuffle the ones already picked more than the count allows).
func Sample(r Rules, calls []Candidate, loc *time.Location, seed uint64) []Pick {
	picks := map[[2]string]*Pick{}
	var order [][2]string
	add := func(c Candidate, reason string) {
		k := [2]string{c.CallID, c.Agent}
		p, ok := picks[k]
		if !ok {
			p = &Pick{CallID: c.CallID, Agent: c.Agent}
			picks[k] = p
			order = append(order, k)
		}
		if !slices.Contains(p.Reasons, reason) {
			p.Reasons = append(p.Reasons, reason)
		}
	}
	// Random: per agent and week, the calls with the smallest keys.
	type bucket struct {
		agent string
		week  time.Time
	}
	buckets := map[bucket][]Candidate{}
	for _, c := range calls {
		b := bucket{c.Agent, WeekOf(c.Ended, loc)}
		buckets[b] = append(buckets[b], c)
	}
	keys := make([]bucket, 0, len(buckets))
	for b := range buckets {
		keys = append(keys, b)
	}
	slices.SortFunc(keys, func(a, b bucket) int { return cmp.Or(cmp.Compare(a.agent, b.agent), a.week.Compare(b.week)) })
	for _, b := range keys {
		list := buckets[b]
		slices.SortFunc(list, func(x, y Candidate) int { return cmp.Compare(draw(seed, x.CallID), draw(seed, y.CallID)) })
		for _, c := range list[:min(r.RandomPerAgentWeek, len(list))] {
			add(c, ReasonRandom)
		}
	}
	for _, c := range calls {
		if r.CSATAtMost > 0 && c.CSAT > 0 && c.CSAT <= r.CSATAtMost {
			add(c, ReasonLowCSAT)
		}
		if r.Complaint && c.Complaint {
			add(c, ReasonComplaint)
		}
		if r.Transfer && c.Transfers > 0 {
			add(c, ReasonTransfer)
		}
		if r.HoldOver > 0 && c.HoldTime > r.HoldOver {
			add(c, ReasonLongHold)
		}
	}
	out := make([]Pick, len(order))
	for i, k := range order {
		out[i] = *picks[k]
	}
	return out
}

// WeekOf is the Monday 00:00 starting t's week in loc.
func WeekOf(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	back := (int(t.Weekday()) + 6) % 7 // days since Monday
	y, m, d := t.Date()
	return time.Date(y, m, d-back, 0, 0, 0, 0, loc)
}

// draw is a call's place in the random order of seed.
func draw(seed uint64, id string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(id))
	return h.Sum64()
}
