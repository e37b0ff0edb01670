package evaluation

import (
	"errors"
	"fmt"
	"strings"
)

// State is where an evaluation stands.
type State string

// The states of an evaluation.
const (
	Draft        State = "draft"        // the reviewer is scoring it; only they see it
	Submitted    State = "submitted"    // scored; the agent sees it
	Acknowledged State = "acknowledged" // the agent accepted it: final
	Disputed     State = "disputed"     // the agent contests it, with a comment
	Upheld       State = "upheld"       // a supervisor kept the score: final
	Rescored     State = "rescored"     // a supervisor changed the answers: final
)

// Final says whether nothing more happens to an evaluation in s.
func (s State) Final() bool { return s == Acknowledged || s == Upheld || s == Rescored }

// Action is what someone does to an evaluation.
type Action string

// The actions.
const (
	Create      Action = "create"      // the reviewer starts it: the first change of each, not a step
	Save        Action = "save"        // the reviewer keeps a draft's answers
	Submit      Action = "submit"      // the reviewer submits it, every item answered
	Acknowledge Action = "acknowledge" // the agent accepts it
	Dispute     Action = "dispute"     // the agent contests it (comment required)
	Uphold      Action = "uphold"      // a supervisor keeps the score (comment required)
	Rescore     Action = "rescore"     // a supervisor answers again (comment required)
)

// Who is the part someone plays in an evaluation.
type Who string

// The parts.
const (
	Reviewer   Who = "reviewer"   // the evaluation's own reviewer
	Agent      Who = "agent"      // the agent evaluated
	Supervisor Who = "supervisor" // a supervisor or manager
)

// ErrStep is matched by every refused step.
var ErrStep = errors.New("evaluation: not allowed")

type step struct {
	from State
	act  Action
	who  Who
}

var steps = map[step]State{
	{Draft, Save, Reviewer}:          Draft,
	{Draft, Submit, Reviewer}:        Submitted,
	{Submitted, Acknowledge, Agent}:  Acknowledged,
	{Submitted, Dispute, Agent}:      Disputed,
	{Disputed, Uphold, Supervisor}:   Upheld,
	{Disputed, Rescore, Supervisor}:  Rescored,
	{Submitted, Rescore, Supervisor}: Rescored, // a supervisor may correct a score unasked
}

// Step is where an evaluation in from goes when who does act; comment is
// theirs. It refuses what the workflow does not allow, saying why.
func Step(from State, act Action, who Who, comment string) (State, error) {
	to, ok := steps[step{from, act, who}]
	switch {
	case !ok:
		article := "a"
		if who == Agent {
			article = "an"
		}
		return from, fmt.Errorf("%w: %s %s cannot %s an evaluation that is %s", ErrStep, article, who, act, from)
	case (act == Dispute || act == Uphold || act == Rescore) && strings.TrimSpace(comment) == "":
		return from, fmt.Errorf("%w: to %s, say why (a comment)", ErrStep, act)
	}
	return to, nil
}
