package queue_test

import (
	"slices"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

func TestSkillRelaxation(t *testing.T) {
	// Level 8 for the first 30 s, then 5, then any.
	cfg := queue.QueueConfig{
		Name: "repair", Skills: []string{"repair"},
		Levels: []queue.LevelStep{{0, 8}, {30 * time.Second, 5}, {time.Minute, 1}},
	}
	tests := []struct {
		level int
		want  time.Duration // how long the caller waits for the agent
	}{
		{9, 0},
		{8, 0},
		{7, 30 * time.Second},
		{5, 30 * time.Second},
		{4, time.Minute},
		{1, time.Minute},
	}
	for _, tt := range tests {
		t.Run("level "+string(rune('0'+tt.level)), func(t *testing.T) {
			e := newEnv(t, cfg)
			e.agent("1001", []string{"repair:" + string(rune('0'+tt.level))})
			e.ready("1001")
			e.enqueue("c1", "repair", 0)
			var got time.Duration
			for {
				d := e.next()
				if len(d.Offers) > 0 {
					got = d.Offers[0].Waited
					break
				}
				at, ok := e.c.Wake()
				if !ok {
					t.Fatalf("no offer after %v and nothing to wake for", e.clk.Since(t0))
				}
				e.clk.Advance(at.Sub(e.clk.Now())) // straight to the next relaxation: Wake is never late
			}
			if got != tt.want {
				t.Fatalf("offered after %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRelaxationIsPerCaller(t *testing.T) {
	// The requirement relaxes by each caller's own wait: a later caller
	// still needs level 8 when an earlier one no longer does.
	e := newEnv(t, queue.QueueConfig{
		Name: "repair", Skills: []string{"repair"},
		Levels: []queue.LevelStep{{0, 8}, {30 * time.Second, 5}},
	})
	e.agent("1001", []string{"repair:6"})
	e.agent("1002", []string{"repair:6"})
	e.enqueue("early", "repair", 0)
	e.advance(20 * time.Second)
	e.enqueue("late", "repair", 0)
	e.advance(10 * time.Second) // early has waited 30 s, late 10 s
	e.ready("1001", "1002")
	if got, want := pairs(e.next().Offers), []string{"early>1001"}; !slices.Equal(got, want) {
		t.Fatalf("offers %v, want %v", got, want)
	}
	e.must(e.answer("early"))
	e.advance(19 * time.Second)
	if got := pairs(e.next().Offers); len(got) != 0 {
		t.Fatalf("offers %v at 29 s, want none", got)
	}
	e.advance(time.Second)
	if got, want := pairs(e.next().Offers), []string{"late>1002"}; !slices.Equal(got, want) {
		t.Fatalf("offers %v at 30 s, want %v", got, want)
	}
}

func TestCallerSkills(t *testing.T) {
	// A caller's own skills (its language) add to the queue's, and the
	// level steps apply to them too.
	e := newEnv(t, queue.QueueConfig{Name: "service", Skills: []string{"repair"}, Levels: []queue.LevelStep{{0, 5}}})
	e.agent("zh", []string{"repair:9", "zh:9"})
	e.agent("en-weak", []string{"repair:9", "en:3"})
	e.agent("en", []string{"repair:6", "en:6"})
	e.ready("zh", "en-weak", "en")
	e.enqueue("c-en", "service", 0, "en")
	e.enqueue("c-zh", "service", 0, "zh")
	got := pairs(e.next().Offers)
	slices.Sort(got)
	if want := []string{"c-en>en", "c-zh>zh"}; !slices.Equal(got, want) {
		t.Fatalf("offers %v, want %v", got, want)
	}
}
