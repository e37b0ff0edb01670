package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/hotline-ivr/hotline/ivr"
)

// The Writer is the call engine's journey sink.
var _ ivr.JourneySink = (*Writer)(nil)

// RecordJourney turns a finished journey into call records and adds them:
// the call's row, one CallEvent per step and one SurveyAnswer per question
// answered. Like Add it never waits for PostgreSQL, so ctx is not used.
// Recording a journey again stores nothing new.
//
// The call's EndNode is the last node entered; its Queue and QueuedAt come
// from the first queue event that did not fail (one with an "error" was
// never entered); its AgentID and AgentAnsweredAt from the first queue
// event answered by an agent (answered_at is the queue's word for when the
// agent picked up). A survey answer is credited to the agent of the last
// queue event answered before it, and only a question's first answer is
// kept.
//
// The records own copies of the events' details, so the journey may be
// changed once RecordJourney has returned. A detail is stored as it would
// read back from JSON: a value that does not encode is replaced by a note
// of why, and NUL characters, which jsonb refuses, by U+FFFD.
func (w *Writer) RecordJourney(ctx context.Context, j *ivr.Journey) {
	if j == nil {
		return
	}
	if j.CallID == "" {
		w.dropped(nil, fmt.Errorf("%w: a journey without a call ID (%d events)", errMissingKey, len(j.Events)))
		return
	}
	c := Call{
		ID:          j.CallID,
		Hotline:     j.Hotline,
		Caller:      j.Caller,
		ArrivedAt:   j.Arrived,
		AnsweredAt:  j.Answered,
		EndedAt:     j.Ended,
		Outcome:     j.Outcome,
		HungUpBy:    j.HungUpBy,
		Language:    j.Language,
		Flow:        j.Flow,
		FlowVersion: j.FlowVersion,
	}
	events := make([]CallEvent, 0, len(j.Events))
	var surveys []SurveyAnswer
	answered := map[string]bool{} // questions answered so far
	agent := ""                   // the agent who last answered the call
	for _, e := range j.Events {
		detail := safeDetail(e.Detail)
		events = append(events, CallEvent{CallID: j.CallID, Seq: e.Seq, At: e.At, Kind: e.Kind, Node: e.Node, Detail: detail})
		switch e.Kind {
		case ivr.EventNode:
			c.EndNode = e.Node
		case ivr.EventQueue:
			queue, _ := detail["queue"].(string)
			_, failed := detail["error"]
			if c.Queue == "" && queue != "" && !failed {
				c.Queue, c.QueuedAt = queue, e.At
			}
			if result, _ := detail["result"].(string); result == "answered" {
				if a, _ := detail["agent"].(string); a != "" {
					agent = a
					if c.AgentID == "" {
						c.AgentID = a
					}
				}
				if at, _ := detail["answered_at"].(string); at != "" && c.AgentAnsweredAt.IsZero() {
					if t, err := time.Parse(time.RFC3339Nano, at); err == nil {
						c.AgentAnsweredAt = t
					}
				}
			}
		case ivr.EventSurvey:
			question, _ := detail["question"].(string)
			score, ok := integer(detail["score"])
			if question == "" || !ok {
				w.log.Warn("a survey event without a question and a whole score; storing no answer for it",
					"call", j.CallID, "seq", e.Seq, "detail", detail)
				continue
			}
			if answered[question] {
				continue // the first answer stands
			}
			answered[question] = true
			surveys = append(surveys, SurveyAnswer{CallID: j.CallID, Question: question, Score: score, At: e.At, AgentID: agent})
		}
	}

	w.Add(c)
	for _, e := range events {
		w.Add(e)
	}
	for _, s := range surveys {
		w.Add(s)
	}
}

// safeDetail returns a copy of d as it reads back from JSON (objects are
// map[string]any, arrays []any, numbers float64), which the spool and the
// jsonb column both take: a value that does not encode becomes a string
// saying why, and NUL characters become U+FFFD. An empty d is nil.
func safeDetail(d map[string]any) map[string]any {
	if len(d) == 0 {
		return nil
	}
	if out, err := roundTrip(d); err == nil {
		return scrub(out).(map[string]any)
	}
	out := make(map[string]any, len(d))
	for k, v := range d {
		safe, err := roundTrip(v)
		if err != nil {
			safe = fmt.Sprintf("unencodable %T: %v", v, err)
		}
		out[k] = safe
	}
	return scrub(out).(map[string]any)
}

// roundTrip encodes v as JSON and decodes it again.
func roundTrip[T any](v T) (T, error) {
	var out T
	data, err := json.Marshal(v)
	if err != nil {
		return out, err
	}
	err = json.Unmarshal(data, &out)
	return out, err
}

// scrub replaces NUL characters in v's strings, keys included.
func scrub(v any) any {
	switch v := v.(type) {
	case string:
		return strings.ReplaceAll(v, "\x00", "\uFFFD")
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[scrub(k).(string)] = scrub(e)
		}
		return out
	case []any:
		for i, e := range v {
			v[i] = scrub(e)
		}
		return v
	}
	return v
}

// integer is a whole number read back from JSON.
func integer(v any) (int, bool) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}
