package softphone_test

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hotline-ivr/hotline/console/softphone"
	"github.com/hotline-ivr/hotline/ivr/media"
)

// TestBusyReadsOnATimer: past BusyRate the gateway reads its sockets on
// a timer instead of at each datagram; the media goes on both ways
// meanwhile, and once the traffic stops it goes back to reading as
// datagrams come (and forwards the next call's at once).
func TestBusyReadsOnATimer(t *testing.T) {
	busyReadsOnATimer(t, softphone.Config{}, nil)
}

// TestBusyReadsAtARealtimePriority: with RealtimePriority, the pump's
// thread runs under SCHED_FIFO while busy, and the media goes on as at
// the normal priority. Where the system refuses the priority, the pump
// stays at the normal one, says so, and the media goes on just the same.
func TestBusyReadsAtARealtimePriority(t *testing.T) {
	busyAtRealtime(t, canRealtime())
}

// TestRealtimeRefused: TestBusyReadsAtARealtimePriority where the system
// refuses the priority, for a process that may have it (root): the test
// runs again in a process without CAP_SYS_NICE (setpriv) and with an
// RLIMIT_RTPRIO of 0.
func TestRealtimeRefused(t *testing.T) {
	withoutSysNice(t, "TestRealtimeRefused", 0)
}

// TestRealtimeByRLimit: without CAP_SYS_NICE, an RLIMIT_RTPRIO as high
// as RealtimePriority is enough (systemd's LimitRTPRIO=, compose's
// ulimits: rtprio).
func TestRealtimeByRLimit(t *testing.T) {
	withoutSysNice(t, "TestRealtimeByRLimit", 1)
}

// withoutSysNice runs test (its caller) again in a process without
// CAP_SYS_NICE and with RLIMIT_RTPRIO rtprio, where the pump at priority
// 1 is allowed when rtprio is 1 or more; there, it runs the busy pump at
// a realtime priority.
func withoutSysNice(t *testing.T, test string, rtprio int) {
	if os.Getenv(noNiceEnv) != "" {
		if allowed := rtprio > 0; canRealtime() != allowed {
			t.Fatalf("without CAP_SYS_NICE, RLIMIT_RTPRIO %d: this process may have a realtime priority: %v, want %v", rtprio, !allowed, allowed)
		}
		busyAtRealtime(t, rtprio > 0)
		return
	}
	if !canRealtime() {
		t.Skip("this process may not have a realtime priority: TestBusyReadsAtARealtimePriority had the refusal")
	}
	var tools []string
	for _, name := range []string{"prlimit", "setpriv"} { // util-linux
		p, err := exec.LookPath(name)
		if err != nil {
			t.Fatalf("%s (util-linux), to run without CAP_SYS_NICE: %v", name, err)
		}
		tools = append(tools, p)
	}
	if out, err := exec.Command(tools[0], "--rtprio="+strconv.Itoa(rtprio), "true").CombinedOutput(); err != nil {
		// Raising the hard limit takes CAP_SYS_RESOURCE.
		t.Skipf("no process here may have RLIMIT_RTPRIO %d: %v: %s", rtprio, err, out)
	}
	cmd := exec.Command(tools[0], "--rtprio="+strconv.Itoa(rtprio), tools[1], "--bounding-set", "-sys_nice",
		os.Args[0], "-test.run=^"+test+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), noNiceEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+test) {
		t.Fatalf("without CAP_SYS_NICE, RLIMIT_RTPRIO %d: %v\n%s", rtprio, err, out)
	}
}

// noNiceEnv tells withoutSysNice it runs without CAP_SYS_NICE.
const noNiceEnv = "SOFTPHONE_TEST_NO_SYS_NICE"

// busyAtRealtime is the busy pump with RealtimePriority 1, which the
// system allows or not.
func busyAtRealtime(t *testing.T, allowed bool) {
	log := &records{}
	tid := 0
	busyReadsOnATimer(t, softphone.Config{RealtimePriority: 1, Logger: slog.New(log)}, func(g *softphone.Gateway) {
		tid = softphone.PumpThread(g)
		if st := g.Stats(); st.Realtime != allowed || st.RealtimeRefused != !allowed {
			t.Errorf("busy: stats say realtime %v, refused %v; want %v, %v", st.Realtime, st.RealtimeRefused, allowed, !allowed)
		}
		if n := fifoThreads(); allowed && (n != 1 || tid == 0 || policy(tid) != unix.SCHED_FIFO) {
			t.Errorf("busy at a realtime priority: %d threads under SCHED_FIFO, the pump on thread %d (policy %d): want the pump's alone", n, tid, policy(tid))
		} else if !allowed && (n != 0 || tid != 0) {
			t.Errorf("realtime refused: %d threads under SCHED_FIFO, the pump on thread %d", n, tid)
		}
	})
	if !allowed {
		log.want(t, "softphone: the pump stays at the normal priority: the system refused a realtime one")
	} else {
		log.want(t, "softphone: the pump runs at a realtime priority")
		// Closed, the gateway's pump put its thread back at the normal
		// priority and handed it back to the runtime: the thread is still
		// there (one that ended would take with it the children started
		// from it with a parent-death signal, like the tests' PostgreSQL).
		if n := fifoThreads(); n != 0 {
			t.Errorf("after Close: %d threads under SCHED_FIFO", n)
		}
		if _, err := os.Stat("/proc/self/task/" + strconv.Itoa(tid)); err != nil {
			t.Errorf("after Close, the pump's thread %d: %v (it ended)", tid, err)
		}
	}
}

