package evaluation

import "fmt"

// ReportBy is how QA's report groups the evaluations: a row per agent or
// a row per team, and the row for everyone last.
type ReportBy string

// The groupings of QA's report.
const (
	ByAgent ReportBy = "agent"
	ByTeam  ReportBy = "team"
)

// NoTeam names, in a report by team, the row of the agents who are in no
// team. No team may be called that.
const NoTeam = "(no team)"

// ParseReportBy reads a grouping by its name; "" is ByAgent.
func ParseReportBy(s string) (ReportBy, error) {
	switch ReportBy(s) {
	case "", ByAgent:
		return ByAgent, nil
	case ByTeam:
		return ByTeam, nil
	}
	return "", fmt.Errorf("%q is not a grouping: use agent or team", s)
}
