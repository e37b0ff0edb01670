package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"
	"os"
	"os/signal"
	"syscall"

	"github.com/hotline-ivr/hotline/cmd/hotline/internal/config"
	"github.com/hotline-ivr/hotline/store"
)

const migrateHelp = `Usage: hotline migrate

Brings the schema of the PostgreSQL database in DATABASE_URL up to date: it
applies the migrations built into hotline that the database has not had
yet, in order, each in a transaction of its own, and prints each one it
applies. Migrations only go forward.

Instances that migrate at the same time take turns on a PostgreSQL
advisory lock: the first applies what is missing, the others find nothing
left to do. It is safe to run beside other instances.

Environment:
  DATABASE_URL   the database, like postgres://hotline:PASSWORD@db:5432/hotline
                 or host=db dbname=hotline user=hotline (required)

SIGINT or SIGTERM stops it; the migration under way is rolled back.
`

var migrateCommand = command{
	name:    "migrate",
	summary: "bring the database schema in DATABASE_URL up to date",
	help:    migrateHelp,
	run:     runMigrate,
}

func runMigrate(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	if err := parseFlags(fs, args, e, migrateHelp); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("migrate takes no arguments, got %q", fs.Args()), help: migrateHelp}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := openDatabaseURL(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := store.ApplyMigrations(ctx, db)
	for _, m := range applied {
		fmt.Fprintf(e.stdout, "applied %s\n", m)
	}
	if err != nil {
		return fmt.Errorf("migrating the database: %w", err)
	}
	all, err := store.Migrations()
	if err != nil {
		return err
	}
	latest := all[len(all)-1]
	if len(applied) == 0 {
		fmt.Fprintf(e.stdout, "the schema is up to date: version %d (%s)\n", latest.Version, latest)
	} else {
		fmt.Fprintf(e.stdout, "the schema is now at version %d (%s)\n", latest.Version, latest)
	}
	return nil
}

// openDatabaseURL opens the one-connection pool of a command that works on
// DATABASE_URL (migrate, report).
func openDatabaseURL(ctx context.Context, e *env) (*pgxpool.Pool, error) {
	url := e.getenv(config.EnvDatabaseURL)
	if url == "" {
		return nil, fmt.Errorf("%s is not set: export the URL of the PostgreSQL database, like postgres://hotline:PASSWORD@db:5432/hotline", config.EnvDatabaseURL)
	}
	db, err := store.Open(ctx, url, 1)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.EnvDatabaseURL, err)
	}
	return db, nil
}
