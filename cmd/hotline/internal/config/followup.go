package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/complaints"
)

// Followup is the follow-up visits (电话回访) of serve: what makes a task,
// when and how often a customer may be called, and what an answer means.
// It needs the database and the complaints (without them there are no
// follow-ups). The automated follow-ups dial through
// callbacks.customer_endpoint with callbacks.caller_id, and run the flow
// of flows.dir that answers FlowNumber.
type Followup struct {
	After FollowupTriggers `yaml:"after"`
	// Delay is how long after its reason a task is first tried.
	Delay time.Duration `yaml:"delay"`
	// Hours are when customers may be called, in the centre's zone
	// (timezone); left out: every day 09:00-20:00.
	Hours WeekHours `yaml:"hours"`
	// Attempts is how many calls a task gets; RetryAfter the wait after
	// one that did not reach the customer.
	Attempts   int           `yaml:"attempts"`
	RetryAfter time.Duration `yaml:"retry_after"`
	PerNumber  PerNumber     `yaml:"per_number"`
	// RingTimeout is how long an automated call rings the customer.
	RingTimeout time.Duration `yaml:"ring_timeout"`
	// Concurrent bounds the automated calls one instance has up at once.
	Concurrent int `yaml:"concurrent"`
	// FlowNumber is the number of the flow the automated calls run.
	FlowNumber string            `yaml:"flow_number"`
	Satisfied  FollowupSatisfied `yaml:"satisfied"`
	// Fallback is what a task whose automated calls did not reach the
	// customer, or who gave no answer, becomes: preview (offered to an
	// agent) or none.
	Fallback string `yaml:"fallback"`
	// Team is the team the tasks of dispositions and samples are offered
	// to in preview (a complaint's go to its owner and team); required
	// when such a task can be offered.
	Team      string        `yaml:"team"`
	ScanEvery time.Duration `yaml:"scan_every"`
}

// FollowupTriggers say what makes a task, and in which mode: auto
// (Hotline dials), preview (offered to an agent) or off.
type FollowupTriggers struct {
	Complaints string `yaml:"complaints"` // a resolved complaint
	// Dispositions are the disposition codes (a repair booking, say)
	// whose calls are followed up, with the mode.
	Dispositions map[string]string `yaml:"dispositions"`
	Sample       FollowupSample    `yaml:"sample"`
}

// FollowupSample follows up a share of the answered calls.
type FollowupSample struct {
	Share float64 `yaml:"share"` // 0 to 1; 0: none
	Mode  string  `yaml:"mode"`
}

// PerNumber bounds the calls to one customer's number, across tasks.
type PerNumber struct {
	PerDay int           `yaml:"per_day"` // calls in any 24 hours
	MinGap time.Duration `yaml:"min_gap"` // between two calls
}

// FollowupSatisfied says which answer is satisfied: the flow's variable
// and the lowest satisfied key (1 to 5).
type FollowupSatisfied struct {
	Var     string `yaml:"var"`
	AtLeast int    `yaml:"at_least"`
}

// The follow-up modes, and the fallbacks.
var (
	followupModes     = []string{"auto", "preview", "off"}
	followupFallbacks = []string{"preview", "none"}
)

// DefaultFollowup is what the followup section starts from.
func DefaultFollowup() Followup {
	return Followup{
		After: FollowupTriggers{Complaints: "auto", Sample: FollowupSample{Mode: "preview"}},
		Delay: time.Hour, Attempts: 3, RetryAfter: 2 * time.Hour,
		PerNumber:   PerNumber{PerDay: 2, MinGap: time.Hour},
		RingTimeout: 30 * time.Second, Concurrent: 5, FlowNumber: "followup",
		Satisfied: FollowupSatisfied{Var: "followup_service", AtLeast: 4},
		Fallback:  "preview", ScanEvery: time.Minute,
	}
}

// defaultFollowupHours: every day 09:00-20:00.
var defaultFollowupHours = complaints.Span{From: 9 * time.Hour, To: 20 * time.Hour}

// FollowupHours are when customers may be called, in the centre's zone.
func (c Config) FollowupHours() complaints.Hours {
	h := complaints.Hours{Zone: c.Location()}
	any := false
	for d, day := range c.Followup.Hours.days() {
		for _, s := range day.spans {
			if span, err := parseSpan(s); err == nil {
				h.Week[d] = append(h.Week[d], span)
				any = true
			}
		}
	}
	if !any {
		for d := range h.Week {
			h.Week[d] = []complaints.Span{defaultFollowupHours}
		}
	}
	return h
}

