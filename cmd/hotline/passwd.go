package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/hotline-ivr/hotline/console"
)

const passwdHelp = `Usage: hotline passwd

Reads a password from standard input and prints its bcrypt hash, for the
password_hash of a console user in the configuration file:

  console:
    users:
      - {name: li.na, role: agent, agent: "1001", password_hash: "$2a$10$..."}

At a terminal it asks for the password twice without showing it; otherwise
it reads the first line of its input:

  printf '%s\n' "$PASSWORD" | hotline passwd

The file holds only the hash, never the password.
`

var passwdCommand = command{
	name:    "passwd",
	summary: "hash a console user's password for the configuration file",
	help:    passwdHelp,
	run:     runPasswd,
}

func runPasswd(_ context.Context, e *env, args []string) error {
	flags := flag.NewFlagSet("passwd", flag.ContinueOnError)
	if err := parseFlags(flags, args, e, passwdHelp); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return &usageError{msg: "passwd takes no arguments: it reads the password from standard input", help: passwdHelp}
	}
	pw, err := readPassword(e)
	if err != nil {
		return err
	}
	if pw == "" {
		return errors.New("the password is empty")
	}
	hash, err := console.HashPassword(pw)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, hash)
	return nil
}

// readPassword asks for the password twice at a terminal, without echo;
// from anything else it reads the first line.
func readPassword(e *env) (string, error) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		ask := func(prompt string) (string, error) {
			fmt.Fprint(e.stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(e.stderr)
			return string(b), err
		}
		pw, err := ask("Password: ")
		if err != nil {
			return "", err
		}
		again, err := ask("Again: ")
		if err != nil {
			return "", err
		}
		if pw != again {
			return "", errors.New("the two passwords differ")
		}
		return pw, nil
	}
	if e.stdin == nil {
		return "", nil
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
