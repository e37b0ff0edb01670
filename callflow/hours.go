package callflow

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// hours are the business hours of each day of the week, in the flow's time
// zone. A day without spans is closed.
type hours struct {
	days [7][]span // by time.Weekday
}

// span is a part of a day, in seconds since midnight: [from, to).
type span struct{ from, to int }

// dateRange is a holiday: days from and to, both included, as yyyymmdd.
type dateRange struct{ from, to int }

var (
	dayNames  = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} // by time.Weekday
	spanText  = regexp.MustCompile(`^([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})$`)
	dateText  = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	daysHint  = "a day (mon, tue, wed, thu, fri, sat, sun), a range like mon-fri, or daily"
	spanHint  = `like "09:00-18:00", or a list like ["09:00-12:00", "13:00-18:00"]`
	holidHint = `a date like "2026-10-01", or a range like "2026-10-01..2026-10-07"`
)

// Open reports whether t falls in the flow's business hours and is not a
// holiday, both in the flow's time zone. A flow without hours is open 24
// hours a day, except on its holidays.
func (f *Flow) Open(t time.Time) bool {
	if f.Holiday(t) {
		return false
	}
	if f.hours == nil {
		return true
	}
	lt := t.In(f.location())
	sec := lt.Hour()*3600 + lt.Minute()*60 + lt.Second()
	for _, s := range f.hours.days[lt.Weekday()] {
		if sec >= s.from && sec < s.to {
			return true
		}
	}
	return false
}

// Holiday reports whether t falls on one of the flow's holidays, in the
// flow's time zone.
func (f *Flow) Holiday(t time.Time) bool {
	y, m, d := t.In(f.location()).Date()
	day := y*10000 + int(m)*100 + d
	for _, h := range f.holidays {
		if day >= h.from && day <= h.to {
			return true
		}
	}
	return false
}

func (f *Flow) location() *time.Location {
	if f.Location == nil {
		return time.UTC
	}
	return f.Location
}

// hours reads the hours section:
//
//	hours: {mon-fri: "09:00-18:00", sat: ["09:00-12:00"]}
func (p *parser) hours(f *fields) *hours {
	n := f.get("hours")
	if n == nil {
		return nil
	}
	keys, vals := p.entries(n, "hours", `open hours by day, like {mon-fri: "09:00-18:00"}`)
	if n.Kind == yaml.MappingNode && len(n.Content) == 0 || isNull(n) {
		p.add(n.Line, "hours", "remove hours to be open 24 hours, or give the open days", "gives no open day")
	}
	h := &hours{}
	given := map[time.Weekday]string{} // day -> the key that gave it
	for i, k := range keys {
		path := join("hours", pathKey(k.Value))
		days, ok := parseDays(k.Value)
		if !ok {
			p.add(k.Line, path, daysHint, "%q is not a day or a range of days", k.Value)
			continue
		}
		var texts []*yaml.Node
		if vals[i].Kind == yaml.SequenceNode {
			texts = vals[i].Content
		} else {
			texts = []*yaml.Node{vals[i]}
		}
		var spans []span
		for _, t := range texts {
			s, ok := p.scalar(t, path, spanHint)
			if !ok {
				continue
			}
			sp, msg := parseSpan(s)
			if msg != "" {
				p.add(t.Line, path, spanHint, "%q %s", s, msg)
				continue
			}
			spans = append(spans, sp)
		}
		slices.SortFunc(spans, func(a, b span) int { return a.from - b.from })
		for j := 1; j < len(spans); j++ {
			if spans[j].from < spans[j-1].to {
				p.add(k.Line, path, "give each part of the day once", "%s overlaps %s", spanString(spans[j]), spanString(spans[j-1]))
			}
		}
		for _, d := range days {
			if other, dup := given[d]; dup {
				p.add(k.Line, path, "give each day once", "%s is given already, by %s", dayNames[d], other)
				continue
			}
			given[d] = k.Value
			h.days[d] = spans
		}
	}
	return h
}

// parseDays reads "mon", "mon-fri" (a range may wrap: "fri-mon") or "daily".
func parseDays(s string) ([]time.Weekday, bool) {
	if s == "daily" {
		return []time.Weekday{0, 1, 2, 3, 4, 5, 6}, true
	}
	from, to, isRange := strings.Cut(s, "-")
	if !isRange {
		to = from
	}
	a, b := slices.Index(dayNames, from), slices.Index(dayNames, to)
	if a < 0 || b < 0 || (isRange && a == b) {
		return nil, false
	}
	var days []time.Weekday
	for d := a; ; d = (d + 1) % 7 {
		days = append(days, time.Weekday(d))
		if d == b {
			return days, true
		}
	}
}

// parseSpan reads "HH:MM-HH:MM"; msg says what is wrong with it.
func parseSpan(s string) (sp span, msg string) {
	m := spanText.FindStringSubmatch(s)
	if m == nil {
		return span{}, "is not a time range"
	}
	n := make([]int, 4)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	if n[0] > 23 || n[1] > 59 || n[2] > 24 || n[3] > 59 || (n[2] == 24 && n[3] != 0) {
		return span{}, "is not a time range: hours go from 00 to 23 (24:00 ends a day), minutes from 00 to 59"
	}
	sp = span{from: n[0]*3600 + n[1]*60, to: n[2]*3600 + n[3]*60}
	if sp.to <= sp.from {
		return span{}, "ends before it starts; a range ending after midnight is two ranges, one each day"
	}
	return sp, ""
}

func spanString(s span) string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", s.from/3600, s.from%3600/60, s.to/3600, s.to%3600/60)
}

// holidays reads the holidays section, a list of dates and date ranges.
func (p *parser) holidays(f *fields) []dateRange {
	var out []dateRange
	seen := map[string]int{}
	for i, item := range p.list(f.get("holidays"), "holidays", holidHint) {
		field := fmt.Sprintf("holidays[%d]", i)
		s, ok := p.scalar(item, field, holidHint)
		if !ok {
			continue
		}
		from, to, isRange := strings.Cut(s, "..")
		if !isRange {
			to = from
		}
		a, okA := parseDate(from)
		b, okB := parseDate(to)
		switch {
		case !okA || !okB:
			p.add(item.Line, field, holidHint, "%q is not a date", s)
		case b < a:
			p.add(item.Line, field, "write the earlier date first", "%q ends before it starts", s)
		case seen[s] > 0:
			p.add(item.Line, field, "keep one of them", "%q is listed twice, first on line %d", s, seen[s])
		default:
			seen[s] = item.Line
			out = append(out, dateRange{from: a, to: b})
		}
	}
	return out
}

// parseDate reads YYYY-MM-DD as yyyymmdd, if it is a real date.
func parseDate(s string) (int, bool) {
	if !dateText.MatchString(s) {
		return 0, false
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, false
	}
	y, m, d := t.Date()
	return y*10000 + int(m)*100 + d, true
}
