package callflow

import (
	"maps"
	"testing"
	"time"
)

func TestBranchChooseByCallerAndTime(t *testing.T) {
	f := readFlow(t, "smart-home.yaml")
	route := f.Node("route").Branch
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	saturdayMorning := time.Date(2026, 10, 16, 23, 0, 0, 0, time.UTC) // 07:00 Saturday in Shanghai: open
	fridayEvening := time.Date(2026, 10, 16, 10, 0, 0, 0, time.UTC)   // 18:00 Friday in Shanghai: closed
	nationalDay := time.Date(2026, 10, 1, 10, 0, 0, 0, shanghai)
	tests := []struct {
		name   string
		caller string
		at     time.Time
		want   string
	}{
		{"VIP while open", "13800000001", saturdayMorning, "vip"},
		{"VIP on a holiday: the first case wins", "13800000001", nationalDay, "vip"},
		{"VIP with +86 as listed", "+8613900000002", fridayEvening, "vip"},
		{"a number is compared as it is", "13900000002", saturdayMorning, "main"},
		{"caller while open", "13700000000", saturdayMorning, "main"},
		{"caller after hours", "13700000000", fridayEvening, "closed"},
		{"caller on a holiday", "13700000000", nationalDay, "closed"},
		{"no caller ID", "", saturdayMorning, "main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"caller": tt.caller}
			if got := route.Choose(vars, tt.caller, tt.at, f); got != tt.want {
				t.Errorf("Choose: got %q, want %q", got, tt.want)
			}
		})
	}
}

const branchFlow = `flow: b
numbers: ["4001"]
languages: [zh, en]
timezone: Asia/Shanghai
hours: {mon-fri: "09:00-18:00"}
lists: {vip: ["13800000001"]}
start: init
nodes:
  init:
    set: {vars: {refund: "0", member: "", card_no: "", order_no: ""}, next: b}
  b:
    branch:
      when:
        - {var: refund, gt: 1000, goto: big}
        - {var: refund, lt: -0.5, goto: negative}
        - {var: member, in: [gold, platinum], goto: gold}
        - {var: card_no, matches: "62[0-9]+", goto: unionpay}
        - {var: lang, equals: en, goto: english}
        - {var: order_no, equals: "${caller}", goto: self}
        - {caller_in: vip, open: true, goto: vip-open}
        - {var: member, equals: "", goto: nobody}
      default: other
  big: {hangup: {}}
  negative: {hangup: {}}
  gold: {hangup: {}}
  unionpay: {hangup: {}}
  english: {hangup: {}}
  self: {hangup: {}}
  vip-open: {hangup: {}}
  nobody: {hangup: {}}
  other: {hangup: {}}
`

func TestBranchChooseByVariables(t *testing.T) {
	f, err := Parse("b.yaml", []byte(branchFlow))
	if err != nil {
		t.Fatal(err)
	}
	b := f.Node("b").Branch
	monday := time.Date(2026, 10, 12, 2, 0, 0, 0, time.UTC) // 10:00 in Shanghai: open
	sunday := time.Date(2026, 10, 18, 2, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		vars   map[string]string
		caller string
		at     time.Time
		want   string
	}{
		{"nothing holds", nil, "", monday, "other"},
		{"gt: above", map[string]string{"refund": "1000.01"}, "", monday, "big"},
		{"gt: equal is not above", map[string]string{"refund": "1000"}, "", monday, "other"},
		{"gt: not a number", map[string]string{"refund": "lots"}, "", monday, "other"},
		{"lt: below", map[string]string{"refund": "-1"}, "", monday, "negative"},
		{"in: one of", map[string]string{"member": "platinum"}, "", monday, "gold"},
		{"in: none of", map[string]string{"member": "silver"}, "", monday, "other"},
		{"matches: all of the value", map[string]string{"card_no": "6212345"}, "", monday, "unionpay"},
		{"matches: part is not enough", map[string]string{"card_no": "46212345"}, "", monday, "other"},
		{"equals: built-in lang", map[string]string{"lang": "en"}, "", monday, "english"},
		{"equals: another variable", map[string]string{"order_no": "555", "caller": "555"}, "555", monday, "self"},
		{"caller list and hours: both hold", nil, "13800000001", monday, "vip-open"},
		{"caller list and hours: closed", nil, "13800000001", sunday, "other"},
		{"equals empty", map[string]string{"member": ""}, "", monday, "nobody"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"refund": "0", "member": "x", "card_no": "-", "order_no": "-", "lang": "zh", "caller": tt.caller}
			maps.Copy(vars, tt.vars)
			if got := b.Choose(vars, tt.caller, tt.at, f); got != tt.want {
				t.Errorf("Choose(%v): got %q, want %q", vars, got, tt.want)
			}
		})
	}
}
