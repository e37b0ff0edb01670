package store

import "time"

// Record is a call record a Writer takes: a Call, CallEvent,
// AgentStateChange or SurveyAnswer.
type Record interface {
	kind() recordKind
}

// recordKind tags a record in the spool file; the values are part of its
// format and never change.
type recordKind byte

const (
	kindCall             recordKind = 1
	kindCallEvent        recordKind = 2
	kindAgentStateChange recordKind = 3
	kindSurveyAnswer     recordKind = 4
)

// Who hung up a call: the values of Call.HungUpBy and of the calls
// table's hung_up_by.
const (
	HungUpByCaller = "caller"
	HungUpBySystem = "system"
	HungUpByAgent  = "agent"
)

// Call is a call's row in the calls table. A field left at its zero value
// is not known yet: it is stored as NULL and never overwrites a value
// already stored, so the call's row can be written when the call ends and
// completed later (wrap-up, survey) by Calls with only the ID and the new
// fields set.
type Call struct {
	ID              string    // the ARI channel id of the caller's channel
	Hotline         string    // the dialled number
	Caller          string    // the caller's number
	ArrivedAt       time.Time // the call reached the application
	AnsweredAt      time.Time // the IVR answered it
	Queue           string    // the first queue it entered
	QueuedAt        time.Time // when it entered that queue
	AgentID         string    // the agent who answered it first
	AgentAnsweredAt time.Time
	EndedAt         time.Time
	Outcome         string // how it ended, in the engine's words (ivr.Outcome*)
	HungUpBy        string // HungUpByCaller, HungUpBySystem or HungUpByAgent
	Language        string
	Flow            string
	FlowVersion     int
	EndNode         string        // the flow node where it left the IVR
	Holds           int           // times put on hold
	HoldTime        time.Duration // total time on hold
	Transfers       int           // times transferred
	Disposition     string        // the agent's wrap-up code
	WrapUpEndedAt   time.Time     // the agent finished wrap-up
	DispositionNote string        // the agent's note with its disposition
}

// CallEvent is one step of a call's timeline. Seq numbers the call's
// events from 1: a (CallID, Seq) pair is one event, however often it is
// written. Kind is the producer's vocabulary (ivr.EventNode, ...); Detail
// is stored as JSON.
type CallEvent struct {
	CallID string
	Seq    int
	At     time.Time
	Kind   string
	Node   string
	Detail map[string]any
}

// AgentStateChange is an agent entering a state: logged_out, ready,
// not_ready, ringing, on_call or wrap_up. An (AgentID, At, State) triple is
// one change, however often it is written.
type AgentStateChange struct {
	AgentID string
	At      time.Time
	State   string
	Reason  string // a not-ready reason, a wrap-up code
	CallID  string // the call it is about, if any
}

// SurveyAnswer is the caller's answer to one question of the post-call
// survey; CSAT is the "csat" question, scored 1 to 5. The first answer to
// a question is kept.
type SurveyAnswer struct {
	CallID   string
	Question string
	Score    int
	At       time.Time
	AgentID  string // the agent rated, if any
}

func (Call) kind() recordKind             { return kindCall }
func (CallEvent) kind() recordKind        { return kindCallEvent }
func (AgentStateChange) kind() recordKind { return kindAgentStateChange }
func (SurveyAnswer) kind() recordKind     { return kindSurveyAnswer }

// merge sets the fields that later knows onto c.
func (c *Call) merge(later Call) {
	setString(&c.Hotline, later.Hotline)
	setString(&c.Caller, later.Caller)
	setTime(&c.ArrivedAt, later.ArrivedAt)
	setTime(&c.AnsweredAt, later.AnsweredAt)
	setString(&c.Queue, later.Queue)
	setTime(&c.QueuedAt, later.QueuedAt)
	setString(&c.AgentID, later.AgentID)
	setTime(&c.AgentAnsweredAt, later.AgentAnsweredAt)
	setTime(&c.EndedAt, later.EndedAt)
	setString(&c.Outcome, later.Outcome)
	setString(&c.HungUpBy, later.HungUpBy)
	setString(&c.Language, later.Language)
	setString(&c.Flow, later.Flow)
	setInt(&c.FlowVersion, later.FlowVersion)
	setString(&c.EndNode, later.EndNode)
	setInt(&c.Holds, later.Holds)
	if later.HoldTime != 0 {
		c.HoldTime = later.HoldTime
	}
	setInt(&c.Transfers, later.Transfers)
	setString(&c.Disposition, later.Disposition)
	setTime(&c.WrapUpEndedAt, later.WrapUpEndedAt)
	setString(&c.DispositionNote, later.DispositionNote)
}

func setString(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func setTime(dst *time.Time, v time.Time) {
	if !v.IsZero() {
		*dst = v
	}
}

func setInt(dst *int, v int) {
	if v != 0 {
		*dst = v
	}
}
