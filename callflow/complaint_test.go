package callflow

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// complaintFlow uses the complaint node twice: with every key, and with
// the defaults (the standard invitation and thanks, caller's number).
const complaintFlow = head + `  main:
    menu: {prompt: menu, options: {"1": quality, "2": service}}
  quality:
    set: {vars: {kind: wrong-item}, next: number}
  service:
    collect: {prompt: menu, min_digits: 11, max_digits: 11, into: callback, next: speak}
  number:
    complaint:
      prompt: menu
      beep: false
      max_length: 90s
      max_silence: 4s
      terminator: "*"
      category_var: kind
      category: quality
      contact_var: callback
      team: after-sales
      thanks: menu
      next: bye
  speak:
    complaint: {category: service-attitude, next: bye}
  bye:
    hangup: {}
`

func TestParseComplaintNode(t *testing.T) {
	f, err := Parse("t.yaml", []byte(complaintFlow))
	if err != nil {
		t.Fatal(err)
	}
	full := f.Node("number")
	want := &Node{ID: "number", Kind: KindComplaint, Line: 14, Complaint: &Complaint{
		Prompt: "menu", MaxLength: 90 * time.Second, MaxSilence: 4 * time.Second, Terminator: "*",
		Category: "quality", CategoryVar: "kind", ContactVar: "callback", Team: "after-sales", Thanks: "menu", Next: "bye",
	}}
	if !reflect.DeepEqual(full, want) {
		t.Errorf("number (line %d):\n got %+v\nwant %+v (line %d)", full.Line, full.Complaint, want.Complaint, want.Line)
	}
	defaults := f.Node("speak").Complaint
	if *defaults != (Complaint{Prompt: PromptComplaintInvite, Beep: true, MaxLength: defaultMaxLength, MaxSilence: defaultMaxSilence,
		Terminator: "#", Category: "service-attitude", Thanks: PromptComplaintThanks, Next: "bye"}) {
		t.Errorf("speak: %+v", defaults)
	}
	// The standard prompts it plays by default are among the flow's sounds.
	sounds := map[string]bool{}
	for _, s := range f.Sounds() {
		sounds[s.Name] = true
	}
	for _, s := range []string{"hotline/zh/complaint-invite", "hotline/en/complaint-thanks", "hotline/zh/beep"} {
		if !sounds[s] {
			t.Errorf("the flow's sounds lack %s", s)
		}
	}
}

func TestComplaintCategoryAndContact(t *testing.T) {
	c := &Complaint{Category: "quality", CategoryVar: "kind", ContactVar: "callback"}
	for _, tt := range []struct {
		vars              map[string]string
		category, contact string
	}{
		{map[string]string{"kind": "wrong-item", "callback": "13900000001"}, "wrong-item", "13900000001"},
		{map[string]string{}, "quality", "4001"},
		{map[string]string{"kind": "not a code", "callback": "12"}, "quality", "4001"},
		{map[string]string{"callback": "+8613900000001"}, "quality", "+8613900000001"},
	} {
		if got := c.ComplaintCategory(tt.vars); got != tt.category {
			t.Errorf("category of %v = %q, want %q", tt.vars, got, tt.category)
		}
		if got := c.ComplaintContact(tt.vars, "4001"); got != tt.contact {
			t.Errorf("contact of %v = %q, want %q", tt.vars, got, tt.contact)
		}
	}
	fixed := &Complaint{Category: "quality"}
	if got := fixed.ComplaintCategory(map[string]string{"kind": "x"}); got != "quality" {
		t.Errorf("fixed category = %q", got)
	}
}

func complaintCategoryFlow(category string) []byte {
	return fmt.Appendf(nil, `flow: c
numbers: ["4001"]
languages: [zh]
start: main
nodes:
  main:
    complaint:
      category_var: lang
      category: %s
      next: bye
  bye:
    hangup: {}
`, category)
}

// TestRegistryUnknownComplaintCategory: with the complaint categories
// set, a complaint node whose category (its fallback here) is none of
// them is a problem at its line; with none configured any is taken.
func TestRegistryUnknownComplaintCategory(t *testing.T) {
	var r Registry
	r.SetComplaintCategories([]string{"quality", "wrong-item"})
	if _, err := r.Load(map[string][]byte{"c.yaml": complaintCategoryFlow("quality")}); err != nil {
		t.Fatalf("a known category: %v", err)
	}
	_, err := r.Load(map[string][]byte{"c.yaml": complaintCategoryFlow("qualty")})
	want := `c.yaml:9: nodes.main.complaint.category: there is no complaint category "qualty" (did you mean quality? complaint categories in the configuration (dispositions of kind complaint): quality, wrong-item)`
	if !errors.Is(err, ErrInvalid) || err.Error() != want {
		t.Errorf("an unknown category:\ngot  %v\nwant %s", err, want)
	}
	if f, ok := r.ForNumber("4001"); !ok || f.Node("main").Complaint.Category != "quality" {
		t.Errorf("ForNumber: got %v, want the version with quality", f)
	}
	var none Registry
	none.SetComplaintCategories(nil)
	if _, err := none.Load(map[string][]byte{"c.yaml": complaintCategoryFlow("anything")}); err != nil {
		t.Errorf("no categories configured: any is taken, got %v", err)
	}
}
