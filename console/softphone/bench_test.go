//go:build unix

package softphone_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hotline-ivr/hotline/console/softphone"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// The load benchmark runs the gateway in the benchmark's process and the
// load (the browsers and the Asterisk sides) in a child process, the test
// binary run again as TestLoadPeers, so that the CPU the benchmark reports
// is the gateway's alone. They talk over the child's stdin and stdout, one
// JSON message a line ("LOAD " first on the child's).

const loadEnv = "HOTLINE_SOFTPHONE_LOAD"

// loadMsg is every message of the load protocol.
type loadMsg struct {
	I      int    `json:"i,omitempty"`
	Offer  string `json:"offer,omitempty"`  // child: session i's offer
	Ast    string `json:"ast,omitempty"`    // child: session i's Asterisk side
	Answer string `json:"answer,omitempty"` // parent: the answer
	Ext    string `json:"ext,omitempty"`    // parent: its external_host

	Warmup  time.Duration `json:"warmup,omitempty"`  // parent: go, and for how long
	Measure time.Duration `json:"measure,omitempty"` // parent
	// Phase is the child's word that its load has sent the warm-up's
	// packets ("measure") or the measurement's too ("measured").
	Phase string `json:"phase,omitempty"`

	Done bool  `json:"done,omitempty"` // child: the results below
	Sent int64 `json:"sent,omitempty"`
	// End-to-end (sender's write to receiver's read, across both
	// processes and the gateway) per direction, and what arrived.
	AstP50, AstP99, BrP50, BrP99 time.Duration
	AstGot, BrGot                int64
	CPU                          float64 // the child's CPU share of one core
}

// BenchmarkGateway200 forwards 50 packets/s each way for 200 sessions with
// a call attached, and reports the gateway's forwarding delay (read to
// write, inside the gateway) per direction, its CPU (process CPU time /
// wall time, as a share of one core), and the end-to-end delay and loss
// the load saw. Run it with
//
//	go test -run '^$' -bench Gateway -benchtime 1x ./console/softphone/
//
// (every iteration runs the whole load: 2 s warm-up, 10 s measured).
func BenchmarkGateway200(b *testing.B) {
	const sessions = 200
	for b.Loop() {
		runLoad(b, sessions, 2*time.Second, 10*time.Second, 0)
	}
}

// BenchmarkGateway200Realtime is BenchmarkGateway200 with the pump at a
// realtime priority (Config.RealtimePriority 1), as a deployment that
// allows it runs it; skipped where the system refuses it.
func BenchmarkGateway200Realtime(b *testing.B) {
	const sessions = 200
	for b.Loop() {
		runLoad(b, sessions, 2*time.Second, 10*time.Second, 1)
	}
}

// latencies collects durations from many goroutines without a lock.
type latencies struct {
	on  atomic.Bool
	n   atomic.Int64
	buf []int64
}

func newLatencies(max int) *latencies { return &latencies{buf: make([]int64, max)} }

func (l *latencies) add(d time.Duration) {
	if !l.on.Load() {
		return
	}
	if i := l.n.Add(1) - 1; i < int64(len(l.buf)) {
		l.buf[i] = int64(d)
	}
}

func (l *latencies) quantiles() (p50, p99 time.Duration, n int) {
	n = int(min(l.n.Load(), int64(len(l.buf))))
	if n == 0 {
		return 0, 0, 0
	}
	s := l.sorted()
	return time.Duration(s[n/2]), time.Duration(s[n*99/100]), n
}

func (l *latencies) sorted() []int64 {
	s := slices.Clone(l.buf[:min(l.n.Load(), int64(len(l.buf)))])
	slices.Sort(s)
	return s
}

// tail describes the slowest packets: p90, p99.9, the largest, and the
// share over 1 ms.
func (l *latencies) tail() string {
	s := l.sorted()
	n := len(s)
	if n == 0 {
		return "none"
	}
	i, _ := slices.BinarySearch(s, int64(time.Millisecond))
	return fmt.Sprintf("p90 %v p99.9 %v max %v, %.2f%% over 1 ms", time.Duration(s[n*9/10]), time.Duration(s[n*999/1000]), time.Duration(s[n-1]), 100*float64(n-i)/float64(n))
}

