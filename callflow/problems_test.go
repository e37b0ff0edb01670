package callflow

import (
	"errors"
	"strings"
	"testing"
)

// head is the start of a flow file; the nodes of the tests follow it,
// from line 8.
const head = `flow: t
numbers: ["4001"]
languages: [zh, en]
prompts:
  menu: {zh: t/zh/menu, en: t/en/menu}
start: main
nodes:
`

// menuNode is a valid main node on lines 8-9 that leads to bye on 10-11.
const menuNode = `  main:
    menu: {prompt: menu, options: {"1": bye}}
  bye:
    hangup: {prompts: [goodbye]}
`

// problemCases are broken files, one per kind of problem, with every
// problem Parse must report for each; the fuzz test seeds from them too.
var problemCases = []struct {
	name string
	file string
	want []string
}{
	{"YAML syntax: tab", head + "  main:\n\tmenu: {}\n", []string{
		"t.yaml:9: YAML syntax error: found character that cannot start any token (YAML indents with spaces; a tab is not allowed)",
	}},
	{"YAML syntax: unclosed list", "flow: t\nnumbers: [\"4001\"\nlanguages: [zh]\n", []string{
		"t.yaml:2: YAML syntax error: did not find expected ',' or ']'",
	}},
	{"two documents", head + menuNode + "---\nflow: u\n", []string{
		"t.yaml:12: the file holds more than one YAML document (keep one flow per file)",
	}},
	{"aliases", head + "  main: &m\n    hangup: {}\n  other: *m\n", []string{
		"t.yaml:10: YAML aliases (*m) are not allowed in a flow (write the value out, or reuse nodes with a sub-flow)",
	}},
	{"not a mapping", "- flow\n", []string{
		"t.yaml:1: want a mapping of keys, got a list (known keys: flow, numbers, languages, timezone, hours, holidays, lists, agent, prompts, start, nodes, subflows)",
	}},
	{"required keys", "", []string{
		"t.yaml:1: flow: is required (the flow's name, like smart-home)",
		"t.yaml:1: languages: is required (like [zh, en]; the first is the default)",
		`t.yaml:1: numbers: is required (the dialled numbers this flow answers, like ["4008001234"])`,
		"t.yaml:1: nodes: is required (the steps of the call, by ID)",
		"t.yaml:1: start: is required (the ID of the node every call begins with)",
	}},
	{"unknown top-level key", head + menuNode + "strat: main\n", []string{
		"t.yaml:12: strat: unknown key (did you mean start? known keys: flow, numbers, languages, timezone, hours, holidays, lists, agent, prompts, start, nodes, subflows)",
	}},
	{"unknown key in a node", head + "  main:\n    menu: {promt: menu, prompt: menu, options: {\"1\": main}}\n", []string{
		"t.yaml:9: nodes.main.menu.promt: unknown key (did you mean prompt? known keys: prompt, options, timeout, retries, invalid, no_input, on_fail)",
	}},
	{"unknown node kind", head + menuNode + "  x:\n    plya: {prompts: [menu], next: main}\n", []string{
		"t.yaml:13: nodes.x.plya: unknown node kind (did you mean play? node kinds: play, menu, collect, branch, set, say, lookup, message, queue, transfer, survey, hangup, ...)",
	}},
	{"two kinds in one node", head + "  main:\n    hangup: {}\n    play: {prompts: [menu], next: main}\n", []string{
		"t.yaml:9: nodes.main: has 2 kinds, hangup, play; a node has one (split it into one node per kind, linked by next)",
	}},
	{"key set twice", head + "  main:\n    menu: {prompt: menu, prompt: menu, options: {\"1\": main}}\n", []string{
		"t.yaml:9: nodes.main.menu.prompt: is set twice, first on line 9 (keep one of them)",
	}},
	{"wrong type", head + "  main:\n    play: {prompts: menu, barge_in: yes, next: [main]}\n", []string{
		`t.yaml:9: nodes.main.play.prompts: want a list, got "menu" (a list of prompt names, like [welcome, menu])`,
		`t.yaml:9: nodes.main.play.barge_in: want true or false, got "yes"`,
		"t.yaml:9: nodes.main.play.next: want a single value, got a list (a node ID)",
	}},
	{"bad durations", head + "  main:\n    menu: {prompt: menu, options: {\"1\": main}, timeout: 5, no_input: {wait: soon}}\n" +
		"  c:\n    collect: {prompt: menu, into: x, next: main, first_timeout: -1s}\n", []string{
		"t.yaml:9: nodes.main.menu.timeout: 5 is not a duration (give a unit: 5s for seconds)",
		`t.yaml:9: nodes.main.menu.no_input.wait: "soon" is not a duration (like 500ms, 5s or 2m)`,
		"t.yaml:10: nodes.c: is never reached from start (link it from another node, or remove it)",
		"t.yaml:11: nodes.c.collect.first_timeout: must be more than 0, got -1s (like 500ms, 5s or 2m)",
	}},
	{"unknown node reference", head + "  main:\n    menu: {prompt: menu, options: {\"1\": setpu}}\n  setup:\n    hangup: {}\n", []string{
		`t.yaml:9: nodes.main.menu.options."1": "setpu" is not a node (did you mean setup? nodes: main, setup)`,
	}},
	// A broken link is reported once, not again as every node behind it.
	{"unknown node reference, nodes behind it", head + "  main:\n    menu: {prompt: menu, options: {\"1\": setpu}}\n  setup:\n    play: {prompts: [menu], next: a}\n" +
		"  a:\n    menu: {prompt: menu, options: {\"1\": b}}\n  b:\n    hangup: {}\n  lost:\n    hangup: {}\n", []string{
		`t.yaml:9: nodes.main.menu.options."1": "setpu" is not a node (did you mean setup? nodes: main, setup, a, b, lost)`,
		"t.yaml:16: nodes.lost: is never reached from start (link it from another node, or remove it)",
	}},
	{"unknown node reference like no node", head + "  main:\n    menu: {prompt: menu, options: {\"1\": zzzzzz}}\n  setup:\n    play: {prompts: [menu], next: a}\n" +
		"  a:\n    menu: {prompt: menu, options: {\"1\": b}}\n  b:\n    hangup: {}\n", []string{
		`t.yaml:9: nodes.main.menu.options."1": "zzzzzz" is not a node (nodes: main, setup, a, b)`,
	}},
	{"missing next", head + "  main:\n    play: {prompts: [menu]}\n  a:\n    menu: {prompt: menu, options: {\"1\": b}}\n  b:\n    hangup: {}\n", []string{
		"t.yaml:9: nodes.main.play.next: is required (the ID of the node that comes next)",
	}},
	{"link to a node that does not compile", head + "  main:\n    menu: {prompt: menu, options: {\"1\": x}}\n  x:\n    plya: {prompts: [menu], next: a}\n  a:\n    hangup: {}\n", []string{
		"t.yaml:11: nodes.x.plya: unknown node kind (did you mean play? node kinds: play, menu, collect, branch, set, say, lookup, message, queue, transfer, survey, hangup, ...)",
	}},
	{"unreachable node", head + menuNode + "  lost:\n    hangup: {}\n", []string{
		"t.yaml:12: nodes.lost: is never reached from start (link it from another node, or remove it)",
	}},
	{"non-DTMF keys", head + "  main:\n    menu: {prompt: menu, options: {\"1\": main, \"x\": main, \"10\": main}}\n", []string{
		`t.yaml:9: nodes.main.menu.options."x": "x" is not a phone key (a key is one of 0-9, "*" or "#", quoted)`,
		`t.yaml:9: nodes.main.menu.options."10": "10" is not a phone key (a key is one of 0-9, "*" or "#", quoted)`,
	}},
	{"colliding keys", head + "  main:\n    menu:\n      prompt: menu\n      options:\n        1: main\n        \"1\": main\n", []string{
		`t.yaml:13: nodes.main.menu.options."1": is set twice, first on line 12 (keep one of them)`,
	}},
	{"loop that never waits", head + menuNode + "  a:\n    play: {prompts: [menu], barge_in: true, next: b}\n  b:\n    set: {vars: {n: \"1\"}, next: c}\n" +
		"  c:\n    branch: {when: [{var: n, equals: \"1\", goto: a}], default: main}\n", []string{
		"t.yaml:12: nodes.a: is never reached from start (link it from another node, or remove it)",
		"t.yaml:12: nodes.a: loops through a → b → c → a without waiting for the caller (put a menu, collect or other node that waits for the caller in the loop, or end it)",
		"t.yaml:14: nodes.b: is never reached from start (link it from another node, or remove it)",
		"t.yaml:16: nodes.c: is never reached from start (link it from another node, or remove it)",
	}},
	{"loop through a sub-flow that never waits", head + "  main:\n    subflow: {name: s, next: main}\nsubflows:\n  s:\n    start: x\n    nodes:\n      x: {set: {vars: {n: \"1\"}, next: return}}\n", []string{
		"t.yaml:8: nodes.main: loops through main → main without waiting for the caller (put a menu, collect or other node that waits for the caller in the loop, or end it)",
	}},
	{"prompt not declared", head + "  main:\n    menu: {prompt: menus, options: {\"1\": main}}\n", []string{
		`t.yaml:9: nodes.main.menu.prompt: prompt "menus" is not declared (did you mean menu? prompts: menu, silence-hello, silence-bye, louder, quiet-bye, noise-bye, mandarin, handset, anything-else, goodbye, invalid-key, sorry, ...)`,
	}},
	{"prompt missing a language", strings.Replace(head, "menu: {zh: t/zh/menu, en: t/en/menu}", "menu: {zh: t/zh/menu, fr: t/fr/menu}", 1) + menuNode, []string{
		`t.yaml:5: prompts.menu.fr: "fr" is not one of the flow's languages (the flow's languages are: zh, en)`,
		`t.yaml:5: prompts.menu: has no sound in "en" (every prompt needs a sound in each of the flow's languages: zh, en)`,
	}},
	{"standard prompt in a language it lacks", strings.Replace(head, "[zh, en]", "[zh, fr]", 1) + "  main:\n    hangup: {prompts: [goodbye]}\n", []string{
		`t.yaml:3: languages: standard prompt "sorry" has no built-in sound in "fr" (declare sorry under prompts with a sound in each language)`,
		`t.yaml:5: prompts.menu.en: "en" is not one of the flow's languages (the flow's languages are: zh, fr)`,
		`t.yaml:5: prompts.menu: has no sound in "fr" (every prompt needs a sound in each of the flow's languages: zh, fr)`,
		`t.yaml:9: nodes.main.hangup.prompts[0]: standard prompt "goodbye" has no built-in sound in "fr" (declare goodbye under prompts with a sound in each language)`,
	}},
	{"bad sound", strings.Replace(head, "t/en/menu", "t/en/menu.wav", 1) + menuNode, []string{
		`t.yaml:5: prompts.menu.en: "t/en/menu.wav" names a file, not a sound (drop the extension: Asterisk picks the file for the channel's codec)`,
	}},
	{"numbers duplicated", strings.Replace(head, `["4001"]`, `["4001", "4002", "4001", "call-me"]`, 1) + menuNode, []string{
		`t.yaml:2: numbers[2]: "4001" is listed twice, first on line 2 (keep one of them)`,
		`t.yaml:2: numbers[3]: "call-me" is not valid (digits, with an optional leading +; or a name like followup for a flow Hotline runs on the calls it places)`,
	}},
	{"time zone that does not load", head + menuNode + "timezone: Asia/Shanghia\n", []string{
		`t.yaml:12: timezone: "Asia/Shanghia" is not a known time zone (an IANA zone name like Asia/Shanghai or Europe/London)`,
	}},
	{"machine's own time zone", head + menuNode + "timezone: Local\n", []string{
		`t.yaml:12: timezone: "Local" is not a time zone (name the zone, like Asia/Shanghai, so that the flow behaves the same on every server)`,
	}},
	{"hours without a time zone", head + menuNode + "hours: {daily: \"08:00-20:00\"}\n", []string{
		"t.yaml:1: timezone: is required with hours or holidays (like Asia/Shanghai: hours and holidays are in local time)",
	}},
	{"bad hours", head + menuNode + "timezone: UTC\nhours:\n  mon-fri: \"09:00-18:00\"\n  wed: \"10:00-12:00\"\n  sat: \"18:00-09:00\"\n  sun: [\"09:00-12:00\", \"11:00-13:00\"]\n  funday: \"09:00-10:00\"\n  thu-thu: 9-5\n", []string{
		"t.yaml:15: hours.wed: wed is given already, by mon-fri (give each day once)",
		`t.yaml:16: hours.sat: "18:00-09:00" ends before it starts; a range ending after midnight is two ranges, one each day (like "09:00-18:00", or a list like ["09:00-12:00", "13:00-18:00"])`,
		"t.yaml:17: hours.sun: 11:00-13:00 overlaps 09:00-12:00 (give each part of the day once)",
		`t.yaml:18: hours.funday: "funday" is not a day or a range of days (a day (mon, tue, wed, thu, fri, sat, sun), a range like mon-fri, or daily)`,
		`t.yaml:19: hours.thu-thu: "thu-thu" is not a day or a range of days (a day (mon, tue, wed, thu, fri, sat, sun), a range like mon-fri, or daily)`,
	}},
	{"bad holidays", head + menuNode + "timezone: UTC\nholidays: [\"2026-02-30\", \"2026-10-07..2026-10-01\", \"2026-10-01\", \"2026-10-01\", \"1 May\"]\n", []string{
		`t.yaml:13: holidays[0]: "2026-02-30" is not a date (a date like "2026-10-01", or a range like "2026-10-01..2026-10-07")`,
		`t.yaml:13: holidays[1]: "2026-10-07..2026-10-01" ends before it starts (write the earlier date first)`,
		`t.yaml:13: holidays[3]: "2026-10-01" is listed twice, first on line 13 (keep one of them)`,
		`t.yaml:13: holidays[4]: "1 May" is not a date (a date like "2026-10-01", or a range like "2026-10-01..2026-10-07")`,
	}},
	{"invalid regular expressions", head + "  main:\n    collect: {prompt: menu, pattern: \"([0-9]\", into: x, next: b}\n  b:\n    branch: {when: [{var: x, matches: \"a(\", goto: main}], default: main}\n", []string{
		"t.yaml:9: nodes.main.collect.pattern: \"([0-9]\" is not a regular expression: missing closing ): `^(?:([0-9])$` (Go regular expression syntax, like [0-9]{8,12})",
		"t.yaml:11: nodes.b.branch.when[0].matches: \"a(\" is not a regular expression: missing closing ): `^(?:a()$` (Go regular expression syntax, like 9[0-9]+; it must match all of the value)",
	}},
	{"min digits more than max", head + "  main:\n    collect: {prompt: menu, min_digits: 9, max_digits: 4, check: crc, into: x, next: main}\n", []string{
		"t.yaml:9: nodes.main.collect.max_digits: 4 is less than min_digits, 9 (max_digits must be at least min_digits)",
		`t.yaml:9: nodes.main.collect.check: "crc" is not a check-digit algorithm (known checks: luhn)`,
	}},
	{"variable never set", head + "  main:\n    say: {digits: ordr_no, next: c}\n  c:\n    collect: {prompt: menu, into: order_no, next: main}\n", []string{
		`t.yaml:9: nodes.main.say.digits: variable "ordr_no" is never set (did you mean order_no? variables: order_no, caller, dialled, lang)`,
	}},
	{"built-in variable set", head + "  main:\n    set: {vars: {caller: \"1\", lang: fr}, next: bye}\n  bye:\n    hangup: {}\n", []string{
		`t.yaml:9: nodes.main.set.vars.caller: "caller" is a built-in variable (the engine sets it; choose another name)`,
		`t.yaml:9: nodes.main.set.vars.lang: "fr" is not one of the flow's languages (the flow's languages are: zh, en)`,
	}},
	{"branch cases", head + menuNode + "  b:\n    branch:\n      when:\n        - {var: x, equals: a, in: [b], goto: main}\n        - {gt: 3, goto: main}\n        - {goto: main}\n        - {caller_in: vips, goto: main}\n        - {var: caller, lt: high, goto: main}\n      default: main\n", []string{
		"t.yaml:12: nodes.b: is never reached from start (link it from another node, or remove it)",
		"t.yaml:15: nodes.b.branch.when[0].in: cannot go with equals (one comparison per case; use two cases, or a pattern)",
		"t.yaml:16: nodes.b.branch.when[1].gt: compares no variable (name the variable with var)",
		"t.yaml:17: nodes.b.branch.when[2]: tests nothing (test var with equals, in, matches, lt or gt; or caller_in, open, holiday)",
		`t.yaml:18: nodes.b.branch.when[3].caller_in: "vips" is not a list of caller numbers (there are no lists)`,
		`t.yaml:19: nodes.b.branch.when[4].lt: want a number, got "high" (a number, like 1000 or 99.5)`,
	}},
	{"lookup", head + menuNode + "  l:\n    lookup: {url: \"https://${host}/x\", body: \"{\", headers: {\"bad header\": x}, fields: {x: \"a..b\"}, next: main}\n" +
		"  m:\n    lookup: {method: PUT, url: \"ftp://example.com/${caller}\", next: main}\n", []string{
		"t.yaml:12: nodes.l: is never reached from start (link it from another node, or remove it)",
		"t.yaml:13: nodes.l.lookup.url: takes its host from a variable (write the host out; variables may go in the path and query)",
		`t.yaml:13: nodes.l.lookup.headers."bad header": "bad header" is not a header name (a header name is letters, digits and '-')`,
		"t.yaml:13: nodes.l.lookup.body: cannot go with method GET (only a POST sends a body; set method: POST)",
		`t.yaml:13: nodes.l.lookup.fields.x: "a..b" is not a path in the answer (keys separated by dots, numbers for array items, like items.0.status)`,
		`t.yaml:13: nodes.l.lookup.url: variable "host" is never set (variables: x, caller, dialled, lang)`,
		"t.yaml:14: nodes.m: is never reached from start (link it from another node, or remove it)",
		`t.yaml:15: nodes.m.lookup.method: "PUT" is not a method a lookup can use (GET or POST)`,
		`t.yaml:15: nodes.m.lookup.url: "ftp://example.com/${caller}" must start with http:// or https:// (like "https://crm.example.com/orders/${order_no}")`,
	}},
	{"agent that is not a queue", head + menuNode + "agent: main\n", []string{
		`t.yaml:12: agent: "main" is a menu node, not a queue node (name the queue node that reaches an agent)`,
	}},
	{"return outside a sub-flow", head + "  main:\n    menu: {prompt: menu, options: {\"1\": return}}\n", []string{
		`t.yaml:9: nodes.main.menu.options."1": return is only for the nodes of a sub-flow (return goes back from a sub-flow; name a node here)`,
	}},
	{"sub-flows", head + "  main:\n    subflow: {name: a, next: bye}\n  bye:\n    subflow: {name: nope, next: main}\nsubflows:\n" +
		"  a:\n    start: x\n    nodes:\n      x: {subflow: {name: b, next: return}}\n" +
		"  b:\n    start: y\n    nodes:\n      y: {subflow: {name: a, next: main}}\n      z: {hangup: {}}\n" +
		"  c:\n    start: w\n    nodes:\n      w: {hangup: {}}\n", []string{
		`t.yaml:11: nodes.bye.subflow.name: "nope" is not a sub-flow (sub-flows: a, b, c)`,
		`t.yaml:20: subflows.b.nodes.y.subflow.next: "main" is not a node (nodes of sub-flow b (or return): y, z)`,
		`t.yaml:20: subflows.b.nodes.y.subflow.name: calls "a" again: a → b → a (a sub-flow may not call itself, directly or through others)`,
	}},
	{"sub-flows not reached", head + "  main:\n    subflow: {name: a, next: bye}\n  bye:\n    hangup: {}\nsubflows:\n" +
		"  a:\n    start: x\n    nodes:\n      x: {hangup: {}}\n      z: {hangup: {}}\n" +
		"  c:\n    start: w\n    nodes:\n      w: {hangup: {}}\n", []string{
		"t.yaml:17: subflows.a.nodes.z: is never reached from the sub-flow's start (link it from another node, or remove it)",
		"t.yaml:18: subflows.c: is never called (call it from a subflow node that calls can reach, or remove it)",
	}},
	{"survey and queue", head + "  main:\n    survey: {questions: [{prompt: menu, into: a}, {prompt: menu, into: a}], next: q}\n  q:\n    queue: {name: \"after sales\", priority: 101, next: main}\n", []string{
		`t.yaml:9: nodes.main.survey.questions[1].into: "a" gets the answer of another question too, on line 9 (give each answer its own variable)`,
		`t.yaml:11: nodes.q.queue.name: "after sales" is not a usable queue name (use letters, digits, '.', '-' and '_')`,
		"t.yaml:11: nodes.q.queue.priority: 101 is not from 0 to 100",
	}},
	{"complaint", head + "  main:\n    complaint: {category_var: kind, contact_var: number, team: \"after sales\", terminator: x, max_length: 2, thanks: thank}\n" +
		"  other:\n    complaint: {category: \"quality!\", prompt: menu, next: main}\n", []string{
		"t.yaml:9: nodes.main.complaint.max_length: 2 is not a duration (give a unit: 2s for seconds)",
		`t.yaml:9: nodes.main.complaint.terminator: "x" is not a terminator ("#", "*", or none to stop only on silence or max_length)`,
		`t.yaml:9: nodes.main.complaint.category: is required (the category when the variable is empty or not a category code, like quality)`,
		`t.yaml:9: nodes.main.complaint.team: "after sales" is not a team name (letters, digits, '-' and '_', like after-sales)`,
		`t.yaml:9: nodes.main.complaint.next: is required (the ID of the node that comes next)`,
		`t.yaml:9: nodes.main.complaint.category_var: variable "kind" is never set (variables: caller, dialled, lang)`,
		`t.yaml:9: nodes.main.complaint.contact_var: variable "number" is never set (variables: caller, dialled, lang)`,
		`t.yaml:9: nodes.main.complaint.thanks: prompt "thank" is not declared (prompts: menu, silence-hello, silence-bye, louder, quiet-bye, noise-bye, mandarin, handset, anything-else, goodbye, invalid-key, sorry, ...)`,
		`t.yaml:11: nodes.other.complaint.category: "quality!" is not a category code (letters, digits, '-' and '_', like quality or wrong-item)`,
	}},
}

