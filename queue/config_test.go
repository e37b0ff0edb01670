package queue_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

func TestQueueConfigValidate(t *testing.T) {
	ok := queue.QueueConfig{Name: "after-sales"}
	tests := []struct {
		name string
		edit func(*queue.QueueConfig)
		want []string // fragments of the problems, each one present; none: valid
	}{
		{"defaults", func(*queue.QueueConfig) {}, nil},
		{"everything set", func(q *queue.QueueConfig) {
			q.Skills = []string{"repair", "zh"}
			q.Strategy = queue.SkillsByLevel
			q.Levels = []queue.LevelStep{{0, 8}, {30 * time.Second, 5}, {time.Minute, 1}}
			q.MaxWait, q.MaxLength = 10*time.Minute, 50
			q.Overflow = queue.Action{Kind: queue.ActionCallbackOffer}
		}, nil},
		{"no name", func(q *queue.QueueConfig) { q.Name = "" }, []string{`name: "" is not a usable queue name`}},
		{"bad name", func(q *queue.QueueConfig) { q.Name = "after sales" }, []string{`"after sales" is not a usable queue name`}},
		{"duplicate skill", func(q *queue.QueueConfig) { q.Skills = []string{"zh", "zh"} }, []string{`skills: "zh" is listed twice`}},
		{"empty skill", func(q *queue.QueueConfig) { q.Skills = []string{""} }, []string{"skills: skill 0 is empty"}},
		{"unknown strategy", func(q *queue.QueueConfig) { q.Strategy = 9 }, []string{"strategy: 9 is not a routing strategy"}},
		{"levels not from 0", func(q *queue.QueueConfig) { q.Levels = []queue.LevelStep{{time.Second, 5}} }, []string{"levels[0]: the first step must start at 0"}},
		{"levels out of order", func(q *queue.QueueConfig) {
			q.Levels = []queue.LevelStep{{0, 8}, {time.Minute, 5}, {30 * time.Second, 3}}
		}, []string{"levels[2]: starts at 30s, not after the step before (1m0s)"}},
		{"levels tighten", func(q *queue.QueueConfig) { q.Levels = []queue.LevelStep{{0, 5}, {time.Minute, 8}} }, []string{"levels[1]: level 8 is above the step before (5)"}},
		{"level out of range", func(q *queue.QueueConfig) { q.Levels = []queue.LevelStep{{0, 11}} }, []string{"levels[0]: level 11 is outside 1 to 10"}},
		{"negative times", func(q *queue.QueueConfig) {
			q.RingTimeout, q.WrapUp, q.MaxWait = -1, -1, -1
		}, []string{"ring_timeout: -1ns is negative", "wrap_up: -1ns is negative", "max_wait: -1ns is negative"}},
		{"negative length", func(q *queue.QueueConfig) { q.MaxLength = -1 }, []string{"max_length: -1 is negative"}},
		{"overflow to no queue", func(q *queue.QueueConfig) { q.Overflow = queue.Action{Kind: queue.ActionQueue} }, []string{"overflow.queue: an overflow to another queue needs the queue's name"}},
		{"overflow into itself", func(q *queue.QueueConfig) { q.Overflow = queue.Action{Kind: queue.ActionQueue, Queue: "after-sales"} }, []string{"a queue cannot overflow into itself"}},
		{"queue on another action", func(q *queue.QueueConfig) { q.Overflow = queue.Action{Kind: queue.ActionMessage, Queue: "x"} }, []string{"only an overflow to another queue names one (the action is message)"}},
		{"unknown no-agents behaviour", func(q *queue.QueueConfig) { q.WhenNoAgents = 7 }, []string{"when_no_agents: 7 is not a behaviour"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := ok
			tt.edit(&q)
			err := q.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				return
			}
			if !errors.Is(err, queue.ErrInvalidQueue) {
				t.Fatalf("got %v, want ErrInvalidQueue", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to say %q", err, w)
				}
			}
			if got := strings.Count(err.Error(), "\n") + 1; got != len(tt.want) {
				t.Errorf("got %d problems (%q), want %d", got, err, len(tt.want))
			}
		})
	}
}

func TestNewChecksTheQueuesTogether(t *testing.T) {
	to := func(q string) queue.Action { return queue.Action{Kind: queue.ActionQueue, Queue: q} }
	tests := []struct {
		name   string
		queues []queue.QueueConfig
		want   string // "" for valid
	}{
		{"chain", []queue.QueueConfig{{Name: "a", Overflow: to("b")}, {Name: "b", Overflow: to("c")}, {Name: "c"}}, ""},
		{"unknown target", []queue.QueueConfig{{Name: "a", Overflow: to("b")}}, `queue "a": overflow.queue: there is no queue "b"`},
		{"loop", []queue.QueueConfig{{Name: "a", Overflow: to("b")}, {Name: "b", Overflow: to("a")}}, "the overflows loop: [a b a]"},
		{"twice", []queue.QueueConfig{{Name: "a"}, {Name: "a"}}, `queue "a" is configured twice`},
		{"each queue's own problems", []queue.QueueConfig{{Name: "a", MaxLength: -1}, {Name: "b", WrapUp: -1}}, "max_length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := queue.New(queue.Config{Queues: tt.queues})
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v, want valid", err)
			case tt.want != "" && (!errors.Is(err, queue.ErrInvalidQueue) || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSetQueue(t *testing.T) {
	e := newEnv(t, queue.QueueConfig{Name: "a"})
	e.agent("1001", []string{"repair:5"})
	e.agent("1002", []string{"zh:5"})
	e.ready("1001", "1002")
	e.enqueue("c1", "a", 0)
	e.enqueue("c2", "a", 0)
	// Now the queue needs repair: only 1001 qualifies, and the callers
	// keep their places.
	e.must(e.c.SetQueue(queue.QueueConfig{Name: "a", Skills: []string{"repair"}}))
	if got := pairs(e.next().Offers); len(got) != 1 || got[0] != "c1>1001" {
		t.Fatalf("offers %v, want [c1>1001]", got)
	}
	err := e.c.SetQueue(queue.QueueConfig{Name: "a", Overflow: queue.Action{Kind: queue.ActionQueue, Queue: "none"}})
	if !errors.Is(err, queue.ErrInvalidQueue) {
		t.Fatalf("overflow into a missing queue: %v, want ErrInvalidQueue", err)
	}
	e.must(e.c.SetQueue(queue.QueueConfig{Name: "b"}))
	if st, _ := e.c.Agent("1002"); len(st.Queues) != 1 || st.Queues[0] != "b" {
		t.Fatalf("1002 serves %v, want [b]", st.Queues)
	}
}

func TestAgentConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  queue.AgentConfig
		want string
	}{
		{"fine", queue.AgentConfig{ID: "1001", Skills: map[string]int{"zh": 10}}, ""},
		{"no ID", queue.AgentConfig{}, `"" is not a usable agent ID`},
		{"level too high", queue.AgentConfig{ID: "1001", Skills: map[string]int{"zh": 11}}, `skill "zh": level 11 is outside 1 to 10`},
		{"level zero", queue.AgentConfig{ID: "1001", Skills: map[string]int{"zh": 0}}, `skill "zh": level 0 is outside 1 to 10`},
		{"unknown queue", queue.AgentConfig{ID: "1001", Queues: []string{"nope"}}, `queues: no such queue: "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, queue.QueueConfig{Name: "a"})
			err := e.c.SetAgent(tt.cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("got %v, want valid", err)
			case tt.want != "" && (!errors.Is(err, queue.ErrInvalidAgent) || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}
