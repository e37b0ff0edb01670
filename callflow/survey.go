package callflow

import (
	"fmt"
	"time"
)

// Survey asks the caller to rate the service: for each question it plays
// the prompt and takes one key from 1 to 5 into the question's variable,
// which the engine stores with the call. A question unanswered within
// Timeout, or answered with another key Retries+1 times, stays unset. Then
// it plays Thanks, if any, and goes to Next.
//
//	survey:
//	  questions:
//	    - {prompt: survey-agent, into: csat_agent}
//	  thanks: survey-thanks
//	  next: bye
type Survey struct {
	Questions []Question
	Thanks    string // prompt; "" for none
	Timeout   time.Duration
	Retries   int
	Next      string
}

// Question is one question of a survey.
type Question struct {
	Prompt string
	Into   string
}

var (
	surveyKeys   = []string{"questions", "thanks", "timeout", "retries", "next"}
	questionKeys = []string{"prompt", "into"}
)

func (p *parser) survey(sc *scope, f *fields) *Survey {
	s := &Survey{}
	f.need("questions", "like [{prompt: survey-agent, into: csat_agent}]")
	items := p.list(f.get("questions"), f.field("questions"), "a list like [{prompt: survey-agent, into: csat_agent}]")
	if n := f.get("questions"); n != nil && isEmptyList(n) {
		p.add(n.Line, f.field("questions"), "give at least one question", "is empty")
	}
	seen := map[string]int{}
	for i, item := range items {
		qf := p.fields(item, fmt.Sprintf("%s[%d]", f.field("questions"), i), item.Line, questionKeys...)
		qf.need("prompt", "the question, with the keys 1 to 5")
		qf.need("into", "the variable that gets the answer")
		q := Question{Prompt: p.prompt(qf, "prompt"), Into: p.intoVar(qf, "into")}
		if line, dup := seen[q.Into]; dup && q.Into != "" {
			p.add(qf.lineOf("into"), qf.field("into"), "give each answer its own variable", "%q gets the answer of another question too, on line %d", q.Into, line)
		} else if q.Into != "" {
			seen[q.Into] = qf.lineOf("into")
		}
		s.Questions = append(s.Questions, q)
	}
	s.Thanks = p.prompt(f, "thanks")
	s.Timeout = f.dur("timeout", defaultSurveyTimeout)
	s.Retries = f.num("retries", defaultSurveyRetries, 0, maxRetries)
	p.next(sc, f, "next", &s.Next)
	return s
}
