package main

import (
	"errors"
	"flag"
	"io"
)

var (
	// errHelp ends a command whose help was asked for and printed: exit 0.
	errHelp = errors.New("help printed")

	// errFailed ends a command that has already told the user why it
	// failed: exit 1 with nothing more printed.
	errFailed = errors.New("failed")
)

// usageError is a mistake on the command line: hotline prints msg and the
// command's help, and exits 2.
type usageError struct {
	msg  string
	help string
}

func (e *usageError) Error() string { return e.msg }

// parseFlags parses args into fs. -h and --help print help to stdout and
// return errHelp; any other mistake returns a usageError.
func parseFlags(fs *flag.FlagSet, args []string, e *env, help string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		io.WriteString(e.stdout, help)
		return errHelp
	case err != nil:
		return &usageError{msg: err.Error(), help: help}
	}
	return nil
}
