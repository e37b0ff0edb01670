package config

import (
	"fmt"
	"net"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
)

// The complaints' secrets, from the environment only.
const (
	// EnvWebhookSecret is the HMAC-SHA256 key that signs the complaints'
	// webhooks (X-Hotline-Signature).
	EnvWebhookSecret = "HOTLINE_WEBHOOK_SECRET"
	// EnvSMTPPassword is the password of complaints.notify.smtp.username.
	EnvSMTPPassword = "HOTLINE_SMTP_PASSWORD"
)

// Complaints is the complaint workflow of serve: the categories' clocks
// (the categories are the dispositions of kind complaint), the hotlines'
// business hours the clocks count in, who is told of warnings and
// breaches, how often the clocks are scanned, and where the notices go.
// It needs the database: without DATABASE_URL there are no complaints.
type Complaints struct {
	// Categories are the clocks and team of the complaint categories by
	// disposition code; the key "default" is every category's, and a
	// code's keys override it (a key left out keeps the default's).
	Categories map[string]ComplaintClocks `yaml:"categories"`
	// Hours are the business hours by hotline (the number called): the
	// clocks of its complaints count open time only. A hotline not here
	// counts calendar time.
	Hours map[string]WeekHours `yaml:"hours"`
	// Supervisors are the addresses warnings and breaches also go to.
	Supervisors []string `yaml:"supervisors"`
	// ScanEvery is how often the clocks are looked at for warnings and
	// breaches.
	ScanEvery time.Duration   `yaml:"scan_every"`
	Notify    ComplaintNotify `yaml:"notify"`
}

// DefaultCategory is the key of Complaints.Categories every category
// starts from.
const DefaultCategory = "default"

// ComplaintClocks are a complaint category's clocks (0: the default's,
// else 24h, 72h and 4h) and the team notified of its registrations.
type ComplaintClocks struct {
	Resolve    time.Duration `yaml:"resolve"`
	Feedback   time.Duration `yaml:"feedback"`
	WarnBefore time.Duration `yaml:"warn_before"`
	Team       string        `yaml:"team"`
}

// WeekHours are a hotline's opening hours by weekday, each day a list of
// spans like "09:00-18:00" (a day left out is closed).
type WeekHours struct {
	Mon []string `yaml:"mon"`
	Tue []string `yaml:"tue"`
	Wed []string `yaml:"wed"`
	Thu []string `yaml:"thu"`
	Fri []string `yaml:"fri"`
	Sat []string `yaml:"sat"`
	Sun []string `yaml:"sun"`
}

// days are the week's days with their keys, in time.Weekday order.
func (w WeekHours) days() [7]struct {
	key   string
	spans []string
} {
	return [7]struct {
		key   string
		spans []string
	}{{"sun", w.Sun}, {"mon", w.Mon}, {"tue", w.Tue}, {"wed", w.Wed}, {"thu", w.Thu}, {"fri", w.Fri}, {"sat", w.Sat}}
}

// ComplaintNotify is where the complaints' notices go.
type ComplaintNotify struct {
	// Teams are the routes of the responsible teams' notices; Default
	// takes those of no team or of a team not listed.
	Teams   map[string]NotifyRoute `yaml:"teams"`
	Default NotifyRoute            `yaml:"default"`
	// From is the e-mails' sender; required with any e-mail address.
	From string     `yaml:"from"`
	SMTP NotifySMTP `yaml:"smtp"`
	// WebhookSecret signs the webhooks; from HOTLINE_WEBHOOK_SECRET only.
	WebhookSecret string `yaml:"-"`
}

// NotifyRoute is a webhook URL, e-mail addresses, or both.
type NotifyRoute struct {
	Webhook string   `yaml:"webhook"`
	Emails  []string `yaml:"emails"`
}

