package config

import (
	"time"
	_ "time/tzdata" // zone names work where the system has no zone files (containers), as for hotline report
)

// DefaultTimezone is timezone's default: China's, the zone of the
// hotlines Hotline serves and the default of hotline report's --tz, so
// that the wallboard's day and the reports' days agree. Local is the
// machine's own zone (the TZ environment variable, else /etc/localtime).
const DefaultTimezone = "Asia/Shanghai"

// validateTimezone checks timezone: a zone name, as hotline report's --tz
// takes it.
func (d *decoder) validateTimezone(name string) {
	if _, err := time.LoadLocation(name); err != nil || name == "" {
		d.at("timezone", "use a name like Asia/Shanghai or UTC, or Local for the machine's own zone",
			"unknown time zone %q", name)
	}
}

// Location is the zone of the centre's day: the wallboard's totals of
// "today" count from its midnight. A configuration that did not pass
// validation gets the machine's zone.
func (c Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil || c.Timezone == "" {
		return time.Local
	}
	return loc
}
