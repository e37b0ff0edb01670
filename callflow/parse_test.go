package callflow

import (
	"errors"
	"os"
	"reflect"
	"regexp"
	"testing"
	"time"
)

// readFlow parses a file of testdata.
func readFlow(t testing.TB, name string) *Flow {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(name, data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return f
}

func ptr[T any](v T) *T { return &v }

// silence is the default no-input script.
var silence = NoInput{Prompts: []string{"silence-hello", "silence-hello", "silence-bye"}, Wait: 5 * time.Second, Then: HangupNode}

func TestParseCompilesEveryNodeKind(t *testing.T) {
	f := readFlow(t, "smart-home.yaml")
	sub := "order-status/"
	tests := []struct {
		want    Node
		pattern string // of the node's Collect or of its Branch cases, in order
	}{
		{want: Node{ID: "welcome", Kind: KindPlay, Line: 29, Play: &Play{Prompts: []string{"welcome"}, BargeIn: true, Next: "route"}}},
		{want: Node{ID: "route", Kind: KindBranch, Line: 31, Branch: &Branch{Cases: []Case{
			{CallerIn: "vip", Goto: "vip", Line: 34},
			{Holiday: ptr(true), Goto: "closed", Line: 35},
			{Open: ptr(false), Goto: "closed", Line: 36},
		}, Default: "main"}}},
		{want: Node{ID: "main", Kind: KindMenu, Line: 38, Menu: &Menu{
			Prompt:  "main-menu",
			Options: map[string]string{"1": "setup", "2": "order", "3": "card", "4": "repair-partner", "5": "complain", "0": "agent", "9": "english"},
			Timeout: 6 * time.Second, Retries: 3, Invalid: "invalid-key",
			NoInput: NoInput{Prompts: silence.Prompts, Wait: 4 * time.Second, Then: HangupNode},
			OnFail:  "agent",
		}}},
		{want: Node{ID: "english", Kind: KindSet, Line: 46, Set: &Set{Vars: []Assignment{{Name: "lang", Value: "en"}}, Next: "main"}}},
		{want: Node{ID: "setup", Kind: KindPlay, Line: 48, Play: &Play{Prompts: []string{"setup-help", "anything-else"}, Next: "main"}}},
		{want: Node{ID: "order", Kind: KindSubflow, Line: 50, Subflow: &Subflow{Name: "order-status", Start: sub + "ask", Next: "main"}}},
		{want: Node{ID: "card", Kind: KindCollect, Line: 52, Collect: &Collect{
			Prompt: "enter-card", MinDigits: 16, MaxDigits: 19, Terminator: "",
			FirstTimeout: 10 * time.Second, InterDigitTimeout: 4 * time.Second,
			Check: CheckLuhn, Retries: 1, Invalid: "invalid-key",
			NoInput: NoInput{Prompts: []string{"enter-card"}, Wait: 5 * time.Second, Then: "agent"},
			Into:    "card_no", Sensitive: true, Next: "big-refund", OnFail: "agent",
		}}},
		{want: Node{ID: "big-refund", Kind: KindBranch, Line: 67, Branch: &Branch{Cases: []Case{
			{Var: "refund", Op: OpGreater, Number: 1000, Goto: "vip", Line: 70},
			{Var: "member", Op: OpIn, Values: []string{"gold", "platinum"}, Goto: "vip", Line: 71},
			{Var: "card_no", Op: OpMatches, Goto: "agent", Line: 72},
			{Var: "lang", Op: OpEquals, Values: []string{"en"}, Goto: "agent", Line: 73},
		}, Default: "agent"}}, pattern: "^(?:62[0-9]+)$"},
		{want: Node{ID: "repair-partner", Kind: KindTransfer, Line: 75, Transfer: &Transfer{Number: "4008889999", Timeout: 20 * time.Second, OnFail: "agent"}}},
		{want: Node{ID: "vip", Kind: KindQueue, Line: 77, Queue: &Queue{Name: "vip", Priority: 10, Skills: []string{"${lang}", "vip"}, Next: "survey", OnFail: "agent"}}},
		{want: Node{ID: "agent", Kind: KindQueue, Line: 79, Queue: &Queue{Name: "after-sales", Priority: 1, Skills: []string{"${lang}"}, MaxWait: 10 * time.Minute, Next: "survey", OnFail: "leave-message"}}},
		{want: Node{ID: "closed", Kind: KindPlay, Line: 81, Play: &Play{Prompts: []string{"closed"}, Next: "leave-message"}}},
		{want: Node{ID: "leave-message", Kind: KindMessage, Line: 83, Message: &Message{Prompt: "leave-message", Beep: true, MaxLength: 2 * time.Minute, MaxSilence: 4 * time.Second, Terminator: "#", Next: "bye"}}},
		{want: Node{ID: "survey", Kind: KindSurvey, Line: 85, Survey: &Survey{
			Questions: []Question{{Prompt: "survey-agent", Into: "csat_agent"}, {Prompt: "survey-solved", Into: "csat_solved"}},
			Thanks:    "survey-thanks", Timeout: 6 * time.Second, Retries: 1, Next: "bye",
		}}},
		{want: Node{ID: "bye", Kind: KindHangup, Line: 93, Hangup: &Hangup{Prompts: []string{"goodbye"}}}},
		{want: Node{ID: "complain", Kind: KindComplaint, Line: 95, Complaint: &Complaint{
			Prompt: PromptComplaintInvite, Beep: true, MaxLength: time.Minute, MaxSilence: 5 * time.Second, Terminator: "#",
			Category: "quality", Team: "after-sales", Thanks: PromptComplaintThanks, Next: "bye",
		}}},
		{want: Node{ID: sub + "ask", Kind: KindCollect, Line: 101, Collect: &Collect{
			Prompt: "enter-order", MinDigits: 8, MaxDigits: 12, Terminator: "#",
			FirstTimeout: 5 * time.Second, InterDigitTimeout: 3 * time.Second,
			Retries: 2, Invalid: "order-invalid", NoInput: silence,
			Into: "order_no", Next: sub + "fetch", OnFail: Return,
		}}, pattern: "^(?:[0-9]{8,12})$"},
		{want: Node{ID: sub + "fetch", Kind: KindLookup, Line: 111, Lookup: &Lookup{
			Method:  "POST",
			URL:     "https://crm.example.com/api/orders/${order_no}?caller=${caller}",
			Headers: map[string]string{"X-Hotline": "${dialled}"},
			Body:    `{"order": "${order_no}", "lang": "${lang}"}`,
			Timeout: 2 * time.Second,
			Fields: []Field{
				{Var: "order_status", Path: "status"}, {Var: "delivery_date", Path: "delivery.date"},
				{Var: "refund", Path: "refund.amount"}, {Var: "member", Path: "customer.tier"}, {Var: "parcels", Path: "parcels.count"},
			},
			Next: sub + "status", OnFail: Return,
		}}},
		{want: Node{ID: sub + "status", Kind: KindPlay, Line: 121, Play: &Play{Prompts: []string{"order-status"}, Next: sub + "date"}}},
		{want: Node{ID: sub + "date", Kind: KindSay, Line: 123, Say: &Say{Kind: SayDate, Var: "delivery_date", Next: sub + "amount"}}},
		{want: Node{ID: sub + "amount", Kind: KindSay, Line: 125, Say: &Say{Kind: SayAmount, Var: "refund", Currency: "CNY", Next: sub + "count"}}},
		{want: Node{ID: sub + "count", Kind: KindSay, Line: 127, Say: &Say{Kind: SayNumber, Var: "parcels", Next: sub + "digits"}}},
		{want: Node{ID: sub + "digits", Kind: KindSay, Line: 129, Say: &Say{Kind: SayDigits, Var: "order_no", Next: Return}}},
	}
	if got, want := len(f.Nodes()), len(tests); got != want {
		t.Errorf("Nodes(): got %d nodes, want %d", got, want)
	}
	for i, tt := range tests {
		t.Run(tt.want.ID, func(t *testing.T) {
			got := f.Node(tt.want.ID)
			if got == nil {
				t.Fatalf("Node(%q): got nil", tt.want.ID)
			}
			if nodes := f.Nodes(); i < len(nodes) && nodes[i] != got {
				t.Errorf("Nodes()[%d]: got %s, want %s (file order)", i, nodes[i].ID, got.ID)
			}
			c := withoutPatterns(got)
			if !reflect.DeepEqual(c.node, tt.want) {
				t.Errorf("got  %s\nwant %s", dump(c.node), dump(tt.want))
			}
			if c.pattern != tt.pattern {
				t.Errorf("pattern: got %q, want %q", c.pattern, tt.pattern)
			}
		})
	}
}

// withoutPatterns copies a node without its compiled regular expressions,
// which DeepEqual cannot compare, and returns them as text.
func withoutPatterns(n *Node) (out struct {
	node    Node
	pattern string
}) {
	out.node = *n
	text := func(re *regexp.Regexp) {
		if re != nil {
			out.pattern += re.String()
		}
	}
	if n.Collect != nil {
		c := *n.Collect
		text(c.Pattern)
		c.Pattern = nil
		out.node.Collect = &c
	}
	if n.Branch != nil {
		b := *n.Branch
		b.Cases = append([]Case(nil), b.Cases...)
		for i := range b.Cases {
			text(b.Cases[i].Pattern)
			b.Cases[i].Pattern = nil
		}
		out.node.Branch = &b
	}
	return out
}

func TestParseFlowHeader(t *testing.T) {
	f := readFlow(t, "smart-home.yaml")
	tests := []struct {
		name      string
		got, want any
	}{
		{"Name", f.Name, "smart-home"},
		{"File", f.File, "smart-home.yaml"},
		{"Version", f.Version, 0},
		{"Numbers", f.Numbers, []string{"4008001234", "8008001234"}},
		{"Languages", f.Languages, []string{"zh", "en"}},
		{"Location", f.Location.String(), "Asia/Shanghai"},
		{"Start", f.Start, "welcome"},
		{"Agent", f.Agent, "agent"},
		{"Sensitive card_no", f.Sensitive("card_no"), true},
		{"Sensitive order_no", f.Sensitive("order_no"), false},
		{"built-in hang-up", *f.Node(HangupNode), Node{ID: HangupNode, Kind: KindHangup, Hangup: &Hangup{}}},
		{"built-in apology", *f.Node(SorryNode), Node{ID: SorryNode, Kind: KindHangup, Hangup: &Hangup{Prompts: []string{PromptSorry}}}},
		{"no such node", f.Node("nope"), (*Node)(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

func TestFlowPrompt(t *testing.T) {
	f := readFlow(t, "smart-home.yaml")
	tests := []struct {
		name, lang string
		want       string
		wantOK     bool
	}{
		{"welcome", "zh", "hotline/zh/welcome", true},
		{"welcome", "en", "hotline/en/welcome", true},
		{"welcome", "fr", "hotline/zh/welcome", true}, // the default language
		{"goodbye", "en", "hotline/en/goodbye", true}, // standard, not declared
		{"silence-bye", "zh", "hotline/zh/silence-bye", true},
		{"nope", "zh", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+tt.lang, func(t *testing.T) {
			got, ok := f.Prompt(tt.name, tt.lang)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Prompt(%q, %q): got %q, %v; want %q, %v", tt.name, tt.lang, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// mini is a small valid flow; tests add to it.
const mini = `flow: mini
numbers: ["4001"]
languages: [zh]
start: main
nodes:
  main:
    menu: {prompt: anything-else, options: {"1": ask}}
  ask:
    collect: {prompt: anything-else, into: x, next: bye}
  bye:
    hangup:
`

func TestParseDefaults(t *testing.T) {
	tests := []struct {
		name        string
		file        string
		wantMenu    Menu
		wantCollect Collect
	}{
		{
			name: "without an agent queue, an apology and hang-up",
			file: mini,
			wantMenu: Menu{Prompt: "anything-else", Options: map[string]string{"1": "ask"}, Timeout: 5 * time.Second,
				Retries: 2, Invalid: PromptInvalidKey, NoInput: silence, OnFail: SorryNode},
			wantCollect: Collect{Prompt: "anything-else", MinDigits: 1, MaxDigits: 20, Terminator: "#",
				FirstTimeout: 5 * time.Second, InterDigitTimeout: 3 * time.Second, Retries: 2,
				Invalid: PromptInvalidKey, NoInput: silence, Into: "x", Next: "bye", OnFail: SorryNode},
		},
		{
			name: "with an agent queue, the queue",
			file: mini + "  q:\n    queue: {name: general, next: bye}\nagent: q\n",
			wantMenu: Menu{Prompt: "anything-else", Options: map[string]string{"1": "ask"}, Timeout: 5 * time.Second,
				Retries: 2, Invalid: PromptInvalidKey, NoInput: silence, OnFail: "q"},
			wantCollect: Collect{Prompt: "anything-else", MinDigits: 1, MaxDigits: 20, Terminator: "#",
				FirstTimeout: 5 * time.Second, InterDigitTimeout: 3 * time.Second, Retries: 2,
				Invalid: PromptInvalidKey, NoInput: silence, Into: "x", Next: "bye", OnFail: "q"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("mini.yaml", []byte(tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := *f.Node("main").Menu; !reflect.DeepEqual(got, tt.wantMenu) {
				t.Errorf("menu:\ngot  %+v\nwant %+v", got, tt.wantMenu)
			}
			if got := *f.Node("ask").Collect; !reflect.DeepEqual(got, tt.wantCollect) {
				t.Errorf("collect:\ngot  %+v\nwant %+v", got, tt.wantCollect)
			}
			if got, want := f.Location, time.UTC; got != want {
				t.Errorf("Location: got %v, want %v", got, want)
			}
		})
	}
}

func TestParseErrorMatchesErrInvalid(t *testing.T) {
	_, err := Parse("x.yaml", []byte("flow: x\n"))
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("errors.Is(err, ErrInvalid): got false for %v", err)
	}
	if _, ok := errors.AsType[Problems](err); !ok {
		t.Errorf("errors.AsType[Problems]: got false for %T", err)
	}
}
