package acd

import (
	"log/slog"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

// LogRecords logs what the service records, for a Hotline run without a
// database.
type LogRecords struct{ Logger *slog.Logger }

var _ Records = LogRecords{}

// AgentStateChanges implements Records.
func (l LogRecords) AgentStateChanges(changes []queue.AgentStateChange) {
	for _, c := range changes {
		l.Logger.Info("agent state", "agent", c.Agent, "from", c.From.String(), "state", c.State.String(),
			"reason", c.Reason, "call", c.CallID, "queue", c.Queue)
	}
}

// AgentCall implements Records.
func (l LogRecords) AgentCall(rec AgentCall) { LogAgentCall(l.Logger, rec) }

// Disposition implements Records.
func (l LogRecords) Disposition(d Disposition) {
	l.Logger.Info("disposition", "call", d.CallID, "callback", d.Callback, "agent", d.Agent, "code", d.Code, "note", d.Note)
}

// LogAgentCall logs one agent's part of a call.
func LogAgentCall(log *slog.Logger, rec AgentCall) {
	log.Info("agent call", "call", rec.CallID, "agent", rec.Agent, "queue", rec.Queue, "callback", rec.Callback,
		"talk", rec.Ended.Sub(rec.Answered).Round(time.Second).String(), "holds", rec.Holds,
		"hold_time", rec.HoldTime.String(), "transfers", rec.Transfers, "ended_by", rec.EndedBy)
}
