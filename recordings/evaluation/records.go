package evaluation

import (
	"time"

	"github.com/hotline-ivr/hotline/recordings/scorecard"
)

// The records of QA's work, as package store keeps them and the console
// shows them.

// Waiting is a call in the review queue.
type Waiting struct {
	CallID    string
	Agent     string
	Reasons   []string
	PickedAt  time.Time
	ClaimedBy string // "" when nobody works on it
	ClaimedAt time.Time
	Ended     time.Time // the call's end, if known
}

// Evaluation is one reviewer's scoring of an agent's part of a call.
type Evaluation struct {
	ID               int64
	CallID, Agent    string
	Reviewer         string
	CalibrationID    int64 // 0 outside calibrations
	Scorecard        string
	ScorecardVersion int
	State            State
	Answers          scorecard.Answers
	Suggestions      []Suggestion
	// Score and Grade once submitted (or a draft's answers complete).
	Score      *float64
	Grade      scorecard.Grade
	AutoFailed []string
	Failed     []string
	Created    time.Time
	Updated    time.Time
	Submitted  time.Time
	Changes    []Change
}

// Change is one step in an evaluation's life.
type Change struct {
	Seq       int
	At        time.Time
	Actor     string
	Action    Action
	From, To  State
	Comment   string
	Answers   scorecard.Answers
	Overrides map[string]Override // items answered otherwise than suggested
	Score     *float64
}

// Override is an item whose answer differs from its suggestion.
type Override struct {
	Suggested string `json:"suggested"`
	Answered  string `json:"answered"`
}

// Comment is a timed comment on a recording ("03:12 interrupted the
// customer").
type Comment struct {
	ID          int64
	RecordingID string
	Offset      time.Duration
	Author      string
	Body        string
	Evaluation  int64 // 0: none
	Created     time.Time
}

// ReportRow is QA's figures for one agent, or one team, over a period:
// the evaluations submitted in it, outside calibrations. In a report by
// agent, Agent is the agent and Team its team ("" in none); in a report
// by team, Agent is "" and Team the team (NoTeam for the agents in
// none). The row for everyone has both "".
type ReportRow struct {
	Agent       string                  `json:"agent"`
	Team        string                  `json:"team,omitempty"`
	Evaluations int                     `json:"evaluations"`
	MeanScore   float64                 `json:"mean_score"` // 0 without evaluations
	Grades      map[scorecard.Grade]int `json:"grades"`
	AutoFails   int                     `json:"auto_fails"`
	// FailedMost lists the items failed most, with their counts, most
	// first (at most 5).
	FailedMost []ItemCount `json:"failed_most"`
	// Disputes: disputed at all; Upheld and Rescored their outcomes,
	// Open those still waiting for a supervisor.
	Disputes int `json:"disputes"`
	Upheld   int `json:"upheld"`
	Rescored int `json:"rescored"`
	Open     int `json:"open"`
}

// ItemCount is an item and how often.
type ItemCount struct {
	Item  string `json:"item"`
	Count int    `json:"count"`
}

// Filter picks evaluations for a list: all of them that match (empty
// fields match all), newest first.
type Filter struct {
	Agent       string
	Reviewer    string
	States      []State
	Calibration int64 // only this calibration's; 0: none of the calibrations'
	Limit       int   // 0: 50; at most 500
}

// CalibrationInfo is a calibration session as its lists show it: the
// call, the card, the reviewers and who of them has submitted.
type CalibrationInfo struct {
	ID               int64
	CallID           string
	Agent            string
	Scorecard        string
	ScorecardVersion int
	Reviewers        []string // sorted
	Submitted        []string // the reviewers whose evaluation is no longer a draft, sorted
	CreatedBy        string
	Created          time.Time
}