func cpuTime() time.Duration {
	user, sys := cpuTimes()
	return user + sys
}

// cpuTimes is the process's CPU time so far, in user space and in the
// kernel (its system calls, and the loopback's delivery of what it sends
// into the receiving sockets).
func cpuTimes() (user, sys time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}

// contextSwitches counts the process's context switches so far: the
// voluntary ones (a thread going to sleep: waiting in epoll, on a futex)
// and the others (preempted).
func contextSwitches() (voluntary, involuntary int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return int64(ru.Nvcsw), int64(ru.Nivcsw)
}

func runLoad(b *testing.B, sessions int, warmup, measure time.Duration, prio int) {
	perDir := sessions * 50 * int(measure/time.Second+2)
	toAst, toBr := newLatencies(perDir), newLatencies(perDir)
	g := newGateway(b, softphone.Config{RealtimePriority: prio, Observe: func(d softphone.Direction, took time.Duration) {
		if d == softphone.ToAsterisk {
			toAst.add(took)
		} else {
			toBr.add(took)
		}
	}})

	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadPeers$", "-test.count=1")
	rt := realtime()
	if rt {
		// The browsers and Asterisk are other machines in a deployment:
		// they do not share the gateway's priority.
		cmd = exec.Command("chrt", "-o", "0", os.Args[0], "-test.run=^TestLoadPeers$", "-test.count=1")
	}
	cmd.Env = append(os.Environ(), loadEnv+"="+strconv.Itoa(sessions))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Wait() }()
	defer func() { _ = in.Close() }()
	enc := json.NewEncoder(in)
	lines := loadLines(out)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for range sessions {
		m, ok := <-lines
		if !ok {
			b.Fatal("the load process ended early")
		}
		s, answer, err := g.Open(ctx, "agent-"+strconv.Itoa(m.I), m.Offer)
		if err != nil {
			b.Fatal(err)
		}
		ast, err := netip.ParseAddrPort(m.Ast)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Attach("call-"+strconv.Itoa(m.I), ast); err != nil {
			b.Fatal(err)
		}
		if err := enc.Encode(loadMsg{I: m.I, Answer: answer, Ext: s.ExternalHost()}); err != nil {
			b.Fatal(err)
		}
	}
	if m := <-lines; m.Warmup != 0 || m.Done { // the child: all connected
		b.Fatalf("unexpected %+v", m)
	}
	if err := enc.Encode(loadMsg{Warmup: warmup, Measure: measure}); err != nil {
		b.Fatal(err)
	}
	// The windows are the load's: the child says when its packets of the
	// warm-up, then of the measurement, have gone out.
	phase := func(want string) {
		if m, ok := <-lines; !ok || m.Phase != want {
			b.Fatalf("the load process said %+v, want phase %s", m, want)
		}
	}
	phase("measure")
	if prio > 0 && fifoThreads() == 0 {
		// The pump is busy by now; its thread would be the one.
		b.Skip("the system refused the pump a realtime priority (it needs CAP_SYS_NICE or an RLIMIT_RTPRIO of 1)")
	}
	toAst.on.Store(true)
	toBr.on.Store(true)
	user0, sys0 := cpuTimes()
	wall0 := time.Now()
	vol0, invol0 := contextSwitches()
	phase("measured")
	user, sys := cpuTimes()
	user, sys = user-user0, sys-sys0
	cpu, wall := user+sys, time.Since(wall0)
	vol, invol := contextSwitches()
	vol, invol = vol-vol0, invol-invol0
	toAst.on.Store(false)
	toBr.on.Store(false)
	res, ok := <-lines
	if !ok || !res.Done {
		b.Fatalf("no results from the load process (%+v)", res)
	}

	a50, a99, an := toAst.quantiles()
	r50, r99, rn := toBr.quantiles()
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	b.ReportMetric(us(a50), "to-ast-p50-µs")
	b.ReportMetric(us(a99), "to-ast-p99-µs")
	b.ReportMetric(us(r50), "to-browser-p50-µs")
	b.ReportMetric(us(r99), "to-browser-p99-µs")
	b.ReportMetric(100*float64(cpu)/float64(wall), "gateway-cpu-%core")
	b.ReportMetric(float64(an+rn)/wall.Seconds(), "fwd-pkts/s")
	if an+rn > 0 {
		b.ReportMetric(us(cpu)/float64(an+rn), "gateway-cpu-µs/pkt")
		b.ReportMetric(us(sys)/float64(an+rn), "gateway-sys-µs/pkt")
		// A thread's sleep and wake-up cost the most on an idle machine.
		b.ReportMetric(float64(vol)/float64(an+rn), "gateway-sleeps/pkt")
		b.ReportMetric(float64(invol)/float64(an+rn), "gateway-preempted/pkt")
	}
	b.ReportMetric(100*res.CPU, "load-cpu-%core")
	b.ReportMetric(us(res.AstP99), "e2e-to-ast-p99-µs")
	b.ReportMetric(us(res.BrP99), "e2e-to-browser-p99-µs")
	if p, ok := cpuPressure(); ok {
		// The share of time some task waited for a CPU over the last 10 s
		// (Linux PSI): the machine's contention, which the delays include.
		b.ReportMetric(p, "cpu-pressure-%")
	}
	if res.Sent > 0 {
		b.ReportMetric(100*(1-float64(res.AstGot+res.BrGot)/float64(res.Sent)), "loss-%")
	}
	b.Logf("gateway delay tails: to Asterisk %s; to the browser %s (the whole gateway at a realtime priority: %v; its pump: %v)", toAst.tail(), toBr.tail(), rt, rt || prio > 0)
	b.Logf("%d sessions, %v measured: gateway forwarding to Asterisk p50 %v p99 %v (%d packets), to the browser p50 %v p99 %v (%d packets); gateway CPU %.1f%% of one core; end to end (load process, both pion ends included) to Asterisk p50 %v p99 %v, to the browser p50 %v p99 %v; load CPU %.1f%%",
		sessions, measure, a50, a99, an, r50, r99, rn, 100*float64(cpu)/float64(wall), res.AstP50, res.AstP99, res.BrP50, res.BrP99, 100*res.CPU)
}

