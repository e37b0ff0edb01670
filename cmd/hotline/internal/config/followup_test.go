package config

import (
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
)

func TestParseFollowup(t *testing.T) {
	got, err := Parse("hotline.yaml", []byte(minimal+`timezone: Asia/Shanghai
followup:
  after:
    complaints: preview
    dispositions: {malfunction: auto}
    sample: {share: 0.05, mode: preview}
  delay: 30m
  hours: {mon: ["09:00-12:00", "14:00-20:00"], sat: ["10:00-16:00"]}
  attempts: 4
  retry_after: 3h
  per_number: {per_day: 1, min_gap: 4h}
  ring_timeout: 25s
  concurrent: 2
  flow_number: "4000000000"
  satisfied: {var: fu_service, at_least: 3}
  fallback: none
  team: after-sales
  scan_every: 20s
`))
	if err != nil {
		t.Fatal(err)
	}
	f := got.Followup
	if f.After.Complaints != "preview" || f.After.Dispositions["malfunction"] != "auto" || f.After.Sample != (FollowupSample{Share: 0.05, Mode: "preview"}) ||
		f.Delay != 30*time.Minute || f.Attempts != 4 || f.RetryAfter != 3*time.Hour || f.PerNumber != (PerNumber{PerDay: 1, MinGap: 4 * time.Hour}) ||
		f.RingTimeout != 25*time.Second || f.Concurrent != 2 || f.FlowNumber != "4000000000" || f.Satisfied != (FollowupSatisfied{Var: "fu_service", AtLeast: 3}) ||
		f.Fallback != "none" || f.Team != "after-sales" || f.ScanEvery != 20*time.Second {
		t.Errorf("followup %+v", f)
	}
	h := got.FollowupHours()
	if h.Zone.String() != "Asia/Shanghai" || len(h.Week[time.Monday]) != 2 || h.Week[time.Saturday][0] != (complaints.Span{From: 10 * time.Hour, To: 16 * time.Hour}) || len(h.Week[time.Sunday]) != 0 {
		t.Errorf("hours %+v", h)
	}

	d := Default()
	if d.Followup.After.Complaints != "auto" || d.Followup.Attempts != 3 || d.Followup.FlowNumber != "followup" || d.Followup.Fallback != "preview" {
		t.Errorf("default followup %+v", d.Followup)
	}
	// Hours left out: every day from 09:00 to 20:00.
	for day, spans := range d.FollowupHours().Week {
		if len(spans) != 1 || spans[0] != (complaints.Span{From: 9 * time.Hour, To: 20 * time.Hour}) {
			t.Errorf("default hours of %v: %v", time.Weekday(day), spans)
		}
	}
}

func TestParseFollowupProblems(t *testing.T) {
	_, err := Parse("hotline.yaml", []byte(minimal+`followup:
  after:
    complaints: sometimes
    dispositions: {nosuch: auto, malfunction: later}
    sample: {share: 1.5, mode: off}
  delay: -1h
  hours: {tue: ["18:00-09:00"]}
  attempts: 0
  retry_after: 0s
  per_number: {per_day: 0, min_gap: -1m}
  ring_timeout: 0s
  concurrent: 0
  flow_number: ""
  satisfied: {var: "2x", at_least: 6}
  fallback: agent
  scan_every: 0s
  colour: red
  team: " "

`))
	for _, want := range []string{
		`hotline.yaml:7: followup.after.complaints: "sometimes" is not a choice`,
		`hotline.yaml:8: followup.after.dispositions.nosuch: "nosuch" is not a disposition code`,
		`hotline.yaml:8: followup.after.dispositions.malfunction: "later" is not a choice`,
		`hotline.yaml:9: followup.after.sample.share: 1.5 is not between 0 and 1`,
		`hotline.yaml:10: followup.delay: -1h0m0s is negative`,
		`hotline.yaml:11: followup.hours.tue[0]: "18:00-09:00" does not end after it starts`,
		`hotline.yaml:12: followup.attempts: 0 is not from 1 to 10`,
		`hotline.yaml:13: followup.retry_after: must be more than 0`,
		`hotline.yaml:14: followup.per_number.per_day: 0 is less than 1`,
		`hotline.yaml:14: followup.per_number.min_gap: -1m0s is negative`,
		`hotline.yaml:15: followup.ring_timeout: must be more than 0`,
		`hotline.yaml:16: followup.concurrent: 0 is less than 1`,
		`hotline.yaml:17: followup.flow_number: must not be empty`,
		`hotline.yaml:18: followup.satisfied.var: "2x" is not a variable name`,
		`hotline.yaml:18: followup.satisfied.at_least: 6 is not from 1 to 5`,
		`hotline.yaml:19: followup.fallback: "agent" is not a choice`,
		`hotline.yaml:20: followup.scan_every: must be more than 0`,
		`hotline.yaml:21: followup.colour: unknown key`,
		`hotline.yaml:22: followup.team: is required: such tasks can be offered to agents`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("problems %v\nwant %s", err, want)
		}
	}
}
