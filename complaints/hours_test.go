package complaints_test

import (
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
)

// TestHoursAdd checks deadlines computed by hand: calendar time, and
// Mon–Fri 09:00–18:00 business hours (9 open hours a day) in Shanghai
// (UTC+8, no DST) and in UTC, across nights and weekends.
func TestHoursAdd(t *testing.T) {
	sh := time.FixedZone("Asia/Shanghai", 8*3600)
	biz := complaints.WeekdayHours(sh, 9*time.Hour, 18*time.Hour)
	split := complaints.Hours{Zone: time.UTC} // Mon–Sat 08:00–12:00 and 13:00–17:00
	for d := time.Monday; d <= time.Saturday; d++ {
		split.Week[d] = []complaints.Span{{From: 8 * time.Hour, To: 12 * time.Hour}, {From: 13 * time.Hour, To: 17 * time.Hour}}
	}
	at := func(zone *time.Location, s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, zone)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// 2026-12-04 is a Friday; 2026-12-05/06 the weekend; 2026-12-07 a Monday.
	for _, tt := range []struct {
		name  string
		hours complaints.Hours
		start string
		d     time.Duration
		want  string
	}{
		{"calendar 24h over the weekend", complaints.Hours{}, "2026-12-04 17:00", 24 * time.Hour, "2026-12-05 17:00"},
		{"calendar 72h", complaints.Hours{Zone: sh}, "2026-12-04 10:30", 72 * time.Hour, "2026-12-07 10:30"},
		// Fri 17:00 +24 open h: Fri 1 h (to 18:00), Mon 9 h, Tue 9 h (19 h), Wed 5 h → Wed 14:00.
		{"24h from Friday afternoon", biz, "2026-12-04 17:00", 24 * time.Hour, "2026-12-09 14:00"},
		// the warning 4 h earlier: 20 open h → Wed 10:00.
		{"20h from Friday afternoon", biz, "2026-12-04 17:00", 20 * time.Hour, "2026-12-09 10:00"},
		// Saturday: nothing counts until Mon 09:00; 24 h = Mon 9, Tue 9, Wed 6 → Wed 15:00.
		{"24h from Saturday", biz, "2026-12-05 11:00", 24 * time.Hour, "2026-12-09 15:00"},
		// before opening: Mon 07:00 counts from 09:00; 9 h → Mon 18:00 (the end of the span).
		{"9h from before opening", biz, "2026-12-07 07:00", 9 * time.Hour, "2026-12-07 18:00"},
		// after closing: Mon 20:00 counts from Tue 09:00; 1 h → Tue 10:00.
		{"1h from after closing", biz, "2026-12-07 20:00", time.Hour, "2026-12-08 10:00"},
		// 72 open h from Wed 12:00: Wed 6, Thu 9, Fri 9 (24), Mon..Fri 45 (69), next Mon 3 → Mon 2026-12-14 12:00.
		{"72h across a weekend", biz, "2026-12-02 12:00", 72 * time.Hour, "2026-12-14 12:00"},
		// split days, UTC: Sat 11:00 +6 h: Sat 1 (to 12), 4 (13–17) = 5, Mon 1 → Mon 09:00.
		{"split spans, Saturday open", split, "2026-12-05 11:00", 6 * time.Hour, "2026-12-07 09:00"},
		// lunch: Mon 12:30 +1 h → 14:00.
		{"lunch break", split, "2026-12-07 12:30", time.Hour, "2026-12-07 14:00"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			zone := tt.hours.Zone
			if zone == nil {
				zone = time.UTC
			}
			got := tt.hours.Add(at(zone, tt.start), tt.d)
			if want := at(zone, tt.want); !got.Equal(want) {
				t.Errorf("Add(%s, %v) = %v, want %v", tt.start, tt.d, got.In(zone), want)
			}
		})
	}
}

// TestHoursNext: the next allowed instant of every day 09:00–20:00 in
// Shanghai, and of weekday hours across a weekend.
func TestHoursNext(t *testing.T) {
	sh := time.FixedZone("Asia/Shanghai", 8*3600)
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, sh)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	daily := complaints.EveryDay(sh, 9*time.Hour, 20*time.Hour)
	biz := complaints.WeekdayHours(sh, 9*time.Hour, 18*time.Hour)
	for _, tt := range []struct {
		h        complaints.Hours
		from, to string
	}{
		{daily, "2026-12-07 23:00", "2026-12-08 09:00"},
		{daily, "2026-12-08 03:10", "2026-12-08 09:00"},
		{daily, "2026-12-08 09:00", "2026-12-08 09:00"},
		{daily, "2026-12-08 19:59", "2026-12-08 19:59"},
		{daily, "2026-12-08 20:00", "2026-12-09 09:00"},
		{biz, "2026-12-04 18:30", "2026-12-07 09:00"}, // Friday evening → Monday
		{biz, "2026-12-05 11:00", "2026-12-07 09:00"},
		{complaints.Hours{}, "2026-12-05 03:00", "2026-12-05 03:00"},
	} {
		if got := tt.h.Next(at(tt.from)); !got.Equal(at(tt.to)) {
			t.Errorf("Next(%s) = %v, want %s", tt.from, got.In(sh), tt.to)
		}
		if open := tt.h.Open(at(tt.from)); open != (tt.from == tt.to) {
			t.Errorf("Open(%s) = %v", tt.from, open)
		}
	}
}