func (d *decoder) validateFollowup(c *Config) {
	f := c.Followup
	d.oneOf("followup.after.complaints", f.After.Complaints, followupModes)
	kinds := map[string]bool{}
	var codes []string
	for _, x := range c.Dispositions {
		kinds[x.Code] = true
		codes = append(codes, x.Code)
	}
	for _, code := range sortedKeys(f.After.Dispositions) {
		p := "followup.after.dispositions." + code
		if !kinds[code] {
			d.at(p, "a disposition code: "+strings.Join(codes, ", "), "%q is not a disposition code", code)
		}
		d.oneOf(p, f.After.Dispositions[code], followupModes)
	}
	if s := f.After.Sample.Share; s < 0 || s > 1 {
		d.at("followup.after.sample.share", "0 samples none, 0.05 one call in twenty", "%v is not between 0 and 1", s)
	}
	d.oneOf("followup.after.sample.mode", f.After.Sample.Mode, followupModes)
	if f.Delay < 0 {
		d.at("followup.delay", "like 1h, or 0 to try at once", "%s is negative", f.Delay)
	}
	d.validateWeekHours("followup.hours", f.Hours)
	if f.Attempts < 1 || f.Attempts > 10 {
		d.at("followup.attempts", "from 1 to 10", "%d is not from 1 to 10", f.Attempts)
	}
	d.positive("followup.retry_after", f.RetryAfter)
	if f.PerNumber.PerDay < 1 {
		d.at("followup.per_number.per_day", "how many calls one number may get in 24 hours, like 2", "%d is less than 1", f.PerNumber.PerDay)
	}
	if f.PerNumber.MinGap < 0 {
		d.at("followup.per_number.min_gap", "like 1h, or 0", "%s is negative", f.PerNumber.MinGap)
	}
	d.positive("followup.ring_timeout", f.RingTimeout)
	if f.Concurrent < 1 {
		d.at("followup.concurrent", "how many automated calls one instance makes at once, like 5", "%d is less than 1", f.Concurrent)
	}
	if strings.TrimSpace(f.FlowNumber) == "" {
		d.at("followup.flow_number", "the number a flow of flows.dir answers, like followup", "must not be empty")
	}
	if !validVarName(f.Satisfied.Var) {
		d.at("followup.satisfied.var", "the follow-up flow's variable of the service question, like followup_service", "%q is not a variable name", f.Satisfied.Var)
	}
	if f.Satisfied.AtLeast < 1 || f.Satisfied.AtLeast > 5 {
		d.at("followup.satisfied.at_least", "the lowest satisfied answer, from 1 to 5, like 4", "%d is not from 1 to 5", f.Satisfied.AtLeast)
	}
	d.oneOf("followup.fallback", f.Fallback, followupFallbacks)
	offered := f.Fallback != "none" || f.After.Sample.Share > 0 && f.After.Sample.Mode == "preview"
	others := f.After.Sample.Share > 0 && f.After.Sample.Mode != "off"
	for _, m := range f.After.Dispositions {
		offered = offered || m == "preview"
		others = others || m != "off"
	}
	if others && offered && strings.TrimSpace(f.Team) == "" {
		d.at("followup.team", "the team of agents the follow-ups of calls (dispositions, samples) are offered to, like after-sales", "is required: such tasks can be offered to agents")
	}
	d.positive("followup.scan_every", f.ScanEvery)
}

// validWarName: letters, digits and _, starting with a letter.
func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9'
		if !ok {
			return false
		}
	}
	return true
}

// validateWeekHours checks a week's spans: each like 09:00-18:00, a day's
// in order and not overlapping.
func (d *decoder) validateWeekHours(field string, w WeekHours) {
	for _, day := range w.days() {
		var end time.Duration
		for i, s := range day.spans {
			p := fmt.Sprintf("%s.%s[%d]", field, day.key, i)
			span, err := parseSpan(s)
			if err != nil {
				d.at(p, "like 09:00-18:00; a day left out is closed", "%v", err)
				continue
			}
			if span.From < end {
				d.at(p, "list a day's spans in order, not overlapping", "%q starts before the previous span ends", s)
			}
			end = span.To
		}
	}
}
