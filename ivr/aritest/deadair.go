package aritest

import (
	"slices"
	"time"
)

// Gap is a stretch of time during which a party heard nothing.
type Gap struct {
	Start, End time.Time
}

// Duration is how long the gap lasted.
func (g Gap) Duration() time.Duration { return g.End.Sub(g.Start) }

// DeadAir returns the stretches of at least min during which the party
// heard nothing at all, from the moment its channel was created until it
// ended (or now): no prompt, music, ringing tone or beep on its channel or
// its bridge, and no other party in its bridge to talk to. Time before the
// channel was answered counts as silence, so a call that rings on with
// nobody driving it is dead air too. This is the measure of the "no caller
// left in silence" rule.
func (p *Party) DeadAir(min time.Duration) []Gap {
	s := p.s
	s.mu.Lock()
	defer s.mu.Unlock()
	end := p.endedAt
	if end.IsZero() {
		end = s.now()
	}
	var audible []Gap
	add := func(from, to time.Time) {
		if to.IsZero() || to.After(end) {
			to = end
		}
		if from.Before(to) {
			audible = append(audible, Gap{from, to})
		}
	}
	for _, h := range p.log {
		if h.Start.IsZero() {
			continue
		}
		add(h.Start, h.End)
	}
	for _, m := range p.ch.memberships {
		for _, o := range m.b.history {
			if o.ch == p.ch || o.ch.party == nil {
				continue // only a party on the far side is someone to hear
			}
			from, to := later(m.from, o.from), earlier(m.to, o.to)
			add(from, to)
		}
	}
	slices.SortFunc(audible, func(a, b Gap) int { return a.Start.Compare(b.Start) })
	var gaps []Gap
	cursor := p.ch.created
	for _, a := range audible {
		if a.Start.After(cursor) && a.Start.Sub(cursor) >= min {
			gaps = append(gaps, Gap{cursor, a.Start})
		}
		if a.End.After(cursor) {
			cursor = a.End
		}
	}
	if end.Sub(cursor) >= min {
		gaps = append(gaps, Gap{cursor, end})
	}
	return gaps
}

// later and earlier compare membership bounds, a zero "to" meaning still
// a member.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	case a.Before(b):
		return a
	}
	return b
}
