package store

import (
	"strings"
	"testing"
	"time"
)

func TestPeriods(t *testing.T) {
	load := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	shanghai, newYork, kolkata := load("Asia/Shanghai"), load("America/New_York"), load("Asia/Kolkata")
	at := func(loc *time.Location, y int, mo time.Month, d, h, mi int) time.Time {
		return time.Date(y, mo, d, h, mi, 0, 0, loc)
	}
	utc := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}

	tests := []struct {
		name     string
		from, to time.Time
		loc      *time.Location
		by       string
		want     []string // key start end, the times in UTC
	}{
		{name: "days cut to the period", from: at(shanghai, 2025, 3, 1, 6, 0), to: at(shanghai, 2025, 3, 3, 12, 0), loc: shanghai, by: GroupByDay,
			want: []string{
				"2025-03-01 2025-02-28T22:00:00Z 2025-03-01T16:00:00Z",
				"2025-03-02 2025-03-01T16:00:00Z 2025-03-02T16:00:00Z",
				"2025-03-03 2025-03-02T16:00:00Z 2025-03-03T04:00:00Z",
			}},
		{name: "hours cut to the period", from: at(shanghai, 2025, 3, 1, 9, 30), to: at(shanghai, 2025, 3, 1, 11, 15), loc: shanghai, by: GroupByHour,
			want: []string{
				"2025-03-01 09:00 2025-03-01T01:30:00Z 2025-03-01T02:00:00Z",
				"2025-03-01 10:00 2025-03-01T02:00:00Z 2025-03-01T03:00:00Z",
				"2025-03-01 11:00 2025-03-01T03:00:00Z 2025-03-01T03:15:00Z",
			}},
		// New York falls back on 2 November 2025 at 02:00 EDT: a day of 25
		// hours, and 01:00 twice.
		{name: "a 25-hour day", from: at(newYork, 2025, 11, 1, 0, 0), to: at(newYork, 2025, 11, 4, 0, 0), loc: newYork, by: GroupByDay,
			want: []string{
				"2025-11-01 2025-11-01T04:00:00Z 2025-11-02T04:00:00Z",
				"2025-11-02 2025-11-02T04:00:00Z 2025-11-03T05:00:00Z",
				"2025-11-03 2025-11-03T05:00:00Z 2025-11-04T05:00:00Z",
			}},
		{name: "an hour twice", from: utc("2025-11-02T04:00:00Z"), to: utc("2025-11-02T08:00:00Z"), loc: newYork, by: GroupByHour,
			want: []string{
				"2025-11-02 00:00 2025-11-02T04:00:00Z 2025-11-02T05:00:00Z",
				"2025-11-02 01:00 2025-11-02T05:00:00Z 2025-11-02T06:00:00Z",
				"2025-11-02 01:00 2025-11-02T06:00:00Z 2025-11-02T07:00:00Z",
				"2025-11-02 02:00 2025-11-02T07:00:00Z 2025-11-02T08:00:00Z",
			}},
		// It springs forward on 9 March 2025: 02:00 never happens.
		{name: "a skipped hour", from: utc("2025-03-09T05:00:00Z"), to: utc("2025-03-09T08:00:00Z"), loc: newYork, by: GroupByHour,
			want: []string{
				"2025-03-09 00:00 2025-03-09T05:00:00Z 2025-03-09T06:00:00Z",
				"2025-03-09 01:00 2025-03-09T06:00:00Z 2025-03-09T07:00:00Z",
				"2025-03-09 03:00 2025-03-09T07:00:00Z 2025-03-09T08:00:00Z",
			}},
		// ISO weeks, Monday first: 2025's first week starts on Monday 30
		// December 2024.
		{name: "weeks over the new year", from: at(shanghai, 2024, 12, 25, 0, 0), to: at(shanghai, 2025, 1, 15, 0, 0), loc: shanghai, by: ComplaintsByWeek,
			want: []string{
				"2024-W52 2024-12-24T16:00:00Z 2024-12-29T16:00:00Z",
				"2025-W01 2024-12-29T16:00:00Z 2025-01-05T16:00:00Z",
				"2025-W02 2025-01-05T16:00:00Z 2025-01-12T16:00:00Z",
				"2025-W03 2025-01-12T16:00:00Z 2025-01-14T16:00:00Z",
			}},
		// March 2025 in New York is an hour short: it springs forward on the
		// 9th.
		{name: "months", from: at(newYork, 2025, 2, 15, 0, 0), to: at(newYork, 2025, 4, 10, 0, 0), loc: newYork, by: ComplaintsByMonth,
			want: []string{
				"2025-02 2025-02-15T05:00:00Z 2025-03-01T05:00:00Z",
				"2025-03 2025-03-01T05:00:00Z 2025-04-01T04:00:00Z",
				"2025-04 2025-04-01T04:00:00Z 2025-04-10T04:00:00Z",
			}},
		// India is UTC+5:30: its hours start at half past in UTC.
		{name: "half-hour offset", from: utc("2025-03-01T00:00:00Z"), to: utc("2025-03-01T02:00:00Z"), loc: kolkata, by: GroupByHour,
			want: []string{
				"2025-03-01 05:00 2025-03-01T00:00:00Z 2025-03-01T00:30:00Z",
				"2025-03-01 06:00 2025-03-01T00:30:00Z 2025-03-01T01:30:00Z",
				"2025-03-01 07:00 2025-03-01T01:30:00Z 2025-03-01T02:00:00Z",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := periods(tt.from, tt.to, tt.loc, tt.by)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.key+" "+p.start.UTC().Format(time.RFC3339)+" "+p.end.UTC().Format(time.RFC3339))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
