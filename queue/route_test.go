package queue_test

import (
	"slices"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

// drain serves the queue one call at a time with whichever agents are
// Ready, and returns the order the calls went to agents in.
func (e *env) drain() []string {
	e.t.Helper()
	var got []string
	for {
		d := e.next()
		if len(d.Offers) == 0 {
			return got
		}
		for _, o := range d.Offers {
			got = append(got, o.CallID+">"+o.Agent)
			e.serve(o.CallID)
		}
	}
}

func TestPriorityThenArrival(t *testing.T) {
	type caller struct {
		id   string
		prio int
	}
	tests := []struct {
		name    string
		callers []caller // arriving a second apart
		want    []string
	}{
		{"first come first served", []caller{{"a", 0}, {"b", 0}, {"c", 0}}, []string{"a", "b", "c"}},
		{"higher priority first", []caller{{"a", 0}, {"b", 5}, {"c", 10}}, []string{"c", "b", "a"}},
		{"FIFO within each priority", []caller{{"a", 0}, {"v1", 10}, {"b", 0}, {"v2", 10}, {"m", 5}}, []string{"v1", "v2", "m", "a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, queue.QueueConfig{Name: "service"})
			e.agent("1001", nil)
			for _, c := range tt.callers {
				e.enqueue(c.id, "service", c.prio)
				e.advance(time.Second)
			}
			e.ready("1001")
			var got []string
			for _, p := range e.drain() {
				got = append(got, p[:len(p)-len(">1001")])
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("served %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStrategies(t *testing.T) {
	tests := []struct {
		name     string
		strategy queue.Strategy
		skills   map[string][]string // agent → skills
		setup    func(e *env)        // after 1001, 1002, 1003 log in a second apart, Ready
		want     []string            // agents of the next calls, one at a time
	}{
		{
			name: "longest idle: login order", strategy: queue.LongestIdle,
			want: []string{"1001", "1002", "1003", "1001"},
		},
		{
			name: "longest idle: a call just ended goes last", strategy: queue.LongestIdle,
			setup: func(e *env) { e.route1("x", "1001") },
			want:  []string{"1002", "1003", "1001"},
		},
		{
			name: "longest idle: a missed offer keeps the agent first", strategy: queue.LongestIdle,
			setup: func(e *env) { e.miss1("x", "1001") },
			want:  []string{"1001", "1002", "1003"},
		},
		{
			name: "round robin: a missed offer sends the agent to the back", strategy: queue.RoundRobin,
			setup: func(e *env) { e.miss1("x", "1001") },
			want:  []string{"1002", "1003", "1001", "1002"},
		},
		{
			name: "fewest calls", strategy: queue.FewestCalls,
			setup: func(e *env) {
				e.must(e.c.SetNotReady("1003", "training"))
				e.route1("x1", "1001")
				e.route1("x2", "1002")
				e.route1("x3", "1001")
				e.ready("1003")
			},
			want: []string{"1003", "1002", "1003"}, // 1001 has 2, 1002 1, 1003 0; ties go to the longest idle
		},
		{
			name: "skills by level", strategy: queue.SkillsByLevel,
			skills: map[string][]string{"1001": {"repair:3"}, "1002": {"repair:9"}, "1003": {"repair:6"}},
			want:   []string{"1002", "1002", "1002"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, queue.QueueConfig{Name: "service", Strategy: tt.strategy})
			for _, id := range []string{"1001", "1002", "1003"} {
				skills := tt.skills[id]
				if skills == nil {
					skills = []string{"repair:5"}
				}
				e.agent(id, skills)
				e.ready(id)
				e.advance(time.Second)
			}
			if tt.setup != nil {
				tt.setup(e)
			}
			var got []string
			for i := range tt.want {
				id := "c" + string(rune('0'+i))
				e.enqueue(id, "service", 0, "repair")
				d := e.next()
				if len(d.Offers) != 1 {
					t.Fatalf("call %s: offers %v, want one", id, pairs(d.Offers))
				}
				got = append(got, d.Offers[0].Agent)
				e.serve(id)
				e.advance(time.Second)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("calls went to %v, want %v", got, tt.want)
			}
		})
	}
}

// route1 gives call id to agent (which must be the one the strategy picks
// next), answers and ends it.
func (e *env) route1(id, agent string) {
	e.t.Helper()
	e.enqueue(id, "service", 0)
	if got := pairs(e.next().Offers); !slices.Equal(got, []string{id + ">" + agent}) {
		e.t.Fatalf("set-up: offers %v, want %s>%s", got, id, agent)
	}
	e.serve(id)
	e.advance(time.Second)
}

// miss1 offers call id to agent, which misses it and comes back Ready; the
// call is then abandoned.
func (e *env) miss1(id, agent string) {
	e.t.Helper()
	e.enqueue(id, "service", 0)
	if got := pairs(e.next().Offers); !slices.Equal(got, []string{id + ">" + agent}) {
		e.t.Fatalf("set-up: offers %v, want %s>%s", got, id, agent)
	}
	e.must(e.noAnswer(id))
	e.must(e.c.Abandon(id))
	e.must(e.c.SetReady(agent))
	e.advance(time.Second)
}

func TestSkillsByLevelSkipsAgentsBelowTheLevel(t *testing.T) {
	// Levels never mind the strategy: a longest-idle queue that needs
	// level 7 passes over the idler agent at level 4.
	e := newEnv(t, queue.QueueConfig{Name: "service", Skills: []string{"repair"}, Levels: []queue.LevelStep{{0, 7}}})
	e.agent("1001", []string{"repair:4"})
	e.agent("1002", []string{"repair:8"})
	e.ready("1001", "1002")
	e.enqueue("c1", "service", 0)
	if got, want := pairs(e.next().Offers), []string{"c1>1002"}; !slices.Equal(got, want) {
		t.Fatalf("offers %v, want %v", got, want)
	}
}

func TestAcrossQueues(t *testing.T) {
	tests := []struct {
		name    string
		callers []queue.Caller // arriving a second apart
		want    []string
	}{
		{"longest waiting first", []queue.Caller{{CallID: "b1", Queue: "b"}, {CallID: "a1", Queue: "a"}, {CallID: "b2", Queue: "b"}}, []string{"b1", "a1", "b2"}},
		{"priority before wait", []queue.Caller{{CallID: "a1", Queue: "a"}, {CallID: "b1", Queue: "b", Priority: 3}}, []string{"b1", "a1"}},
		{"a caller no agent can take does not block others", []queue.Caller{
			{CallID: "en1", Queue: "a", Skills: []string{"en"}}, {CallID: "b1", Queue: "b"}, {CallID: "a1", Queue: "a"},
		}, []string{"b1", "a1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, queue.QueueConfig{Name: "a"}, queue.QueueConfig{Name: "b"})
			e.agent("1001", []string{"zh:5"}) // serves both queues
			for _, c := range tt.callers {
				_, err := e.c.Enqueue(c)
				e.must(err)
				e.advance(time.Second)
			}
			e.ready("1001")
			var got []string
			for _, p := range e.drain() {
				got = append(got, p[:len(p)-len(">1001")])
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("served %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAgentsLimitedToQueues(t *testing.T) {
	e := newEnv(t, queue.QueueConfig{Name: "a"}, queue.QueueConfig{Name: "b"}, queue.QueueConfig{Name: "vip", Skills: []string{"vip"}})
	e.agent("1001", nil, "b")
	e.agent("1002", []string{"vip:5"})
	e.ready("1001", "1002")
	got := map[string][]string{}
	for _, a := range e.c.Agents() {
		got[a.ID] = a.Queues
	}
	want := map[string][]string{"1001": {"b"}, "1002": {"a", "b", "vip"}}
	for id := range want {
		if !slices.Equal(got[id], want[id]) {
			t.Errorf("agent %s serves %v, want %v", id, got[id], want[id])
		}
	}
	e.enqueue("v1", "vip", 0)
	e.enqueue("a1", "a", 0)
	if got, want := pairs(e.next().Offers), []string{"v1>1002"}; !slices.Equal(got, want) {
		t.Fatalf("offers %v, want %v (1001 does not serve a)", got, want)
	}
}
