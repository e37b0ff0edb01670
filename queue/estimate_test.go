package queue_test

import (
	"slices"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/queue"
)

// handle routes one call to agent and gives it handle time d (talk plus
// wrap-up, which the queue sets to 0 here).
func (e *env) handle(id, agent string, d time.Duration) {
	e.t.Helper()
	e.enqueue(id, "service", 100)
	if got := pairs(e.next().Offers); !slices.Equal(got, []string{id + ">" + agent}) {
		e.t.Fatalf("set-up: offers %v, want %s>%s", got, id, agent)
	}
	e.must(e.answer(id))
	e.advance(d)
	e.must(e.c.EndCall(id))
}

func TestPositionAndEstimatedWait(t *testing.T) {
	tests := []struct {
		name    string
		seed    time.Duration
		handled []time.Duration // handle times of calls before, by agent 1001
		staffed []string        // agents logged in and busy while the callers wait
		want    map[string]queue.Place
	}{
		{
			name: "no handle time yet, no seed: unknown", staffed: []string{"1001", "1002"},
			want: map[string]queue.Place{
				"a": {Position: 2, Waiting: 3},
				"b": {Position: 3, Waiting: 3},
				"v": {Position: 1, Waiting: 3},
			},
		},
		{
			name: "seed", seed: 4 * time.Minute, staffed: []string{"1001", "1002"},
			want: map[string]queue.Place{
				"a": {Position: 2, Waiting: 3, EWT: 4 * time.Minute, EWTKnown: true},
				"b": {Position: 3, Waiting: 3, EWT: 6 * time.Minute, EWTKnown: true},
				"v": {Position: 1, Waiting: 3, EWT: 2 * time.Minute, EWTKnown: true},
			},
		},
		{
			name: "recent handle times, two agents", seed: time.Hour, handled: []time.Duration{100 * time.Second, 200 * time.Second},
			staffed: []string{"1001", "1002"},
			want: map[string]queue.Place{
				"a": {Position: 2, Waiting: 3, EWT: 150 * time.Second, EWTKnown: true},
				"b": {Position: 3, Waiting: 3, EWT: 225 * time.Second, EWTKnown: true},
				"v": {Position: 1, Waiting: 3, EWT: 75 * time.Second, EWTKnown: true},
			},
		},
		{
			name: "the window moves", handled: []time.Duration{time.Hour, 100 * time.Second, 200 * time.Second, 300 * time.Second},
			staffed: []string{"1001"},
			want: map[string]queue.Place{
				"a": {Position: 2, Waiting: 3, EWT: 400 * time.Second, EWTKnown: true},
				"b": {Position: 3, Waiting: 3, EWT: 600 * time.Second, EWTKnown: true},
				"v": {Position: 1, Waiting: 3, EWT: 200 * time.Second, EWTKnown: true},
			},
		},
		{
			name: "nobody staffed: unknown", handled: []time.Duration{100 * time.Second},
			want: map[string]queue.Place{
				"a": {Position: 2, Waiting: 3},
				"b": {Position: 3, Waiting: 3},
				"v": {Position: 1, Waiting: 3},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, queue.QueueConfig{Name: "service", HandleTimeSeed: tt.seed, HandleWindow: 3})
			e.agent("1001", nil)
			e.agent("1002", nil)
			e.ready("1001")
			for i, d := range tt.handled {
				e.handle("h"+string(rune('0'+i)), "1001", d)
			}
			e.must(e.c.Logout("1001"))
			// The staffed agents are busy on calls, so the callers below
			// wait.
			for _, id := range tt.staffed {
				e.ready(id)
				e.enqueue("busy-"+id, "service", 100)
				if got := pairs(e.next().Offers); !slices.Equal(got, []string{"busy-" + id + ">" + id}) {
					t.Fatalf("set-up: offers %v", got)
				}
				e.must(e.answer("busy-" + id))
			}
			e.enqueue("a", "service", 0)
			e.advance(time.Second)
			e.enqueue("b", "service", 0)
			e.advance(time.Second)
			e.enqueue("v", "service", 5) // a VIP goes ahead
			for id, want := range tt.want {
				got, err := e.c.Position(id)
				if err != nil {
					t.Fatal(err)
				}
				want.CallID, want.Queue, want.Waited, want.Arrived, want.Seq = id, "service", got.Waited, got.Arrived, got.Seq
				if got != want {
					t.Errorf("%s: got %+v, want %+v", id, got, want)
				}
			}
		})
	}
}
