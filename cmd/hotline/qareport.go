package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/console"
	"github.com/hotline-ivr/hotline/recordings/evaluation"
	"github.com/hotline-ivr/hotline/store"
)

// qaReportFlags are the flags report --qa takes; the others are the
// contact-centre report's.
var qaReportFlags = map[string]bool{"qa": true, "from": true, "to": true, "tz": true, "by": true, "config": true, "format": true}

// defaultConfigPath is where report --qa --by team reads the agents'
// teams without --config, as serve does.
const defaultConfigPath = "hotline.yaml"

// runQAReport prints QA's report (hotline report --qa): per agent or per
// team and for everyone, the evaluations submitted in [from, to) outside
// calibrations, as GET /api/qa/report gives it. The teams are the agents'
// in the config file (configPath; "" for hotline.yaml when by team, none
// when by agent).
func runQAReport(ctx context.Context, e *env, fs *flag.FlagSet, p reportParams, configPath, format string) error {
	var problems []string
	fs.Visit(func(f *flag.Flag) {
		if !qaReportFlags[f.Name] {
			problems = append(problems, fmt.Sprintf("--%s is not for --qa (it takes --from, --to, --tz, --by, --config and --format)", f.Name))
		}
	})
	by, err := evaluation.ParseReportBy(p.by)
	if err != nil {
		problems = append(problems, "--by: "+err.Error())
	}
	if by == evaluation.ByTeam && configPath == "" {
		configPath = defaultConfigPath
	}
	loc, err := time.LoadLocation(p.tz)
	if err != nil || p.tz == "" {
		problems = append(problems, fmt.Sprintf("--tz: unknown time zone %q: use a name like Asia/Shanghai or UTC", p.tz))
		loc = time.UTC
	}
	from, okFrom := parseWhen(p.from, loc, false)
	if !okFrom {
		problems = append(problems, "--from: "+whenProblem(p.from))
	}
	to, okTo := parseWhen(p.to, loc, true)
	if !okTo {
		problems = append(problems, "--to: "+whenProblem(p.to))
	}
	if okFrom && okTo && !from.Before(to) {
		problems = append(problems, fmt.Sprintf("--to: the period ends (%s) before it starts (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339)))
	}
	var teams map[string]string
	if configPath != "" && len(problems) == 0 {
		cfg, err := readReportConfig(configPath)
		if err != nil {
			return err
		}
		teams = cfg.AgentTeams()
	}
	write, ok := qaReportWriters[format]
	if !ok {
		problems = append(problems, fmt.Sprintf("--format: %q is not a format: use table, csv or json", format))
	}
	if len(problems) > 0 {
		return &usageError{msg: strings.Join(problems, "\nhotline: "), help: reportHelp}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := openDatabaseURL(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := store.NewQA(db, nil).QAReportBy(ctx, from, to, by, teams)
	if err != nil {
		return explainReportError(err)
	}
	if rows == nil {
		rows = []evaluation.ReportRow{}
	}
	return write(e.stdout, console.QAReportView{From: from, To: to, By: by, Rows: rows})
}

// readReportConfig reads the config file for its agents' teams; the
// secrets are not needed.
func readReportConfig(path string) (config.Config, error) {
	cfg, _, err := readConfigFile(path, "pass --config FILE, the one hotline serve runs with, for the agents' teams")
	return cfg, err
}

// qaReportWriters print QA's report in each --format.
var qaReportWriters = map[string]func(io.Writer, console.QAReportView) error{
	"table": writeQAReportTable,
	"csv":   func(w io.Writer, v console.QAReportView) error { return console.WriteQAReportCSV(w, v.By, v.Rows) },
	"json": func(w io.Writer, v console.QAReportView) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	},
}

// writeQAReportTable prints a heading and the report's columns, the row
// for everyone last, as "All".
func writeQAReportTable(w io.Writer, v console.QAReportView) error {
	loc := v.From.Location()
	byTeam := ""
	if v.By == evaluation.ByTeam {
		byTeam = " by team"
	}
	fmt.Fprintf(w, "QA report%s %s to %s (%s): evaluations submitted, calibrations left out.\n\n",
		byTeam, v.From.Format(reportTimeLayout), v.To.In(loc).Format(reportTimeLayout), loc)
	table := [][]string{console.QAReportColumns(v.By)}
	for _, r := range v.Rows {
		rec := console.QAReportRecord(v.By, r)
		if rec[0] == "" {
			rec[0] = "All"
		}
		if rec[len(rec)-5] == "" {
			rec[len(rec)-5] = noValue
		}
		table = append(table, rec)
	}
	return writeColumns(w, table)
}
