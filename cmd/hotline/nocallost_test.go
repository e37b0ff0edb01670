package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/queue"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

// The figures of "no call lost", measured on the whole server (runServer
// with its ACD, engine and PostgreSQL records) against the ARI emulator:
// 100 calls in progress, 50 of them talking to agents, 25 waiting in the
// queue for an agent and 25 in the IVR menu, through (1) a restart and (2)
// a 10 s cut of the events websocket. Then every caller hangs up, and the
// figures are: callers who heard dead air over 5 s, calls without exactly
// one record, and calls recorded with the wrong outcome. All must be 0.

// lossFlow: the menu, replayed every few seconds while nobody presses
// (the silent-caller script would hang up), 1 for the support queue.
const lossFlow = `flow: loss
numbers: ["4008009999"]
languages: [zh]
start: main
nodes:
  main:
    menu:
      prompt: anything-else
      options: {"1": q}
      timeout: 3s
      no_input: {prompts: [anything-else], wait: 3s, then: main}
  q:
    queue: {name: support, next: bye, on_fail: bye}
  bye:
    hangup: {}
`

const (
	lossTalking = 50
	lossWaiting = 25
	lossMenu    = 25
)

type lossRig struct {
	t     *testing.T
	ctx   context.Context
	emu   *aritest.Server
	cfg   config.Config
	flows string
	db    string

	talkers, waiters, menu []*aritest.Party
}

// lossInstance is one runServer.
type lossInstance struct {
	centre *acd.Service
	logs   *logLines
	stop   context.CancelFunc
	done   chan error
}

func newLossRig(t *testing.T, ctx context.Context) *lossRig {
	r := &lossRig{t: t, ctx: ctx, db: pgtest.New(t)}
	emu := startEmulator(t)
	r.emu = emu
	r.flows = t.TempDir()
	write(t, filepath.Join(r.flows, "loss.yaml"), lossFlow)

	cfg := config.Default()
	cfg.ARI.URL, cfg.ARI.Username, cfg.ARI.Password = emu.URL(), "hotline", "secret"
	cfg.Database.URL, cfg.Database.SpoolDir, cfg.Recordings.Storage = r.db, t.TempDir(), t.TempDir()
	cfg.Instance.Name = "test"
	cfg.HTTP.ShutdownTimeout = 2 * time.Second
	support := config.DefaultQueue()
	support.Name = "support"
	cfg.Queues = []config.Queue{support}
	for i := range lossTalking {
		id := fmt.Sprint(1001 + i)
		cfg.Agents = append(cfg.Agents, config.Agent{ID: id, Name: "agent " + id, Device: "PJSIP/" + id, Skills: map[string]int{"zh": 5}})
		emu.AddEndpoint("PJSIP", id, aritest.AnswerAfter(200*time.Millisecond))
	}
	r.cfg = cfg
	return r
}

// serve starts runServer and waits until its events are connected.
func (r *lossRig) serve() *lossInstance {
	r.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		r.t.Fatal(err)
	}
	in := &lossInstance{logs: newLogLines(), done: make(chan error, 1)}
	centres := make(chan *acd.Service, 1)
	runCtx, stop := context.WithCancel(r.ctx)
	in.stop = stop
	side := func(ctx context.Context, _ *slog.Logger, centre *acd.Service) {
		centres <- centre
		<-ctx.Done()
	}
	go func() {
		in.done <- runServer(runCtx, &env{stdout: io.Discard, stderr: in.logs, getenv: func(string) string { return "" }},
			r.cfg, ln, dirFlows(r.flows), "mode", "test", side)
	}()
	r.t.Cleanup(func() {
		stop()
		<-in.done
		if r.t.Failed() {
			r.t.Logf("a server's log:\n%s", in.logs.String())
		}
	})
	select {
	case in.centre = <-centres:
	case <-r.ctx.Done():
		r.t.Fatal("the server did not start")
	}
	in.logs.waitFor(r.t, r.ctx, `"msg":"ARI events connected"`)
	return in
}

// until waits for cond on the centre's snapshot, re-checking whenever it
// changes.
func (in *lossInstance) until(t *testing.T, ctx context.Context, what string, cond func(acd.Snapshot) bool) {
	t.Helper()
	changed, cancel := in.centre.Subscribe()
	defer cancel()
	for !cond(in.centre.Snapshot()) {
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %+v", what, in.centre.Snapshot())
		}
	}
}

