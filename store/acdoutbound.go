package store

import (
	"time"

	"github.com/hotline-ivr/hotline/ivr/acd"
)

// OutboundOutcomePrefix starts the outcome of an agent's outbound call in
// the calls table ("outbound_talked", "outbound_no_answer"...; the rest
// is the acd.Outbound* outcome): such a row is the centre calling a
// customer, not a call the centre received.
const OutboundOutcomePrefix = "outbound_"

// EventOutbound is the call event of an agent's outbound call (its seq
// 1): what it was for (detail "ref", "linked_call_id") and how it ended.
const EventOutbound = "outbound"

// outboundCall writes the row of an agent's outbound call, which no
// engine call records: the customer is its caller (so it shows in the
// customer's history), the agent its agent (answered only once the
// customer answered, so that only conversations count in the agent's
// day), and the call event keeps what it was for.
func (r *AgentRecords) outboundCall(rec acd.AgentCall) {
	ob := rec.Outbound
	row := Call{
		ID: rec.CallID, Hotline: ob.Hotline, Caller: ob.Number, ArrivedAt: ob.Started, AgentID: rec.Agent,
		EndedAt: rec.Ended, Outcome: OutboundOutcomePrefix + ob.Outcome, Holds: rec.Holds, HoldTime: rec.HoldTime,
		Transfers: rec.Transfers,
	}
	switch rec.EndedBy {
	case HungUpByAgent, HungUpByCaller, HungUpBySystem:
		row.HungUpBy = rec.EndedBy
	}
	detail := map[string]any{"ref": ob.Ref, "number": ob.Number, "agent": rec.Agent, "outcome": ob.Outcome}
	if ob.LinkedCallID != "" {
		detail["linked_call_id"] = ob.LinkedCallID
	}
	if !ob.Answered.IsZero() {
		row.AgentAnsweredAt = rec.Answered
		detail["customer_answered_at"] = ob.Answered.UTC().Format(time.RFC3339Nano)
	}
	r.w.Add(row)
	r.w.Add(CallEvent{CallID: rec.CallID, Seq: 1, At: ob.Started, Kind: EventOutbound, Detail: detail})
}
