package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/hotline-ivr/hotline/ivr/prompts"
)

const promptsHelp = `Usage: hotline prompts install DIR

Writes Hotline's prompts (the standard phrases, queue and survey
announcements, number words, the beep before a voice message and the demo
hotline's menus, in zh and en, as 8 kHz mono WAV) into Asterisk's sounds folder DIR, usually
/var/lib/asterisk/sounds, as DIR/hotline/<lang>/<name>.wav. Flows play them
as sound:hotline/<lang>/<name>. Files of the same name are replaced; others
are left alone.
`

var promptsCommand = command{
	name:     "prompts",
	synopsis: "prompts install DIR",
	summary:  "install the zh/en prompts into an Asterisk sounds folder",
	help:     promptsHelp,
	run:      runPrompts,
}

func runPrompts(ctx context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("prompts", flag.ContinueOnError)
	if err := parseFlags(flags, args, e, promptsHelp); err != nil {
		return err
	}
	if flags.NArg() != 2 || flags.Arg(0) != "install" {
		return &usageError{msg: "want: prompts install DIR", help: promptsHelp}
	}
	n, err := prompts.Install(flags.Arg(1))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "installed %d prompts under %s/hotline\n", n, flags.Arg(1))
	return nil
}
