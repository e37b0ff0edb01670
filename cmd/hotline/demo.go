package main

import (
	"context"
	crand "crypto/rand"
	"embed"
	"encoding/hex"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"time"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/prompts"
	"github.com/hotline-ivr/hotline/store/pgtest"
)

const demoHelp = `Usage: hotline demo [--listen ADDR] [--call-every DURATION]

Runs Hotline with nothing else installed but PostgreSQL's binaries: a
private PostgreSQL in a temporary folder (unless DATABASE_URL is set), the
built-in ARI emulator (an in-memory Asterisk 22, as cmd/ariemu runs it) with
the zh/en prompts, and the server running the demo hotline's flow
(cmd/hotline/flows/smart-home.yaml) on 4008001234, all in one process.

Simulated callers dial in and walk the menus: a self-service answer and the
survey, a repair booked by serial number, a complaint that ends in a voice
message (agent queues are not built yet), a switch to English, and the
silent caller whom the IVR hangs up on after the standard script. Every
call's journey goes to PostgreSQL; watch the log, /healthz and /metrics.

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
	summary: "run the demo hotline on the built-in ARI emulator with simulated callers",
	help:    demoHelp,
	run:     runDemo,
}

// demoNumber is the hotline number the simulated callers dial.
const demoNumber = "4008001234"

//go:embed flows/*.yaml
var demoFlows embed.FS

// embeddedFlows reads the demo's flow files.
func embeddedFlows() (map[string][]byte, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(demoFlows, "flows", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := demoFlows.ReadFile(p)
		files[p] = b
		return err
	})
	return files, err
}

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
	switch *level {
	case "debug", "info", "warn", "error":
	default:
		return &usageError{msg: fmt.Sprintf("--log-level %q: want debug, info, warn or error", *level), help: demoHelp}
	}
	cfg := config.Default()
	cfg.HTTP.Listen = *listen
	cfg.Log.Level = *level
	cfg.Log.Format = "text"
	cfg.Database.URL = e.getenv(config.EnvDatabaseURL)

	work, err := os.MkdirTemp("", "hotline-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	sounds := work + "/sounds"
	if _, err := prompts.Install(sounds); err != nil {
		return err
	}
	cfg.Database.SpoolDir = work + "/spool"
	if cfg.Database.URL == "" {
		db, err := pgtest.Start(ctx, work+"/postgres")
		if err != nil {
			fmt.Fprintf(e.stderr, "hotline demo: cannot start a private PostgreSQL (%v); call journeys will only be logged\n", err)
		} else {
			defer db.Stop(context.WithoutCancel(ctx))
			cfg.Database.URL = db.URL()
		}
	}

	secret := make([]byte, 12)
	_, _ = crand.Read(secret)
	emu, err := aritest.New(aritest.Config{
		Username: "hotline", Password: hex.EncodeToString(secret), DefaultApp: cfg.ARI.Application,
		SoundsDir: sounds, RecordingsDir: work + "/recordings",
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

	database := "none (journeys are logged)"
	if cfg.Database.URL != "" {
		database = "PostgreSQL (private to this demo unless DATABASE_URL is set)"
	}
	fmt.Fprintf(e.stdout, `Hotline demo
  health   http://%[1]s/healthz
  metrics  http://%[1]s/metrics
  ARI      %[2]s (user hotline; the emulator of ivr/aritest)
  records  %[5]s
  callers  one every %[3]s dials %[4]s
Press Ctrl-C to stop.
`, ln.Addr(), emu.URL(), *every, demoNumber, database)
	var side sidecar
	if *every > 0 {
		side = func(ctx context.Context, log *slog.Logger) { simulateCallers(ctx, log, emu, *every) }
	}
	return runServer(ctx, e, cfg, ln, embeddedFlows, "mode", "demo", side)
}

// simulateCallers dials the demo hotline every interval; each caller walks
// one of the demo's paths. It returns when ctx ends and every caller it
// started has gone.
func simulateCallers(ctx context.Context, log *slog.Logger, emu *aritest.Server, every time.Duration) {
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		from := fmt.Sprintf("138%08d", rand.IntN(100_000_000))
		p, err := emu.Dial(ctx, aritest.Call{From: from, To: demoNumber, Language: "zh"})
		if err != nil {
			log.Warn("simulated caller not connected", "caller", from, "error", err)
			continue
		}
		path := demoPaths[rand.IntN(len(demoPaths))]
		log.Info("simulated caller dialled", "caller", from, "channel", p.ID(), "path", path.name)
		wg.Go(func() {
			callCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			if err := path.walk(callCtx, p); err != nil && ctx.Err() == nil {
				log.Debug("simulated caller stopped", "channel", p.ID(), "path", path.name, "error", err)
			}
			_ = p.Hangup() // no-op when the IVR hung up first
		})
	}
}

// demoPath is a scripted walk through the demo flow.
type demoPath struct {
	name  string
	steps []demoStep
}

// demoStep waits until the caller hears media (a URI), then acts.
type demoStep struct {
	hear string
	act  func(*aritest.Party) error
}

// zh and en name a prompt of ivr/prompts as the caller hears it.
func zh(name string) string { return "sound:hotline/zh/" + name }
func en(name string) string { return "sound:hotline/en/" + name }

func press(keys string) func(*aritest.Party) error {
	return func(p *aritest.Party) error { return p.Press(keys) }
}

func speak(d time.Duration) func(*aritest.Party) error {
	return func(p *aritest.Party) error { return p.SendTone(d, 300, 500, 700) }
}

func (d demoPath) walk(ctx context.Context, p *aritest.Party) error {
	for _, s := range d.steps {
		if _, err := p.WaitHeard(ctx, s.hear); err != nil {
			return err
		}
		if s.act != nil {
			if err := s.act(p); err != nil {
				return err
			}
		}
	}
	_, err := p.WaitHangup(ctx)
	return err
}

var demoPaths = []demoPath{
	{"self-service network help and survey", []demoStep{
		{zh("demo/main-menu"), press("1")}, {zh("demo/setup-menu"), press("2")},
		{zh("demo/solved-menu"), press("1")}, {zh("survey/resolved"), press("1")},
		{zh("survey/intro"), press("5")}, {zh("survey/thanks"), nil},
	}},
	{"repair booked by serial number", []demoStep{
		{zh("demo/main-menu"), press("2")}, {zh("demo/serial"), press("202611220001#")},
		{zh("survey/resolved"), press("1")}, {zh("survey/intro"), press("4")},
	}},
	{"complaint left as a voice message", []demoStep{
		{zh("demo/main-menu"), press("3")}, {zh("message/leave"), nil},
		{"sound:beep", speak(4 * time.Second)}, {zh("message/saved"), nil},
	}},
	{"English menu", []demoStep{
		{zh("demo/main-menu"), press("9")}, {en("demo/main-menu"), press("4")},
		{en("demo/orders-menu"), press("2")}, {en("demo/returns-rules"), nil},
	}},
	{"silent caller", nil},
}
