package callflow

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Queue hands the call to a queue of agents. When the agent's part of the
// call ends with the caller still there, the call goes to Next (a survey,
// say); when no agent takes it within MaxWait, or the queue cannot take it,
// it goes to OnFail, by default an apology and hang-up.
//
//	queue: {name: after-sales, priority: 5, skills: ["${lang}", repair], max_wait: 10m, next: survey, on_fail: message}
type Queue struct {
	Name     string
	Priority int           // 0 to 100; higher is served first
	Skills   []string      // an agent needs all of them; they may hold ${variables}
	MaxWait  time.Duration // 0: no limit
	Next     string
	OnFail   string
}

var (
	queueKeys = []string{"name", "priority", "skills", "max_wait", "next", "on_fail"}
	queueName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
)

func (p *parser) queue(sc *scope, f *fields) *Queue {
	q := &Queue{OnFail: SorryNode}
	f.need("name", "the queue's name, like after-sales")
	if q.Name = f.str("name", "the queue's name"); q.Name != "" && !queueName.MatchString(q.Name) {
		p.add(f.lineOf("name"), f.field("name"), "use letters, digits, '.', '-' and '_'", "%q is not a usable queue name", q.Name)
	}
	p.f.queueNames[p.cur] = where{f.lineOf("name"), f.field("name")}
	q.Priority = f.num("priority", 0, 0, maxPriority)
	for i, s := range f.strs("skills", `skills, like ["${lang}", repair]`) {
		p.templateAt(s, f.lineOf("skills"), fmt.Sprintf("%s[%d]", f.field("skills"), i))
		q.Skills = append(q.Skills, s)
	}
	q.MaxWait = f.dur("max_wait", 0)
	p.next(sc, f, "next", &q.Next)
	p.target(sc, f, "on_fail", &q.OnFail)
	return q
}

// Transfer sends the call to an external number; the call leaves the flow
// when the number answers. If it does not answer within Timeout, or cannot
// be reached, the call goes to OnFail.
//
//	transfer: {number: "4008889999", timeout: 30s, on_fail: agent}
type Transfer struct {
	Number  string // may be a ${variable}
	Timeout time.Duration
	OnFail  string
}

var transferKeys = []string{"number", "timeout", "on_fail"}

func (p *parser) transfer(sc *scope, f *fields) *Transfer {
	t := &Transfer{}
	f.need("number", `the number to call, like "4008889999"`)
	t.Number = p.template(f, "number", `the number to call, like "4008889999"`)
	if t.Number != "" && !strings.Contains(t.Number, "${") && !number.MatchString(t.Number) {
		p.add(f.lineOf("number"), f.field("number"), "digits, with an optional leading +", "%q is not a phone number", t.Number)
	}
	t.Timeout = f.dur("timeout", defaultTransferTimeout)
	p.onFail(sc, f, &t.OnFail)
	return t
}

// CheckQueues reports every queue node of f that names a queue not in
// known, the queues there are, at the line of its name.
func (f *Flow) CheckQueues(known []string) Problems {
	var ps Problems
	for _, n := range f.order {
		if n.Kind != KindQueue || slices.Contains(known, n.Queue.Name) {
			continue
		}
		at := f.queueNames[n.ID]
		ps = append(ps, Problem{File: f.File, Line: at.line, Field: at.field,
			Msg:  fmt.Sprintf("there is no queue %q", n.Queue.Name),
			Hint: suggest(n.Queue.Name, known, "queues in the configuration")})
	}
	return ps
}
