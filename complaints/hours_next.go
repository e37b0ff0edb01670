package complaints

import "time"

// EveryDay is opening hours from open to close on every day of the week
// (like 9 h to 20 h, the follow-up visits' allowed hours), in zone.
func EveryDay(zone *time.Location, open, close time.Duration) Hours {
	h := Hours{Zone: zone}
	for d := time.Sunday; d <= time.Saturday; d++ {
		h.Week[d] = []Span{{open, close}}
	}
	return h
}

// Check says what is wrong with the hours, if anything (a span outside
// its day, or before the previous one): for other packages that take
// Hours in their configuration.
func (h Hours) Check() error { return h.check() }

// Next returns the first instant at or after t that is within the
// opening hours: t itself when it is open (a span's end is not), the next
// span's start otherwise. Calendar hours are always open: t. Spans are
// read in the hours' zone on each day's wall clock.
func (h Hours) Next(t time.Time) time.Time {
	if h.Calendar() {
		return t
	}
	zone := h.Zone
	if zone == nil {
		zone = time.UTC
	}
	lt := t.In(zone)
	y, m, day := lt.Date()
	for range 8 { // a week has an opening, Calendar being false
		for _, s := range h.Week[time.Date(y, m, day, 0, 0, 0, 0, zone).Weekday()] {
			from, to := at(y, m, day, s.From, zone), at(y, m, day, s.To, zone)
			if !lt.Before(to) {
				continue
			}
			if lt.Before(from) {
				return from.In(t.Location())
			}
			return t
		}
		next := time.Date(y, m, day+1, 0, 0, 0, 0, zone)
		y, m, day = next.Date()
	}
	return t // unreachable: some day has a span
}

// Open tells whether t is within the opening hours.
func (h Hours) Open(t time.Time) bool { return h.Next(t).Equal(t) }