// NotifySMTP is the mail server notices are sent through.
type NotifySMTP struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`
	Username string `yaml:"username"`
	Password string `yaml:"-"` // from HOTLINE_SMTP_PASSWORD only
}

// Addr is the server's host:port ("" without a host).
func (s NotifySMTP) Addr() string {
	if s.Host == "" {
		return ""
	}
	return net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}

// DefaultComplaints is what the complaints section starts from.
func DefaultComplaints() Complaints {
	return Complaints{ScanEvery: time.Minute, Notify: ComplaintNotify{SMTP: NotifySMTP{Port: 587}}}
}

// ComplaintCategories are the complaint categories as package complaints
// takes them: each disposition of kind complaint, with the default's
// clocks and its own.
func (c Config) ComplaintCategories() map[string]complaints.Category {
	def := c.Complaints.Categories[DefaultCategory]
	out := map[string]complaints.Category{}
	for _, d := range c.Dispositions {
		if d.Kind != "complaint" {
			continue
		}
		own := c.Complaints.Categories[d.Code]
		pick := func(v, dv time.Duration) time.Duration {
			if v > 0 {
				return v
			}
			return dv
		}
		team := own.Team
		if team == "" {
			team = def.Team
		}
		out[d.Code] = complaints.Category{ResolveIn: pick(own.Resolve, def.Resolve), FeedbackIn: pick(own.Feedback, def.Feedback),
			WarnBefore: pick(own.WarnBefore, def.WarnBefore), Team: team}
	}
	return out
}

// ComplaintHours are the hotlines' business hours in the centre's zone
// (Location), as package complaints takes them.
func (c Config) ComplaintHours() map[string]complaints.Hours {
	out := map[string]complaints.Hours{}
	for hotline, w := range c.Complaints.Hours {
		h := complaints.Hours{Zone: c.Location()}
		for d, day := range w.days() {
			for _, s := range day.spans {
				if span, err := parseSpan(s); err == nil {
					h.Week[d] = append(h.Week[d], span)
				}
			}
		}
		out[hotline] = h
	}
	return out
}

// spanPattern is an opening span: "09:00-18:00" ("24:00" ends a day).
var spanPattern = regexp.MustCompile(`^(\d\d):(\d\d)\s*-\s*(\d\d):(\d\d)$`)

// parseSpan reads "HH:MM-HH:MM" within a day.
func parseSpan(s string) (complaints.Span, error) {
	m := spanPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return complaints.Span{}, fmt.Errorf("%q is not a span like 09:00-18:00", s)
	}
	at := func(h, mi string) (time.Duration, bool) {
		hh, _ := strconv.Atoi(h)
		mm, _ := strconv.Atoi(mi)
		if mm > 59 || hh > 24 || (hh == 24 && mm > 0) {
			return 0, false
		}
		return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, true
	}
	from, ok1 := at(m[1], m[2])
	to, ok2 := at(m[3], m[4])
	if !ok1 || !ok2 {
		return complaints.Span{}, fmt.Errorf("%q has a time that is not from 00:00 to 24:00", s)
	}
	if from >= to {
		return complaints.Span{}, fmt.Errorf("%q does not end after it starts", s)
	}
	return complaints.Span{From: from, To: to}, nil
}

func (d *decoder) validateComplaints(c *Config) {
	cc := c.Complaints
	kinds := map[string]string{}
	var codes []string
	for _, x := range c.Dispositions {
		kinds[x.Code] = x.Kind
		if x.Kind == "complaint" {
			codes = append(codes, x.Code)
		}
	}
	for _, code := range sortedKeys(cc.Categories) {
		p := "complaints.categories." + code
		if code != DefaultCategory {
			switch kind, ok := kinds[code]; {
			case !ok:
				d.at(p, "use \"default\" or the code of a disposition of kind complaint: "+strings.Join(codes, ", "), "%q is not a disposition code", code)
			case kind != "complaint":
				d.at(p, "only the dispositions of kind complaint are complaint categories: "+strings.Join(codes, ", "), "%q is a disposition of kind %s", code, kind)
			}
		}
		k := cc.Categories[code]
		for _, f := range []struct {
			key string
			v   time.Duration
		}{{"resolve", k.Resolve}, {"feedback", k.Feedback}, {"warn_before", k.WarnBefore}} {
			if f.v < 0 {
				d.at(p+"."+f.key, "like 24h (leave it out for the default)", "%s is negative", f.v)
			}
		}
	}
	// Each category's warning comes before its clocks run out.
	cats := c.ComplaintCategories()
	reported := map[string]bool{} // one problem per key
	for _, code := range sortedKeys(cats) {
		cat := cats[code]
		resolve, feedback, warn := cat.ResolveIn, cat.FeedbackIn, cat.WarnBefore
		if resolve <= 0 {
			resolve = complaints.DefaultResolveIn
		}
		if feedback <= 0 {
			feedback = complaints.DefaultFeedbackIn
		}
		if warn <= 0 {
			warn = complaints.DefaultWarnBefore
		}
		if warn >= resolve || warn >= feedback {
			field := "complaints.categories." + code + ".warn_before"
			if _, own := cc.Categories[code]; !own || cc.Categories[code].WarnBefore == 0 {
				field = "complaints.categories." + DefaultCategory + ".warn_before"
			}
			if reported[field] {
				continue
			}
			reported[field] = true
			d.at(field, "the warning must come before the breach: less than resolve and feedback",
				"category %s warns %s before, but its clocks are %s and %s", code, warn, resolve, feedback)
		}
	}
	for _, hotline := range sortedKeys(cc.Hours) {
		d.validateWeekHours("complaints.hours."+hotline, cc.Hours[hotline])
	}
	for i, a := range cc.Supervisors {
		if _, err := mail.ParseAddress(a); err != nil {
			d.at(fmt.Sprintf("complaints.supervisors[%d]", i), "an e-mail address, like 张主管 <zhang@example.com>", "%q is not an address: %v", a, err)
		}
	}
	d.positive("complaints.scan_every", cc.ScanEvery)
	n := cc.Notify
	email := len(cc.Supervisors) > 0
	route := func(p string, r NotifyRoute) {
		if r.Webhook != "" {
			if msg := checkHTTPURL(r.Webhook); msg != "" {
				d.at(p+".webhook", "like https://crm.example.com/hooks/complaints", "%q %s", r.Webhook, msg)
			}
		}
		for i, a := range r.Emails {
			email = true
			if _, err := mail.ParseAddress(a); err != nil {
				d.at(fmt.Sprintf("%s.emails[%d]", p, i), "an e-mail address, like after-sales@example.com", "%q is not an address: %v", a, err)
			}
		}
	}
	route("complaints.notify.default", n.Default)
	for _, team := range sortedKeys(n.Teams) {
		route("complaints.notify.teams."+team, n.Teams[team])
	}
	if n.From != "" {
		if _, err := mail.ParseAddress(n.From); err != nil {
			d.at("complaints.notify.from", "the sender, like Hotline <hotline@example.com>", "%q is not an address: %v", n.From, err)
		}
	}
	if email {
		if n.From == "" {
			d.at("complaints.notify.from", "the sender, like Hotline <hotline@example.com>", "is required to send e-mail")
		}
		if n.SMTP.Host == "" {
			d.at("complaints.notify.smtp.host", "the mail server, like smtp.example.com", "is required to send e-mail")
		}
	}
	if n.SMTP.Port < 1 || n.SMTP.Port > 65535 {
		d.at("complaints.notify.smtp.port", "like 587 (submission) or 25", "%d is not from 1 to 65535", n.SMTP.Port)
	}
}

// sortedKeys are a map's keys in order, so problems come out the same
// way each time.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
