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
	"github.com/hotline-ivr/hotline/ivr/acd"
	"github.com/hotline-ivr/hotline/ivr/aritest"
	"github.com/hotline-ivr/hotline/ivr/media"
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
survey, a repair booked by serial number, a switch to English, the silent
caller whom the IVR hangs up on after the standard script, and callers who
reach the agent queues (after-sales on 0, complaints on 3, VIP numbers to
vip), wait with music and their position, talk to an agent and rate the
call; some book a call-back that keeps their place.

Simulated agents 1002 to 1007 sit at emulated SIP phones (PJSIP/1002...)
that answer a few seconds after they ring; each talks for a while, now and
then holding the caller, hangs up, wraps up, and sometimes takes a break.
Call-backs dial customers on the emulator's trunk (PJSIP/<number>@trunk).
Agent 1001 is left logged out for you, on the console's browser softphone:
open the console, sign in as 1001 (password demo), log in and go ready, and
answer the calls that ring on the page with your microphone and speakers
(the simulated callers beep at 1 kHz in place of a voice). The supervisor,
manager and admin users (password demo) see every queue, agent and call and
read the reports; the supervisor listens in from its browser softphone and
the admin from an emulated phone (PJSIP/2009), and the admin may reload the
flows.

Every call's journey and every agent state goes to PostgreSQL; watch the
log, the console's /api/queues, /api/agents and /api/stream, /healthz and
/metrics (with the bearer token the demo prints).

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
	summary: "run the demo hotline on the built-in ARI emulator with simulated callers and agents",
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
	cfg.Recordings.Storage = work + "/recordings"
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
	// The demo's metrics need a token like any server's; it prints it.
	_, _ = crand.Read(secret)
	cfg.HTTP.MetricsToken = hex.EncodeToString(secret)
	floor, err := demoCentre(&cfg, emu)
	if err != nil {
		ln.Close()
		return err
	}

	database := "none (journeys are logged)"
	if cfg.Database.URL != "" {
		database = "PostgreSQL (private to this demo unless DATABASE_URL is set)"
	}
	callers := fmt.Sprintf("one every %s dials %s", *every, demoNumber)
	if *every <= 0 {
		callers = "none (--call-every 0); dial " + demoNumber + " through the emulator's control API"
	}
	fmt.Fprintf(e.stdout, `Hotline demo
  health   http://%[1]s/healthz
  metrics  http://%[1]s/metrics (Authorization: Bearer %[6]s)
  ARI      %[2]s (user hotline; the emulator of ivr/aritest)
  records  %[3]s
  callers  %[4]s
  agents   %[5]s; queues vip, complaints, after-sales
`, ln.Addr(), emu.URL(), database, callers, agentIDs(), cfg.HTTP.MetricsToken)
	printLogins(e.stdout, ln.Addr().String())
	fmt.Fprintln(e.stdout, "Press Ctrl-C to stop.")
	side := func(ctx context.Context, log *slog.Logger, centre *acd.Service) {
		var wg sync.WaitGroup
		defer wg.Wait()
		wg.Go(func() { floor.run(ctx, log, centre) })
		if *every > 0 {
			simulateCallers(ctx, log, emu, *every)
		}
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
		path := demoPaths[rand.IntN(len(demoPaths))]
		from := path.from
		if from == "" {
			from = fmt.Sprintf("139%08d", rand.IntN(100_000_000))
		}
		p, err := emu.Dial(ctx, aritest.Call{From: from, To: demoNumber, Language: "zh"})
		if err != nil {
			log.Warn("simulated caller not connected", "caller", from, "error", err)
			continue
		}
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
	from  string // the caller's number; "" for a random one
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

// survey is the end of a call an agent took: once the agent's ID is
// announced the caller talks (beeps, see callerVoice), and at the end
// rates the call.
var survey = []demoStep{
	{zh("std/at-your-service"), talk},
	{zh("survey/resolved"), press("1")}, {zh("survey/intro"), press("5")}, {zh("survey/thanks"), nil},
}

// callerVoice is what a simulated caller says to its agent, in place of a
// voice: a 1 kHz beep of 0.3 s every 2 s for a minute, which a person at
// the softphone hears in its speakers.
var callerVoice = func() []int16 {
	beep := append(media.Tone(300*time.Millisecond, 0.3, 1000), media.Silence(1700*time.Millisecond)...)
	var v []int16
	for range 30 {
		v = append(v, beep...)
	}
	return v
}()

func talk(p *aritest.Party) error { return p.Send(callerVoice) }

var demoPaths = []demoPath{
	{name: "self-service network help and survey", steps: []demoStep{
		{zh("demo/main-menu"), press("1")}, {zh("demo/setup-menu"), press("2")},
		{zh("demo/solved-menu"), press("1")}, {zh("survey/resolved"), press("1")},
		{zh("survey/intro"), press("5")}, {zh("survey/thanks"), nil},
	}},
	{name: "repair booked by serial number", steps: []demoStep{
		{zh("demo/main-menu"), press("2")}, {zh("demo/serial"), press("202611220001#")},
		{zh("survey/resolved"), press("1")}, {zh("survey/intro"), press("4")},
	}},
	{name: "an agent in after-sales, then the survey", steps: append([]demoStep{
		{zh("demo/main-menu"), press("0")}, {"moh:default", nil},
	}, survey...)},
	{name: "a complaint taken by the complaints queue", steps: append([]demoStep{
		{zh("demo/main-menu"), press("3")}, {zh("demo/complaint-menu"), press("1")}, {zh("demo/complaint"), nil}, {"moh:default", nil},
	}, survey...)},
	{name: "a VIP caller served first", from: "13800000001", steps: append([]demoStep{
		{zh("demo/vip-welcome"), nil}, {"moh:default", nil},
	}, survey...)},
	{name: "a call-back booked while waiting", steps: []demoStep{
		{zh("demo/main-menu"), press("0")}, {zh("queue/callback-offer"), press("1")},
		{zh("queue/callback-number"), press("1")}, {zh("queue/callback-booked"), nil},
	}},
	{name: "English menu", steps: []demoStep{
		{zh("demo/main-menu"), press("9")}, {en("demo/main-menu"), press("4")},
		{en("demo/orders-menu"), press("2")}, {en("demo/returns-rules"), nil},
	}},
	{name: "silent caller"},
}
