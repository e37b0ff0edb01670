package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

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

	code, _, errOut = report("--from", "2025-03-01", "--to", "nope", "--by", "agent", "--format", "xml")
	for _, w := range []string{"--by is not for --qa", `--to: "nope" is not a date`, `--format: "xml" is not a format`} {
		if code != 2 || !strings.Contains(errOut, w) {
			t.Errorf("bad flags: exit %d, stderr lacks %q:\n%s", code, w, errOut)
		}
	}
}