func agentsOnCall(s acd.Snapshot) int {
	n := 0
	for _, a := range s.Agents {
		if a.State == queue.OnCall {
			n++
		}
	}
	return n
}

func callersWaiting(s acd.Snapshot) int {
	n := 0
	for _, q := range s.Queues {
		n += q.Waiting
	}
	return n
}

// dial places a caller and waits until it hears the menu.
func (r *lossRig) dial(i int) *aritest.Party {
	r.t.Helper()
	p, err := r.emu.Dial(r.ctx, aritest.Call{From: fmt.Sprintf("139%08d", i), To: "4008009999", Language: "zh"})
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := p.WaitHeard(r.ctx, "sound:hotline/zh/anything-else"); err != nil {
		r.t.Fatalf("caller %d never heard the menu: %v", i, err)
	}
	return p
}

// fill signs the agents in on in and places the 100 calls: 50 talking,
// 25 waiting for an agent, 25 in the menu.
func (r *lossRig) fill(in *lossInstance) {
	r.t.Helper()
	for _, a := range r.cfg.Agents {
		if err := in.centre.Login(r.ctx, a.ID); err != nil {
			r.t.Fatal(err)
		}
		if err := in.centre.Ready(r.ctx, a.ID); err != nil {
			r.t.Fatal(err)
		}
	}
	for i := range lossTalking + lossWaiting + lossMenu {
		p := r.dial(i)
		switch {
		case i < lossTalking:
			r.talkers = append(r.talkers, p)
		case i < lossTalking+lossWaiting:
			r.waiters = append(r.waiters, p)
		default:
			r.menu = append(r.menu, p)
		}
	}
	for _, p := range r.talkers {
		if err := p.Press("1"); err != nil {
			r.t.Fatal(err)
		}
	}
	in.until(r.t, r.ctx, "every agent talking", func(s acd.Snapshot) bool { return agentsOnCall(s) == lossTalking })
	for _, p := range r.waiters {
		if err := p.Press("1"); err != nil {
			r.t.Fatal(err)
		}
	}
	in.until(r.t, r.ctx, "the waiting callers in line", func(s acd.Snapshot) bool { return callersWaiting(s) == lossWaiting })
}