func TestParseReportsEachProblem(t *testing.T) {
	for _, tt := range problemCases {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("t.yaml", []byte(tt.file))
			if f != nil {
				t.Errorf("Parse: got a flow, want none")
			}
			ps, ok := errors.AsType[Problems](err)
			if !ok {
				t.Fatalf("Parse: got error %v, want Problems", err)
			}
			got := make([]string, len(ps))
			for i, p := range ps {
				got[i] = p.Error()
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestParseReportsEveryProblemAtOnce(t *testing.T) {
	file := `flow: Smart Home
numbers: ["4001", "4001"]
languages: [zh]
timezone: Mars/Olympus
start: main
nodes:
  main:
    menu:
      prompt: menu
      options: {"1": setpu, "#": bye}
      timeout: 5
  bye:
    hangup: {prompts: [goodbye]}
  lost:
    play: {prompts: [goodbye], next: lost}
`
	want := []string{
		`t.yaml:1: flow: "Smart Home" is not a usable flow name (use lower-case letters, digits, '-' and '_', like smart-home)`,
		`t.yaml:2: numbers[1]: "4001" is listed twice, first on line 2 (keep one of them)`,
		`t.yaml:4: timezone: "Mars/Olympus" is not a known time zone (an IANA zone name like Asia/Shanghai or Europe/London)`,
		`t.yaml:9: nodes.main.menu.prompt: prompt "menu" is not declared (prompts: silence-hello, silence-bye, louder, quiet-bye, noise-bye, mandarin, handset, anything-else, goodbye, invalid-key, sorry, beep, ...)`,
		`t.yaml:10: nodes.main.menu.options."1": "setpu" is not a node (nodes: main, bye, lost)`,
		"t.yaml:11: nodes.main.menu.timeout: 5 is not a duration (give a unit: 5s for seconds)",
		"t.yaml:14: nodes.lost: loops through lost → lost without waiting for the caller (put a menu, collect or other node that waits for the caller in the loop, or end it)",
	}
	_, err := Parse("t.yaml", []byte(file))
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
