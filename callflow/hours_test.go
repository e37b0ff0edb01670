package callflow

import (
	"testing"
	"time"
)

func TestFlowOpenAndHoliday(t *testing.T) {
	f := readFlow(t, "smart-home.yaml") // Asia/Shanghai, UTC+8
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	sh := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation(time.DateTime, s, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name        string
		at          time.Time
		wantOpen    bool
		wantHoliday bool
	}{
		{"Saturday morning in Shanghai, still Friday night in UTC", utc("2026-10-16 23:00:00"), true, false},
		{"Friday 18:00 in Shanghai, Friday 10:00 in UTC", utc("2026-10-16 10:00:00"), false, false},
		{"Friday 17:59:59 in Shanghai", sh("2026-10-16 17:59:59"), true, false},
		{"Saturday 05:59 in Shanghai", sh("2026-10-17 05:59:00"), false, false},
		{"Saturday between the two spans", sh("2026-10-17 12:30:00"), false, false},
		{"Saturday second span", sh("2026-10-17 17:29:00"), true, false},
		{"Saturday second span's end", sh("2026-10-17 17:30:00"), false, false},
		{"Sunday", sh("2026-10-18 10:00:00"), false, false},
		{"Monday 09:00", sh("2026-10-12 09:00:00"), true, false},
		{"Monday 08:59:59", sh("2026-10-12 08:59:59"), false, false},
		{"the same instant given in New York", sh("2026-10-12 09:00:00").In(newYork), true, false},
		{"National Day, a Thursday, in working hours", sh("2026-10-01 10:00:00"), false, true},
		{"30 September in UTC, 1 October in Shanghai", utc("2026-09-30 17:00:00"), false, true},
		{"the holiday range's last minute", utc("2026-10-07 15:59:00"), false, true},
		{"the day after the range, midnight in Shanghai", utc("2026-10-07 16:00:00"), false, false},
		{"the day after the range, working hours", sh("2026-10-08 10:00:00"), true, false},
		{"New Year's Day, a Friday", sh("2027-01-01 10:00:00"), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.Open(tt.at); got != tt.wantOpen {
				t.Errorf("Open(%s): got %v, want %v", tt.at, got, tt.wantOpen)
			}
			if got := f.Holiday(tt.at); got != tt.wantHoliday {
				t.Errorf("Holiday(%s): got %v, want %v", tt.at, got, tt.wantHoliday)
			}
		})
	}
}

func TestFlowWithoutHoursIsOpenButOnHolidays(t *testing.T) {
	f, err := Parse("t.yaml", []byte(mini+"timezone: Europe/London\nholidays: [\"2026-12-25\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	london, _ := time.LoadLocation("Europe/London")
	tests := []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2026, 12, 24, 3, 0, 0, 0, london), true},
		{time.Date(2026, 12, 25, 0, 0, 0, 0, london), false},
		{time.Date(2026, 12, 25, 23, 59, 0, 0, london), false},
		{time.Date(2026, 12, 26, 0, 0, 0, 0, london), true},
		{time.Date(2026, 12, 25, 23, 30, 0, 0, time.FixedZone("UTC-1", -3600)), true}, // 26 December in London
	}
	for _, tt := range tests {
		t.Run(tt.at.String(), func(t *testing.T) {
			if got := f.Open(tt.at); got != tt.want {
				t.Errorf("Open: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseDays(t *testing.T) {
	tests := []struct {
		in   string
		want []time.Weekday
		ok   bool
	}{
		{"mon", []time.Weekday{time.Monday}, true},
		{"mon-fri", []time.Weekday{1, 2, 3, 4, 5}, true},
		{"fri-mon", []time.Weekday{5, 6, 0, 1}, true},
		{"sat-sun", []time.Weekday{6, 0}, true},
		{"daily", []time.Weekday{0, 1, 2, 3, 4, 5, 6}, true},
		{"mon-mon", nil, false},
		{"monday", nil, false},
		{"mon-", nil, false},
		{"", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseDays(tt.in)
			if ok != tt.ok || len(got) != len(tt.want) {
				t.Fatalf("got %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}
