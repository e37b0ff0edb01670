package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/hotline-ivr/hotline/callflow"
	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/ivr"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

const simHelp = `Usage: hotline sim --ari URL [--levels 100,1000,5000] [--think 4s]

A load test of the call engine. It runs the engine in this process on the
demo hotline's flow, connected to an ARI emulator running as its own
process (cmd/ariemu), and has the emulator play scripted callers who walk
the demo menus (welcome, setup, network answer, solved, survey) with a
think time before each key. For each concurrency level it runs twice that
many calls, at most that many at once, and prints:

  calls/s         calls completed per second of the phase
  p50, p99        from a DTMF event the emulator sends to the engine's next
                  playback request on that channel, measured by the emulator
  heap/call       this process's heap per active call at the level's peak
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
	password := e.getenv("ARIEMU_PASSWORD")
	installHTTPTimeouts(config.Default().ARI.RequestTimeout) // as serve does: bounded, with a keep-alive pool
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	var reg callflow.Registry
	if err := loadFlows(&reg, embeddedFlows, log); err != nil {
		return err
	}
	cfg := ivr.ConnConfig{URL: *ariURL, Username: *user, Password: password, Application: "hotline",
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second, Logger: log}
	engine := ivr.NewEngine(ivr.EngineConfig{Flows: &reg, Media: ivr.NewMedia(ivr.NewRESTClient(cfg)), Logger: log}) // journeys are not kept
	conn := ivr.NewConn(cfg)
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	connected := make(chan struct{})
	wg.Go(func() { _ = conn.Run(runCtx, simHandler{Engine: engine, up: connected}) })
	defer wg.Wait()
	defer stop()
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("no ARI connection to %s within 10s: is ariemu running, and ARIEMU_PASSWORD set?", *ariURL)
	}
	ctl := controlClient{base: strings.TrimSuffix(*ariURL, "/ari") + "/aritest", user: *user, password: password}

	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "concurrent\tcalls\tfailed\tcalls/s\tp50 ms\tp99 ms\theap/call KB\tCPU/call ms\t")
	for _, level := range levels {
		row, err := simLevel(ctx, ctl, engine, level, *think, e)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.1f\t%.2f\t%.2f\t%.1f\t%.2f\t\n", level, row.status.Completed, row.status.Failed,
			row.callsPerSec, row.status.P50ms, row.status.P99ms, row.heapPerCall/1024, row.cpuPerCall*1000)
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
func simLevel(ctx context.Context, ctl controlClient, engine *ivr.Engine, level int, think time.Duration, e *env) (simRow, error) {
	heap0 := heapNow()
	cpu0 := cpuNow()
	start := time.Now()
	spec := aritest.LoadSpec{Calls: 2 * level, Concurrency: level, To: demoNumber, Steps: simSteps(think)}
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
		if active := engine.Active(); active > peak && active >= level*9/10 {
			// Measure the heap near the level's peak, once the calls are in.
			peak = active
			row.heapPerCall = float64(heapNow()-heap0) / float64(max(1, engine.Active()))
		}
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

func heapNow() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// cpuNow is this process's user+system CPU time in seconds.
func cpuNow() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// simHandler tells the sim once the engine is connected.
type simHandler struct {
	*ivr.Engine
	up chan struct{}
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
