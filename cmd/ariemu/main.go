// Command ariemu runs the ARI emulator (package ivr/aritest) as its own
// process: an in-memory Asterisk 22 that any ARI client can connect to, for
// load tests, demos and peers that are not written in Go.
//
//	ariemu --listen 127.0.0.1:8088 --sounds ./prompts --endpoint PJSIP/1001=answer:2s
//
// Point a client at http://127.0.0.1:8088/ari (events on
// ws://127.0.0.1:8088/ari/events?app=hotline) with user hotline and the
// password from ARIEMU_PASSWORD; clients that read Asterisk's api-docs at
// connect (Node's ari-client) find them at /ari/api-docs/resources.json.
// Calls are placed and scripted through the control API under /aritest/
// (see ivr/aritest/control.go); ended calls stay queryable for
// --call-retention.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/ivr/aritest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "ariemu:", err)
		os.Exit(1)
	}
}

// endpointFlags collects repeated --endpoint TECH/RES=BEHAVIOR[:DELAY].
type endpointFlags []string

func (e *endpointFlags) String() string     { return strings.Join(*e, ",") }
func (e *endpointFlags) Set(v string) error { *e = append(*e, v); return nil }

// run starts the emulator and serves until ctx ends. ready, when not nil,
// receives the ARI URL once it is listening.
func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("ariemu", flag.ContinueOnError)
	fs.SetOutput(out)
	listen := fs.String("listen", "127.0.0.1:8088", "address to serve ARI on (host:port; port 0 picks a free one)")
	sounds := fs.String("sounds", "", "folder of 8 kHz mono WAV prompts: <dir>/<lang>/<name>.wav or <dir>/<name>.wav")
	recordings := fs.String("recordings", "", "folder for recordings (default: a temporary folder removed on exit)")
	user := fs.String("user", "hotline", "ARI user; the password comes from the environment variable ARIEMU_PASSWORD (unset: no authentication)")
	app := fs.String("app", "hotline", "Stasis application every dialled number is routed to, with the number as first argument")
	rtpHost := fs.String("rtp-host", "127.0.0.1", "address externalMedia binds its RTP ports on")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	retention := fs.Duration("call-retention", 10*time.Minute, "how long a call placed through the control API stays queryable after it ended")
	retentionMax := fs.Int("call-retention-max", 1000, "how many ended calls the control API keeps at most, the oldest forgotten first")
	pprofAddr := fs.String("pprof", "", "serve Go's profiles (/debug/pprof/, with mutex and block profiling on) on this address, e.g. 127.0.0.1:6061")
	var endpoints endpointFlags
	fs.Var(&endpoints, "endpoint", "a SIP endpoint, repeatable: PJSIP/1001=answer:2s (answer, manual, never, reject:DELAY, busy)")
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: ariemu [flags]\n\nRuns an in-memory Asterisk 22 ARI (REST + events websocket) with real\nplayback timing, WAV recordings and externalMedia RTP.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *retention <= 0 || *retentionMax <= 0 {
		return fmt.Errorf("--call-retention and --call-retention-max must be positive, got %s and %d", *retention, *retentionMax)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: lvl}))
	password := getenv("ARIEMU_PASSWORD")
	username := *user
	if password == "" {
		username = ""
		logger.Warn("ARIEMU_PASSWORD is not set: ARI accepts any client without authentication")
	}
	emu, err := aritest.New(aritest.Config{
		SoundsDir: *sounds, RecordingsDir: *recordings, Username: username, Password: password,
		DefaultApp: *app, RTPHost: *rtpHost, Logger: logger, CallRetention: *retention, CallRetentionMax: *retentionMax,
	})
	if err != nil {
		return err
	}
	for _, spec := range endpoints {
		if err := addEndpoint(emu, spec); err != nil {
			_ = emu.Close()
			return err
		}
	}
	if err := emu.Start(*listen); err != nil {
		_ = emu.Close()
		return err
	}
	if *pprofAddr != "" {
		stopProfiles, err := serveProfiles(*pprofAddr, logger)
		if err != nil {
			_ = emu.Close()
			return err
		}
		defer stopProfiles()
	}
	url := emu.URL()
	logger.Info("ARI emulator listening", "url", url, "events", "ws"+strings.TrimPrefix(url, "http")+"/events?app="+*app,
		"user", username, "control", strings.TrimSuffix(url, "/ari")+"/aritest/")
	if ready != nil {
		ready <- url
	}
	<-ctx.Done()
	logger.Info("shutting down")
	done := make(chan error, 1)
	go func() { done <- emu.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		return errors.New("shutdown took longer than 10s")
	}
}

// addEndpoint reads TECH/RESOURCE=BEHAVIOR[:DELAY].
func addEndpoint(emu *aritest.Server, spec string) error {
	name, behavior, _ := strings.Cut(spec, "=")
	tech, resource, found := strings.Cut(name, "/")
	if !found || resource == "" {
		return fmt.Errorf("--endpoint %q: want TECH/RESOURCE=BEHAVIOR[:DELAY], e.g. PJSIP/1001=answer:2s", spec)
	}
	mode, delay, _ := strings.Cut(behavior, ":")
	b, err := aritest.ParseBehavior(mode, delay)
	if err != nil {
		return fmt.Errorf("--endpoint %q: %w", spec, err)
	}
	emu.AddEndpoint(tech, resource, b)
	return nil
}

// serveProfiles serves net/http/pprof on addr until the returned func is
// called, with mutex and block profiling switched on (they cost a little
// on every contended lock and blocking operation, so only when asked).
func serveProfiles(addr string, logger *slog.Logger) (stop func(), err error) {
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
	logger.Info("profiles served", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	return func() {
		_ = srv.Close()
		<-done
	}, nil
}
