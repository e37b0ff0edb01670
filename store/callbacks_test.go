package store_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/hotline-ivr/hotline/store"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// cbT0 is the fake clock's start in the call-back tests.
var cbT0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// newCallbacks gives a test call-back requests in a fresh database, on a
// fake clock at cbT0.
func newCallbacks(t *testing.T) (*store.Callbacks, *clockwork.FakeClock) {
	t.Helper()
	clk := clockwork.NewFakeClockAt(cbT0)
	return store.NewCallbacks(open(t, pgtest.New(t)), clk), clk
}

// callback is a request for the after-sales queue made a minute before
// cbT0.
func callback(id string) store.CallbackRequest {
	return store.CallbackRequest{
		ID:      id,
		CallID:  "1700000000." + id,
		Queue:   "after-sales",
		Number:  "13800138000",
		Arrived: cbT0.Add(-time.Minute),
	}
}

func add(t *testing.T, cbs *store.Callbacks, r store.CallbackRequest) {
	t.Helper()
	if err := cbs.Add(t.Context(), r); err != nil {
		t.Fatalf("Add %s: %v", r.ID, err)
	}
}

func claim(t *testing.T, cbs *store.Callbacks, id, instance string) int {
	t.Helper()
	attempt, err := cbs.Claim(t.Context(), id, instance)
	if err != nil {
		t.Fatalf("Claim %s by %s: %v", id, instance, err)
	}
	return attempt
}

func get(t *testing.T, cbs *store.Callbacks, id string) store.CallbackRequest {
	t.Helper()
	r, err := cbs.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get %s: %v", id, err)
	}
	return r
}

// diffCallback lists the fields where got differs from want.
func diffCallback(got, want store.CallbackRequest) string {
	var d []string
	field := func(name string, same bool, g, w any) {
		if !same {
			d = append(d, fmt.Sprintf("%s: got %v, want %v", name, g, w))
		}
	}
	field("ID", got.ID == want.ID, got.ID, want.ID)
	field("CallID", got.CallID == want.CallID, got.CallID, want.CallID)
	field("Queue", got.Queue == want.Queue, got.Queue, want.Queue)
	field("Priority", got.Priority == want.Priority, got.Priority, want.Priority)
	field("Skills", slices.Equal(got.Skills, want.Skills), got.Skills, want.Skills)
	field("Number", got.Number == want.Number, got.Number, want.Number)
	field("Arrived", got.Arrived.Equal(want.Arrived), got.Arrived, want.Arrived)
	field("State", got.State == want.State, got.State, want.State)
	field("Attempts", got.Attempts == want.Attempts, got.Attempts, want.Attempts)
	field("MaxAttempts", got.MaxAttempts == want.MaxAttempts, got.MaxAttempts, want.MaxAttempts)
	field("NotBefore", got.NotBefore.Equal(want.NotBefore), got.NotBefore, want.NotBefore)
	field("Instance", got.Instance == want.Instance, got.Instance, want.Instance)
	field("LastError", got.LastError == want.LastError, got.LastError, want.LastError)
	return strings.Join(d, "\n")
}

func TestCallbacksRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   store.CallbackRequest
		want store.CallbackRequest
	}{
		{
			name: "every field",
			in: store.CallbackRequest{
				ID: "cb-1", CallID: "1700000000.42", Queue: "vip", Priority: 5,
				Skills: []string{"zh", "smart-home"}, Number: "13800138000",
				Arrived:     cbT0.Add(-3*time.Minute - 123456*time.Microsecond),
				MaxAttempts: 5, NotBefore: cbT0.Add(10 * time.Minute),
				// Progress is not the caller's to set.
				State: store.CallbackConnected, Attempts: 7, Instance: "elsewhere", LastError: "no",
			},
			want: store.CallbackRequest{
				ID: "cb-1", CallID: "1700000000.42", Queue: "vip", Priority: 5,
				Skills: []string{"zh", "smart-home"}, Number: "13800138000",
				Arrived:     cbT0.Add(-3*time.Minute - 123456*time.Microsecond),
				MaxAttempts: 5, NotBefore: cbT0.Add(10 * time.Minute),
				State: store.CallbackPending,
			},
		},
		{
			name: "defaults",
			in:   store.CallbackRequest{ID: "web-7", Queue: "after-sales", Number: "4008001234"},
			want: store.CallbackRequest{
				ID: "web-7", Queue: "after-sales", Number: "4008001234",
				Arrived: cbT0, NotBefore: cbT0, MaxAttempts: store.DefaultCallbackAttempts,
				State: store.CallbackPending,
			},
		},
		{
			name: "negative priority",
			in:   store.CallbackRequest{ID: "low", Queue: "q", Number: "1", Priority: -2, Arrived: cbT0.Add(-time.Hour)},
			want: store.CallbackRequest{
				ID: "low", Queue: "q", Number: "1", Priority: -2, Arrived: cbT0.Add(-time.Hour),
				NotBefore: cbT0, MaxAttempts: store.DefaultCallbackAttempts, State: store.CallbackPending,
			},
		},
	}
	cbs, _ := newCallbacks(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			add(t, cbs, tt.in)
			if d := diffCallback(get(t, cbs, tt.in.ID), tt.want); d != "" {
				t.Errorf("Get after Add:\n%s", d)
			}
		})
	}
	if _, err := cbs.Get(t.Context(), "nobody"); !errors.Is(err, store.ErrUnknownCallback) {
		t.Errorf("Get of an unknown ID: got %v, want ErrUnknownCallback", err)
	}
}

func TestCallbacksAddRefused(t *testing.T) {
	cbs, _ := newCallbacks(t)
	add(t, cbs, callback("taken"))
	add(t, cbs, callback("served"))
	claim(t, cbs, "served", "a")
	if err := cbs.Connected(t.Context(), "served"); err != nil {
		t.Fatal(err)
	}

	with := func(id string, change func(*store.CallbackRequest)) store.CallbackRequest {
		r := callback(id)
		change(&r)
		return r
	}
	tests := []struct {
		name string
		in   store.CallbackRequest
		want error
	}{
		{"duplicate", with("taken", func(r *store.CallbackRequest) { r.Number = "10086" }), store.ErrCallbackExists},
		{"duplicate of one served", callback("served"), store.ErrCallbackExists},
		{"no ID", callback(""), store.ErrBadCallback},
		{"no number", with("n", func(r *store.CallbackRequest) { r.Number = "" }), store.ErrBadCallback},
		{"no queue", with("q", func(r *store.CallbackRequest) { r.Queue = "" }), store.ErrBadCallback},
		{"NUL", with("nul", func(r *store.CallbackRequest) { r.Skills = []string{"z\x00h"} }), store.ErrBadCallback},
		{"bad UTF-8", with("utf", func(r *store.CallbackRequest) { r.Number = "\xff" }), store.ErrBadCallback},
		{"negative attempts", with("neg", func(r *store.CallbackRequest) { r.MaxAttempts = -1 }), store.ErrBadCallback},
		{"huge priority", with("big", func(r *store.CallbackRequest) { r.Priority = 1 << 40 }), store.ErrBadCallback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := cbs.Add(t.Context(), tt.in); !errors.Is(err, tt.want) {
				t.Errorf("Add: got %v, want %v", err, tt.want)
			}
		})
	}
	if got := get(t, cbs, "taken"); got.Number != callback("taken").Number || got.State != store.CallbackPending {
		t.Errorf("the duplicate changed the first request: %+v", got)
	}
	if got := get(t, cbs, "served"); got.State != store.CallbackConnected {
		t.Errorf("the duplicate changed the served request: state %s, want connected", got.State)
	}
	pending, err := cbs.Pending(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 {
		t.Errorf("pending requests: got %d, want 1 (the refused ones are not stored)", len(pending))
	}
}

