// Command hotline is the Hotline server: one binary whose subcommands run the
// IVR and contact centre against Asterisk ARI (serve), run a self-contained
// demo (demo), check configuration (config check) and report its version.
//
// It is the only place that reads flags, environment and files, and the only
// place that sets up the OpenTelemetry SDK. It wires the libraries together
// and drains on SIGTERM; call logic belongs in the libraries, not here.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// env is what a command may touch of the outside world.
type env struct {
	stdin          io.Reader // nil reads as empty
	stdout, stderr io.Writer
	getenv         func(string) string
	now            func() time.Time // nil: time.Now (the complaints report's clocks are compared with it)
}

// command is one subcommand.
type command struct {
	name     string // as typed: "serve", "config"
	synopsis string // for the command list: "config check FILE"; empty means name
	summary  string // one line for the command list
	help     string // the full text of "hotline help NAME" and "-h"
	run      func(ctx context.Context, e *env, args []string) error
}

// commands lists the subcommands in the order help shows them.
func commands() []command {
	return []command{serveCommand, demoCommand, configCommand, flowCommand, scorecardCommand, migrateCommand, reportCommand, promptsCommand, simCommand, passwdCommand, versionCommand}
}

const mainHelp = `Hotline is an IVR and contact-centre server that drives Asterisk over ARI.

Usage:
  hotline <command> [arguments]

Commands:
%s
Run "hotline help <command>" or "hotline <command> -h" for details.
`

func usage() string {
	var b strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-19s %s\n", cmp.Or(c.synopsis, c.name), c.summary)
	}
	fmt.Fprintf(&b, "  %-19s %s\n", "help [COMMAND]", "show help for a command")
	return fmt.Sprintf(mainHelp, b.String())
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}

// run runs the command line args and returns the exit code: 0 for success,
// 1 for failure, 2 for a mistake on the command line.
func run(ctx context.Context, args []string, e *env) int {
	err := dispatch(ctx, args, e)
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "hotline: %s\n\n%s", ue.msg, ue.help)
		return 2
	case errors.Is(err, errFailed):
		return 1 // the command has said why
	default:
		fmt.Fprintf(e.stderr, "hotline: %v\n", err)
		return 1
	}
}

func dispatch(ctx context.Context, args []string, e *env) error {
	if len(args) == 0 {
		return &usageError{msg: "no command given", help: usage()}
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return help(rest, e)
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, e, rest)
		}
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", name), help: usage()}
}

// help prints the help of the command named in args, or the command list.
func help(args []string, e *env) error {
	if len(args) == 0 {
		fmt.Fprint(e.stdout, usage())
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			fmt.Fprint(e.stdout, c.help)
			return nil
		}
	}
	return &usageError{msg: fmt.Sprintf("no help for unknown command %q", args[0]), help: usage()}
}
