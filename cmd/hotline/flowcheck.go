package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/hotline-ivr/hotline/callflow"
)

const flowHelp = `Usage: hotline flow check FILE...

Checks each call-flow FILE as "hotline serve" would load it, without
connecting to anything, and prints every problem as

  FILE:LINE: field.path: what is wrong (hint)

It exits 1 if there is any problem; otherwise it prints, for each file,

  FILE: ok (flow NAME, N nodes, numbers NUMBER...)

and exits 0. The files are checked together, as one folder of flows: two of
them may not define the same flow or answer the same number.
`

var flowCommand = command{
	name:     "flow",
	synopsis: "flow check FILE...",
	summary:  "check call-flow files and report every problem",
	help:     flowHelp,
	run:      runFlow,
}

func runFlow(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("flow", flag.ContinueOnError)
	if err := parseFlags(fs, args, e, flowHelp); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return &usageError{msg: "flow needs a subcommand: check FILE...", help: flowHelp}
	}
	if fs.Arg(0) != "check" {
		return &usageError{msg: fmt.Sprintf("unknown flow subcommand %q", fs.Arg(0)), help: flowHelp}
	}
	check := flag.NewFlagSet("flow check", flag.ContinueOnError)
	if err := parseFlags(check, fs.Args()[1:], e, flowHelp); err != nil {
		return err
	}
	if check.NArg() == 0 {
		return &usageError{msg: "flow check needs at least one FILE", help: flowHelp}
	}
	paths := check.Args()
	files := map[string][]byte{}
	failed := false
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(e.stderr, "hotline: cannot read the flow file: %v\n", err)
			failed = true
			continue
		}
		files[path] = data
	}
	var reg callflow.Registry
	rep, err := reg.Load(files)
	if err != nil && !errors.Is(err, callflow.ErrInvalid) {
		return err
	}
	// Problems in the order the files were named, each file's by line.
	order := func(file string) int { return slices.Index(paths, file) }
	problems := slices.Clone(rep.Problems)
	slices.SortStableFunc(problems, func(a, b callflow.Problem) int { return order(a.File) - order(b.File) })
	for _, p := range problems {
		fmt.Fprintln(e.stdout, p)
	}
	if failed || len(problems) > 0 {
		return errFailed
	}
	for _, path := range paths {
		i := slices.IndexFunc(rep.Loaded, func(f *callflow.Flow) bool { return f.File == path })
		if i < 0 {
			continue // the same file named twice
		}
		f := rep.Loaded[i]
		fmt.Fprintf(e.stdout, "%s: ok (flow %s, %d nodes, numbers %s)\n", path, f.Name, len(f.Nodes()), strings.Join(f.Numbers, ", "))
	}
	return nil
}
