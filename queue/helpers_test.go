package queue_test

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/queue"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is a center on a fake clock whose invariants are checked after every
// step.
type env struct {
	t   *testing.T
	clk *clockwork.FakeClock
	c   *queue.Center
}

func newEnv(t *testing.T, queues ...queue.QueueConfig) *env {
	t.Helper()
	clk := clockwork.NewFakeClockAt(t0)
	c, err := queue.New(queue.Config{Clock: clk, Queues: queues})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &env{t: t, clk: clk, c: c}
}

func (e *env) check() {
	e.t.Helper()
	if err := e.c.CheckInvariants(); err != nil {
		e.t.Fatalf("invariants: %v", err)
	}
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	e.check()
}

// agent adds an agent with skills at levels, like "sales:8", limited to
// queues if any.
func (e *env) agent(id string, skills []string, queues ...string) {
	e.t.Helper()
	cfg := queue.AgentConfig{ID: id, Name: "agent " + id, Device: "PJSIP/" + id, Skills: map[string]int{}, Queues: queues}
	for _, s := range skills {
		name, level := splitSkill(s)
		cfg.Skills[name] = level
	}
	e.must(e.c.SetAgent(cfg))
}

func splitSkill(s string) (string, int) {
	for i := range s {
		if s[i] == ':' {
			level, err := strconv.Atoi(s[i+1:])
			if err != nil {
				panic(err)
			}
			return s[:i], level
		}
	}
	return s, 5
}

// ready logs agents in and makes them Ready.
func (e *env) ready(ids ...string) {
	e.t.Helper()
	for _, id := range ids {
		if st, _ := e.c.Agent(id); st.State == queue.LoggedOut {
			e.must(e.c.Login(id))
		}
		e.must(e.c.SetReady(id))
	}
}

func (e *env) enqueue(id, q string, prio int, skills ...string) queue.Admission {
	e.t.Helper()
	ad, err := e.c.Enqueue(queue.Caller{CallID: id, Queue: q, Priority: prio, Skills: skills, Number: "138" + id})
	e.must(err)
	return ad
}

func (e *env) next() queue.Decision {
	e.t.Helper()
	d := e.c.Next()
	e.check()
	return d
}

func (e *env) advance(d time.Duration) {
	e.clk.Advance(d)
}

func (e *env) state(id string) (queue.AgentState, string) {
	e.t.Helper()
	st, err := e.c.Agent(id)
	if err != nil {
		e.t.Fatal(err)
	}
	return st.State, st.Reason
}

// pairs renders offers as "call>agent".
func pairs(os []queue.Offer) []string {
	out := []string{}
	for _, o := range os {
		out = append(out, o.CallID+">"+o.Agent)
	}
	return out
}

// ringing returns the agent call id rings.
func (e *env) ringing(id string) string {
	e.t.Helper()
	for _, a := range e.c.Agents() {
		if a.State == queue.Reserved && a.CallID == id {
			return a.ID
		}
	}
	e.t.Fatalf("call %s rings no agent", id)
	return ""
}

// answer answers call id at the agent it rings.
func (e *env) answer(id string) error {
	e.t.Helper()
	return e.c.Answered(id, e.ringing(id))
}

// noAnswer has the agent call id rings miss it.
func (e *env) noAnswer(id string) error {
	e.t.Helper()
	return e.c.NoAnswer(id, e.ringing(id))
}

// serve answers and ends one call: its agent goes to wrap-up.
func (e *env) serve(id string) {
	e.t.Helper()
	e.must(e.answer(id))
	e.must(e.c.EndCall(id))
}

// wantErr checks err against a sentinel (nil: no error).
func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if want == nil && err != nil || want != nil && !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}