// TestRealtimeOneProcessor: with one processor (GOMAXPROCS 1), the pump
// at a realtime priority shares it with the rest of the program (here,
// the browser and Asterisk too): the media goes both ways. (It waits for
// its timer giving the P up; kept, the runtime would take it back every
// 10 ms, which this test does not tell from the other.)
func TestRealtimeOneProcessor(t *testing.T) {
	if !canRealtime() {
		t.Skip("this process may not have a realtime priority: TestBusyReadsAtARealtimePriority had the refusal")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	busyAtRealtime(t, true)
}

// canRealtime reports whether this process may put a thread under
// SCHED_FIFO at priority 1 (it tries, on a thread of its own, and puts
// it back).
func canRealtime() bool {
	ok := make(chan bool)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		a := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: 1}
		if unix.SchedSetAttr(0, &a, 0) != nil {
			ok <- false
			return
		}
		back := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_NORMAL}
		if err := unix.SchedSetAttr(0, &back, 0); err != nil {
			panic(err)
		}
		ok <- true
	}()
	return <-ok
}

// records keeps a logger's messages.
type records struct {
	mu   sync.Mutex
	msgs []string
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Message)
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

// want fails t unless a message began with prefix.
func (r *records) want(t *testing.T, prefix string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.msgs {
		if strings.HasPrefix(m, prefix) {
			return
		}
	}
	t.Errorf("the log has no %q; it has %q", prefix, r.msgs)
}

// busyReadsOnATimer runs the busy pump with cfg (BusyRate 50, OnBusy
// its own), calling whileBusy, when not nil, with the gateway while it is
// busy. The gateway is closed when it returns.
func busyReadsOnATimer(t *testing.T, cfg softphone.Config, whileBusy func(*softphone.Gateway)) {
	var busy atomic.Bool
	var changed signal
	cfg.BusyRate = 50
	cfg.OnBusy = func(on bool) { busy.Store(on); changed.fire() }
	g, err := softphone.New(withLoopback(cfg))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := g.Close(); err != nil {
			t.Errorf("closing the gateway: %v", err)
		}
	}()
	b := newBrowser(t)
	s := b.dial(t, g, "agent-busy")
	ast := newAsterisk(t)
	if err := s.Attach("call-1", ast.addr()); err != nil {
		t.Fatal(err)
	}
	stopMic := b.talk(600)
	stopAst := ast.talk(s.LocalRTP(), 1000)
	// 100 packets a second, over BusyRate.
	waitFor(t, "the gateway busy", busy.Load, &changed, &ast.got.sig)
	heardAst, heardBr := ast.got.count(), b.heard.count()
	waitFor(t, "both sides hearing while busy", func() bool {
		return ast.got.count() >= heardAst+25 && b.heard.count() >= heardBr+25
	}, &ast.got.sig, &b.heard.sig)
	if !busy.Load() {
		t.Fatal("the gateway left busy mode with 100 packets a second going through")
	}
	if whileBusy != nil {
		whileBusy(g)
	}
	if st := checkStats(t, "busy", g, ast, b); !st.Busy {
		t.Errorf("busy: stats %+v say not busy", st)
	} else if cfg.RealtimePriority == 0 && (st.Realtime || st.RealtimeRefused) {
		t.Errorf("busy, no realtime priority asked for: stats %+v say realtime or refused", st)
	}
	atAst, atBr := audio(ast.got.all()[heardAst:]), audio(b.heard.all()[heardBr:])
	if media.Power(atAst, 600) < 10*media.Power(atAst, 1000) {
		t.Errorf("Asterisk, while busy: want the browser's 600 Hz (power 600 Hz %.2f, 1 kHz %.2f)", media.Power(atAst, 600), media.Power(atAst, 1000))
	}
	if media.Power(atBr, 1000) < 10*media.Power(atBr, 600) {
		t.Errorf("browser, while busy: want Asterisk's 1 kHz (power 1 kHz %.2f, 600 Hz %.2f)", media.Power(atBr, 1000), media.Power(atBr, 600))
	}

	stopMic()
	stopAst()
	waitFor(t, "the gateway back to reading as datagrams come", func() bool { return !busy.Load() }, &changed)
	n := ast.got.count()
	stop := ast.talk(s.LocalRTP(), 1000)
	defer stop()
	stopMic = b.talk(600)
	defer stopMic()
	waitFor(t, "both sides hearing again", func() bool {
		return ast.got.count() >= n+10 && b.heard.count() >= heardBr+35
	}, &ast.got.sig, &b.heard.sig)
	checkStats(t, "talking again", g, ast, b)
}

// checkStats checks g's stats, while its one session's two ends talk,
// against what they have received: every datagram they got was forwarded
// and counted (a batch is counted once all of it is sent, so the counts
// may trail the arrivals for the moment of a batch), none dropped.
func checkStats(t *testing.T, when string, g *softphone.Gateway, ast *asterisk, b *browser) softphone.Stats {
	t.Helper()
	atAst, atBr := ast.got.count(), b.heard.count()
	var st softphone.Stats
	waitFor(t, when+": the gateway's counts up to what has arrived", func() bool {
		st = g.Stats()
		return st.ToAsterisk >= uint64(atAst) && st.ToBrowser >= uint64(atBr)
	}, &ast.got.sig, &b.heard.sig)
	if st.Sessions != 1 || st.Dropped != 0 || atAst == 0 || atBr == 0 {
		t.Errorf("%s: stats %+v; want 1 session, none dropped (Asterisk got %d, the browser %d)", when, st, atAst, atBr)
	}
	return st
}
