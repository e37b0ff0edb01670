package main

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

const demoHelp = `Usage: hotline demo [--listen ADDR] [--call-every DURATION]

Runs Hotline with nothing else installed: the built-in ARI emulator (an
in-memory Asterisk 22, as cmd/ariemu runs it) and the server connected to it,
in one process, with simulated callers dialling the demo hotline 4008001234.

What the demo shows grows with each capability. Today it is the server's ARI
connection and its view of the calls: watch /healthz and /metrics while the
simulated callers come and go. The IVR engine, queues, call records and the
console are not built yet, so calls wait in Stasis until their caller hangs up.

Flags:
  --listen ADDR          HTTP address of the server (default 127.0.0.1:8080)
  --ari-listen ADDR      address of the emulator's ARI (default 127.0.0.1:0,
                         a free port; it is printed at start)
  --call-every DURATION  a simulated caller dials this often (default 3s;
                         0 turns them off)
  --log-level LEVEL      debug, info, warn or error (default info)
`

var demoCommand = command{
	name:    "demo",
	summary: "run the server against the built-in ARI emulator with simulated callers",
	help:    demoHelp,
	run:     runDemo,
}

// demoNumber is the hotline number the simulated callers dial.
const demoNumber = "4008001234"

func runDemo(ctx context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("demo", flag.ContinueOnError)
	listen := flags.String("listen", "127.0.0.1:8080", "")
	ariListen := flags.String("ari-listen", "127.0.0.1:0", "")
	every := flags.Duration("call-every", 3*time.Second, "")
	level := flags.String("log-level", "info", "")
	if err := parseFlags(flags, args, e, demoHelp); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("demo takes no arguments, got %q", flags.Args()), help: demoHelp}
	}
	cfg := config.Default()
	cfg.HTTP.Listen = *listen
	cfg.Log.Level = *level
	cfg.Log.Format = "text"
	switch *level {
	case "debug", "info", "warn", "error":
	default:
		return &usageError{msg: fmt.Sprintf("--log-level %q: want debug, info, warn or error", *level), help: demoHelp}
	}

	secret := make([]byte, 12)
	_, _ = crand.Read(secret)
	emu, err := aritest.New(aritest.Config{
		Username: "hotline", Password: hex.EncodeToString(secret), DefaultApp: cfg.ARI.Application,
		Logger: newLogger(cfg.Log, e.stderr).With("component", "ariemu"),
	})
	if err != nil {
		return err
	}
	defer emu.Close()
	if err := emu.Start(*ariListen); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("cannot listen on --listen %q: %w", *listen, err)
	}
	cfg.ARI.URL = emu.URL()
	cfg.ARI.Username = "hotline"
	cfg.ARI.Password = hex.EncodeToString(secret)

	fmt.Fprintf(e.stdout, `Hotline demo
  health   http://%[1]s/healthz
  metrics  http://%[1]s/metrics
  ARI      %[2]s (user hotline; the emulator of ivr/aritest)
  callers  one every %[3]s dials %[4]s
Press Ctrl-C to stop.
`, ln.Addr(), emu.URL(), *every, demoNumber)
	var side sidecar
	if *every > 0 {
		side = func(ctx context.Context, log *slog.Logger) { simulateCallers(ctx, log, emu, *every) }
	}
	return runServer(ctx, e, cfg, ln, "mode", "demo", side)
}

// simulateCallers dials the demo hotline every interval; each caller stays
// 5 to 20 seconds and hangs up. It returns when ctx ends and every caller
// it started has gone.
func simulateCallers(ctx context.Context, log *slog.Logger, emu *aritest.Server, every time.Duration) {
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		from := fmt.Sprintf("138%08d", rand.IntN(100_000_000))
		p, err := emu.Dial(ctx, aritest.Call{From: from, To: demoNumber, Language: "zh"})
		if err != nil {
			log.Warn("simulated caller not connected", "caller", from, "error", strings.TrimPrefix(err.Error(), "aritest: "))
			continue
		}
		stay := 5*time.Second + rand.N(15*time.Second)
		log.Info("simulated caller dialled", "caller", from, "channel", p.ID(), "stays", stay.Round(time.Second))
		wg.Go(func() {
			select {
			case <-time.After(stay):
			case <-ctx.Done():
			case <-p.Done():
				return
			}
			_ = p.Hangup()
		})
	}
}