// loadLines decodes the child's "LOAD " lines.
func loadLines(r io.Reader) <-chan loadMsg {
	ch := make(chan loadMsg)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		for sc.Scan() {
			line, ok := cutPrefix(sc.Text(), "LOAD ")
			if !ok {
				continue
			}
			var m loadMsg
			if json.Unmarshal([]byte(line), &m) == nil {
				ch <- m
			}
		}
	}()
	return ch
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return s, false
}

// TestLoadPeers is the load process of BenchmarkGateway200; it does
// nothing unless the benchmark runs it.
func TestLoadPeers(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(loadEnv))
	if n == 0 {
		t.Skip("the load process of BenchmarkGateway200")
	}
	say := func(m loadMsg) {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("LOAD %s\n", b)
	}
	dec := json.NewDecoder(os.Stdin)
	const maxDelays = 1 << 21
	toAst, toBr := newLatencies(maxDelays), newLatencies(maxDelays)
	var astGot, brGot, sent atomic.Int64
	counting := atomic.Bool{}

	type peer struct {
		b   *browser
		ast *net.UDPConn
		ext netip.AddrPort
	}
	peers := make([]peer, n)
	stamp := func(p []byte) time.Duration {
		return time.Duration(time.Now().UnixNano() - int64(binary.BigEndian.Uint64(p)))
	}
	for i := range peers {
		br := newBrowser(t)
		br.onRTP = func(p *rtp.Packet) {
			if len(p.Payload) >= 8 && counting.Load() {
				toBr.add(stamp(p.Payload))
				brGot.Add(1)
			}
		}
		conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		go func() {
			buf := make([]byte, 1500)
			var h rtp.Header
			for {
				n, err := conn.Read(buf)
				if err != nil {
					return
				}
				hl, err := h.Unmarshal(buf[:n])
				if err == nil && n-hl >= 8 && counting.Load() {
					toAst.add(stamp(buf[hl:n]))
					astGot.Add(1)
				}
			}
		}()
		say(loadMsg{I: i, Offer: br.offer(t), Ast: conn.LocalAddr().String()})
		var m loadMsg
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		if err := br.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.Answer}); err != nil {
			t.Fatal(err)
		}
		ext, err := netip.ParseAddrPort(m.Ext)
		if err != nil {
			t.Fatal(err)
		}
		peers[i] = peer{b: br, ast: conn, ext: ext}
	}
	for _, p := range peers {
		select {
		case <-p.b.connected:
		case <-time.After(waitLimit):
			t.Fatal("a browser did not connect")
		}
	}
	say(loadMsg{}) // all connected
	var run loadMsg
	if err := dec.Decode(&run); err != nil {
		t.Fatal(err)
	}
	toAst.on.Store(true)
	toBr.on.Store(true)

	// The warm-up and the measurement are counted in packets sent (every
	// sender's, each way), so their ends are events of the load itself.
	frames := func(d time.Duration) int64 { return int64(2 * len(peers) * int(d/(20*time.Millisecond))) }
	warmEnd := max(frames(run.Warmup), 1)
	measureEnd := warmEnd + max(frames(run.Measure), 1)
	var all atomic.Int64
	warm, measured := make(chan struct{}), make(chan struct{})
	quit := make(chan struct{})
	var wg sync.WaitGroup
	send := func(offset time.Duration, write func(*rtp.Packet) error) {
		defer wg.Done()
		payload := make([]byte, 160)
		h := rtp.Header{Version: 2, SSRC: 1, Marker: true}
		select {
		case <-time.After(offset): // spread the senders over a frame
		case <-quit:
			return
		}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			binary.BigEndian.PutUint64(payload, uint64(time.Now().UnixNano()))
			if write(&rtp.Packet{Header: h, Payload: payload}) == nil && counting.Load() {
				sent.Add(1)
			}
			switch all.Add(1) {
			case warmEnd:
				close(warm)
			case measureEnd:
				close(measured)
			}
			h.Marker = false
			h.SequenceNumber++
			h.Timestamp += 160
			select {
			case <-quit:
				return
			case <-tick.C:
			}
		}
	}
	for i, p := range peers {
		wg.Add(2)
		off := time.Duration(i) * 20 * time.Millisecond / time.Duration(n)
		go send(off, p.b.mic.WriteRTP)
		go send(off+10*time.Millisecond, func(pkt *rtp.Packet) error {
			b, err := pkt.Marshal()
			if err != nil {
				return err
			}
			_, err = p.ast.WriteToUDPAddrPort(b, p.ext)
			return err
		})
	}
	<-warm
	counting.Store(true)
	say(loadMsg{Phase: "measure"})
	cpu0, wall0 := cpuTime(), time.Now()
	<-measured
	counting.Store(false)
	say(loadMsg{Phase: "measured"})
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	close(quit)
	wg.Wait()
	a50, a99, _ := toAst.quantiles()
	r50, r99, _ := toBr.quantiles()
	say(loadMsg{Done: true, Sent: sent.Load(), AstP50: a50, AstP99: a99, BrP50: r50, BrP99: r99,
		AstGot: astGot.Load(), BrGot: brGot.Load(), CPU: float64(cpu) / float64(wall)})
}

// cpuPressure reads "some avg10" of /proc/pressure/cpu.
func cpuPressure() (float64, bool) {
	b, err := os.ReadFile("/proc/pressure/cpu")
	if err != nil {
		return 0, false
	}
	for _, f := range strings.Fields(string(b)) {
		if v, ok := strings.CutPrefix(f, "avg10="); ok {
			p, err := strconv.ParseFloat(v, 64)
			return p, err == nil
		}
	}
	return 0, false
}
