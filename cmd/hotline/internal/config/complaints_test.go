package config

import (
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
)

func TestParseComplaints(t *testing.T) {
	got, err := Parse("hotline.yaml", []byte(minimal+`timezone: Asia/Shanghai
complaints:
  categories:
    default: {resolve: 24h, feedback: 72h, warn_before: 4h, team: after-sales}
    quality: {resolve: 48h, team: quality}
  hours:
    "4008001234": {mon: ["09:00-12:00", "13:00-18:00"], sat: ["09:00-24:00"]}
  supervisors: ["张主管 <zhang@example.com>"]
  scan_every: 30s
  notify:
    teams:
      quality: {webhook: "https://crm.example.com/q", emails: [q@example.com]}
    default: {webhook: "http://127.0.0.1:9000/hook"}
    from: "Hotline <hotline@example.com>"
    smtp: {host: smtp.example.com, port: 25, username: hotline}
`))
	if err != nil {
		t.Fatal(err)
	}
	c := got.Complaints
	if c.ScanEvery != 30*time.Second || len(c.Supervisors) != 1 || c.Notify.SMTP.Addr() != "smtp.example.com:25" ||
		c.Notify.SMTP.Username != "hotline" || c.Notify.From != "Hotline <hotline@example.com>" ||
		c.Notify.Default.Webhook != "http://127.0.0.1:9000/hook" || c.Notify.Teams["quality"].Emails[0] != "q@example.com" {
		t.Errorf("complaints %+v", c)
	}
	cats := got.ComplaintCategories()
	if len(cats) != 7 { // the standard dispositions of kind complaint
		t.Errorf("categories %v, want the 7 complaint dispositions", cats)
	}
	if q := cats["quality"]; q != (complaints.Category{ResolveIn: 48 * time.Hour, FeedbackIn: 72 * time.Hour, WarnBefore: 4 * time.Hour, Team: "quality"}) {
		t.Errorf("quality %+v", q)
	}
	if d := cats["damaged"]; d != (complaints.Category{ResolveIn: 24 * time.Hour, FeedbackIn: 72 * time.Hour, WarnBefore: 4 * time.Hour, Team: "after-sales"}) {
		t.Errorf("damaged %+v", d)
	}
	if _, ok := cats["usage"]; ok {
		t.Error("an inquiry is a complaint category")
	}
	h := got.ComplaintHours()["4008001234"]
	if h.Zone.String() != "Asia/Shanghai" || len(h.Week[time.Monday]) != 2 || h.Week[time.Monday][1] != (complaints.Span{From: 13 * time.Hour, To: 18 * time.Hour}) ||
		h.Week[time.Saturday][0] != (complaints.Span{From: 9 * time.Hour, To: 24 * time.Hour}) || len(h.Week[time.Sunday]) != 0 {
		t.Errorf("hours %+v", h)
	}
	// Monday 17:00 in Shanghai, 2 h of open time: 1 h on Monday, then
	// Saturday (the next open day) from 09:00.
	start := time.Date(2026, 12, 7, 17, 0, 0, 0, got.Location())
	if due := h.Add(start, 2*time.Hour); !due.Equal(time.Date(2026, 12, 12, 10, 0, 0, 0, got.Location())) {
		t.Errorf("due %v", due)
	}

	d := Default()
	if d.Complaints.ScanEvery != time.Minute || d.Complaints.Notify.SMTP.Port != 587 {
		t.Errorf("default complaints %+v", d.Complaints)
	}
	if cat := d.ComplaintCategories()["quality"]; cat != (complaints.Category{}) {
		t.Errorf("default category %+v: want the package's defaults (zero)", cat)
	}
}

