package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// qaReportFixture is two evaluations of agent 1001 submitted on 1 March
// 2025 (Shanghai): one all yes (100, ★★★★), one with the privacy item
// failed (an auto-fail: 0, fail), which the agent disputes (open).
func qaReportFixture(t *testing.T) string {
	t.Helper()
	url := pgtest.New(t)
	ctx := t.Context()
	db, err := store.Open(ctx, url, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	qa := store.NewQA(db, clockwork.NewFakeClockAt(time.Date(2025, 3, 1, 10, 0, 0, 0, sh)))
	card := scorecard.Standard()
	for i, privacy := range []string{"yes", "no"} {
		call := []string{"q1", "q2"}[i]
		if _, err := qa.AddPicks(ctx, []evaluation.Pick{{CallID: call, Agent: "1001", Reasons: []string{"random"}}}); err != nil {
			t.Fatal(err)
		}
		if err := qa.Claim(ctx, call, "1001", "qiu", time.Hour); err != nil {
			t.Fatal(err)
		}
		id, err := qa.NewEvaluation(ctx, call, "1001", "qiu", 0, card, nil)
		if err != nil {
			t.Fatal(err)
		}
		answers := scorecard.Answers{}
		for _, it := range card.Items() {
			answers[it.ID] = "yes"
			if it.Answer == scorecard.Scale {
				answers[it.ID] = "5"
			}
		}
		answers["privacy"] = privacy
		if _, err := qa.Act(ctx, id, "qiu", evaluation.Reviewer, evaluation.Submit, "", answers); err != nil {
			t.Fatal(err)
		}
		if privacy == "no" {
			if _, err := qa.Act(ctx, id, "1001", evaluation.Agent, evaluation.Dispute, "I said nothing private", nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	return url
}

func TestQAReportCommand(t *testing.T) {
	url := qaReportFixture(t)
	report := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		e := &env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string {
			if k == "DATABASE_URL" {
				return url
			}
			return ""
		}}
		code := run(t.Context(), append([]string{"report", "--qa"}, args...), e)
		return code, stdout.String(), stderr.String()
	}
	code, out, errOut := report("--from", "2025-03-01", "--to", "2025-03-01")
	want := `QA report 2025-03-01 00:00 to 2025-03-02 00:00 (Asia/Shanghai): evaluations submitted, calibrations left out.

agent  evaluations  mean_score  four_stars  three_stars  two_stars  one_star  pass  fail  auto_fails  failed_most  disputes  upheld  rescored  open
1001             2        50.0           1            0          0         0     0     1           1    privacy:1         1       0         0     1
All              2        50.0           1            0          0         0     0     1           1    privacy:1         1       0         0     1
`
	if code != 0 || out != want {
		t.Errorf("table: exit %d, stderr %s, stdout:\n%s\nwant:\n%s", code, errOut, out, want)
	}

	code, out, _ = report("--from", "2025-03-01", "--to", "2025-03-02", "--format", "csv")
	wantCSV := `agent,evaluations,mean_score,four_stars,three_stars,two_stars,one_star,pass,fail,auto_fails,failed_most,disputes,upheld,rescored,open
1001,2,50.0,1,0,0,0,0,1,1,privacy:1,1,0,0,1
,2,50.0,1,0,0,0,0,1,1,privacy:1,1,0,0,1
`
	if code != 0 || out != wantCSV {
		t.Errorf("CSV: exit %d:\n%s\nwant:\n%s", code, out, wantCSV)
	}

	code, out, _ = report("--from", "2025-03-01", "--to", "2025-03-02", "--format", "json", "--tz", "UTC")
	var v struct {
		From time.Time
		Rows []evaluation.ReportRow
	}
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || len(v.Rows) != 2 || v.Rows[0].Grades[scorecard.FourStars] != 1 ||
		v.From.Format(time.RFC3339) != "2025-03-01T00:00:00Z" {
		t.Errorf("JSON: exit %d, %v:\n%s", code, err, out)
	}

	// The day before: nothing but the row for everyone.
	if code, out, _ = report("--from", "2025-02-28", "--to", "2025-02-28", "--format", "csv"); code != 0 || !strings.HasSuffix(out, "\n,0,0.0,0,0,0,0,0,0,0,,0,0,0,0\n") {
		t.Errorf("an empty day: exit %d:\n%s", code, out)
	}

	code, _, errOut = report("--from", "2025-03-01", "--to", "nope", "--queue", "vip", "--by", "queue", "--format", "xml")
	for _, w := range []string{"--queue is not for --qa", `--by: "queue" is not a grouping: use agent or team`, `--to: "nope" is not a date`, `--format: "xml" is not a format`} {
		if code != 2 || !strings.Contains(errOut, w) {
			t.Errorf("bad flags: exit %d, stderr lacks %q:\n%s", code, w, errOut)
		}
	}
}

// TestQAReportCommandByTeam: --by team reads the agents' teams from the
// config file (--config, or hotline.yaml in the working directory): agent
// 1001's evaluations are its team's; an agent in no team is "(no team)";
// without the file, or with a bad one, it says what to do.
func TestQAReportCommandByTeam(t *testing.T) {
	url := qaReportFixture(t)
	// A third evaluation, of agent 1002, in no team: all yes but the
	// greeting (90, four stars).
	ctx := t.Context()
	db, err := store.Open(ctx, url, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	qa := store.NewQA(db, clockwork.NewFakeClockAt(time.Date(2025, 3, 1, 11, 0, 0, 0, sh)))
	if _, err := qa.AddPicks(ctx, []evaluation.Pick{{CallID: "q3", Agent: "1002", Reasons: []string{"random"}}}); err != nil {
		t.Fatal(err)
	}
	if err := qa.Claim(ctx, "q3", "1002", "qiu", time.Hour); err != nil {
		t.Fatal(err)
	}
	card := scorecard.Standard()
	id, err := qa.NewEvaluation(ctx, "q3", "1002", "qiu", 0, card, nil)
	if err != nil {
		t.Fatal(err)
	}
	answers := scorecard.Answers{}
	for _, it := range card.Items() {
		answers[it.ID] = "yes"
		if it.Answer == scorecard.Scale {
			answers[it.ID] = "5"
		}
	}
	answers["greeting"] = "no"
	if _, err := qa.Act(ctx, id, "qiu", evaluation.Reviewer, evaluation.Submit, "", answers); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "centre.yaml")
	if err := os.WriteFile(cfgPath, []byte(`ari:
  url: http://127.0.0.1:8088/ari
  username: hotline
agents:
  - {id: "1001", device: PJSIP/1001, team: 售后 After-sales}
  - {id: "1002", device: PJSIP/1002}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	report := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		e := &env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string {
			if k == "DATABASE_URL" {
				return url
			}
			return ""
		}}
		code := run(t.Context(), append([]string{"report", "--qa", "--from", "2025-03-01", "--to", "2025-03-01"}, args...), e)
		return code, stdout.String(), stderr.String()
	}

	// The team's Chinese name is two columns a character wide.
	code, out, errOut := report("--by", "team", "--config", cfgPath)
	want := `QA report by team 2025-03-01 00:00 to 2025-03-02 00:00 (Asia/Shanghai): evaluations submitted, calibrations left out.

team              evaluations  mean_score  four_stars  three_stars  two_stars  one_star  pass  fail  auto_fails           failed_most  disputes  upheld  rescored  open
售后 After-sales            2        50.0           1            0          0         0     0     1           1             privacy:1         1       0         0     1
(no team)                   1        90.0           1            0          0         0     0     0           0            greeting:1         0       0         0     0
All                         3        63.3           2            0          0         0     0     1           1  greeting:1 privacy:1         1       0         0     1
`
	if code != 0 || out != want {
		t.Errorf("table: exit %d, stderr %s, stdout:\n%s\nwant:\n%s", code, errOut, out, want)
	}

	code, out, _ = report("--by", "team", "--config", cfgPath, "--format", "csv")
	wantCSV := `team,evaluations,mean_score,four_stars,three_stars,two_stars,one_star,pass,fail,auto_fails,failed_most,disputes,upheld,rescored,open
售后 After-sales,2,50.0,1,0,0,0,0,1,1,privacy:1,1,0,0,1
(no team),1,90.0,1,0,0,0,0,0,0,greeting:1,0,0,0,0
,3,63.3,2,0,0,0,0,1,1,greeting:1 privacy:1,1,0,0,1
`
	if code != 0 || out != wantCSV {
		t.Errorf("CSV: exit %d:\n%s\nwant:\n%s", code, out, wantCSV)
	}

	code, out, _ = report("--by", "team", "--config", cfgPath, "--format", "json")
	var v console.QAReportView
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || v.By != evaluation.ByTeam || len(v.Rows) != 3 ||
		v.Rows[0].Team != "售后 After-sales" || v.Rows[0].Evaluations != 2 || v.Rows[1].Team != evaluation.NoTeam || v.Rows[2].Evaluations != 3 {
		t.Errorf("JSON: exit %d, %v:\n%s", code, err, out)
	}

	// By agent with --config: the same columns as without, each agent's
	// team in the JSON.
	code, out, _ = report("--config", cfgPath, "--format", "json")
	v = console.QAReportView{}
	if err := json.Unmarshal([]byte(out), &v); code != 0 || err != nil || v.By != evaluation.ByAgent || len(v.Rows) != 3 ||
		v.Rows[0].Agent != "1001" || v.Rows[0].Team != "售后 After-sales" || v.Rows[1].Agent != "1002" || v.Rows[1].Team != "" {
		t.Errorf("JSON by agent: exit %d, %v:\n%s", code, err, out)
	}

	// --by team reads hotline.yaml in the working directory by default.
	t.Chdir(dir)
	code, _, errOut = report("--by", "team")
	if code == 0 || !strings.Contains(errOut, "no config file at hotline.yaml: pass --config FILE, the one hotline serve runs with, for the agents' teams") {
		t.Errorf("no hotline.yaml: exit %d:\n%s", code, errOut)
	}
	if err := os.WriteFile("hotline.yaml", []byte("ari: {url: http://127.0.0.1:8088/ari, username: hotline}\nagents:\n  - {id: \"1001\", device: PJSIP/1001, team: \" x\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = report("--by", "team")
	if code == 0 || !strings.Contains(errOut, `hotline.yaml:3: agents[0].team: " x" starts or ends with spaces`) {
		t.Errorf("a bad hotline.yaml: exit %d:\n%s", code, errOut)
	}

	// --config is --qa's only.
	var stderr bytes.Buffer
	e := &env{stdout: &bytes.Buffer{}, stderr: &stderr, getenv: func(string) string { return url }}
	if code := run(t.Context(), []string{"report", "--from", "2025-03-01", "--to", "2025-03-01", "--config", cfgPath}, e); code != 2 ||
		!strings.Contains(stderr.String(), "--config is only for --qa") {
		t.Errorf("--config without --qa: exit %d:\n%s", code, stderr.String())
	}
}
