package scorecard_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hotline-ivr/hotline/recordings/scorecard"
)

func TestGradeBoundaries(t *testing.T) {
	for _, c := range []struct {
		score float64
		want  scorecard.Grade
	}{
		{100, scorecard.FourStars}, {90, scorecard.FourStars}, {89.9, scorecard.ThreeStars},
		{85, scorecard.ThreeStars}, {84.9, scorecard.TwoStars}, {80, scorecard.TwoStars},
		{79.9, scorecard.OneStar}, {70, scorecard.OneStar}, {69.9, scorecard.Pass},
		{60, scorecard.Pass}, {59.9, scorecard.Fail}, {0, scorecard.Fail},
	} {
		if got := scorecard.GradeOf(c.score); got != c.want {
			t.Errorf("GradeOf(%v) = %s, want %s", c.score, got, c.want)
		}
	}
	if scorecard.FourStars.Label("zh") != "★★★★" || scorecard.Pass.Label("zh") != "合格" || scorecard.Fail.Label("en") != "fail" {
		t.Error("grade labels")
	}
}

func TestStandard(t *testing.T) {
	sc := scorecard.Standard()
	total := 0.0
	var sourced, human, autoFail []string
	for _, it := range sc.Items() {
		total += it.Weight
		switch {
		case it.AutoFail:
			autoFail = append(autoFail, it.ID)
		case it.Source != nil:
			sourced = append(sourced, it.ID+":"+it.Source.From)
		default:
			human = append(human, it.ID)
		}
	}
	if total != 100 {
		t.Errorf("the standard card's weights add up to %v, want 100", total)
	}
	if !slices.Equal(autoFail, []string{"forbidden_wording", "privacy"}) {
		t.Errorf("auto-fail items %v", autoFail)
	}
	// Wording needs a person; everything the call's data answers has a source.
	if !slices.Equal(human, []string{"greeting", "anything_else"}) {
		t.Errorf("items for people alone %v", human)
	}
	for _, want := range []string{"agent_id:agent_id_announced", "caller_hung_up_first:caller_hung_up_first", "first_contact:first_contact", "satisfaction:survey_result", "dead_air:dead_air", "complaint_registered:complaint_registered"} {
		if !slices.Contains(sourced, want) {
			t.Errorf("items with a source %v: want %s", sourced, want)
		}
	}
	if sc.Fingerprint() != scorecard.Standard().Fingerprint() || len(sc.Fingerprint()) != 16 {
		t.Errorf("fingerprint %q not stable", sc.Fingerprint())
	}
	// A file with other comments and layout is the same version.
	again, err := scorecard.Parse("copy.yaml", []byte("# a copy\n"+string(scorecard.StandardFile())))
	if err != nil || again.Fingerprint() != sc.Fingerprint() {
		t.Errorf("a copy with a comment: %v, fingerprint %s vs %s", err, again.Fingerprint(), sc.Fingerprint())
	}
}

// answersAll answers every item of the standard card yes (5 for the
// survey), then applies changes.
func answersAll(changes map[string]string) scorecard.Answers {
	a := scorecard.Answers{}
	for _, it := range scorecard.Standard().Items() {
		a[it.ID] = "yes"
		if it.Answer == scorecard.Scale {
			a[it.ID] = "5"
		}
	}
	for k, v := range changes {
		a[k] = v
	}
	return a
}

func TestScore(t *testing.T) {
	sc := scorecard.Standard()
	for _, c := range []struct {
		name     string
		changes  map[string]string
		score    float64
		grade    scorecard.Grade
		autoFail []string
	}{
		{"all good", nil, 100, scorecard.FourStars, nil},
		// 10 of 100 lost: 90.
		{"no greeting", map[string]string{"greeting": "no"}, 90, scorecard.FourStars, nil},
		// N/A leaves the denominator: 80 of 90 earned.
		{"no greeting, no complaint", map[string]string{"greeting": "no", "complaint_registered": "na"}, 88.9, scorecard.ThreeStars, nil},
		// A survey of 3 of 5 earns 6 of 10; no first contact loses 15: 81.
		{"survey 3, called again", map[string]string{"satisfaction": "3", "first_contact": "no"}, 81, scorecard.TwoStars, nil},
		// and no closing question: 76.
		{"survey 3, called again, no closing", map[string]string{"satisfaction": "3", "first_contact": "no", "anything_else": "no"}, 76, scorecard.OneStar, nil},
		{"rude", map[string]string{"forbidden_wording": "no"}, 0, scorecard.Fail, []string{"forbidden_wording"}},
		{"rude and a privacy breach", map[string]string{"forbidden_wording": "no", "privacy": "no"}, 0, scorecard.Fail, []string{"forbidden_wording", "privacy"}},
	} {
		r, err := sc.Score(answersAll(c.changes))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if r.Score != c.score || r.Grade != c.grade || !slices.Equal(r.AutoFailed, c.autoFail) {
			t.Errorf("%s: %+v, want score %v grade %s auto-failed %v", c.name, r, c.score, c.grade, c.autoFail)
		}
	}

	// Answers that do not fit: every one named.
	bad := answersAll(map[string]string{"greeting": "maybe", "satisfaction": "6", "privacy": "na", "colour": "red"})
	delete(bad, "holds")
	_, err := sc.Score(bad)
	if !errors.Is(err, scorecard.ErrAnswers) {
		t.Fatalf("bad answers: %v", err)
	}
	for _, want := range []string{`greeting: "maybe" is not yes or no`, `satisfaction: "6" is not a whole number from 0 to 5`,
		`privacy: N/A is not allowed for it`, `holds (At most one hold) has no answer`, `colour is not an item of scorecard standard`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nwant %s", err, want)
		}
	}
}