// finish hangs every caller up once in holds them as before the fault,
// stops in, and reports the figures.
func (r *lossRig) finish(in *lossInstance, fault string, faultAt time.Time) {
	t := r.t
	t.Helper()
	in.until(t, r.ctx, "the calls as before the fault", func(s acd.Snapshot) bool {
		return agentsOnCall(s) == lossTalking && callersWaiting(s) == lossWaiting
	})
	// The IVR callers hear the menu again after the fault.
	for _, p := range r.menu {
		if _, err := p.Wait(r.ctx, func(s aritest.Snapshot) bool {
			return slices.ContainsFunc(s.Heard, func(h aritest.Heard) bool {
				return h.Media == "sound:hotline/zh/anything-else" && h.Start.After(faultAt)
			})
		}); err != nil {
			t.Fatalf("an IVR caller never heard the menu after the %s: %v", fault, err)
		}
	}
	all := slices.Concat(r.talkers, r.waiters, r.menu)
	hungUp := 0
	for _, p := range all {
		if p.Snapshot().HungUp {
			hungUp++
		}
	}
	// Dead air over each whole call, measured before anyone hangs up.
	var worst time.Duration
	over5 := 0
	for _, p := range all {
		gaps := p.DeadAir(0)
		for _, g := range gaps {
			worst = max(worst, g.Duration())
		}
		if len(p.DeadAir(5*time.Second)) > 0 {
			over5++
		}
	}
	// The waiting callers first: an agent freed by a caller who hangs up
	// would take one of them.
	for _, p := range slices.Concat(r.waiters, r.menu, r.talkers) {
		if err := p.Hangup(); err != nil {
			t.Fatal(err)
		}
	}
	in.until(t, r.ctx, "every call over", func(s acd.Snapshot) bool { return agentsOnCall(s) == 0 && callersWaiting(s) == 0 })
	in.stop()
	if err := <-in.done; err != nil {
		t.Fatalf("the server after its drain: %v", err)
	}
	in.done <- nil // for the cleanup

	conn, err := pgx.Connect(r.ctx, r.db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(r.ctx))
	type record struct {
		outcome, hungUpBy, agent, queue string
		ended                           bool
		arrivals                        int  // the journey's arrival events: one journey, one
		gapless                         bool // its events numbered 1..n, none missing
	}
	records := map[string]record{}
	rows, err := conn.Query(r.ctx, `SELECT id, coalesce(outcome, ''), coalesce(hung_up_by, ''), coalesce(agent_id, ''),
		coalesce(queue, ''), ended_at IS NOT NULL,
		(SELECT count(*) FROM call_events e WHERE e.call_id = c.id AND e.kind = 'arrived'),
		(SELECT count(*) = coalesce(max(seq), 0) FROM call_events e WHERE e.call_id = c.id)
		FROM calls c`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var rec record
		if err := rows.Scan(&id, &rec.outcome, &rec.hungUpBy, &rec.agent, &rec.queue, &rec.ended, &rec.arrivals, &rec.gapless); err != nil {
			t.Fatal(err)
		}
		records[id] = rec
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	without, wrong := 0, 0
	var problems []string
	check := func(ps []*aritest.Party, want func(record) bool, what string) {
		for _, p := range ps {
			rec, ok := records[p.ID()]
			if !ok || !rec.ended || rec.arrivals != 1 || !rec.gapless {
				without++
				problems = append(problems, fmt.Sprintf("%s (%s): record %v, %+v", p.ID(), what, ok, rec))
				continue
			}
			if !want(rec) || rec.hungUpBy != "caller" {
				wrong++
				problems = append(problems, fmt.Sprintf("%s (%s): %+v", p.ID(), what, rec))
			}
		}
	}
	check(r.talkers, func(rec record) bool { return rec.outcome == "queued" && rec.agent != "" && rec.queue == "support" }, "talking")
	check(r.waiters, func(rec record) bool { return rec.outcome == "abandoned" && rec.agent == "" && rec.queue == "support" }, "waiting")
	check(r.menu, func(rec record) bool { return rec.outcome == "abandoned" && rec.queue == "" }, "menu")
	t.Logf("%s with %d calls in progress (%d talking to agents, %d waiting, %d in the IVR): %d hung up by it; longest dead air %v, %d callers with dead air over 5 s; %d calls without exactly one record (%d records); %d wrong outcomes",
		fault, len(all), lossTalking, lossWaiting, lossMenu, hungUp, worst.Round(time.Millisecond), over5, without, len(records), wrong)
	if hungUp > 0 || over5 > 0 || without > 0 || wrong > 0 || len(records) != len(all) {
		t.Errorf("%s: hung up %d, dead air over 5 s %d, without one record %d, wrong outcomes %d, records %d of %d:\n%s",
			fault, hungUp, over5, without, wrong, len(records), len(all), strings.Join(problems, "\n"))
	}
}

// TestServeRestartLosesNoCall: instance A is stopped with 100 calls in
// progress and its drain times out; instance B starts on the same
// PostgreSQL and Asterisk and carries on with every call.
func TestServeRestartLosesNoCall(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	r := newLossRig(t, ctx)
	a := r.serve()
	r.fill(a)

	stopAt := time.Now()
	a.stop()
	a.logs.waitFor(t, ctx, `"msg":"drain timed out: the calls still up are left to the next instance","calls":100`)
	if err := <-a.done; err != nil {
		t.Fatalf("instance A: %v", err)
	}
	a.done <- nil
	b := r.serve()
	r.finish(b, "restart", stopAt)
}

// TestServeEventsCutLosesNoCall: the events websocket is cut for 10 s with
// 100 calls in progress; the server reconnects and carries on.
func TestServeEventsCutLosesNoCall(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	r := newLossRig(t, ctx)
	in := r.serve()
	r.fill(in)
	cutAt := time.Now()
	r.emu.CutEvents("", 10*time.Second)
	in.logs.waitForCount(t, ctx, `"msg":"ARI events connected"`, 2)
	r.finish(in, "10 s websocket cut", cutAt)
}

// waitForCount waits until the log holds s at least n times.
func (l *logLines) waitForCount(t *testing.T, ctx context.Context, s string, n int) {
	t.Helper()
	for {
		l.mu.Lock()
		found := strings.Count(l.buf.String(), s) >= n
		changed := l.changed
		l.mu.Unlock()
		if found {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("the server did not log %s (%d times)", s, n)
		}
	}
}
