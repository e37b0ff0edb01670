package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

const versionHelp = `Usage: hotline version

Prints the module version hotline was built from, the VCS revision and time
when the build recorded them, and the Go version.
`

var versionCommand = command{
	name:    "version",
	summary: "print the version and exit",
	help:    versionHelp,
	run:     runVersion,
}

func runVersion(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if err := parseFlags(fs, args, e, versionHelp); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{msg: "version takes no arguments", help: versionHelp}
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprintln(e.stdout, version(info))
	return nil
}

// moduleVersion is the version of the main module, "(devel)" when built
// from a checkout.
func moduleVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}

// version renders build information like
// "hotline v0.3.0 (revision 1a2b3c4d5e6f, 2025-01-02T03:04:05Z, modified) go1.26.0 linux/amd64".
func version(info *debug.BuildInfo) string {
	v := "(unknown)"
	var vcs []string
	if info != nil {
		v = info.Main.Version
		if v == "" {
			v = "(devel)"
		}
		settings := map[string]string{}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		if rev := settings["vcs.revision"]; rev != "" {
			vcs = append(vcs, "revision "+rev[:min(12, len(rev))])
		}
		if t := settings["vcs.time"]; t != "" {
			vcs = append(vcs, t)
		}
		if settings["vcs.modified"] == "true" {
			vcs = append(vcs, "modified")
		}
	}
	s := "hotline " + v
	if len(vcs) > 0 {
		s += " (" + strings.Join(vcs, ", ") + ")"
	}
	return fmt.Sprintf("%s %s %s/%s", s, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
