package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/CyCoreSystems/ari/v6"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

const simHelp = `Usage: hotline sim --ari URL [--levels 100,1000,5000] [--think 4s] [--ramp DUR]

A load test of the call engine. It runs the engine in this process on the
demo hotline's flow, connected to an ARI emulator running as its own
process (cmd/ariemu), and has the emulator play scripted callers who walk
the demo menus (welcome, setup, network answer, solved, survey) with a
think time before each key. For each concurrency level it runs twice that
many calls, at most that many at once, and prints:

  calls/s         calls completed per second of the phase
  p50, p99        from a DTMF event the emulator sends to the engine's next
                  playback request on that channel, measured by the emulator:
                  the caller's view, both processes and the sockets included
  eng p50, p99    the engine's part of it, measured in this process: from
                  the decoded DTMF event reaching the engine to the engine
                  starting its next playback request for that channel
  heap/call       this process's live heap per active call at the level's
                  peak, as the garbage collector last marked it (no
                  collection is forced under load: it would stall the calls)
  CPU/call        this process's CPU time per completed call

Start the emulator first, for example:
  ARIEMU_PASSWORD=secret ariemu --listen 127.0.0.1:8088 --sounds SOUNDS
where SOUNDS holds the prompts ("hotline prompts install SOUNDS").

Flags:
  --ari URL        the emulator's ARI base URL (default http://127.0.0.1:8088/ari)
  --user NAME      ARI user (default hotline); the password comes from
                   ARIEMU_PASSWORD
  --levels LIST    concurrency levels (default 100,1000,5000)
  --think DUR      a caller's pause before each key (default 4s)
  --ramp DUR       spread the arrival of a level's first callers evenly over
                   DUR, as calls reach a real trunk one by one; later calls
                   start as earlier ones end, so the load stays steady.
                   Default: the script's total think time (20s at --think
                   4s), about one call's length. 0 starts every caller at
                   once: they then press each key in the same instant, a
                   burst of that many barge-ins rather than a steady load
  --pprof ADDR     serve Go's profiles of this process (/debug/pprof/, with
                   mutex and block profiling on) on ADDR, e.g. 127.0.0.1:6060
`

var simCommand = command{
	name:    "sim",
	summary: "load-test the call engine against a separate ARI emulator",
	help:    simHelp,
	run:     runSim,
}

// simSteps walks the demo flow: barge through the welcome and the answer,
// choose in each menu after thinking, answer the survey.
func simSteps(think time.Duration) []aritest.LoadStep {
	return []aritest.LoadStep{
		{Hear: zh("demo/welcome"), Press: "#"},
		{Hear: zh("demo/main-menu"), Think: think, Press: "1"},
		{Hear: zh("demo/setup-menu"), Think: think, Press: "2"},
		{Hear: zh("demo/network-answer"), Press: "#"},
		{Hear: zh("demo/solved-menu"), Think: think, Press: "1"},
		{Hear: zh("survey/resolved"), Think: think, Press: "1"},
		{Hear: zh("survey/intro"), Think: think, Press: "5"},
	}
}

