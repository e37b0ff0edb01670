package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/queue"
)

// hash is a bcrypt hash, as hotline passwd prints them.
const hash = "$2a$10$6jUQnjr/yB1L.rBwpek/RO/a6n94IQB87hvj3ZtoHVo8eCAa3vm42"

// centre is a valid contact centre: two queues, two agents, two users.
const centre = minimal + `queues:
  - name: after-sales
    announce_every: 20s
    overflow: {action: callback}
  - name: vip
    skills: [vip]
    strategy: skills-by-level
    levels:
      - {after: 0s, min_level: 8}
      - {after: 30s, min_level: 1}
    ring_timeout: 10s
    wrap_up: 5s
    max_wait: 2m
    max_length: 10
    overflow: {action: queue, queue: after-sales}
    when_no_agents: overflow
    keep_arrival: true
    service_level: 10s
    callback_after: 1m
    handle_window: 20
    handle_time_seed: 45s
    record: false
agents:
  - id: "1001"
    name: Li Na
    device: PJSIP/1001
    skills: {zh: 8, vip: 5}
  - id: "1002"
    device: PJSIP/1002
    queues: [after-sales]
callbacks:
  customer_endpoint: PJSIP/%s@carrier
  caller_id: "4008001234"
  attempts: 2
  retry_delay: 2m
  ring_timeout: 20s
instance:
  name: hotline-2
console:
  session_ttl: 8h
  users:
    - {name: li.na, role: agent, agent: "1001", password_hash: "` + hash + `"}
    - {name: boss, role: supervisor, password_hash: "` + hash + `"}
`

