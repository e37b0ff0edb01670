package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// The spool keeps each record as its kind byte followed by JSON of these
// wire types, whose field names are part of the spool format: a spool
// written by one version of Hotline is replayed by the next.
type (
	wireCall struct {
		ID              string        `json:"id"`
		Hotline         string        `json:"hotline,omitzero"`
		Caller          string        `json:"caller,omitzero"`
		ArrivedAt       time.Time     `json:"arrived_at,omitzero"`
		AnsweredAt      time.Time     `json:"answered_at,omitzero"`
		Queue           string        `json:"queue,omitzero"`
		QueuedAt        time.Time     `json:"queued_at,omitzero"`
		AgentID         string        `json:"agent_id,omitzero"`
		AgentAnsweredAt time.Time     `json:"agent_answered_at,omitzero"`
		EndedAt         time.Time     `json:"ended_at,omitzero"`
		Outcome         string        `json:"outcome,omitzero"`
		HungUpBy        string        `json:"hung_up_by,omitzero"`
		Language        string        `json:"language,omitzero"`
		Flow            string        `json:"flow,omitzero"`
		FlowVersion     int           `json:"flow_version,omitzero"`
		EndNode         string        `json:"end_node,omitzero"`
		Holds           int           `json:"holds,omitzero"`
		HoldTime        time.Duration `json:"hold_time_ns,omitzero"`
		Transfers       int           `json:"transfers,omitzero"`
		Disposition     string        `json:"disposition,omitzero"`
		WrapUpEndedAt   time.Time     `json:"wrap_up_ended_at,omitzero"`
		DispositionNote string        `json:"disposition_note,omitzero"`
	}
	wireCallEvent struct {
		CallID string         `json:"call_id"`
		Seq    int            `json:"seq"`
		At     time.Time      `json:"at"`
		Kind   string         `json:"kind"`
		Node   string         `json:"node,omitzero"`
		Detail map[string]any `json:"detail,omitempty"`
	}
	wireAgentStateChange struct {
		AgentID string    `json:"agent_id"`
		At      time.Time `json:"at"`
		State   string    `json:"state"`
		Reason  string    `json:"reason,omitzero"`
		CallID  string    `json:"call_id,omitzero"`
	}
	wireSurveyAnswer struct {
		CallID   string    `json:"call_id"`
		Question string    `json:"question"`
		Score    int       `json:"score"`
		At       time.Time `json:"at"`
		AgentID  string    `json:"agent_id,omitzero"`
	}
)

// appendRecord appends r's encoding to dst.
func appendRecord(dst []byte, r Record) ([]byte, error) {
	var v any
	switch r := r.(type) {
	case Call:
		v = wireCall(r)
	case CallEvent:
		v = wireCallEvent(r)
	case AgentStateChange:
		v = wireAgentStateChange(r)
	case SurveyAnswer:
		v = wireSurveyAnswer(r)
	default:
		return dst, fmt.Errorf("unknown record type %T", r)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	dst = append(dst, byte(r.kind()))
	return append(dst, data...), nil
}

// decodeRecord decodes what appendRecord encoded.
func decodeRecord(data []byte) (Record, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("empty record")
	}
	body := data[1:]
	switch recordKind(data[0]) {
	case kindCall:
		var w wireCall
		err := json.Unmarshal(body, &w)
		return Call(w), err
	case kindCallEvent:
		var w wireCallEvent
		err := json.Unmarshal(body, &w)
		return CallEvent(w), err
	case kindAgentStateChange:
		var w wireAgentStateChange
		err := json.Unmarshal(body, &w)
		return AgentStateChange(w), err
	case kindSurveyAnswer:
		var w wireSurveyAnswer
		err := json.Unmarshal(body, &w)
		return SurveyAnswer(w), err
	}
	return nil, fmt.Errorf("unknown record kind %d", data[0])
}