func runSim(ctx context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("sim", flag.ContinueOnError)
	ariURL := flags.String("ari", "http://127.0.0.1:8088/ari", "")
	user := flags.String("user", "hotline", "")
	levelsFlag := flags.String("levels", "100,1000,5000", "")
	think := flags.Duration("think", 4*time.Second, "")
	ramp := flags.Duration("ramp", -1, "")
	pprofAddr := flags.String("pprof", "", "")
	if err := parseFlags(flags, args, e, simHelp); err != nil {
		return err
	}
	var levels []int
	for _, f := range strings.Split(*levelsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return &usageError{msg: fmt.Sprintf("--levels: %q is not a positive number", f), help: simHelp}
		}
		levels = append(levels, n)
	}
	if *pprofAddr != "" {
		stopProfiles, err := serveProfiles(*pprofAddr)
		if err != nil {
			return err
		}
		defer stopProfiles()
		fmt.Fprintf(e.stderr, "sim: profiles on http://%s/debug/pprof/\n", *pprofAddr)
	}
	if *ramp < 0 {
		*ramp = 0
		for _, st := range simSteps(*think) {
			*ramp += st.Think
		}
	}
	password := e.getenv("ARIEMU_PASSWORD")
	installHTTPTimeouts(config.Default().ARI.RequestTimeout) // as serve does: bounded, with a keep-alive pool
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	var reg callflow.Registry
	if err := loadFlows(ctx, &reg, embeddedFlows, log); err != nil {
		return err
	}
	cfg := ivr.ConnConfig{URL: *ariURL, Username: *user, Password: password, Application: "hotline",
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second, Logger: log}
	lat := &engineLatency{dtmfAt: map[string]time.Time{}}
	media := simMedia{Media: ivr.NewMedia(ivr.NewRESTClient(cfg)), lat: lat}
	engine := ivr.NewEngine(ivr.EngineConfig{Flows: &reg, Media: media, Logger: log}) // journeys are not kept
	conn := ivr.NewConn(cfg)
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	connected := make(chan struct{})
	wg.Go(func() { _ = conn.Run(runCtx, simHandler{Engine: engine, up: connected, lat: lat}) })
	defer wg.Wait()
	defer stop()
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("no ARI connection to %s within 10s: is ariemu running, and ARIEMU_PASSWORD set?", *ariURL)
	}
	ctl := controlClient{base: strings.TrimSuffix(*ariURL, "/ari") + "/aritest", user: *user, password: password}

	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "concurrent\tcalls\tfailed\tcalls/s\tp50 ms\tp99 ms\teng p50 ms\teng p99 ms\theap/call KB\tCPU/call ms\t")
	for _, level := range levels {
		lat.reset()
		row, err := simLevel(ctx, ctl, engine, level, *think, *ramp, e)
		if err != nil {
			return err
		}
		engP50, engP99 := lat.percentiles()
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%.1f\t%.2f\t\n", level, row.status.Completed, row.status.Failed,
			row.callsPerSec, row.status.P50ms, row.status.P99ms, engP50, engP99, row.heapPerCall/1024, row.cpuPerCall*1000)
	}
	tw.Flush()
	if err := engine.Drain(ctx); err != nil {
		return err
	}
	return nil
}

type simRow struct {
	status      aritest.LoadStatus
	callsPerSec float64
	heapPerCall float64
	cpuPerCall  float64
}

// simLevel runs one concurrency level and measures it.
func simLevel(ctx context.Context, ctl controlClient, engine *ivr.Engine, level int, think, ramp time.Duration, e *env) (simRow, error) {
	runtime.GC() // idle between levels: a clean base
	heap0, gcs := liveHeap()
	cpu0 := cpuNow()
	start := time.Now()
	spec := aritest.LoadSpec{Calls: 2 * level, Concurrency: level, To: demoNumber, Steps: simSteps(think), Ramp: ramp}
	if err := ctl.post(ctx, "/load", spec); err != nil {
		return simRow{}, err
	}
	var row simRow
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	peak := 0
	var last string
	for {
		select {
		case <-ctx.Done():
			return row, ctx.Err()
		case <-tick.C:
		}
		var st aritest.LoadStatus
		if err := ctl.get(ctx, "/load", &st); err != nil {
			return row, err
		}
		// Measure the heap at the level's peak, once the calls are in: after
		// a collection that ran since the last look, while as many calls
		// are up as ever in this level.
		live, n := liveHeap()
		if active := engine.Active(); n != gcs && active >= peak && active >= level*9/10 {
			peak = active
			row.heapPerCall = float64(live-min(live, heap0)) / float64(active)
		}
		gcs = n
		if progress := fmt.Sprintf("sim: level %d: %d started, %d active, %d done, %d failed", level, st.Started, st.Active, st.Completed, st.Failed); progress != last {
			fmt.Fprintln(e.stderr, progress)
			last = progress
		}
		if !st.Running {
			row.status = st
			elapsed := time.Since(start).Seconds()
			row.callsPerSec = float64(st.Completed) / elapsed
			row.cpuPerCall = (cpuNow() - cpu0) / float64(max(1, st.Completed))
			if st.Failed > 0 {
				fmt.Fprintf(e.stderr, "sim: %d calls failed; last error: %s\n", st.Failed, st.LastError)
			}
			return row, nil
		}
	}
}

