package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
)

const configHelp = `Usage: hotline config check FILE

Checks FILE as "hotline serve" would read it, without connecting to anything,
and prints every problem as

  FILE:LINE: field.path: what is wrong (hint)

It exits 1 if there is any problem, or prints "FILE: ok" and exits 0.
Unknown keys, wrong types and bad values are all problems; secrets
(HOTLINE_ARI_PASSWORD, DATABASE_URL) come from the environment and are not
checked here. The queues, agents and console users are checked as serve
would take them: routing strategies, skill levels, overflows into queues
that exist (and do not loop), agents' queues, users' agents and their
bcrypt password hashes ("hotline passwd" makes one).

The call flows of flows.dir are loaded as serve loads them: a folder that
is missing, unreadable or empty is a problem at the line of flows.dir, and
every problem of a flow file is printed at its own file and line, among
them a queue node naming a queue that queues: does not have.
deploy/hotline.example.yaml shows every key and its default.
`

var configCommand = command{
	name:     "config",
	synopsis: "config check FILE",
	summary:  "check a configuration file and report every problem",
	help:     configHelp,
	run:      runConfig,
}

func runConfig(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("config", flag.ContinueOnError)
	if err := parseFlags(fs, args, e, configHelp); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return &usageError{msg: "config needs a subcommand: check FILE", help: configHelp}
	}
	if fs.Arg(0) != "check" {
		return &usageError{msg: fmt.Sprintf("unknown config subcommand %q", fs.Arg(0)), help: configHelp}
	}
	check := flag.NewFlagSet("config check", flag.ContinueOnError)
	if err := parseFlags(check, fs.Args()[1:], e, configHelp); err != nil {
		return err
	}
	if check.NArg() != 1 {
		return &usageError{msg: "config check needs exactly one FILE", help: configHelp}
	}
	path := check.Arg(0)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cannot read the config file: %w", err)
	}
	cfg, err := config.Parse(path, data)
	var problems config.Problems
	switch {
	case errors.As(err, &problems):
		for _, p := range problems {
			fmt.Fprintln(e.stdout, p)
		}
		return errFailed
	case err != nil:
		return fmt.Errorf("cannot read the config file: %w", err)
	}
	if ps := config.CheckFlowsDir(path, data, cfg); len(ps) > 0 {
		for _, p := range ps {
			fmt.Fprintln(e.stdout, p)
		}
		return errFailed
	}
	if _, ps := config.LoadScorecard(path, data, cfg); len(ps) > 0 {
		for _, p := range ps {
			fmt.Fprintln(e.stdout, p)
		}
		return errFailed
	}
	reg := newFlowRegistry(cfg, nil)
	rep, err := reloadFlows(ctx, reg, dirFlows(cfg.Flows.Dir), slog.New(slog.DiscardHandler))
	if err != nil && len(rep.Problems) == 0 {
		return err
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(e.stdout, p)
	}
	if len(rep.Problems) > 0 {
		return errFailed
	}
	names := make([]string, len(rep.Loaded))
	for i, f := range rep.Loaded {
		names[i] = f.Name
	}
	fmt.Fprintf(e.stdout, "%s: ok (flows of %s: %s)\n", path, cfg.Flows.Dir, strings.Join(names, ", "))
	return nil
}
