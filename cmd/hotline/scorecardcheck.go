package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/hotline-ivr/hotline/recordings/scorecard"
)

const scorecardHelp = `Usage: hotline scorecard check FILE...
       hotline scorecard standard

check reads each QA scorecard FILE as Hotline would, and prints every
problem as

  FILE:LINE: field.path: what is wrong (hint)

It exits 1 if there is any problem; otherwise it prints, for each file,

  FILE: ok (scorecard NAME, version FINGERPRINT, N sections, M items, weights W)

and exits 0. Two files with the same content (comments and layout aside)
have the same version.

standard prints the centre's standard scorecard (from the service
standards), to start your own from.
`

var scorecardCommand = command{
	name:     "scorecard",
	synopsis: "scorecard check FILE... | standard",
	summary:  "check QA scorecard files, or print the standard one",
	help:     scorecardHelp,
	run:      runScorecard,
}

func runScorecard(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("scorecard", flag.ContinueOnError)
	if err := parseFlags(fs, args, e, scorecardHelp); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 0:
		return &usageError{msg: "scorecard needs a subcommand: check FILE... or standard", help: scorecardHelp}
	case fs.Arg(0) == "standard" && fs.NArg() == 1:
		_, err := e.stdout.Write(scorecard.StandardFile())
		return err
	case fs.Arg(0) != "check":
		return &usageError{msg: fmt.Sprintf("unknown scorecard subcommand %q", fs.Arg(0)), help: scorecardHelp}
	}
	check := flag.NewFlagSet("scorecard check", flag.ContinueOnError)
	if err := parseFlags(check, fs.Args()[1:], e, scorecardHelp); err != nil {
		return err
	}
	if check.NArg() == 0 {
		return &usageError{msg: "scorecard check needs at least one FILE", help: scorecardHelp}
	}
	failed := false
	for _, path := range check.Args() {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(e.stderr, "hotline: cannot read the scorecard file: %v\n", err)
			failed = true
			continue
		}
		sc, err := scorecard.Parse(path, data)
		if problems, ok := errors.AsType[scorecard.Problems](err); ok {
			for _, p := range problems.Problems {
				fmt.Fprintln(e.stdout, p)
			}
			failed = true
			continue
		}
		if err != nil {
			return err
		}
		weights := 0.0
		for _, it := range sc.Items() {
			weights += it.Weight
		}
		fmt.Fprintf(e.stdout, "%s: ok (scorecard %s, version %s, %d sections, %d items, weights %g)\n",
			path, sc.Name, sc.Fingerprint(), len(sc.Sections), len(sc.Items()), weights)
	}
	if failed {
		return errFailed
	}
	return nil
}