// liveHeap is the heap the last collection found live, and how many
// collections have run.
func liveHeap() (live, gcs uint64) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64(), sample[1].Value.Uint64()
}

// cpuNow is this process's user+system CPU time in seconds.
func cpuNow() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// simHandler tells the sim once the engine is connected, and notes when
// the engine is handed each key.
type simHandler struct {
	*ivr.Engine
	up  chan struct{}
	lat *engineLatency
}

func (h simHandler) Event(ctx context.Context, ev ari.Event) {
	if key, ok := ev.(*ari.ChannelDtmfReceived); ok {
		h.lat.dtmf(key.Channel.ID)
	}
	h.Engine.Event(ctx, ev)
}

// simMedia notes when the engine starts each playback request.
type simMedia struct {
	ivr.Media
	lat *engineLatency
}

func (m simMedia) Play(ctx context.Context, channelID, playbackID string, media ...string) error {
	m.lat.play(channelID)
	return m.Media.Play(ctx, channelID, playbackID, media...)
}

// engineLatency takes the engine-side latency samples: from a DTMF event
// handed to the engine (read and decoded off the socket) to the engine's
// next Play for that channel, as the request starts. It is the engine's
// share of the emulator's DTMF-to-play-request figure.
type engineLatency struct {
	mu      sync.Mutex
	dtmfAt  map[string]time.Time
	samples []time.Duration
}

func (l *engineLatency) dtmf(channelID string) {
	now := time.Now()
	l.mu.Lock()
	l.dtmfAt[channelID] = now
	l.mu.Unlock()
}

func (l *engineLatency) play(channelID string) {
	now := time.Now()
	l.mu.Lock()
	if at, ok := l.dtmfAt[channelID]; ok {
		delete(l.dtmfAt, channelID)
		l.samples = append(l.samples, now.Sub(at))
	}
	l.mu.Unlock()
}

func (l *engineLatency) reset() {
	l.mu.Lock()
	clear(l.dtmfAt)
	l.samples = l.samples[:0]
	l.mu.Unlock()
}

// percentiles returns p50 and p99 in milliseconds.
func (l *engineLatency) percentiles() (p50, p99 float64) {
	l.mu.Lock()
	sorted := slices.Clone(l.samples)
	l.mu.Unlock()
	n := len(sorted)
	if n == 0 {
		return 0, 0
	}
	slices.Sort(sorted)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return ms(sorted[n/2]), ms(sorted[min(n-1, n*99/100)])
}

func (h simHandler) Connected(ctx context.Context) error {
	err := h.Engine.Connected(ctx)
	select {
	case <-h.up:
	default:
		close(h.up)
	}
	return err
}

// controlClient speaks the emulator's control API.
type controlClient struct{ base, user, password string }

func (c controlClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.SetBasicAuth(c.user, c.password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("emulator control API: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("emulator control API %s %s: %s %s", method, path, resp.Status, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func (c controlClient) post(ctx context.Context, path string, body any) error {
	return c.do(ctx, http.MethodPost, path, body, nil)
}

func (c controlClient) get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, nil, out)
}

// serveProfiles serves net/http/pprof on addr until the returned func is
// called, with mutex and block profiling switched on (they cost a little
// on every contended lock and blocking operation, so only when asked).
func serveProfiles(addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--pprof: %w", err)
	}
	runtime.SetMutexProfileFraction(10)
	runtime.SetBlockProfileRate(int(100 * time.Microsecond))
	srv := &http.Server{Handler: console.Profiles(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	return func() {
		_ = srv.Close()
		<-done
	}, nil
}