// TestCallbacksClaimOnce races 16 claimers, on two instances with a pool
// each, for every attempt of several requests: exactly one wins each
// attempt, and the losers are told not to dial.
func TestCallbacksClaimOnce(t *testing.T) {
	const (
		claimers = 16
		requests = 8
		attempts = 3
	)
	url := pgtest.New(t)
	clk := clockwork.NewFakeClockAt(cbT0)
	instances := []string{"hotline-a", "hotline-b"}
	cbs := []*store.Callbacks{
		store.NewCallbacks(open(t, url), clk),
		store.NewCallbacks(open(t, url), clk),
	}
	for r := range requests {
		req := callback(fmt.Sprintf("cb-%d", r))
		req.MaxAttempts = attempts
		add(t, cbs[r%2], req)
	}

	for r := range requests {
		id := fmt.Sprintf("cb-%d", r)
		for attempt := 1; attempt <= attempts+1; attempt++ {
			winners, got := race(t, cbs, instances, id, claimers)
			if attempt > attempts { // failed for good: nobody may dial
				if len(winners) != 0 {
					t.Fatalf("%s after its last attempt: claimed by %v, want nobody", id, winners)
				}
				continue
			}
			if len(winners) != 1 {
				t.Fatalf("%s attempt %d: %d claims won (%v), want exactly 1", id, attempt, len(winners), winners)
			}
			if got != attempt {
				t.Errorf("%s: the winner got attempt %d, want %d", id, got, attempt)
			}
			row := get(t, cbs[0], id)
			if row.State != store.CallbackDialing || row.Attempts != attempt || row.Instance != winners[0] {
				t.Errorf("%s after the race: state %s, attempts %d, instance %q; want dialing, %d, %q",
					id, row.State, row.Attempts, row.Instance, attempt, winners[0])
			}
			retry, err := cbs[attempt%2].Failed(t.Context(), id, "no answer", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if want := attempt < attempts; retry != want {
				t.Errorf("%s attempt %d failed: retry %v, want %v", id, attempt, retry, want)
			}
		}
	}
}

// race has n goroutines claim id at once, alternately through each
// instance's Callbacks, and returns the instances that won and the attempt
// the last winner got. A loss must be ErrCallbackNotPending.
func race(t *testing.T, cbs []*store.Callbacks, instances []string, id string, n int) ([]string, int) {
	t.Helper()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []string
		attempt int
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			a, err := cbs[i%len(cbs)].Claim(t.Context(), id, instances[i%len(cbs)])
			switch {
			case err == nil:
				mu.Lock()
				winners, attempt = append(winners, instances[i%len(cbs)]), a
				mu.Unlock()
			case !errors.Is(err, store.ErrCallbackNotPending):
				t.Errorf("claimer %d: got %v, want nil or ErrCallbackNotPending", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	return winners, attempt
}

func TestCallbacksNotBefore(t *testing.T) {
	cbs, clk := newCallbacks(t)
	r := callback("later")
	r.NotBefore = cbT0.Add(time.Minute) // "call me in a minute"
	add(t, cbs, r)

	steps := []struct {
		name    string
		advance time.Duration
		fail    time.Duration // after a won claim, fail the attempt and retry this much later
		want    error
		attempt int
	}{
		{name: "before", want: store.ErrCallbackNotDue},
		{name: "a second early", advance: 59 * time.Second, want: store.ErrCallbackNotDue},
		{name: "on time", advance: time.Second, attempt: 1, fail: 5 * time.Minute},
		{name: "retry too early", advance: 4 * time.Minute, want: store.ErrCallbackNotDue},
		{name: "retry on time", advance: time.Minute, attempt: 2},
	}
	for _, s := range steps {
		clk.Advance(s.advance)
		attempt, err := cbs.Claim(t.Context(), r.ID, "a")
		if !errors.Is(err, s.want) || attempt != s.attempt {
			t.Fatalf("%s (at %s): got attempt %d, %v; want %d, %v", s.name, clk.Now().Format(time.TimeOnly), attempt, err, s.attempt, s.want)
		}
		if s.fail > 0 {
			retryAt := clk.Now().Add(s.fail)
			if retry, err := cbs.Failed(t.Context(), r.ID, "busy", retryAt); err != nil || !retry {
				t.Fatalf("%s: Failed: got %v, %v; want a retry", s.name, retry, err)
			}
			if got := get(t, cbs, r.ID).NotBefore; !got.Equal(retryAt) {
				t.Errorf("%s: NotBefore after Failed: got %s, want %s", s.name, got, retryAt)
			}
		}
	}
}

func TestCallbacksFailed(t *testing.T) {
	tests := []struct {
		name        string
		maxAttempts int
		wantRetries []bool // Failed's answer after each attempt
		wantState   store.CallbackState
	}{
		{"one attempt", 1, []bool{false}, store.CallbackFailed},
		{"three attempts", 3, []bool{true, true, false}, store.CallbackFailed},
		{"connects on the second", 3, []bool{true}, store.CallbackConnected},
	}
	cbs, clk := newCallbacks(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := callback(tt.name)
			r.MaxAttempts = tt.maxAttempts
			add(t, cbs, r)
			for i, wantRetry := range tt.wantRetries {
				claim(t, cbs, r.ID, "a")
				reason := fmt.Sprintf("no answer %d", i+1)
				retryAt := clk.Now().Add(time.Minute)
				retry, err := cbs.Failed(t.Context(), r.ID, reason, retryAt)
				if err != nil {
					t.Fatal(err)
				}
				if retry != wantRetry {
					t.Fatalf("attempt %d: retry %v, want %v", i+1, retry, wantRetry)
				}
				want := r
				want.Attempts, want.Instance, want.LastError = i+1, "a", reason
				want.State, want.NotBefore = store.CallbackPending, retryAt
				if !retry {
					want.State, want.NotBefore = store.CallbackFailed, get(t, cbs, r.ID).NotBefore
				}
				if d := diffCallback(get(t, cbs, r.ID), want); d != "" {
					t.Errorf("after attempt %d:\n%s", i+1, d)
				}
				clk.Advance(time.Minute)
			}
			if tt.wantState == store.CallbackConnected {
				claim(t, cbs, r.ID, "a")
				if err := cbs.Connected(t.Context(), r.ID); err != nil {
					t.Fatal(err)
				}
			}
			got := get(t, cbs, r.ID)
			if got.State != tt.wantState {
				t.Errorf("state: got %s, want %s", got.State, tt.wantState)
			}
			if _, err := cbs.Claim(t.Context(), r.ID, "a"); !errors.Is(err, store.ErrCallbackNotPending) {
				t.Errorf("Claim when %s: got %v, want ErrCallbackNotPending", got.State, err)
			}
		})
	}
}

// TestCallbacksTransitions tries every operation on a request in every
// state: the allowed ones move it, the others are refused and leave it
// as it was.
func TestCallbacksTransitions(t *testing.T) {
	type op struct {
		name string
		do   func(*store.Callbacks, *testing.T, string) error
	}
	claimOp := op{"Claim", func(c *store.Callbacks, t *testing.T, id string) error {
		_, err := c.Claim(t.Context(), id, "b")
		return err
	}}
	connectedOp := op{"Connected", func(c *store.Callbacks, t *testing.T, id string) error {
		return c.Connected(t.Context(), id)
	}}
	failedOp := op{"Failed", func(c *store.Callbacks, t *testing.T, id string) error {
		_, err := c.Failed(t.Context(), id, "busy", time.Time{})
		return err
	}}
	cancelOp := op{"Cancel", func(c *store.Callbacks, t *testing.T, id string) error {
		return c.Cancel(t.Context(), id)
	}}
	const unknown store.CallbackState = "unknown"
	tests := []struct {
		from      store.CallbackState
		op        op
		want      error
		wantState store.CallbackState
	}{
		{store.CallbackPending, claimOp, nil, store.CallbackDialing},
		{store.CallbackDialing, claimOp, store.ErrCallbackNotPending, store.CallbackDialing},
		{store.CallbackConnected, claimOp, store.ErrCallbackNotPending, store.CallbackConnected},
		{store.CallbackFailed, claimOp, store.ErrCallbackNotPending, store.CallbackFailed},
		{store.CallbackCancelled, claimOp, store.ErrCallbackNotPending, store.CallbackCancelled},
		{unknown, claimOp, store.ErrUnknownCallback, unknown},

		{store.CallbackPending, connectedOp, store.ErrCallbackNotDialing, store.CallbackPending},
		{store.CallbackDialing, connectedOp, nil, store.CallbackConnected},
		{store.CallbackConnected, connectedOp, store.ErrCallbackNotDialing, store.CallbackConnected},
		{store.CallbackFailed, connectedOp, store.ErrCallbackNotDialing, store.CallbackFailed},
		{store.CallbackCancelled, connectedOp, store.ErrCallbackNotDialing, store.CallbackCancelled},
		{unknown, connectedOp, store.ErrUnknownCallback, unknown},

		{store.CallbackPending, failedOp, store.ErrCallbackNotDialing, store.CallbackPending},
		{store.CallbackDialing, failedOp, nil, store.CallbackPending}, // attempts left
		{store.CallbackConnected, failedOp, store.ErrCallbackNotDialing, store.CallbackConnected},
		{store.CallbackFailed, failedOp, store.ErrCallbackNotDialing, store.CallbackFailed},
		{store.CallbackCancelled, failedOp, store.ErrCallbackNotDialing, store.CallbackCancelled},
		{unknown, failedOp, store.ErrUnknownCallback, unknown},

		{store.CallbackPending, cancelOp, nil, store.CallbackCancelled},
		{store.CallbackDialing, cancelOp, nil, store.CallbackCancelled},
		{store.CallbackConnected, cancelOp, store.ErrCallbackClosed, store.CallbackConnected},
		{store.CallbackFailed, cancelOp, store.ErrCallbackClosed, store.CallbackFailed},
		{store.CallbackCancelled, cancelOp, store.ErrCallbackClosed, store.CallbackCancelled},
		{unknown, cancelOp, store.ErrUnknownCallback, unknown},
	}
	cbs, _ := newCallbacks(t)
	for _, tt := range tests {
		name := fmt.Sprintf("%s when %s", tt.op.name, tt.from)
		t.Run(name, func(t *testing.T) {
			id := strings.ReplaceAll(name, " ", "-")
			if tt.from != unknown {
				inState(t, cbs, id, tt.from)
			}
			before, _ := cbs.Get(t.Context(), id)
			if err := tt.op.do(cbs, t, id); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if tt.from == unknown {
				return
			}
			after := get(t, cbs, id)
			if after.State != tt.wantState {
				t.Errorf("state: got %s, want %s", after.State, tt.wantState)
			}
			if tt.want != nil {
				if d := diffCallback(after, before); d != "" {
					t.Errorf("a refused %s changed the request:\n%s", tt.op.name, d)
				}
			}
		})
	}
}

// inState adds a request with two attempts and takes it to state through
// the API; a failed one has used both.
func inState(t *testing.T, cbs *store.Callbacks, id string, state store.CallbackState) {
	t.Helper()
	r := callback(id)
	r.MaxAttempts = 2
	add(t, cbs, r)
	ctx := t.Context()
	var err error
	switch state {
	case store.CallbackPending:
	case store.CallbackDialing:
		claim(t, cbs, id, "a")
	case store.CallbackConnected:
		claim(t, cbs, id, "a")
		err = cbs.Connected(ctx, id)
	case store.CallbackFailed:
		for range 2 {
			claim(t, cbs, id, "a")
			_, err = cbs.Failed(ctx, id, "no answer", time.Time{})
		}
	case store.CallbackCancelled:
		err = cbs.Cancel(ctx, id)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := get(t, cbs, id).State; got != state {
		t.Fatalf("setting up: state %s, want %s", got, state)
	}
}

// TestCallbacksPendingOrder checks what a restarted instance hands back to
// its queues: every pending request, priority first, then by the original
// arrival, which a retry keeps.
func TestCallbacksPendingOrder(t *testing.T) {
	cbs, clk := newCallbacks(t)
	at := func(d time.Duration) time.Time { return cbT0.Add(-time.Hour + d) }
	type req struct {
		id       string
		priority int
		arrived  time.Time
		state    store.CallbackState
	}
	reqs := []req{
		{"late", 0, at(30 * time.Minute), store.CallbackPending},
		{"vip-late", 9, at(40 * time.Minute), store.CallbackPending},
		{"early", 0, at(time.Microsecond), store.CallbackPending},
		{"being-dialled", 0, at(0), store.CallbackDialing},
		{"retrying", 0, at(10 * time.Minute), store.CallbackDialing}, // fails below, to retry later
		{"served", 9, at(0), store.CallbackConnected},
		{"cancelled", 0, at(0), store.CallbackCancelled},
		{"gave-up", 0, at(0), store.CallbackFailed},
		{"vip-early", 9, at(20 * time.Minute), store.CallbackPending},
		{"tie-b", 0, at(15 * time.Minute), store.CallbackPending},
		{"tie-a", 0, at(15 * time.Minute), store.CallbackPending},
		{"low", -1, at(0), store.CallbackPending},
	}
	for _, r := range reqs {
		maxAttempts := 1
		if r.id == "retrying" {
			maxAttempts = 3
		}
		add(t, cbs, store.CallbackRequest{ID: r.id, Queue: "after-sales", Number: "1", Priority: r.priority, Arrived: r.arrived, MaxAttempts: maxAttempts})
		switch r.state {
		case store.CallbackDialing:
			claim(t, cbs, r.id, "a")
		case store.CallbackConnected:
			claim(t, cbs, r.id, "a")
			if err := cbs.Connected(t.Context(), r.id); err != nil {
				t.Fatal(err)
			}
		case store.CallbackCancelled:
			if err := cbs.Cancel(t.Context(), r.id); err != nil {
				t.Fatal(err)
			}
		case store.CallbackFailed:
			claim(t, cbs, r.id, "a")
			if _, err := cbs.Failed(t.Context(), r.id, "busy", time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// "retrying" gets a second attempt, due in an hour.
	if retry, err := cbs.Failed(t.Context(), "retrying", "no answer", clk.Now().Add(time.Hour)); err != nil || !retry {
		t.Fatalf("Failed: got %v, %v; want a retry", retry, err)
	}

	got, err := cbs.Pending(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"vip-early", "vip-late", "early", "retrying", "tie-a", "tie-b", "late", "low"}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("Pending: got %v, want %v", ids, want)
	}
	for _, r := range got {
		i := slices.IndexFunc(reqs, func(q req) bool { return q.id == r.ID })
		if !r.Arrived.Equal(reqs[i].arrived) {
			t.Errorf("%s: Arrived %s, want the original %s", r.ID, r.Arrived, reqs[i].arrived)
		}
		if r.State != store.CallbackPending {
			t.Errorf("%s: state %s, want pending", r.ID, r.State)
		}
	}
}

// TestCallbacksRecover restarts an instance that died in the middle of
// two dials: they are handed back by the retry policy, the other
// instance's dial is left alone.
func TestCallbacksRecover(t *testing.T) {
	url := pgtest.New(t)
	clk := clockwork.NewFakeClockAt(cbT0)
	a := store.NewCallbacks(open(t, url), clk)
	b := store.NewCallbacks(open(t, url), clk)

	for _, r := range []struct {
		id          string
		maxAttempts int
		claimedBy   *store.Callbacks
		instance    string
	}{
		{"a-retries", 3, a, "hotline-a"},
		{"a-last", 1, a, "hotline-a"},
		{"b-dialing", 3, b, "hotline-b"},
		{"waiting", 3, nil, ""},
	} {
		req := callback(r.id)
		req.MaxAttempts = r.maxAttempts
		add(t, a, req)
		if r.claimedBy != nil {
			claim(t, r.claimedBy, r.id, r.instance)
		}
	}

	// hotline-a dies; a new process with the same name starts later.
	clk.Advance(time.Minute)
	restarted := store.NewCallbacks(open(t, url), clk)
	if _, err := restarted.Recover(t.Context(), ""); !errors.Is(err, store.ErrNoInstance) {
		t.Errorf("Recover without a name: got %v, want ErrNoInstance", err)
	}
	n, err := restarted.Recover(t.Context(), "hotline-a")
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("Recover: got %d, want 2", n)
	}

	recovered := callback("a-retries")
	recovered.MaxAttempts, recovered.Attempts, recovered.Instance = 3, 1, "hotline-a"
	recovered.State, recovered.NotBefore, recovered.LastError = store.CallbackPending, clk.Now(), store.InterruptedByRestart
	gaveUp := callback("a-last")
	gaveUp.MaxAttempts, gaveUp.Attempts, gaveUp.Instance = 1, 1, "hotline-a"
	gaveUp.State, gaveUp.NotBefore, gaveUp.LastError = store.CallbackFailed, cbT0, store.InterruptedByRestart
	untouched := callback("b-dialing")
	untouched.MaxAttempts, untouched.Attempts, untouched.Instance = 3, 1, "hotline-b"
	untouched.State, untouched.NotBefore = store.CallbackDialing, cbT0
	waiting := callback("waiting")
	waiting.MaxAttempts, waiting.State, waiting.NotBefore = 3, store.CallbackPending, cbT0
	for _, want := range []store.CallbackRequest{recovered, gaveUp, untouched, waiting} {
		if d := diffCallback(get(t, restarted, want.ID), want); d != "" {
			t.Errorf("%s after Recover:\n%s", want.ID, d)
		}
	}

	if n, err := restarted.Recover(t.Context(), "hotline-a"); err != nil || n != 0 {
		t.Errorf("Recover again: got %d, %v; want 0, nil", n, err)
	}
	pending, err := restarted.Pending(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range pending {
		ids = append(ids, r.ID)
	}
	if want := []string{"a-retries", "waiting"}; !slices.Equal(ids, want) {
		t.Errorf("Pending after Recover: got %v, want %v", ids, want)
	}
	if got := claim(t, restarted, "a-retries", "hotline-a"); got != 2 {
		t.Errorf("claim after Recover: attempt %d, want 2", got)
	}
	if err := b.Connected(t.Context(), "b-dialing"); err != nil {
		t.Errorf("hotline-b's dial after hotline-a's restart: %v", err)
	}
}

func TestCallbacksNoInstance(t *testing.T) {
	cbs, _ := newCallbacks(t)
	add(t, cbs, callback("x"))
	if _, err := cbs.Claim(t.Context(), "x", ""); !errors.Is(err, store.ErrNoInstance) {
		t.Errorf("Claim without an instance: got %v, want ErrNoInstance", err)
	}
	if got := get(t, cbs, "x"); got.State != store.CallbackPending || got.Attempts != 0 {
		t.Errorf("after a refused claim: state %s, attempts %d; want pending, 0", got.State, got.Attempts)
	}
}
