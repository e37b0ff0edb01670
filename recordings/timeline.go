package recordings

import (
	"slices"
	"time"
)

// Details is one recording as the access API shows it: its row, what the
// capture side added (its kind, the call a call-back's conversation is
// linked to, the agent side's lead), its legal hold, the agents who took
// part, and what the call's records add.
type Details struct {
	Job // its Kind, LinkedCallID and AgentLead included
	// Agents are every agent who took part in the recorded conversation:
	// the recording's own AgentID, then each agent of a later segment (the
	// recording's "agent" markers) in order, each once.
	Agents []string

	LegalHold       bool
	LegalHoldBy     string
	LegalHoldReason string
	LegalHoldAt     time.Time // zero if never held

	Outcome string // the call's outcome, if its record is written
	CSAT    int    // the satisfaction answer, 1 to 5; 0: none
}

// TookPart reports whether agent is one of the recording's agents.
func (d Details) TookPart(agent string) bool {
	return agent != "" && slices.Contains(d.Agents, agent)
}

// Playable reports whether the recording's audio can be read now: stored
// in blob storage (Stored or Cleaned), not deleted.
func (d Details) Playable() bool { return d.State == Stored || d.State == Cleaned }

// Sources of timeline events.
const (
	// SourceCall is an event of the call's journey (the call_events
	// table): IVR nodes, keys (masked as they are stored), queue join,
	// agent offers and answers...
	SourceCall = "call"
	// SourceRecording is a marker of the recording itself (the
	// recording_markers table): PCI pauses and resumes, holds,
	// transfers, agent segments, the agent ID announced, the hang-up.
	SourceRecording = "recording"
)

// TimelineEvent is one event of a recording's timeline, at its offset from
// the recording's start (the conversation's start, Job.Start).
type TimelineEvent struct {
	Offset time.Duration
	At     time.Time
	Source string // SourceCall or SourceRecording
	Seq    int    // the event's order in its source
	Kind   string
	Node   string // the flow node, for call events
	Actor  string // who did it, for markers: an agent, "system", "caller"
	Reason string // why, for markers (a PCI pause's reason)
	Detail map[string]any
}

// MergeTimeline orders call events and recording markers into one
// timeline, by time and then by source and sequence (so that equal times
// keep each source's own order), and sets each event's offset from start.
// Events outside [start, end] are left out: the timeline is what the
// recording spans.
func MergeTimeline(start, end time.Time, events ...[]TimelineEvent) []TimelineEvent {
	var out []TimelineEvent
	for _, evs := range events {
		for _, e := range evs {
			if e.At.Before(start) || e.At.After(end) {
				continue
			}
			e.Offset = e.At.Sub(start)
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b TimelineEvent) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if a.Source != b.Source { // the journey first: the marker says what followed from it
			if a.Source == SourceCall {
				return -1
			}
			return 1
		}
		return a.Seq - b.Seq
	})
	return out
}
