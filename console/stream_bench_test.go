package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/queue"
)

// wallboardACD is a centre of 500 agents in 50 queues whose state changes
// on demand: only what the event stream uses.
type wallboardACD struct {
	console.ACD // the rest is not called
	mu          sync.Mutex
	snap        acd.Snapshot
	subs        map[chan struct{}]struct{}
	snapshots   atomic.Int64
}

func newWallboardACD(agents, queues int) *wallboardACD {
	w := &wallboardACD{subs: map[chan struct{}]struct{}{}}
	w.snap.At = time.Now()
	for q := range queues {
		w.snap.Queues = append(w.snap.Queues, queue.QueueStatus{Name: fmt.Sprintf("q%02d", q), Waiting: q % 7})
	}
	for a := range agents {
		w.snap.Agents = append(w.snap.Agents, queue.AgentStatus{ID: fmt.Sprint(1000 + a), Name: fmt.Sprintf("agent %d", a),
			State: queue.Ready, Since: w.snap.At, Queues: []string{fmt.Sprintf("q%02d", a%queues)}})
	}
	return w
}

func (w *wallboardACD) Snapshot() acd.Snapshot {
	w.snapshots.Add(1)
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.snap
	s.Agents = slices.Clone(s.Agents)
	return s
}

func (w *wallboardACD) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	w.subs[ch] = struct{}{}
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		delete(w.subs, ch)
		w.mu.Unlock()
	}
}

// change flips one agent's state and signals the subscribers.
func (w *wallboardACD) change(i int) {
	w.mu.Lock()
	a := &w.snap.Agents[i%len(w.snap.Agents)]
	if a.State == queue.Ready {
		a.State = queue.NotReady
	} else {
		a.State = queue.Ready
	}
	w.snap.At = time.Now()
	for ch := range w.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	w.mu.Unlock()
}

// BenchmarkWallboardStreams: 500 browsers watch the wallboard's event
// stream (a supervisor each) of a centre of 500 agents in 50 queues; each
// iteration is one agent's state change, until every browser has it. It
// reports the time for a change to reach all 500 and the server process's
// CPU per change (the browsers' reading is counted too: they run in the
// same process).
func BenchmarkWallboardStreams(b *testing.B) {
	const browsers = 500
	w := newWallboardACD(500, 50)
	hash, err := console.HashPassword("pw")
	if err != nil {
		b.Fatal(err)
	}
	srv, err := console.New(console.Config{ACD: w, Users: []console.User{{Name: "wang", Role: console.RoleSupervisor, PasswordHash: hash}}})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()
	resp, err := http.Post(hs.URL+"/api/login", "application/json", strings.NewReader(`{"user":"wang","password":"pw"}`))
	if err != nil {
		b.Fatal(err)
	}
	var lr console.LoginResponse
	if err := json.NewDecoder(resp.Body).Decode(&lr); err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	token := lr.Token
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: browsers, MaxConnsPerHost: 0}}
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	var got sync.WaitGroup
	events := make([]chan string, browsers)
	for i := range browsers {
		req, _ := http.NewRequestWithContext(ctx, "GET", hs.URL+"/api/stream", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("browser %d: %v %v", i, err, resp)
		}
		events[i] = make(chan string, 1)
		got.Add(1)
		go func(body *bufio.Reader, out chan<- string) {
			defer got.Done()
			defer resp.Body.Close()
			for {
				line, err := body.ReadString('\n')
				if err != nil {
					return
				}
				if strings.HasPrefix(line, "data: ") {
					out <- line
				}
			}
		}(bufio.NewReaderSize(resp.Body, 1<<20), events[i])
	}
	for _, ch := range events {
		<-ch // the first snapshot
	}
	before := w.snapshots.Load()
	cpu0 := processCPU()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		w.change(i)
		for _, ch := range events {
			<-ch
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cpu := processCPU() - cpu0
	b.ReportMetric(float64(elapsed.Microseconds())/float64(b.N)/1000, "ms/change-to-all")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N)/1000, "cpu-ms/change")
	b.ReportMetric(float64(w.snapshots.Load()-before)/float64(b.N), "snapshots/change")
	b.ReportMetric(browsers, "browsers")
	cancel()
	got.Wait()
	runtime.GC()
}

// processCPU is the process's user and system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestStreamsShareSnapshots: several streams take one snapshot per change
// between them, and each still sees only its scope (a supervisor all 500
// agents, an agent itself).
func TestStreamsShareSnapshots(t *testing.T) {
	w := newWallboardACD(500, 50)
	hash, err := console.HashPassword("pw")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := console.New(console.Config{ACD: w, Users: []console.User{
		{Name: "wang", Role: console.RoleSupervisor, PasswordHash: hash},
		{Name: "lilei", Role: console.RoleAgent, Agent: "1001", PasswordHash: hash},
	}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()
	open := func(user string) *bufio.Reader {
		t.Helper()
		resp, err := http.Post(hs.URL+"/api/login", "application/json", strings.NewReader(`{"user":"`+user+`","password":"pw"}`))
		if err != nil {
			t.Fatal(err)
		}
		var lr console.LoginResponse
		if err := json.NewDecoder(resp.Body).Decode(&lr); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		req, _ := http.NewRequestWithContext(t.Context(), "GET", hs.URL+"/api/stream", nil)
		req.Header.Set("Authorization", "Bearer "+lr.Token)
		sresp, err := http.DefaultClient.Do(req)
		if err != nil || sresp.StatusCode != http.StatusOK {
			t.Fatalf("stream for %s: %v", user, err)
		}
		t.Cleanup(func() { sresp.Body.Close() })
		return bufio.NewReaderSize(sresp.Body, 1<<20)
	}
	next := func(r *bufio.Reader) console.SnapshotView {
		t.Helper()
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				var v console.SnapshotView
				if err := json.Unmarshal([]byte(data), &v); err != nil {
					t.Fatal(err)
				}
				return v
			}
		}
	}
	sups := []*bufio.Reader{open("wang"), open("wang"), open("wang")}
	agent := open("lilei")
	for _, r := range sups {
		if v := next(r); len(v.Agents) != 500 {
			t.Fatalf("a supervisor's first snapshot has %d agents, want 500", len(v.Agents))
		}
	}
	if v := next(agent); len(v.Agents) != 1 || v.Agents[0].ID != "1001" {
		t.Fatalf("the agent's first snapshot: %+v", v.Agents)
	}
	before := w.snapshots.Load()
	w.change(1) // agent 1001 goes not ready
	for _, r := range sups {
		if v := next(r); v.Agents[1].State != queue.NotReady {
			t.Errorf("a supervisor sees 1001 %s after the change", v.Agents[1].State)
		}
	}
	if v := next(agent); v.Agents[0].State != queue.NotReady {
		t.Errorf("the agent sees itself %s after the change", v.Agents[0].State)
	}
	if n := w.snapshots.Load() - before; n != 1 {
		t.Errorf("%d snapshots taken for one change and 4 streams, want 1", n)
	}
}
