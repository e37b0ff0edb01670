package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/recordings/scorecard"
)

func TestParseQA(t *testing.T) {
	got, err := Parse("hotline.yaml", []byte(minimal+`qa:
  sampling: {random_per_agent_week: 3, csat_at_most: 1, complaints: false, transfers: true, hold_over: 5m}
  sample_every: 30m
  claim_lease: 2h
`))
	if err != nil {
		t.Fatal(err)
	}
	want := evaluation.Rules{RandomPerAgentWeek: 3, CSATAtMost: 1, Transfer: true, HoldOver: 5 * time.Minute}
	if r := got.QA.Rules(); r != want || got.QA.SampleEvery != 30*time.Minute || got.QA.ClaimLease != 2*time.Hour || got.QA.Scorecard != "" {
		t.Errorf("qa %+v, rules %+v", got.QA, r)
	}
	d := Default().QA
	if r := d.Rules(); r != (evaluation.Rules{RandomPerAgentWeek: 5, CSATAtMost: 2, Complaint: true, Transfer: true, HoldOver: 3 * time.Minute}) ||
		d.SampleEvery != time.Hour || d.ClaimLease != time.Hour {
		t.Errorf("default qa %+v", d)
	}

	_, err = Parse("hotline.yaml", []byte(minimal+`qa:
  sampling:
    random_per_agent_week: -1
    csat_at_most: 6
    hold_over: -1m
    sometimes: true
  sample_every: 0s
  claim_lease: -1h
`))
	for _, want := range []string{
		`hotline.yaml:7: qa.sampling.random_per_agent_week: -1 is not from 0 to 1000`,
		`hotline.yaml:8: qa.sampling.csat_at_most: 6 is not from 0 to 5`,
		`hotline.yaml:9: qa.sampling.hold_over: -1m0s is negative`,
		`hotline.yaml:10: qa.sampling.sometimes`,
		`hotline.yaml:11: qa.sample_every: must be more than 0, got 0s`,
		`hotline.yaml:12: qa.claim_lease: must be more than 0, got -1h0m0s`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("problems %v, want %s", err, want)
		}
	}
}

// TestLoadScorecard: no file is the standard card; a card file is read;
// a missing file is a problem at qa.scorecard's line; a bad card gives
// its own problems at its lines.
func TestLoadScorecard(t *testing.T) {
	dir := t.TempDir()
	load := func(path string) (*scorecard.Scorecard, Problems) {
		t.Helper()
		data := []byte(minimal + "qa:\n  scorecard: " + path + "\n")
		if path == "" {
			data = []byte(minimal)
		}
		cfg, err := Parse("hotline.yaml", data)
		if err != nil {
			t.Fatal(err)
		}
		return LoadScorecard("hotline.yaml", data, cfg)
	}
	if card, ps := load(""); ps != nil || card.Fingerprint() != scorecard.Standard().Fingerprint() {
		t.Errorf("no file: %v, %v", card, ps)
	}
	good := filepath.Join(dir, "card.yaml")
	if err := os.WriteFile(good, scorecard.StandardFile(), 0o600); err != nil {
		t.Fatal(err)
	}
	if card, ps := load(good); ps != nil || card.Name != "standard" {
		t.Errorf("a card file: %v, %v", card, ps)
	}
	missing := filepath.Join(dir, "none.yaml")
	if _, ps := load(missing); len(ps) != 1 || !strings.HasPrefix(ps[0].Error(), "hotline.yaml:6: qa.scorecard: the file") ||
		!strings.Contains(ps[0].Error(), "does not exist") {
		t.Errorf("a missing file: %v", ps)
	}
	bad := filepath.Join(dir, "bad.yaml")
	body := strings.Replace(string(scorecard.StandardFile()), "answer: yes_no", "answer: perhaps", 1)
	if err := os.WriteFile(bad, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, ps := load(bad)
	if len(ps) == 0 || !strings.HasPrefix(ps[0].Error(), bad+":") || !strings.Contains(ps.Error(), `"perhaps" is not an answer type`) {
		t.Errorf("a bad card: %v", ps)
	}
}