func TestParseContactCentre(t *testing.T) {
	got, err := Parse("hotline.yaml", []byte(centre))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	afterSales := DefaultQueue()
	afterSales.Name, afterSales.AnnounceEvery = "after-sales", 20*time.Second
	afterSales.Overflow.Action = "callback"
	want := Default()
	want.ARI.URL, want.ARI.Username = "http://127.0.0.1:8088/ari", "hotline"
	want.Queues = []Queue{afterSales, {
		Name: "vip", Skills: []string{"vip"}, Strategy: "skills-by-level",
		Levels:      []Level{{0, 8}, {30 * time.Second, 1}},
		RingTimeout: 10 * time.Second, WrapUp: 5 * time.Second, MaxWait: 2 * time.Minute, MaxLength: 10,
		Overflow: Overflow{Action: "queue", Queue: "after-sales"}, WhenNoAgents: "overflow", KeepArrival: true,
		ServiceLevel: 10 * time.Second, CallbackAfter: time.Minute, HandleWindow: 20, HandleTimeSeed: 45 * time.Second,
		Record: false,
	}}
	if qc := want.Queues[1].QueueConfig(); !qc.NoRecording || want.Queues[0].QueueConfig().NoRecording {
		t.Errorf("record: false is not NoRecording: %+v", qc)
	}
	want.Agents = []Agent{
		{ID: "1001", Name: "Li Na", Device: "PJSIP/1001", Skills: map[string]int{"zh": 8, "vip": 5}},
		{ID: "1002", Device: "PJSIP/1002", Queues: []string{"after-sales"}},
	}
	want.Callbacks = Callbacks{CustomerEndpoint: "PJSIP/%s@carrier", CallerID: "4008001234", Attempts: 2,
		RetryDelay: 2 * time.Minute, RingTimeout: 20 * time.Second}
	want.Instance.Name = "hotline-2"
	want.Console = Console{SessionTTL: 8 * time.Hour, Users: []User{
		{Name: "li.na", Role: "agent", Agent: "1001", PasswordHash: hash},
		{Name: "boss", Role: "supervisor", PasswordHash: hash},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}

	// What the queue package gets, and takes.
	qcs := got.QueueConfigs()
	wantVIP := queue.QueueConfig{
		Name: "vip", Skills: []string{"vip"}, Strategy: queue.SkillsByLevel,
		Levels:      []queue.LevelStep{{After: 0, MinLevel: 8}, {After: 30 * time.Second, MinLevel: 1}},
		RingTimeout: 10 * time.Second, WrapUp: 5 * time.Second, MaxWait: 2 * time.Minute, MaxLength: 10,
		Overflow:     queue.Action{Kind: queue.ActionQueue, Queue: "after-sales"},
		WhenNoAgents: queue.NoAgentsOverflow, KeepArrival: true, ServiceLevel: 10 * time.Second,
		CallbackAfter: time.Minute, HandleWindow: 20, HandleTimeSeed: 45 * time.Second, NoRecording: true,
	}
	if !reflect.DeepEqual(qcs[1], wantVIP) {
		t.Errorf("vip as a queue.QueueConfig:\ngot  %+v\nwant %+v", qcs[1], wantVIP)
	}
	if k := qcs[0].Overflow.Kind; k != queue.ActionCallbackOffer {
		t.Errorf("after-sales overflow kind %v, want %v", k, queue.ActionCallbackOffer)
	}
	center, err := queue.New(queue.Config{Queues: qcs})
	if err != nil {
		t.Fatalf("queue.New: %v", err)
	}
	for _, a := range got.Agents {
		if err := center.SetAgent(a.AgentConfig()); err != nil {
			t.Errorf("SetAgent(%s): %v", a.ID, err)
		}
	}
	users := got.ConsoleUsers()
	if users[0] != (console.User{Name: "li.na", Role: console.RoleAgent, Agent: "1001", PasswordHash: hash}) {
		t.Errorf("console user %+v", users[0])
	}
}

func TestParseContactCentreProblems(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string
	}{
		{
			name: "queues, each problem at its key",
			file: minimal + `queues:
  - name: after-sales
    strategy: longest_idle
    levels:
      - {after: 5s, min_level: 0}
      - {after: 2s, min_level: 9}
    ring_timeout: -1s
    overflow: {action: queue, queue: nowhere}
  - name: vip
    when_no_agents: never
    overflow: {action: callback, queue: after-sales}
    keep_arrival: yes
    max_length: many
  - name: vip
    skills: [zh, zh]
    bogus: 1
  - name: ""
  - huh
`,
			want: []string{
				`hotline.yaml:7: queues[0].strategy: "longest_idle" is not a routing strategy (did you mean longest-idle? use one of: longest-idle, round-robin, fewest-calls, skills-by-level)`,
				`hotline.yaml:9: queues[0].levels[0].after: the first step must start at 0, not 5s, so every wait has a level`,
				`hotline.yaml:9: queues[0].levels[0].min_level: level 0 is outside 1 to 10`,
				`hotline.yaml:10: queues[0].levels[1].after: starts at 2s, not after the step before (5s); list steps in order`,
				`hotline.yaml:10: queues[0].levels[1].min_level: level 9 is above the step before (0); requirements may only relax as the wait grows`,
				`hotline.yaml:11: queues[0].ring_timeout: -1s is negative`,
				`hotline.yaml:12: queues[0].overflow.queue: there is no queue "nowhere" (queues: after-sales, vip)`,
				`hotline.yaml:14: queues[1].when_no_agents: "never" is not a choice (use one of: wait, overflow)`,
				`hotline.yaml:15: queues[1].overflow.queue: only the action queue names a queue; the action is callback (remove it, or make the action queue)`,
				`hotline.yaml:16: queues[1].keep_arrival: want true or false, got "yes"`,
				`hotline.yaml:17: queues[1].max_length: want a whole number, got "many"`,
				`hotline.yaml:18: queues[2].name: "vip" is already the name of queues[1], on line 13 (queue names are unique)`,
				`hotline.yaml:19: queues[2].skills: "zh" is listed twice`,
				`hotline.yaml:20: queues[2].bogus: unknown key (known keys: name, skills, strategy, levels, ring_timeout, wrap_up, max_wait, max_length, overflow, when_no_agents, keep_arrival, service_level, announce_every, callback_after, handle_window, handle_time_seed, record, require_disposition)`,
				`hotline.yaml:21: queues[3].name: is required (like after-sales: flows name the queue in their queue nodes)`,
				`hotline.yaml:22: queues[4]: want a mapping of keys, got "huh" (known keys: name, skills, strategy, levels, ring_timeout, wrap_up, max_wait, max_length, overflow, when_no_agents, keep_arrival, service_level, announce_every, callback_after, handle_window, handle_time_seed, record, require_disposition)`,
			},
		},
		{
			name: "overflows that loop, found by the queue package",
			file: minimal + `queues:
  - name: a
    overflow: {action: queue, queue: b}
  - name: b
    overflow: {action: queue, queue: a}
  - name: c
    overflow: {action: queue}
`,
			want: []string{
				`hotline.yaml:7: queues[0].overflow.queue: the overflows loop: [a b a]`,
				`hotline.yaml:9: queues[1].overflow.queue: the overflows loop: [b a b]`,
				`hotline.yaml:11: queues[2].overflow.queue: an overflow to another queue needs the queue's name`,
			},
		},
		{
			name: "agents",
			file: minimal + `queues:
  - name: after-sales
agents:
  - name: nobody
    skills: [zh]
  - id: "1001"
    device: PJSIP1001
    skills: {zh: 11, en: 5, fr: 0}
    queues: [after-sales, gold, after-sales]
  - id: "1001"
    device: PJSIP/1002
  - id: "1 2"
    device: PJSIP/12
    queues: {after-sales: 1}
  - id: "1003"
    device: WebRTC/1004
  - id: "1004"
    device: WebRTC/1004
`,
			want: []string{
				`hotline.yaml:8: agents[0].id: is required (the agent's 工号, which callers hear, like 1001)`,
				`hotline.yaml:8: agents[0].device: is required (where to ring the agent, like PJSIP/1001)`,
				`hotline.yaml:9: agents[0].skills: want a mapping of names to values, got a list`,
				`hotline.yaml:11: agents[1].device: "PJSIP1001" is not a device (TECHNOLOGY/RESOURCE, like PJSIP/1001)`,
				`hotline.yaml:12: agents[1].skills.fr: level 0 is out of range (levels go from 1 (any) to 10 (the best))`,
				`hotline.yaml:12: agents[1].skills.zh: level 11 is out of range (levels go from 1 (any) to 10 (the best))`,
				`hotline.yaml:13: agents[1].queues[1]: there is no queue "gold" (queues: after-sales)`,
				`hotline.yaml:13: agents[1].queues[2]: "after-sales" is listed twice`,
				`hotline.yaml:14: agents[2].id: "1001" is already the ID of agents[1], on line 10 (agent IDs are unique)`,
				`hotline.yaml:16: agents[3].id: "1 2" is not a usable agent ID (use letters and digits, like 1001)`,
				`hotline.yaml:18: agents[3].queues: want a list, got a mapping`,
				`hotline.yaml:20: agents[4].device: "WebRTC/1004" is not agent 1003's softphone (an agent's browser softphone is WebRTC/ followed by its own ID: WebRTC/1003)`,
			},
		},
		{
			name: "console users, call-backs and instance",
			file: minimal + `agents:
  - {id: "1001", device: PJSIP/1001}
callbacks:
  customer_endpoint: PJSIP/trunk
  attempts: 0
  retry_delay: 0s
instance:
  name: "my host"
console:
  session_ttl: -1h
  users:
    - name: li
      role: agent
      agent: "1009"
      password_hash: secret
    - name: boss
      role: boss
      password: hunter2
    - name: li
      role: agent
      password_hash: "` + hash + `"
    - {name: wang, role: agent, agent: "1001", password_hash: "` + hash + `"}
    - {name: zhao, role: supervisor, agent: "1001", password_hash: "` + hash + `"}
    - {name: qian, role: manager, device: PJSIP/2001, password_hash: "` + hash + `"}
    - {name: sun, role: supervisor, device: "2001", password_hash: "` + hash + `"}
    - {name: zhou, role: supervisor, device: WebRTC/sun, password_hash: "` + hash + `"}
    - {name: wu, role: admin, device: WebRTC/wu, password_hash: "` + hash + `"}
  password_checks: -1
`,
			want: []string{
				`hotline.yaml:8: callbacks.customer_endpoint: "PJSIP/trunk" does not hold exactly one %s (one %s for the customer's number, like "PJSIP/%s@trunk")`,
				`hotline.yaml:9: callbacks.attempts: 0 is less than 1 (dials of a customer before the request is given up)`,
				`hotline.yaml:10: callbacks.retry_delay: must be more than 0, got 0s (like 500ms, 5s or 1m)`,
				`hotline.yaml:12: instance.name: "my host" is not a usable instance name (unique among the servers sharing the database and the same after a restart, like hotline-1; the default is the host name)`,
				`hotline.yaml:14: console.session_ttl: must be more than 0, got -1h0m0s (like 500ms, 5s or 1m)`,
				`hotline.yaml:18: console.users[0].agent: there is no agent "1009" (agents: 1001)`,
				`hotline.yaml:19: console.users[0].password_hash: is not a bcrypt hash (give the bcrypt hash of the password, never the password; hotline passwd makes one)`,
				`hotline.yaml:20: console.users[1].password_hash: is required (the bcrypt hash of the password; hotline passwd makes one)`,
				`hotline.yaml:21: console.users[1].role: "boss" is not a choice (use one of: agent, qa, manager, supervisor, admin)`,
				`hotline.yaml:22: console.users[1].password: must not be in the file (give its bcrypt hash as password_hash instead; hotline passwd makes one)`,
				`hotline.yaml:23: console.users[2].name: "li" is already the name of console.users[0], on line 16 (user names are unique)`,
				`hotline.yaml:23: console.users[2].agent: is required (an agent user acts on its own agent only: give its 工号, one of agents:)`,
				`hotline.yaml:27: console.users[4].agent: agent "1001" is already console.users[3]'s, on line 26 (one user per agent)`,
				`hotline.yaml:28: console.users[5].device: a manager has no device (only supervisors and administrators listen in, from the device given here)`,
				`hotline.yaml:29: console.users[6].device: "2001" is not a device (the supervisor's own phone or softphone, like PJSIP/2001)`,
				`hotline.yaml:30: console.users[7].device: "WebRTC/sun" is not zhou's softphone (a user's browser softphone is WebRTC/ followed by its own name: WebRTC/zhou)`,
				`hotline.yaml:32: console.password_checks: -1 is less than 0 (0 is half the CPUs; 1 or 2 keeps sign-ins from taking the CPU from calls)`,
			},
		},
		{
			name: "empty list items and lists of the wrong kind",
			file: minimal + `queues:
  - name: q
    skills:
      - zh
      -
agents: {id: "1001"}
console:
  users: admin
`,
			want: []string{
				`hotline.yaml:9: queues[0].skills[1]: is empty (give a value, or remove the item)`,
				`hotline.yaml:10: agents: want a list, got a mapping`,
				`hotline.yaml:12: console.users: want a list, got "admin"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("hotline.yaml", []byte(tt.file))
			var problems Problems
			if !errors.As(err, &problems) {
				t.Fatalf("got error %v, want Problems", err)
			}
			got := strings.Split(problems.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestParseListItemDefaults: a queue item takes DefaultQueue for the keys
// it leaves out, also when only some keys of its overflow are given.
func TestParseListItemDefaults(t *testing.T) {
	got, err := Parse("hotline.yaml", []byte(minimal+"queues:\n  - name: q\n    overflow: {prompt: sorry}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultQueue()
	want.Name, want.Overflow.Prompt = "q", "sorry"
	if !reflect.DeepEqual(got.Queues, []Queue{want}) {
		t.Fatalf("got  %+v\nwant %+v", got.Queues, []Queue{want})
	}
}
