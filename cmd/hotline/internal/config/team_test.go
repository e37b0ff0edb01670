package config

import (
	"maps"
	"strings"
	"testing"
)

// TestParseAgentTeams: agents[].team is optional; AgentTeams maps the
// agents in a team to it, for QA's report by team.
func TestParseAgentTeams(t *testing.T) {
	got, err := Parse("hotline.yaml", []byte(minimal+`agents:
  - {id: "1001", device: PJSIP/1001, team: After-sales}
  - {id: "1002", device: PJSIP/1002, team: 投诉组}
  - {id: "1003", device: PJSIP/1003}
  - {id: "1004", device: PJSIP/1004, team: After-sales}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got.Agents[0].Team != "After-sales" || got.Agents[2].Team != "" {
		t.Errorf("agents %+v", got.Agents)
	}
	want := map[string]string{"1001": "After-sales", "1002": "投诉组", "1004": "After-sales"}
	if teams := got.AgentTeams(); !maps.Equal(teams, want) {
		t.Errorf("teams %v, want %v", teams, want)
	}
	if teams := Default().AgentTeams(); len(teams) != 0 {
		t.Errorf("default teams %v", teams)
	}
}

// TestParseAgentTeamProblems: every bad team at its line.
func TestParseAgentTeamProblems(t *testing.T) {
	_, err := Parse("hotline.yaml", []byte(minimal+`agents:
  - {id: "1001", device: PJSIP/1001, team: "  "}
  - {id: "1002", device: PJSIP/1002, team: " After-sales"}
  - {id: "1003", device: PJSIP/1003, team: "a\tb"}
  - {id: "1004", device: PJSIP/1004, team: "`+strings.Repeat("组", 65)+`"}
  - {id: "1005", device: PJSIP/1005, team: "(no team)"}
  - {id: "1006", device: PJSIP/1006, team: [a, b]}
  - {id: "1007", device: PJSIP/1007, teams: a}
`))
	for _, want := range []string{
		`hotline.yaml:6: agents[0].team: is blank (a team's name as QA's report shows it`,
		`hotline.yaml:7: agents[1].team: " After-sales" starts or ends with spaces`,
		`hotline.yaml:8: agents[2].team: "a\tb" holds a control character`,
		`hotline.yaml:9: agents[3].team: "组组`,
		`is longer than 64 characters`,
		`hotline.yaml:10: agents[4].team: "(no team)" is what the report calls the agents in no team`,
		`hotline.yaml:11: agents[5].team: want a single value`,
		`hotline.yaml:12: agents[6].teams: unknown key (did you mean team? known keys: id, name, device, skills, queues, team)`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("problems:\n%v\nwant %s", err, want)
		}
	}
}