func TestParseComplaintsProblems(t *testing.T) {
	_, err := Parse("hotline.yaml", []byte(minimal+`complaints:
  categories:
    default: {resolve: 3h}
    usage: {resolve: 1h}
    nosuch: {feedback: 1h}
    quality: {sla: 1h, feedback: -1h}
  hours:
    "4008001234":
      mon: ["9-18", "08:00-12:00"]
      tue: ["12:00-10:00"]
      wed: ["09:00-25:00"]
      thu: ["09:00-12:00", "11:00-14:00"]
      someday: []
  supervisors: [not an address]
  scan_every: 0s
  notify:
    teams:
      sales: {webhook: "ftp://x", emails: ["@@"]}
    default: {emails: [ok@example.com]}
    from: ""
    smtp: {host: "", port: 0}
`))
	for _, want := range []string{
		`hotline.yaml:7: complaints.categories.default.warn_before: category damaged warns 4h0m0s before, but its clocks are 3h0m0s and 72h0m0s`,
		`hotline.yaml:8: complaints.categories.usage: "usage" is a disposition of kind inquiry`,
		`hotline.yaml:9: complaints.categories.nosuch: "nosuch" is not a disposition code`,
		`hotline.yaml:10: complaints.categories.quality.sla: unknown key`,
		`hotline.yaml:10: complaints.categories.quality.feedback: -1h0m0s is negative`,
		`hotline.yaml:13: complaints.hours.4008001234.mon[0]: "9-18" is not a span like 09:00-18:00`,
		`hotline.yaml:13: complaints.hours.4008001234.mon[1]`, // fine on its own: no problem
		`hotline.yaml:14: complaints.hours.4008001234.tue[0]: "12:00-10:00" does not end after it starts`,
		`hotline.yaml:15: complaints.hours.4008001234.wed[0]: "09:00-25:00" has a time that is not from 00:00 to 24:00`,
		`hotline.yaml:16: complaints.hours.4008001234.thu[1]: "11:00-14:00" starts before the previous span ends`,
		`hotline.yaml:17: complaints.hours.4008001234.someday: unknown key`,
		`hotline.yaml:18: complaints.supervisors[0]: "not an address" is not an address`,
		`hotline.yaml:19: complaints.scan_every: must be more than 0, got 0s`,
		`hotline.yaml:22: complaints.notify.teams.sales.webhook: "ftp://x" must start with http:// or https://`,
		`hotline.yaml:22: complaints.notify.teams.sales.emails[0]: "@@" is not an address`,
		`hotline.yaml:24: complaints.notify.from: is required to send e-mail`,
		`hotline.yaml:25: complaints.notify.smtp.host: is required to send e-mail`,
		`hotline.yaml:25: complaints.notify.smtp.port: 0 is not from 1 to 65535`,
	} {
		if strings.HasSuffix(want, "mon[1]") {
			if err != nil && strings.Contains(err.Error(), want) {
				t.Errorf("problems %v: 08:00-12:00 after a bad span is fine", err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("problems %v\nwant %s", err, want)
		}
	}
}

// TestComplaintsSecretsRefused: the webhook secret and the SMTP password
// are refused in the file, at their lines; they come from the environment.
func TestComplaintsSecretsRefused(t *testing.T) {
	_, err := Parse("hotline.yaml", []byte(minimal+`complaints:
  notify:
    webhook_secret: s3cret
    teams:
      quality: {webhook: "https://crm.example.com/q", secret: s3cret}
    smtp:
      password: s3cret
`))
	for _, want := range []string{
		`hotline.yaml:7: complaints.notify.webhook_secret: must not be in the file (set the HOTLINE_WEBHOOK_SECRET environment variable instead)`,
		`hotline.yaml:9: complaints.notify.teams.quality.secret: must not be in the file (set the HOTLINE_WEBHOOK_SECRET environment variable instead)`,
		`hotline.yaml:11: complaints.notify.smtp.password: must not be in the file (set the HOTLINE_SMTP_PASSWORD environment variable instead)`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("problems %v\nwant %s", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "s3cret") {
		t.Errorf("a problem shows the secret: %v", err)
	}

	cfg, err := Parse("hotline.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{EnvARIPassword: "p", EnvWebhookSecret: "hook-key", EnvSMTPPassword: "mail-pass"}
	if err := cfg.ApplyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if cfg.Complaints.Notify.WebhookSecret != "hook-key" || cfg.Complaints.Notify.SMTP.Password != "mail-pass" {
		t.Errorf("notify %+v", cfg.Complaints.Notify)
	}
}