func TestChoicesAndScales(t *testing.T) {
	sc, err := scorecard.Parse("c.yaml", []byte(`scorecard: small
title: {zh: 小表, en: Small}
sections:
  - id: s
    title: {zh: 一, en: One}
    items:
      - id: tone
        title: {zh: 语气, en: Tone}
        weight: 20
        answer: choice
        auto_fail: true
        choices:
          - {id: warm, title: {zh: 热情, en: Warm}, share: 1}
          - {id: flat, title: {zh: 平淡, en: Flat}, share: 0.5}
          - {id: rude, title: {zh: 粗鲁, en: Rude}, share: 0, fails: true}
      - id: knowledge
        title: {zh: 业务知识, en: Knowledge}
        weight: 30
        answer: scale
        max: 4
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tone, knowledge string
		score           float64
	}{{"warm", "4", 100}, {"flat", "4", 80}, {"flat", "1", 35}, {"warm", "0", 40}, {"rude", "4", 0}} {
		r, err := sc.Score(scorecard.Answers{"tone": c.tone, "knowledge": c.knowledge})
		if err != nil || r.Score != c.score {
			t.Errorf("tone %s knowledge %s: %+v %v, want %v", c.tone, c.knowledge, r, err, c.score)
		}
	}
}

func TestProblems(t *testing.T) {
	_, err := scorecard.Parse("bad.yaml", []byte(`scorecard: Standard Card
title: {zh: 表}
sections:
  - id: a
    title: {zh: 一, en: One}
    items:
      - id: greeting
        title: {zh: 问候, en: Greeting}
        weight: -5
        answer: yes_no
        max: 3
        source: {from: agent_id_announced, max: 2}
      - id: greeting
        title: {zh: 满意, en: Satisfied}
        weight: 10
        answer: scale
        source: {from: survey_result}
      - id: tone
        title: {zh: 语气, en: Tone}
        weight: 10
        answer: choice
        auto_fail: true
        choices:
          - {id: warm, title: {zh: 热情, en: Warm}, share: 1}
          - {id: flat, title: {zh: 平淡, en: Flat}, share: 0.5}
      - id: manner
        title: {zh: 礼貌, en: Manner}
        weight: 5
        answer: choice
        choices:
          - {id: warm, title: {zh: 热情, en: Warm}, share: 1.5}
          - {id: na, title: {zh: 无, en: None}, share: 0}
      - id: holds
        title: {zh: 保持, en: Holds}
        weight: 5
        answer: yes_no
        source: {from: hold_count}
        colour: red
      - id: monologue
        title: {zh: 独白, en: Monologue}
        weight: 5
        answer: yes_no
        source: {from: monologue, max_time: 30s}
`))
	if !errors.Is(err, scorecard.ErrInvalid) {
		t.Fatalf("Parse: %v, want ErrInvalid", err)
	}
	for _, want := range []string{
		`bad.yaml:1: scorecard: "Standard Card" is not a name`,
		`bad.yaml:2: title: needs zh and en`,
		`bad.yaml:9: sections[0].items[0].weight: -5 is negative`,
		`bad.yaml:11: sections[0].items[0].max: a yes_no item takes no max (only a scale item takes it)`,
		`bad.yaml:12: sections[0].items[0].source.max: agent_id_announced takes no max`,
		`bad.yaml:13: sections[0].items[1].id: "greeting" is already the ID of sections[0].items[0]`,
		`bad.yaml:13: sections[0].items[1].max: 0 is not from 1 to 10`,
		`bad.yaml:17: sections[0].items[1].source.from: survey_result cannot answer a scale item`,
		`bad.yaml:23: sections[0].items[2].choices: an auto_fail item needs a failing answer`,
		`bad.yaml:31: sections[0].items[3].choices[0].share: 1.5 is not from 0 to 1`,
		`bad.yaml:32: sections[0].items[3].choices[1].id: "na" is kept for not applicable`,
		`bad.yaml:37: sections[0].items[4].source.max: hold_count needs max`,
		`bad.yaml:38: sections[0].items[4].colour: unknown key`,
		`bad.yaml:43: sections[0].items[5].source.from: "monologue" is not a source (one of: agent_id_announced`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems:\n%v\nwant: %s", err, want)
		}
	}
}

// TestCheck: a draft's answers may leave items out, but each one given
// must fit; the error names every one that does not.
func TestCheck(t *testing.T) {
	card := scorecard.Standard()
	if err := card.Check(scorecard.Answers{}); err != nil {
		t.Errorf("no answers: %v", err)
	}
	items := card.Items()
	if err := card.Check(scorecard.Answers{items[0].ID: "yes"}); err != nil {
		t.Errorf("one answer: %v", err)
	}
	err := card.Check(scorecard.Answers{items[0].ID: "maybe", "nonsense": "yes"})
	if !errors.Is(err, scorecard.ErrAnswers) || !strings.Contains(err.Error(), items[0].ID) || !strings.Contains(err.Error(), "nonsense") {
		t.Errorf("bad answers: %v", err)
	}
}
